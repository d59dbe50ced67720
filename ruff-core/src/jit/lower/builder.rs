//! Small IR builders of `Lower`: helper calls, boxing stack entries into
//! their slots, guards, and exits (the snapshot boxes every live value where
//! the interpreter keeps it).

use super::super::helper_table::{Arg, Helper, Ret};
use crate::jit::slot_ref::SlotOrGlobal;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types as t, Block, BlockArg, InstBuilder, MemFlagsData as MemFlags, SigRef, StackSlotData,
    StackSlotKind, Type, Value as V,
};

use crate::runtime::value::Value;

use super::super::ctx::{off, tag};
use super::super::exits::{ExitInfo, ExitReason, Write};
use super::super::types::Ty;
use cranelift_codegen::ir::FuncRef;
use cranelift_frontend::FunctionBuilder;

use super::{tag_of, ErrPaths, ExitPlan, GlobalsAt, Lower, Sv, Unit};

impl<'a, 'u> Lower<'a, 'u> {
    pub(super) fn new(
        b: FunctionBuilder<'a>,
        u: &'u Unit<'u>,
        self_ref: Option<FuncRef>,
        cc: cranelift_codegen::isa::CallConv,
    ) -> Self {
        let n = u.proto.code.len();
        let nslots = u.proto.num_slots as usize;
        Lower {
            b,
            u,
            cc,
            self_ref,
            cx: V::from_u32(0),
            cl: V::from_u32(0),
            base: V::from_u32(0),
            shadow: V::from_u32(0),
            vars: Vec::new(),
            blocks: vec![None; n],
            stack: Vec::new(),
            sigs: Vec::new(),
            exits: Vec::new(),
            err_paths: ErrPaths::default(),
            // Callers copy boxed parameters (a method's receiver too) into
            // the frame's slots: release them on return, or they would
            // keep a reference (and force a copy-on-write copy later).
            dirty: None,
            dirty_on_entry: u.proto.is_method || u.self_params.iter().any(|t| !t.is_unboxed()),
            one: None,
            exit_area: None,
            epoch_checked: false,
            globals_at: GlobalsAt::Registers,
            record_written: false,
            heap_result: false,
            nslots,
            prof: None,
            bail: None,
            exit_block: None,
            ever_dirty: false,
            release_checks: Vec::new(),
        }
    }

    pub(super) fn finish(
        mut self,
        frontend: cranelift_codegen::isa::TargetFrontendConfig,
    ) -> Vec<Box<ExitInfo>> {
        if !self.ever_dirty && !self.dirty_on_entry {
            // No path can leave a heap value in the frame's slots: returns
            // need no `release` (Cranelift drops the unreachable calls).
            for (check, done) in std::mem::take(&mut self.release_checks) {
                self.b.func.replace(check).jump(done, &[]);
            }
        }
        self.b.seal_all_blocks();
        self.b.finalize(frontend);
        std::mem::take(&mut self.exits)
    }

    // ----- small builders ------------------------------------------------

    pub(super) fn iconst(&mut self, v: i64) -> V {
        self.b.ins().iconst(t::I64, v)
    }

    pub(super) fn sig(&mut self, params: &[Type], rets: &[Type]) -> SigRef {
        self.sig_cc(self.cc, params, rets)
    }

    /// The signature of compiled Ruff functions (`module::NATIVE_CC`).
    pub(super) fn native_sig(&mut self, params: &[Type], rets: &[Type]) -> SigRef {
        self.sig_cc(super::super::module::NATIVE_CC, params, rets)
    }

    fn sig_cc(
        &mut self,
        cc: cranelift_codegen::isa::CallConv,
        params: &[Type],
        rets: &[Type],
    ) -> SigRef {
        if let Some((_, _, s)) = self.sigs.iter().find(|(p, r, s)| {
            p == params && r == rets && self.b.func.dfg.signatures[*s].call_conv == cc
        }) {
            return *s;
        }
        let mut sig = cranelift_codegen::ir::Signature::new(cc);
        sig.params.extend(
            params
                .iter()
                .map(|p| cranelift_codegen::ir::AbiParam::new(*p)),
        );
        sig.returns.extend(
            rets.iter()
                .map(|p| cranelift_codegen::ir::AbiParam::new(*p)),
        );
        let s = self.b.import_signature(sig);
        self.sigs.push((params.to_vec(), rets.to_vec(), s));
        s
    }

    /// Call helper `f` with `ctx` prepended; all-i64 params, `nret` i64 results.
    /// Call runtime helper `h` with `args` (the context is passed first
    /// for helpers that take it), with the signature and effects the
    /// helper table declares for it.
    pub(super) fn call(&mut self, h: Helper, args: &[V]) -> Vec<V> {
        let params = h.params();
        let takes_ctx = params.first() == Some(&Arg::Ctx);
        let mut all = Vec::with_capacity(params.len());
        if takes_ctx {
            all.push(self.cx);
        }
        all.extend_from_slice(args);
        assert_eq!(all.len(), params.len(), "{h:?}: wrong argument count");
        for (v, a) in all.iter().zip(params) {
            assert_eq!(self.b.func.dfg.value_type(*v), a.cl_type(), "{h:?}");
        }
        let types: Vec<Type> = params.iter().map(|a| a.cl_type()).collect();
        let sig = self.sig(&types, h.ret().cl_types());
        let fp = self.iconst(h.addr() as i64);
        let fx = h.effects();
        if fx.reenters {
            self.epoch_checked = false;
        }
        if fx.sees_frames {
            self.b
                .ins()
                .store(MemFlags::trusted(), self.shadow, self.cx, off::TOP);
        }
        let loc = self.prof_helper_call(h.addr());
        let call = self.b.ins().call_indirect(sig, fp, &all);
        if let Some(loc) = loc {
            self.b.set_srcloc(loc);
        }
        if fx.dirties {
            self.mark_dirty();
        }
        self.b.inst_results(call).to_vec()
    }

    /// This path may have written a heap value to one of the frame's slots.
    pub(super) fn mark_dirty(&mut self) {
        self.ever_dirty = true;
        if let (Some(d), Some(one)) = (self.dirty, self.one) {
            self.b.def_var(d, one);
        }
    }

    /// `call` of a helper that returns `(tag, payload)`.
    pub(super) fn call2(&mut self, h: Helper, args: &[V]) -> (V, V) {
        assert_eq!(h.ret(), Ret::Tagged, "{h:?}");
        let r = self.call(h, args);
        (r[0], r[1])
    }

    pub(super) fn slot_of_local(&mut self, s: usize) -> V {
        self.b.ins().iadd_imm_s(self.base, s as i64)
    }

    pub(super) fn slot_of_pos(&mut self, p: usize) -> V {
        self.b.ins().iadd_imm_s(self.base, (self.nslots + p) as i64)
    }

    pub(super) fn set_ip(&mut self, ip: usize) {
        let v = self.b.ins().iconst(t::I32, ip as i64 + 1);
        self.b
            .ins()
            .store(MemFlags::trusted(), v, self.shadow, off::SHADOW_IP);
    }

    /// The error path for an error raised here (see `ErrPaths`).
    pub(super) fn err_block(&mut self) -> Block {
        if let Some(b) = *self.err_paths.get(self.globals_at) {
            return b;
        }
        let b = self.b.create_block();
        self.b.set_cold_block(b);
        *self.err_paths.get(self.globals_at) = Some(b);
        b
    }

    /// Branch to the error path if `tg` is `tag::ERROR`.
    pub(super) fn check_error(&mut self, tg: V) {
        let is_err = self.b.ins().icmp_imm_s(IntCC::Equal, tg, tag::ERROR as i64);
        let ok = self.b.create_block();
        let err = self.err_block();
        self.b.ins().brif(is_err, err, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    pub(super) fn bool_i64(&mut self, c: V) -> V {
        self.b.ins().uextend(t::I64, c)
    }

    /// Box the stack entry at `p` into its slot.
    pub(super) fn materialize(&mut self, p: usize) {
        let sv = self.stack[p];
        let idx = self.slot_of_pos(p);
        self.box_into(idx, sv);
        self.stack[p] = Sv::Boxed;
    }

    /// Write `sv` (not `Boxed`) to `idx`, a `SlotOrGlobal` in its ABI form.
    pub(super) fn box_into(&mut self, idx: V, sv: Sv) {
        match sv {
            Sv::Boxed => {}
            Sv::I(v) => self.put(idx, tag::INT, v),
            Sv::B(v) => self.put(idx, tag::BOOL, v),
            Sv::F(v) => {
                let bits = self.b.ins().bitcast(t::I64, MemFlags::new(), v);
                self.put(idx, tag::FLOAT, bits)
            }
            Sv::Null => {
                let z = self.iconst(0);
                self.put(idx, tag::NULL, z)
            }
            Sv::Builtin(id) => {
                let v = self.iconst(id as i64);
                self.put(idx, tag::BUILTIN, v)
            }
            Sv::Const(k) => {
                let ptr = self.iconst(&self.u.proto.consts[k as usize] as *const Value as i64);
                self.call(Helper::BoxConst, &[idx, ptr]);
            }
            Sv::Func(g) | Sv::LazyGlobal(g) => {
                if !self.copy_inline(crate::bytecode::VarRef::Global(g), idx) {
                    let gv = self.iconst(g as i64);
                    self.call(Helper::LoadGlobal, &[gv, idx]);
                }
            }
            Sv::LazyLocal(s) => {
                if !self.copy_inline(crate::bytecode::VarRef::Local(s as u16), idx) {
                    let from = self.slot_of_local(s as usize);
                    self.call(Helper::CopySlot, &[from, idx]);
                }
            }
        }
    }

    pub(super) fn put(&mut self, idx: V, tg: u64, payload: V) {
        let tv = self.iconst(tg as i64);
        self.call(Helper::Put, &[idx, tv, payload]);
    }

    pub(super) fn materialize_range(&mut self, from: usize) {
        for p in from..self.stack.len() {
            self.materialize(p);
        }
    }

    /// Functions loaded lazily from globals must be loaded before user code
    /// runs (it could rebind the global).
    pub(super) fn pin_funcs(&mut self, below: usize) {
        for p in 0..below.min(self.stack.len()) {
            if let Sv::Func(_) = self.stack[p] {
                self.materialize(p);
            }
        }
    }

    /// Turn a helper result into a stack entry of type `ty`, guarding
    /// unboxed types (an exit after instruction `ip` if the guard fails;
    /// the helper already wrote the value to its slot).
    pub(super) fn push_result(&mut self, ip: usize, ty: Ty, tg: V, payload: V) {
        self.push_result_with(ip, ty, tg, payload, &[]);
    }

    /// Whether a result's tag `tg` is not that of `ty` (or the stress
    /// option forces a guard exit here).
    pub(super) fn tag_mismatch(&mut self, tg: V, ty: Ty) -> V {
        let bad = self
            .b
            .ins()
            .icmp_imm_s(IntCC::NotEqual, tg, tag_of(ty) as i64);
        if self.u.stress {
            let s = self.stress_tick();
            return self.b.ins().bor(bad, s);
        }
        bad
    }

    /// `push_result` for an instruction that also pushes `extra` entries
    /// after its result (they are part of the state a failed guard leaves).
    pub(super) fn push_result_with(&mut self, ip: usize, ty: Ty, tg: V, payload: V, extra: &[Sv]) {
        if !ty.is_unboxed() {
            self.stack.push(Sv::Boxed);
            self.stack.extend_from_slice(extra);
            return;
        }
        let bad = self.tag_mismatch(tg, ty);
        let ok = self.b.create_block();
        let fail = self.b.create_block();
        self.b.set_cold_block(fail);
        self.b.ins().brif(bad, fail, &[], ok, &[]);
        self.b.switch_to_block(fail);
        let mut st = self.stack.clone();
        st.push(Sv::Boxed);
        st.extend_from_slice(extra);
        self.emit_exit(ip + 1, &st, ExitReason::TypeGuard, ty, true);
        self.b.switch_to_block(ok);
        self.stack.push(match ty {
            Ty::Int => Sv::I(payload),
            Ty::Bool => Sv::B(payload),
            _ => Sv::F(self.b.ins().bitcast(t::F64, MemFlags::new(), payload)),
        });
        self.stack.extend_from_slice(extra);
    }

    /// Emit a side path in `blk` with `f`: one that ends in exits or joins
    /// the main path further on, never falling back into it. The path
    /// state (the operand stack, whether the binding epoch was checked) is
    /// the main path's again afterwards.
    pub(super) fn side_path(&mut self, blk: Block, f: impl FnOnce(&mut Self)) {
        let (stack, epoch_checked) = (self.stack.clone(), self.epoch_checked);
        let first_new = self.b.func.dfg.num_blocks();
        self.b.switch_to_block(blk);
        f(self);
        (self.stack, self.epoch_checked) = (stack, epoch_checked);
        // Blocks made on the side path are as cold as it is.
        for i in first_new..self.b.func.dfg.num_blocks() {
            self.b.set_cold_block(Block::from_u32(i as u32));
        }
    }

    /// `--jit-stress-exits`: true every N-th call.
    pub(super) fn stress_tick(&mut self) -> V {
        let left = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::STRESS_LEFT);
        let dec = self.b.ins().iadd_imm_s(left, -1);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, dec, 0);
        let every = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::STRESS_EVERY);
        let next = self.b.ins().select(zero, every, dec);
        self.b
            .ins()
            .store(MemFlags::trusted(), next, self.cx, off::STRESS_LEFT);
        zero
    }

    /// Leave native code for the interpreter at instruction `ip` with the
    /// operand stack `st`: box everything live, then resume (method code)
    /// or return `EXIT` (OSR code). Terminates the current block.
    pub(super) fn emit_exit(
        &mut self,
        ip: usize,
        st: &[Sv],
        reason: ExitReason,
        expected: Ty,
        write_globals: bool,
    ) {
        self.emit_exit_plan(ip, st, reason, expected, write_globals, ExitPlan::default());
    }

    /// `emit_exit` with writes planned already (`plan`).
    pub(super) fn emit_exit_plan(
        &mut self,
        ip: usize,
        st: &[Sv],
        reason: ExitReason,
        expected: Ty,
        write_globals: bool,
        mut plan: ExitPlan,
    ) {
        if let Some(bail) = self.bail {
            // Inlined pure code leaves by making the real call instead.
            self.b.ins().jump(bail, &[]);
            return;
        }
        let null = self
            .u
            .an
            .states
            .get(ip)
            .and_then(|s| s.as_ref())
            .map(|s| s.null.clone());
        for (p, sv) in st.iter().enumerate() {
            self.plan_write(&mut plan, SlotOrGlobal::Slot(self.nslots + p), *sv);
        }
        let write_globals = write_globals && self.globals_at == GlobalsAt::Registers;
        self.plan_locals(&mut plan, null.as_deref(), write_globals);
        self.store_exit_values(&plan.vals);
        let span = self
            .u
            .proto
            .spans
            .get(ip.min(self.u.proto.spans.len() - 1))
            .copied()
            .unwrap_or_default();
        let line = if span == Default::default() {
            0
        } else {
            self.u.vm.line_of(span)
        };
        let info = Box::new(ExitInfo {
            ip: ip as u32,
            sp: st.len() as u32,
            reason,
            expected,
            line,
            span,
            count: Default::default(),
            stats: self.u.stats.clone(),
            writes: plan.writes,
        });
        let ptr = self.iconst(&*info as *const ExitInfo as i64);
        self.exits.push(info);
        let shared = self.exit_block();
        self.b.ins().jump(shared, &[BlockArg::Value(ptr)]);
    }

    /// The block all exits of the unit jump to with their `ExitInfo`
    /// (after storing their values in the exit area): one helper call per
    /// unit instead of one per exit keeps the code, and the register
    /// allocator's work, small. Emitted by `emit_exit_block`.
    fn exit_block(&mut self) -> Block {
        if let Some(b) = self.exit_block {
            return b;
        }
        let b = self.b.create_block();
        self.b.set_cold_block(b);
        self.b.append_block_param(b, t::I64);
        self.exit_block = Some(b);
        b
    }

    /// The shared exit: `resume` (method code) or `osr_exit` (OSR code).
    pub(super) fn emit_exit_block(&mut self) {
        let Some(blk) = self.exit_block else { return };
        // `resume` leaves the frame to the interpreter: no path returns
        // through `release` after it.
        let ever_dirty = self.ever_dirty;
        self.b.switch_to_block(blk);
        let ptr = self.b.block_params(blk)[0];
        let vals = match self.exit_area {
            Some(ss) => self.b.ins().stack_addr(t::I64, ss, 0),
            None => self.iconst(0),
        };
        if self.u.osr {
            let (tg, pl) = self.call2(Helper::OsrExit, &[self.base, ptr, vals]);
            self.ret(tg, pl);
        } else {
            let (tg, pl) = self.call2(Helper::Resume, &[self.cl, self.base, ptr, vals]);
            self.epilogue(false);
            self.ret(tg, pl);
        }
        self.ever_dirty = ever_dirty;
    }

    /// Plan the write of stack entry `sv` to `dst` (see `exits::Write`).
    fn plan_write(&mut self, plan: &mut ExitPlan, dst: SlotOrGlobal, sv: Sv) {
        let w = match sv {
            Sv::Boxed => return,
            Sv::I(v) | Sv::B(v) | Sv::F(v) => {
                let tag = match sv {
                    Sv::I(_) => tag::INT,
                    Sv::B(_) => tag::BOOL,
                    _ => tag::FLOAT,
                };
                if let Some(payload) = self.const_bits(v) {
                    // A constant is part of the plan: no store on the path.
                    plan.writes.push(Write::Imm { dst, tag, payload });
                    return;
                }
                plan.vals.push(v);
                Write::Scalar {
                    dst,
                    tag,
                    val: plan.vals.len() as u32 - 1,
                }
            }
            Sv::Null => Write::Imm {
                dst,
                tag: tag::NULL,
                payload: 0,
            },
            Sv::Builtin(id) => Write::Imm {
                dst,
                tag: tag::BUILTIN,
                payload: id as u64,
            },
            Sv::Const(k) => Write::Const {
                dst,
                k: &self.u.proto.consts[k as usize] as *const Value,
            },
            Sv::Func(g) | Sv::LazyGlobal(g) => Write::Global { dst, g },
            Sv::LazyLocal(s) => Write::Slot {
                dst,
                from: s as i64,
            },
        };
        plan.writes.push(w);
    }

    /// `write_back_locals` as planned writes (for an exit).
    fn plan_locals(&mut self, plan: &mut ExitPlan, null: Option<&[bool]>, write_globals: bool) {
        for (dst, sv) in self.local_write_backs(null, write_globals) {
            self.plan_write(plan, dst, sv);
        }
    }

    /// What boxing the typed locals (and dirty promoted globals) writes:
    /// `(dst, value)`, `dst` a slot offset from the base or a global
    /// (`SlotOrGlobal`). Locals flagged null (unassigned, or moved out)
    /// become null.
    fn local_write_backs(
        &mut self,
        null: Option<&[bool]>,
        write_globals: bool,
    ) -> Vec<(SlotOrGlobal, Sv)> {
        let mut out = Vec::new();
        for i in 0..self.vars.len() {
            let ty = self.u.an.locals[i];
            let is_null = null.is_some_and(|n| n.get(i).copied().unwrap_or(false));
            let dst = if i < self.nslots {
                if self.u.kept_slots.get(i) == Some(&true) {
                    continue;
                }
                SlotOrGlobal::Slot(i)
            } else {
                let k = i - self.nslots;
                if !write_globals || !self.u.dirty_globals[k] {
                    continue;
                }
                SlotOrGlobal::Global(self.u.promoted[k].0)
            };
            let sv = match self.vars[i] {
                Some(var) if !is_null => {
                    let v = self.b.use_var(var);
                    match ty {
                        Ty::Int => Sv::I(v),
                        Ty::Float => Sv::F(v),
                        _ => Sv::B(v),
                    }
                }
                Some(_) => Sv::Null,
                None if ty == Ty::Null && i < self.nslots => Sv::Null,
                None => continue,
            };
            out.push((dst, sv));
        }
        out
    }

    /// Store an exit's unboxed values in this frame's exit area (one per
    /// frame, as big as the largest exit needs; the shared exit passes its
    /// address).
    fn store_exit_values(&mut self, vals: &[V]) {
        if vals.is_empty() {
            return;
        }
        let size = (vals.len() * 8) as u32;
        let ss = match self.exit_area {
            Some(ss) => {
                let data = &mut self.b.func.sized_stack_slots[ss];
                data.size = data.size.max(size);
                ss
            }
            None => {
                let ss = self.b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    size,
                    3,
                ));
                self.exit_area = Some(ss);
                ss
            }
        };
        for (i, &v) in vals.iter().enumerate() {
            // A float is stored as is: the slot holds its bits either way.
            self.b.ins().stack_store(t::I64, v, ss, (i * 8) as i32);
        }
    }

    /// Box typed locals (and promoted globals) where the interpreter reads
    /// them. Locals flagged null (unassigned, or moved out) become null.
    pub(super) fn write_back_locals(&mut self, null: Option<&[bool]>, write_globals: bool) {
        for (dst, sv) in self.local_write_backs(null, write_globals) {
            let dst = match dst {
                SlotOrGlobal::Slot(s) => self.slot_of_local(s),
                g => self.iconst(g.to_abi()),
            };
            self.box_into(dst, sv);
        }
    }

    /// Return `(tag, payload)`: both in registers from OSR code (entered by
    /// Rust); from a function, the tag in `ctx.ret_tag` (see `NATIVE_CC`).
    pub(super) fn ret(&mut self, tg: V, pl: V) {
        if self.u.osr {
            self.b.ins().return_(&[tg, pl]);
        } else {
            self.prof_clear_record();
            self.b
                .ins()
                .store(MemFlags::trusted(), tg, self.cx, off::RET_TAG);
            self.b.ins().return_(&[pl]);
        }
    }

    /// The `(tag, payload)` a call to a compiled function returned.
    pub(super) fn native_result(&mut self, call: cranelift_codegen::ir::Inst) -> (V, V) {
        let pl = self.b.inst_results(call)[0];
        let tg = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::RET_TAG);
        (tg, pl)
    }

    /// Method code: release the frame's slots (on `Return`).
    pub(super) fn epilogue(&mut self, release: bool) {
        if let (true, Some(d)) = (release, self.dirty) {
            let dirty = self.b.use_var(d);
            let rel = self.b.create_block();
            let done = self.b.create_block();
            let check = self.b.ins().brif(dirty, rel, &[], done, &[]);
            self.release_checks.push((check, done));
            self.b.switch_to_block(rel);
            // A method's heap result sits in its `self` slot: keep it.
            let keep = self.heap_result && self.u.proto.is_method;
            let len = self.b.ins().iadd_imm_s(self.base, keep as i64);
            let extent = self.iconst(self.frame_extent() as i64);
            self.call(Helper::Release, &[len, extent]);
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(done);
        }
    }

    /// Slots a frame of this unit may use above its base: locals, the
    /// deepest operand stack, and what a call helper leaves above it.
    pub(super) fn frame_extent(&self) -> usize {
        let depth = self
            .u
            .an
            .states
            .iter()
            .flatten()
            .map(|s| s.stack.len())
            .max();
        self.nslots + depth.unwrap_or(0) + 4
    }

    pub(super) fn flush_globals(&mut self) {
        self.globals_at = GlobalsAt::Memory;
        for k in 0..self.u.promoted.len() {
            if !self.u.dirty_globals[k] {
                continue;
            }
            let i = self.u.promoted[k].1;
            let Some(var) = self.vars[i] else { continue };
            let v = self.b.use_var(var);
            let g = self.u.promoted[k].0;
            let sv = match self.u.an.locals[i] {
                Ty::Int => Sv::I(v),
                Ty::Float => Sv::F(v),
                _ => Sv::B(v),
            };
            if !self.store_promoted(g, sv) {
                let dst = self.iconst(SlotOrGlobal::Global(g).to_abi());
                self.box_into(dst, sv);
            }
        }
    }

    /// After user code ran: reload promoted globals, exiting (after `ip`)
    /// if one changed type.
    pub(super) fn reload_globals(&mut self, ip: usize) {
        for k in 0..self.u.promoted.len() {
            let (g, i) = self.u.promoted[k];
            let ty = self.u.an.locals[i];
            let (tg, pl) = match self.load_promoted(g, ty) {
                Some(r) => r,
                None => {
                    let src = self.iconst(SlotOrGlobal::Global(g).to_abi());
                    self.call2(Helper::Get, &[src])
                }
            };
            let bad = self
                .b
                .ins()
                .icmp_imm_s(IntCC::NotEqual, tg, tag_of(ty) as i64);
            let ok = self.b.create_block();
            let fail = self.b.create_block();
            self.b.set_cold_block(fail);
            self.b.ins().brif(bad, fail, &[], ok, &[]);
            self.b.switch_to_block(fail);
            let st = self.stack.clone();
            self.emit_exit(ip + 1, &st, ExitReason::TypeGuard, ty, false);
            self.b.switch_to_block(ok);
            let v = if ty == Ty::Float {
                self.b.ins().bitcast(t::F64, MemFlags::new(), pl)
            } else {
                pl
            };
            let var = self.vars[i].expect("promoted globals are typed");
            self.b.def_var(var, v);
        }
        self.globals_at = GlobalsAt::Registers;
    }

    // ----- unit bodies ---------------------------------------------------
}
