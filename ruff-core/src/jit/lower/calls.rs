//! Calls: direct native calls to compiled functions (guarded by the
//! binding epoch) and generic calls through the `call` helper.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types as t, BlockArg, InstBuilder, MemFlagsData as MemFlags, Type, Value as V,
};

use super::super::ctx::{off, tag};
use super::super::exits::ExitReason;
use super::super::helpers as h;
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
                    self.after_call(ip, p, produced, tg, pl, true);
                    return Ok(true);
                }
            }
        }
        let (tg, pl) = self.generic_call(ip, p, argc);
        self.after_call(ip, p, produced, tg, pl, false);
        Ok(true)
    }

    pub(super) fn generic_call(&mut self, ip: usize, p: usize, argc: usize) -> (V, V) {
        self.materialize_range(p);
        self.flush_globals();
        self.set_ip(ip);
        let (at, n) = (self.slot_of_pos(p), self.iconst(argc as i64));
        self.touched = true;
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
        let mut args = vec![self.cx, self.iconst(callee.closure as i64)];
        let cbase = self.slot_of_pos(p + 1);
        args.push(cbase);
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
        let epoch_now = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::FN_EPOCH);
        let same =
            self.b
                .ins()
                .icmp_imm_s(IntCC::Equal, epoch_now, self.u.vm.jit.ctx.fn_epoch as i64);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.set_cold_block(slow);
        let tgp = self.b.append_block_param(join, t::I64);
        let plp = self.b.append_block_param(join, t::I64);
        self.b.ins().brif(same, fast, &[], slow, &[]);
        // Fast: the native call.
        self.b.switch_to_block(fast);
        let call = match (&callee.code, self.self_ref) {
            (None, Some(f)) => self.b.ins().call(f, &args),
            (Some(code), _) => {
                let mut ps: Vec<Type> = vec![t::I64, t::I64, t::I64];
                ps.extend(
                    code.params
                        .iter()
                        .filter(|p| p.is_unboxed())
                        .map(|p| cl_ty(*p)),
                );
                let sig = self.sig(&ps, &[t::I64, t::I64]);
                let fp = self.iconst(code.spec as i64);
                self.b.ins().call_indirect(sig, fp, &args)
            }
            (None, None) => return Ok(None),
        };
        let (tg, pl) = (self.b.inst_results(call)[0], self.b.inst_results(call)[1]);
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
        // Slow: the binding changed; call whatever the global holds now.
        self.b.switch_to_block(slow);
        self.stack = saved;
        let (tg2, pl2) = self.generic_call(ip, p, argc);
        self.b
            .ins()
            .jump(join, &[BlockArg::Value(tg2), BlockArg::Value(pl2)]);
        self.b.switch_to_block(join);
        Ok(Some((tgp, plp)))
    }

    /// A call's result `(tag, payload)` replaces callee and arguments.
    pub(super) fn after_call(&mut self, ip: usize, p: usize, ty: Ty, tg: V, pl: V, direct: bool) {
        self.stack.truncate(p);
        if !direct {
            // The call helper wrote the result to its slot too.
            self.push_result(ip, ty, tg, pl);
        } else if !ty.is_unboxed() {
            // Immediates from a native callee are not in the slot yet.
            let at = self.slot_of_pos(p);
            self.call(h::put as *const () as usize, &[at, tg, pl], 0);
            self.touched = true;
            self.stack.push(Sv::Boxed);
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
            self.b.switch_to_block(fail);
            let at = self.slot_of_pos(p);
            self.call(h::put as *const () as usize, &[at, tg, pl], 0);
            let mut st = self.stack.clone();
            st.push(Sv::Boxed);
            self.emit_exit(ip + 1, &st, ExitReason::TypeGuard, ty, true);
            self.b.switch_to_block(ok);
            self.stack.push(match ty {
                Ty::Int => Sv::I(pl),
                Ty::Bool => Sv::B(pl),
                _ => Sv::F(self.b.ins().bitcast(t::F64, MemFlags::new(), pl)),
            });
        }
        self.reload_globals(ip);
    }
}
