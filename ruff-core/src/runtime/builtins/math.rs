//! Number builtins: `abs min max pow sqrt floor ceil round sin cos tan log
//! exp`. (The constants `PI` and `E` live in `builtins::constant`.)

use std::cmp::Ordering;

use super::helpers::{builtin, int_arg, num_arg, value_cmp, FUNCTION};
use super::{type_error, BuiltinDef};
use crate::rt_bail;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[
    builtin("abs", "abs(x) -> number", "The absolute value; an int stays an int.", 1, Some(1), FUNCTION, abs),
    builtin(
        "min",
        "min(a, b, ...) -> value | min(array) -> value",
        "The smallest of two or more numbers (or strings), or of the elements of one array.",
        1,
        None,
        FUNCTION,
        min,
    ),
    builtin(
        "max",
        "max(a, b, ...) -> value | max(array) -> value",
        "The largest of two or more numbers (or strings), or of the elements of one array.",
        1,
        None,
        FUNCTION,
        max,
    ),
    builtin(
        "pow",
        "pow(base, exponent) -> number",
        "base raised to exponent: an int for two ints with a non-negative exponent (overflow is an error), otherwise a float.",
        2,
        Some(2),
        FUNCTION,
        pow,
    ),
    builtin("sqrt", "sqrt(x) -> float", "The square root, as a float (NaN for a negative number).", 1, Some(1), FUNCTION, sqrt),
    builtin("floor", "floor(x) -> number", "Rounds down: a float gives a float, an int is returned unchanged.", 1, Some(1), FUNCTION, floor),
    builtin("ceil", "ceil(x) -> number", "Rounds up: a float gives a float, an int is returned unchanged.", 1, Some(1), FUNCTION, ceil),
    builtin(
        "round",
        "round(x, digits?) -> number",
        "Rounds to the nearest whole number (or to `digits` decimals), halves away from zero: round(2.5) is 3. A float gives a float, an int stays an int.",
        1,
        Some(2),
        FUNCTION,
        round,
    ),
    builtin("sin", "sin(x) -> float", "The sine of x (radians).", 1, Some(1), FUNCTION, sin),
    builtin("cos", "cos(x) -> float", "The cosine of x (radians).", 1, Some(1), FUNCTION, cos),
    builtin("tan", "tan(x) -> float", "The tangent of x (radians).", 1, Some(1), FUNCTION, tan),
    builtin(
        "log",
        "log(x, base?) -> float",
        "The natural logarithm of x, or the logarithm in the given base.",
        1,
        Some(2),
        FUNCTION,
        log,
    ),
    builtin("exp", "exp(x) -> float", "e raised to the power x.", 1, Some(1), FUNCTION, exp),
];

fn abs(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    match &args[0] {
        Value::Int(i) => match i.checked_abs() {
            Some(a) => Ok(Value::Int(a)),
            None => rt_bail!("Integer overflow: abs({i})"),
        },
        Value::Float(x) => Ok(Value::Float(x.abs())),
        v => Err(type_error("abs", "a number", v)),
    }
}

/// `min`/`max`: the first element that is `want` compared with every other.
/// Numbers compare exactly (see `num_cmp`; NaN counts as the largest);
/// strings by code point; numbers and strings cannot be mixed.
fn extreme(name: &str, args: &[Value], want: Ordering) -> RtResult<Value> {
    let values;
    let items: &[Value] = if args.len() == 1 {
        match &args[0] {
            Value::Array(a) => {
                values = a.values();
                &values
            }
            v => return Err(type_error(name, "two or more numbers or one array", v)),
        }
    } else {
        args
    };
    let Some(first) = items.first() else {
        rt_bail!("{name}() expects a non-empty array, got an empty one");
    };
    if value_cmp(first, first).is_none() {
        return Err(type_error(name, "numbers or strings", first));
    }
    let mut best = first;
    for x in &items[1..] {
        match value_cmp(x, best) {
            Some(o) if o == want => best = x,
            Some(_) => {}
            None => {
                let what = if matches!(best, Value::Str(_)) {
                    "only strings"
                } else {
                    "only numbers"
                };
                return Err(type_error(name, what, x));
            }
        }
    }
    Ok(best.clone())
}

fn min(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    extreme("min", args, Ordering::Less)
}

fn max(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    extreme("max", args, Ordering::Greater)
}

fn pow(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if let (Value::Int(b), Value::Int(e)) = (&args[0], &args[1]) {
        let (b, e) = (*b, *e);
        if e >= 0 {
            let r = match u32::try_from(e) {
                Ok(e32) => b.checked_pow(e32),
                // Huge exponents only fit for bases 0, 1 and -1.
                Err(_) => match b {
                    0 | 1 => Some(b),
                    -1 => Some(if e % 2 == 0 { 1 } else { -1 }),
                    _ => None,
                },
            };
            return match r {
                Some(r) => Ok(Value::Int(r)),
                None => rt_bail!("Integer overflow: pow({b}, {e})"),
            };
        }
    }
    let b = num_arg("pow", &args[0], "a number base")?;
    let e = num_arg("pow", &args[1], "a number exponent")?;
    Ok(Value::Float(b.powf(e)))
}

fn float_fn(name: &str, args: &[Value], f: fn(f64) -> f64) -> RtResult<Value> {
    Ok(Value::Float(f(num_arg(name, &args[0], "a number")?)))
}

fn sqrt(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    float_fn("sqrt", args, f64::sqrt)
}

fn sin(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    float_fn("sin", args, f64::sin)
}

fn cos(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    float_fn("cos", args, f64::cos)
}

fn tan(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    float_fn("tan", args, f64::tan)
}

fn exp(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    float_fn("exp", args, f64::exp)
}

fn log(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let x = num_arg("log", &args[0], "a number")?;
    match args.get(1) {
        None => Ok(Value::Float(x.ln())),
        Some(b) => {
            let base = num_arg("log", b, "a number base")?;
            Ok(Value::Float(x.ln() / base.ln()))
        }
    }
}

/// floor/ceil/round without digits: ints are already whole.
fn whole(name: &str, args: &[Value], f: fn(f64) -> f64) -> RtResult<Value> {
    match &args[0] {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(x) => Ok(Value::Float(f(*x))),
        v => Err(type_error(name, "a number", v)),
    }
}

fn floor(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    whole("floor", args, f64::floor)
}

fn ceil(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    whole("ceil", args, f64::ceil)
}

fn round(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let Some(d) = args.get(1) else {
        return whole("round", args, f64::round);
    };
    let digits = int_arg("round", d, "an int number of digits")?;
    match &args[0] {
        Value::Float(x) => {
            // Clamped: beyond ±400 the scale is 0 or infinite anyway.
            let scale = 10f64.powi(digits.clamp(-400, 400) as i32);
            let r = (x * scale).round() / scale;
            // A scale that overflows (many digits) leaves the number as it is.
            Ok(Value::Float(if r.is_finite() { r } else { *x }))
        }
        Value::Int(i) if digits < 0 => round_int(*i, digits),
        Value::Int(i) => Ok(Value::Int(*i)),
        v => Err(type_error("round", "a number", v)),
    }
}

/// `round(1250, -2)` is 1300: to a multiple of 10^-digits, halves away from zero.
fn round_int(i: i64, digits: i64) -> RtResult<Value> {
    if digits < -19 {
        return Ok(Value::Int(0));
    }
    let m = 10i128.pow((-digits) as u32);
    let x = i128::from(i);
    let half = m / 2;
    let r = if x >= 0 {
        (x + half) / m * m
    } else {
        (x - half) / m * m
    };
    match i64::try_from(r) {
        Ok(r) => Ok(Value::Int(r)),
        Err(_) => rt_bail!("Integer overflow: round({i}, {digits})"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    #[test]
    fn abs_works_and_overflows() {
        assert_eq!(show("abs", vec![i(-3)]), "3");
        assert_eq!(show("abs", vec![f(-2.5)]), "2.5");
        assert_eq!(
            err("abs", vec![i(i64::MIN)]),
            "Integer overflow: abs(-9223372036854775808)"
        );
        assert_eq!(
            err("abs", vec![s("1")]),
            "abs() expects a number, got string"
        );
    }

    #[test]
    fn min_and_max() {
        assert_eq!(show("min", vec![i(3), i(1), i(2)]), "1");
        assert_eq!(show("max", vec![i(3), f(3.5), i(2)]), "3.5");
        assert_eq!(show("max", vec![ints(&[4, 9, 2])]), "9");
        assert_eq!(show("min", vec![arr(vec![s("b"), s("a")])]), "a");
        assert_eq!(
            show("type", vec![call("min", vec![i(1), f(1.0)]).unwrap()]),
            "int"
        );
        assert_eq!(
            err("max", vec![ints(&[])]),
            "max() expects a non-empty array, got an empty one"
        );
        assert_eq!(
            err("max", vec![i(1)]),
            "max() expects two or more numbers or one array, got int"
        );
        assert_eq!(
            err("min", vec![i(1), s("a")]),
            "min() expects only numbers, got string"
        );
        assert_eq!(
            err("min", vec![Value::Null, i(1)]),
            "min() expects numbers or strings, got null"
        );
        assert!(err("min", vec![]).contains("at least 1 argument"));
    }

    #[test]
    fn pow_ints_and_floats() {
        assert_eq!(show("pow", vec![i(2), i(10)]), "1024");
        assert_eq!(show("pow", vec![i(2), i(-1)]), "0.5");
        assert_eq!(
            show("pow", vec![f(2.0), f(0.5)]),
            format!("{}", 2f64.sqrt())
        );
        assert_eq!(show("pow", vec![i(-1), i(i64::MAX)]), "-1");
        assert_eq!(show("pow", vec![i(1), i(1 << 40)]), "1");
        assert_eq!(
            err("pow", vec![i(2), i(64)]),
            "Integer overflow: pow(2, 64)"
        );
        assert_eq!(
            err("pow", vec![i(2), i(1 << 40)]),
            "Integer overflow: pow(2, 1099511627776)"
        );
        assert_eq!(
            err("pow", vec![s("2"), i(1)]),
            "pow() expects a number base, got string"
        );
        assert_eq!(
            err("pow", vec![i(2), Value::Null]),
            "pow() expects a number exponent, got null"
        );
    }

    #[test]
    fn float_functions() {
        assert_eq!(show("sqrt", vec![i(16)]), "4");
        assert_eq!(
            show("type", vec![call("sqrt", vec![i(16)]).unwrap()]),
            "float"
        );
        assert_eq!(show("sqrt", vec![i(-1)]), "NaN");
        assert_eq!(show("sin", vec![i(0)]), "0");
        assert_eq!(show("cos", vec![i(0)]), "1");
        assert_eq!(show("tan", vec![f(0.0)]), "0");
        assert_eq!(show("exp", vec![i(0)]), "1");
        assert_eq!(show("log", vec![i(1)]), "0");
        assert_eq!(show("log", vec![i(8), i(2)]), "3");
        for name in ["sqrt", "sin", "cos", "tan", "exp", "log"] {
            assert_eq!(
                err(name, vec![s("x")]),
                format!("{name}() expects a number, got string")
            );
        }
        assert_eq!(
            err("log", vec![i(8), s("2")]),
            "log() expects a number base, got string"
        );
    }

    #[test]
    fn rounding() {
        assert_eq!(show("round", vec![f(2.5)]), "3");
        assert_eq!(show("round", vec![f(-2.5)]), "-3");
        assert_eq!(
            show("type", vec![call("round", vec![f(2.5)]).unwrap()]),
            "float"
        );
        assert_eq!(
            show("type", vec![call("floor", vec![i(2)]).unwrap()]),
            "int"
        );
        assert_eq!(show("floor", vec![f(-1.5)]), "-2");
        assert_eq!(show("ceil", vec![f(1.2)]), "2");
        assert_eq!(show("round", vec![f(1.23456), i(2)]), "1.23");
        assert_eq!(show("round", vec![f(1.5), i(1000)]), "1.5");
        assert_eq!(show("round", vec![i(1250), i(-2)]), "1300");
        assert_eq!(show("round", vec![i(-1250), i(-2)]), "-1300");
        assert_eq!(show("round", vec![i(7), i(2)]), "7");
        assert_eq!(show("round", vec![i(i64::MAX), i(-30)]), "0");
        assert!(err("round", vec![i(i64::MAX), i(-1)]).starts_with("Integer overflow"));
        assert_eq!(
            err("floor", vec![s("1")]),
            "floor() expects a number, got string"
        );
        assert_eq!(
            err("ceil", vec![Value::Null]),
            "ceil() expects a number, got null"
        );
        assert_eq!(
            err("round", vec![f(1.0), f(1.0)]),
            "round() expects an int number of digits, got float"
        );
    }
}
