//! Leaving native code. Before an exit, native code boxes every live value
//! (typed locals, operand stack entries, promoted globals) into the VM stack
//! slots and globals where the interpreter keeps them: the snapshot is the
//! interpreter's own frame layout. Then:
//!
//! - method code calls `resume`, which pushes a VM frame for the function at
//!   the exit's instruction and runs the interpreter nested until that frame
//!   returns; the result goes back to native code, which returns it;
//! - OSR code calls `osr_exit` and returns `tag::EXIT` with the instruction
//!   where the interpreter continues in the frame it already has.
//!
//! The interpreter re-executes the instruction that failed (an overflow, a
//! division by zero, a guard), so errors have their exact message, line and
//! stack, and `try` in the function works.

use crate::jit::slot_ref::SlotOrGlobal;
use std::cell::Cell;
use std::rc::Rc;

use crate::bytecode::FuncProto;
use crate::runtime::value::Closure;
use crate::runtime::vm::{Frame, Unwind, Vm};
use crate::syntax::Span;
use crate::telemetry::Event;

use super::ctx::{tag, JitCtx, Ret2, OSR_BIT};
use super::helpers::{decode, encode, set_len, unwind_to_pending};
use super::types::Ty;
use super::UnitStats;

/// Why native code left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// A value did not have the type the code was specialized for.
    TypeGuard,
    /// Checked int arithmetic overflowed (the interpreter raises the error).
    Overflow,
    DivisionByZero,
    /// An instruction compiled as "let the interpreter do it".
    Unsupported,
    /// Ctrl-C seen at a back edge.
    Interrupt,
    /// `--jit-stress-exits`.
    Stress,
    /// A direct native call found the recursion limit reached.
    StackLimit,
    /// A direct native call found its global rebound to another function
    /// (`JitCtx::fn_epoch` moved): the interpreter makes the call.
    GlobalChanged,
    /// OSR code reached `return`: the interpreter returns from the frame.
    Return,
    /// OSR code left its loop: the interpreter continues after it.
    LeaveLoop,
}

impl ExitReason {
    pub fn code(self) -> &'static str {
        match self {
            ExitReason::TypeGuard => "type-guard",
            ExitReason::Overflow => "overflow",
            ExitReason::DivisionByZero => "division-by-zero",
            ExitReason::Unsupported => "unsupported",
            ExitReason::Interrupt => "interrupt",
            ExitReason::Stress => "stress",
            ExitReason::StackLimit => "stack-limit",
            ExitReason::GlobalChanged => "global-changed",
            ExitReason::Return => "return",
            ExitReason::LeaveLoop => "leave-loop",
        }
    }
}

/// One value an exit writes where the interpreter expects it. `dst` is a
/// slot (offset from the frame's base) or a global.
///
/// Exits describe their writes as data, applied by `apply_writes`, instead
/// of native code boxing each value with its own helper call: an exit is
/// then a few stack stores and one call, which keeps the code (and the
/// register allocator's work, most of compile time) small.
#[derive(Debug)]
pub enum Write {
    /// An unboxed value from the exit's value array (`vals[val]`).
    Scalar {
        dst: SlotOrGlobal,
        tag: u64,
        val: u32,
    },
    /// A value whose tag is known only at run time: `vals[val]` is the tag
    /// and `vals[val + 1]` the payload (a native callee's result; a heap
    /// result, `tag::HEAP`, is in `dst` already).
    Tagged { dst: SlotOrGlobal, val: u32 },
    /// A value known when compiling (null, a builtin).
    Imm {
        dst: SlotOrGlobal,
        tag: u64,
        payload: u64,
    },
    /// A copy of a constant of the unit's prototype.
    Const {
        dst: SlotOrGlobal,
        k: *const crate::runtime::value::Value,
    },
    /// A copy of a global.
    Global { dst: SlotOrGlobal, g: u32 },
    /// A copy of a slot (offset from the base).
    Slot { dst: SlotOrGlobal, from: i64 },
}

/// Apply an exit's writes (`vals`: its unboxed values, in order).
///
/// # Safety
/// `vals` holds every index the writes use; `Const` pointers are live.
unsafe fn apply_writes(vm: &mut Vm, base: usize, ex: &ExitInfo, vals: *const u64) {
    use crate::runtime::value::Value;
    for w in &ex.writes {
        let (dst, v) = match *w {
            Write::Scalar { dst, tag, val } => {
                // SAFETY: per the contract.
                (dst, decode(tag, unsafe { *vals.add(val as usize) }))
            }
            Write::Tagged { dst, val } => {
                // SAFETY: per the contract.
                let (t, p) = unsafe { (*vals.add(val as usize), *vals.add(val as usize + 1)) };
                if t == tag::HEAP {
                    continue; // the callee wrote it to the slot already
                }
                (dst, decode(t, p))
            }
            Write::Imm { dst, tag, payload } => (dst, decode(tag, payload)),
            // SAFETY: per the contract.
            Write::Const { dst, k } => (dst, unsafe { (*k).clone() }),
            Write::Global { dst, g } => {
                (dst, vm.globals()[g as usize].clone().unwrap_or(Value::Null))
            }
            Write::Slot { dst, from } => (dst, vm.stack()[base + from as usize].clone()),
        };
        match dst {
            SlotOrGlobal::Slot(s) => {
                let i = base + s;
                if i >= vm.stack_len() {
                    set_len(vm, i + 1);
                }
                *vm.slot_mut(i) = v;
            }
            SlotOrGlobal::Global(g) => vm.globals_mut()[g as usize] = Some(v),
        }
    }
}

/// One exit site of compiled code (referenced by address from the code).
pub struct ExitInfo {
    /// Instruction the interpreter resumes at.
    pub ip: u32,
    /// Operand stack depth there.
    pub sp: u32,
    pub reason: ExitReason,
    /// For type guards: the type the code expected.
    pub expected: Ty,
    /// Where the exit's instruction is, for telemetry.
    pub line: u32,
    pub span: Span,
    pub count: Cell<u64>,
    pub stats: Rc<UnitStats>,
    /// The values to box into the interpreter's frame, in order.
    pub writes: Vec<Write>,
}

/// Count an exit; report it (at counts 1, 2, 4, 8...), and drop the code of
/// a unit that exits too often.
fn note_exit(vm: &mut Vm, ex: &ExitInfo, observed: Ty) {
    if matches!(ex.reason, ExitReason::Return | ExitReason::LeaveLoop) {
        return;
    }
    let n = ex.count.get() + 1;
    ex.count.set(n);
    let stats = &ex.stats;
    stats.exits.set(stats.exits.get() + 1);
    if n.is_power_of_two() {
        vm.jit.telemetry.emit(Event::Exit {
            unit: super::unit_of(&stats.proto, stats.loop_index),
            line: ex.line,
            span: [ex.span.start, ex.span.end],
            reason: ex.reason.code(),
            expected: ex.expected.name(),
            observed: observed.name(),
            count: n,
        });
    }
    // Errors end the frame anyway; only exits that keep recurring count
    // towards giving up on the code.
    let recurring = !matches!(
        ex.reason,
        ExitReason::Overflow | ExitReason::DivisionByZero | ExitReason::Interrupt
    );
    if recurring && stats.exits.get() == super::policy::MAX_EXITS {
        super::too_many_exits(vm, stats);
    }
}

/// The type of the value on top of the materialized operand stack (what a
/// failed type guard saw).
fn observed(vm: &Vm, ex: &ExitInfo, base: usize, proto: &FuncProto) -> Ty {
    if ex.reason != ExitReason::TypeGuard || ex.sp == 0 {
        return Ty::Bot;
    }
    let top = base + proto.num_slots as usize + ex.sp as usize - 1;
    vm.stack().get(top).map_or(Ty::Bot, Ty::of_value)
}

/// Method code exit: continue the function in the interpreter.
///
/// # Safety
/// `ctx`, `closure` and `exit` come from compiled code and are live.
pub unsafe extern "C" fn resume(
    ctx: *mut JitCtx,
    closure: u64,
    base: u64,
    exit: u64,
    vals: u64,
) -> Ret2 {
    // SAFETY: per the contract above.
    unsafe {
        let vm = &mut *(*ctx).vm;
        let ex = &*(exit as *const ExitInfo);
        let closure = closure as *const Closure;
        let proto = &(*closure).proto;
        let base = base as usize;
        apply_writes(vm, base, ex, vals as *const u64);
        set_len(vm, base + proto.num_slots as usize + ex.sp as usize);
        let obs = observed(vm, ex, base, proto);
        note_exit(vm, ex, obs);
        Rc::increment_strong_count(closure);
        let closure = Rc::from_raw(closure);
        // This native frame becomes the VM frame. For profilers it gets
        // its slot now (native frames have none, see `runtime::
        // shadow_native`), above the native frames below it; the VM
        // frame's return or unwind pops it. Its record is no longer a
        // live native frame: a sampler takes records up to the first with
        // no prototype (the code clears it again when it returns).
        let d = (*ctx).depth();
        (*(*ctx).shadow.add(d as usize)).proto = std::ptr::null();
        (*ctx).set_depth(d - 1);
        if let Some(s) = &vm.shadow {
            s.push(proto.id, crate::runtime::shadow::Tier::Interpreted, ex.line);
        }
        vm.push_resumed_frame(Frame {
            closure,
            ip: ex.ip as usize,
            base,
            ret: super::result_slot(proto, base),
            wb_receiver: 0,
        });
        let stop = vm.frames().len() - 1;
        let r = vm.run(stop);
        (*ctx).set_depth((*ctx).depth() + 1);
        match r {
            Ok(v) => {
                set_len(vm, super::result_slot(proto, base));
                let r = encode(&v);
                vm.push(v);
                r
            }
            Err(u) => unwind_to_pending(ctx, u),
        }
    }
}

/// OSR code exit: the interpreter continues in its frame at `ex.ip`.
///
/// # Safety
/// As for `resume`.
pub unsafe extern "C" fn osr_exit(ctx: *mut JitCtx, base: u64, exit: u64, vals: u64) -> Ret2 {
    // SAFETY: per the contract above.
    unsafe {
        let vm = &mut *(*ctx).vm;
        let ex = &*(exit as *const ExitInfo);
        let proto = ex.stats.proto.clone();
        let base = base as usize;
        apply_writes(vm, base, ex, vals as *const u64);
        set_len(vm, base + proto.num_slots as usize + ex.sp as usize);
        let obs = observed(vm, ex, base, &proto);
        note_exit(vm, ex, obs);
        Ret2::new(tag::EXIT, ex.ip as u64)
    }
}

/// OSR code is returning an error: locals were written back; drop the
/// operand stack (the interpreter's handler, if any, truncates anyway).
///
/// # Safety
/// As for `resume`.
pub unsafe extern "C" fn osr_error(ctx: *mut JitCtx, len: u64) -> Ret2 {
    // SAFETY: per the contract above.
    unsafe {
        let vm = &mut *(*ctx).vm;
        set_len(vm, len as usize);
        Ret2::new(tag::ERROR, 0)
    }
}

/// The active Ruff frames, outermost first, VM and native frames merged:
/// a native frame records how many VM frames were below it when it was
/// entered; OSR code stands in for the VM frame just below.
pub fn active_frames(vm: &Vm) -> Vec<(&FuncProto, Span)> {
    let natives = vm.jit.ctx.native_frames();
    let mut out = Vec::with_capacity(vm.frames().len() + natives.len());
    let native = |s: &super::ctx::Shadow| {
        // SAFETY: shadow entries of live native frames point to protos the
        // code cache keeps alive.
        let p: &FuncProto = unsafe { &*s.proto };
        let span = p
            .spans
            .get((s.ip as usize).saturating_sub(1))
            .copied()
            .unwrap_or_default();
        (p, span)
    };
    // VM frames that OSR code stands for (one pass: error reports of deep
    // recursions must stay linear in the depth).
    let mut replaced = vec![false; vm.frames().len()];
    for s in natives.iter().filter(|s| s.vm_frames & OSR_BIT != 0) {
        if let Some(r) = ((s.vm_frames & !OSR_BIT) as usize)
            .checked_sub(1)
            .and_then(|i| replaced.get_mut(i))
        {
            *r = true;
        }
    }
    let mut n = 0;
    for (i, f) in vm.frames().iter().enumerate() {
        while n < natives.len() && ((natives[n].vm_frames & !OSR_BIT) as usize) <= i {
            out.push(native(&natives[n]));
            n += 1;
        }
        if !replaced[i] {
            out.push((&*f.closure.proto, Vm::frame_span(f)));
        }
    }
    for s in &natives[n..] {
        out.push(native(s));
    }
    out
}

/// Forget a pending unwind as a run result.
pub(crate) fn pending_from(u: Unwind) -> crate::runtime::error::RtError {
    match u {
        Unwind::Error(e) => {
            crate::runtime::error::RtError::Thrown(crate::runtime::value::Value::Error(e))
        }
        Unwind::Fatal(f) => f,
    }
}
