//! The JIT: tier-up policy and code cache. Hot functions (call counters) are
//! compiled whole by the method JIT; hot loops (back-edge counters) are
//! compiled from their header and entered by on-stack replacement. Native
//! code really runs: the interpreter calls it only through `seam`
//! (`enter_call` / `enter_method` / `enter_loop`), and native code calls
//! native code directly.
//!
//! Files: `seam` (the VM's way in), `code_cache` (tiers and compiled code
//! per prototype), `compile` (compiling a unit), `types` (inference),
//! `lower/` (bytecode → Cranelift IR), `exits` (leaving native code),
//! `helper_table`/`helpers` (runtime helpers), `module` (Cranelift setup),
//! `ctx` (the context block native code sees), `refusal` (reason codes),
//! `summary` (end-of-run telemetry). What the interpreter records is
//! `runtime::feedback`.

// Exit descriptors are boxed one by one: compiled code holds their addresses.
#![allow(clippy::vec_box)]

pub mod code_cache;
mod compile;
pub mod ctx;
mod entry;
pub mod exits;
pub mod helper_names;
pub mod helper_table;
pub mod helpers;
pub mod layout;
mod lower;
pub mod module;
mod profiling;
pub mod refusal;
pub(crate) mod reprofile;
pub mod seam;
pub mod slot_ref;
mod summary;
pub mod types;

use std::rc::Rc;
use std::time::Instant;

pub use code_cache::{CodeCache, CompiledFn, CompiledLoop, EntryCheck, Tier, UnitStats};
pub(crate) use compile::{compile_function, too_many_exits};
pub use summary::unit_of;

use crate::bytecode::FuncProto;
use crate::runtime::value::{Closure, Value};
use crate::runtime::vm::{Vm, VmOptions};
use crate::telemetry::{JsonLinesSink, Sink, Telemetry};

use ctx::JitCtx;

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

/// Default thresholds: about where compiling pays for itself
/// (docs/decisions.md).
pub mod policy {
    pub const CALLS: u32 = 100;
    pub const BACKEDGES: u32 = 1000;
    /// Exits of one compiled unit before it is recompiled without
    /// speculation (then blacklisted if it keeps exiting).
    pub const MAX_EXITS: u64 = 64;
}

pub struct Jit {
    mode: JitMode,
    /// Tiers and compiled code of every prototype.
    pub(crate) cache: CodeCache,
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
    pub fn new(o: &VmOptions, protos: &[Option<Rc<FuncProto>>]) -> Jit {
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
        // The interpreter counts values per kind only for counting telemetry.
        if telemetry.enabled() && !o.jit_tools.lean_telemetry {
            for p in protos.iter().flatten() {
                p.feedback.enable_counts();
            }
        }
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
            cache: CodeCache::new(protos),
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
        summary::summarize(self, main, &mut seen);
        crate::telemetry::observed::emit(&mut self.telemetry, main);
        self.telemetry.flush();
    }
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

/// The value a global holds at compile time, if it is a function.
pub(crate) fn global_func(vm: &Vm, g: u32) -> Option<Rc<Closure>> {
    match vm.globals().get(g as usize) {
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
