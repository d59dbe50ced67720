//! Building and iterating collections in the interpreter: for-in over
//! arrays, dicts, strings and ranges, dict literals, spreads.

use smallvec::SmallVec;

use crate::runtime::cow;
use crate::runtime::error::{RtError, RtResult};
use crate::runtime::ops;
use crate::runtime::value::Value;

use super::Vm;

impl Vm {
    pub(crate) fn iter_prep(&mut self, slot: usize) -> RtResult<()> {
        let v = self.stack.pop().unwrap_or(Value::Null);
        match v {
            Value::Array(_) | Value::Dict(_) | Value::Str(_) | Value::Int(_) => {
                self.stack[slot] = v;
                self.stack[slot + 1] = Value::Int(0);
                Ok(())
            }
            other => Err(RtError::msg(format!(
                "Cannot iterate over {}",
                other.type_name()
            ))),
        }
    }

    /// The next item of a `for` loop, advancing the cursor; `None` when done.
    pub(crate) fn iter_next(&mut self, slot: usize) -> Option<Value> {
        let Value::Int(cursor) = self.stack[slot + 1] else {
            return None;
        };
        let i = cursor as usize;
        let (item, next) = match &self.stack[slot] {
            Value::Array(a) => (a.get(i)?, cursor + 1),
            Value::Dict(d) => (d.get_index(i)?.0.to_value(), cursor + 1),
            Value::Str(s) => {
                let ch = s.get(i..)?.chars().next()?;
                (Value::str(ch.to_string()), cursor + ch.len_utf8() as i64)
            }
            Value::Int(n) => {
                if cursor >= *n {
                    return None;
                }
                (Value::Int(cursor), cursor + 1)
            }
            _ => return None,
        };
        self.stack[slot + 1] = Value::Int(next);
        Some(item)
    }

    pub(super) fn range_prep(&mut self, slot: usize) -> RtResult<()> {
        let step = self.stack.pop().unwrap_or(Value::Null);
        let end = self.stack.pop().unwrap_or(Value::Null);
        let start = self.stack.pop().unwrap_or(Value::Null);
        match (&start, &end, &step) {
            (Value::Int(_), Value::Int(_), Value::Int(s)) => {
                if *s == 0 {
                    return Err(RtError::msg("range() step cannot be zero"));
                }
            }
            _ => {
                let bad = [&start, &end, &step]
                    .into_iter()
                    .find(|v| !matches!(v, Value::Int(_)))
                    .map_or("null", |v| v.type_name());
                return Err(RtError::msg(format!(
                    "range() expects int arguments, got {bad}"
                )));
            }
        }
        self.stack[slot] = start;
        self.stack[slot + 1] = end;
        self.stack[slot + 2] = step;
        Ok(())
    }

    pub(crate) fn make_dict(&mut self, n: usize) -> RtResult<Value> {
        let mut map = crate::runtime::value::DictMap::default();
        map.reserve(n);
        let items: SmallVec<[Value; 8]> = self.stack.drain(self.stack.len() - 2 * n..).collect();
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            map.insert(ops::key(&k)?, v);
        }
        Ok(Value::dict(map))
    }

    pub(super) fn extend_top(&mut self, other: Value) -> RtResult<()> {
        let top = self.stack.last_mut().expect("collection under spread");
        match (top, other) {
            (Value::Array(a), Value::Array(b)) => cow::make_mut(a).extend(&b),
            (Value::Dict(a), Value::Dict(b)) => {
                let a = cow::make_mut(a);
                for (k, v) in b.iter() {
                    a.insert(k.clone(), v.clone());
                }
            }
            (Value::Array(_), other) => {
                return Err(RtError::msg(format!(
                    "Cannot spread {} into an array",
                    other.type_name()
                )))
            }
            (_, other) => {
                return Err(RtError::msg(format!(
                    "Cannot spread {} into a dict",
                    other.type_name()
                )))
            }
        }
        Ok(())
    }
}
