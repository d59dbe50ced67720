//! `format(template, args...)`: printf-style placeholders.
//!
//! `%s` any value (as `to_string`), `%d` an int, `%f` a number formatted as
//! §9, `%.Nf` a number with N decimals, `%%` a percent sign. Anything else
//! after `%` is an error rather than being copied through, and so are too
//! few or too many arguments (as in Python): a mismatch is almost always a
//! bug in the template.

use std::fmt::Write;

use super::helpers::{builtin, check_str_size, str_arg, FUNCTION};
use super::{type_error, BuiltinDef};
use crate::rt_bail;
use crate::runtime::error::RtResult;
use crate::runtime::format::{write_display, write_float};
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[builtin(
    "format",
    "format(template, ...values) -> string",
    "Fills the template's placeholders in order: %s any value, %d an int, %f a number, %.2f a number with 2 decimals, %% a percent sign.",
    1,
    None,
    FUNCTION,
    format,
)];

/// More decimals than this are never meaningful for an f64.
const MAX_PRECISION: usize = 100;

fn format(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let template = str_arg("format", &args[0], "a string template")?;
    let values = &args[1..];
    let mut out = String::with_capacity(template.len());
    let mut next = 0usize;
    let mut chars = template.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = match chars.next() {
            Some((_, '%')) => {
                out.push('%');
                continue;
            }
            Some((_, c @ ('s' | 'd' | 'f'))) => Spec::from(c),
            Some((start, '.')) => {
                let mut digits = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    digits.push(d);
                    chars.next();
                }
                let end = chars.next();
                let precision = digits.parse::<usize>().ok().filter(|p| *p <= MAX_PRECISION);
                match (end, precision) {
                    (Some((_, 'f')), Some(p)) => Spec::Fixed(p),
                    (Some((_, 'f')), None) if !digits.is_empty() => {
                        rt_bail!(
                            "format() supports at most {MAX_PRECISION} decimals, got %.{digits}f"
                        )
                    }
                    _ => {
                        let shown: String =
                            template[start..].chars().take(digits.len() + 2).collect();
                        rt_bail!("format() does not understand the placeholder %{shown}")
                    }
                }
            }
            Some((_, other)) => rt_bail!("format() does not understand the placeholder %{other}"),
            None => rt_bail!("format() template ends with a lone %; write %% for a percent sign"),
        };
        let Some(v) = values.get(next) else {
            rt_bail!(
                "format() needs more values than the {} given for the template {template:?}",
                values.len()
            );
        };
        next += 1;
        spec.write(&mut out, v)?;
        check_str_size("format", out.len() as u128)?;
    }
    if next < values.len() {
        rt_bail!(
            "format() got {} values but the template {template:?} uses {next}",
            values.len()
        );
    }
    Ok(Value::str(out))
}

enum Spec {
    Str,
    Int,
    Num,
    Fixed(usize),
}

impl From<char> for Spec {
    fn from(c: char) -> Spec {
        match c {
            's' => Spec::Str,
            'd' => Spec::Int,
            _ => Spec::Num,
        }
    }
}

impl Spec {
    fn write(&self, out: &mut String, v: &Value) -> RtResult<()> {
        match (self, v) {
            (Spec::Str, _) => write_display(out, v),
            (Spec::Int, Value::Int(i)) => {
                let _ = write!(out, "{i}");
            }
            (Spec::Int, _) => return Err(type_error("format", "an int for %d", v)),
            (Spec::Num, Value::Int(i)) => {
                let _ = write!(out, "{i}");
            }
            (Spec::Num, Value::Float(x)) => write_float(out, *x),
            (Spec::Num, _) => return Err(type_error("format", "a number for %f", v)),
            (Spec::Fixed(p), _) => match v.as_f64() {
                Some(x) => {
                    let _ = write!(out, "{x:.p$}");
                }
                None => return Err(type_error("format", &format!("a number for %.{p}f"), v)),
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    #[test]
    fn placeholders() {
        assert_eq!(show("format", vec![s("%s is %d"), s("x"), i(3)]), "x is 3");
        assert_eq!(show("format", vec![s("%f|%f"), f(2.5), i(3)]), "2.5|3");
        assert_eq!(show("format", vec![s("%f"), f(15.0)]), "15");
        assert_eq!(show("format", vec![s("%.2f"), f(1.23456)]), "1.23");
        assert_eq!(show("format", vec![s("%.0f"), f(2.5)]), "2");
        assert_eq!(show("format", vec![s("%.3f"), i(1)]), "1.000");
        assert_eq!(show("format", vec![s("100%%")]), "100%");
        assert_eq!(
            show("format", vec![s("é%s…"), arr(vec![s("a"), Value::Null])]),
            "é[a, null]…"
        );
        assert_eq!(
            show("format", vec![s("no placeholders")]),
            "no placeholders"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            err("format", vec![s("%s and %s"), i(1)]),
            "format() needs more values than the 1 given for the template \"%s and %s\""
        );
        assert_eq!(
            err("format", vec![s("%s"), i(1), i(2)]),
            "format() got 2 values but the template \"%s\" uses 1"
        );
        assert_eq!(
            err("format", vec![s("%d"), f(1.5)]),
            "format() expects an int for %d, got float"
        );
        assert_eq!(
            err("format", vec![s("%f"), s("1")]),
            "format() expects a number for %f, got string"
        );
        assert_eq!(
            err("format", vec![s("%.2f"), s("1")]),
            "format() expects a number for %.2f, got string"
        );
        assert_eq!(
            err("format", vec![s("%x"), i(1)]),
            "format() does not understand the placeholder %x"
        );
        assert_eq!(
            err("format", vec![s("%.2d"), i(1)]),
            "format() does not understand the placeholder %.2d"
        );
        assert_eq!(
            err("format", vec![s("%.f"), i(1)]),
            "format() does not understand the placeholder %.f"
        );
        assert!(err("format", vec![s("%.999f"), i(1)]).contains("at most 100 decimals"));
        assert!(err("format", vec![s("50%")]).contains("lone %"));
        assert_eq!(
            err("format", vec![i(1)]),
            "format() expects a string template, got int"
        );
        assert!(err("format", vec![]).contains("at least 1 argument"));
    }
}
