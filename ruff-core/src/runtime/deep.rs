//! Walks over nested values recurse once per level of nesting, and Ruff puts
//! no limit on nesting (`a = [a]` a million times is a valid program). Each
//! recursive walk — formatting, equality, dropping — and each nested
//! dispatch loop a builtin starts (`map` calling back into Ruff) runs its
//! next level through `with_stack`, which continues on a fresh heap-allocated
//! stack segment when the machine stack runs low, so no depth of data or of
//! builtin re-entry can overflow it.

/// Below this much remaining stack, the next level runs on a new segment.
const RED_ZONE: usize = 256 * 1024;
/// The size of each new segment.
const SEGMENT: usize = 16 * 1024 * 1024;

/// Run `f` (one level of a recursive walk) with enough machine stack.
#[inline]
pub fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

/// Drop `v` with enough stack: its drop may recurse through every level
/// of a nested value.
#[inline]
pub fn drop_deep<T>(v: T) {
    with_stack(move || drop(v))
}

#[cfg(test)]
mod tests {
    use super::super::array::Array;
    use super::super::format::display;
    use super::super::value::Value;
    use std::rc::Rc;

    fn nested(depth: usize) -> Value {
        let mut a = Value::Int(0);
        for _ in 0..depth {
            a = Value::Array(Rc::new(Array::Values(vec![a])));
        }
        a
    }

    /// On a small thread stack, a deeply nested value formats, compares and
    /// drops without overflowing it.
    #[test]
    fn deep_values_need_no_deep_stack() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let (a, b) = (nested(200_000), nested(200_000));
                assert_eq!(display(&a).len(), 400_001);
                assert!(a == b);
                drop(a);
                drop(b);
            })
            .expect("spawn")
            .join()
            .expect("no overflow");
    }
}
