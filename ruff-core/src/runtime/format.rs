//! Text forms of values (§9): what `print`, `to_string` and `${}` produce.

use std::fmt::Write;

use super::builtins;
use super::value::{Key, Value};

/// `to_string(v)`.
pub fn display(v: &Value) -> String {
    let mut out = String::new();
    write_display(&mut out, v);
    out
}

/// A float exactly as Rust's `{}` prints an `f64`: shortest round-trip text,
/// never an exponent, no fraction for whole numbers, `NaN`, `inf`, `-inf`.
pub fn write_float(out: &mut String, f: f64) {
    let _ = write!(out, "{f}");
}

pub fn write_key(out: &mut String, k: &Key) {
    match k {
        Key::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Key::Str(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
    }
}

pub fn write_display(out: &mut String, v: &Value) {
    if !write_scalar(out, v) {
        super::deep::with_stack(|| write_heap(out, v))
    }
}

/// Writes `v` if it is a scalar (no nesting, so no deep-recursion guard);
/// `false` for every other value.
fn write_scalar(out: &mut String, v: &Value) -> bool {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(out, *f),
        Value::Builtin(id) => {
            let _ = write!(out, "<native function: {}>", builtins::def(*id).name);
        }
        _ => return false,
    }
    true
}

/// The values `write_scalar` does not write.
fn write_heap(out: &mut String, v: &Value) {
    match v {
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Builtin(_) => {
            write_scalar(out, v);
        }
        Value::Str(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_display(out, &item);
            }
            out.push(']');
        }
        Value::Dict(map) => {
            out.push('{');
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.sort_cmp(b.0));
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(out, k);
                out.push_str(": ");
                write_display(out, v);
            }
            out.push('}');
        }
        Value::Func(c) => {
            let _ = write!(out, "<function {}>", c.proto.name);
        }
        Value::Struct(s) => {
            out.push_str(&s.def.name);
            let mut order: Vec<usize> = (0..s.fields.len()).collect();
            order.sort_by(|&a, &b| s.def.fields[a].cmp(&s.def.fields[b]));
            if order.is_empty() {
                out.push_str(" {}");
                return;
            }
            out.push_str(" { ");
            for (n, i) in order.into_iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                out.push_str(&s.def.fields[i]);
                out.push_str(": ");
                write_display(out, &s.fields[i]);
            }
            out.push_str(" }");
        }
        Value::Enum(e) => {
            if &*e.enum_name != "Result" && &*e.enum_name != "Option" {
                out.push_str(&e.enum_name);
                out.push_str("::");
            }
            out.push_str(&e.variant);
            if let Some(p) = &e.payload {
                out.push('(');
                write_display(out, p);
                out.push(')');
            }
        }
        Value::Cell(c) => write_display(out, &c.borrow()),
        Value::Error(e) => {
            let _ = write!(
                out,
                "Error {{ line: {}, message: {}, stack: [",
                e.line, e.message
            );
            for (i, name) in e.stack.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
            }
            out.push_str("] }");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_as_spec() {
        let f = |x: f64| display(&Value::Float(x));
        assert_eq!(f(15.0), "15");
        assert_eq!(f(2.5), "2.5");
        assert_eq!(f(1e-7), "0.0000001");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f(1e24), "1000000000000000000000000");
        assert_eq!(f(f64::NAN), "NaN");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
    }
}
