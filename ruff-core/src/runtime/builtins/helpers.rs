//! Shared argument checking and small utilities for the builtin areas.
//!
//! Conventions every area follows:
//! - arity is checked centrally by `builtins::call`, so `args[i]` for
//!   `i < min_args` is always present; optional arguments use `args.get(i)`;
//! - every argument is validated *before* a collection is taken out of
//!   `args[0]`, so a failing call leaves its arguments intact;
//! - a collection is taken by value (`take_array`/`take_dict`) and changed
//!   through `cow::make_mut`, which copies only when it is shared (and
//!   counts the copies, so tests can prove there are none).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::rc::Rc;

use super::{type_error, BuiltinDef, BuiltinFn};
use crate::rt_bail;
use crate::runtime::array::Array;
use crate::runtime::error::{RtError, RtResult};
use crate::runtime::format::display;
use crate::runtime::value::{DictMap, Key, Value};

/// Largest string, in bytes, that a builtin builds (`repeat`, `pad_start`,
/// `join`...). Past it the call fails instead of trying to allocate.
pub const MAX_STR_BYTES: usize = 1 << 31;
/// Largest array a builtin builds (`range`, `windows`...): 2^27 values are
/// already 2 GiB, so a typo like `range(10**12)` fails with a clear message
/// instead of aborting the process on allocation failure.
pub const MAX_ARRAY_LEN: usize = 1 << 27;

/// Marks a builtin that is also a method on its first argument (§10 "(m)").
pub const METHOD: bool = true;
/// Marks a builtin that is only a global function.
pub const FUNCTION: bool = false;

/// A `BuiltinDef` in one line, so the `DEFS` tables stay readable.
pub const fn builtin(
    name: &'static str,
    signature: &'static str,
    doc: &'static str,
    min_args: u8,
    max_args: Option<u8>,
    method: bool,
    func: BuiltinFn,
) -> BuiltinDef {
    BuiltinDef {
        name,
        signature,
        doc,
        min_args,
        max_args,
        method,
        func,
    }
}

/// Moves a value out of an argument slot (leaving `null`).
pub fn take(v: &mut Value) -> Value {
    std::mem::replace(v, Value::Null)
}

pub fn int_arg(name: &str, v: &Value, what: &str) -> RtResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        _ => Err(type_error(name, what, v)),
    }
}

pub fn num_arg(name: &str, v: &Value, what: &str) -> RtResult<f64> {
    v.as_f64().ok_or_else(|| type_error(name, what, v))
}

pub fn str_arg<'a>(name: &str, v: &'a Value, what: &str) -> RtResult<&'a str> {
    match v {
        Value::Str(s) => Ok(s.as_str()),
        _ => Err(type_error(name, what, v)),
    }
}

/// An array argument, for its length or kind (nothing copied).
pub fn array_of<'a>(name: &str, v: &'a Value, what: &str) -> RtResult<&'a Array> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(type_error(name, what, v)),
    }
}

/// An array argument's elements (copied out only if the array is compact).
pub fn array_arg<'a>(name: &str, v: &'a Value, what: &str) -> RtResult<Cow<'a, [Value]>> {
    array_of(name, v, what).map(Array::values)
}

pub fn dict_arg<'a>(name: &str, v: &'a Value, what: &str) -> RtResult<&'a DictMap> {
    match v {
        Value::Dict(d) => Ok(d),
        _ => Err(type_error(name, what, v)),
    }
}

/// A callable argument (user function, closure or builtin), cloned so the
/// caller can keep using `args` while calling it.
pub fn func_arg(name: &str, v: &Value) -> RtResult<Value> {
    match v {
        Value::Func(_) | Value::Builtin(_) => Ok(v.clone()),
        _ => Err(type_error(name, "a function", v)),
    }
}

/// A count or size: an int that is not negative.
pub fn count_arg(name: &str, v: &Value, what: &str) -> RtResult<usize> {
    let n = int_arg(name, v, &format!("an int {what}"))?;
    usize::try_from(n)
        .map_err(|_| RtError::msg(format!("{name}() expects a non-negative {what}, got {n}")))
}

/// Takes the array out of `args[i]` for in-place change. On a type error the
/// argument is put back untouched.
pub fn take_array(name: &str, args: &mut [Value], i: usize) -> RtResult<Rc<Array>> {
    match take(&mut args[i]) {
        Value::Array(a) => Ok(a),
        other => {
            let e = type_error(name, "an array", &other);
            args[i] = other;
            Err(e)
        }
    }
}

/// Takes the dict out of `args[i]` for in-place change (see `take_array`).
pub fn take_dict(name: &str, args: &mut [Value], i: usize) -> RtResult<Rc<DictMap>> {
    match take(&mut args[i]) {
        Value::Dict(d) => Ok(d),
        other => {
            let e = type_error(name, "a dict", &other);
            args[i] = other;
            Err(e)
        }
    }
}

/// A dict key (§2: only int and string keys exist).
pub fn key_of(v: &Value) -> RtResult<Key> {
    v.as_key().ok_or_else(|| {
        RtError::msg(format!(
            "Dict keys must be int or string, got {}",
            v.type_name()
        ))
    })
}

/// Fails when a string result would pass `MAX_STR_BYTES`. Takes `u128` so
/// callers can multiply sizes without overflow.
pub fn check_str_size(name: &str, bytes: u128) -> RtResult<()> {
    if bytes > MAX_STR_BYTES as u128 {
        rt_bail!(
            "{name}() result would be too large ({bytes} bytes; the limit is {MAX_STR_BYTES})"
        );
    }
    Ok(())
}

/// Fails when an array result would pass `MAX_ARRAY_LEN`.
pub fn check_array_size(name: &str, len: u128) -> RtResult<()> {
    if len > MAX_ARRAY_LEN as u128 {
        rt_bail!(
            "{name}() result would be too large ({len} elements; the limit is {MAX_ARRAY_LEN})"
        );
    }
    Ok(())
}

/// Orders two numbers by their exact mathematical values (an int against a
/// float is not rounded first, so 2^53 + 1 > 2^53 as float), with NaN after
/// everything. That makes it a total order, which `sort_by` requires (Rust's
/// sort may panic on an inconsistent comparator). `None` if either is not a
/// number.
pub fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    Some(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => float_cmp(*x, *y),
        (Value::Int(x), Value::Float(y)) => int_float_cmp(*x, *y),
        (Value::Float(x), Value::Int(y)) => int_float_cmp(*y, *x).reverse(),
        _ => return None,
    })
}

fn float_cmp(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

fn int_float_cmp(i: i64, f: f64) -> Ordering {
    // 2^63 is exactly representable; every i64 is below it and at or above -2^63.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // In range and integral, so the conversion is exact.
    match i.cmp(&(whole as i64)) {
        Ordering::Equal => 0.0f64.partial_cmp(&(f - whole)).unwrap_or(Ordering::Equal),
        o => o,
    }
}

/// Compares two values for `sort`/`min`/`max`: numbers with numbers, strings
/// with strings (by code point); `None` for any other pairing.
pub fn value_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => num_cmp(a, b),
    }
}

/// An element index: negative counts from the end; `None` when out of range.
pub fn resolve_index(i: i64, len: usize) -> Option<usize> {
    let n = i64::try_from(len).ok()?;
    let j = if i < 0 { i.checked_add(n)? } else { i };
    if (0..n).contains(&j) {
        Some(j as usize)
    } else {
        None
    }
}

/// Python-style slice bounds: negative indices count from the end, then
/// both ends are clamped to `0..=len`; an empty range when `end <= start`.
pub fn slice_bounds(start: i64, end: Option<i64>, len: usize) -> (usize, usize) {
    let n = i64::try_from(len).unwrap_or(i64::MAX);
    let fix = |i: i64| {
        if i < 0 {
            i.saturating_add(n).max(0)
        } else {
            i.min(n)
        }
    };
    let s = fix(start);
    let e = end.map_or(n, fix).max(s);
    (s as usize, e as usize)
}

/// Length in characters (Unicode scalar values), as `len` counts.
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Byte offset of character `i`, or `s.len()` when `i` is past the end.
/// Always a char boundary, so slicing with it cannot panic.
pub fn byte_offset(s: &str, i: usize) -> usize {
    if s.is_ascii() {
        i.min(s.len())
    } else {
        s.char_indices().nth(i).map_or(s.len(), |(b, _)| b)
    }
}

/// The characters `start..end` of `s` (character indices, clamped).
pub fn char_slice(s: &str, start: usize, end: usize) -> &str {
    let a = byte_offset(s, start);
    let b = byte_offset(s, end).max(a);
    &s[a..b]
}

/// A value as assertion messages show it: strings quoted (so `"3"` and `3`
/// are told apart), everything else as `to_string`.
pub fn repr(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{:?}", s.as_str()),
        _ => display(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn num_cmp_is_exact_and_total() {
        let big = Value::Int((1 << 53) + 1);
        let f = Value::Float((1u64 << 53) as f64);
        assert_eq!(num_cmp(&big, &f), Some(Ordering::Greater));
        assert_eq!(
            num_cmp(&Value::Int(2), &Value::Float(2.5)),
            Some(Ordering::Less)
        );
        assert_eq!(
            num_cmp(&Value::Int(0), &Value::Float(-0.5)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            num_cmp(&Value::Int(0), &Value::Float(-0.0)),
            Some(Ordering::Equal)
        );
        assert_eq!(
            num_cmp(&Value::Int(i64::MAX), &Value::Float(f64::INFINITY)),
            Some(Ordering::Less)
        );
        assert_eq!(
            num_cmp(&Value::Float(f64::NAN), &Value::Int(1)),
            Some(Ordering::Greater)
        );
        assert_eq!(num_cmp(&Value::Int(1), &Value::Null), None);
    }

    #[test]
    fn indices() {
        assert_eq!(resolve_index(-1, 3), Some(2));
        assert_eq!(resolve_index(3, 3), None);
        assert_eq!(resolve_index(i64::MIN, 3), None);
        assert_eq!(slice_bounds(-2, None, 5), (3, 5));
        assert_eq!(slice_bounds(4, Some(2), 5), (4, 4));
        assert_eq!(slice_bounds(i64::MIN, Some(i64::MAX), 5), (0, 5));
        assert_eq!(char_slice("héllo", 1, 3), "él");
        assert_eq!(char_slice("héllo", 4, 99), "o");
    }
}
