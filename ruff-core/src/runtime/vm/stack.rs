//! Stack primitives of the dispatch loop: fast paths that read or replace
//! the top values without the general push/pop.

use crate::runtime::value::Value;

use super::Vm;

impl Vm {
    /// The two topmost values if both are ints.
    #[inline(always)]
    pub(super) fn top2_ints(&self) -> Option<(i64, i64)> {
        match self.stack.as_slice() {
            [.., Value::Int(a), Value::Int(b)] => Some((*a, *b)),
            _ => None,
        }
    }

    #[inline(always)]
    pub(super) fn reserve_one(&mut self) {
        if self.stack.len() == self.stack.capacity() {
            self.stack.reserve(1);
        }
    }

    /// Push an int by writing its tag and payload in place.
    ///
    /// # Safety
    /// The stack must have spare capacity for one value.
    #[inline(always)]
    pub(super) unsafe fn push_int_unchecked(&mut self, i: i64) {
        let n = self.stack.len();
        // SAFETY: `Value` is `repr(u8)`: tag byte at 0, i64 payload at 8.
        unsafe {
            let p = self.stack.as_mut_ptr().add(n) as *mut u8;
            p.write(crate::runtime::value::tag::INT);
            (p.add(8) as *mut i64).write(i);
            self.stack.set_len(n + 1);
        }
    }

    /// Replace the two topmost values, both ints, by the int `i`.
    #[inline(always)]
    pub(super) fn replace_top2_with_int(&mut self, i: i64) {
        let n = self.stack.len();
        debug_assert!(n >= 2 && self.stack[n - 1].is_scalar() && self.stack[n - 2].is_scalar());
        // SAFETY: both are scalars (no drop glue); the slot at n-2 becomes a
        // complete Int (tag and payload written).
        unsafe {
            self.stack.set_len(n - 1);
            let p = self.stack.as_mut_ptr().add(n - 2) as *mut u8;
            p.write(crate::runtime::value::tag::INT);
            (p.add(8) as *mut i64).write(i);
        }
    }

    /// Replace the two topmost values, both scalars, by `v`.
    #[inline(always)]
    pub(super) fn replace_top2_scalars(&mut self, v: Value) {
        let n = self.stack.len();
        debug_assert!(n >= 2 && self.stack[n - 1].is_scalar() && self.stack[n - 2].is_scalar());
        // SAFETY: the caller checked both are scalars (no drop glue to run)
        // and that there are two of them.
        unsafe {
            self.stack.set_len(n - 1);
            std::ptr::write(self.stack.as_mut_ptr().add(n - 2), v);
        }
    }

    /// `stack.truncate(len)`, but scalars are dropped inline: `truncate`
    /// calls the out-of-line drop glue of `Value` once per value, which is
    /// most of the cost of a `Return` (callee and arguments are dropped).
    #[inline(always)]
    pub(crate) fn truncate_stack(&mut self, len: usize) {
        while self.stack.len() > len {
            let n = self.stack.len() - 1;
            if self.stack[n].is_scalar() {
                // SAFETY: a scalar needs no drop.
                unsafe { self.stack.set_len(n) }
            } else if let Some(Value::Func(c)) = self.stack.pop() {
                // The callee of a returning call: an inline count decrement.
                drop(c);
            }
        }
    }

    /// Drop the topmost value, a scalar.
    #[inline(always)]
    pub(super) fn drop_top_scalar(&mut self) {
        let n = self.stack.len();
        debug_assert!(n >= 1 && self.stack[n - 1].is_scalar());
        // SAFETY: checked by the caller: a scalar needs no drop.
        unsafe { self.stack.set_len(n - 1) }
    }

    /// Overwrite a slot, skipping drop glue when the old value is a scalar.
    #[inline(always)]
    pub(super) fn store_slot(&mut self, idx: usize, v: Value) {
        let slot = &mut self.stack[idx];
        if slot.is_scalar() {
            // SAFETY: a scalar needs no drop.
            unsafe { std::ptr::write(slot, v) }
        } else {
            *slot = v;
        }
    }
}
