//! The cross-language benchmark suite of Ruff.
//!
//! The programs live in `benchmarks/programs/<name>/bench.{ruff,py,js,lua,c}`;
//! this library knows them ([`programs`]) and where the built binaries are
//! ([`paths`]). The runner (`src/main.rs`), the checksum test and the
//! Criterion bench share it.

pub mod paths;
pub mod programs;
