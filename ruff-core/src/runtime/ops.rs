//! Operator semantics out of line: the dispatch loop handles the int/float
//! fast paths itself and calls these for everything else (§4).

use crate::bytecode::Op;
use std::cmp::Ordering;
use std::rc::Rc;

use super::cow;
use super::error::{RtError, RtResult};
use super::format::{display, write_display};
use super::value::{Key, Value};

fn invalid(op: &str, a: &Value, b: &Value) -> RtError {
    RtError::msg(format!(
        "Invalid binary operation: {} {op} {}",
        a.type_name(),
        b.type_name()
    ))
}

fn overflow(a: i64, op: &str, b: i64) -> RtError {
    RtError::msg(format!("Integer overflow: {a} {op} {b}"))
}

/// `a + b`. Takes `a` by value so a uniquely held string or array is
/// extended in place (`s = s + "x"` is amortised O(1)).
pub fn add(a: Value, b: Value) -> RtResult<Value> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x
            .checked_add(y)
            .map(Value::Int)
            .ok_or_else(|| overflow(x, "+", y)),
        (Value::Str(mut x), Value::Str(y)) => {
            match Rc::get_mut(&mut x) {
                Some(s) => s.push_str(&y),
                None => {
                    cow::note_copy();
                    let mut s = String::with_capacity(x.len() + y.len());
                    s.push_str(&x);
                    s.push_str(&y);
                    x = Rc::new(s);
                }
            }
            Ok(Value::Str(x))
        }
        (Value::Array(mut x), Value::Array(y)) => {
            cow::make_mut(&mut x).extend(&y);
            Ok(Value::Array(x))
        }
        (a, b) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Ok(Value::Float(x + y)),
            _ => Err(invalid("+", &a, &b)),
        },
    }
}

/// `a OP b` for the arithmetic opcodes, the slow path of the dispatch
/// loop's one arithmetic arm.
pub fn binary(op: Op, a: Value, b: Value) -> RtResult<Value> {
    match op {
        Op::Add => add(a, b),
        Op::Sub => arith("-", a, b),
        Op::Mul => arith("*", a, b),
        Op::Div => arith("/", a, b),
        _ => arith("%", a, b),
    }
}

/// `x OP y` on two ints when it needs no error: `+ - *` without overflow,
/// `/` and `%` by a positive divisor (truncating, as `arith`).
#[inline(always)]
pub fn int_fast_path(op: Op, x: i64, y: i64) -> Option<i64> {
    match op {
        Op::Add => x.checked_add(y),
        Op::Sub => x.checked_sub(y),
        Op::Mul => x.checked_mul(y),
        Op::Div if y > 0 => Some(x / y),
        Op::Mod if y > 0 => Some(x % y),
        _ => None,
    }
}

/// `x OP y` on two floats for `+ - *` (never an error).
#[inline(always)]
pub fn float_fast_path(op: Op, x: f64, y: f64) -> f64 {
    match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        _ => x * y,
    }
}

pub fn arith(op: &str, a: Value, b: Value) -> RtResult<Value> {
    if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
        let (x, y) = (*x, *y);
        return match op {
            "-" => x
                .checked_sub(y)
                .map(Value::Int)
                .ok_or_else(|| overflow(x, op, y)),
            "*" => x
                .checked_mul(y)
                .map(Value::Int)
                .ok_or_else(|| overflow(x, op, y)),
            "/" => {
                if y == 0 {
                    Err(RtError::msg("Division by zero"))
                } else {
                    x.checked_div(y)
                        .map(Value::Int)
                        .ok_or_else(|| overflow(x, op, y))
                }
            }
            _ => {
                if y == 0 {
                    Err(RtError::msg("Modulo by zero"))
                } else {
                    Ok(Value::Int(x.wrapping_rem(y)))
                }
            }
        };
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return Err(invalid(op, &a, &b));
    };
    match op {
        "-" => Ok(Value::Float(x - y)),
        "*" => Ok(Value::Float(x * y)),
        "/" if y == 0.0 => Err(RtError::msg("Division by zero")),
        "/" => Ok(Value::Float(x / y)),
        _ if y == 0.0 => Err(RtError::msg("Modulo by zero")),
        _ => Ok(Value::Float(x % y)),
    }
}

/// `var OP operand` for `UpdateVar`: like `add`/`arith`, but on error the
/// variable's original value is handed back so it can be restored.
pub fn arith_update(op: char, a: Value, b: Value) -> Result<Value, (Value, RtError)> {
    if op == '+' {
        let can_fail = !matches!(
            (&a, &b),
            (Value::Str(_), Value::Str(_)) | (Value::Array(_), Value::Array(_))
        );
        if !can_fail {
            return add(a, b).map_err(|e| (Value::Null, e));
        }
        return add(a.clone(), b).map_err(|e| (a, e));
    }
    let sym = match op {
        '-' => "-",
        '*' => "*",
        '/' => "/",
        _ => "%",
    };
    arith(sym, a.clone(), b).map_err(|e| (a, e))
}

pub fn negate(a: Value) -> RtResult<Value> {
    match a {
        Value::Int(x) => x
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| RtError::msg(format!("Integer overflow: -{x}"))),
        Value::Float(x) => Ok(Value::Float(-x)),
        other => Err(RtError::msg(format!(
            "Invalid unary operation: -{}",
            other.type_name()
        ))),
    }
}

/// `<`, `<=`, `>`, `>=` on numbers or strings.
pub fn compare(op: &str, a: &Value, b: &Value) -> RtResult<bool> {
    let ord = match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Str(x), Value::Str(y)) => x.as_str().cmp(y.as_str()),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => match x.partial_cmp(&y) {
                Some(o) => o,
                None => return Ok(false),
            },
            _ => return Err(invalid(op, a, b)),
        },
    };
    Ok(match op {
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        ">" => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    })
}

/// A dict key from a value, or the error for a bad key type.
pub fn key(v: &Value) -> RtResult<Key> {
    v.as_key().ok_or_else(|| {
        RtError::msg(format!(
            "Dict keys must be int or string, got {}",
            v.type_name()
        ))
    })
}

fn key_text(k: &Key) -> String {
    match k {
        Key::Int(i) => i.to_string(),
        Key::Str(s) => s.to_string(),
    }
}

/// Resolve a possibly negative index against a length.
fn norm_index(i: i64, len: usize) -> Option<usize> {
    let idx = if i < 0 { i.checked_add(len as i64)? } else { i };
    (0..len as i64).contains(&idx).then_some(idx as usize)
}

fn int_index(container: &str, v: &Value) -> RtResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(RtError::msg(format!(
            "{container} index must be an int, got {}",
            other.type_name()
        ))),
    }
}

/// `obj[key]`.
pub fn index(obj: &Value, k: &Value) -> RtResult<Value> {
    match obj {
        Value::Array(a) => {
            let i = int_index("Array", k)?;
            norm_index(i, a.len())
                .and_then(|i| a.get(i))
                .ok_or_else(|| RtError::msg(format!("Index out of bounds: {i}")))
        }
        Value::Dict(d) => {
            let key = key(k)?;
            d.get(&key)
                .cloned()
                .ok_or_else(|| RtError::msg(format!("Key not found: {}", key_text(&key))))
        }
        Value::Str(s) => {
            let i = int_index("String", k)?;
            let n = if i < 0 { s.chars().count() } else { 0 };
            norm_index(i, if i < 0 { n } else { usize::MAX >> 1 })
                .and_then(|idx| s.chars().nth(idx))
                .map(|c| Value::str(c.to_string()))
                .ok_or_else(|| RtError::msg(format!("Index out of bounds: {i}")))
        }
        other => Err(RtError::msg(format!("Cannot index {}", other.type_name()))),
    }
}

/// `obj.name` (struct field, dict entry, error field).
pub fn get_field(obj: &Value, name: &str) -> RtResult<Value> {
    match obj {
        Value::Struct(s) => s
            .def
            .field_index(name)
            .map(|i| s.fields[i].clone())
            .ok_or_else(|| RtError::msg(format!("Unknown field {name} in struct {}", s.def.name))),
        Value::Dict(d) => d
            .get(&Key::Str(Rc::new(name.to_string())))
            .cloned()
            .ok_or_else(|| RtError::msg(format!("Key not found: {name}"))),
        Value::Error(e) => match name {
            "message" => Ok(Value::Str(e.message.clone())),
            "line" => Ok(Value::Int(e.line)),
            "stack" => Ok(Value::array(
                e.stack.iter().map(|s| Value::Str(s.clone())).collect(),
            )),
            _ => Err(RtError::msg(format!("Unknown field {name} of error"))),
        },
        other => Err(RtError::msg(format!(
            "Cannot read field {name} of {}",
            other.type_name()
        ))),
    }
}

/// A mutable reference to `obj[key]` / `obj.name` for a nested store,
/// copying shared collections on the way down (copy-on-write).
fn child_mut<'v>(obj: &'v mut Value, k: &Value, is_field: bool) -> RtResult<&'v mut Value> {
    let assignable = match obj {
        Value::Array(_) | Value::Dict(_) => true,
        Value::Struct(_) => is_field,
        _ => false,
    };
    if !assignable {
        return Err(cannot_assign(obj, k, is_field));
    }
    match obj {
        Value::Array(a) => {
            let i = int_index("Array", k)?;
            let len = a.len();
            let idx = norm_index(i, len)
                .ok_or_else(|| RtError::msg(format!("Index out of bounds: {i}")))?;
            Ok(&mut cow::make_mut(a).values_mut()[idx])
        }
        Value::Dict(d) => {
            let key = key(k)?;
            let text = key_text(&key);
            cow::make_mut(d)
                .get_mut(&key)
                .ok_or_else(|| RtError::msg(format!("Key not found: {text}")))
        }
        Value::Struct(s) => {
            let name = display(k);
            let idx = s.def.field_index(&name).ok_or_else(|| {
                RtError::msg(format!("Unknown field {name} in struct {}", s.def.name))
            })?;
            Ok(&mut cow::make_mut(s).fields[idx])
        }
        _ => unreachable!("checked assignable above"),
    }
}

fn cannot_assign(obj: &Value, k: &Value, is_field: bool) -> RtError {
    if is_field {
        RtError::msg(format!(
            "Cannot assign field {} of {}",
            display(k),
            obj.type_name()
        ))
    } else {
        RtError::msg(format!("Cannot assign into {} by index", obj.type_name()))
    }
}

fn set(obj: &mut Value, k: &Value, v: Value, is_field: bool) -> RtResult<()> {
    match obj {
        Value::Array(a) => {
            let i = int_index("Array", k)?;
            let idx = norm_index(i, a.len())
                .ok_or_else(|| RtError::msg(format!("Index out of bounds: {i}")))?;
            cow::make_mut(a).set(idx, v);
        }
        Value::Dict(d) => {
            let key = key(k)?;
            cow::make_mut(d).insert(key, v);
        }
        Value::Struct(_) if is_field => *child_mut(obj, k, true)? = v,
        other => return Err(cannot_assign(other, k, is_field)),
    }
    Ok(())
}

/// `root[k1]..[kn] := v`, bit i of `field_mask` marking `.name` keys.
pub fn set_path(root: &mut Value, keys: &[Value], field_mask: u32, v: Value) -> RtResult<()> {
    let Some((last, inner)) = keys.split_last() else {
        *root = v;
        return Ok(());
    };
    let mut cur = root;
    for (i, k) in inner.iter().enumerate() {
        cur = child_mut(cur, k, field_mask & (1 << i) != 0)?;
    }
    set(cur, last, v, field_mask & (1 << inner.len()) != 0)
}

/// `v1 + v2 + ...` as text (string interpolation).
pub fn concat(values: &[Value]) -> Value {
    let mut out = String::new();
    for v in values {
        write_display(&mut out, v);
    }
    Value::str(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_arith_edges() {
        assert!(matches!(
            arith("/", Value::Int(-7), Value::Int(2)),
            Ok(Value::Int(-3))
        ));
        assert!(matches!(
            arith("%", Value::Int(-7), Value::Int(3)),
            Ok(Value::Int(-1))
        ));
        assert!(arith("/", Value::Int(i64::MIN), Value::Int(-1)).is_err());
        assert!(matches!(
            arith("%", Value::Int(i64::MIN), Value::Int(-1)),
            Ok(Value::Int(0))
        ));
        assert!(add(Value::Int(i64::MAX), Value::Int(1)).is_err());
    }

    #[test]
    fn string_index_by_chars() {
        let s = Value::str("hé!");
        assert_eq!(display(&index(&s, &Value::Int(1)).unwrap()), "é");
        assert_eq!(display(&index(&s, &Value::Int(-1)).unwrap()), "!");
        assert!(index(&s, &Value::Int(3)).is_err());
    }
}
