//! A Ruff array's elements, in one of two *kinds* (as V8 calls them):
//! any values, 16 bytes each, or — while every element is a bool — one byte
//! per element. A sieve's 2M flags then take 2 MB instead of 32 MB, which
//! is the difference between a loop that runs in cache and one that waits
//! on memory. The kind is invisible to Ruff code: every read gives the same
//! `Value`s, and a write that does not fit the compact kind turns the array
//! into the general one first (never back, except when built anew).
//!
//! An empty array is `Values` (what `[]` builds, and what a compact array
//! that loses its last element becomes), and its first element picks the
//! kind: `push` of a bool onto `[]` gives `Bools`, so an array built by
//! pushing bools is compact from the start.
//!
//! Native code reads and writes both kinds in place: `repr(u8)` fixes the
//! kind byte at offset 0 and the `Vec` at offset 8 (see `jit::layout`).

use std::borrow::Cow;

use super::value::Value;

#[derive(Clone)]
#[repr(u8)]
pub enum Array {
    /// Any values.
    Values(Vec<Value>) = 0,
    /// Only bools.
    Bools(Vec<bool>) = 1,
}

/// The kind bytes (`repr(u8)` discriminants), for native code.
pub mod kind {
    pub const VALUES: u8 = 0;
    pub const BOOLS: u8 = 1;
}

/// Elements may nest arrays to any depth (`runtime::deep`).
impl Drop for Array {
    fn drop(&mut self) {
        if let Array::Values(v) = self {
            if !v.is_empty() {
                super::deep::drop_deep(std::mem::take(v));
            }
        }
    }
}

impl Default for Array {
    fn default() -> Self {
        Array::Values(Vec::new())
    }
}

impl Array {
    /// The array of `items`, compact if they are all bools.
    pub fn from_values(items: Vec<Value>) -> Array {
        let all_bools = !items.is_empty() && items.iter().all(|v| matches!(v, Value::Bool(_)));
        if all_bools {
            Array::Bools(
                items
                    .iter()
                    .map(|v| matches!(v, Value::Bool(true)))
                    .collect(),
            )
        } else {
            Array::Values(items)
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Array::Values(v) => v.len(),
            Array::Bools(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i`, if in bounds.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Value> {
        match self {
            Array::Values(v) => v.get(i).cloned(),
            Array::Bools(b) => b.get(i).map(|x| Value::Bool(*x)),
        }
    }

    /// The elements in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Value> + '_ {
        (0..self.len()).map(|i| self.get(i).expect("in bounds"))
    }

    /// The elements as a slice: borrowed for the general kind, built for
    /// the compact one.
    pub fn values(&self) -> Cow<'_, [Value]> {
        match self {
            Array::Values(v) => Cow::Borrowed(v),
            Array::Bools(_) => Cow::Owned(self.iter().collect()),
        }
    }

    /// The elements as a `Vec` to change freely: the array becomes the
    /// general kind.
    pub fn values_mut(&mut self) -> &mut Vec<Value> {
        if let Array::Bools(b) = self {
            let v = b.iter().map(|x| Value::Bool(*x)).collect();
            *self = Array::Values(v);
        }
        match self {
            Array::Values(v) => v,
            Array::Bools(_) => unreachable!("just converted"),
        }
    }

    pub fn into_values(mut self) -> Vec<Value> {
        match &mut self {
            Array::Values(v) => std::mem::take(v),
            Array::Bools(b) => b.iter().map(|&b| Value::Bool(b)).collect(),
        }
    }

    /// Replaces element `i` (which must be in bounds).
    #[inline]
    pub fn set(&mut self, i: usize, v: Value) {
        match (self, v) {
            (Array::Bools(b), Value::Bool(x)) => b[i] = x,
            (me, v) => me.values_mut()[i] = v,
        }
    }

    /// Appends `v`; a bool onto an empty array starts the compact kind.
    #[inline]
    pub fn push(&mut self, v: Value) {
        match (&mut *self, v) {
            (Array::Bools(b), Value::Bool(x)) => b.push(x),
            (Array::Values(items), Value::Bool(x)) if items.is_empty() => {
                let mut b = Vec::with_capacity(items.capacity().max(4));
                b.push(x);
                *self = Array::Bools(b);
            }
            (me, v) => me.values_mut().push(v),
        }
    }

    /// Appends the elements of `other` (compact stays compact).
    pub fn extend(&mut self, other: &Array) {
        match (&mut *self, other) {
            (Array::Bools(a), Array::Bools(b)) => a.extend_from_slice(b),
            (me, _) if me.is_empty() => *me = other.clone(),
            (me, _) => me.values_mut().extend(other.iter()),
        }
    }

    /// Removes and returns the last element.
    pub fn pop(&mut self) -> Option<Value> {
        let out = match self {
            Array::Values(v) => v.pop(),
            Array::Bools(b) => b.pop().map(Value::Bool),
        };
        if matches!(self, Array::Bools(b) if b.is_empty()) {
            *self = Array::default();
        }
        out
    }

    /// Keeps the first `n` elements.
    pub fn truncate(&mut self, n: usize) {
        match self {
            Array::Values(v) => v.truncate(n),
            Array::Bools(_) if n == 0 => *self = Array::default(),
            Array::Bools(b) => b.truncate(n),
        }
    }
}

/// Element-wise (`Value` equality), whatever the kinds.
impl PartialEq for Array {
    fn eq(&self, other: &Array) -> bool {
        match (self, other) {
            (Array::Values(a), Array::Values(b)) => a == b,
            (Array::Bools(a), Array::Bools(b)) => a == b,
            _ => self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: bool) -> Value {
        Value::Bool(x)
    }

    #[test]
    fn bools_pushed_onto_empty_stay_compact_until_a_non_bool() {
        let mut a = Array::default();
        a.push(b(true));
        a.push(b(false));
        assert!(matches!(a, Array::Bools(_)));
        assert_eq!(a.get(1), Some(b(false)));
        a.set(0, b(false));
        assert!(matches!(a, Array::Bools(_)));
        a.set(1, Value::Int(3));
        assert!(matches!(a, Array::Values(_)));
        assert_eq!(a.values().as_ref(), &[b(false), Value::Int(3)]);
    }

    #[test]
    fn kinds_compare_by_elements_and_empty_is_general() {
        let compact = Array::from_values(vec![b(true), b(false)]);
        assert!(matches!(compact, Array::Bools(_)));
        let mut general = Array::Values(vec![b(true)]);
        general.values_mut().push(b(false));
        assert!(compact == general);
        let mut c = compact.clone();
        c.pop();
        c.pop();
        assert!(matches!(c, Array::Values(_)) && c.is_empty());
        let mut d = compact;
        d.truncate(0);
        assert!(matches!(d, Array::Values(_)));
        assert!(matches!(Array::from_values(vec![]), Array::Values(_)));
    }
}
