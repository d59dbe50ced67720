//! The runtime helpers native code calls: one table of `extern "C"`
//! functions. Heap values never live in native registers: they stay in VM
//! stack slots (the interpreter's own layout), passed by index, because
//! `Vm::stack` may reallocate during any nested run. Every value-producing
//! helper writes its result into the destination slot *and* returns it as
//! `(tag, payload)`, so native code can unbox it or leave it boxed.
//!
//! Helpers never panic through native frames and never unwind: they return
//! `tag::ERROR` with the error in `JitCtx::pending` (built with the full
//! Ruff stack, native frames included, via `Vm::make_error`).
//!
//! Operands are *taken* from their slots (moved out, like the interpreter's
//! pops) so reference counts match the interpreter's and copy-on-write
//! updates stay in place.

use crate::jit::slot_ref::SlotOrGlobal;
use std::rc::Rc;

use crate::bytecode::{FuncProto, PathDesc};
use crate::runtime::error::RtError;
use crate::runtime::ops;
use crate::runtime::value::{Closure, Key, StructDef, StructObj, Value};
use crate::runtime::vm::{Unwind, Vm};

use super::ctx::{tag, JitCtx, Ret2};

#[inline]
pub fn encode(v: &Value) -> Ret2 {
    match v {
        Value::Null => Ret2::new(tag::NULL, 0),
        Value::Bool(b) => Ret2::new(tag::BOOL, *b as u64),
        Value::Int(i) => Ret2::new(tag::INT, *i as u64),
        Value::Float(f) => Ret2::new(tag::FLOAT, f.to_bits()),
        _ => Ret2::new(tag::HEAP, 0),
    }
}

pub fn decode(t: u64, payload: u64) -> Value {
    match t {
        tag::BOOL => Value::Bool(payload != 0),
        tag::INT => Value::Int(payload as i64),
        tag::FLOAT => Value::Float(f64::from_bits(payload)),
        tag::BUILTIN => Value::Builtin(payload as u16),
        _ => Value::Null,
    }
}

/// Make the VM stack exactly `n` long.
#[inline]
pub fn set_len(vm: &mut Vm, n: usize) {
    if vm.stack_len() > n {
        vm.truncate_stack(n);
    } else {
        grow(vm, n);
    }
}

/// Extend the VM stack with nulls to length `n`. Native frames grow it a
/// slot or two at a time; pushes in a loop are much cheaper here than the
/// generic (outlined, cloning) `Vec::resize`.
#[inline]
fn grow(vm: &mut Vm, n: usize) {
    vm.reserve_stack(n.saturating_sub(vm.stack_len()));
    while vm.stack_len() < n {
        vm.push(Value::Null);
    }
}

#[inline]
fn slot(vm: &mut Vm, i: u64) -> &mut Value {
    let i = i as usize;
    if i >= vm.stack_len() {
        grow(vm, i + 1);
    }
    vm.slot_mut(i)
}

#[inline]
fn take(vm: &mut Vm, i: u64) -> Value {
    std::mem::replace(slot(vm, i), Value::Null)
}

/// # Safety
/// `ctx` is the live context passed to native code.
#[inline]
unsafe fn vm<'a>(ctx: *mut JitCtx) -> &'a mut Vm {
    // SAFETY: native code only runs inside `call_native`, which set `vm`.
    unsafe { &mut *(*ctx).vm }
}

/// Record an error raised in a native frame (its shadow entry holds the
/// instruction) and return `tag::ERROR`.
fn fail(ctx: *mut JitCtx, vm: &mut Vm, err: RtError) -> Ret2 {
    let e = match err {
        RtError::Exit(_) | RtError::BrokenPipe | RtError::Interrupted => err,
        other => RtError::Thrown(Value::Error(vm.make_error(other))),
    };
    // SAFETY: `ctx` is live (see `vm`).
    unsafe { (*ctx).pending = Some(e) };
    Ret2::new(tag::ERROR, 0)
}

/// # Safety
/// `ctx` is the live context passed to native code.
pub unsafe fn unwind_to_pending(ctx: *mut JitCtx, u: Unwind) -> Ret2 {
    // SAFETY: per the contract.
    unsafe { (*ctx).pending = Some(super::exits::pending_from(u)) };
    Ret2::new(tag::ERROR, 0)
}

/// Write `v` to `dst` and return it encoded.
#[inline]
fn produce(vm: &mut Vm, dst: u64, v: Value) -> Ret2 {
    let r = encode(&v);
    *slot(vm, dst) = v;
    r
}

/// A stack slot or a global (`SlotOrGlobal` in its ABI form).
fn place(vm: &mut Vm, dst: i64) -> &mut Value {
    match SlotOrGlobal::from_abi(dst) {
        SlotOrGlobal::Slot(s) => slot(vm, s as u64),
        SlotOrGlobal::Global(g) => vm.globals_mut()[g as usize].get_or_insert(Value::Null),
    }
}

/// Box an unboxed value (or a builtin id) into a slot or global.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn put(ctx: *mut JitCtx, dst: i64, t: u64, payload: u64) {
    if t == tag::HEAP {
        return;
    }
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    *place(vm, dst) = decode(t, payload);
}

/// Read a slot or global as `(tag, payload)` without taking it.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn get(ctx: *mut JitCtx, src: i64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    match SlotOrGlobal::from_abi(src) {
        SlotOrGlobal::Global(g) => match &vm.globals()[g as usize] {
            Some(v) => encode(v),
            None => Ret2::new(tag::HEAP, 0),
        },
        SlotOrGlobal::Slot(s) => encode(slot(vm, s as u64)),
    }
}

/// # Safety
/// Called by compiled code; `k` points to a constant the code cache keeps.
pub unsafe extern "C" fn box_const(ctx: *mut JitCtx, dst: u64, k: u64) {
    // SAFETY: see the contract.
    let (vm, k) = unsafe { (vm(ctx), &*(k as *const Value)) };
    *slot(vm, dst) = k.clone();
}

/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn copy_slot(ctx: *mut JitCtx, from: u64, to: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let v = slot(vm, from).clone();
    produce(vm, to, v)
}

/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn move_slot(ctx: *mut JitCtx, from: u64, to: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let v = take(vm, from);
    produce(vm, to, v)
}

/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn drop_slot(ctx: *mut JitCtx, i: u64) {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    drop(take(vm, i));
}

/// A native frame's slots `len..len + extent` die on return: set them to
/// null but keep them, so the next call's frame there needs no growing;
/// slots beyond are truncated (the stack stays bounded).
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn release(ctx: *mut JitCtx, len: u64, extent: u64) {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let (from, to) = (len as usize, (len + extent) as usize);
    vm.truncate_stack(to);
    if let Some(dead) = Some(vm.stack_from_mut(from)) {
        for v in dead {
            if !v.is_scalar() {
                *v = Value::Null;
            }
        }
    }
}

/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn load_global(ctx: *mut JitCtx, g: u64, dst: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    match &vm.globals()[g as usize] {
        Some(v) => {
            let v = v.clone();
            produce(vm, dst, v)
        }
        None => {
            let e = vm.undefined_global(g as u32);
            fail(ctx, vm, e)
        }
    }
}

/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn store_global(ctx: *mut JitCtx, g: u64, src: u64) {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let v = take(vm, src);
    if let Some(Value::Func(_)) = vm.globals()[g as usize] {
        vm.jit.function_rebound();
    }
    vm.globals_mut()[g as usize] = Some(v);
}

/// Binary operators on boxed operands in slots `a` and `a + 1`; the result
/// goes to slot `a`. Codes as in `BinOp`.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn binop(ctx: *mut JitCtx, op: u64, a: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let y = take(vm, a + 1);
    let x = take(vm, a);
    let r = match op {
        0 => ops::add(x, y),
        1 => ops::arith("-", x, y),
        2 => ops::arith("*", x, y),
        3 => ops::arith("/", x, y),
        4 => ops::arith("%", x, y),
        5 => Ok(Value::Bool(x == y)),
        6 => Ok(Value::Bool(x != y)),
        _ => {
            let sym = ["<", "<=", ">", ">="][(op - 7).min(3) as usize];
            ops::compare(sym, &x, &y).map(Value::Bool)
        }
    };
    match r {
        Ok(v) => produce(vm, a, v),
        Err(e) => fail(ctx, vm, e),
    }
}

/// Unary operators on slot `a`: 0 negate, 1 not, 2 truthiness.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn unop(ctx: *mut JitCtx, op: u64, a: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let x = take(vm, a);
    let r = match op {
        0 => ops::negate(x),
        1 => Ok(Value::Bool(!x.truthy())),
        _ => Ok(Value::Bool(x.truthy())),
    };
    match r {
        Ok(v) => produce(vm, a, v),
        Err(e) => fail(ctx, vm, e),
    }
}

/// Is slot `a` null? (For `??`: the value stays when it is not.)
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn is_null(ctx: *mut JitCtx, a: u64) -> u64 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    matches!(slot(vm, a), Value::Null) as u64
}

/// Call the value in slot `at` with the `argc` arguments above it.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn call(ctx: *mut JitCtx, at: u64, argc: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let at = at as usize;
    set_len(vm, at + argc as usize + 1);
    let depth = vm.frames().len();
    vm.jit.native_caller = true;
    let r = vm.call_value(argc as usize);
    vm.jit.native_caller = false;
    if let Err(e) = r {
        return fail(ctx, vm, e);
    }
    finish_call(ctx, vm, depth, at)
}

/// After `call_value`/`call_method`: run a pushed frame to completion.
fn finish_call(ctx: *mut JitCtx, vm: &mut Vm, depth: usize, at: usize) -> Ret2 {
    if vm.frames().len() > depth {
        match vm.run(depth) {
            Ok(v) => {
                set_len(vm, at);
                let r = encode(&v);
                vm.push(v);
                r
            }
            // SAFETY: `ctx` is live.
            Err(u) => unsafe { unwind_to_pending(ctx, u) },
        }
    } else {
        let r = encode(&vm.stack()[at]);
        set_len(vm, at + 1);
        r
    }
}

/// `recv.name(args)` with the receiver in slot `at`; with `wb`, the
/// receiver after the call and whether it changed follow the result
/// (`CallMethodWb`).
///
/// # Safety
/// Called by compiled code; `name` points to a string constant.
pub unsafe extern "C" fn call_method(
    ctx: *mut JitCtx,
    at: u64,
    name: u64,
    argc: u64,
    wb: u64,
) -> Ret2 {
    // SAFETY: see the contract.
    let (vm, name) = unsafe { (vm(ctx), &*(name as *const Value)) };
    let name = match name {
        Value::Str(s) => s.clone(),
        _ => Rc::new(String::new()),
    };
    let at = at as usize;
    set_len(vm, at + argc as usize + 1);
    let depth = vm.frames().len();
    if let Err(e) = vm.call_method(&name, argc as usize, wb != 0) {
        return fail(ctx, vm, e);
    }
    if vm.frames().len() == depth {
        // A builtin method ran (and pushed its write-back values, if any).
        return encode(&vm.stack()[at]);
    }
    match vm.run(depth) {
        Ok(v) => {
            set_len(vm, at);
            let r = encode(&v);
            vm.push(v);
            if wb != 0 {
                let (recv, changed) = vm.jit.take_writeback().unwrap_or((Value::Null, false));
                vm.push(recv);
                vm.push(Value::Bool(changed));
            }
            r
        }
        // SAFETY: `ctx` is live.
        Err(u) => unsafe { unwind_to_pending(ctx, u) },
    }
}

/// `UpdateVar`: the interpreter's own in-place update of a variable, with
/// the operands in slots `first..`; the result goes to slot `first`.
///
/// # Safety
/// Called by compiled code; `closure` is the running closure.
pub unsafe extern "C" fn update_var(
    ctx: *mut JitCtx,
    closure: u64,
    base: u64,
    u: u64,
    first: u64,
) -> Ret2 {
    // SAFETY: see the contract.
    let (vm, closure) = unsafe { (vm(ctx), &*(closure as *const Closure)) };
    let desc = &closure.proto.updates[u as usize];
    let nops = super::types::update_operands(&desc.kind);
    let at = first as usize;
    // `a = push(a, v)` on an array: append in place (what `push` does,
    // without collecting arguments).
    if let crate::bytecode::UpdateKind::Builtin { id, argc: 2 } = desc.kind {
        if crate::runtime::builtins::def(id).name == "push" {
            let var: Option<&mut Value> = match desc.var {
                crate::bytecode::VarRef::Local(s) => Some(slot(vm, base + s as u64)),
                crate::bytecode::VarRef::Global(g) => vm.globals_mut()[g as usize].as_mut(),
                _ => None,
            };
            if let Some(var @ Value::Array(_)) = var {
                let mut arr = std::mem::take(var);
                let item = take(vm, first);
                if let Value::Array(a) = &mut arr {
                    crate::runtime::cow::make_mut(a).push(item);
                }
                set_len(vm, at);
                return produce(vm, first, arr);
            }
        }
    }
    set_len(vm, at + nops);
    let depth = vm.frames().len();
    if let Err(e) = vm.update_var(base as usize, closure, desc) {
        return fail(ctx, vm, e);
    }
    finish_call(ctx, vm, depth, at)
}

/// `obj[key]`, obj in slot `a`, key in slot `a + 1`; result to slot `a`.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn index(ctx: *mut JitCtx, a: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let k = take(vm, a + 1);
    let obj = take(vm, a);
    match ops::index(&obj, &k) {
        Ok(v) => produce(vm, a, v),
        Err(e) => fail(ctx, vm, e),
    }
}

/// `obj[i]` with an unboxed int key.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn index_int(ctx: *mut JitCtx, a: u64, i: i64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let fast = match slot(vm, a) {
        Value::Array(arr) if i >= 0 => arr.get(i as usize),
        Value::Dict(d) => d.get(&Key::Int(i)).cloned(),
        _ => None,
    };
    if let Some(v) = fast {
        return produce(vm, a, v);
    }
    let obj = take(vm, a);
    match ops::index(&obj, &Value::Int(i)) {
        Ok(v) => produce(vm, a, v),
        Err(e) => fail(ctx, vm, e),
    }
}

/// `var[i]` with `var` read in place (`src`: a `SlotOrGlobal` in its ABI
/// form; a global is defined) and an unboxed int key; the result goes to slot
/// `dst`. No reference to the collection is taken.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn index_var(ctx: *mut JitCtx, src: i64, i: i64, dst: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let obj = place(vm, src);
    let fast = match obj {
        Value::Array(arr) if i >= 0 => arr.get(i as usize),
        Value::Dict(d) => d.get(&Key::Int(i)).cloned(),
        _ => None,
    };
    if let Some(v) = fast {
        return produce(vm, dst, v);
    }
    let obj = obj.clone();
    match ops::index(&obj, &Value::Int(i)) {
        Ok(v) => produce(vm, dst, v),
        Err(e) => fail(ctx, vm, e),
    }
}

/// `obj.name`.
///
/// # Safety
/// Called by compiled code; `name` points to a string constant.
pub unsafe extern "C" fn get_field(ctx: *mut JitCtx, a: u64, name: u64) -> Ret2 {
    // SAFETY: see the contract.
    let (vm, name) = unsafe { (vm(ctx), &*(name as *const Value)) };
    let obj = take(vm, a);
    let name = match name {
        Value::Str(s) => s.as_str(),
        _ => "",
    };
    match ops::get_field(&obj, name) {
        Ok(v) => produce(vm, a, v),
        Err(e) => fail(ctx, vm, e),
    }
}

/// `var[k1]..[kn] := v` (value in slot `v`, keys above it).
///
/// # Safety
/// Called by compiled code; `closure` is the running closure, `p` the index
/// of the path in its prototype.
pub unsafe extern "C" fn store_path(
    ctx: *mut JitCtx,
    closure: u64,
    base: u64,
    p: u64,
    v: u64,
) -> Ret2 {
    // SAFETY: see the contract.
    let (vm, closure) = unsafe { (vm(ctx), &*(closure as *const Closure)) };
    let desc: &PathDesc = &closure.proto.paths[p as usize];
    set_len(vm, v as usize + desc.depth as usize + 1);
    let proto: &FuncProto = &closure.proto;
    match vm.store_path(base as usize, closure, p as u32, proto) {
        Ok(()) => Ret2::new(tag::NULL, 0),
        Err(e) => fail(ctx, vm, e),
    }
}

/// `var[key] := v` for a local or global `var` and an int key; `v` is
/// unboxed (`vtag`, `vpay`) or, for `tag::HEAP`, taken from slot `vslot`.
///
/// # Safety
/// Called by compiled code; `closure` is the running closure, `p` the index
/// of a one-key index path in its prototype.
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn store_index_int(
    ctx: *mut JitCtx,
    closure: u64,
    base: u64,
    p: u64,
    key: i64,
    vtag: u64,
    vpay: u64,
    vslot: u64,
) -> Ret2 {
    // SAFETY: see the contract.
    let (vm, closure) = unsafe { (vm(ctx), &*(closure as *const Closure)) };
    let desc: &PathDesc = &closure.proto.paths[p as usize];
    let v = if vtag == tag::HEAP {
        take(vm, vslot)
    } else {
        decode(vtag, vpay)
    };
    let target = match desc.var {
        crate::bytecode::VarRef::Local(s) => slot(vm, base + s as u64),
        crate::bytecode::VarRef::Global(g) => match &mut vm.globals_mut()[g as usize] {
            Some(root) => root,
            None => {
                let e = RtError::msg(format!("Undefined variable: {}", desc.name));
                return fail(ctx, vm, e);
            }
        },
        _ => unreachable!("compiled only for locals and globals"),
    };
    match target {
        Value::Array(a) if key >= 0 && (key as usize) < a.len() => {
            crate::runtime::cow::make_mut(a).set(key as usize, v);
            return Ret2::new(tag::NULL, 0);
        }
        Value::Dict(d) => {
            crate::runtime::cow::make_mut(d).insert(Key::Int(key), v);
            return Ret2::new(tag::NULL, 0);
        }
        _ => {}
    }
    match ops::set_path(target, &[Value::Int(key)], 0, v) {
        Ok(()) => Ret2::new(tag::NULL, 0),
        Err(e) => fail(ctx, vm, e),
    }
}

/// `[a1..an]` from slots `first..first + n`.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn make_array(ctx: *mut JitCtx, first: u64, n: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    set_len(vm, (first + n) as usize);
    let items: Vec<Value> = vm.take_stack_from(first as usize);
    produce(vm, first, Value::array(items))
}

/// `{k1: v1, ...}` from slots `first..first + 2n`.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn make_dict(ctx: *mut JitCtx, first: u64, n: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    set_len(vm, (first + 2 * n) as usize);
    match vm.make_dict(n as usize) {
        Ok(d) => produce(vm, first, d),
        Err(e) => fail(ctx, vm, e),
    }
}

/// Struct literal from slots `first..` in declaration order.
///
/// # Safety
/// Called by compiled code; `def` points to an `Rc<StructDef>` of the proto.
pub unsafe extern "C" fn make_struct(ctx: *mut JitCtx, def: u64, first: u64) -> Ret2 {
    // SAFETY: see the contract.
    let (vm, def) = unsafe { (vm(ctx), &*(def as *const Rc<StructDef>)) };
    let n = def.fields.len();
    set_len(vm, first as usize + n);
    let fields: Vec<Value> = vm.take_stack_from(first as usize);
    produce(
        vm,
        first,
        Value::Struct(Rc::new(StructObj {
            def: def.clone(),
            fields,
        })),
    )
}

/// `array + [v]` (array in slot `a`, v in `a + 1`).
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn array_push(ctx: *mut JitCtx, a: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let v = take(vm, a + 1);
    if let Value::Array(arr) = slot(vm, a) {
        crate::runtime::cow::make_mut(arr).push(v);
    }
    Ret2::new(tag::HEAP, 0)
}

/// `dict[k] := v` in a literal (dict in slot `a`, k and v above).
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn dict_insert(ctx: *mut JitCtx, a: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let v = take(vm, a + 2);
    let k = take(vm, a + 1);
    let k = match ops::key(&k) {
        Ok(k) => k,
        Err(e) => return fail(ctx, vm, e),
    };
    if let Value::Dict(d) = slot(vm, a) {
        crate::runtime::cow::make_mut(d).insert(k, v);
    }
    Ret2::new(tag::HEAP, 0)
}

/// String interpolation of slots `first..first + n`.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn concat(ctx: *mut JitCtx, first: u64, n: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    set_len(vm, (first + n) as usize);
    let v = ops::concat(&vm.stack()[first as usize..]);
    set_len(vm, first as usize);
    produce(vm, first, v)
}

/// A closure for the nested prototype `proto` (a `&Rc<FuncProto>`).
///
/// # Safety
/// Called by compiled code; pointers come from the running closure.
pub unsafe extern "C" fn make_closure(
    ctx: *mut JitCtx,
    closure: u64,
    base: u64,
    proto: u64,
    dst: u64,
) -> Ret2 {
    // SAFETY: see the contract.
    let (vm, parent, proto) = unsafe {
        (
            vm(ctx),
            &*(closure as *const Closure),
            &*(proto as *const Rc<FuncProto>),
        )
    };
    let v = vm.make_closure(base as usize, parent, proto);
    produce(vm, dst, v)
}

/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn load_cell(ctx: *mut JitCtx, s: u64, dst: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let v = match slot(vm, s) {
        Value::Cell(c) => c.borrow().clone(),
        other => other.clone(),
    };
    produce(vm, dst, v)
}

/// `StoreCell` (`fresh` = 0) or `StoreNewCell` (`fresh` = 1) of slot `src`.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn store_cell(ctx: *mut JitCtx, s: u64, src: u64, fresh: u64) {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    let v = take(vm, src);
    let target = slot(vm, s);
    let old = match target {
        Value::Cell(c) if fresh == 0 => c.replace(v),
        _ => std::mem::replace(target, Value::Cell(Rc::new(std::cell::RefCell::new(v)))),
    };
    drop(old);
}

/// # Safety
/// Called by compiled code; `closure` is the running closure.
pub unsafe extern "C" fn load_upval(ctx: *mut JitCtx, closure: u64, u: u64, dst: u64) -> Ret2 {
    // SAFETY: see the contract.
    let (vm, closure) = unsafe { (vm(ctx), &*(closure as *const Closure)) };
    let v = closure.upvalues[u as usize].borrow().clone();
    produce(vm, dst, v)
}

/// # Safety
/// Called by compiled code; `closure` is the running closure.
pub unsafe extern "C" fn store_upval(ctx: *mut JitCtx, closure: u64, u: u64, src: u64) {
    // SAFETY: see the contract.
    let (vm, closure) = unsafe { (vm(ctx), &*(closure as *const Closure)) };
    let v = take(vm, src);
    let old = closure.upvalues[u as usize].replace(v);
    drop(old);
}

/// `for` over the value in slot `src`: iteration state into slots `s, s+1`.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn iter_prep(ctx: *mut JitCtx, s: u64, src: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    set_len(vm, src as usize + 1);
    match vm.iter_prep(s as usize) {
        Ok(()) => Ret2::new(tag::NULL, 0),
        Err(e) => fail(ctx, vm, e),
    }
}

/// The next item into `dst`, or `tag::DONE`.
///
/// # Safety
/// Called by compiled code with its live context.
pub unsafe extern "C" fn iter_next(ctx: *mut JitCtx, s: u64, dst: u64) -> Ret2 {
    // SAFETY: see the contract.
    let vm = unsafe { vm(ctx) };
    slot(vm, s + 1);
    match vm.iter_next(s as usize) {
        Some(v) => produce(vm, dst, v),
        None => Ret2::new(tag::DONE, 0),
    }
}

/// Float remainder with Rust's semantics (Cranelift has no `frem`).
pub extern "C" fn fmod(a: f64, b: f64) -> f64 {
    a % b
}
