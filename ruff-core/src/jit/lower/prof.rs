//! Keeping a profiler's view of native frames current, emitted only when
//! one is attached (`Unit::prof`); without a profiler none of these methods
//! emits anything.
//!
//! Method code pushes nothing for the profiler: its sampler reads the frame
//! record every method prologue writes anyway (`ctx::Shadow`, see
//! `runtime::shadow_native`); a profiler adds one store per call, the
//! frame clearing its record as it returns (cheaper than a push and pop:
//! docs/decisions.md, "Measurements behind code"). What is added
//! besides is the frame's line: the
//! record's instruction (`set_ip`), which calls store anyway, is also
//! stored where the line must change without a call. OSR code stands for
//! its VM frame, whose slot `enter_loop` marks native; it records lines in
//! that slot. See the module docs of `runtime::shadow` for why plain stores
//! are enough for the sampler thread.
//!
//! Lines: the frame shows the line of the call it is in or of the loop it
//! runs, as in the interpreter, with as few stores as that takes (they are
//! on the hottest paths). A function whose calls and loops are all on one
//! line stores nothing: the sampler shows that line. Otherwise method code
//! stores its instruction once at entry (a record reused from an earlier
//! frame must not show that frame's line), and each call stores its line.
//! OSR code stores no line for its calls: its record's instruction, which
//! every call stores anyway for error reports, gives the line while a call
//! is running (the sampler looks there when a frame is above the OSR
//! frame).
//! An OSR unit whose loops are on one line stores it once at entry. A
//! loop stores its line when entered, and again at its back edge only if
//! its body contains an inner loop or, in method code, a call (which
//! changed it).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types as t, InstBuilder, MemFlagsData as MemFlags, StackSlot, StackSlotData, StackSlotKind,
    Value as V,
};

use std::rc::Rc;

use cranelift_codegen::ir::SourceLoc;

use crate::bytecode::Op;
use crate::jit::ctx::off;
use crate::jit::helper_names::helper_index;
use crate::jit::module::CodeModule;
use crate::runtime::shadow::{slot_off, NativeLayout};
use crate::runtime::shadow_code::{encode_loc, HELPER_SHIFT};

use super::{Lower, Unit};

/// With a profiler attached, tell it where unit `u`'s code is (`ptr`,
/// `size` bytes) and which instruction each part of it was lowered from
/// (the source locations `prof_srcloc` set; `runtime::shadow_code`).
pub(super) fn register_code(u: &Unit, module: &mut CodeModule, ptr: *const u8, size: usize) {
    let locs = module.take_srclocs();
    if let Some(shadow) = u.vm.shadow.as_deref().filter(|_| u.prof.is_some()) {
        shadow.register_code(ptr as usize, size, u.proto.id, &u.proto.lines, locs);
    }
}

/// Where a unit records its line.
#[derive(Clone, Copy)]
enum Target {
    /// Method code: its frame record's instruction (`set_ip`).
    Record,
    /// OSR code: its VM frame's shadow-stack slot (the spare slot past the
    /// capacity), whose address is kept in this stack slot rather than in
    /// a register: held in a register across a loop nest it made the
    /// register allocator spill inside inner loops, while the stores that
    /// need it run only at loop entries.
    Slot(StackSlot),
}

/// Per unit, with a profiler attached.
pub(super) struct ProfState {
    target: Target,
    /// All line points (`is_line_point`) are on this line, that of
    /// instruction `.1` (none in the unit: the declaration line): stored
    /// once at entry.
    fixed: Option<(u32, Option<usize>)>,
    /// Per loop of the unit: header, back-edge line, back-edge instruction,
    /// and whether the body has a line point (`is_line_point`: the back
    /// edge then stores the line again).
    loops: Vec<(usize, u32, usize, bool)>,
}

impl Lower<'_, '_> {
    /// With a profiler, mark the code lowered from now on as instruction
    /// `ip`'s (`None`: no instruction, e.g. the shared exit block), so a
    /// sample in it shows that instruction's line. Source locations are
    /// metadata: the code is the same.
    pub(super) fn prof_srcloc(&mut self, ip: Option<usize>) {
        if self.u.prof.is_some() {
            let ip = ip.unwrap_or((1 << HELPER_SHIFT) - 1);
            self.b.set_srcloc(SourceLoc::new(encode_loc(ip, None)));
        }
    }

    /// With a profiler, mark the helper call about to be emitted as a call
    /// of helper `f`; returns the location to restore after it.
    pub(super) fn prof_helper_call(&mut self, f: usize) -> Option<SourceLoc> {
        self.u.prof?;
        let old = self.b.srcloc();
        let ip = if old.is_default() {
            (1 << HELPER_SHIFT) - 1
        } else {
            old.bits() & ((1 << HELPER_SHIFT) - 1)
        };
        let helper = helper_index(f)?;
        self.b
            .set_srcloc(SourceLoc::new(encode_loc(ip as usize, Some(helper))));
        Some(old)
    }

    fn is_call(op: &Op) -> bool {
        matches!(op, Op::Call(_) | Op::CallMethod(..) | Op::CallMethodWb(..))
    }

    /// An instruction that moves the frame's line: a call or a loop. OSR
    /// code stores no line for its calls (the sampler takes the line of
    /// an OSR frame in a call from the instruction its record holds,
    /// stored before every call for error reports), only for its loops.
    fn is_line_point(target: Target, op: &Op) -> bool {
        matches!(op, Op::Loop(_)) || (matches!(target, Target::Record) && Self::is_call(op))
    }

    /// Name this unit's function for the sampler (by its prototype's
    /// address, which its frame record holds).
    fn name_for_sampler(&self) -> Option<u32> {
        let shadow = self.u.vm.shadow.as_deref()?;
        let p = self.u.proto;
        // Over all the code, compiled or not: the sampler relies on it.
        let mut points = (0..p.code.len())
            .filter(|&ip| Self::is_call(&p.code[ip]) || matches!(p.code[ip], Op::Loop(_)));
        let line_of = |ip: usize| p.lines.get(ip).copied().unwrap_or(0);
        let one_line = match points.next().map(line_of) {
            None => Some(p.line),
            Some(l) if points.all(|ip| line_of(ip) == l) => Some(l),
            Some(_) => None,
        };
        shadow.name_native(Rc::as_ptr(p) as u64, p.id, p.line, one_line, &p.lines);
        one_line
    }

    /// Where the compiled code (instructions `range`) records lines.
    fn prof_plan(&self, target: Target, range: (usize, usize)) -> ProfState {
        let code = &self.u.proto.code;
        let lines = &self.u.proto.lines;
        let live = |ip: usize| ip >= range.0 && ip < range.1 && self.u.an.states[ip].is_some();
        let mut seen: Vec<(u32, usize)> = (range.0..range.1)
            .filter(|&ip| live(ip) && Self::is_line_point(target, &code[ip]))
            .map(|ip| (lines.get(ip).copied().unwrap_or(0), ip))
            .collect();
        seen.sort_unstable();
        seen.dedup_by_key(|p| p.0);
        let fixed = match seen.as_slice() {
            [] => Some((self.u.proto.line, None)),
            [(line, ip)] => Some((*line, Some(*ip))),
            _ => None,
        };
        let mut loops = Vec::new();
        for (ip, op) in code.iter().enumerate() {
            let Op::Loop(h) = *op else { continue };
            let h = h as usize;
            if !live(ip) || h > ip {
                continue;
            }
            let busy = (h..ip).any(|i| live(i) && Self::is_line_point(target, &code[i]));
            loops.push((h, lines.get(ip).copied().unwrap_or(0), ip, busy));
        }
        ProfState {
            target,
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

    /// The frame is at instruction `ip` (at `line`); `None`: before any
    /// instruction that has a line of its own (the declaration line).
    fn store_at(&mut self, target: Target, ip: Option<usize>, line: u32) {
        match target {
            Target::Record => match ip {
                Some(ip) => self.set_ip(ip),
                None => {
                    // ip 0: the sampler shows the declaration line.
                    let z = self.b.ins().iconst(t::I32, 0);
                    self.b
                        .ins()
                        .store(MemFlags::trusted(), z, self.shadow, off::SHADOW_IP);
                }
            },
            Target::Slot(ss) => {
                let slot = self.b.ins().stack_load(t::I64, t::I64, ss, 0);
                let v = self.b.ins().iconst(t::I32, line as i64);
                self.b
                    .ins()
                    .store(MemFlags::trusted(), v, slot, slot_off::LINE);
            }
        }
    }

    /// Method prologue (after its frame record is written): name the
    /// function for the sampler and record where the frame is.
    pub(super) fn prof_push(&mut self) {
        if self.u.vm.shadow.is_none() {
            return;
        }
        let p = self.u.proto;
        let one_line = self.name_for_sampler();
        let st = self.prof_plan(Target::Record, (0, p.code.len()));
        if one_line.is_none() {
            let (line, ip) = st.fixed.unwrap_or((p.line, None));
            self.store_at(Target::Record, ip, line);
        }
        self.prof = Some(st);
    }

    /// Every return of method code: the frame's record is no longer live.
    /// The sampler takes records up to the first one with no prototype as
    /// the live native frames (`runtime::shadow_native`), so a frame clears
    /// its own record's prototype as it leaves: one store, with the record
    /// address the code holds anyway (restoring `JitCtx::top` instead kept
    /// the caller's record live across the body and cost fib +16% CPU).
    pub(super) fn prof_clear_record(&mut self) {
        if self.u.vm.shadow.is_none() || !self.record_written {
            return;
        }
        let z = self.iconst(0);
        self.b.ins().store(MemFlags::trusted(), z, self.shadow, 0);
    }

    /// OSR entry at `header`: the innermost entry is this loop's VM frame.
    pub(super) fn prof_osr(&mut self, header: usize) {
        let Some(l) = self.u.prof else { return };
        self.name_for_sampler();
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
        let ss =
            self.b
                .create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
        self.b.ins().stack_store(t::I64, slot, ss, 0);
        let st = self.prof_plan(Target::Slot(ss), (header, exit));
        if let Some((line, ip)) = st.fixed {
            self.store_at(st.target, ip, line);
        }
        self.prof = Some(st);
    }

    /// At a call: the frame is at instruction `ip`'s line (method code;
    /// OSR code's record has it, see `is_line_point`).
    pub(super) fn prof_line(&mut self, ip: usize) {
        let Some(st) = &self.prof else { return };
        if st.fixed.is_some() || matches!(st.target, Target::Slot(_)) {
            return;
        }
        let target = st.target;
        let line = self.u.proto.lines.get(ip).copied().unwrap_or(0);
        self.store_at(target, Some(ip), line);
    }

    /// Control enters instruction `ip` other than by a back edge: if it is
    /// a loop header, the frame is at the loop's line.
    pub(super) fn prof_enter(&mut self, ip: usize) {
        let Some(st) = &self.prof else { return };
        if st.fixed.is_some() {
            return;
        }
        if let Some(&(_, line, back, _)) = st.loops.iter().find(|l| l.0 == ip) {
            let target = st.target;
            self.store_at(target, Some(back), line);
        }
    }

    /// The back edge at `ip` to `header`: the line again if the body
    /// (a call or an inner loop) may have changed it.
    pub(super) fn prof_back_edge(&mut self, ip: usize, header: usize) {
        let Some(st) = &self.prof else { return };
        if st.fixed.is_some() {
            return;
        }
        if st.loops.iter().any(|l| l.0 == header && l.3) {
            let target = st.target;
            let line = self.u.proto.lines.get(ip).copied().unwrap_or(0);
            self.store_at(target, Some(ip), line);
        }
    }
}
