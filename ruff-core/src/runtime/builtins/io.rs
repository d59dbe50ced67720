//! Output and inspection builtins: `print`, `eprint`, `type`, `type_of`,
//! `to_string`/`str` and the `is_*` predicates.

use super::helpers::{builtin, FUNCTION};
use super::{io_error, BuiltinDef};
use crate::runtime::error::RtResult;
use crate::runtime::format::{display, write_display};
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[
    builtin(
        "print",
        "print(...values)",
        "Writes the values separated by spaces, then a newline, to standard output.",
        0,
        None,
        FUNCTION,
        print,
    ),
    builtin(
        "eprint",
        "eprint(...values)",
        "Writes the values separated by spaces, then a newline, to standard error.",
        0,
        None,
        FUNCTION,
        eprint,
    ),
    builtin(
        "type",
        "type(value) -> string",
        "The kind of a value: int, float, bool, null, string, array, dict, function, struct, enum or error.",
        1,
        Some(1),
        FUNCTION,
        type_,
    ),
    builtin(
        "type_of",
        "type_of(value) -> string",
        "Like type(), but gives the struct's name for a struct instance and the enum's name (Result, Option, ...) for an enum variant.",
        1,
        Some(1),
        FUNCTION,
        type_of,
    ),
    builtin(
        "to_string",
        "to_string(value) -> string",
        "The value as text, exactly as print shows it.",
        1,
        Some(1),
        FUNCTION,
        to_string,
    ),
    builtin(
        "str",
        "str(value) -> string",
        "The value as text, exactly as print shows it (same as to_string).",
        1,
        Some(1),
        FUNCTION,
        to_string,
    ),
    builtin("is_int", "is_int(value) -> bool", "True if the value is an int.", 1, Some(1), FUNCTION, is_int),
    builtin("is_float", "is_float(value) -> bool", "True if the value is a float.", 1, Some(1), FUNCTION, is_float),
    builtin("is_string", "is_string(value) -> bool", "True if the value is a string.", 1, Some(1), FUNCTION, is_string),
    builtin("is_bool", "is_bool(value) -> bool", "True if the value is true or false.", 1, Some(1), FUNCTION, is_bool),
    builtin("is_array", "is_array(value) -> bool", "True if the value is an array.", 1, Some(1), FUNCTION, is_array),
    builtin("is_dict", "is_dict(value) -> bool", "True if the value is a dict.", 1, Some(1), FUNCTION, is_dict),
    builtin("is_null", "is_null(value) -> bool", "True if the value is null.", 1, Some(1), FUNCTION, is_null),
    builtin(
        "is_function",
        "is_function(value) -> bool",
        "True if the value is a function, closure or builtin.",
        1,
        Some(1),
        FUNCTION,
        is_function,
    ),
];

fn line_of(args: &[Value]) -> String {
    let mut line = String::new();
    for (i, v) in args.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        write_display(&mut line, v);
    }
    line.push('\n');
    line
}

fn print(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let line = line_of(args);
    host.stdout().write_all(line.as_bytes()).map_err(io_error)?;
    Ok(Value::Null)
}

fn eprint(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let line = line_of(args);
    host.stderr().write_all(line.as_bytes()).map_err(io_error)?;
    Ok(Value::Null)
}

fn type_(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::str(args[0].type_name()))
}

fn type_of(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(match &args[0] {
        Value::Struct(s) => Value::str(&*s.def.name),
        Value::Enum(e) => Value::str(&*e.enum_name),
        v => Value::str(v.type_name()),
    })
}

fn to_string(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(match &args[0] {
        // Share the text rather than copying it.
        Value::Str(s) => Value::Str(s.clone()),
        v => Value::str(display(v)),
    })
}

fn is_int(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Int(_))))
}

fn is_float(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Float(_))))
}

fn is_string(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Str(_))))
}

fn is_bool(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Bool(_))))
}

fn is_array(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Array(_))))
}

fn is_dict(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Dict(_))))
}

fn is_null(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(matches!(args[0], Value::Null)))
}

fn is_function(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Bool(matches!(
        args[0],
        Value::Func(_) | Value::Builtin(_)
    )))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    #[test]
    fn print_and_eprint_write_lines() {
        let mut h = FakeHost::default();
        call_on(&mut h, "print", vec![i(1), s("a"), ints(&[2, 3]), f(2.5)]).unwrap();
        call_on(&mut h, "print", vec![]).unwrap();
        call_on(&mut h, "eprint", vec![s("oops")]).unwrap();
        assert_eq!(String::from_utf8(h.out).unwrap(), "1 a [2, 3] 2.5\n\n");
        assert_eq!(String::from_utf8(h.err).unwrap(), "oops\n");
    }

    #[test]
    fn type_and_type_of() {
        assert_eq!(show("type", vec![i(1)]), "int");
        assert_eq!(show("type", vec![f(1.0)]), "float");
        assert_eq!(show("type", vec![Value::Null]), "null");
        assert_eq!(show("type", vec![dict(vec![])]), "dict");
        assert_eq!(show("type", vec![b("print")]), "function");
        assert_eq!(show("type", vec![Value::ok(i(1))]), "enum");
        assert_eq!(show("type_of", vec![Value::ok(i(1))]), "Result");
        assert_eq!(show("type_of", vec![Value::none()]), "Option");
        assert_eq!(show("type_of", vec![s("x")]), "string");
        assert_eq!(err("type", vec![]), "type() expects 1 argument, got 0");
    }

    #[test]
    fn to_string_and_str() {
        assert_eq!(show("to_string", vec![f(15.0)]), "15");
        assert_eq!(show("str", vec![arr(vec![i(1), s("a")])]), "[1, a]");
        assert_eq!(show("str", vec![s("raw")]), "raw");
        assert_eq!(
            err("str", vec![i(1), i(2)]),
            "str() expects 1 argument, got 2"
        );
    }

    #[test]
    fn predicates() {
        let cases = [
            ("is_int", i(1)),
            ("is_float", f(1.0)),
            ("is_string", s("")),
            ("is_bool", Value::Bool(false)),
            ("is_array", ints(&[])),
            ("is_dict", dict(vec![])),
            ("is_null", Value::Null),
            ("is_function", b("len")),
        ];
        for (name, yes) in &cases {
            assert_eq!(show(name, vec![yes.clone()]), "true", "{name}");
            for (other, no) in &cases {
                if other != name {
                    assert_eq!(show(name, vec![no.clone()]), "false", "{name} {other}");
                }
            }
        }
        assert_eq!(show("is_int", vec![f(1.0)]), "false");
        assert!(err("is_int", vec![]).contains("expects 1 argument"));
    }
}
