//! The VM state other layers read and write, as methods: the JIT and its
//! helpers never name `Vm`'s fields (the seam's other half, see
//! `jit::seam`). The operand stack holds every frame's slots; globals are
//! fixed in number when the program is compiled.

use crate::runtime::value::Value;

use super::{Frame, Vm};

impl Vm {
    /// Where the operand stack's `Vec` sits in a `Vm`: native code reads
    /// its pointer and length in place (`jit::layout`).
    pub(crate) const STACK_OFFSET: usize = std::mem::offset_of!(Vm, stack);

    /// The whole operand stack (all frames' slots and temporaries).
    #[inline(always)]
    pub(crate) fn stack(&self) -> &[Value] {
        &self.stack
    }

    #[inline(always)]
    pub(crate) fn stack_len(&self) -> usize {
        self.stack.len()
    }

    /// Stack slot `i`, which exists.
    #[inline(always)]
    pub(crate) fn slot_mut(&mut self, i: usize) -> &mut Value {
        &mut self.stack[i]
    }

    /// Slots `from..` (empty past the end).
    #[inline(always)]
    pub(crate) fn stack_from_mut(&mut self, from: usize) -> &mut [Value] {
        self.stack.get_mut(from..).unwrap_or_default()
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    #[inline(always)]
    pub(crate) fn reserve_stack(&mut self, extra: usize) {
        self.stack.reserve(extra);
    }

    /// Remove and return the values from `from` up.
    pub(crate) fn take_stack_from(&mut self, from: usize) -> Vec<Value> {
        self.stack.drain(from..).collect()
    }

    /// Every global, `None` while undefined.
    #[inline(always)]
    pub(crate) fn globals(&self) -> &[Option<Value>] {
        &self.globals
    }

    #[inline(always)]
    pub(crate) fn globals_mut(&mut self) -> &mut [Option<Value>] {
        &mut self.globals
    }

    /// The active interpreter frames, innermost last.
    #[inline(always)]
    pub(crate) fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Push a frame for code that resumes in the interpreter (an exit from
    /// method code).
    pub(crate) fn push_resumed_frame(&mut self, f: Frame) {
        self.frames.push(f);
    }
}
