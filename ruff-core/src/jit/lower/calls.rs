//! Calls: direct native calls to compiled functions (guarded by the
//! binding epoch) and generic calls through the `call` helper.

use super::super::helper_table::Helper;
use crate::jit::slot_ref::SlotOrGlobal;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types as t, Block, BlockArg, FuncRef, Inst, InstBuilder, MemFlagsData as MemFlags, Type,
    Value as V,
};

use std::rc::Rc;

use crate::bytecode::{FuncProto, Op, VarRef};

use super::super::ctx::{off, tag};
use super::super::exits::{ExitReason, Write};
use super::super::layout::vtag;
use super::super::types::Ty;
use super::super::CompiledFn;
use super::{cl_ty, Callee, ExitPlan, Fail, Lower, Sv};

/// What a direct call calls.
enum Target {
    /// The function being compiled (a recursive call).
    Itself(FuncRef),
    Compiled(Rc<CompiledFn>),
}

impl Lower<'_, '_> {
    pub(super) fn call_op(&mut self, ip: usize, argc: usize) -> Result<bool, Fail> {
        let p = self.stack.len() - argc - 1;
        let produced = self.u.an.produced[ip];
        self.prof_line(ip);
        self.pin_funcs(p);
        let global_callee = match self.stack[p] {
            Sv::Func(g) => self
                .u
                .callees
                .iter()
                .find(|(x, _)| *x == g)
                .map(|(_, c)| c.clone()),
            _ => None,
        };
        for callee in global_callee.into_iter().chain(self.ic_callee(ip, p, argc)) {
            if self.direct_call(ip, p, argc, &callee, produced)? {
                self.reload_globals(ip);
                return Ok(true);
            }
        }
        let (tg, pl) = self.generic_call(ip, p, argc);
        self.stack.truncate(p);
        self.push_result(ip, produced, tg, pl);
        self.reload_globals(ip);
        Ok(true)
    }

    /// A call through a variable (a local, or a value on the stack) whose
    /// site always called one compiled function in the interpreter.
    fn ic_callee(&self, ip: usize, p: usize, argc: usize) -> Option<Callee> {
        if self.u.stats.generic || !matches!(self.stack[p], Sv::LazyLocal(_) | Sv::Boxed) {
            return None;
        }
        self.layout()?;
        let target = self.u.proto.feedback.target(ip)?;
        // SAFETY: prototypes live as long as the program (see `target`).
        let tp = unsafe { &*target };
        if tp.is_method || tp.arity as usize != argc {
            return None;
        }
        let code = if std::ptr::eq(target, Rc::as_ptr(self.u.proto)) {
            None
        } else {
            Some(self.u.vm.jit.cache.of(tp).code.borrow().clone()?)
        };
        Some(Callee {
            closure: std::ptr::null(),
            arity: argc,
            code,
            ic: Some(target),
        })
    }

    pub(super) fn generic_call(&mut self, ip: usize, p: usize, argc: usize) -> (V, V) {
        self.materialize_range(p);
        self.flush_globals();
        self.set_ip(ip);
        let (at, n) = (self.slot_of_pos(p), self.iconst(argc as i64));
        let r = self.call2(Helper::Call, &[at, n]);
        self.check_error(r.0);
        r
    }

    /// A native call to a compiled function, guarded by the binding epoch
    /// (or, through a variable, by the callee's prototype), with the
    /// callee's pure paths inlined (`pure_inline.rs`). Pushes the result.
    /// `false` if the argument types don't fit the callee's code.
    pub(super) fn direct_call(
        &mut self,
        ip: usize,
        p: usize,
        argc: usize,
        callee: &Callee,
        expected: Ty,
    ) -> Result<bool, Fail> {
        let params: Vec<Ty> = match &callee.code {
            Some(code) => code.params.clone(),
            None => self.u.self_params.clone(),
        };
        if callee.arity != argc || params.len() != argc {
            return Ok(false);
        }
        if !params
            .iter()
            .enumerate()
            .all(|(i, ty)| ty.admits(self.stack[p + 1 + i].ty()))
        {
            return Ok(false);
        }
        let target = match (&callee.code, self.self_ref) {
            (None, Some(f)) => Target::Itself(f),
            (Some(code), _) => Target::Compiled(code.clone()),
            (None, None) => return Ok(false),
        };
        let before = self.stack.clone();
        // Boxed parameters go to the callee's slots (exactly their positions).
        let mut args = vec![self.cx, self.cx];
        let cbase = self.slot_of_pos(p + 1);
        args.push(cbase);
        args.push(self.shadow);
        for (i, ty) in params.iter().enumerate() {
            if ty.is_unboxed() {
                match self.stack[p + 1 + i] {
                    Sv::I(v) | Sv::F(v) | Sv::B(v) => args.push(v),
                    _ => unreachable!("checked above"),
                }
            } else {
                self.materialize(p + 1 + i);
            }
        }
        self.flush_globals();
        self.set_ip(ip);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.result_block(expected);
        self.b.set_cold_block(slow);
        args[1] = match callee.ic {
            None if self.epoch_checked => {
                self.b.ins().jump(fast, &[]);
                self.b.switch_to_block(fast);
                self.iconst(callee.closure as i64)
            }
            None => {
                // The global still holds the function compiled against.
                let epoch_now =
                    self.b
                        .ins()
                        .load(t::I64, MemFlags::trusted(), self.cx, off::FN_EPOCH);
                let same = self.b.ins().icmp_imm_s(
                    IntCC::Equal,
                    epoch_now,
                    self.u.vm.jit.ctx.fn_epoch as i64,
                );
                self.b.ins().brif(same, fast, &[], slow, &[]);
                self.b.switch_to_block(fast);
                self.epoch_checked = true;
                self.iconst(callee.closure as i64)
            }
            Some(target) => {
                let c = self.closure_of_proto(p, target, slow);
                self.b.ins().jump(fast, &[]);
                self.b.switch_to_block(fast);
                c
            }
        };
        // The callee's pure paths need no frame; the others call it.
        if let Target::Itself(_) = target {
            self.inline_pure_paths(&before[p + 1..], expected, join);
        }
        let call = match target {
            Target::Itself(f) => self.b.ins().call(f, &args),
            Target::Compiled(code) => {
                let mut ps: Vec<Type> = vec![t::I64, t::I64, t::I64, t::I64];
                ps.extend(
                    code.params
                        .iter()
                        .filter(|p| p.is_unboxed())
                        .map(|p| cl_ty(*p)),
                );
                let sig = self.native_sig(&ps, &[t::I64]);
                let fp = self.iconst(code.spec as i64);
                self.b.ins().call_indirect(sig, fp, &args)
            }
        };
        // Only a self call of code that cannot rebind globals keeps the
        // epoch check valid.
        let epoch_checked = self.epoch_checked
            && callee.code.is_none()
            && callee.ic.is_none()
            && self.cannot_rebind();
        self.native_call_result(ip, p, call, expected, &[], &before, join);
        self.b.switch_to_block(slow);
        self.stack = before.clone();
        if callee.ic.is_none() {
            // The global was rebound: the interpreter makes this call (an
            // exit is much less code than a generic call here, and code
            // that keeps exiting is recompiled against the new binding).
            self.emit_exit(ip, &before, ExitReason::GlobalChanged, Ty::Bot, true);
        } else {
            // Another callee than the one seen: call it generically.
            let (tg, pl) = self.generic_call(ip, p, argc);
            self.helper_call_result(ip, p, tg, pl, expected, join);
        }
        self.enter_result_block(p, expected, join, &[]);
        self.epoch_checked = epoch_checked;
        Ok(true)
    }

    /// The block where a call's paths meet: its parameter is the unboxed
    /// result when `expected` is unboxed, else the result is in the
    /// callee's slot.
    pub(super) fn result_block(&mut self, expected: Ty) -> Block {
        let join = self.b.create_block();
        if expected.is_unboxed() {
            self.b.append_block_param(join, cl_ty(expected));
        }
        join
    }

    /// Continue in a call's result block: the result replaces the callee
    /// (at stack position `p`) and its arguments; `extra` entries follow.
    pub(super) fn enter_result_block(&mut self, p: usize, expected: Ty, join: Block, extra: &[Sv]) {
        self.b.switch_to_block(join);
        self.stack.truncate(p);
        self.stack.push(if expected.is_unboxed() {
            let v = self.b.block_params(join)[0];
            match expected {
                Ty::Int => Sv::I(v),
                Ty::Bool => Sv::B(v),
                _ => Sv::F(v),
            }
        } else {
            Sv::Boxed
        });
        self.stack.extend_from_slice(extra);
    }

    /// Jump to `join` with payload `pl` of type `ty` (unboxed).
    fn jump_typed(&mut self, join: Block, ty: Ty, pl: V) {
        let v = if ty == Ty::Float {
            self.b.ins().bitcast(t::F64, MemFlags::new(), pl)
        } else {
            pl
        };
        self.b.ins().jump(join, &[BlockArg::Value(v)]);
    }

    /// After a native call at `ip` (callee at stack position `p`, the
    /// operand stack `before` the call): the common case, a result of the
    /// expected type, goes straight to `join`. The rest takes a cold path:
    /// the callee found the recursion limit reached (nothing ran: the
    /// interpreter redoes the call and raises `Stack overflow` with the
    /// full stack), an error (propagated), or a result of another type
    /// (boxed where the interpreter expects it, then a guard exit after
    /// the call). For a boxed `expected` the result is boxed into slot `p`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn native_call_result(
        &mut self,
        ip: usize,
        p: usize,
        call: Inst,
        expected: Ty,
        extra: &[Sv],
        before: &[Sv],
        join: Block,
    ) {
        let (tg, pl) = self.native_result(call);
        let unusual = self.b.create_block();
        self.b.set_cold_block(unusual);
        if expected.is_unboxed() {
            let bad = self.tag_mismatch(tg, expected);
            let ok = self.b.create_block();
            self.b.ins().brif(bad, unusual, &[], ok, &[]);
            self.b.switch_to_block(ok);
            self.jump_typed(join, expected, pl);
        } else {
            self.b.ins().jump(unusual, &[]);
        }
        self.side_path(unusual, |s| {
            s.stack = before.to_vec();
            let over = s.b.ins().icmp_imm_s(IntCC::Equal, tg, tag::OVERFLOW as i64);
            s.exit_if(over, ip, ExitReason::StackLimit);
            s.check_error(tg);
            s.stack.truncate(p);
            s.stack.push(Sv::Boxed);
            s.stack.extend_from_slice(extra);
            if expected.is_unboxed() {
                // The result goes where the interpreter expects it as one
                // of the exit's writes.
                let plan = ExitPlan {
                    writes: vec![Write::Tagged {
                        dst: SlotOrGlobal::Slot(s.nslots + p),
                        val: 0,
                    }],
                    vals: vec![tg, pl],
                };
                let st = s.stack.clone();
                s.emit_exit_plan(ip + 1, &st, ExitReason::TypeGuard, expected, true, plan);
            } else {
                let at = s.slot_of_pos(p);
                s.call(Helper::Put, &[at, tg, pl]);
                s.b.ins().jump(join, &[]);
            }
        });
    }

    /// After a call through the `call` helper (which wrote the result to
    /// its slot too): to `join` if the result has the expected type, else
    /// a guard exit after the call.
    fn helper_call_result(&mut self, ip: usize, p: usize, tg: V, pl: V, expected: Ty, join: Block) {
        if !expected.is_unboxed() {
            self.b.ins().jump(join, &[]);
            return;
        }
        self.stack.truncate(p);
        self.push_result(ip, expected, tg, pl);
        let v = match self.stack.pop() {
            Some(Sv::I(v) | Sv::B(v) | Sv::F(v)) => v,
            other => unreachable!("push_result pushed {other:?} for an unboxed type"),
        };
        self.b.ins().jump(join, &[BlockArg::Value(v)]);
    }

    /// Whether running this unit's code can rebind no global: it stores no
    /// global, and every call it makes is a direct call of itself.
    fn cannot_rebind(&self) -> bool {
        let proto = self.u.proto;
        proto.code.iter().enumerate().all(|(ip, op)| match *op {
            Op::StoreGlobal(_) | Op::CallMethod(..) | Op::CallMethodWb(..) => false,
            Op::UpdateVar(u) => matches!(proto.updates[u as usize].var, VarRef::Local(_)),
            Op::StorePath(p) => matches!(proto.paths[p as usize].var, VarRef::Local(_)),
            Op::Call(argc) => {
                let Some(st) = &self.u.an.states[ip] else {
                    return true; // unreachable
                };
                let at = st.stack.len().checked_sub(argc as usize + 1);
                match at.map(|i| st.stack[i]) {
                    Some(Ty::Func(g)) => super::super::global_func(self.u.vm, g)
                        .is_some_and(|c| Rc::ptr_eq(&c.proto, proto)),
                    _ => false,
                }
            }
            _ => true,
        })
    }

    /// The callee at stack position `p` (a lazy local or a boxed value) as
    /// a `*const Closure`, branching to `slow` unless it is a closure of
    /// prototype `target`.
    fn closure_of_proto(&mut self, p: usize, target: *const FuncProto, slow: Block) -> V {
        let l = self.layout().expect("checked by ic_callee");
        let addr = self
            .entry_addr(&l, p, slow)
            .expect("ic_callee takes lazy locals and boxed entries");
        let boxp = self.heap_of(addr, vtag::FUNC, slow);
        let closure = self.b.ins().iadd_imm_s(boxp, l.rc_value as i64);
        let proto = self.load_at(t::I64, closure, l.closure_proto);
        let want = target as i64 - l.rc_value as i64;
        let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, proto, want);
        self.guard_to(other, slow);
        closure
    }
}
