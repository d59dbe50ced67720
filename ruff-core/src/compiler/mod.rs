//! Syntax tree → bytecode: `resolve` names to slots/upvalues/globals (the
//! semantic model, also used by `ruff check` and the language server), then
//! `emit` instructions.

pub mod emit;
pub mod resolve;

pub use emit::Compiled;
pub use resolve::{resolve, Resolution};
