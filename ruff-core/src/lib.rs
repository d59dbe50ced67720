//! ruff-core: the Ruff language. Pipeline, in reading order:
//! `syntax` (lex, parse) → `diagnostics` → `compiler` (resolve, emit) →
//! `bytecode` → `runtime` (VM, builtins) → `jit` → `telemetry`.

pub mod bytecode;
pub mod compiler;
pub mod diagnostics;
pub mod driver;
pub mod jit;
pub mod runtime;
pub mod syntax;
pub mod telemetry;
