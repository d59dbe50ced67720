//! The one registry of builtins: name, arity, whether it is also a method on
//! its first argument, a signature and a doc line (the language server reads
//! these for hover and signature help), and the Rust function.
//!
//! Each area lives in its own file and exports `DEFS`; `REGISTRY` is their
//! concatenation, and a builtin's index in it is its `Value::Builtin` id.

use std::sync::LazyLock;

use super::error::{RtError, RtResult};
use super::host::Host;
use super::value::Value;

mod array;
mod assert;
mod collection;
mod constructors;
mod convert;
mod dict;
mod format_fn;
mod functional;
mod helpers;
mod io;
mod json;
mod math;
#[cfg(test)]
mod registry_tests;
mod string;
mod system;
#[cfg(test)]
mod test_support;
mod text;
mod time;

/// A builtin receives its arguments by value (the VM moves them off its
/// stack), so a uniquely held collection can be changed in place.
pub type BuiltinFn = fn(&mut dyn Host, &mut [Value]) -> RtResult<Value>;

pub struct BuiltinDef {
    pub name: &'static str,
    /// Display signature, e.g. `push(array, value) -> array`.
    pub signature: &'static str,
    /// One-line documentation.
    pub doc: &'static str,
    pub min_args: u8,
    /// `None` for variadic builtins.
    pub max_args: Option<u8>,
    /// Marked (m) in LANGUAGE.md §10: callable as `first_arg.name(...)`.
    pub method: bool,
    pub func: BuiltinFn,
}

/// All builtins, in a fixed order (ids are indices).
pub static REGISTRY: LazyLock<Vec<&'static BuiltinDef>> = LazyLock::new(|| {
    let areas: &[&'static [BuiltinDef]] = &[
        io::DEFS,
        constructors::DEFS,
        convert::DEFS,
        system::DEFS,
        math::DEFS,
        format_fn::DEFS,
        collection::DEFS,
        string::DEFS,
        text::DEFS,
        array::DEFS,
        functional::DEFS,
        dict::DEFS,
        json::DEFS,
        time::DEFS,
        assert::DEFS,
    ];
    areas.iter().flat_map(|defs| defs.iter()).collect()
});

/// Named constants that live beside the builtins (shadowable like them).
pub fn constant(name: &str) -> Option<Value> {
    match name {
        "PI" => Some(Value::Float(std::f64::consts::PI)),
        "E" => Some(Value::Float(std::f64::consts::E)),
        "None" => Some(Value::none()),
        _ => None,
    }
}

pub fn def(id: u16) -> &'static BuiltinDef {
    REGISTRY[id as usize]
}

/// The id of the builtin called `name`.
pub fn lookup(name: &str) -> Option<u16> {
    BY_NAME.get(name).copied()
}

/// The id of the builtin callable as a method `.name(...)`.
pub fn lookup_method(name: &str) -> Option<u16> {
    // The VM looks methods up by name on every `x.name(...)` call that is
    // not a struct method, so this is a hash lookup, not a registry scan.
    lookup(name).filter(|&id| def(id).method)
}

/// Builtin ids by name (names are unique; a registry test checks it).
static BY_NAME: LazyLock<rustc_hash::FxHashMap<&'static str, u16>> = LazyLock::new(|| {
    REGISTRY
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name, i as u16))
        .collect()
});

/// The error for a call with the wrong number of arguments.
pub fn arity_error(def: &BuiltinDef, got: usize) -> RtError {
    let expected = match def.max_args {
        Some(max) if max == def.min_args => plural(def.min_args as usize),
        Some(max) => format!("{} to {} arguments", def.min_args, max),
        None => format!("at least {}", plural(def.min_args as usize)),
    };
    RtError::msg(format!("{}() expects {}, got {}", def.name, expected, got))
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 argument".to_string()
    } else {
        format!("{n} arguments")
    }
}

/// Check arity, then run the builtin.
pub fn call(id: u16, host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let def = def(id);
    let n = args.len();
    if n < def.min_args as usize || def.max_args.is_some_and(|m| n > m as usize) {
        return Err(arity_error(def, n));
    }
    (def.func)(host, args)
}

/// Map an I/O error on the program's output to a runtime error
/// (a closed pipe ends the program quietly).
pub fn io_error(e: std::io::Error) -> RtError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        RtError::BrokenPipe
    } else {
        RtError::msg(format!("I/O error: {e}"))
    }
}

/// The common "expects X, got Y" type error.
pub fn type_error(name: &str, expected: &str, got: &Value) -> RtError {
    RtError::msg(format!(
        "{name}() expects {expected}, got {}",
        got.type_name()
    ))
}
