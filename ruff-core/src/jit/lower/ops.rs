//! Lowering of single instructions: constants, locals, globals, operators
//! (checked int arithmetic, float arithmetic, comparisons), jumps, and
//! heap operations through helpers.

use super::super::helper_table::Helper;
use crate::jit::slot_ref::SlotOrGlobal;
use std::rc::Rc;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types as t, InstBuilder, InstructionData, MemFlagsData as MemFlags, Opcode, Value as V,
};

use crate::bytecode::{FuncProto, Op};
use crate::runtime::value::Value;
use crate::runtime::vm::INTERRUPTED;

use super::super::ctx::tag;
use super::super::exits::ExitReason;
use super::super::refusal::Refusal;
use super::super::types::Ty;
use super::{Fail, Lower, Sv};

impl Lower<'_, '_> {
    /// Lower instruction `ip`. Returns whether control falls through.
    pub(super) fn op(&mut self, ip: usize) -> Result<bool, Fail> {
        let op = self.u.proto.code[ip];
        if let Some(kind) = self.u.an.exit_ops[ip] {
            let st = self.stack.clone();
            let reason = match kind {
                super::super::types::ExitKind::Unsupported => ExitReason::Unsupported,
                super::super::types::ExitKind::LeaveLoop => ExitReason::LeaveLoop,
            };
            // An OSR loop is left once per entry: out of the loop's way,
            // the loop test falls through into the body and the back edge
            // is the loop's only taken branch. (Only a block of its own:
            // one that also holds loop code before `ip` stays hot.)
            if reason == ExitReason::LeaveLoop {
                if let Some(blk) = self.b.current_block() {
                    if self.b.func.layout.first_inst(blk).is_none() {
                        self.b.set_cold_block(blk);
                    }
                }
            }
            self.emit_exit(ip, &st, reason, Ty::Bot, true);
            return Ok(false);
        }
        self.pin_lazy(op);
        let produced = self.u.an.produced[ip];
        match op {
            Op::Const(k) => {
                let sv = match &self.u.proto.consts[k as usize] {
                    Value::Int(i) => Sv::I(self.iconst(*i)),
                    Value::Float(f) => Sv::F(self.b.ins().f64const(*f)),
                    Value::Bool(b) => Sv::B(self.iconst(*b as i64)),
                    Value::Null => Sv::Null,
                    _ => Sv::Const(k),
                };
                self.stack.push(sv);
            }
            Op::Int(n) => {
                let v = self.iconst(n as i64);
                self.stack.push(Sv::I(v));
            }
            Op::Null => self.stack.push(Sv::Null),
            Op::True | Op::False => {
                let v = self.iconst(matches!(op, Op::True) as i64);
                self.stack.push(Sv::B(v));
            }
            Op::Pop => {
                if let Sv::Boxed = self.pop(ip)? {
                    let idx = self.slot_of_pos(self.stack.len());
                    self.call(Helper::DropSlot, &[idx]);
                }
            }
            Op::Dup => {
                let top = *self.stack.last().ok_or((Refusal::Internal, ip))?;
                if let Sv::Boxed = top {
                    let p = self.stack.len() - 1;
                    let (a, b) = (self.slot_of_pos(p), self.slot_of_pos(p + 1));
                    self.call(Helper::CopySlot, &[a, b]);
                }
                self.stack.push(top);
            }
            Op::UpdateVar(u) => self.update_var(ip, u)?,
            Op::LoadLocal(s) => {
                let s = s as usize;
                let ty = self.u.an.locals[s];
                match self.vars[s] {
                    Some(var) => {
                        let v = self.b.use_var(var);
                        self.stack.push(match ty {
                            Ty::Int => Sv::I(v),
                            Ty::Float => Sv::F(v),
                            _ => Sv::B(v),
                        });
                    }
                    None if ty == Ty::Null => self.stack.push(Sv::Null),
                    None if self.layout().is_some() => self.stack.push(Sv::LazyLocal(s as u32)),
                    None => {
                        let from = self.slot_of_local(s);
                        let to = self.slot_of_pos(self.stack.len());
                        self.call(Helper::CopySlot, &[from, to]);
                        self.stack.push(Sv::Boxed);
                    }
                }
            }
            Op::StoreLocal(s) => {
                let s = s as usize;
                let sv = self.pop(ip)?;
                if let Sv::LazyLocal(x) = sv {
                    if x as usize == s {
                        return Ok(true);
                    }
                }
                self.store_local(ip, s, sv)?;
            }
            Op::StoreNewCell(s) | Op::StoreCell(s) => {
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.stack.pop();
                let (slot, src) = (self.slot_of_local(s as usize), self.slot_of_pos(p));
                let fresh = self.iconst(matches!(op, Op::StoreNewCell(_)) as i64);
                self.call(Helper::StoreCell, &[slot, src, fresh]);
            }
            Op::LoadCell(s) => {
                let (slot, dst) = (
                    self.slot_of_local(s as usize),
                    self.slot_of_pos(self.stack.len()),
                );
                let (tg, pl) = self.call2(Helper::LoadCell, &[slot, dst]);
                self.push_result(ip, produced, tg, pl);
            }
            Op::LoadUpval(u) => {
                if !self.upval_inline(ip, u as u32, produced) {
                    self.load_upval_helper(ip, u as u32, produced);
                }
            }
            Op::StoreUpval(u) => {
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.stack.pop();
                let (uv, src) = (self.iconst(u as i64), self.slot_of_pos(p));
                self.call(Helper::StoreUpval, &[self.cl, uv, src]);
            }
            Op::LoadGlobal(g) => {
                if let Some(&(_, i)) = self.u.promoted.iter().find(|(pg, _)| *pg == g) {
                    let var = self.vars[i].ok_or((Refusal::Internal, ip))?;
                    let v = self.b.use_var(var);
                    self.stack.push(match self.u.an.locals[i] {
                        Ty::Int => Sv::I(v),
                        Ty::Float => Sv::F(v),
                        _ => Sv::B(v),
                    });
                } else if super::super::global_func(self.u.vm, g).is_some() {
                    self.stack.push(Sv::Func(g));
                } else if !produced.is_unboxed()
                    && self.layout().is_some()
                    && self.u.vm.globals()[g as usize].is_some()
                {
                    // Defined globals stay defined: read it where it is used.
                    self.stack.push(Sv::LazyGlobal(g));
                } else {
                    self.set_ip(ip);
                    let gv = self.iconst(g as i64);
                    let dst = self.slot_of_pos(self.stack.len());
                    let (tg, pl) = self.call2(Helper::LoadGlobal, &[gv, dst]);
                    self.check_error(tg);
                    self.push_result(ip, produced, tg, pl);
                }
            }
            Op::StoreGlobal(g) => {
                let sv = self.pop(ip)?;
                if let Sv::LazyGlobal(x) = sv {
                    if x == g {
                        // `g = g` (what an in-place update leaves): nothing to do.
                        return Ok(true);
                    }
                }
                if let Some(&(_, i)) = self.u.promoted.iter().find(|(pg, _)| *pg == g) {
                    let var = self.vars[i].ok_or((Refusal::Internal, ip))?;
                    let v = match (self.u.an.locals[i], sv) {
                        (Ty::Int, Sv::I(v)) | (Ty::Float, Sv::F(v)) | (Ty::Bool, Sv::B(v)) => v,
                        _ => return Err((Refusal::Internal, ip)),
                    };
                    self.b.def_var(var, v);
                } else {
                    let p = self.stack.len();
                    self.stack.push(sv);
                    self.materialize(p);
                    self.stack.pop();
                    let (gv, src) = (self.iconst(g as i64), self.slot_of_pos(p));
                    self.call(Helper::StoreGlobal, &[gv, src]);
                }
            }
            Op::LoadBuiltin(b) => self.stack.push(Sv::Builtin(b)),
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => return self.arith(ip, op),
            Op::Neg => {
                let a = self.pop(ip)?;
                match a {
                    Sv::I(v) => {
                        self.stack.push(a);
                        let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, v, i64::MIN);
                        self.exit_if(is_min, ip, ExitReason::Overflow);
                        self.stack.pop();
                        let r = self.b.ins().ineg(v);
                        self.stack.push(Sv::I(r));
                    }
                    Sv::F(v) => {
                        let r = self.b.ins().fneg(v);
                        self.stack.push(Sv::F(r));
                    }
                    a if Self::is_boxed_like(a) => {
                        self.stack.push(a);
                        let (tg, _) = self.unop_helper(ip, 0);
                        self.check_error(tg);
                        self.stack.push(Sv::Boxed);
                    }
                    a => {
                        self.stack.push(a);
                        let st = self.stack.clone();
                        self.emit_exit(ip, &st, ExitReason::Unsupported, Ty::Bot, true);
                        return Ok(false);
                    }
                }
            }
            Op::Not | Op::ToBool => {
                let a = self.pop(ip)?;
                let truth = match a {
                    a if Self::is_boxed_like(a) => {
                        self.stack.push(a);
                        let (_, pl) = self.unop_helper(ip, 2);
                        pl
                    }
                    a => self.truth(a),
                };
                let r = if matches!(op, Op::Not) {
                    self.b.ins().bxor_imm_s(truth, 1)
                } else {
                    truth
                };
                self.stack.push(Sv::B(r));
            }
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => return self.compare(ip, op),
            Op::Jump(t) => {
                self.jump_to(t as usize)?;
                return Ok(false);
            }
            Op::Loop(t) => {
                self.back_edge(ip, t as usize)?;
                return Ok(false);
            }
            Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                let c = self.pop(ip)?;
                let truth = if Self::is_boxed_like(c) {
                    self.stack.push(c);
                    let (_, pl) = self.unop_helper(ip, 2);
                    pl
                } else {
                    self.truth(c)
                };
                let (tb, targs) = self.block_args(t as usize)?;
                let (fb, fargs) = self.block_args(ip + 1)?;
                if matches!(op, Op::JumpIfTrue(_)) {
                    self.b.ins().brif(truth, tb, &targs, fb, &fargs);
                } else {
                    self.b.ins().brif(truth, fb, &fargs, tb, &targs);
                }
                return Ok(false);
            }
            Op::JumpIfNotNull(t) => {
                let top = *self.stack.last().ok_or((Refusal::Internal, ip))?;
                match top {
                    Sv::Null => {
                        self.stack.pop();
                    }
                    Sv::Boxed => {
                        let idx = self.slot_of_pos(self.stack.len() - 1);
                        let r = self.call(Helper::IsNull, &[idx])[0];
                        let (tb, targs) = self.block_args(t as usize)?;
                        self.stack.pop();
                        let (fb, fargs) = self.block_args(ip + 1)?;
                        self.b.ins().brif(r, fb, &fargs, tb, &targs);
                        return Ok(false);
                    }
                    _ => {
                        self.jump_to(t as usize)?;
                        return Ok(false);
                    }
                }
            }
            Op::Call(argc) => return self.call_op(ip, argc as usize),
            Op::CallMethod(k, argc) | Op::CallMethodWb(k, argc) => {
                let wb = matches!(op, Op::CallMethodWb(..));
                if self.method_call(ip, k, argc as usize, wb)? {
                    return Ok(true);
                }
                let p = self.stack.len() - argc as usize - 1;
                self.prof_line(ip);
                self.pin_funcs(p);
                self.materialize_range(p);
                self.flush_globals();
                self.set_ip(ip);
                let (at, name) = (
                    self.slot_of_pos(p),
                    self.iconst(&self.u.proto.consts[k as usize] as *const Value as i64),
                );
                let (n, w) = (self.iconst(argc as i64), self.iconst(wb as i64));
                let (tg, pl) = self.call2(Helper::CallMethod, &[at, name, n, w]);
                self.check_error(tg);
                self.stack.truncate(p);
                // A write-back call also leaves the receiver and whether it changed.
                let extra: &[Sv] = if wb { &[Sv::Boxed, Sv::Boxed] } else { &[] };
                self.push_result_with(ip, produced, tg, pl, extra);
                self.reload_globals(ip);
            }
            Op::Return => {
                let v = self.pop(ip)?;
                if self.u.osr {
                    self.stack.push(v);
                    let st = self.stack.clone();
                    self.emit_exit(ip, &st, ExitReason::Return, Ty::Bot, true);
                    return Ok(false);
                }
                let (tg, pl) = match v {
                    Sv::I(v) => (tag::INT, v),
                    Sv::F(v) => (tag::FLOAT, self.b.ins().bitcast(t::I64, MemFlags::new(), v)),
                    Sv::B(v) => (tag::BOOL, v),
                    Sv::Null => (tag::NULL, self.iconst(0)),
                    sv => {
                        // Heap results go to the callee's slot below the base
                        // (a method's: its receiver's, i.e. `self`'s slot).
                        let at = super::super::result_slot(self.u.proto, 1) as i64 - 1;
                        let dst = self.b.ins().iadd_imm_s(self.base, at);
                        if let Sv::Boxed = sv {
                            let src = self.slot_of_pos(self.stack.len());
                            self.call(Helper::MoveSlot, &[src, dst]);
                        } else {
                            self.box_into(dst, sv);
                        }
                        self.heap_result = true;
                        (tag::HEAP, self.iconst(0))
                    }
                };
                self.epilogue(true);
                self.heap_result = false;
                let tv = self.iconst(tg as i64);
                self.ret(tv, pl);
                return Ok(false);
            }
            Op::Closure(p) => {
                let dst = self.slot_of_pos(self.stack.len());
                let pp =
                    self.iconst(&self.u.proto.protos[p as usize] as *const Rc<FuncProto> as i64);
                self.call(Helper::MakeClosure, &[self.cl, self.base, pp, dst]);
                self.stack.push(Sv::Boxed);
            }
            Op::MakeArray(n) | Op::MakeDict(n) | Op::Concat(n) => {
                let count = if matches!(op, Op::MakeDict(_)) {
                    2 * n as usize
                } else {
                    n as usize
                };
                let p = self.stack.len() - count;
                self.materialize_range(p);
                self.set_ip(ip);
                let (first, nv) = (self.slot_of_pos(p), self.iconst(n as i64));
                let f = match op {
                    Op::MakeArray(_) => Helper::MakeArray,
                    Op::MakeDict(_) => Helper::MakeDict,
                    _ => Helper::Concat,
                };
                let (tg, _) = self.call2(f, &[first, nv]);
                if matches!(op, Op::MakeDict(_)) {
                    self.check_error(tg);
                }
                self.stack.truncate(p);
                self.stack.push(Sv::Boxed);
            }
            Op::ArrayPush | Op::DictInsert => {
                let count = if matches!(op, Op::ArrayPush) { 2 } else { 3 };
                let p = self.stack.len() - count;
                self.materialize_range(p);
                self.set_ip(ip);
                let a = self.slot_of_pos(p);
                let f = if matches!(op, Op::ArrayPush) {
                    Helper::ArrayPush
                } else {
                    Helper::DictInsert
                };
                let (tg, _) = self.call2(f, &[a]);
                self.check_error(tg);
                self.stack.truncate(p);
                self.stack.push(Sv::Boxed);
            }
            Op::MakeStruct(i) => {
                let def = &self.u.proto.structs[i as usize];
                let p = self.stack.len() - def.fields.len();
                self.materialize_range(p);
                let (dp, first) = (self.iconst(def as *const _ as i64), self.slot_of_pos(p));
                self.call(Helper::MakeStruct, &[dp, first]);
                self.stack.truncate(p);
                self.stack.push(Sv::Boxed);
            }
            Op::Index => {
                let n = self.stack.len();
                if let (Some(var), Sv::I(key)) =
                    (Self::lazy_var(self.stack[n - 2]), self.stack[n - 1])
                {
                    if !self.index_inline(ip, produced)? {
                        self.index_var_helper(ip, var, key, produced);
                    }
                    return Ok(true);
                }
                let key = self.pop(ip)?;
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.set_ip(ip);
                let a = self.slot_of_pos(p);
                let (tg, pl) = if let Sv::I(k) = key {
                    self.call2(Helper::IndexInt, &[a, k])
                } else {
                    self.stack.push(key);
                    self.materialize(p + 1);
                    self.stack.pop();
                    self.call2(Helper::Index, &[a])
                };
                self.check_error(tg);
                self.stack.pop();
                self.push_result(ip, produced, tg, pl);
            }
            Op::GetField(k) => {
                if !self.field_inline(ip, k, produced) {
                    self.get_field_helper(ip, k, produced);
                }
            }
            Op::StorePath(pi) => {
                let desc = &self.u.proto.paths[pi as usize];
                let depth = desc.depth as usize;
                let p = self.stack.len() - depth - 1;
                let simple = depth == 1
                    && desc.field_mask == 0
                    && matches!(
                        desc.var,
                        crate::bytecode::VarRef::Local(_) | crate::bytecode::VarRef::Global(_)
                    );
                if let (true, Sv::I(key)) = (simple, self.stack[p + 1]) {
                    // `var[i] := v` with an unboxed index (and value): one call.
                    let (vt, vp) = match self.stack[p] {
                        Sv::I(v) => (tag::INT, v),
                        Sv::B(v) => (tag::BOOL, v),
                        Sv::F(v) => (tag::FLOAT, self.b.ins().bitcast(t::I64, MemFlags::new(), v)),
                        Sv::Null => (tag::NULL, self.iconst(0)),
                        _ => {
                            self.materialize(p);
                            (tag::HEAP, self.iconst(0))
                        }
                    };
                    let done = self.store_index_inline(desc.var, key, self.stack[p]);
                    self.set_ip(ip);
                    let (pv, vs, vt) = (
                        self.iconst(pi as i64),
                        self.slot_of_pos(p),
                        self.iconst(vt as i64),
                    );
                    let (tg, _) = self.call2(
                        Helper::StoreIndexInt,
                        &[self.cl, self.base, pv, key, vt, vp, vs],
                    );
                    self.check_error(tg);
                    if let Some(done) = done {
                        self.b.ins().jump(done, &[]);
                        self.b.switch_to_block(done);
                    }
                    self.stack.truncate(p);
                    return Ok(true);
                }
                self.materialize_range(p);
                self.set_ip(ip);
                let (pv, v) = (self.iconst(pi as i64), self.slot_of_pos(p));
                let (tg, _) = self.call2(Helper::StorePath, &[self.cl, self.base, pv, v]);
                self.check_error(tg);
                self.stack.truncate(p);
            }
            Op::IterPrep(s) => {
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.set_ip(ip);
                let (slot, src) = (self.slot_of_local(s as usize), self.slot_of_pos(p));
                let (tg, _) = self.call2(Helper::IterPrep, &[slot, src]);
                self.check_error(tg);
                self.stack.pop();
            }
            Op::IterNext(s, exit) => {
                let (slot, dst) = (
                    self.slot_of_local(s as usize),
                    self.slot_of_pos(self.stack.len()),
                );
                let (tg, pl) = self.call2(Helper::IterNext, &[slot, dst]);
                let done = self.b.ins().icmp_imm_s(IntCC::Equal, tg, tag::DONE as i64);
                let (eb, eargs) = self.block_args(exit as usize)?;
                let more = self.b.create_block();
                self.b.ins().brif(done, eb, &eargs, more, &[]);
                self.b.switch_to_block(more);
                self.push_result(ip, produced, tg, pl);
            }
            Op::RangePrep(s) => {
                let n = self.stack.len();
                let (Sv::I(a), Sv::I(e), Sv::I(st)) =
                    (self.stack[n - 3], self.stack[n - 2], self.stack[n - 1])
                else {
                    let st = self.stack.clone();
                    self.emit_exit(ip, &st, ExitReason::Unsupported, Ty::Bot, true);
                    return Ok(false);
                };
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, st, 0);
                self.exit_if(zero, ip, ExitReason::Unsupported);
                self.stack.truncate(n - 3);
                for (k, v) in [a, e, st].into_iter().enumerate() {
                    let var = self.vars[s as usize + k].ok_or((Refusal::Internal, ip))?;
                    self.b.def_var(var, v);
                }
            }
            Op::RangeNext(s, exit) => {
                let s = s as usize;
                let (vc, ve, vs) = (
                    self.vars[s].ok_or((Refusal::Internal, ip))?,
                    self.vars[s + 1].ok_or((Refusal::Internal, ip))?,
                    self.vars[s + 2].ok_or((Refusal::Internal, ip))?,
                );
                let (cur, end, step) = (self.b.use_var(vc), self.b.use_var(ve), self.b.use_var(vs));
                let pos = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, step, 0);
                let lt = self.b.ins().icmp(IntCC::SignedLessThan, cur, end);
                let gt = self.b.ins().icmp(IntCC::SignedGreaterThan, cur, end);
                let go = self.b.ins().select(pos, lt, gt);
                let (eb, eargs) = self.block_args(exit as usize)?;
                let more = self.b.create_block();
                self.b.ins().brif(go, more, &[], eb, &eargs);
                self.b.switch_to_block(more);
                let (next, of) = self.b.ins().sadd_overflow(cur, step);
                let next = self.b.ins().select(of, end, next);
                self.b.def_var(vc, next);
                self.stack.push(Sv::I(cur));
            }
            _ => return Err((Refusal::Internal, ip)),
        }
        Ok(true)
    }

    /// `UpdateVar`: inline arithmetic on an unboxed variable, else the
    /// interpreter's own update through a helper (the variable boxed first).
    pub(super) fn update_var(&mut self, ip: usize, u: u32) -> Result<(), Fail> {
        let desc = &self.u.proto.updates[u as usize];
        let nops = super::super::types::update_operands(&desc.kind);
        let var = match desc.var {
            crate::bytecode::VarRef::Local(s) => Some((s as usize, None)),
            crate::bytecode::VarRef::Global(g) => self
                .u
                .promoted
                .iter()
                .find(|(pg, _)| *pg == g)
                .map(|&(g, i)| (i, Some(g))),
            _ => None,
        };
        let var_ty = var.map_or(Ty::Any, |(i, _)| self.u.an.locals[i]);
        let p = self.stack.len() - nops;
        let operand_ty = match self.stack.get(p) {
            Some(Sv::I(_)) => Ty::Int,
            Some(Sv::F(_)) => Ty::Float,
            _ => Ty::Any,
        };
        if super::super::types::inline_update(&desc.kind, var_ty, operand_ty) {
            let (i, _) = var.expect("inline updates have a variable");
            let v = self.b.use_var(self.vars[i].ok_or((Refusal::Internal, ip))?);
            let cur = if var_ty == Ty::Int {
                Sv::I(v)
            } else {
                Sv::F(v)
            };
            let op = match desc.kind {
                crate::bytecode::UpdateKind::Arith('+') => Op::Add,
                crate::bytecode::UpdateKind::Arith('-') => Op::Sub,
                crate::bytecode::UpdateKind::Arith('*') => Op::Mul,
                crate::bytecode::UpdateKind::Arith('/') => Op::Div,
                _ => Op::Mod,
            };
            // Lowered as `var OP operand`; an exit re-runs the UpdateVar.
            let operand = self.pop(ip)?;
            self.stack.push(cur);
            self.stack.push(operand);
            let n = self.stack.len();
            let saved = self.stack.clone();
            self.stack.truncate(n - 2);
            self.stack.push(operand);
            let exit_stack = self.stack.clone();
            self.stack = saved;
            return self.inline_arith(ip, op, exit_stack).map(|_| ());
        }
        if self.push_inline(ip, u)? {
            return Ok(());
        }
        // Box the variable where the interpreter keeps it, then let it update.
        if let Some((i, g)) = var {
            if let Some(var) = self.vars[i] {
                let v = self.b.use_var(var);
                let sv = match var_ty {
                    Ty::Int => Sv::I(v),
                    Ty::Float => Sv::F(v),
                    _ => Sv::B(v),
                };
                let dst = match g {
                    Some(g) => self.iconst(SlotOrGlobal::Global(g).to_abi()),
                    None => self.slot_of_local(i),
                };
                self.box_into(dst, sv);
            } else if var_ty == Ty::Null {
                let dst = self.slot_of_local(i);
                self.box_into(dst, Sv::Null);
            }
        }
        self.update_var_helper(ip, u, p);
        Ok(())
    }

    /// The interpreter's update of variable `u` through the helper, with
    /// the operands from stack position `p`; pushes the (boxed) result.
    pub(super) fn update_var_helper(&mut self, ip: usize, u: u32, p: usize) {
        self.pin_funcs(p);
        self.materialize_range(p);
        self.flush_globals();
        self.set_ip(ip);
        let (uv, first) = (self.iconst(u as i64), self.slot_of_pos(p));
        let (tg, _) = self.call2(Helper::UpdateVar, &[self.cl, self.base, uv, first]);
        self.check_error(tg);
        self.stack.truncate(p);
        self.stack.push(Sv::Boxed);
        self.reload_globals(ip);
    }

    /// An upvalue through the `load_upval` helper.
    pub(super) fn load_upval_helper(&mut self, ip: usize, u: u32, produced: Ty) {
        let uv = self.iconst(u as i64);
        let dst = self.slot_of_pos(self.stack.len());
        let (tg, pl) = self.call2(Helper::LoadUpval, &[self.cl, uv, dst]);
        self.push_result(ip, produced, tg, pl);
    }

    /// `obj.name` through the `get_field` helper (the receiver boxed first).
    pub(super) fn get_field_helper(&mut self, ip: usize, k: u32, produced: Ty) {
        let p = self.stack.len() - 1;
        self.materialize(p);
        self.set_ip(ip);
        let (a, name) = (
            self.slot_of_pos(p),
            self.iconst(&self.u.proto.consts[k as usize] as *const Value as i64),
        );
        let (tg, pl) = self.call2(Helper::GetField, &[a, name]);
        self.check_error(tg);
        self.stack.pop();
        self.push_result(ip, produced, tg, pl);
    }

    pub(super) fn store_local(&mut self, ip: usize, s: usize, sv: Sv) -> Result<(), Fail> {
        let ty = self.u.an.locals[s];
        if let Some(var) = self.vars[s] {
            let v = match (ty, sv) {
                (Ty::Int, Sv::I(v)) | (Ty::Float, Sv::F(v)) | (Ty::Bool, Sv::B(v)) => v,
                _ => return Err((Refusal::Internal, ip)),
            };
            self.b.def_var(var, v);
            return Ok(());
        }
        if ty == Ty::Null {
            return Ok(());
        }
        let dst = self.slot_of_local(s);
        if let Sv::Boxed = sv {
            let src = self.slot_of_pos(self.stack.len());
            self.call(Helper::MoveSlot, &[src, dst]);
        } else {
            self.box_into(dst, sv);
        }
        Ok(())
    }

    /// Truthiness of an unboxed entry as an i64 0/1.
    pub(super) fn truth(&mut self, sv: Sv) -> V {
        match sv {
            Sv::B(v) => v,
            Sv::I(v) => {
                let c = self.b.ins().icmp_imm_s(IntCC::NotEqual, v, 0);
                self.bool_i64(c)
            }
            Sv::F(v) => {
                let z = self.b.ins().f64const(0.0);
                let c = self.b.ins().fcmp(FloatCC::NotEqual, v, z);
                self.bool_i64(c)
            }
            Sv::Null => self.iconst(0),
            Sv::Func(_) | Sv::Builtin(_) => self.iconst(1),
            Sv::Const(k) => self.iconst(self.u.proto.consts[k as usize].truthy() as i64),
            Sv::Boxed | Sv::LazyGlobal(_) | Sv::LazyLocal(_) => {
                unreachable!("boxed values go through a helper")
            }
        }
    }

    /// Unary helper on the top entry (taken from its slot; popped).
    pub(super) fn unop_helper(&mut self, ip: usize, code: i64) -> (V, V) {
        let p = self.stack.len() - 1;
        self.materialize(p);
        self.stack.pop();
        self.set_ip(ip);
        let (c, a) = (self.iconst(code), self.slot_of_pos(p));
        self.call2(Helper::Unop, &[c, a])
    }

    /// Binary helper on the top two entries; result in the lower slot.
    pub(super) fn binop_helper(&mut self, ip: usize, code: i64) -> (V, V) {
        let p = self.stack.len() - 2;
        self.materialize_range(p);
        self.stack.truncate(p);
        self.set_ip(ip);
        let (c, a) = (self.iconst(code), self.slot_of_pos(p));
        let r = self.call2(Helper::Binop, &[c, a]);
        self.check_error(r.0);
        r
    }

    pub(super) fn arith(&mut self, ip: usize, op: Op) -> Result<bool, Fail> {
        let st = self.stack.clone();
        self.inline_arith(ip, op, st)
    }

    /// Arithmetic on the top two entries; exits go to the interpreter at
    /// `ip` with operand stack `exit_stack`.
    pub(super) fn inline_arith(
        &mut self,
        ip: usize,
        op: Op,
        exit_stack: Vec<Sv>,
    ) -> Result<bool, Fail> {
        let n = self.stack.len();
        let (a, b) = (self.stack[n - 2], self.stack[n - 1]);
        match (a, b) {
            (Sv::I(x), Sv::I(y)) => {
                let r = match op {
                    Op::Add | Op::Sub | Op::Mul => {
                        let (r, of) = match op {
                            Op::Add => self.checked_add(x, y),
                            Op::Sub => self.checked_sub(x, y),
                            _ => self.b.ins().smul_overflow(x, y),
                        };
                        self.exit_if_st(of, ip, ExitReason::Overflow, &exit_stack);
                        r
                    }
                    _ if self.const_of(y).is_some_and(|c| c != 0 && c != -1) => {
                        // A constant divisor (`i % 7`): nothing to check.
                        if matches!(op, Op::Div) {
                            self.b.ins().sdiv(x, y)
                        } else {
                            self.b.ins().srem(x, y)
                        }
                    }
                    _ => {
                        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
                        self.exit_if_st(zero, ip, ExitReason::DivisionByZero, &exit_stack);
                        let m1 = self.b.ins().icmp_imm_s(IntCC::Equal, y, -1);
                        if matches!(op, Op::Div) {
                            let min = self.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                            let bad = self.b.ins().band(m1, min);
                            self.exit_if_st(bad, ip, ExitReason::Overflow, &exit_stack);
                            self.b.ins().sdiv(x, y)
                        } else {
                            // x % -1 is 0 (and must not trap for i64::MIN).
                            let one = self.iconst(1);
                            let safe = self.b.ins().select(m1, one, y);
                            let r = self.b.ins().srem(x, safe);
                            let z = self.iconst(0);
                            self.b.ins().select(m1, z, r)
                        }
                    }
                };
                self.stack.truncate(n - 2);
                self.stack.push(Sv::I(r));
            }
            (Sv::I(_) | Sv::F(_), Sv::I(_) | Sv::F(_)) => {
                let x = self.as_float(a).expect("numeric");
                let y = self.as_float(b).expect("numeric");
                let r = match op {
                    Op::Add => self.b.ins().fadd(x, y),
                    Op::Sub => self.b.ins().fsub(x, y),
                    Op::Mul => self.b.ins().fmul(x, y),
                    _ => {
                        let z = self.b.ins().f64const(0.0);
                        let zero = self.b.ins().fcmp(FloatCC::Equal, y, z);
                        self.exit_if_st(zero, ip, ExitReason::DivisionByZero, &exit_stack);
                        if matches!(op, Op::Div) {
                            self.b.ins().fdiv(x, y)
                        } else {
                            self.call(Helper::Fmod, &[x, y])[0]
                        }
                    }
                };
                self.stack.truncate(n - 2);
                self.stack.push(Sv::F(r));
            }
            (a, b) if Self::is_boxed_like(a) || Self::is_boxed_like(b) => {
                let code = match op {
                    Op::Add => 0,
                    Op::Sub => 1,
                    Op::Mul => 2,
                    Op::Div => 3,
                    _ => 4,
                };
                self.binop_helper(ip, code);
                self.stack.push(Sv::Boxed);
            }
            _ => {
                // bool/null operands: the interpreter raises the error.
                self.emit_exit(ip, &exit_stack, ExitReason::Unsupported, Ty::Bot, true);
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The constant an SSA value was defined as, if it is an `iconst`.
    pub(super) fn const_of(&self, v: V) -> Option<i64> {
        let inst = self.b.func.dfg.value_def(v).inst()?;
        match self.b.func.dfg.insts[inst] {
            InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            } => Some(imm.bits()),
            _ => None,
        }
    }

    /// The bits of a constant an SSA value was defined as (`iconst` or
    /// `f64const`).
    pub(super) fn const_bits(&self, v: V) -> Option<u64> {
        let inst = self.b.func.dfg.value_def(v).inst()?;
        match self.b.func.dfg.insts[inst] {
            InstructionData::UnaryIeee64 {
                opcode: Opcode::F64const,
                imm,
            } => Some(imm.bits()),
            _ => self.const_of(v).map(|c| c as u64),
        }
    }

    /// `x + y` and whether it overflowed. With a constant operand (`i + 1`)
    /// the check is a compare of the sum with `x` (the sum moved the wrong
    /// way), which x86 turns into `lea; cmp; jcc` instead of materializing
    /// the overflow flag.
    fn checked_add(&mut self, x: V, y: V) -> (V, V) {
        let (x, c) = match (self.const_of(x), self.const_of(y)) {
            (_, Some(c)) => (x, c),
            (Some(c), None) => (y, c),
            (None, None) => return self.b.ins().sadd_overflow(x, y),
        };
        let r = self.b.ins().iadd_imm_s(x, c);
        let wrong_way = if c >= 0 {
            IntCC::SignedLessThan
        } else {
            IntCC::SignedGreaterThan
        };
        (r, self.b.ins().icmp(wrong_way, r, x))
    }

    /// `x - y` and whether it overflowed (see `checked_add`).
    fn checked_sub(&mut self, x: V, y: V) -> (V, V) {
        let Some(c) = self.const_of(y).filter(|c| *c != i64::MIN) else {
            return self.b.ins().ssub_overflow(x, y);
        };
        let minus_c = self.iconst(-c);
        self.checked_add(x, minus_c)
    }

    pub(super) fn compare(&mut self, ip: usize, op: Op) -> Result<bool, Fail> {
        let n = self.stack.len();
        let (a, b) = (self.stack[n - 2], self.stack[n - 1]);
        let icc = match op {
            Op::Eq => IntCC::Equal,
            Op::Ne => IntCC::NotEqual,
            Op::Lt => IntCC::SignedLessThan,
            Op::Le => IntCC::SignedLessThanOrEqual,
            Op::Gt => IntCC::SignedGreaterThan,
            _ => IntCC::SignedGreaterThanOrEqual,
        };
        let fcc = match op {
            Op::Eq => FloatCC::Equal,
            Op::Ne => FloatCC::NotEqual,
            Op::Lt => FloatCC::LessThan,
            Op::Le => FloatCC::LessThanOrEqual,
            Op::Gt => FloatCC::GreaterThan,
            _ => FloatCC::GreaterThanOrEqual,
        };
        let equality = matches!(op, Op::Eq | Op::Ne);
        let r = match (a, b) {
            (Sv::I(x), Sv::I(y)) => {
                let c = self.b.ins().icmp(icc, x, y);
                self.bool_i64(c)
            }
            (Sv::I(_) | Sv::F(_), Sv::I(_) | Sv::F(_)) => {
                let x = self.as_float(a).expect("numeric");
                let y = self.as_float(b).expect("numeric");
                let c = self.b.ins().fcmp(fcc, x, y);
                self.bool_i64(c)
            }
            (Sv::B(x), Sv::B(y)) if equality => {
                let c = self.b.ins().icmp(icc, x, y);
                self.bool_i64(c)
            }
            (a, b) if Self::is_boxed_like(a) || Self::is_boxed_like(b) => {
                let code = match op {
                    Op::Eq => 5,
                    Op::Ne => 6,
                    Op::Lt => 7,
                    Op::Le => 8,
                    Op::Gt => 9,
                    _ => 10,
                };
                let (_, pl) = self.binop_helper(ip, code);
                self.stack.push(Sv::B(pl));
                return Ok(true);
            }
            (a, b) if equality => {
                // Different kinds (or null == null) among unboxed values.
                let same = matches!((a, b), (Sv::Null, Sv::Null));
                self.iconst((same == matches!(op, Op::Eq)) as i64)
            }
            _ => {
                let st = self.stack.clone();
                self.emit_exit(ip, &st, ExitReason::Unsupported, Ty::Bot, true);
                return Ok(false);
            }
        };
        self.stack.truncate(n - 2);
        self.stack.push(Sv::B(r));
        Ok(true)
    }

    pub(super) fn back_edge(&mut self, ip: usize, target: usize) -> Result<(), Fail> {
        if self.u.telemetry {
            if let Some(li) = self
                .u
                .proto
                .loops
                .iter()
                .position(|l| l.header as usize == target)
            {
                self.bump(&self.u.proto.feedback.loops[li].native_iterations as *const _ as usize);
            }
        }
        self.prof_back_edge(ip, target);
        // Ctrl-C: let the interpreter raise it at this back edge.
        let flag = self.iconst(&INTERRUPTED as *const _ as i64);
        let f = self.b.ins().load(t::I8, MemFlags::trusted(), flag, 0);
        let mut stop = self.b.ins().icmp_imm_s(IntCC::NotEqual, f, 0);
        if self.u.stress {
            let s = self.stress_tick();
            stop = self.b.ins().bor(stop, s);
        }
        self.exit_if(stop, ip, ExitReason::Interrupt);
        self.jump_to(target)
    }
}
