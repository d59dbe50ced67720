//! Program-level differential testing of the Ruff JIT (issue 22).
//!
//! - `gen`: a seeded generator of whole, valid, terminating programs
//!   (`ast` is their structured form, `printer` turns it into source,
//!   `rng` is the seeded random number generator);
//! - `runner`: runs a program in-process in one JIT mode (`modes`) and
//!   captures exactly what `ruff run` would print;
//! - `worker` / `pool`: child processes that run programs, so that a JIT
//!   crash or hang is a finding, not the end of the campaign;
//! - `shrink` (over `walk`'s numbered blocks and expressions): delta
//!   debugging of a mismatching program;
//! - `finding`: classifying, reporting and saving mismatches (`rename`
//!   gives shrunk programs canonical names);
//! - `campaign`: the driver behind the `difftest` command.

pub mod ast;
pub mod campaign;
pub mod finding;
pub mod gen;
pub mod modes;
pub mod pool;
pub mod printer;
pub mod rename;
pub mod rng;
pub mod runner;
pub mod shrink;
pub mod walk;
pub mod worker;

pub use gen::generate;
