//! Keeping a profiler's shadow stack (`runtime::shadow`) current from
//! native code, emitted only when one is attached (`Unit::prof`); without a
//! profiler none of these methods emits anything.
//!
//! Method code pushes a `native` frame in its prologue (after the recursion
//! check, so a refused call pushes nothing) and restores the depth it saw
//! on entry in `epilogue`, which every way out of a frame goes through:
//! return, error propagation, and exits (where `exits::resume` turns the
//! same entry into the interpreted frame that finishes the call). OSR code
//! stands for its VM frame, whose entry `enter_loop` marks native; it only
//! records lines. Lines are stored at calls and loop back edges, as the
//! interpreter does. See the module docs of `runtime::shadow` for why plain
//! stores are enough for the sampler thread.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types as t, InstBuilder, MemFlagsData as MemFlags, Value as V};

use crate::runtime::shadow::{slot_off, NativeLayout, Tier};

use super::Lower;

impl Lower<'_, '_> {
    /// `slot = slots + min(index, capacity) * SIZE`: past the capacity,
    /// the spare slot.
    fn prof_slot_at(&mut self, l: NativeLayout, index: V) -> V {
        let cap = self.iconst(l.capacity as i64);
        let past = self.b.ins().icmp(IntCC::UnsignedGreaterThan, index, cap);
        let i = self.b.ins().select(past, cap, index);
        let offs = self.b.ins().imul_imm_s(i, slot_off::SIZE);
        let base = self.iconst(l.slots as i64);
        self.b.ins().iadd(base, offs)
    }

    /// Method prologue: push this function's frame, tier native.
    pub(super) fn prof_push(&mut self) {
        let Some(l) = self.u.prof else { return };
        let da = self.iconst(l.depth as i64);
        let d = self.b.ins().load(t::I64, MemFlags::trusted(), da, 0);
        let slot = self.prof_slot_at(l, d);
        self.prof_slot = Some(slot);
        let f = self.b.ins().iconst(t::I32, self.u.proto.id as i64);
        self.b
            .ins()
            .store(MemFlags::trusted(), f, slot, slot_off::FUNC);
        let line = self.b.ins().iconst(t::I32, self.u.proto.line as i64);
        self.b
            .ins()
            .store(MemFlags::trusted(), line, slot, slot_off::LINE);
        let tier = self.b.ins().iconst(t::I8, Tier::Native as i64);
        self.b
            .ins()
            .store(MemFlags::trusted(), tier, slot, slot_off::TIER);
        // Published last (a release store on x86-64, see runtime::shadow).
        let d1 = self.b.ins().iadd_imm_s(d, 1);
        self.b.ins().store(MemFlags::trusted(), d1, da, 0);
        self.prof_d0 = Some(d);
    }

    /// Method epilogue: back to the depth seen on entry (also undoes
    /// anything a failed callee left, instead of trusting a count).
    pub(super) fn prof_pop(&mut self) {
        let (Some(l), Some(d)) = (self.u.prof, self.prof_d0) else {
            return;
        };
        let da = self.iconst(l.depth as i64);
        self.b.ins().store(MemFlags::trusted(), d, da, 0);
    }

    /// OSR entry: the innermost entry is this loop's VM frame.
    pub(super) fn prof_osr(&mut self) {
        let Some(l) = self.u.prof else { return };
        let da = self.iconst(l.depth as i64);
        let d = self.b.ins().load(t::I64, MemFlags::trusted(), da, 0);
        // depth ≥ 1 here (the VM frame); 0 - 1 wraps to the spare slot.
        let top = self.b.ins().iadd_imm_s(d, -1);
        self.prof_slot = Some(self.prof_slot_at(l, top));
    }

    /// At a call or back edge: the frame is at instruction `ip`'s line.
    pub(super) fn prof_line(&mut self, ip: usize) {
        let Some(slot) = self.prof_slot else { return };
        let line = self.u.proto.lines.get(ip).copied().unwrap_or(0);
        let v = self.b.ins().iconst(t::I32, line as i64);
        self.b
            .ins()
            .store(MemFlags::trusted(), v, slot, slot_off::LINE);
    }
}
