//! Runtime errors as they travel from a failing operation (or builtin) to the
//! VM, which turns them into catchable `ErrorObj` values with line and stack.

use super::value::Value;

#[derive(Clone, Debug)]
pub enum RtError {
    /// A VM or builtin error with its message, e.g. `Division by zero`.
    Message(String),
    /// `throw(value)`; a thrown `Value::Error` is rethrown unchanged.
    Thrown(Value),
    /// `exit(code)`: ends the program with that status.
    Exit(i32),
    /// Standard output was closed (`ruff run x | head -1`): end quietly.
    BrokenPipe,
    /// Ctrl-C.
    Interrupted,
}

impl RtError {
    pub fn msg(message: impl Into<String>) -> RtError {
        RtError::Message(message.into())
    }
}

impl std::fmt::Display for RtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RtError::Message(m) => f.write_str(m),
            RtError::Thrown(Value::Error(e)) => f.write_str(&e.message),
            RtError::Thrown(v) => f.write_str(&super::format::display(v)),
            RtError::Exit(code) => write!(f, "exit({code})"),
            RtError::BrokenPipe => f.write_str("Broken pipe"),
            RtError::Interrupted => f.write_str("Interrupted"),
        }
    }
}

pub type RtResult<T> = Result<T, RtError>;

/// Shorthand for `Err(RtError::Message(format!(...)))`.
#[macro_export]
macro_rules! rt_bail {
    ($($arg:tt)*) => {
        return Err($crate::runtime::error::RtError::Message(format!($($arg)*)))
    };
}
