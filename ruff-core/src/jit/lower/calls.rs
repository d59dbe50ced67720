//! Calls: direct native calls to compiled functions (guarded by the
//! binding epoch) and generic calls through the `call` helper.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types as t, Block, BlockArg, InstBuilder, MemFlagsData as MemFlags, Type, Value as V,
};

use std::rc::Rc;

use crate::bytecode::{FuncProto, Op, VarRef};

use super::super::ctx::{off, tag};
use super::super::exits::ExitReason;
use super::super::helpers as h;
use super::super::layout::vtag;
use super::super::types::Ty;
use super::{cl_ty, tag_of, Callee, Fail, Lower, Sv};

impl Lower<'_, '_> {
    pub(super) fn call_op(&mut self, ip: usize, argc: usize) -> Result<bool, Fail> {
        let p = self.stack.len() - argc - 1;
        let produced = self.u.an.produced[ip];
        self.prof_line(ip);
        self.pin_funcs(p);
        if let Sv::Func(g) = self.stack[p] {
            if let Some(callee) = self
                .u
                .callees
                .iter()
                .find(|(x, _)| *x == g)
                .map(|(_, c)| c.clone())
            {
                if let Some(r) = self.direct_call(ip, p, argc, &callee, produced)? {
                    let (tg, pl) = r;
                    self.after_call(ip, p, produced, tg, pl, true, &[]);
                    self.reload_globals(ip);
                    return Ok(true);
                }
            }
        }
        if let Some(callee) = self.ic_callee(ip, p, argc) {
            if let Some((tg, pl)) = self.direct_call(ip, p, argc, &callee, produced)? {
                self.after_call(ip, p, produced, tg, pl, true, &[]);
                self.reload_globals(ip);
                return Ok(true);
            }
        }
        let (tg, pl) = self.generic_call(ip, p, argc);
        self.after_call(ip, p, produced, tg, pl, false, &[]);
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
        let target = self.u.proto.jit.target(ip)?;
        // SAFETY: prototypes live as long as the program (see `target`).
        let tp = unsafe { &*target };
        if tp.is_method || tp.arity as usize != argc {
            return None;
        }
        let code = if std::ptr::eq(target, Rc::as_ptr(self.u.proto)) {
            None
        } else {
            Some(tp.jit.code.borrow().clone()?)
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
        let r = self.call2(h::call as *const () as usize, &[at, n]);
        self.check_error(r.0);
        r
    }

    /// A native call to a compiled function, guarded by the binding epoch
    /// (falling back to the generic call). `None` if the types don't fit.
    pub(super) fn direct_call(
        &mut self,
        ip: usize,
        p: usize,
        argc: usize,
        callee: &Callee,
        expected: Ty,
    ) -> Result<Option<(V, V)>, Fail> {
        let params: Vec<Ty> = match &callee.code {
            Some(code) => code.params.clone(),
            None => self.u.self_params.clone(),
        };
        if callee.arity != argc || params.len() != argc {
            return Ok(None);
        }
        for (i, ty) in params.iter().enumerate() {
            let ok = match (ty, self.stack[p + 1 + i]) {
                (Ty::Int, Sv::I(_)) | (Ty::Float, Sv::F(_)) | (Ty::Bool, Sv::B(_)) => true,
                (t, _) => !t.is_unboxed(),
            };
            if !ok {
                return Ok(None);
            }
        }
        let saved = self.stack.clone();
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
        let join = self.b.create_block();
        self.b.set_cold_block(slow);
        let tgp = self.b.append_block_param(join, t::I64);
        let plp = self.b.append_block_param(join, t::I64);
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
        // Fast: the native call.
        let call = match (&callee.code, self.self_ref) {
            (None, Some(f)) => self.b.ins().call(f, &args),
            (Some(code), _) => {
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
            (None, None) => return Ok(None),
        };
        let (tg, pl) = self.native_result(call);
        // Only a self call of code that cannot rebind globals keeps the
        // epoch check valid.
        self.epoch_checked &= callee.code.is_none() && callee.ic.is_none() && self.cannot_rebind();
        if expected.is_unboxed() {
            // The common case first: a result of the expected type.
            let hit = self
                .b
                .ins()
                .icmp_imm_s(IntCC::Equal, tg, tag_of(expected) as i64);
            let check = self.b.create_block();
            self.b.set_cold_block(check);
            self.b.ins().brif(
                hit,
                join,
                &[BlockArg::Value(tg), BlockArg::Value(pl)],
                check,
                &[],
            );
            self.b.switch_to_block(check);
        }
        // The callee found the recursion limit reached: let the interpreter
        // redo the call and raise `Stack overflow` with the full stack.
        let over = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, tg, tag::OVERFLOW as i64);
        self.stack = saved.clone();
        self.exit_if(over, ip, ExitReason::StackLimit);
        self.check_error(tg);
        self.b
            .ins()
            .jump(join, &[BlockArg::Value(tg), BlockArg::Value(pl)]);
        self.b.switch_to_block(slow);
        let fast_stack = std::mem::replace(&mut self.stack, saved);
        if callee.ic.is_none() {
            // The global was rebound: the interpreter makes this call (an
            // exit is much less code than a generic call here, and code
            // that keeps exiting is recompiled against the new binding).
            let st = self.stack.clone();
            self.emit_exit(ip, &st, ExitReason::GlobalChanged, Ty::Bot, true);
            self.stack = fast_stack;
        } else {
            // Another callee than the one seen: call it generically.
            let (tg2, pl2) = self.generic_call(ip, p, argc);
            self.b
                .ins()
                .jump(join, &[BlockArg::Value(tg2), BlockArg::Value(pl2)]);
        }
        self.b.switch_to_block(join);
        Ok(Some((tgp, plp)))
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

    /// A call's result `(tag, payload)` replaces callee and arguments.
    /// `extra`: entries pushed after the result (a write-back call's).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn after_call(
        &mut self,
        ip: usize,
        p: usize,
        ty: Ty,
        tg: V,
        pl: V,
        direct: bool,
        extra: &[Sv],
    ) {
        self.stack.truncate(p);
        if !direct {
            // The call helper wrote the result to its slot too.
            self.push_result_with(ip, ty, tg, pl, extra);
        } else if !ty.is_unboxed() {
            // Immediates from a native callee are not in the slot yet.
            let at = self.slot_of_pos(p);
            self.call(h::put as *const () as usize, &[at, tg, pl], 0);
            self.stack.push(Sv::Boxed);
            self.stack.extend_from_slice(extra);
        } else {
            let mut bad = self
                .b
                .ins()
                .icmp_imm_s(IntCC::NotEqual, tg, tag_of(ty) as i64);
            if self.u.stress {
                let s = self.stress_tick();
                bad = self.b.ins().bor(bad, s);
            }
            let ok = self.b.create_block();
            let fail = self.b.create_block();
            self.b.set_cold_block(fail);
            self.b.ins().brif(bad, fail, &[], ok, &[]);
            // A failed guard needs the value in its slot: box it on that path.
            let epoch_checked = self.epoch_checked;
            self.b.switch_to_block(fail);
            let at = self.slot_of_pos(p);
            self.call(h::put as *const () as usize, &[at, tg, pl], 0);
            let mut st = self.stack.clone();
            st.push(Sv::Boxed);
            st.extend_from_slice(extra);
            self.emit_exit(ip + 1, &st, ExitReason::TypeGuard, ty, true);
            self.b.switch_to_block(ok);
            self.epoch_checked = epoch_checked;
            self.stack.push(match ty {
                Ty::Int => Sv::I(pl),
                Ty::Bool => Sv::B(pl),
                _ => Sv::F(self.b.ins().bitcast(t::F64, MemFlags::new(), pl)),
            });
            self.stack.extend_from_slice(extra);
        }
    }
}
