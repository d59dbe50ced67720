//! Dict builtins (all also methods). `keys`, `values` and `items` list the
//! entries in sorted key order (ints ascending, then strings by code point),
//! the order `print` uses; the dict itself keeps insertion order. Functions
//! that change a dict take it by value and use `cow::make_mut`, so a uniquely
//! held dict is updated in place.

use std::rc::Rc;

use super::helpers::{
    builtin, dict_arg, key_of, resolve_index, take, take_array, take_dict, METHOD,
};
use super::{type_error, BuiltinDef};
use crate::runtime::cow;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::{DictMap, Key, Value};

pub static DEFS: &[BuiltinDef] = &[
    builtin("keys", "keys(dict) -> array", "The keys, in sorted order (ints ascending, then strings).", 1, Some(1), METHOD, keys),
    builtin("values", "values(dict) -> array", "The values, in the sorted order of their keys.", 1, Some(1), METHOD, values),
    builtin(
        "items",
        "items(dict) -> array",
        "The pairs [key, value], in sorted key order.",
        1,
        Some(1),
        METHOD,
        items,
    ),
    builtin("has_key", "has_key(dict, key) -> bool", "True if the dict has the key.", 2, Some(2), METHOD, has_key),
    builtin(
        "get",
        "get(dict, key) -> value | null",
        "The value for the key, or null when absent. Also works on an array with an index (negative counts from the end).",
        2,
        Some(2),
        METHOD,
        get,
    ),
    builtin(
        "get_default",
        "get_default(dict, key, default) -> value",
        "The value for the key, or `default` when absent. Also works on an array with an index.",
        3,
        Some(3),
        METHOD,
        get_default,
    ),
    builtin(
        "merge",
        "merge(a, b, ...) -> dict",
        "The entries of all the dicts; for a key in several, the later dict wins. New keys go at the end.",
        2,
        None,
        METHOD,
        merge,
    ),
    builtin(
        "update",
        "update(dict, other) -> dict | update(dict, key, value) -> dict",
        "With a dict: its entries are added (replacing existing keys), like merge. With a key and value: the dict with that entry set.",
        2,
        Some(3),
        METHOD,
        update,
    ),
    builtin(
        "invert",
        "invert(dict) -> dict",
        "A dict mapping each value to its key; the values must be ints or strings (for repeated values, the last key wins).",
        1,
        Some(1),
        METHOD,
        invert,
    ),
    builtin(
        "clear",
        "clear(collection) -> dict | array",
        "An empty dict (or an empty array, for an array).",
        1,
        Some(1),
        METHOD,
        clear,
    ),
    builtin(
        "remove",
        "remove(dict, key) -> [dict, value]",
        "Removes the key: returns [the dict without it, the removed value (null if it was absent)]. The other keys keep their order.",
        2,
        Some(2),
        METHOD,
        remove,
    ),
];

fn sorted_entries(d: &DictMap) -> Vec<(&Key, &Value)> {
    let mut entries: Vec<_> = d.iter().collect();
    entries.sort_by(|a, b| a.0.sort_cmp(b.0));
    entries
}

fn keys(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let d = dict_arg("keys", &args[0], "a dict")?;
    Ok(Value::array(
        sorted_entries(d)
            .into_iter()
            .map(|(k, _)| k.to_value())
            .collect(),
    ))
}

fn values(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let d = dict_arg("values", &args[0], "a dict")?;
    Ok(Value::array(
        sorted_entries(d)
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect(),
    ))
}

fn items(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let d = dict_arg("items", &args[0], "a dict")?;
    let pairs = sorted_entries(d)
        .into_iter()
        .map(|(k, v)| Value::array(vec![k.to_value(), v.clone()]))
        .collect();
    Ok(Value::array(pairs))
}

fn has_key(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let d = dict_arg("has_key", &args[0], "a dict")?;
    Ok(Value::Bool(d.contains_key(&key_of(&args[1])?)))
}

/// `get`/`get_default`: `None` when the key or index is absent.
fn lookup(name: &str, args: &[Value]) -> RtResult<Option<Value>> {
    match &args[0] {
        Value::Dict(d) => Ok(d.get(&key_of(&args[1])?).cloned()),
        Value::Array(a) => match &args[1] {
            Value::Int(i) => Ok(resolve_index(*i, a.len()).and_then(|j| a.get(j))),
            v => Err(type_error(name, "an int index for an array", v)),
        },
        v => Err(type_error(name, "a dict or array", v)),
    }
}

fn get(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(lookup("get", args)?.unwrap_or(Value::Null))
}

fn get_default(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    match lookup("get_default", args)? {
        Some(v) => Ok(v),
        None => Ok(take(&mut args[2])),
    }
}

/// Adds every entry of the dicts `args[1..]` to the dict taken from `args[0]`.
fn merge_into(name: &str, args: &mut [Value]) -> RtResult<Value> {
    dict_arg(name, &args[0], "a dict")?;
    for v in &args[1..] {
        dict_arg(name, v, "only dicts to merge")?;
    }
    let mut rc = take_dict(name, args, 0)?;
    let out = cow::make_mut(&mut rc);
    for v in &mut args[1..] {
        if let Value::Dict(more) = take(v) {
            match Rc::try_unwrap(more) {
                Ok(map) => out.extend(map),
                Err(shared) => out.extend(shared.iter().map(|(k, v)| (k.clone(), v.clone()))),
            }
        }
    }
    Ok(Value::Dict(rc))
}

fn merge(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    merge_into("merge", args)
}

fn update(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if args.len() == 2 {
        return merge_into("update", args);
    }
    dict_arg("update", &args[0], "a dict")?;
    let key = key_of(&args[1])?;
    let mut rc = take_dict("update", args, 0)?;
    cow::make_mut(&mut rc).insert(key, take(&mut args[2]));
    Ok(Value::Dict(rc))
}

fn invert(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let d = dict_arg("invert", &args[0], "a dict")?;
    let mut out = DictMap::with_capacity(d.len());
    for (k, v) in d {
        let Some(new_key) = v.as_key() else {
            return Err(type_error(
                "invert",
                "a dict whose values are ints or strings",
                v,
            ));
        };
        out.insert(new_key, k.to_value());
    }
    Ok(Value::dict(out))
}

fn clear(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    match &args[0] {
        Value::Dict(_) => {
            let mut rc = take_dict("clear", args, 0)?;
            cow::make_mut(&mut rc).clear();
            Ok(Value::Dict(rc))
        }
        Value::Array(_) => {
            let mut rc = take_array("clear", args, 0)?;
            cow::make_mut(&mut rc).truncate(0);
            Ok(Value::Array(rc))
        }
        v => Err(type_error("clear", "a dict or array", v)),
    }
}

fn remove(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    dict_arg("remove", &args[0], "a dict")?;
    let key = key_of(&args[1])?;
    let mut rc = take_dict("remove", args, 0)?;
    // Copy (if shared) only when there is something to remove.
    let removed = if rc.contains_key(&key) {
        // shift_remove keeps the insertion order of the remaining keys.
        cow::make_mut(&mut rc).shift_remove(&key)
    } else {
        None
    };
    Ok(Value::array(vec![
        Value::Dict(rc),
        removed.unwrap_or(Value::Null),
    ]))
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::super::test_support::*;
    use crate::runtime::format::display;
    use crate::runtime::value::Value;

    fn sample() -> Value {
        dict(vec![
            (s("b"), i(2)),
            (i(10), s("ten")),
            (s("a"), i(1)),
            (i(-1), Value::Null),
        ])
    }

    #[test]
    fn keys_values_items_are_sorted() {
        assert_eq!(show("keys", vec![sample()]), "[-1, 10, a, b]");
        assert_eq!(show("values", vec![sample()]), "[null, ten, 1, 2]");
        assert_eq!(
            show("items", vec![sample()]),
            "[[-1, null], [10, ten], [a, 1], [b, 2]]"
        );
        assert_eq!(show("keys", vec![dict(vec![])]), "[]");
        for name in ["keys", "values", "items"] {
            assert_eq!(
                err(name, vec![ints(&[])]),
                format!("{name}() expects a dict, got array")
            );
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(show("has_key", vec![sample(), s("a")]), "true");
        assert_eq!(show("has_key", vec![sample(), s("10")]), "false");
        assert_eq!(show("has_key", vec![sample(), i(10)]), "true");
        assert_eq!(
            err("has_key", vec![sample(), f(1.0)]),
            "Dict keys must be int or string, got float"
        );
        assert_eq!(
            err("has_key", vec![i(1), s("a")]),
            "has_key() expects a dict, got int"
        );
        assert_eq!(show("get", vec![sample(), s("b")]), "2");
        assert_eq!(show("get", vec![sample(), s("zz")]), "null");
        assert_eq!(show("get", vec![ints(&[1, 2]), i(-1)]), "2");
        assert_eq!(show("get", vec![ints(&[1, 2]), i(5)]), "null");
        assert_eq!(
            err("get", vec![ints(&[1]), s("a")]),
            "get() expects an int index for an array, got string"
        );
        assert_eq!(
            err("get", vec![s("x"), i(0)]),
            "get() expects a dict or array, got string"
        );
        assert_eq!(
            err("get", vec![sample(), Value::Null]),
            "Dict keys must be int or string, got null"
        );
        assert_eq!(show("get_default", vec![sample(), s("zz"), i(0)]), "0");
        assert_eq!(show("get_default", vec![sample(), s("a"), i(0)]), "1");
        assert_eq!(show("get_default", vec![ints(&[]), i(0), s("d")]), "d");
        assert_eq!(
            err("get_default", vec![i(1), i(0), i(0)]),
            "get_default() expects a dict or array, got int"
        );
    }

    #[test]
    fn merging_and_updating() {
        let a = dict(vec![(s("x"), i(1)), (s("y"), i(2))]);
        let b2 = dict(vec![(s("y"), i(20)), (s("z"), i(30))]);
        let m = call("merge", vec![a.clone(), b2.clone()]).unwrap();
        assert_eq!(display(&m), r#"{"x": 1, "y": 20, "z": 30}"#);
        assert_eq!(display(&a), r#"{"x": 1, "y": 2}"#, "argument unchanged");
        assert_eq!(
            show(
                "merge",
                vec![a.clone(), b2.clone(), dict(vec![(s("x"), i(0))])]
            ),
            r#"{"x": 0, "y": 20, "z": 30}"#
        );
        assert_eq!(
            err("merge", vec![a.clone(), i(1)]),
            "merge() expects only dicts to merge, got int"
        );
        assert_eq!(
            err("merge", vec![ints(&[]), a.clone()]),
            "merge() expects a dict, got array"
        );
        assert_eq!(
            show("update", vec![a.clone(), b2]),
            r#"{"x": 1, "y": 20, "z": 30}"#
        );
        assert_eq!(
            show("update", vec![a.clone(), s("w"), i(5)]),
            r#"{"w": 5, "x": 1, "y": 2}"#
        );
        assert_eq!(
            show("update", vec![a.clone(), i(7), i(5)]),
            r#"{7: 5, "x": 1, "y": 2}"#
        );
        assert_eq!(
            err("update", vec![a.clone(), f(1.5), i(5)]),
            "Dict keys must be int or string, got float"
        );
        assert_eq!(
            err("update", vec![s("x"), s("k"), i(5)]),
            "update() expects a dict, got string"
        );
        assert_eq!(
            err("update", vec![a, i(3)]),
            "update() expects only dicts to merge, got int"
        );
    }

    #[test]
    fn update_on_unique_dict_does_not_copy() {
        let mut h = FakeHost::default();
        let mut d = dict(vec![]);
        let Value::Dict(rc) = &d else { unreachable!() };
        let before = Rc::as_ptr(rc);
        for n in 0..50 {
            d = call_on(&mut h, "update", vec![d, i(n), i(n)]).unwrap();
        }
        let Value::Dict(rc) = &d else { unreachable!() };
        assert_eq!(Rc::as_ptr(rc), before);
        assert_eq!(show("len", vec![d]), "50");
    }

    #[test]
    fn invert_clear_remove() {
        assert_eq!(
            show("invert", vec![dict(vec![(s("a"), i(1)), (i(2), s("b"))])]),
            r#"{1: a, "b": 2}"#
        );
        assert_eq!(
            show("invert", vec![dict(vec![(s("a"), i(1)), (s("b"), i(1))])]),
            r#"{1: b}"#
        );
        assert_eq!(
            err("invert", vec![dict(vec![(s("a"), f(1.0))])]),
            "invert() expects a dict whose values are ints or strings, got float"
        );
        assert_eq!(
            err("invert", vec![ints(&[])]),
            "invert() expects a dict, got array"
        );
        assert_eq!(show("clear", vec![sample()]), "{}");
        assert_eq!(show("clear", vec![ints(&[1])]), "[]");
        assert_eq!(
            err("clear", vec![s("x")]),
            "clear() expects a dict or array, got string"
        );
        let d = dict(vec![(s("a"), i(1)), (s("b"), i(2)), (s("c"), i(3))]);
        let r = call("remove", vec![d.clone(), s("b")]).unwrap();
        assert_eq!(display(&r), r#"[{"a": 1, "c": 3}, 2]"#);
        assert_eq!(
            display(&d),
            r#"{"a": 1, "b": 2, "c": 3}"#,
            "argument unchanged"
        );
        let Value::Array(pair) = r else { panic!() };
        assert_eq!(show("keys", vec![pair.get(0).unwrap()]), "[a, c]");
        assert_eq!(
            show("remove", vec![d.clone(), s("zz")]),
            r#"[{"a": 1, "b": 2, "c": 3}, null]"#
        );
        assert_eq!(
            err("remove", vec![d, ints(&[])]),
            "Dict keys must be int or string, got array"
        );
        assert_eq!(
            err("remove", vec![ints(&[1]), i(0)]),
            "remove() expects a dict, got array"
        );
    }
}
