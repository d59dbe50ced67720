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
//! records lines. See the module docs of `runtime::shadow` for why plain
//! stores are enough for the sampler thread.
//!
//! Lines: the frame shows the line of the call it is in or of the loop it
//! runs, as in the interpreter, with as few stores as that takes (they are
//! on the hottest paths: measured, a store per back edge of a tight loop
//! cost while_sum +40%): a unit whose calls and loops are all on one line stores it
//! once at entry; otherwise each call stores its line, and a loop stores its
//! line when entered, and again at its back edge only if its body contains
//! a call or an inner loop (which changed it).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types as t, InstBuilder, MemFlagsData as MemFlags, Value as V};

use crate::bytecode::Op;
use crate::runtime::shadow::{slot_off, NativeLayout, Tier};

use super::Lower;

/// Per unit, with a profiler attached.
pub(super) struct ProfState {
    /// This frame's slot (the spare slot past the capacity).
    slot: V,
    /// Method code: the depth to restore on the way out.
    d0: Option<V>,
    /// All calls and loops are on this line: stored once at entry.
    fixed: Option<u32>,
    /// Per loop of the unit: header, back-edge line, and whether the body
    /// calls or nests a loop (the back edge then stores the line again).
    loops: Vec<(usize, u32, bool)>,
}

impl Lower<'_, '_> {
    fn is_line_point(op: &Op) -> bool {
        matches!(
            op,
            Op::Call(_) | Op::CallMethod(..) | Op::CallMethodWb(..) | Op::Loop(_)
        )
    }

    /// Where the compiled code (instructions `range`) records lines.
    fn prof_plan(&self, slot: V, d0: Option<V>, range: (usize, usize)) -> ProfState {
        let code = &self.u.proto.code;
        let lines = &self.u.proto.lines;
        let live = |ip: usize| ip >= range.0 && ip < range.1 && self.u.an.states[ip].is_some();
        let mut seen: Vec<u32> = (range.0..range.1)
            .filter(|&ip| live(ip) && Self::is_line_point(&code[ip]))
            .map(|ip| lines.get(ip).copied().unwrap_or(0))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        let fixed = match seen.as_slice() {
            [] => Some(self.u.proto.line),
            [one] => Some(*one),
            _ => None,
        };
        let mut loops = Vec::new();
        for (ip, op) in code.iter().enumerate() {
            let Op::Loop(h) = *op else { continue };
            let h = h as usize;
            if !live(ip) || h > ip {
                continue;
            }
            let busy = (h..ip).any(|i| live(i) && Self::is_line_point(&code[i]));
            loops.push((h, lines.get(ip).copied().unwrap_or(0), busy));
        }
        ProfState {
            slot,
            d0,
            fixed,
            loops,
        }
    }

    /// `slot = slots + min(index, capacity) * SIZE`: past the capacity,
    /// the spare slot.
    fn prof_slot_at(&mut self, l: NativeLayout, index: V) -> V {
        let cap = self.iconst(l.capacity as i64);
        let past = self.b.ins().icmp(IntCC::UnsignedGreaterThan, index, cap);
        let i = self.b.ins().select(past, cap, index);
        let offs = self
            .b
            .ins()
            .ishl_imm_s(i, slot_off::SIZE.trailing_zeros() as i64);
        let base = self.iconst(l.slots as i64);
        self.b.ins().iadd(base, offs)
    }

    fn store_line(&mut self, slot: V, line: u32) {
        let v = self.b.ins().iconst(t::I32, line as i64);
        self.b
            .ins()
            .store(MemFlags::trusted(), v, slot, slot_off::LINE);
    }

    /// Method prologue: push this function's frame, tier native.
    pub(super) fn prof_push(&mut self) {
        let Some(l) = self.u.prof else { return };
        let da = self.iconst(l.depth as i64);
        let d = self.b.ins().load(t::I64, MemFlags::trusted(), da, 0);
        let slot = self.prof_slot_at(l, d);
        let st = self.prof_plan(slot, Some(d), (0, self.u.proto.code.len()));
        // Function and line are adjacent (`slot_off`): one 64-bit store.
        let line = st.fixed.unwrap_or(self.u.proto.line);
        let fl = (line as u64) << 32 | self.u.proto.id as u64;
        let fl = self.iconst(fl as i64);
        self.b
            .ins()
            .store(MemFlags::trusted(), fl, slot, slot_off::FUNC);
        let tier = self.b.ins().iconst(t::I8, Tier::Native as i64);
        self.b
            .ins()
            .store(MemFlags::trusted(), tier, slot, slot_off::TIER);
        // Published last (a release store on x86-64, see runtime::shadow).
        let d1 = self.b.ins().iadd_imm_s(d, 1);
        self.b.ins().store(MemFlags::trusted(), d1, da, 0);
        self.prof = Some(st);
    }

    /// Method epilogue: back to the depth seen on entry (also undoes
    /// anything a failed callee left, instead of trusting a count).
    pub(super) fn prof_pop(&mut self) {
        let (Some(l), Some(d)) = (self.u.prof, self.prof.as_ref().and_then(|p| p.d0)) else {
            return;
        };
        let da = self.iconst(l.depth as i64);
        self.b.ins().store(MemFlags::trusted(), d, da, 0);
    }

    /// OSR entry at `header`: the innermost entry is this loop's VM frame.
    pub(super) fn prof_osr(&mut self, header: usize) {
        let Some(l) = self.u.prof else { return };
        let da = self.iconst(l.depth as i64);
        let d = self.b.ins().load(t::I64, MemFlags::trusted(), da, 0);
        // depth ≥ 1 here (the VM frame); 0 - 1 wraps to the spare slot.
        let top = self.b.ins().iadd_imm_s(d, -1);
        let slot = self.prof_slot_at(l, top);
        let exit = self
            .u
            .proto
            .loops
            .iter()
            .find(|li| li.header as usize == header)
            .map_or(self.u.proto.code.len(), |li| li.exit as usize);
        let st = self.prof_plan(slot, None, (header, exit));
        if let Some(line) = st.fixed {
            self.store_line(slot, line);
        }
        self.prof = Some(st);
    }

    /// At a call: the frame is at instruction `ip`'s line.
    pub(super) fn prof_line(&mut self, ip: usize) {
        let Some(st) = &self.prof else { return };
        if st.fixed.is_some() {
            return;
        }
        let slot = st.slot;
        let line = self.u.proto.lines.get(ip).copied().unwrap_or(0);
        self.store_line(slot, line);
    }

    /// Control enters instruction `ip` other than by a back edge: if it is
    /// a loop header, the frame is at the loop's line.
    pub(super) fn prof_enter(&mut self, ip: usize) {
        let Some(st) = &self.prof else { return };
        if st.fixed.is_some() {
            return;
        }
        if let Some(&(_, line, _)) = st.loops.iter().find(|l| l.0 == ip) {
            let slot = st.slot;
            self.store_line(slot, line);
        }
    }

    /// The back edge at `ip` to `header`: the line again if the body
    /// (a call or an inner loop) may have changed it.
    pub(super) fn prof_back_edge(&mut self, ip: usize, header: usize) {
        let Some(st) = &self.prof else { return };
        if st.fixed.is_some() {
            return;
        }
        if st.loops.iter().any(|l| l.0 == header && l.2) {
            let slot = st.slot;
            let line = self.u.proto.lines.get(ip).copied().unwrap_or(0);
            self.store_line(slot, line);
        }
    }
}
