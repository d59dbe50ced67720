//! Array builtins (all but `range` also methods). Value semantics: each
//! returns a new array, but the argument array is taken by value and changed
//! through `cow::make_mut`, so a uniquely held array is updated in place and
//! `arr = push(arr, x)` in a loop is amortised O(1).

use std::collections::HashSet;

use super::helpers::{
    array_arg, array_of, builtin, check_array_size, count_arg, int_arg, resolve_index, take,
    take_array, value_cmp, FUNCTION, METHOD,
};
use super::{type_error, BuiltinDef};
use crate::rt_bail;
use crate::runtime::cow;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::{Key, Value};

const PUSH_DOC: &str = "The array with the value added at the end.";

pub static DEFS: &[BuiltinDef] = &[
    builtin("push", "push(array, value) -> array", PUSH_DOC, 2, Some(2), METHOD, push),
    builtin("append", "append(array, value) -> array", PUSH_DOC, 2, Some(2), METHOD, append),
    builtin(
        "pop",
        "pop(array) -> [array, value]",
        "Removes the last element: returns [the shorter array, the removed value]. An error on an empty array.",
        1,
        Some(1),
        METHOD,
        pop,
    ),
    builtin(
        "insert",
        "insert(array, index, value) -> array",
        "The array with the value inserted before position `index` (0..len; a negative index counts from the end).",
        3,
        Some(3),
        METHOD,
        insert,
    ),
    builtin(
        "remove_at",
        "remove_at(array, index) -> array",
        "The array without the element at `index` (a negative index counts from the end).",
        2,
        Some(2),
        METHOD,
        remove_at,
    ),
    builtin(
        "sort",
        "sort(array) -> array",
        "The elements in ascending order: all numbers (ints and floats may mix) or all strings (by code point).",
        1,
        Some(1),
        METHOD,
        sort,
    ),
    builtin(
        "unique",
        "unique(array) -> array",
        "The array without repeated elements (compared with ==), keeping each first occurrence.",
        1,
        Some(1),
        METHOD,
        unique,
    ),
    builtin(
        "sum",
        "sum(array) -> number",
        "The sum of the numbers: an int if all are ints (overflow is an error), otherwise a float; 0 for an empty array.",
        1,
        Some(1),
        METHOD,
        sum,
    ),
    builtin(
        "enumerate",
        "enumerate(array) -> array",
        "The pairs [index, element] of the array.",
        1,
        Some(1),
        METHOD,
        enumerate,
    ),
    builtin(
        "zip",
        "zip(a, b) -> array",
        "The pairs [a[i], b[i]], as many as the shorter array has.",
        2,
        Some(2),
        METHOD,
        zip,
    ),
    builtin(
        "flatten",
        "flatten(array) -> array",
        "Splices the elements that are arrays into the result (one level deep).",
        1,
        Some(1),
        METHOD,
        flatten,
    ),
    builtin("take", "take(array, n) -> array", "The first n elements (all if there are fewer).", 2, Some(2), METHOD, take_),
    builtin("skip", "skip(array, n) -> array", "The elements after the first n.", 2, Some(2), METHOD, skip),
    builtin(
        "chunk",
        "chunk(array, size) -> array",
        "The array cut into consecutive arrays of `size` elements (the last may be shorter).",
        2,
        Some(2),
        METHOD,
        chunk,
    ),
    builtin(
        "windows",
        "windows(array, size) -> array",
        "Every run of `size` consecutive elements, as arrays: windows([1, 2, 3], 2) is [[1, 2], [2, 3]].",
        2,
        Some(2),
        METHOD,
        windows,
    ),
    builtin(
        "range",
        "range(end) | range(start, end, step?) -> array",
        "The ints from start (default 0) up to but not including end, counting by step (default 1; may be negative, not 0).",
        1,
        Some(3),
        FUNCTION,
        range,
    ),
];

fn push_impl(name: &str, args: &mut [Value]) -> RtResult<Value> {
    let mut rc = take_array(name, args, 0)?;
    cow::make_mut(&mut rc).push(take(&mut args[1]));
    Ok(Value::Array(rc))
}

fn push(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    push_impl("push", args)
}

fn append(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    push_impl("append", args)
}

fn pop(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if array_of("pop", &args[0], "an array")?.is_empty() {
        rt_bail!("pop() expects a non-empty array, got an empty one");
    }
    let mut rc = take_array("pop", args, 0)?;
    let last = cow::make_mut(&mut rc).pop().unwrap_or(Value::Null);
    Ok(Value::array(vec![Value::Array(rc), last]))
}

fn insert(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let len = array_of("insert", &args[0], "an array")?.len();
    let i = int_arg("insert", &args[1], "an int index")?;
    // Insertion points run 0..=len, so -1 means "before the last element".
    let at = if i == len as i64 {
        Some(len)
    } else {
        resolve_index(i, len)
    };
    let Some(at) = at else {
        rt_bail!("insert() index out of bounds: {i} (the array has {len} elements)");
    };
    let mut rc = take_array("insert", args, 0)?;
    cow::make_mut(&mut rc)
        .values_mut()
        .insert(at, take(&mut args[2]));
    Ok(Value::Array(rc))
}

fn remove_at(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let len = array_of("remove_at", &args[0], "an array")?.len();
    let i = int_arg("remove_at", &args[1], "an int index")?;
    let Some(at) = resolve_index(i, len) else {
        rt_bail!("remove_at() index out of bounds: {i} (the array has {len} elements)");
    };
    let mut rc = take_array("remove_at", args, 0)?;
    cow::make_mut(&mut rc).values_mut().remove(at);
    Ok(Value::Array(rc))
}

fn sort(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let items = array_arg("sort", &args[0], "an array")?;
    // Check every element up front: the comparator then never meets a
    // pair it cannot order, and `value_cmp` is a total order.
    if let Some(first) = items.first() {
        let strings = matches!(first, Value::Str(_));
        for v in items.iter() {
            let ok = match v {
                Value::Str(_) => strings,
                Value::Int(_) | Value::Float(_) => !strings,
                _ => false,
            };
            if !ok {
                let what = if strings {
                    "an array of strings (not mixed with other types)"
                } else {
                    "an array of numbers or of strings"
                };
                return Err(type_error("sort", what, v));
            }
        }
    }
    let mut rc = take_array("sort", args, 0)?;
    cow::make_mut(&mut rc)
        .values_mut()
        .sort_by(|a, b| value_cmp(a, b).unwrap_or(std::cmp::Ordering::Equal));
    Ok(Value::Array(rc))
}

fn unique(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let items = array_arg("unique", &args[0], "an array")?;
    let mut out: Vec<Value> = Vec::new();
    // Ints and strings hash; anything else (floats may equal ints, arrays
    // compare deeply) falls back to comparing with what is kept so far.
    let mut seen: HashSet<Key> = HashSet::new();
    let mut kept_float = false;
    for v in items.iter() {
        let fresh = match v {
            Value::Int(n) if !kept_float => seen.insert(Key::Int(*n)),
            Value::Str(s) => seen.insert(Key::Str(s.clone())),
            _ => !out.iter().any(|o| o == v),
        };
        if fresh {
            kept_float |= matches!(v, Value::Float(_));
            out.push(v.clone());
        }
    }
    Ok(Value::array(out))
}

fn sum(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let items = array_arg("sum", &args[0], "an array")?;
    let mut total = 0i64;
    let mut float: Option<f64> = None;
    for v in items.iter() {
        match (v, float.as_mut()) {
            (Value::Int(n), None) => match total.checked_add(*n) {
                Some(t) => total = t,
                None => rt_bail!("Integer overflow: {total} + {n}"),
            },
            (Value::Int(n), Some(acc)) => *acc += *n as f64,
            (Value::Float(x), None) => float = Some(total as f64 + x),
            (Value::Float(x), Some(acc)) => *acc += x,
            _ => return Err(type_error("sum", "an array of numbers", v)),
        }
    }
    Ok(float.map_or(Value::Int(total), Value::Float))
}

fn enumerate(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let items = array_arg("enumerate", &args[0], "an array")?;
    let pairs = items
        .iter()
        .enumerate()
        .map(|(n, v)| Value::array(vec![Value::Int(n as i64), v.clone()]))
        .collect();
    Ok(Value::array(pairs))
}

fn zip(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let a = array_arg("zip", &args[0], "an array")?;
    let b = array_arg("zip", &args[1], "an array as the second argument")?;
    let pairs = a
        .iter()
        .zip(b.iter())
        .map(|(x, y)| Value::array(vec![x.clone(), y.clone()]))
        .collect();
    Ok(Value::array(pairs))
}

fn flatten(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let items = array_arg("flatten", &args[0], "an array")?;
    // Inner arrays may all share one big array: check the total first.
    let total: u128 = items
        .iter()
        .map(|v| match v {
            Value::Array(inner) => inner.len() as u128,
            _ => 1,
        })
        .sum();
    check_array_size("flatten", total)?;
    let mut out = Vec::with_capacity(total as usize);
    for v in items.iter() {
        match v {
            Value::Array(inner) => out.extend(inner.iter()),
            other => out.push(other.clone()),
        }
    }
    Ok(Value::array(out))
}

fn take_(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    array_of("take", &args[0], "an array")?;
    let n = count_arg("take", &args[1], "count")?;
    let mut rc = take_array("take", args, 0)?;
    if n < rc.len() {
        cow::make_mut(&mut rc).truncate(n);
    }
    Ok(Value::Array(rc))
}

fn skip(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    array_of("skip", &args[0], "an array")?;
    let n = count_arg("skip", &args[1], "count")?;
    let mut rc = take_array("skip", args, 0)?;
    if n > 0 {
        let v = cow::make_mut(&mut rc).values_mut();
        v.drain(..n.min(v.len()));
    }
    Ok(Value::Array(rc))
}

fn size_arg(name: &str, v: &Value) -> RtResult<usize> {
    let n = int_arg(name, v, "an int size")?;
    match usize::try_from(n) {
        Ok(n) if n > 0 => Ok(n),
        _ => rt_bail!("{name}() expects a positive size, got {n}"),
    }
}

fn chunk(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let items = array_arg("chunk", &args[0], "an array")?;
    let n = size_arg("chunk", &args[1])?;
    Ok(Value::array(
        items.chunks(n).map(|c| Value::array(c.to_vec())).collect(),
    ))
}

fn windows(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let items = array_arg("windows", &args[0], "an array")?;
    let n = size_arg("windows", &args[1])?;
    // Every window copies n elements: guard the total, not just the count.
    let count = items.len().saturating_sub(n - 1) as u128;
    check_array_size("windows", count * n as u128)?;
    Ok(Value::array(
        items.windows(n).map(|w| Value::array(w.to_vec())).collect(),
    ))
}

fn range(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let nums: Vec<i64> = args
        .iter()
        .map(|v| int_arg("range", v, "int arguments"))
        .collect::<RtResult<_>>()?;
    let (start, end, step) = match nums[..] {
        [end] => (0, end, 1),
        [start, end] => (start, end, 1),
        [start, end, step] => (start, end, step),
        _ => rt_bail!("range() expects 1 to 3 arguments, got {}", nums.len()),
    };
    if step == 0 {
        rt_bail!("range() step must not be 0");
    }
    // Count in i128 so no combination of bounds can overflow.
    let (s, e, st) = (i128::from(start), i128::from(end), i128::from(step));
    let count = if st > 0 {
        ((e - s).max(0) + st - 1) / st
    } else {
        ((s - e).max(0) + (-st) - 1) / (-st)
    };
    check_array_size("range", count as u128)?;
    let out = (0..count)
        .map(|k| Value::Int((s + k * st) as i64))
        .collect();
    Ok(Value::array(out))
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::super::test_support::*;
    use crate::runtime::format::display;
    use crate::runtime::value::Value;

    #[test]
    fn push_on_unique_array_does_not_copy() {
        let mut h = FakeHost::default();
        let mut a = Value::array(Vec::with_capacity(4));
        let Value::Array(rc) = &a else { unreachable!() };
        let before = Rc::as_ptr(rc);
        for n in 0..3 {
            a = call_on(&mut h, "push", vec![a, i(n)]).unwrap();
        }
        let Value::Array(rc) = &a else { unreachable!() };
        assert_eq!(Rc::as_ptr(rc), before);
        assert_eq!(display(&a), "[0, 1, 2]");
    }

    #[test]
    fn push_on_shared_array_copies() {
        let a = ints(&[1]);
        let b = call("push", vec![a.clone(), i(2)]).unwrap();
        assert_eq!(display(&a), "[1]");
        assert_eq!(display(&b), "[1, 2]");
    }

    #[test]
    fn push_append_pop() {
        assert_eq!(show("push", vec![ints(&[1]), s("x")]), "[1, x]");
        assert_eq!(show("append", vec![ints(&[]), i(2)]), "[2]");
        assert_eq!(
            err("push", vec![s("a"), i(1)]),
            "push() expects an array, got string"
        );
        assert_eq!(
            err("append", vec![i(1), i(1)]),
            "append() expects an array, got int"
        );
        assert_eq!(show("pop", vec![ints(&[1, 2])]), "[[1], 2]");
        assert_eq!(
            err("pop", vec![ints(&[])]),
            "pop() expects a non-empty array, got an empty one"
        );
        assert_eq!(
            err("pop", vec![dict(vec![])]),
            "pop() expects an array, got dict"
        );
    }

    #[test]
    fn insert_and_remove_at() {
        assert_eq!(show("insert", vec![ints(&[1, 3]), i(1), i(2)]), "[1, 2, 3]");
        assert_eq!(show("insert", vec![ints(&[1]), i(1), i(2)]), "[1, 2]");
        assert_eq!(
            show("insert", vec![ints(&[1, 3]), i(-1), i(2)]),
            "[1, 2, 3]"
        );
        assert_eq!(show("insert", vec![ints(&[]), i(0), i(9)]), "[9]");
        assert_eq!(
            err("insert", vec![ints(&[1]), i(5), i(0)]),
            "insert() index out of bounds: 5 (the array has 1 elements)"
        );
        assert_eq!(
            err("insert", vec![ints(&[1]), s("0"), i(0)]),
            "insert() expects an int index, got string"
        );
        assert_eq!(
            err("insert", vec![s("x"), i(0), i(0)]),
            "insert() expects an array, got string"
        );
        assert_eq!(show("remove_at", vec![ints(&[1, 2, 3]), i(0)]), "[2, 3]");
        assert_eq!(show("remove_at", vec![ints(&[1, 2, 3]), i(-1)]), "[1, 2]");
        assert!(err("remove_at", vec![ints(&[]), i(0)])
            .starts_with("remove_at() index out of bounds: 0"));
        assert_eq!(
            err("remove_at", vec![ints(&[1]), Value::Null]),
            "remove_at() expects an int index, got null"
        );
    }

    #[test]
    fn sorting_and_unique() {
        assert_eq!(
            show("sort", vec![arr(vec![i(3), f(1.5), i(-2), i(1)])]),
            "[-2, 1, 1.5, 3]"
        );
        assert_eq!(
            show("sort", vec![arr(vec![s("b"), s("B"), s("a")])]),
            "[B, a, b]"
        );
        assert_eq!(show("sort", vec![ints(&[])]), "[]");
        assert_eq!(show("sort", vec![arr(vec![f(f64::NAN), i(1)])]), "[1, NaN]");
        assert_eq!(
            err("sort", vec![arr(vec![i(1), s("a")])]),
            "sort() expects an array of numbers or of strings, got string"
        );
        assert_eq!(
            err("sort", vec![arr(vec![s("a"), i(1)])]),
            "sort() expects an array of strings (not mixed with other types), got int"
        );
        assert_eq!(
            err("sort", vec![s("cba")]),
            "sort() expects an array, got string"
        );
        assert_eq!(show("unique", vec![ints(&[1, 2, 1, 3, 2])]), "[1, 2, 3]");
        assert_eq!(
            show("unique", vec![arr(vec![i(1), f(1.0), s("1"), s("1")])]),
            "[1, 1]"
        );
        assert_eq!(
            show(
                "unique",
                vec![arr(vec![f(1.0), i(1), ints(&[2]), ints(&[2])])]
            ),
            "[1, [2]]"
        );
        assert_eq!(
            err("unique", vec![i(1)]),
            "unique() expects an array, got int"
        );
    }

    #[test]
    fn summing() {
        assert_eq!(show("sum", vec![ints(&[1, 2, 3])]), "6");
        assert_eq!(show("sum", vec![ints(&[])]), "0");
        assert_eq!(show("sum", vec![arr(vec![i(1), f(0.5)])]), "1.5");
        assert_eq!(
            show(
                "type",
                vec![call("sum", vec![arr(vec![f(1.0), i(1)])]).unwrap()]
            ),
            "float"
        );
        assert_eq!(
            err("sum", vec![ints(&[i64::MAX, 1])]),
            "Integer overflow: 9223372036854775807 + 1"
        );
        assert_eq!(
            err("sum", vec![arr(vec![i(1), s("2")])]),
            "sum() expects an array of numbers, got string"
        );
        assert_eq!(err("sum", vec![i(1)]), "sum() expects an array, got int");
    }

    #[test]
    fn reshaping() {
        assert_eq!(
            show("enumerate", vec![arr(vec![s("a"), s("b")])]),
            "[[0, a], [1, b]]"
        );
        assert_eq!(
            err("enumerate", vec![s("ab")]),
            "enumerate() expects an array, got string"
        );
        assert_eq!(
            show("zip", vec![ints(&[1, 2, 3]), arr(vec![s("a"), s("b")])]),
            "[[1, a], [2, b]]"
        );
        assert_eq!(
            err("zip", vec![ints(&[1]), i(2)]),
            "zip() expects an array as the second argument, got int"
        );
        assert_eq!(
            show(
                "flatten",
                vec![arr(vec![ints(&[1, 2]), i(3), arr(vec![ints(&[4])])])]
            ),
            "[1, 2, 3, [4]]"
        );
        assert_eq!(
            err("flatten", vec![i(1)]),
            "flatten() expects an array, got int"
        );
        let big = call("range", vec![i(1 << 20)]).unwrap();
        assert!(err("flatten", vec![arr(vec![big.clone(); 200])]).contains("too large"));
        let many: Vec<_> = std::iter::repeat_n(big, 130).collect();
        assert!(err("concat", many).contains("too large"));
        assert_eq!(show("take", vec![ints(&[1, 2, 3]), i(2)]), "[1, 2]");
        assert_eq!(show("take", vec![ints(&[1]), i(5)]), "[1]");
        assert_eq!(show("skip", vec![ints(&[1, 2, 3]), i(2)]), "[3]");
        assert_eq!(show("skip", vec![ints(&[1]), i(5)]), "[]");
        assert_eq!(
            err("take", vec![ints(&[1]), i(-1)]),
            "take() expects a non-negative count, got -1"
        );
        assert_eq!(
            err("skip", vec![s("x"), i(1)]),
            "skip() expects an array, got string"
        );
        assert_eq!(
            show("chunk", vec![ints(&[1, 2, 3, 4, 5]), i(2)]),
            "[[1, 2], [3, 4], [5]]"
        );
        assert_eq!(
            err("chunk", vec![ints(&[1]), i(0)]),
            "chunk() expects a positive size, got 0"
        );
        assert_eq!(
            show("windows", vec![ints(&[1, 2, 3]), i(2)]),
            "[[1, 2], [2, 3]]"
        );
        assert_eq!(show("windows", vec![ints(&[1]), i(2)]), "[]");
        assert_eq!(
            err("windows", vec![ints(&[1]), s("2")]),
            "windows() expects an int size, got string"
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(show("range", vec![i(4)]), "[0, 1, 2, 3]");
        assert_eq!(show("range", vec![i(2), i(5)]), "[2, 3, 4]");
        assert_eq!(show("range", vec![i(0), i(10), i(3)]), "[0, 3, 6, 9]");
        assert_eq!(show("range", vec![i(5), i(0), i(-2)]), "[5, 3, 1]");
        assert_eq!(show("range", vec![i(5), i(1)]), "[]");
        assert_eq!(show("range", vec![i(-3)]), "[]");
        assert_eq!(
            show("range", vec![i(i64::MAX - 1), i(i64::MAX)]),
            "[9223372036854775806]"
        );
        assert_eq!(
            err("range", vec![i(0), i(5), i(0)]),
            "range() step must not be 0"
        );
        assert_eq!(
            err("range", vec![f(1.0)]),
            "range() expects int arguments, got float"
        );
        assert!(err("range", vec![i(i64::MIN), i(i64::MAX)])
            .starts_with("range() result would be too large"));
        assert!(err("range", vec![]).contains("expects 1 to 3 arguments"));
    }
}
