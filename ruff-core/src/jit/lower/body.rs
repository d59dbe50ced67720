//! Unit bodies: prologues (method and OSR entry guards), one Cranelift
//! block per jump target with typed stack entries as block parameters, and
//! the walk over the instructions.

use super::super::helper_table::Helper;
use crate::jit::slot_ref::SlotOrGlobal;
use std::rc::Rc;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types as t, Block, BlockArg, InstBuilder, MemFlagsData as MemFlags, Value as V,
};

use crate::bytecode::Op;

use super::super::ctx::{off, tag};
use super::super::exits::ExitReason;
use super::super::refusal::Refusal;
use super::super::types::Ty;
use super::super::EntryCheck;
use super::{cl_ty, tag_of, Fail, GlobalsAt, Lower, Sv};

impl Lower<'_, '_> {
    /// Declares the locals' variables and `dirty` (defined as
    /// `dirty_on_entry` at the current position, the entry block).
    pub(super) fn declare_vars(&mut self) {
        let d = self.b.declare_var(t::I64);
        let init = self.iconst(self.dirty_on_entry as i64);
        self.b.def_var(d, init);
        self.dirty = Some(d);
        self.one = Some(self.iconst(1));
        let n = self.u.an.locals.len();
        for i in 0..n {
            let ty = self.u.an.locals[i];
            self.vars.push(if ty.is_unboxed() {
                Some(self.b.declare_var(cl_ty(ty)))
            } else {
                None
            });
        }
    }

    pub(super) fn zero_of(&mut self, ty: Ty) -> V {
        if ty == Ty::Float {
            self.b.ins().f64const(0.0)
        } else {
            self.iconst(0)
        }
    }

    pub(super) fn method_body(&mut self, params: &[Ty]) -> Result<(), Fail> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let ps = self.b.block_params(entry).to_vec();
        (self.cx, self.cl, self.base) = (ps[0], ps[1], ps[2]);
        // Prologue: the recursion limit, then this frame's shadow entry,
        // one above the caller's (`JitCtx::top` explains why no depth
        // counter is written).
        let caller = ps[3];
        let limit = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::SHADOW_LIMIT);
        let over = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, caller, limit);
        let body = self.b.create_block();
        let overflow = self.b.create_block();
        self.b.set_cold_block(overflow);
        self.b.ins().brif(over, overflow, &[], body, &[]);
        self.b.switch_to_block(overflow);
        let tg = self.iconst(tag::OVERFLOW as i64);
        let z = self.iconst(0);
        self.ret(tg, z);
        self.b.switch_to_block(body);
        self.shadow = self.b.ins().iadd_imm_s(caller, off::SHADOW_SIZE);
        let pp = self.iconst(Rc::as_ptr(self.u.proto) as i64);
        self.b.ins().store(MemFlags::trusted(), pp, self.shadow, 0);
        self.record_written = true;
        self.prof_push();
        // The shadow entry's instruction is stored before each call out
        // (`set_ip`); nothing reads it before.
        if self.u.telemetry {
            self.bump(&self.u.stats.native_entries as *const _ as usize);
        }
        self.declare_vars();
        let mut k = 4;
        for i in 0..self.vars.len() {
            let ty = self.u.an.locals[i];
            let Some(var) = self.vars[i] else { continue };
            let v = if i < params.len() && params[i].is_unboxed() {
                k += 1;
                ps[k - 1]
            } else {
                self.zero_of(ty)
            };
            self.b.def_var(var, v);
        }
        self.body(0)
    }

    /// The OSR unit's code from the loop header, and the entry checks
    /// its entry assumes (their payloads are its fourth parameter).
    pub(super) fn osr_body(
        &mut self,
        header: usize,
        null: &[bool],
    ) -> Result<Vec<EntryCheck>, Fail> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let ps = self.b.block_params(entry).to_vec();
        (self.cx, self.cl, self.base) = (ps[0], ps[1], ps[2]);
        let payloads = ps[3];
        // `enter_at` made this frame's shadow entry the top one.
        self.shadow = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::TOP);
        self.prof_osr(header);
        self.declare_vars();
        // Entry guard (checked by `enter_loop`): the locals must have the
        // types the code assumes.
        let mut checks = Vec::new();
        let locals = self.u.an.locals.clone();
        for (i, &ty) in locals.iter().enumerate() {
            let is_local = i < self.nslots;
            if is_local && null[i] {
                // The code was compiled knowing this slot is `null` at the
                // header: a later entry must find it so too.
                checks.push(EntryCheck {
                    src: SlotOrGlobal::Slot(i),
                    tag: tag_of(Ty::Null),
                });
                if let Some(var) = self.vars[i] {
                    let z = self.zero_of(ty);
                    self.b.def_var(var, z);
                }
                continue;
            }
            if !ty.is_unboxed() && ty != Ty::Null {
                continue;
            }
            let src = if is_local {
                SlotOrGlobal::Slot(i)
            } else {
                SlotOrGlobal::Global(self.u.promoted[i - self.nslots].0)
            };
            let offset = (checks.len() * 8) as i32;
            checks.push(EntryCheck {
                src,
                tag: tag_of(ty),
            });
            if let Some(var) = self.vars[i] {
                let v = self
                    .b
                    .ins()
                    .load(cl_ty(ty), MemFlags::trusted(), payloads, offset);
                self.b.def_var(var, v);
            }
        }
        self.body(header)?;
        Ok(checks)
    }

    pub(super) fn bump(&mut self, addr: usize) {
        let a = self.iconst(addr as i64);
        let v = self.b.ins().load(t::I64, MemFlags::trusted(), a, 0);
        let v1 = self.b.ins().iadd_imm_s(v, 1);
        self.b.ins().store(MemFlags::trusted(), v1, a, 0);
    }

    /// Create a block per instruction that control flow can reach other
    /// than by falling through; typed stack entries are its parameters.
    pub(super) fn make_blocks(&mut self, start: usize) {
        let code = &self.u.proto.code;
        let mut leader = vec![false; code.len()];
        leader[start] = true;
        for (ip, op) in code.iter().enumerate() {
            let target = op.jump_target();
            if let Some(l) = target.and_then(|t| leader.get_mut(t)) {
                *l = true;
            }
            if target.is_some() || matches!(op, Op::Return) {
                if let Some(l) = leader.get_mut(ip + 1) {
                    *l = true;
                }
            }
        }
        for (ip, _) in leader.iter().enumerate().filter(|(_, l)| **l) {
            let Some(st) = &self.u.an.states[ip] else {
                continue;
            };
            let blk = self.b.create_block();
            for ty in &st.stack {
                if ty.is_unboxed() {
                    self.b.append_block_param(blk, cl_ty(*ty));
                }
            }
            self.blocks[ip] = Some(blk);
        }
    }

    /// Jump to the block of `target`, converting the stack to its shape.
    pub(super) fn jump_to(&mut self, target: usize) -> Result<(), Fail> {
        let (blk, args) = self.block_args(target)?;
        self.b.ins().jump(blk, &args);
        Ok(())
    }

    pub(super) fn block_args(&mut self, target: usize) -> Result<(Block, Vec<BlockArg>), Fail> {
        let blk = self
            .blocks
            .get(target)
            .copied()
            .flatten()
            .ok_or((Refusal::Internal, target))?;
        let tys = self.u.an.states[target]
            .as_ref()
            .ok_or((Refusal::Internal, target))?
            .stack
            .clone();
        if tys.len() != self.stack.len() {
            return Err((Refusal::Internal, target));
        }
        let mut args = Vec::new();
        for (p, ty) in tys.iter().enumerate() {
            match (ty, self.stack[p]) {
                (Ty::Int, Sv::I(v)) | (Ty::Float, Sv::F(v)) | (Ty::Bool, Sv::B(v)) => {
                    args.push(BlockArg::Value(v))
                }
                (Ty::Null, Sv::Null) => {}
                (t, _) if t.is_unboxed() || *t == Ty::Null => {
                    return Err((Refusal::Internal, target))
                }
                _ => self.materialize(p),
            }
        }
        Ok((blk, args))
    }

    pub(super) fn enter_block(&mut self, ip: usize) {
        let blk = self.blocks[ip].expect("leader block");
        self.b.switch_to_block(blk);
        let params = self.b.block_params(blk).to_vec();
        let tys = self.u.an.states[ip]
            .as_ref()
            .expect("reachable")
            .stack
            .clone();
        let mut k = 0;
        self.stack = tys
            .iter()
            .map(|ty| match ty {
                Ty::Int | Ty::Float | Ty::Bool => {
                    let v = params[k];
                    k += 1;
                    match ty {
                        Ty::Int => Sv::I(v),
                        Ty::Float => Sv::F(v),
                        _ => Sv::B(v),
                    }
                }
                Ty::Null => Sv::Null,
                _ => Sv::Boxed,
            })
            .collect();
    }

    pub(super) fn body(&mut self, start: usize) -> Result<(), Fail> {
        self.make_blocks(start);
        self.stack.clear();
        self.prof_enter(start);
        self.jump_to(start)?;
        let mut live = false;
        for ip in 0..self.u.proto.code.len() {
            if self.u.an.states[ip].is_none() {
                continue;
            }
            if self.blocks[ip].is_some() {
                if live {
                    self.prof_enter(ip);
                    self.jump_to(ip)?;
                }
                self.enter_block(ip);
                self.epoch_checked = false;
                live = true;
            }
            if !live {
                continue;
            }
            self.prof_srcloc(Some(ip));
            live = self.op(ip)?;
        }
        if live {
            return Err((Refusal::Internal, 0));
        }
        self.prof_srcloc(None);
        self.emit_exit_block();
        // The shared error paths.
        let paths = std::mem::take(&mut self.err_paths);
        for (at, err) in [
            (GlobalsAt::Registers, paths.registers),
            (GlobalsAt::Memory, paths.memory),
        ] {
            let Some(err) = err else { continue };
            self.b.switch_to_block(err);
            if self.u.osr {
                self.write_back_locals(None, at == GlobalsAt::Registers);
                let len = self.b.ins().iadd_imm_s(self.base, self.nslots as i64);
                let (tg, pl) = self.call2(Helper::OsrError, &[len]);
                self.ret(tg, pl);
            } else {
                self.epilogue(false);
                let tg = self.iconst(tag::ERROR as i64);
                let z = self.iconst(0);
                self.ret(tg, z);
            }
        }
        Ok(())
    }

    pub(super) fn pop(&mut self, ip: usize) -> Result<Sv, Fail> {
        self.stack.pop().ok_or((Refusal::Internal, ip))
    }

    /// An exit before instruction `ip` if `cond` holds.
    pub(super) fn exit_if(&mut self, cond: V, ip: usize, reason: ExitReason) {
        let st = self.stack.clone();
        self.exit_if_st(cond, ip, reason, &st);
    }

    /// An exit before `ip` with operand stack `st` if `cond` holds.
    pub(super) fn exit_if_st(&mut self, cond: V, ip: usize, reason: ExitReason, st: &[Sv]) {
        let ok = self.b.create_block();
        let fail = self.b.create_block();
        self.b.set_cold_block(fail);
        self.b.ins().brif(cond, fail, &[], ok, &[]);
        self.b.switch_to_block(fail);
        self.emit_exit(ip, st, reason, Ty::Bot, true);
        self.b.switch_to_block(ok);
    }

    pub(super) fn as_float(&mut self, sv: Sv) -> Option<V> {
        match sv {
            Sv::F(v) => Some(v),
            Sv::I(v) => Some(self.b.ins().fcvt_from_sint(t::F64, v)),
            _ => None,
        }
    }

    pub(super) fn is_boxed_like(sv: Sv) -> bool {
        matches!(
            sv,
            Sv::Boxed
                | Sv::Const(_)
                | Sv::Func(_)
                | Sv::Builtin(_)
                | Sv::LazyGlobal(_)
                | Sv::LazyLocal(_)
        )
    }
}
