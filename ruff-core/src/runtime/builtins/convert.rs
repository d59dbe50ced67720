//! Conversions: `int`/`to_int`, `float`/`to_float`, `parse_int`,
//! `parse_float`, `to_bool`.

use super::helpers::{builtin, int_arg, str_arg, FUNCTION};
use super::{type_error, BuiltinDef};
use crate::rt_bail;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

const INT_DOC: &str = "Converts to an int: floats are truncated toward zero, strings are parsed (surrounding whitespace ignored), true/false give 1/0.";
const FLOAT_DOC: &str =
    "Converts to a float: ints widen, strings are parsed (surrounding whitespace ignored), true/false give 1/0.";

pub static DEFS: &[BuiltinDef] = &[
    builtin("int", "int(value) -> int", INT_DOC, 1, Some(1), FUNCTION, int),
    builtin("to_int", "to_int(value) -> int", INT_DOC, 1, Some(1), FUNCTION, to_int),
    builtin("float", "float(value) -> float", FLOAT_DOC, 1, Some(1), FUNCTION, float),
    builtin("to_float", "to_float(value) -> float", FLOAT_DOC, 1, Some(1), FUNCTION, to_float),
    builtin(
        "parse_int",
        "parse_int(text, base?) -> int",
        "Parses a string as an int (base 10 unless a base from 2 to 36 is given); an error if the text is not an int.",
        1,
        Some(2),
        FUNCTION,
        parse_int,
    ),
    builtin(
        "parse_float",
        "parse_float(text) -> float",
        "Parses a string as a float (e.g. \"2.5\", \"1e3\", \"inf\"); an error if the text is not a number.",
        1,
        Some(1),
        FUNCTION,
        parse_float,
    ),
    builtin(
        "to_bool",
        "to_bool(value) -> bool",
        "The strings \"true\" and \"false\" (any case) parse as booleans; any other value converts by truthiness.",
        1,
        Some(1),
        FUNCTION,
        to_bool,
    ),
];

fn int_impl(name: &str, v: &Value) -> RtResult<Value> {
    Ok(Value::Int(match v {
        Value::Int(i) => *i,
        Value::Bool(b) => i64::from(*b),
        Value::Float(x) => float_to_int(name, *x)?,
        Value::Str(s) => parse_int_text(name, s, 10)?,
        _ => return Err(type_error(name, "a number, string or bool", v)),
    }))
}

/// Truncates toward zero; NaN, infinities and out-of-range values are errors
/// rather than Rust's saturating `as` conversion.
fn float_to_int(name: &str, x: f64) -> RtResult<i64> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let t = x.trunc();
    // NaN fails the range test too.
    if !(-TWO_63..TWO_63).contains(&t) {
        rt_bail!("{name}() cannot convert {x} to an int");
    }
    Ok(t as i64)
}

fn parse_int_text(name: &str, text: &str, base: u32) -> RtResult<i64> {
    match i64::from_str_radix(text.trim(), base) {
        Ok(n) => Ok(n),
        Err(e) => {
            use std::num::IntErrorKind::{NegOverflow, PosOverflow};
            let why = match e.kind() {
                PosOverflow | NegOverflow => " (out of range)",
                _ => "",
            };
            rt_bail!("{name}() could not parse {text:?} as an int{why}")
        }
    }
}

fn parse_float_text(name: &str, text: &str) -> RtResult<f64> {
    match text.trim().parse::<f64>() {
        Ok(x) => Ok(x),
        Err(_) => rt_bail!("{name}() could not parse {text:?} as a float"),
    }
}

fn int(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    int_impl("int", &args[0])
}

fn to_int(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    int_impl("to_int", &args[0])
}

fn float_impl(name: &str, v: &Value) -> RtResult<Value> {
    Ok(Value::Float(match v {
        Value::Int(i) => *i as f64,
        Value::Float(x) => *x,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => parse_float_text(name, s)?,
        _ => return Err(type_error(name, "a number, string or bool", v)),
    }))
}

fn float(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    float_impl("float", &args[0])
}

fn to_float(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    float_impl("to_float", &args[0])
}

fn parse_int(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let text = str_arg("parse_int", &args[0], "a string")?;
    let base = match args.get(1) {
        None => 10,
        Some(v) => {
            let b = int_arg("parse_int", v, "an int base")?;
            if !(2..=36).contains(&b) {
                rt_bail!("parse_int() expects a base from 2 to 36, got {b}");
            }
            b as u32
        }
    };
    parse_int_text("parse_int", text, base).map(Value::Int)
}

fn parse_float(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let text = str_arg("parse_float", &args[0], "a string")?;
    parse_float_text("parse_float", text).map(Value::Float)
}

fn to_bool(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let v = &args[0];
    if let Value::Str(s) = v {
        let t = s.trim();
        if t.eq_ignore_ascii_case("true") {
            return Ok(Value::Bool(true));
        }
        if t.eq_ignore_ascii_case("false") {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(v.truthy()))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    #[test]
    fn int_conversions() {
        assert_eq!(show("int", vec![f(3.9)]), "3");
        assert_eq!(show("int", vec![f(-3.9)]), "-3");
        assert_eq!(show("to_int", vec![s(" 12 ")]), "12");
        assert_eq!(show("int", vec![s("-7")]), "-7");
        assert_eq!(show("int", vec![Value::Bool(true)]), "1");
        assert_eq!(show("int", vec![i(5)]), "5");
        assert_eq!(
            err("int", vec![s("abc")]),
            "int() could not parse \"abc\" as an int"
        );
        assert_eq!(
            err("int", vec![s("3.5")]),
            "int() could not parse \"3.5\" as an int"
        );
        assert_eq!(
            err("int", vec![f(f64::NAN)]),
            "int() cannot convert NaN to an int"
        );
        assert_eq!(
            err("int", vec![f(1e19)]),
            "int() cannot convert 10000000000000000000 to an int"
        );
        assert_eq!(
            show("int", vec![f(i64::MIN as f64)]),
            "-9223372036854775808"
        );
        assert_eq!(
            err("to_int", vec![Value::Null]),
            "to_int() expects a number, string or bool, got null"
        );
    }

    #[test]
    fn float_conversions() {
        assert_eq!(show("float", vec![i(3)]), "3");
        assert_eq!(
            show("type", vec![call("float", vec![i(3)]).unwrap()]),
            "float"
        );
        assert_eq!(show("to_float", vec![s("2.5")]), "2.5");
        assert_eq!(show("float", vec![Value::Bool(false)]), "0");
        assert_eq!(
            err("float", vec![s("x1")]),
            "float() could not parse \"x1\" as a float"
        );
        assert_eq!(
            err("to_float", vec![ints(&[])]),
            "to_float() expects a number, string or bool, got array"
        );
    }

    #[test]
    fn parse_functions() {
        assert_eq!(show("parse_int", vec![s("42")]), "42");
        assert_eq!(show("parse_int", vec![s("ff"), i(16)]), "255");
        assert_eq!(show("parse_int", vec![s("-101"), i(2)]), "-5");
        assert_eq!(
            err("parse_int", vec![s("abc")]),
            "parse_int() could not parse \"abc\" as an int"
        );
        assert_eq!(
            err("parse_int", vec![s("99999999999999999999")]),
            "parse_int() could not parse \"99999999999999999999\" as an int (out of range)"
        );
        assert_eq!(
            err("parse_int", vec![i(1)]),
            "parse_int() expects a string, got int"
        );
        assert_eq!(
            err("parse_int", vec![s("1"), i(1)]),
            "parse_int() expects a base from 2 to 36, got 1"
        );
        assert_eq!(
            err("parse_int", vec![s("1"), s("x")]),
            "parse_int() expects an int base, got string"
        );
        assert_eq!(show("parse_float", vec![s("1e3")]), "1000");
        assert_eq!(show("parse_float", vec![s("-0.25")]), "-0.25");
        assert_eq!(
            err("parse_float", vec![s("1.2.3")]),
            "parse_float() could not parse \"1.2.3\" as a float"
        );
        assert_eq!(
            err("parse_float", vec![f(1.0)]),
            "parse_float() expects a string, got float"
        );
    }

    #[test]
    fn to_bool_parses_and_uses_truthiness() {
        assert_eq!(show("to_bool", vec![s("true")]), "true");
        assert_eq!(show("to_bool", vec![s("FALSE")]), "false");
        assert_eq!(show("to_bool", vec![s("yes")]), "true");
        assert_eq!(show("to_bool", vec![s("")]), "false");
        assert_eq!(show("to_bool", vec![i(0)]), "false");
        assert_eq!(show("to_bool", vec![ints(&[1])]), "true");
        assert_eq!(show("to_bool", vec![Value::Null]), "false");
        assert!(err("to_bool", vec![]).starts_with("to_bool() expects 1 argument"));
    }
}
