//! Builtins that work on several kinds of collection and dispatch on their
//! first argument: `len`, `is_empty`, `contains`, `index_of`, `slice`,
//! `reverse`, `concat`. Each is one registry entry (and method) for all the
//! types it accepts.

use std::rc::Rc;

use super::helpers::{
    builtin, char_len, char_slice, check_array_size, int_arg, key_of, slice_bounds, str_arg, take,
    take_array, METHOD,
};
use super::{type_error, BuiltinDef};
use crate::runtime::array::Array;
use crate::runtime::cow;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[
    builtin(
        "len",
        "len(collection) -> int",
        "The number of elements of an array, entries of a dict, or characters (Unicode scalar values) of a string.",
        1,
        Some(1),
        METHOD,
        len,
    ),
    builtin(
        "is_empty",
        "is_empty(collection) -> bool",
        "True if the array, dict or string has no elements.",
        1,
        Some(1),
        METHOD,
        is_empty,
    ),
    builtin(
        "contains",
        "contains(collection, item) -> bool",
        "For a string: whether `item` occurs in it as a substring. For an array: whether an element equals `item`. For a dict: whether `item` is a key.",
        2,
        Some(2),
        METHOD,
        contains,
    ),
    builtin(
        "index_of",
        "index_of(collection, item) -> int",
        "The index of the first element equal to `item` in an array, or the character index of the first occurrence of a substring in a string; -1 when absent.",
        2,
        Some(2),
        METHOD,
        index_of,
    ),
    builtin(
        "slice",
        "slice(collection, start, end?) -> array | string",
        "The elements (or characters) from `start` up to but not including `end` (default: the end). Negative indices count from the end; out-of-range indices are clamped.",
        2,
        Some(3),
        METHOD,
        slice,
    ),
    builtin(
        "reverse",
        "reverse(collection) -> array | string",
        "The array with its elements in reverse order (or the string with its characters reversed).",
        1,
        Some(1),
        METHOD,
        reverse,
    ),
    builtin(
        "concat",
        "concat(a, b, ...) -> array | string",
        "Joins two or more arrays into one array, or two or more strings into one string.",
        2,
        None,
        METHOD,
        concat,
    ),
];

const ANY_COLLECTION: &str = "an array, dict or string";

fn len(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let n = match &args[0] {
        Value::Str(s) => char_len(s),
        Value::Array(a) => a.len(),
        Value::Dict(d) => d.len(),
        v => return Err(type_error("len", ANY_COLLECTION, v)),
    };
    Ok(Value::Int(n as i64))
}

fn is_empty(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(match &args[0] {
        Value::Str(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Dict(d) => d.is_empty(),
        v => return Err(type_error("is_empty", ANY_COLLECTION, v)),
    }))
}

/// Shared with `assert_contains`.
pub(super) fn contains_impl(name: &str, coll: &Value, item: &Value) -> RtResult<bool> {
    Ok(match coll {
        Value::Str(s) => s.contains(str_arg(name, item, "a string to search for in a string")?),
        Value::Array(a) => a.iter().any(|x| &x == item),
        Value::Dict(d) => d.contains_key(&key_of(item)?),
        v => return Err(type_error(name, ANY_COLLECTION, v)),
    })
}

fn contains(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    contains_impl("contains", &args[0], &args[1]).map(Value::Bool)
}

fn index_of(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let found = match &args[0] {
        Value::Str(s) => {
            let needle = str_arg("index_of", &args[1], "a string to search for in a string")?;
            s.find(needle).map(|byte| char_len(&s[..byte]))
        }
        Value::Array(a) => a.iter().position(|x| x == args[1]),
        v => return Err(type_error("index_of", "an array or string", v)),
    };
    Ok(Value::Int(found.map_or(-1, |i| i as i64)))
}

fn slice(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let start = int_arg("slice", &args[1], "an int start index")?;
    let end = match args.get(2) {
        None | Some(Value::Null) => None,
        Some(v) => Some(int_arg("slice", v, "an int end index")?),
    };
    match &args[0] {
        Value::Str(s) => {
            let (a, b) = slice_bounds(start, end, char_len(s));
            Ok(Value::str(char_slice(s, a, b)))
        }
        Value::Array(items) => {
            let (a, b) = slice_bounds(start, end, items.len());
            let mut rc = take_array("slice", args, 0)?;
            // A uniquely held array is cut down in place.
            if let Some(arr) = Rc::get_mut(&mut rc) {
                arr.truncate(b);
                if a > 0 {
                    arr.values_mut().drain(..a);
                }
                return Ok(Value::Array(rc));
            }
            Ok(Value::array(rc.iter().skip(a).take(b - a).collect()))
        }
        v => Err(type_error("slice", "an array or string", v)),
    }
}

fn reverse(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    match &args[0] {
        Value::Str(s) => Ok(Value::str(s.chars().rev().collect::<String>())),
        Value::Array(_) => {
            let mut rc = take_array("reverse", args, 0)?;
            cow::make_mut(&mut rc).values_mut().reverse();
            Ok(Value::Array(rc))
        }
        v => Err(type_error("reverse", "an array or string", v)),
    }
}

fn concat(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    match &args[0] {
        Value::Array(_) => {
            let mut total = 0u128;
            for v in args.iter() {
                match v {
                    Value::Array(a) => total += a.len() as u128,
                    _ => return Err(type_error("concat", "only arrays after an array", v)),
                }
            }
            check_array_size("concat", total)?;
            let mut rc = take_array("concat", args, 0)?;
            let out = cow::make_mut(&mut rc);
            for v in &mut args[1..] {
                if let Value::Array(more) = take(v) {
                    // Move the elements when this argument is the only holder.
                    match Rc::try_unwrap(more) {
                        Ok(items @ Array::Values(_)) if !out.is_empty() => {
                            out.values_mut().extend(items.into_values())
                        }
                        Ok(items) => out.extend(&items),
                        Err(shared) => out.extend(&shared),
                    }
                }
            }
            Ok(Value::Array(rc))
        }
        Value::Str(_) => {
            let mut total = 0usize;
            for v in args.iter() {
                total += str_arg("concat", v, "only strings after a string")?.len();
            }
            let mut out = String::with_capacity(total);
            for v in args.iter() {
                if let Value::Str(s) = v {
                    out.push_str(s);
                }
            }
            Ok(Value::str(out))
        }
        v => Err(type_error("concat", "arrays or strings", v)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    #[test]
    fn len_and_is_empty() {
        assert_eq!(show("len", vec![s("héllo")]), "5");
        assert_eq!(show("len", vec![s("😀")]), "1");
        assert_eq!(show("len", vec![ints(&[1, 2])]), "2");
        assert_eq!(show("len", vec![dict(vec![(i(1), i(2))])]), "1");
        assert_eq!(
            err("len", vec![i(5)]),
            "len() expects an array, dict or string, got int"
        );
        assert_eq!(show("is_empty", vec![s("")]), "true");
        assert_eq!(show("is_empty", vec![ints(&[1])]), "false");
        assert_eq!(show("is_empty", vec![dict(vec![])]), "true");
        assert_eq!(
            err("is_empty", vec![Value::Null]),
            "is_empty() expects an array, dict or string, got null"
        );
    }

    #[test]
    fn contains_and_index_of() {
        assert_eq!(show("contains", vec![s("hello"), s("ell")]), "true");
        assert_eq!(show("contains", vec![s("hello"), s("x")]), "false");
        assert_eq!(show("contains", vec![ints(&[1, 2]), f(2.0)]), "true");
        assert_eq!(
            show("contains", vec![arr(vec![ints(&[1])]), ints(&[1])]),
            "true"
        );
        assert_eq!(
            show("contains", vec![dict(vec![(s("a"), i(1))]), s("a")]),
            "true"
        );
        assert_eq!(
            show("contains", vec![dict(vec![(s("a"), i(1))]), i(1)]),
            "false"
        );
        assert_eq!(
            err("contains", vec![dict(vec![]), f(1.0)]),
            "Dict keys must be int or string, got float"
        );
        assert_eq!(
            err("contains", vec![s("a"), i(1)]),
            "contains() expects a string to search for in a string, got int"
        );
        assert_eq!(
            err("contains", vec![i(1), i(1)]),
            "contains() expects an array, dict or string, got int"
        );
        assert_eq!(show("index_of", vec![s("héllo"), s("l")]), "2");
        assert_eq!(show("index_of", vec![s("hello"), s("z")]), "-1");
        assert_eq!(show("index_of", vec![ints(&[5, 6, 7]), i(7)]), "2");
        assert_eq!(show("index_of", vec![ints(&[5]), i(9)]), "-1");
        assert_eq!(
            err("index_of", vec![dict(vec![]), i(1)]),
            "index_of() expects an array or string, got dict"
        );
    }

    #[test]
    fn slicing() {
        assert_eq!(
            show("slice", vec![ints(&[1, 2, 3, 4]), i(1), i(3)]),
            "[2, 3]"
        );
        assert_eq!(show("slice", vec![ints(&[1, 2, 3, 4]), i(-2)]), "[3, 4]");
        assert_eq!(show("slice", vec![ints(&[1, 2, 3]), i(2), i(1)]), "[]");
        assert_eq!(
            show("slice", vec![ints(&[1, 2, 3]), i(-100), i(100)]),
            "[1, 2, 3]"
        );
        assert_eq!(show("slice", vec![s("héllo"), i(1), i(-1)]), "éll");
        assert_eq!(show("slice", vec![s("abc"), i(5)]), "");
        let shared = ints(&[1, 2, 3]);
        assert_eq!(show("slice", vec![shared.clone(), i(1)]), "[2, 3]");
        assert_eq!(format!("{shared:?}"), "[1, 2, 3]");
        assert_eq!(
            err("slice", vec![ints(&[]), s("1")]),
            "slice() expects an int start index, got string"
        );
        assert_eq!(
            err("slice", vec![ints(&[]), i(0), f(1.0)]),
            "slice() expects an int end index, got float"
        );
        assert_eq!(
            err("slice", vec![i(1), i(0)]),
            "slice() expects an array or string, got int"
        );
    }

    #[test]
    fn reverse_and_concat() {
        assert_eq!(show("reverse", vec![ints(&[1, 2, 3])]), "[3, 2, 1]");
        assert_eq!(show("reverse", vec![s("héllo")]), "olléh");
        assert_eq!(
            err("reverse", vec![i(1)]),
            "reverse() expects an array or string, got int"
        );
        assert_eq!(
            show("concat", vec![ints(&[1]), ints(&[2, 3]), ints(&[])]),
            "[1, 2, 3]"
        );
        assert_eq!(show("concat", vec![s("ab"), s("cé")]), "abcé");
        assert_eq!(
            err("concat", vec![ints(&[1]), s("x")]),
            "concat() expects only arrays after an array, got string"
        );
        assert_eq!(
            err("concat", vec![s("x"), i(1)]),
            "concat() expects only strings after a string, got int"
        );
        assert_eq!(
            err("concat", vec![i(1), i(1)]),
            "concat() expects arrays or strings, got int"
        );
        assert!(err("concat", vec![ints(&[])]).contains("at least 2 arguments"));
    }
}
