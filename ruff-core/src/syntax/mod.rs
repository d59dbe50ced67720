//! Source text → tokens → syntax tree. Depends on nothing else in the crate
//! except `diagnostics` for the error type.

pub mod ast;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod token;

pub use span::{LineIndex, Span};

use crate::diagnostics::Diagnostic;

/// Largest source file accepted (bytes). Bigger files get a diagnostic, not
/// an attempt that exhausts memory.
pub const MAX_SOURCE_BYTES: usize = 64 * 1024 * 1024;

/// Deepest nesting of expressions/blocks the parser accepts before reporting
/// `nesting too deep` (keeps the recursive-descent parser off the stack limit).
pub const MAX_NESTING: usize = 200;

/// The result of parsing: always a tree, plus every syntax error found.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub program: ast::Program,
    pub errors: Vec<Diagnostic>,
}

/// Parse a whole file. Never panics; recovers at statement boundaries.
pub fn parse(source: &str) -> Parsed {
    parser::parse(source)
}

pub use parser::parse_with_trivia;
