//! JSON: `to_json`, `to_json_pretty`, `parse_json`, through `serde_json`
//! (built with `preserve_order`, so objects keep the order we insert).
//!
//! Ruff → JSON:
//! - dict keys are written in sorted order (as `print` shows them), int keys
//!   as strings; a dict holding both `1` and `"1"` is an error, since the two
//!   would collide;
//! - floats keep a fraction (`2.0`) so they read back as floats; NaN and the
//!   infinities have no JSON form and are an error;
//! - a struct becomes an object of its fields (sorted by name);
//! - `None` becomes `null` and `Some(v)` becomes `v`, the natural JSON for an
//!   optional value; every other enum variant uses serde's externally tagged
//!   form: `Color::Red` → `"Red"`, `Ok(1)` → `{"Ok": 1}`;
//! - a caught error becomes `{"line": .., "message": .., "stack": [..]}`;
//! - functions cannot be represented: an error.
//!
//! JSON → Ruff: objects become dicts with keys in document order (a repeated
//! key keeps its first position and last value), integers that fit in 64
//! bits become ints, every other number a float.

use std::rc::Rc;

use serde_json::{Map, Number, Value as J};

use super::helpers::{builtin, str_arg, FUNCTION};
use super::BuiltinDef;
use crate::rt_bail;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::{DictMap, Key, Value};

pub static DEFS: &[BuiltinDef] = &[
    builtin(
        "to_json",
        "to_json(value) -> string",
        "The value as compact JSON. Dict keys are sorted and written as strings; structs become objects; functions and NaN are errors.",
        1,
        Some(1),
        FUNCTION,
        to_json,
    ),
    builtin(
        "to_json_pretty",
        "to_json_pretty(value) -> string",
        "The value as JSON indented by two spaces per level (same rules as to_json).",
        1,
        Some(1),
        FUNCTION,
        to_json_pretty,
    ),
    builtin(
        "parse_json",
        "parse_json(text) -> value",
        "Parses JSON text: objects become dicts (keys in document order), whole numbers ints, other numbers floats. An error on invalid JSON.",
        1,
        Some(1),
        FUNCTION,
        parse_json,
    ),
];

/// Deeper values are refused rather than risking the native stack (the same
/// order of magnitude as serde_json's own parsing limit of 128).
const MAX_DEPTH: usize = 512;

fn to_serde(name: &str, v: &Value, depth: usize) -> RtResult<J> {
    if depth > MAX_DEPTH {
        rt_bail!("{name}() value is nested too deeply (more than {MAX_DEPTH} levels)");
    }
    let d = depth + 1;
    Ok(match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(x) => match Number::from_f64(*x) {
            Some(n) => J::Number(n),
            None => rt_bail!("{name}() cannot represent {x} in JSON"),
        },
        Value::Str(s) => J::String(s.to_string()),
        Value::Array(items) => J::Array(
            items
                .iter()
                .map(|x| to_serde(name, &x, d))
                .collect::<RtResult<_>>()?,
        ),
        Value::Dict(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.sort_cmp(b.0));
            let mut obj = Map::new();
            for (k, x) in entries {
                let key = match k {
                    Key::Int(i) => i.to_string(),
                    Key::Str(s) => s.to_string(),
                };
                if obj.contains_key(&key) {
                    rt_bail!(
                        "{name}() cannot write a dict that has both the keys {key} and \"{key}\""
                    );
                }
                obj.insert(key, to_serde(name, x, d)?);
            }
            J::Object(obj)
        }
        Value::Struct(s) => {
            let mut order: Vec<usize> = (0..s.fields.len()).collect();
            order.sort_by(|&a, &b| s.def.fields[a].cmp(&s.def.fields[b]));
            let mut obj = Map::new();
            for i in order {
                let field = s.def.fields.get(i).map_or(String::new(), |f| f.to_string());
                obj.insert(field, to_serde(name, &s.fields[i], d)?);
            }
            J::Object(obj)
        }
        Value::Enum(e) => match (&*e.enum_name, &*e.variant, &e.payload) {
            ("Option", "None", _) => J::Null,
            ("Option", "Some", Some(p)) => to_serde(name, p, d)?,
            (_, variant, None) => J::String(variant.to_string()),
            (_, variant, Some(p)) => {
                let mut obj = Map::new();
                obj.insert(variant.to_string(), to_serde(name, p, d)?);
                J::Object(obj)
            }
        },
        Value::Error(e) => {
            let mut obj = Map::new();
            obj.insert("line".into(), J::from(e.line));
            obj.insert("message".into(), J::String(e.message.to_string()));
            let stack = e.stack.iter().map(|f| J::String(f.to_string())).collect();
            obj.insert("stack".into(), J::Array(stack));
            J::Object(obj)
        }
        Value::Func(_) | Value::Builtin(_) => {
            rt_bail!("{name}() cannot convert a function to JSON")
        }
        // Never seen by Ruff code; read through it as `format` does.
        Value::Cell(c) => to_serde(name, &c.borrow(), depth)?,
    })
}

fn from_serde(j: J) -> Value {
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::str(s),
        J::Array(items) => Value::array(items.into_iter().map(from_serde).collect()),
        J::Object(obj) => {
            let mut map = DictMap::with_capacity(obj.len());
            for (k, v) in obj {
                map.insert(Key::Str(Rc::new(k)), from_serde(v));
            }
            Value::dict(map)
        }
    }
}

fn to_json(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let j = to_serde("to_json", &args[0], 0)?;
    Ok(Value::str(j.to_string()))
}

fn to_json_pretty(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let j = to_serde("to_json_pretty", &args[0], 0)?;
    match serde_json::to_string_pretty(&j) {
        Ok(text) => Ok(Value::str(text)),
        Err(e) => rt_bail!("to_json_pretty() failed: {e}"),
    }
}

fn parse_json(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let text = str_arg("parse_json", &args[0], "a string")?;
    match serde_json::from_str::<J>(text) {
        Ok(j) => Ok(from_serde(j)),
        Err(e) => rt_bail!("parse_json() invalid JSON: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::format::display;
    use crate::runtime::value::Value;

    #[test]
    fn writes_compact_json() {
        let v = dict(vec![
            (
                s("b"),
                arr(vec![i(1), f(2.5), f(2.0), Value::Null, Value::Bool(true)]),
            ),
            (i(3), s("q\"\n é")),
            (s("a"), dict(vec![])),
        ]);
        assert_eq!(
            show("to_json", vec![v]),
            r#"{"3":"q\"\n é","a":{},"b":[1,2.5,2.0,null,true]}"#
        );
        assert_eq!(show("to_json", vec![s("x")]), r#""x""#);
        assert_eq!(show("to_json", vec![Value::some(i(1))]), "1");
        assert_eq!(show("to_json", vec![Value::none()]), "null");
        assert_eq!(show("to_json", vec![Value::ok(i(1))]), r#"{"Ok":1}"#);
        assert_eq!(
            show("to_json", vec![Value::new_enum("Color", "Red", None)]),
            r#""Red""#
        );
    }

    #[test]
    fn writes_pretty_json() {
        let v = dict(vec![(s("k"), ints(&[1, 2])), (s("e"), ints(&[]))]);
        assert_eq!(
            show("to_json_pretty", vec![v]),
            "{\n  \"e\": [],\n  \"k\": [\n    1,\n    2\n  ]\n}"
        );
    }

    #[test]
    fn write_errors() {
        assert_eq!(
            err("to_json", vec![dict(vec![(i(1), i(1)), (s("1"), i(2))])]),
            "to_json() cannot write a dict that has both the keys 1 and \"1\""
        );
        assert_eq!(
            err("to_json", vec![f(f64::NAN)]),
            "to_json() cannot represent NaN in JSON"
        );
        assert_eq!(
            err("to_json_pretty", vec![f(f64::INFINITY)]),
            "to_json_pretty() cannot represent inf in JSON"
        );
        assert_eq!(
            err("to_json", vec![arr(vec![b("len")])]),
            "to_json() cannot convert a function to JSON"
        );
        let mut deep = Value::Null;
        for _ in 0..600 {
            deep = arr(vec![deep]);
        }
        assert!(err("to_json", vec![deep]).contains("nested too deeply"));
    }

    #[test]
    fn parses_json() {
        let v = call(
            "parse_json",
            vec![s(
                r#"{"z": 1, "a": [1.5, -2, true, null, "s"], "big": 1e400}"#,
            )],
        );
        assert!(v.is_err(), "1e400 is out of range for serde_json");
        let v = call(
            "parse_json",
            vec![s(
                r#"{"z": 1, "a": [1.5, -2, true, null, "s"], "n": 18446744073709551615}"#,
            )],
        )
        .unwrap();
        assert_eq!(
            display(&v),
            r#"{"a": [1.5, -2, true, null, s], "n": 18446744073709552000, "z": 1}"#
        );
        // Document order is kept in the dict itself.
        let Value::Dict(d) = &v else { panic!() };
        let order: Vec<String> = d.keys().map(|k| display(&k.to_value())).collect();
        assert_eq!(order, ["z", "a", "n"]);
        assert_eq!(
            show("type", vec![call("parse_json", vec![s("2")]).unwrap()]),
            "int"
        );
        assert_eq!(
            show("type", vec![call("parse_json", vec![s("2.0")]).unwrap()]),
            "float"
        );
        assert_eq!(show("parse_json", vec![s("\"h\\u00e9\"")]), "hé");
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            err("parse_json", vec![s("{")]),
            "parse_json() invalid JSON: EOF while parsing an object at line 1 column 1"
        );
        assert!(err("parse_json", vec![s("[1,]")]).starts_with("parse_json() invalid JSON: "));
        assert!(err("parse_json", vec![s("")]).starts_with("parse_json() invalid JSON: "));
        assert_eq!(
            err("parse_json", vec![i(1)]),
            "parse_json() expects a string, got int"
        );
        let deep = "[".repeat(10_000);
        assert!(err("parse_json", vec![s(&deep)]).contains("recursion limit"));
    }

    #[test]
    fn round_trip() {
        let text = r#"{"a":[1,2.5,{"b":null}],"c":"d"}"#;
        let v = call("parse_json", vec![s(text)]).unwrap();
        assert_eq!(show("to_json", vec![v]), text);
    }
}
