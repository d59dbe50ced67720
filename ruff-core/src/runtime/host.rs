//! What builtins may ask of the running VM. Keeps builtins independent of the
//! dispatch loop's internals.

use std::io::Write;

use super::error::RtResult;
use super::value::Value;

pub trait Host {
    /// Call a Ruff function value (closure or builtin) and return its result.
    /// Errors raised inside it come back as `RtError::Thrown(Value::Error)`
    /// carrying the line and stack where they happened.
    fn call(&mut self, callee: &Value, args: Vec<Value>) -> RtResult<Value>;
    /// The program's buffered standard output.
    fn stdout(&mut self) -> &mut dyn Write;
    /// Standard error. Standard output is flushed first so the two stay in
    /// order on a terminal.
    fn stderr(&mut self) -> &mut dyn Write;
    /// The arguments after `--`.
    fn program_args(&self) -> &[String];
    /// State of the seeded pseudo-random generator (`random_seed` sets it).
    fn rng_state(&mut self) -> &mut u64;
    /// One line from standard input without its newline; `None` at end.
    fn read_line(&mut self) -> std::io::Result<Option<String>>;
}
