//! A fake `Host` for the builtins' unit tests, plus terse value makers.
//! User closures need the VM, so higher-order builtins are tested with
//! builtins as the callback (`map(arr, to_string)`).

use std::collections::VecDeque;
use std::io::Write;
use std::rc::Rc;

use super::{call as call_builtin, lookup};
use crate::runtime::error::{RtError, RtResult};
use crate::runtime::format::display;
use crate::runtime::host::Host;
use crate::runtime::value::{DictMap, Key, Value};

#[derive(Default)]
pub struct FakeHost {
    pub out: Vec<u8>,
    pub err: Vec<u8>,
    pub args: Vec<String>,
    pub rng: u64,
    pub stdin: VecDeque<String>,
}

impl Host for FakeHost {
    fn call(&mut self, callee: &Value, mut args: Vec<Value>) -> RtResult<Value> {
        match callee {
            Value::Builtin(id) => call_builtin(*id, self, &mut args),
            _ => Err(RtError::msg("FakeHost can only call builtins")),
        }
    }
    fn stdout(&mut self) -> &mut dyn Write {
        &mut self.out
    }
    fn stderr(&mut self) -> &mut dyn Write {
        &mut self.err
    }
    fn program_args(&self) -> &[String] {
        &self.args
    }
    fn rng_state(&mut self) -> &mut u64 {
        &mut self.rng
    }
    fn read_line(&mut self) -> std::io::Result<Option<String>> {
        Ok(self.stdin.pop_front())
    }
}

/// Calls builtin `name` on a given host.
pub fn call_on(host: &mut FakeHost, name: &str, mut args: Vec<Value>) -> RtResult<Value> {
    let id = lookup(name).unwrap_or_else(|| panic!("no builtin {name}"));
    call_builtin(id, host, &mut args)
}

/// Calls builtin `name` on a fresh host.
pub fn call(name: &str, args: Vec<Value>) -> RtResult<Value> {
    call_on(&mut FakeHost::default(), name, args)
}

/// The result of a call that must succeed, as `to_string` shows it.
pub fn show(name: &str, args: Vec<Value>) -> String {
    match call(name, args) {
        Ok(v) => display(&v),
        Err(e) => panic!("{name}() failed: {e:?}"),
    }
}

/// The message of a call that must fail with `RtError::Message`.
pub fn err(name: &str, args: Vec<Value>) -> String {
    match call(name, args) {
        Ok(v) => panic!("{name}() should fail, returned {}", display(&v)),
        Err(RtError::Message(m)) => m,
        Err(e) => panic!("{name}() failed with {e:?}"),
    }
}

pub fn i(n: i64) -> Value {
    Value::Int(n)
}

pub fn f(x: f64) -> Value {
    Value::Float(x)
}

pub fn s(text: &str) -> Value {
    Value::str(text)
}

pub fn arr(items: Vec<Value>) -> Value {
    Value::array(items)
}

pub fn ints(items: &[i64]) -> Value {
    Value::array(items.iter().map(|&n| Value::Int(n)).collect())
}

/// A dict from `(key, value)` pairs, in that insertion order.
pub fn dict(entries: Vec<(Value, Value)>) -> Value {
    let mut m = DictMap::default();
    for (k, v) in entries {
        let key = match k {
            Value::Int(n) => Key::Int(n),
            Value::Str(s) => Key::Str(s),
            _ => panic!("bad test key"),
        };
        m.insert(key, v);
    }
    Value::Dict(Rc::new(m))
}

/// The builtin `name` as a function value.
pub fn b(name: &str) -> Value {
    Value::Builtin(lookup(name).unwrap_or_else(|| panic!("no builtin {name}")))
}
