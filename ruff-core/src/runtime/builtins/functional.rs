//! Higher-order array builtins (also methods): `map`, `filter`, `reduce`,
//! `find`, `any`, `all`. The callback is any function value and is run
//! through `Host::call`; an error it raises propagates unchanged.

use std::rc::Rc;

use super::helpers::{array_of, builtin, func_arg, take, take_array, METHOD};
use super::BuiltinDef;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[
    builtin(
        "map",
        "map(array, f) -> array",
        "The results of calling f on each element, in order.",
        2,
        Some(2),
        METHOD,
        map,
    ),
    builtin(
        "filter",
        "filter(array, f) -> array",
        "The elements for which f returns a truthy value, in order.",
        2,
        Some(2),
        METHOD,
        filter,
    ),
    builtin(
        "reduce",
        "reduce(array, initial, f) -> value",
        "Folds the array from the left: acc = f(acc, element), starting from `initial`.",
        3,
        Some(3),
        METHOD,
        reduce,
    ),
    builtin(
        "find",
        "find(array, f) -> value | null",
        "The first element for which f returns a truthy value, or null.",
        2,
        Some(2),
        METHOD,
        find,
    ),
    builtin(
        "any",
        "any(array, f?) -> bool",
        "True if f (or, without f, the element itself) is truthy for some element; false for an empty array.",
        1,
        Some(2),
        METHOD,
        any,
    ),
    builtin(
        "all",
        "all(array, f?) -> bool",
        "True if f (or, without f, the element itself) is truthy for every element; true for an empty array.",
        1,
        Some(2),
        METHOD,
        all,
    ),
];

/// Validates `(array, f)` at `args[0]`/`args[f_at]`, then takes both.
fn array_and_func(name: &str, args: &mut [Value], f_at: usize) -> RtResult<(Vec<Value>, Value)> {
    array_of(name, &args[0], "an array")?;
    let f = func_arg(name, &args[f_at])?;
    // Moves the elements out when the array is not shared; clones otherwise.
    let items = Rc::unwrap_or_clone(take_array(name, args, 0)?).into_values();
    Ok((items, f))
}

fn map(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let (items, f) = array_and_func("map", args, 1)?;
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        out.push(host.call(&f, vec![x])?);
    }
    Ok(Value::array(out))
}

fn filter(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let (items, f) = array_and_func("filter", args, 1)?;
    let mut out = Vec::new();
    for x in items {
        if host.call(&f, vec![x.clone()])?.truthy() {
            out.push(x);
        }
    }
    Ok(Value::array(out))
}

fn reduce(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let (items, f) = array_and_func("reduce", args, 2)?;
    let mut acc = take(&mut args[1]);
    for x in items {
        acc = host.call(&f, vec![acc, x])?;
    }
    Ok(acc)
}

fn find(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let (items, f) = array_and_func("find", args, 1)?;
    for x in items {
        if host.call(&f, vec![x.clone()])?.truthy() {
            return Ok(x);
        }
    }
    Ok(Value::Null)
}

/// `any`/`all`: stops at the first element whose test is `stop_on`.
fn any_all(name: &str, host: &mut dyn Host, args: &mut [Value], stop_on: bool) -> RtResult<Value> {
    array_of(name, &args[0], "an array")?;
    let f = match args.get(1) {
        Some(v) => Some(func_arg(name, v)?),
        None => None,
    };
    // Keep our own handle: the callback runs while we iterate.
    let Value::Array(items) = &args[0] else {
        return Ok(Value::Null);
    };
    let items = Rc::clone(items);
    for x in items.iter() {
        let t = match &f {
            Some(f) => host.call(f, vec![x.clone()])?.truthy(),
            None => x.truthy(),
        };
        if t == stop_on {
            return Ok(Value::Bool(stop_on));
        }
    }
    Ok(Value::Bool(!stop_on))
}

fn any(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    any_all("any", host, args, true)
}

fn all(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    any_all("all", host, args, false)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    #[test]
    fn map_filter_find() {
        assert_eq!(show("map", vec![ints(&[1, 2]), b("to_string")]), "[1, 2]");
        assert_eq!(
            show(
                "type",
                vec![call("map", vec![ints(&[1]), b("str")]).unwrap()]
            ),
            "array"
        );
        assert_eq!(
            show("map", vec![arr(vec![f(-1.5), i(-2)]), b("abs")]),
            "[1.5, 2]"
        );
        assert_eq!(
            show("filter", vec![arr(vec![i(1), s("a"), f(2.0)]), b("is_int")]),
            "[1]"
        );
        assert_eq!(
            show("find", vec![arr(vec![s("a"), i(7), i(8)]), b("is_int")]),
            "7"
        );
        assert_eq!(show("find", vec![arr(vec![s("a")]), b("is_int")]), "null");
        assert_eq!(
            err("map", vec![i(1), b("str")]),
            "map() expects an array, got int"
        );
        assert_eq!(
            err("map", vec![ints(&[1]), i(1)]),
            "map() expects a function, got int"
        );
        assert_eq!(
            err("filter", vec![ints(&[1]), s("is_int")]),
            "filter() expects a function, got string"
        );
        assert_eq!(
            err("find", vec![dict(vec![]), b("str")]),
            "find() expects an array, got dict"
        );
    }

    #[test]
    fn callback_errors_propagate() {
        assert_eq!(
            err("map", vec![arr(vec![i(1), s("x")]), b("len")]),
            "len() expects an array, dict or string, got int"
        );
    }

    #[test]
    fn reducing() {
        // reduce with max as the two-argument function.
        assert_eq!(show("reduce", vec![ints(&[3, 9, 2]), i(0), b("max")]), "9");
        assert_eq!(show("reduce", vec![ints(&[]), s("init"), b("max")]), "init");
        assert_eq!(
            show("reduce", vec![ints(&[1, 2]), ints(&[]), b("push")]),
            "[1, 2]"
        );
        assert_eq!(
            err("reduce", vec![ints(&[1]), i(0), Value::Null]),
            "reduce() expects a function, got null"
        );
        assert_eq!(
            err("reduce", vec![s("x"), i(0), b("max")]),
            "reduce() expects an array, got string"
        );
    }

    #[test]
    fn any_and_all() {
        assert_eq!(show("any", vec![arr(vec![i(0), s("")])]), "false");
        assert_eq!(show("any", vec![arr(vec![i(0), s("x")])]), "true");
        assert_eq!(show("all", vec![arr(vec![i(1), s("x")])]), "true");
        assert_eq!(show("all", vec![arr(vec![i(1), Value::Null])]), "false");
        assert_eq!(show("any", vec![ints(&[])]), "false");
        assert_eq!(show("all", vec![ints(&[])]), "true");
        assert_eq!(
            show("any", vec![arr(vec![s("a"), i(1)]), b("is_int")]),
            "true"
        );
        assert_eq!(
            show("all", vec![arr(vec![s("a"), i(1)]), b("is_int")]),
            "false"
        );
        assert_eq!(err("any", vec![i(1)]), "any() expects an array, got int");
        assert_eq!(
            err("all", vec![ints(&[]), i(1)]),
            "all() expects a function, got int"
        );
    }
}
