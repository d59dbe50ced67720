//! The JIT: tier-up policy and code cache. Hot functions (call counters) are
//! compiled whole by the method JIT; hot loops (back-edge counters) are
//! compiled from their header and entered by on-stack replacement. Native
//! code really runs: the interpreter calls it through `enter_call` /
//! `enter_loop`, and native code calls native code directly.
//!
//! Files: `feedback` (what the interpreter records), `types` (inference),
//! `lower/` (bytecode → Cranelift IR), `exits` (leaving native code),
//! `helpers` (the runtime helper table), `module` (Cranelift setup),
//! `ctx` (the context block native code sees), `refusal` (reason codes).

// Exit descriptors are boxed one by one: compiled code holds their addresses.
#![allow(clippy::vec_box)]

pub mod ctx;
mod entry;
pub mod exits;
pub mod feedback;
pub mod helper_names;
pub mod helper_table;
pub mod helpers;
pub mod layout;
mod lower;
pub mod module;
mod profiling;
pub mod refusal;
pub(crate) mod reprofile;
pub mod types;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

pub use feedback::{ProtoJit, Tier};

use crate::bytecode::FuncProto;
use crate::runtime::error::{RtError, RtResult};
use crate::runtime::value::{Closure, Value};
use crate::runtime::vm::{Vm, VmOptions};
use crate::telemetry::{Event, JsonLinesSink, Sink, Telemetry, Unit};

use ctx::{tag, JitCtx, Ret2};
use entry::Entry;
use exits::ExitInfo;
use refusal::Refusal;
use types::Ty;

/// `--jit=off|on|always`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JitMode {
    Off,
    /// Compile hot functions and loops.
    #[default]
    On,
    /// Compile every function on its first call and every loop on its first
    /// back edge (for testing).
    Always,
}

/// Debugging and observability switches (all off by default).
#[derive(Clone, Debug, Default)]
pub struct JitTools {
    /// Force a guard exit every N guards (testing only; 0 = never).
    pub stress_exits: u32,
    /// `--dump=jit-ir`: print the Cranelift IR of each compiled unit to stderr.
    pub dump_ir: bool,
    /// Append `ADDR SIZE ruff:NAME@FILE:LINE` lines to `/tmp/perf-PID.map`.
    pub perf_map: bool,
    /// `--telemetry FILE` (`-` for stderr).
    pub telemetry: Option<String>,
    /// With `telemetry`: events only, no run-time counters in hot code (no
    /// count per native call or per back edge, and interpreted back edges
    /// take the slow path only past the usual threshold), so the `summary`
    /// events leave those counts out. For a sampling profiler, which
    /// measures where time goes itself and must not slow the program down
    /// (counting every back edge of a tight loop costs ~15%).
    pub lean_telemetry: bool,
}

/// Default thresholds. Measured on fib and loop benchmarks: compiling costs
/// about 0.1-1 ms per function, so a few hundred interpreted calls or a
/// thousand iterations is the break-even point.
pub mod policy {
    pub const CALLS: u32 = 100;
    pub const BACKEDGES: u32 = 1000;
    /// Exits of one compiled unit before it is recompiled without
    /// speculation (then blacklisted if it keeps exiting).
    pub const MAX_EXITS: u64 = 64;
}

/// A compiled function.
pub struct CompiledFn {
    /// Specialized entry: `(ctx, closure, base, caller's shadow entry,
    /// unboxed params...)`, in `module::NATIVE_CC`.
    pub spec: *const u8,
    pub spec_id: cranelift_module::FuncId,
    /// How Rust calls `spec` (see `entry`).
    pub enter: Entry,
    /// Per parameter slot: its type (`Any` params stay boxed in their slot).
    pub params: Vec<Ty>,
    pub ret: Ty,
    pub stats: Rc<UnitStats>,
    /// Exit descriptors referenced by address from the code.
    pub exits: Vec<Box<ExitInfo>>,
}

/// A loop compiled for on-stack replacement.
pub struct CompiledLoop {
    pub entry: feedback::GenericEntry,
    /// What the code assumes of the frame's slots and promoted globals
    /// when it is entered (checked in Rust by `enter_loop`).
    pub checks: Vec<EntryCheck>,
    pub stats: Rc<UnitStats>,
    pub exits: Vec<Box<ExitInfo>>,
}

/// An OSR entry guard: the value at `src` (a slot offset from the frame's
/// base, ≥ 0, or a global, `-1 - index`) must have tag `tag`. Checking
/// in Rust, and passing the payloads in an array, keeps a call per typed
/// local out of the native code (its entry was most of a small loop's IR).
#[derive(Clone, Copy, Debug)]
pub struct EntryCheck {
    pub src: i64,
    pub tag: u64,
}

/// Run-time counters of one compiled unit.
pub struct UnitStats {
    pub proto: Rc<FuncProto>,
    pub loop_index: Option<usize>,
    pub exits: Cell<u64>,
    /// Native entries, counted only when telemetry is on (by native code
    /// for functions, by `enter_loop` for OSR).
    pub native_entries: Cell<u64>,
    pub generic: bool,
}

pub struct Jit {
    mode: JitMode,
    call_threshold: u32,
    /// The interpreter takes the slow path of a back edge past this count.
    pub(crate) loop_threshold: u32,
    osr_threshold: u64,
    pub(crate) ctx: Box<JitCtx>,
    code: Option<module::CodeModule>,
    pub(crate) tools: JitTools,
    pub(crate) telemetry: Telemetry,
    /// Closures that compiled code refers to by address (direct calls).
    pub(crate) keep: Vec<Rc<Closure>>,
    /// Functions being compiled (a callee compiled for a caller must not
    /// recurse into a compile of the caller).
    compiling: Vec<*const FuncProto>,
    /// Everything compiled, for the exit summary.
    units: Vec<Rc<UnitStats>>,
    /// The write-back values of a method call run to completion for native
    /// code (`Vm::run` returns only the result at its stop depth).
    writeback: Option<(Value, bool)>,
    /// Code replaced after too many exits (kept: it may still be running).
    retired_fns: Vec<Rc<CompiledFn>>,
    /// A helper of native code is making a call (its call site is not the
    /// interpreter frame's: no call-target feedback).
    pub(crate) native_caller: bool,
    retired_loops: Vec<Rc<CompiledLoop>>,
    /// How long creating the code module took, if the unit being compiled
    /// created it (see `take_module`).
    module_setup: std::time::Duration,
    /// Time spent in units compiled while compiling the current one.
    nested_compiles: std::time::Duration,
    /// `enter_loop`'s buffer for the payloads it passes (reused).
    entry_payloads: Vec<u64>,
}

/// When a unit's compile started (`Jit::start_unit`).
struct UnitClock {
    t0: Instant,
    outer_nested: std::time::Duration,
}

impl Jit {
    pub fn new(o: &VmOptions) -> Jit {
        let (call_threshold, osr_threshold) = match o.jit {
            JitMode::Off => (u32::MAX, u64::MAX),
            JitMode::Always => (1, 1),
            JitMode::On => (
                o.jit_threshold.unwrap_or(policy::CALLS),
                o.jit_threshold.unwrap_or(policy::BACKEDGES) as u64,
            ),
        };
        let sink: Option<Box<dyn Sink>> = match &o.jit_tools.telemetry {
            Some(t) => JsonLinesSink::open(t)
                .ok()
                .map(|s| Box::new(s) as Box<dyn Sink>),
            None => None,
        };
        let telemetry = Telemetry::new(sink);
        // With counting telemetry, every back edge takes the slow path so
        // loops are counted; otherwise only hot ones do.
        let loop_threshold = if o.jit == JitMode::Off {
            u32::MAX
        } else if telemetry.enabled() && !o.jit_tools.lean_telemetry {
            0
        } else {
            osr_threshold.min(u32::MAX as u64) as u32
        };
        Jit {
            mode: o.jit,
            call_threshold,
            loop_threshold,
            osr_threshold,
            ctx: JitCtx::new(o.max_depth, o.jit_tools.stress_exits as u64),
            code: None,
            tools: o.jit_tools.clone(),
            telemetry,
            keep: Vec::new(),
            compiling: Vec::new(),
            units: Vec::new(),
            writeback: None,
            retired_fns: Vec::new(),
            native_caller: false,
            entry_payloads: Vec::new(),
            retired_loops: Vec::new(),
            module_setup: std::time::Duration::ZERO,
            nested_compiles: std::time::Duration::ZERO,
        }
    }

    #[inline]
    pub fn enabled(&self) -> bool {
        self.mode != JitMode::Off
    }

    /// Native frames currently on the machine stack that add to the Ruff
    /// call depth (OSR code stands for the VM frame below it).
    #[inline]
    pub fn native_depth(&self) -> usize {
        self.ctx.depth().saturating_sub(self.ctx.osr_ways) as usize
    }

    /// A global holding a function was reassigned: direct calls compiled
    /// against the old binding must take their slow path.
    #[inline]
    pub fn function_rebound(&mut self) {
        self.ctx.fn_epoch += 1;
    }

    /// A write-back method frame returned at a run's stop depth.
    pub(crate) fn stash_writeback(&mut self, recv: Value, changed: bool) {
        self.writeback = Some((recv, changed));
    }

    pub(crate) fn take_writeback(&mut self) -> Option<(Value, bool)> {
        self.writeback.take()
    }

    /// The code module, created on the first compile. Taken out while a
    /// unit is built (the builder reads the VM) and put back after.
    /// Creating it (target ISA detection, the executable memory) is a
    /// one-time set-up, logged and kept out of the unit's compile time
    /// (`module_setup`).
    fn take_module(&mut self) -> Result<module::CodeModule, String> {
        match self.code.take() {
            Some(m) => Ok(m),
            None => {
                let t0 = Instant::now();
                let m = module::CodeModule::new(self.tools.perf_map).inspect_err(|e| {
                    tracing::debug!(target: "ruff_core::jit", "no code module: {e}");
                })?;
                self.module_setup = t0.elapsed();
                tracing::debug!(
                    target: "ruff_core::jit",
                    "code module created in {} µs",
                    self.module_setup.as_micros()
                );
                Ok(m)
            }
        }
    }

    /// Start timing the compile of a unit.
    fn start_unit(&mut self) -> UnitClock {
        UnitClock {
            t0: Instant::now(),
            outer_nested: std::mem::take(&mut self.nested_compiles),
        }
    }

    /// A unit's own compile time: without the code module's set-up if this
    /// unit did it, and without the units it compiled first (the callees
    /// it calls directly), which report their own.
    fn unit_micros(&mut self, clock: UnitClock) -> u64 {
        let total = clock.t0.elapsed();
        let own = total
            .saturating_sub(std::mem::take(&mut self.nested_compiles))
            .saturating_sub(std::mem::take(&mut self.module_setup));
        self.nested_compiles = clock.outer_nested + total;
        own.as_micros() as u64
    }

    fn put_module(&mut self, m: module::CodeModule) {
        self.code = Some(m);
    }

    /// Whether run-time counters are kept for telemetry (native code
    /// counts its entries and back edges).
    pub(crate) fn counts(&self) -> bool {
        self.telemetry.enabled() && !self.tools.lean_telemetry
    }

    /// Emit the per-unit summary and close the telemetry sink.
    pub fn finish(&mut self, main: &Rc<FuncProto>) {
        if !self.telemetry.enabled() {
            return;
        }
        let mut seen = Vec::new();
        summarize(self, main, &mut seen);
        crate::telemetry::observed::emit(&mut self.telemetry, main);
        self.telemetry.flush();
    }
}

fn summarize(jit: &mut Jit, proto: &Rc<FuncProto>, seen: &mut Vec<*const FuncProto>) {
    if seen.contains(&Rc::as_ptr(proto)) {
        return;
    }
    seen.push(Rc::as_ptr(proto));
    let stats_of = |jit: &Jit, l: Option<usize>| {
        jit.units
            .iter()
            .filter(|u| Rc::ptr_eq(&u.proto, proto) && u.loop_index == l)
            .fold((0, 0, false), |(e, n, _), u| {
                (e + u.exits.get(), n + u.native_entries.get(), true)
            })
    };
    let pj = &proto.jit;
    // Counts native code keeps only when counting (`JitTools::lean_telemetry`).
    let counts = jit.counts();
    let counted = |n: u64| counts.then_some(n);
    if &*proto.name != "<main>" && (pj.calls.get() > 0 || pj.entry.get().is_some()) {
        let (exits, native, compiled) = stats_of(jit, None);
        let e = Event::Summary {
            unit: unit_of(proto, None),
            entries: pj.calls.get() as u64,
            native_entries: counted(native),
            iterations: counted(0),
            native_iterations: counted(0),
            compiled,
            exits,
        };
        jit.telemetry.emit(e);
    }
    for (i, l) in pj.loops.iter().enumerate() {
        let (exits, osr, compiled) = stats_of(jit, Some(i));
        let native_it = l.native_iterations.get();
        let iterations = l.iterations.get() + native_it;
        if iterations == 0 && !compiled {
            continue;
        }
        let e = Event::Summary {
            unit: unit_of(proto, Some(i)),
            entries: 0,
            // OSR entries are counted by the VM at each entry: always kept.
            native_entries: Some(osr),
            iterations: counted(iterations),
            native_iterations: counted(native_it),
            compiled,
            exits,
        };
        jit.telemetry.emit(e);
    }
    for p in &proto.protos {
        summarize(jit, p, seen);
    }
    for s in &proto.structs {
        if let Some(ms) = s.methods.get() {
            for m in ms {
                summarize(jit, &m.proto, seen);
            }
        }
    }
}

/// The telemetry name of a function or loop.
pub fn unit_of(proto: &FuncProto, loop_index: Option<usize>) -> Unit {
    Unit {
        kind: if loop_index.is_some() {
            "loop"
        } else {
            "function"
        },
        function: proto.name.to_string(),
        line: proto.line,
        loop_index,
        loop_line: loop_index
            .and_then(|i| proto.loops.get(i))
            .map(|l| l.header_line),
    }
}

/// Run native code with the context describing the current VM state, and
/// restore it after (native code may be entered recursively from helpers).
fn call_native(vm: &mut Vm, f: impl FnOnce(*mut JitCtx) -> Ret2, osr: bool) -> Ret2 {
    let frames = vm.frames.len();
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
        if let Some(f) = vm.frames.last() {
            f.closure
                .proto
                .jit
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

/// Parameters a function's native entry takes: a method's `self` too.
pub fn param_count(proto: &FuncProto) -> usize {
    proto.arity as usize + usize::from(proto.is_method)
}

/// Where a call's result goes: below the frame for a function (the
/// callee's slot), in `self`'s slot for a method (the receiver's).
pub fn result_slot(proto: &FuncProto, base: usize) -> usize {
    if proto.is_method {
        base
    } else {
        base - 1
    }
}

/// A method that never assigns `self` (nor captures it): calling it can
/// never change the receiver, so a write-back call has nothing to write.
pub fn keeps_self(proto: &FuncProto) -> bool {
    use crate::bytecode::{Op, VarRef};
    let k = &proto.jit.keeps_self;
    if k.get() == 0 {
        let self_var = |v: VarRef| matches!(v, VarRef::Local(0));
        let writes = proto.code.iter().any(|op| match *op {
            Op::StoreLocal(0) | Op::StoreNewCell(0) | Op::StoreCell(0) => true,
            Op::UpdateVar(u) => self_var(proto.updates[u as usize].var),
            Op::StorePath(p) => self_var(proto.paths[p as usize].var),
            _ => false,
        });
        k.set(if writes { 2 } else { 1 });
    }
    k.get() == 1
}

/// `enter_call` / `enter_method` for a frame at `base`.
fn enter_at(vm: &mut Vm, c: &Rc<Closure>, base: usize) -> RtResult<bool> {
    let proto = &c.proto;
    let pj = &proto.jit;
    let n = pj.calls.get().saturating_add(1);
    pj.calls.set(n);
    let code = match pj.entry.get() {
        Some(e) => e,
        None => {
            let tier = pj.tier.get();
            if n < vm.jit.call_threshold || !matches!(tier, Tier::Cold | Tier::WantsGeneric) {
                return Ok(false);
            }
            let args: Vec<Ty> = vm.stack[base..].iter().map(Ty::of_value).collect();
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
    for (ty, v) in code.params.iter().zip(&vm.stack[base..]) {
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
            vm.stack.truncate(callee_at);
            Err(vm
                .jit
                .ctx
                .pending
                .take()
                .unwrap_or_else(|| RtError::msg("JIT: lost error")))
        }
        tag::OVERFLOW => Err(RtError::msg("Stack overflow")),
        tag::HEAP => {
            vm.stack.truncate(callee_at + 1);
            Ok(true)
        }
        _ => {
            vm.stack.truncate(callee_at);
            vm.stack.push(helpers::decode(r.tag, r.payload));
            Ok(true)
        }
    }
}

/// A back edge to `header` in the top frame went past the threshold: count
/// it, compile the loop when hot, and run it natively. `Ok(Some(ip))`:
/// native code ran and the interpreter continues at `ip`.
pub fn enter_loop(vm: &mut Vm, header: usize) -> RtResult<Option<usize>> {
    let frame = vm.frames.last().expect("a frame is running");
    let c = frame.closure.clone();
    let base = frame.base;
    let proto = &c.proto;
    let Some(li) = proto.loops.iter().position(|l| l.header as usize == header) else {
        return Ok(None);
    };
    let lj = &proto.jit.loops[li];
    let it = lj.iterations.get() + 1;
    lj.iterations.set(it);
    if !vm.jit.enabled() || it < vm.jit.osr_threshold {
        return Ok(None);
    }
    // Past the threshold the interpreter calls here at every back edge of
    // this function, so a compiled loop is entered at once and other loops
    // are counted until they are hot; only a loop that can never be
    // compiled resets the counter (nothing to do here for a while).
    let dead = !matches!(
        lj.tier.get(),
        Tier::Cold | Tier::WantsGeneric | Tier::Compiled | Tier::CompiledGeneric
    );
    if dead && vm.jit.loop_threshold != 0 {
        proto.jit.backedges.set(0);
        return Ok(None);
    }
    let code = lj.osr.borrow().clone();
    let code = match code {
        Some(c) => c,
        None => {
            if !matches!(lj.tier.get(), Tier::Cold | Tier::WantsGeneric) {
                return Ok(None);
            }
            if vm.stack.len() != base + proto.num_slots as usize {
                refuse(vm, proto, Some(li), Refusal::LoopStack, header);
                lj.tier.set(Tier::Blacklisted);
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
        let r = if check.src < 0 {
            let g = vm.globals[(-1 - check.src) as usize].as_ref();
            g.map_or(Ret2::new(tag::HEAP, 0), helpers::encode)
        } else {
            let v = vm.stack.get(base + check.src as usize);
            v.map_or(Ret2::new(tag::NULL, 0), helpers::encode)
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

fn refuse(vm: &mut Vm, proto: &FuncProto, li: Option<usize>, r: Refusal, ip: usize) {
    let span = proto.spans.get(ip).copied().unwrap_or_default();
    let line = if span == Default::default() {
        0
    } else {
        vm.line_of(span)
    };
    vm.jit.telemetry.emit(Event::CompileRefused {
        unit: unit_of(proto, li),
        code: r.code().to_string(),
        message: r.message().to_string(),
        line,
        span: [span.start, span.end],
    });
}

/// A `jit-compiler` frame on the profiler's shadow stack while it lives,
/// named after the function (at its line) or loop (at its header line)
/// being compiled. Compiling a function first compiles its callees, so
/// these frames nest.
struct CompilerFrame(Option<std::sync::Arc<crate::runtime::shadow::ShadowStack>>);

fn compiler_frame(vm: &Vm, proto: &FuncProto, line: u32) -> CompilerFrame {
    let s = vm.shadow.clone();
    if let Some(s) = &s {
        s.push(proto.id, crate::runtime::shadow::Tier::Compiler, line);
    }
    CompilerFrame(s)
}

impl Drop for CompilerFrame {
    fn drop(&mut self) {
        if let Some(s) = &self.0 {
            s.pop();
        }
    }
}

/// Compile `c`'s function for arguments of types `args`. Returns the code,
/// or `None` (refused; the interpreter runs it).
pub(crate) fn compile_function(
    vm: &mut Vm,
    proto: &Rc<FuncProto>,
    args: &[Ty],
    count: u32,
) -> Option<*const CompiledFn> {
    let proto = proto.clone();
    let pj = &proto.jit;
    if vm.jit.compiling.contains(&Rc::as_ptr(&proto)) {
        return None;
    }
    let generic = pj.tier.get() == Tier::WantsGeneric;
    vm.jit.telemetry.emit(Event::Hot {
        unit: unit_of(&proto, None),
        count: count as u64,
    });
    let prof = compiler_frame(vm, &proto, proto.line);
    vm.jit.telemetry.emit(Event::CompileStarted {
        unit: unit_of(&proto, None),
        generic,
    });
    let clock = vm.jit.start_unit();
    vm.jit.compiling.push(Rc::as_ptr(&proto));
    let r = lower::compile_method(vm, &proto, args, generic);
    let micros = vm.jit.unit_micros(clock);
    vm.jit.compiling.pop();
    drop(prof);
    match r {
        Ok((code, bytes)) => {
            vm.jit.telemetry.emit(Event::CompileFinished {
                unit: unit_of(&proto, None),
                micros,
                code_bytes: bytes,
                generic,
            });
            vm.jit.units.push(code.stats.clone());
            let code = Rc::new(code);
            pj.entry.set(Some(Rc::as_ptr(&code)));
            pj.tier.set(if generic {
                Tier::CompiledGeneric
            } else {
                Tier::Compiled
            });
            *pj.code.borrow_mut() = Some(code);
            pj.entry.get()
        }
        Err((r, ip)) => {
            refuse(vm, &proto, None, r, ip);
            pj.tier.set(Tier::Blacklisted);
            None
        }
    }
}

fn compile_loop(vm: &mut Vm, c: &Rc<Closure>, li: usize, count: u64) -> Option<Rc<CompiledLoop>> {
    let proto = c.proto.clone();
    let lj = &proto.jit.loops[li];
    let generic = lj.tier.get() == Tier::WantsGeneric;
    vm.jit.telemetry.emit(Event::Hot {
        unit: unit_of(&proto, Some(li)),
        count,
    });
    let prof = compiler_frame(vm, &proto, proto.loops[li].header_line);
    vm.jit.telemetry.emit(Event::CompileStarted {
        unit: unit_of(&proto, Some(li)),
        generic,
    });
    let clock = vm.jit.start_unit();
    let r = lower::compile_osr(vm, c, li, generic);
    let micros = vm.jit.unit_micros(clock);
    drop(prof);
    match r {
        Ok((code, bytes)) => {
            vm.jit.telemetry.emit(Event::CompileFinished {
                unit: unit_of(&proto, Some(li)),
                micros,
                code_bytes: bytes,
                generic,
            });
            vm.jit.units.push(code.stats.clone());
            let code = Rc::new(code);
            lj.tier.set(if generic {
                Tier::CompiledGeneric
            } else {
                Tier::Compiled
            });
            *lj.osr.borrow_mut() = Some(code.clone());
            Some(code)
        }
        Err((r, ip)) => {
            refuse(vm, &proto, Some(li), r, ip);
            lj.tier.set(Tier::Blacklisted);
            None
        }
    }
}

/// A compiled unit exited too often: drop its code so the next hot call or
/// loop recompiles without speculation, or blacklist it if it already was.
pub(crate) fn too_many_exits(vm: &mut Vm, stats: &UnitStats) {
    let proto = &stats.proto;
    // Old code may still be running (or be called directly by other native
    // code): its exit descriptors must stay valid, so it is retired, not freed.
    let tier = match stats.loop_index {
        None => {
            proto.jit.entry.set(None);
            if let Some(old) = proto.jit.code.borrow_mut().take() {
                vm.jit.retired_fns.push(old);
            }
            &proto.jit.tier
        }
        Some(li) => {
            if let Some(old) = proto.jit.loops[li].osr.borrow_mut().take() {
                vm.jit.retired_loops.push(old);
            }
            &proto.jit.loops[li].tier
        }
    };
    let reason = if stats.generic {
        tier.set(Tier::Blacklisted);
        "exits even without type speculation"
    } else {
        tier.set(Tier::WantsGeneric);
        "too many exits: recompiling without type speculation"
    };
    vm.jit.telemetry.emit(Event::Blacklisted {
        unit: unit_of(proto, stats.loop_index),
        reason: reason.to_string(),
        exits: stats.exits.get(),
    });
}

/// The value a global holds at compile time, if it is a function.
pub(crate) fn global_func(vm: &Vm, g: u32) -> Option<Rc<Closure>> {
    match vm.globals.get(g as usize) {
        Some(Some(Value::Func(c))) => Some(c.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::Arc;

    use crate::runtime::shadow::{FrameSample, ShadowStack, Tier as ProfTier};
    use crate::runtime::vm::{SourceFile, Vm, VmOptions};
    use crate::telemetry::{Event, Sink, Telemetry};

    type Log = Rc<RefCell<Vec<(String, Option<usize>, Vec<FrameSample>)>>>;

    /// Snapshots the shadow stack whenever a compile starts.
    struct AtCompile {
        shadow: Arc<ShadowStack>,
        log: Log,
    }

    impl Sink for AtCompile {
        fn event(&mut self, e: &Event) {
            if let Event::CompileStarted { unit, .. } = e {
                let mut frames = Vec::new();
                self.shadow.sample(&mut frames);
                let entry = (unit.function.clone(), unit.loop_index, frames);
                self.log.borrow_mut().push(entry);
            }
        }
    }

    /// Compiling runs under a `jit-compiler` frame named after the function
    /// (at its line) or loop (at its header line), on top of the frame that
    /// triggered it; a callee compiled first for a direct call nests its
    /// frame on its caller's; and the frames are gone afterwards.
    #[test]
    fn compiles_run_under_a_compiler_frame() {
        let src = "func sq(x) {\n    return x * x\n}\nfunc f(n) {\n    return sq(n) + 1\n}\nmut i := 0\nmut t := 0\nwhile i < 10 {\n    t += f(i)\n    i += 1\n}\nprint(t)\n";
        let compiled = crate::driver::compile(src).expect("compiles");
        let id = |name: &str| {
            compiled
                .functions
                .functions
                .iter()
                .position(|(n, _)| n == name)
                .expect("known function") as u32
        };
        let shadow = Arc::new(ShadowStack::new(64));
        let options = VmOptions {
            jit: super::JitMode::Always,
            shadow: Some(shadow.clone()),
            ..VmOptions::default()
        };
        let file = Rc::new(SourceFile::new("t.ruff", src));
        let mut vm = Vm::new(
            &compiled,
            file,
            options,
            Box::new(std::io::sink()),
            Box::new(std::io::sink()),
        );
        let log: Log = Default::default();
        vm.jit.telemetry = Telemetry::new(Some(Box::new(AtCompile {
            shadow: shadow.clone(),
            log: log.clone(),
        })));
        assert!(vm.run_main().is_ok());
        let log = log.borrow();
        let compiler = |f: &FrameSample| f.tier == ProfTier::Compiler;
        let frame = |func, tier, line| FrameSample { func, tier, line };
        let main = id("<main>");
        // `<main>` calls `f` at line 10: `f` is compiled first, and while
        // it is, `sq` (which `f` calls directly).
        let (name, li, st) = &log[0];
        assert_eq!((name.as_str(), *li), ("f", None));
        assert_eq!(
            st[..],
            [
                frame(main, ProfTier::Interpreted, 10),
                frame(id("f"), ProfTier::Compiler, 4)
            ]
        );
        let (name, _, st) = &log[1];
        assert_eq!(name, "sq");
        assert_eq!(st.len(), 3);
        assert_eq!(st[2], frame(id("sq"), ProfTier::Compiler, 1));
        assert!(compiler(&st[1]));
        // Then the loop, by OSR, at its header line, above its own frame.
        let (name, li, st) = &log[2];
        assert_eq!((name.as_str(), *li), ("<main>", Some(0)));
        assert_eq!(st.len(), 2);
        assert_eq!(st[1], frame(main, ProfTier::Compiler, 9));
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(shadow.depth() <= 1);
    }
}
