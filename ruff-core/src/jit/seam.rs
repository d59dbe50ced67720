//! The seam between the interpreter and native code: everything the VM
//! calls in the JIT. Calls and back edges past their thresholds come here
//! (`enter_call`, `enter_method`, `enter_loop`), compile when hot and run
//! the native code with the context describing the VM (`call_native`);
//! methods ask whether a write-back call can skip its write (`keeps_self`).

use std::rc::Rc;

pub use super::ctx::OSR_BIT;
pub use super::exits::active_frames;
pub(crate) use super::reprofile::recompile_all;
pub use super::{Jit, JitMode, JitTools};

use crate::bytecode::FuncProto;
use crate::runtime::error::{RtError, RtResult};
use crate::runtime::value::{Closure, Value};
use crate::runtime::vm::Vm;

use super::code_cache::Tier;
use super::compile::{compile_loop, refuse};
use super::ctx::{self, tag, JitCtx, Ret2};
use super::refusal::Refusal;
use super::slot_ref::SlotOrGlobal;
use super::types::Ty;
use super::{compile_function, helpers, result_slot};

/// Run native code with the context describing the current VM state, and
/// restore it after (native code may be entered recursively from helpers).
fn call_native(vm: &mut Vm, f: impl FnOnce(*mut JitCtx) -> Ret2, osr: bool) -> Ret2 {
    let frames = vm.frames().len();
    let max = vm.options.max_depth;
    let vm_ptr: *mut Vm = vm;
    let ctx: *mut JitCtx = &mut *vm.jit.ctx;
    // SAFETY: `ctx` is the VM's boxed context; native code and helpers
    // reach the VM only through `ctx.vm` while `vm` is not used here.
    unsafe {
        // Native code does not restore `top` on return (see `JitCtx::top`).
        let saved = ((*ctx).vm, (*ctx).vm_frames, (*ctx).shadow_limit, (*ctx).top);
        (*ctx).vm = vm_ptr;
        (*ctx).vm_frames = frames as u64;
        (*ctx).ways_in.push(ctx::WayIn {
            depth: (*ctx).depth(),
            vm_frames: frames as u32,
            osr,
        });
        // OSR code stands for a VM frame (this one's and every enclosing
        // one's): count those frames once, as native frames.
        (*ctx).osr_ways += u64::from(osr);
        let below = frames.saturating_sub((*ctx).osr_ways as usize);
        (*ctx).set_limit(max.saturating_sub(below) as u64);
        let r = f(ctx);
        (*ctx).osr_ways -= u64::from(osr);
        (*ctx).ways_in.pop();
        (*ctx).vm = saved.0;
        (*ctx).vm_frames = saved.1;
        (*ctx).shadow_limit = saved.2;
        (*ctx).top = saved.3;
        r
    }
}

/// The interpreter is about to call closure `c` (callee at stack index
/// `callee_at`, arguments above it). Count the call, compile when hot, and
/// run native code if there is some. `Ok(true)`: the call is complete and
/// its result replaced callee and arguments on the stack.
pub fn enter_call(vm: &mut Vm, c: &Rc<Closure>, callee_at: usize) -> RtResult<bool> {
    // Which function this call site calls: compiled code of the caller can
    // then call it directly (behind a guard) even through a variable.
    if !vm.jit.native_caller {
        if let Some(f) = vm.frames().last() {
            f.closure
                .proto
                .feedback
                .note_target(f.ip.wrapping_sub(1), Rc::as_ptr(&c.proto));
        }
    }
    enter_at(vm, c, callee_at + 1)
}

/// The interpreter is about to call method closure `c` on the receiver at
/// stack index `recv_at` (its `self` slot; arguments above). As
/// `enter_call`; the result replaces receiver and arguments.
pub fn enter_method(vm: &mut Vm, c: &Rc<Closure>, recv_at: usize) -> RtResult<bool> {
    enter_at(vm, c, recv_at)
}

/// Whether a write-back call of method `proto` can skip the write
/// (`ProtoCode::keeps_self`).
pub fn keeps_self(vm: &Vm, proto: &FuncProto) -> bool {
    vm.jit.cache.of(proto).keeps_self(proto)
}

/// `enter_call` / `enter_method` for a frame at `base`.
fn enter_at(vm: &mut Vm, c: &Rc<Closure>, base: usize) -> RtResult<bool> {
    let proto = &c.proto;
    let fb = &proto.feedback;
    let n = fb.calls.get().saturating_add(1);
    fb.calls.set(n);
    let pc = vm.jit.cache.of(proto);
    let code = match pc.entry.get() {
        Some(e) => e,
        None => {
            let tier = pc.tier.get();
            if n < vm.jit.call_threshold || !matches!(tier, Tier::Cold | Tier::WantsGeneric) {
                return Ok(false);
            }
            let args: Vec<Ty> = vm.stack()[base..].iter().map(Ty::of_value).collect();
            match compile_function(vm, proto, &args, n) {
                Some(e) => e,
                None => return Ok(false),
            }
        }
    };
    // SAFETY: compiled code is never freed (`Jit::retired_fns`).
    let code = unsafe { &*code };
    // The parameters must have the types the code was compiled for; the
    // entry takes the unboxed ones as raw bits (boxed ones stay in the
    // frame).
    let mut unboxed = smallvec::SmallVec::<[u64; 8]>::new();
    for (ty, v) in code.params.iter().zip(&vm.stack()[base..]) {
        if !ty.admits(Ty::of_value(v)) {
            return Ok(false);
        }
        unboxed.push(match (ty, v) {
            (Ty::Int, Value::Int(i)) => *i as u64,
            (Ty::Float, Value::Float(f)) => f.to_bits(),
            (Ty::Bool, Value::Bool(b)) => *b as u64,
            _ => continue,
        });
    }
    let (closure, frame, spec) = (Rc::as_ptr(c) as u64, base as u64, code.spec);
    // SAFETY: `code.enter` was made for `spec`'s parameter types.
    let r = call_native(
        vm,
        |ctx| unsafe { code.enter.call(ctx, closure, frame, spec, &unboxed) },
        false,
    );
    finish_call(vm, r, result_slot(proto, base))
}

/// Put a native call's result where the interpreter expects it (at
/// `callee_at`, replacing callee and arguments).
fn finish_call(vm: &mut Vm, r: Ret2, callee_at: usize) -> RtResult<bool> {
    match r.tag {
        tag::NOT_ENTERED => Ok(false),
        tag::ERROR => {
            vm.truncate_stack(callee_at);
            Err(vm
                .jit
                .ctx
                .pending
                .take()
                .unwrap_or_else(|| RtError::msg("JIT: lost error")))
        }
        tag::OVERFLOW => Err(RtError::msg("Stack overflow")),
        tag::HEAP => {
            vm.truncate_stack(callee_at + 1);
            Ok(true)
        }
        _ => {
            vm.truncate_stack(callee_at);
            vm.push(helpers::decode(r.tag, r.payload));
            Ok(true)
        }
    }
}

/// A back edge to `header` in the top frame went past the threshold: count
/// it, compile the loop when hot, and run it natively. `Ok(Some(ip))`:
/// native code ran and the interpreter continues at `ip`.
pub fn enter_loop(vm: &mut Vm, header: usize) -> RtResult<Option<usize>> {
    let frame = vm.frames().last().expect("a frame is running");
    let c = frame.closure.clone();
    let base = frame.base;
    let proto = &c.proto;
    let Some(li) = proto.loops.iter().position(|l| l.header as usize == header) else {
        return Ok(None);
    };
    let lf = &proto.feedback.loops[li];
    let it = lf.iterations.get() + 1;
    lf.iterations.set(it);
    if !vm.jit.enabled() || it < vm.jit.osr_threshold {
        return Ok(None);
    }
    // Past the threshold the interpreter calls here at every back edge of
    // this function, so a compiled loop is entered at once and other loops
    // are counted until they are hot; only a loop that can never be
    // compiled resets the counter (nothing to do here for a while).
    let dead = !matches!(
        vm.jit.cache.of(proto).loops[li].tier.get(),
        Tier::Cold | Tier::WantsGeneric | Tier::Compiled | Tier::CompiledGeneric
    );
    if dead && vm.jit.loop_threshold != 0 {
        proto.feedback.backedges.set(0);
        return Ok(None);
    }
    let code = vm.jit.cache.of(proto).loops[li].osr.borrow().clone();
    let code = match code {
        Some(c) => c,
        None => {
            if !matches!(
                vm.jit.cache.of(proto).loops[li].tier.get(),
                Tier::Cold | Tier::WantsGeneric
            ) {
                return Ok(None);
            }
            if vm.stack_len() != base + proto.num_slots as usize {
                refuse(vm, proto, Some(li), Refusal::LoopStack, header);
                vm.jit.cache.of(proto).loops[li].tier.set(Tier::Blacklisted);
                return Ok(None);
            }
            match compile_loop(vm, &c, li, it) {
                Some(code) => code,
                None => return Ok(None),
            }
        }
    };
    // The entry guard: the types the code assumes, and their payloads.
    let mut payloads = std::mem::take(&mut vm.jit.entry_payloads);
    payloads.clear();
    for check in &code.checks {
        let r = match check.src {
            SlotOrGlobal::Global(g) => {
                let g = vm.globals()[g as usize].as_ref();
                g.map_or(Ret2::new(tag::HEAP, 0), helpers::encode)
            }
            SlotOrGlobal::Slot(s) => {
                let v = vm.stack().get(base + s);
                v.map_or(Ret2::new(tag::NULL, 0), helpers::encode)
            }
        };
        if r.tag != check.tag {
            vm.jit.entry_payloads = payloads;
            return Ok(None);
        }
        payloads.push(r.payload);
    }
    if vm.jit.telemetry.enabled() {
        code.stats
            .native_entries
            .set(code.stats.native_entries.get() + 1);
    }
    let closure = Rc::as_ptr(&c) as u64;
    let entry = code.entry;
    // Profilers see this frame run natively while the loop does.
    if let Some(s) = &vm.shadow {
        s.set_tier(crate::runtime::shadow::Tier::Native);
    }
    // SAFETY: finalized OSR code with the generic-entry signature.
    let r = call_native(
        vm,
        |ctx| unsafe {
            // The OSR frame stands for the VM frame below in error traces.
            let d = (*ctx).depth() + 1;
            (*ctx).set_depth(d);
            *(*ctx).shadow.add(d as usize) = ctx::Shadow {
                proto: Rc::as_ptr(&c.proto),
                ip: header as u32 + 1,
                // (Profilers read the OSR bit; Rust readers recompute
                // the count from `ways_in`.)
                vm_frames: (*ctx).vm_frames as u32 | ctx::OSR_BIT,
            };
            let r = entry(ctx, closure, base as u64, payloads.as_ptr());
            // The record is free again: a profiler's sampler takes the
            // records up to the first cleared one as live, and a method
            // frame that reuses it must not carry the OSR flag.
            *(*ctx).shadow.add(d as usize) = ctx::Shadow::default();
            r
        },
        true,
    );
    vm.jit.entry_payloads = payloads;
    if let Some(s) = &vm.shadow {
        s.set_tier(crate::runtime::shadow::Tier::Interpreted);
    }
    match r.tag {
        tag::EXIT => Ok(Some(r.payload as usize)),
        tag::ERROR => Err(vm
            .jit
            .ctx
            .pending
            .take()
            .unwrap_or_else(|| RtError::msg("JIT: lost error"))),
        _ => Err(RtError::msg("JIT: unexpected OSR result")),
    }
}
