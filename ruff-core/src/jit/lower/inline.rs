//! Inline fast paths for collections: `a[i]`, `a[i] := v` and
//! `a = push(a, v)` on an array held by a variable, read and written in
//! place by native code (no helper call, no reference-count traffic). Each
//! path checks what it assumes — the tag, the index against the length, a
//! uniquely held array before writing, a scalar element before
//! overwriting it — and falls back to the helper path otherwise, so the
//! semantics (errors, copy-on-write, dicts) stay the helpers'.
//!
//! Variables are read where they live: a global in `Vm::globals` (whose
//! buffer never moves: it is allocated once with every global), a local in
//! its VM stack slot (the buffer pointer is re-read from the `Vm` at each
//! access, since helpers may reallocate the stack).

use super::super::helper_table::Helper;
use crate::jit::slot_ref::SlotOrGlobal;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types as t, Block, BlockArg, InstBuilder, MemFlagsData as MemFlags, Value as V,
};

use std::rc::Rc;

use crate::bytecode::{Op, UpdateKind, VarRef};
use crate::runtime::array::kind;
use crate::runtime::value::{StructDef, Value};

use super::super::layout::{self, vtag, Layout, BOOL_PAYLOAD, PAYLOAD};
use super::super::types::Ty;
use super::{cl_ty, tag_of, Fail, Lower, Sv};

/// Instructions that cannot change any variable: lazy entries survive them.
fn keeps_lazy(op: Op) -> bool {
    matches!(
        op,
        Op::Const(_)
            | Op::Int(_)
            | Op::Null
            | Op::True
            | Op::False
            | Op::LoadLocal(_)
            | Op::LoadGlobal(_)
            | Op::LoadBuiltin(_)
            | Op::LoadCell(_)
            | Op::LoadUpval(_)
            | Op::Index
            | Op::GetField(_)
            | Op::Pop
            | Op::Dup
            | Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Mod
            | Op::Neg
            | Op::Not
            | Op::ToBool
            | Op::Eq
            | Op::Ne
            | Op::Lt
            | Op::Le
            | Op::Gt
            | Op::Ge
            | Op::Jump(_)
            | Op::Loop(_)
            | Op::JumpIfFalse(_)
            | Op::JumpIfTrue(_)
    )
}

fn is_lazy(sv: Sv) -> bool {
    matches!(sv, Sv::LazyGlobal(_) | Sv::LazyLocal(_))
}

impl Lower<'_, '_> {
    pub(super) fn layout(&self) -> Option<Layout> {
        layout::get()
    }

    /// Before instruction `op`: copy lazy entries that it could invalidate
    /// into their slots. A store to a variable only invalidates entries of
    /// that variable below the stored value; everything else (calls,
    /// updates, paths...) may run user code or write anywhere.
    pub(super) fn pin_lazy(&mut self, op: Op) {
        if keeps_lazy(op) || !self.stack.iter().any(|s| is_lazy(*s)) {
            return;
        }
        let below = self.stack.len().saturating_sub(1);
        let hit: Box<dyn Fn(Sv) -> bool> = match op {
            Op::StoreLocal(s) => {
                Box::new(move |sv| matches!(sv, Sv::LazyLocal(x) if x == s as u32))
            }
            Op::StoreGlobal(g) => Box::new(move |sv| matches!(sv, Sv::LazyGlobal(x) if x == g)),
            // User code may change any global, but not this frame's locals.
            Op::Call(_) | Op::CallMethod(..) | Op::CallMethodWb(..) => {
                for p in 0..self.stack.len() {
                    if matches!(self.stack[p], Sv::LazyGlobal(_)) {
                        self.materialize(p);
                    }
                }
                return;
            }
            _ => {
                for p in 0..self.stack.len() {
                    if is_lazy(self.stack[p]) {
                        self.materialize(p);
                    }
                }
                return;
            }
        };
        for p in 0..below {
            if hit(self.stack[p]) {
                self.materialize(p);
            }
        }
    }

    /// Continue in a new block if `fail` is false, else go to `slow`.
    pub(super) fn guard_to(&mut self, fail: V, slow: Block) {
        let next = self.b.create_block();
        self.b.ins().brif(fail, slow, &[], next, &[]);
        self.b.switch_to_block(next);
    }

    pub(super) fn load_at(&mut self, ty: t::Type, addr: V, off: i32) -> V {
        self.b.ins().load(ty, MemFlags::trusted(), addr, off)
    }

    /// Address of the `Value` variable `var` holds; for a local, branches
    /// to `slow` if its slot is beyond the VM stack's length.
    pub(super) fn var_addr(&mut self, l: &Layout, var: VarRef, slow: Block) -> Option<V> {
        match var {
            VarRef::Global(g) => {
                let cell = self.u.vm.globals().get(g as usize)?;
                cell.as_ref()?;
                Some(self.iconst(cell as *const _ as i64))
            }
            VarRef::Local(s) => {
                let idx = self.slot_of_local(s as usize);
                Some(self.slot_addr(l, idx, slow))
            }
            _ => None,
        }
    }

    /// Address of VM stack slot `idx`, branching to `slow` if it is beyond
    /// the stack's length.
    pub(super) fn slot_addr(&mut self, l: &Layout, idx: V, slow: Block) -> V {
        // `JitCtx::vm` is the context's first field.
        let vm = self.load_at(t::I64, self.cx, 0);
        self.bounded_elem(vm, l.vm_stack_len, l.vm_stack_ptr, idx, 4, slow)
    }

    /// Address of element `idx` (of `1 << shift` bytes: 4 for a `Value`,
    /// 0 for a `bool`) of the buffer whose pointer and length are at
    /// `base + ptr_off` / `base + len_off` (a `Vec`), branching to `slow`
    /// when out of bounds (negative indexes too: unsigned).
    fn bounded_elem(
        &mut self,
        base: V,
        len_off: i32,
        ptr_off: i32,
        idx: V,
        shift: i64,
        slow: Block,
    ) -> V {
        let len = self.load_at(t::I64, base, len_off);
        let out = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, idx, len);
        self.guard_to(out, slow);
        let data = self.load_at(t::I64, base, ptr_off);
        let off = if shift == 0 {
            idx
        } else {
            self.b.ins().ishl_imm_u(idx, shift)
        };
        self.b.ins().iadd(data, off)
    }

    /// The `Rc` box pointer of the value at `val`, branching to `slow`
    /// unless its tag is `tag`.
    pub(super) fn heap_of(&mut self, val: V, tag: u8, slow: Block) -> V {
        let tg = self.load_at(t::I8, val, 0);
        let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, tg, tag as i64);
        self.guard_to(other, slow);
        self.load_at(t::I64, val, PAYLOAD)
    }

    /// The `StructObj` box of the value at `val`, branching to `slow`
    /// unless it is an instance of `def`.
    pub(super) fn instance_of(
        &mut self,
        l: &Layout,
        val: V,
        def: &Rc<StructDef>,
        slow: Block,
    ) -> V {
        let obj = self.heap_of(val, vtag::STRUCT, slow);
        let d = self.load_at(t::I64, obj, l.rc_value + l.struct_def);
        // The instance holds an `Rc<StructDef>`: its box pointer.
        let want = Rc::as_ptr(def) as i64 - l.rc_value as i64;
        let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, d, want);
        self.guard_to(other, slow);
        obj
    }

    /// Address of the value stack entry `p` stands for (a lazy variable's,
    /// or a boxed entry's slot); `None` for other entries.
    pub(super) fn entry_addr(&mut self, l: &Layout, p: usize, slow: Block) -> Option<V> {
        match self.stack[p] {
            Sv::LazyGlobal(g) => self.var_addr(l, VarRef::Global(g), slow),
            Sv::LazyLocal(s) => self.var_addr(l, VarRef::Local(s as u16), slow),
            Sv::Boxed => {
                let idx = self.slot_of_pos(p);
                Some(self.slot_addr(l, idx, slow))
            }
            _ => None,
        }
    }

    /// A local, or a global that holds a value (defined globals stay
    /// defined, so code may read it in place).
    fn defined(&self, var: VarRef) -> bool {
        match var {
            VarRef::Global(g) => self
                .u
                .vm
                .globals()
                .get(g as usize)
                .is_some_and(Option::is_some),
            _ => true,
        }
    }

    pub(super) fn lazy_var(sv: Sv) -> Option<VarRef> {
        match sv {
            Sv::LazyGlobal(g) => Some(VarRef::Global(g)),
            Sv::LazyLocal(s) => Some(VarRef::Local(s as u16)),
            _ => None,
        }
    }

    /// The array behind the value at `val`, branching to `slow` unless it
    /// is an array (uniquely held, if `write`). Returns its `Vec`'s address
    /// and, if `bools`, the block where a compact array of bools continues
    /// (the current block goes on with an array of values); without
    /// `bools`, a compact array branches to `slow`.
    fn array_at(
        &mut self,
        l: &Layout,
        val: V,
        write: bool,
        bools: bool,
        slow: Block,
    ) -> (V, Option<Block>) {
        let boxp = self.heap_of(val, vtag::ARRAY, slow);
        if write {
            // `cow::make_mut` writes in place only when no one else holds
            // it: one strong reference and no weak ones (weak count 1).
            let strong = self.load_at(t::I64, boxp, l.rc_strong);
            let weak = self.load_at(t::I64, boxp, l.rc_weak);
            let both = self.b.ins().band(strong, weak);
            let other = self.b.ins().bor(strong, weak);
            let a = self.b.ins().icmp_imm_s(IntCC::NotEqual, both, 1);
            let b = self.b.ins().icmp_imm_s(IntCC::NotEqual, other, 1);
            let shared = self.b.ins().bor(a, b);
            self.guard_to(shared, slow);
        }
        let k = self.load_at(t::I8, boxp, l.rc_value);
        let compact = self.b.ins().icmp_imm_s(IntCC::Equal, k, kind::BOOLS as i64);
        let bools = bools.then(|| self.b.create_block());
        self.guard_to(compact, bools.unwrap_or(slow));
        let vec = self
            .b
            .ins()
            .iadd_imm_s(boxp, (l.rc_value + l.arr_vec) as i64);
        (vec, bools)
    }

    /// In a compact array's block: the address of byte `key` of the
    /// `Vec<bool>` at `vec`, branching to `slow` when out of bounds.
    fn bool_elem_at(&mut self, l: &Layout, bools: Block, vec: V, key: V, slow: Block) -> V {
        self.b.switch_to_block(bools);
        self.bounded_elem(vec, l.vec_len, l.vec_ptr, key, 0, slow)
    }

    /// Address of element `key` of the `Vec` at `vec`, branching to `slow`
    /// when out of bounds (negative keys included: unsigned compare).
    fn elem_at(&mut self, l: &Layout, vec: V, key: V, slow: Block) -> V {
        self.bounded_elem(vec, l.vec_len, l.vec_ptr, key, 4, slow)
    }

    /// Write unboxed `sv` as a `Value` at `addr` (which holds a scalar).
    fn store_scalar(&mut self, addr: V, sv: Sv) {
        let (tg, payload) = match sv {
            Sv::I(v) => (tag_of(Ty::Int), Some((v, PAYLOAD))),
            Sv::F(v) => (tag_of(Ty::Float), Some((v, PAYLOAD))),
            Sv::B(v) => {
                let b = self.b.ins().ireduce(t::I8, v);
                (tag_of(Ty::Bool), Some((b, BOOL_PAYLOAD)))
            }
            _ => (tag_of(Ty::Null), None),
        };
        if let Some((v, off)) = payload {
            self.b.ins().store(MemFlags::trusted(), v, addr, off);
        }
        let tv = self.b.ins().iconst(t::I8, tg as i64);
        self.b.ins().store(MemFlags::trusted(), tv, addr, 0);
    }

    /// `a[i]` with `a` a lazy variable, `i` an unboxed int and an unboxed
    /// expected element type: read in place. Returns false if not applicable.
    pub(super) fn index_inline(&mut self, ip: usize, ty: Ty) -> Result<bool, Fail> {
        let n = self.stack.len();
        let (Some(var), Sv::I(key)) = (Self::lazy_var(self.stack[n - 2]), self.stack[n - 1]) else {
            return Ok(false);
        };
        Ok(self.typed_read(
            ty,
            2,
            |me, l, slow, join| {
                let val = me.var_addr(l, var, slow)?;
                let (vec, bools) = me.array_at(l, val, false, ty == Ty::Bool, slow);
                let elem = me.elem_at(l, vec, key, slow);
                if let Some(bools) = bools {
                    // A compact array's bool is read here and joins the result.
                    let values = me.b.current_block()?;
                    let at = me.bool_elem_at(l, bools, vec, key, slow);
                    let b = me.load_at(t::I8, at, 0);
                    let b = me.b.ins().uextend(t::I64, b);
                    me.b.ins().jump(join, &[BlockArg::Value(b)]);
                    me.b.switch_to_block(values);
                }
                Some(elem)
            },
            // The helper reads the variable in place (dicts, other element
            // types, errors); its result is guarded like any other.
            |me| me.index_var_helper(ip, var, key, ty),
        ))
    }

    /// `s.name` with `s` a lazy variable holding an instance of the struct
    /// the site is compiled for, and an unboxed expected field type: read
    /// in place. Returns false if not applicable.
    pub(super) fn field_inline(&mut self, ip: usize, k: u32, ty: Ty) -> bool {
        let n = self.stack.len();
        let recv = self.stack[n - 1];
        let Some(var) = Self::lazy_var(recv) else {
            return false;
        };
        let Value::Str(name) = &self.u.proto.consts[k as usize] else {
            return false;
        };
        let Some(def) = self.struct_of(recv, name) else {
            return false;
        };
        let Some(idx) = def.field_index(name) else {
            return false;
        };
        self.typed_read(
            ty,
            1,
            |me, l, slow, _| {
                let val = me.var_addr(l, var, slow)?;
                let obj = me.instance_of(l, val, &def, slow);
                let fields = me.load_at(t::I64, obj, l.rc_value + l.struct_fields_ptr);
                Some(
                    me.b.ins()
                        .iadd_imm_s(fields, idx as i64 * layout::VALUE_SIZE),
                )
            },
            |me| me.get_field_helper(ip, k, ty),
        )
    }

    /// Upvalue `u` of the running closure (an unboxed expected type), read
    /// in its cell. Returns false if not applicable.
    pub(super) fn upval_inline(&mut self, ip: usize, u: u32, ty: Ty) -> bool {
        self.typed_read(
            ty,
            0,
            |me, l, _, _| {
                // `cl` points at the `Closure`; an upvalue is an `Rc<RefCell>`.
                let ups = me.load_at(t::I64, me.cl, l.closure_upvalues_ptr);
                let cell = me.load_at(t::I64, ups, u as i32 * 8);
                Some(
                    me.b.ins()
                        .iadd_imm_s(cell, (l.rc_value + l.refcell_value) as i64),
                )
            },
            |me| me.load_upval_helper(ip, u, ty),
        )
    }

    /// The struct a field read on `recv` is compiled for: a method's own
    /// struct for `self`, the struct a global holds now, or the only struct
    /// with a field of that name.
    fn struct_of(&self, recv: Sv, name: &str) -> Option<Rc<StructDef>> {
        let structs = &self.u.vm.main.structs;
        match recv {
            Sv::LazyLocal(0) if self.u.proto.is_method => {
                let mine = |d: &&Rc<StructDef>| {
                    d.methods
                        .get()
                        .is_some_and(|ms| ms.iter().any(|m| Rc::ptr_eq(&m.proto, self.u.proto)))
                };
                return structs.iter().find(mine).cloned();
            }
            Sv::LazyGlobal(g) => {
                if let Some(Some(Value::Struct(s))) = self.u.vm.globals().get(g as usize) {
                    return Some(s.def.clone());
                }
            }
            _ => {}
        }
        let mut with = structs.iter().filter(|d| d.field_index(name).is_some());
        let first = with.next()?;
        with.next().is_none().then(|| first.clone())
    }

    /// The skeleton of an inline read of an unboxed value: `locate` emits
    /// the checks (branching to the slow block, or to the join block with
    /// a value read some other way) and returns the address of the `Value`
    /// to read; the value is used if its tag is `ty`'s, else
    /// `slow` (which pops the `nops` operands and pushes a guarded result
    /// of type `ty`) runs. Returns false (nothing emitted) if not applicable.
    fn typed_read(
        &mut self,
        ty: Ty,
        nops: usize,
        locate: impl FnOnce(&mut Self, &Layout, Block, Block) -> Option<V>,
        slow_path: impl FnOnce(&mut Self),
    ) -> bool {
        let Some(l) = self.layout() else { return false };
        if !ty.is_unboxed() {
            return false;
        }
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let join = self.b.create_block();
        let res = self.b.append_block_param(join, cl_ty(ty));
        let Some(at) = locate(self, &l, slow, join) else {
            return false;
        };
        let etag = self.load_at(t::I8, at, 0);
        let other = self
            .b
            .ins()
            .icmp_imm_s(IntCC::NotEqual, etag, tag_of(ty) as i64);
        self.guard_to(other, slow);
        let v = match ty {
            Ty::Bool => {
                let b = self.load_at(t::I8, at, BOOL_PAYLOAD);
                self.b.ins().uextend(t::I64, b)
            }
            Ty::Float => self.load_at(t::F64, at, PAYLOAD),
            _ => self.load_at(t::I64, at, PAYLOAD),
        };
        self.b.ins().jump(join, &[BlockArg::Value(v)]);
        self.b.switch_to_block(slow);
        let saved = self.stack.clone();
        slow_path(self);
        let r = match self.stack.pop() {
            Some(Sv::I(v) | Sv::F(v) | Sv::B(v)) => v,
            _ => unreachable!("push_result of an unboxed type"),
        };
        self.b.ins().jump(join, &[BlockArg::Value(r)]);
        self.b.switch_to_block(join);
        self.stack = saved;
        self.stack.truncate(self.stack.len() - nops);
        self.stack.push(match ty {
            Ty::Int => Sv::I(res),
            Ty::Float => Sv::F(res),
            _ => Sv::B(res),
        });
        true
    }

    /// `a[i]` through the `index_var` helper, reading variable `var` in
    /// place; pops the two operands and pushes the result (typed `ty`).
    pub(super) fn index_var_helper(&mut self, ip: usize, var: VarRef, key: V, ty: Ty) {
        let n = self.stack.len();
        self.set_ip(ip);
        let src = match var {
            VarRef::Local(s) => self.slot_of_local(s as usize),
            VarRef::Global(g) => self.iconst(SlotOrGlobal::Global(g).to_abi()),
            _ => unreachable!("lazy entries are locals or globals"),
        };
        let dst = self.slot_of_pos(n - 2);
        let (tg, pl) = self.call2(Helper::IndexVar, &[src, key, dst]);
        self.check_error(tg);
        self.stack.truncate(n - 2);
        self.push_result(ip, ty, tg, pl);
    }

    /// `var[i] := v` (a one-key path on a local or global, int key, scalar
    /// value): store in place into a uniquely held array whose element is a
    /// scalar. Emits the fast path and leaves the builder in the block that
    /// must run the helper; returns the block to continue in afterwards.
    pub(super) fn store_index_inline(&mut self, var: VarRef, key: V, value: Sv) -> Option<Block> {
        if !matches!(value, Sv::I(_) | Sv::F(_) | Sv::B(_) | Sv::Null) {
            return None;
        }
        let l = self.layout()?;
        if !self.defined(var) {
            return None;
        }
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = self.b.create_block();
        let val = self.var_addr(&l, var, slow)?;
        let bool_value = match value {
            Sv::B(b) => Some(b),
            _ => None,
        };
        let (vec, bools) = self.array_at(&l, val, true, bool_value.is_some(), slow);
        let elem = self.elem_at(&l, vec, key, slow);
        // Overwriting a heap value would have to drop it: helper.
        let etag = self.load_at(t::I8, elem, 0);
        let heap =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThan, etag, tag_of(Ty::Float) as i64);
        self.guard_to(heap, slow);
        self.store_scalar(elem, value);
        self.b.ins().jump(done, &[]);
        if let (Some(bools), Some(b)) = (bools, bool_value) {
            // A bool into a compact array: one byte.
            let at = self.bool_elem_at(&l, bools, vec, key, slow);
            let b = self.b.ins().ireduce(t::I8, b);
            self.b.ins().store(MemFlags::trusted(), b, at, 0);
            self.b.ins().jump(done, &[]);
        }
        self.b.switch_to_block(slow);
        Some(done)
    }

    /// `var = push(var, v)` followed by the store to `var`, with `v`
    /// unboxed: append in place when the array is uniquely held and has
    /// spare capacity. The result is the variable itself (a lazy entry the
    /// following store recognizes). Returns false if not applicable.
    pub(super) fn push_inline(&mut self, ip: usize, u: u32) -> Result<bool, Fail> {
        let desc = &self.u.proto.updates[u as usize];
        let UpdateKind::Builtin { id, argc: 2 } = desc.kind else {
            return Ok(false);
        };
        let var = desc.var;
        let lazy = match var {
            VarRef::Local(s) if self.vars[s as usize].is_none() => Sv::LazyLocal(s as u32),
            VarRef::Global(g) if !self.u.promoted.iter().any(|(pg, _)| *pg == g) => {
                Sv::LazyGlobal(g)
            }
            _ => return Ok(false),
        };
        let stores_back = match (self.u.proto.code.get(ip + 1), var) {
            (Some(Op::StoreLocal(a)), VarRef::Local(b)) => *a == b,
            (Some(Op::StoreGlobal(a)), VarRef::Global(b)) => *a == b,
            _ => false,
        };
        let item = *self
            .stack
            .last()
            .ok_or((super::super::refusal::Refusal::Internal, ip))?;
        if crate::runtime::builtins::def(id).name != "push"
            || !stores_back
            || !matches!(item, Sv::I(_) | Sv::F(_) | Sv::B(_) | Sv::Null)
        {
            return Ok(false);
        }
        let Some(l) = self.layout() else {
            return Ok(false);
        };
        if !self.defined(var) {
            return Ok(false);
        }
        let p = self.stack.len() - 1;
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = self.b.create_block();
        let Some(val) = self.var_addr(&l, var, slow) else {
            return Ok(false);
        };
        let (vec, bools) = self.array_at(&l, val, true, matches!(item, Sv::B(_)), slow);
        // Append at `data + (len << shift)` when there is spare capacity.
        let append = |me: &mut Self, shift: i64, write: &dyn Fn(&mut Self, V)| {
            let len = me.load_at(t::I64, vec, l.vec_len);
            let cap = me.load_at(t::I64, vec, l.vec_cap);
            let full = me.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, len, cap);
            me.guard_to(full, slow);
            let data = me.load_at(t::I64, vec, l.vec_ptr);
            let off = me.b.ins().ishl_imm_u(len, shift);
            let elem = me.b.ins().iadd(data, off);
            write(me, elem);
            let len1 = me.b.ins().iadd_imm_s(len, 1);
            me.b.ins().store(MemFlags::trusted(), len1, vec, l.vec_len);
            me.b.ins().jump(done, &[]);
        };
        append(self, 4, &|me, elem| me.store_scalar(elem, item));
        if let (Some(bools), Sv::B(b)) = (bools, item) {
            self.b.switch_to_block(bools);
            append(self, 0, &|me, elem| {
                let b = me.b.ins().ireduce(t::I8, b);
                me.b.ins().store(MemFlags::trusted(), b, elem, 0);
            });
        }
        // Slow: the interpreter's update, then the result stored back into
        // the variable right away so both paths leave the same state.
        self.b.switch_to_block(slow);
        let saved = self.stack.clone();
        self.update_var_helper(ip, u, p);
        let at = self.slot_of_pos(p);
        match var {
            VarRef::Local(s) => {
                let dst = self.slot_of_local(s as usize);
                self.call(Helper::MoveSlot, &[at, dst]);
            }
            VarRef::Global(g) => {
                let gv = self.iconst(g as i64);
                self.call(Helper::StoreGlobal, &[gv, at]);
            }
            _ => unreachable!("checked above"),
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        self.stack = saved;
        self.stack.truncate(p);
        self.stack.push(lazy);
        Ok(true)
    }

    /// Write promoted global `g`'s register value back in place. While a
    /// global is promoted its cell holds a scalar (the entry guard checked
    /// it and every reload guards it), so nothing needs dropping.
    pub(super) fn store_promoted(&mut self, g: u32, sv: Sv) -> bool {
        if self.layout().is_none() {
            return false;
        }
        let cell = &self.u.vm.globals()[g as usize] as *const _ as i64;
        let at = self.iconst(cell);
        self.store_scalar(at, sv);
        true
    }

    /// Read promoted global `g` (expected type `ty`) in place, as the
    /// `get` helper returns it: its tag, and a payload valid if the tag
    /// is `ty`'s.
    pub(super) fn load_promoted(&mut self, g: u32, ty: Ty) -> Option<(V, V)> {
        self.layout()?;
        let cell = &self.u.vm.globals()[g as usize] as *const _ as i64;
        let at = self.iconst(cell);
        let tg = self.load_at(t::I8, at, 0);
        let tg = self.b.ins().uextend(t::I64, tg);
        let pl = if ty == Ty::Bool {
            let b = self.load_at(t::I8, at, BOOL_PAYLOAD);
            self.b.ins().uextend(t::I64, b)
        } else {
            self.load_at(t::I64, at, PAYLOAD)
        };
        Some((tg, pl))
    }

    /// Copy variable `var`'s value into slot `idx` (a clone: heap values
    /// get their reference count incremented), in place when the slot
    /// exists and holds a scalar (nothing to drop); else the helper.
    /// Returns false if not applicable (nothing emitted).
    pub(super) fn copy_inline(&mut self, var: VarRef, idx: V) -> bool {
        let Some(l) = self.layout() else { return false };
        if !self.defined(var) {
            return false;
        }
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = self.b.create_block();
        let Some(src) = self.var_addr(&l, var, slow) else {
            return false;
        };
        let dst = self.slot_addr(&l, idx, slow);
        let old = self.load_at(t::I8, dst, 0);
        let heap = self.is_heap_tag(old);
        self.guard_to(heap, slow);
        let w0 = self.load_at(t::I64, src, 0);
        let w1 = self.load_at(t::I64, src, PAYLOAD);
        let tg = self.b.ins().ireduce(t::I8, w0);
        let counted = self.is_heap_tag(tg);
        let bump = self.b.create_block();
        let store = self.b.create_block();
        self.b.ins().brif(counted, bump, &[], store, &[]);
        self.b.switch_to_block(bump);
        let n = self.load_at(t::I64, w1, l.rc_strong);
        let n1 = self.b.ins().iadd_imm_s(n, 1);
        self.b.ins().store(MemFlags::trusted(), n1, w1, l.rc_strong);
        self.b.ins().jump(store, &[]);
        self.b.switch_to_block(store);
        self.b.ins().store(MemFlags::trusted(), w0, dst, 0);
        self.b.ins().store(MemFlags::trusted(), w1, dst, PAYLOAD);
        self.mark_dirty();
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(slow);
        let (f, a) = match var {
            VarRef::Global(g) => (Helper::LoadGlobal, self.iconst(g as i64)),
            VarRef::Local(s) => (Helper::CopySlot, self.slot_of_local(s as usize)),
            _ => unreachable!("variables are locals or globals"),
        };
        self.call(f, &[a, idx]);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        true
    }

    /// Whether a `Value` tag (an i8) is that of an `Rc`-held value: every
    /// tag past the scalars except `Builtin`'s.
    fn is_heap_tag(&mut self, tg: V) -> V {
        let past =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThan, tg, tag_of(Ty::Float) as i64);
        let builtin = self
            .b
            .ins()
            .icmp_imm_s(IntCC::NotEqual, tg, vtag::BUILTIN as i64);
        self.b.ins().band(past, builtin)
    }
}

/// Whether running `proto`'s code may read or write a global (or run code
/// that may): calls to it from a loop with globals in registers need them
/// written back before and re-read after.
pub(super) fn may_touch_globals(proto: &crate::bytecode::FuncProto) -> bool {
    proto.code.iter().any(|op| match *op {
        Op::LoadGlobal(_)
        | Op::StoreGlobal(_)
        | Op::Call(_)
        | Op::CallMethod(..)
        | Op::CallMethodWb(..)
        | Op::UpdateVar(_) => true,
        Op::StorePath(p) => !matches!(proto.paths[p as usize].var, VarRef::Local(_)),
        _ => false,
    })
}
