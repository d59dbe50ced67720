//! The Cranelift JIT module: created on the first compile (start-up stays
//! tiny), owns all generated code for the life of the VM (code is never
//! freed, so native callers may keep calling an old version), and writes
//! `/tmp/perf-PID.map` lines when asked.

use std::io::Write;

use cranelift_codegen::ir::{types, AbiParam, Signature};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData as MemFlags};
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilder;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};

use super::ctx::off;
use super::entry::{Entry, Trampoline};

/// The calling convention between compiled Ruff functions. Cranelift's
/// `winch` convention has no callee-saved registers: a frame saves only the
/// values it keeps across its own calls, when it makes them. With the
/// System V convention every compiled function saved and restored up to
/// five registers on entry, even on a path that makes no call (half of all
/// calls in recursive code are such leaves). The convention returns one
/// value in a register, so functions return the payload and leave the tag
/// in `JitCtx::ret_tag`. Helpers and OSR code stay `extern "C"`.
pub const NATIVE_CC: CallConv = CallConv::Winch;

/// Where this module writes `/tmp/perf-PID.map` lines itself: with
/// `RUFF_PERF_MAP=1` (`perf_map`), unless `PERF_BUILDID_DIR` is set, in
/// which case cranelift-jit writes the same lines (`CodeModule::declare`).
/// cranelift-jit panics if it cannot open the file, so an unwritable map
/// is an error here instead: every compile is refused (`codegen`) and the
/// program runs in the interpreter.
fn perf_map_file(perf_map: bool) -> Result<Option<std::fs::File>, String> {
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot write {path}: {e}"))
    };
    if std::env::var_os("PERF_BUILDID_DIR").is_some() {
        open()?;
        return Ok(None);
    }
    Ok(if perf_map { open().ok() } else { None })
}

pub struct CodeModule {
    pub module: JITModule,
    pub call_conv: CallConv,
    pub frontend: cranelift_codegen::isa::TargetFrontendConfig,
    perf_map: Option<std::fs::File>,
    next_name: u32,
    /// Compilation contexts kept for the next unit: Cranelift reuses their
    /// allocations (the register allocator's above all).
    spare: Vec<Context>,
    spare_builder: Option<cranelift_frontend::FunctionBuilderContext>,
    /// Entry trampolines by the unboxed parameter types they pass.
    trampolines: Vec<(Vec<types::Type>, Trampoline)>,
    /// The source locations of the last function defined, `(start, end,
    /// location)` (set only with a profiler attached: `lower::prof`).
    srclocs: Vec<(u32, u32, u32)>,
}

impl CodeModule {
    pub fn new(perf_map: bool) -> Result<CodeModule, String> {
        let mut flags = settings::builder();
        // No e-graph optimization pass. The IR we build is already
        // specialized to the observed types, with constants materialized
        // where they are used and constant operands special-cased
        // (`lower::ops`); the pass made code larger and no faster and took
        // a fifth of each compile (docs/decisions.md).
        flags.set("opt_level", "none").map_err(|e| e.to_string())?;
        flags
            .set("use_colocated_libcalls", "false")
            .map_err(|e| e.to_string())?;
        flags.set("is_pic", "false").map_err(|e| e.to_string())?;
        // Every frame, leaves included, keeps a frame pointer, so `perf
        // record -g` (which walks frame pointers) shows who called native
        // code (cost: docs/decisions.md).
        flags
            .set("preserve_frame_pointers", "true")
            .map_err(|e| e.to_string())?;
        // The IR verifier roughly doubles compile time; debug builds (and
        // so the test suite's debug runs) keep it.
        let verify = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        flags
            .set("enable_verifier", verify)
            .map_err(|e| e.to_string())?;
        let isa = cranelift_native::builder()
            .map_err(|e| e.to_string())?
            .finish(settings::Flags::new(flags))
            .map_err(|e| e.to_string())?;
        let call_conv = isa.default_call_conv();
        let frontend = isa.frontend_config();
        let builder = JITBuilder::with_isa(isa, default_libcall_names());
        let perf_map = perf_map_file(perf_map)?;
        Ok(CodeModule {
            module: JITModule::new(builder),
            call_conv,
            frontend,
            perf_map,
            next_name: 0,
            spare: Vec::new(),
            spare_builder: None,
            trampolines: Vec::new(),
            srclocs: Vec::new(),
        })
    }

    /// A signature `(i64 * n_int, f64...) -> (i64, i64)` in the host ABI.
    /// Compiled Ruff functions' specialized entries, called only from
    /// native code (see `NATIVE_CC`).
    pub fn native_signature(&self, params: &[types::Type], returns: &[types::Type]) -> Signature {
        let mut sig = self.signature(params, returns);
        sig.call_conv = NATIVE_CC;
        sig
    }

    pub fn signature(&self, params: &[types::Type], returns: &[types::Type]) -> Signature {
        let mut sig = Signature::new(self.call_conv);
        sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
        sig.returns
            .extend(returns.iter().map(|t| AbiParam::new(*t)));
        sig
    }

    /// Declare a function under the name profilers show for it (e.g.
    /// `ruff:fib@bench.ruff:3`). cranelift-jit writes the names it is given
    /// to `/tmp/perf-PID.map` itself when `PERF_BUILDID_DIR` is set, as
    /// `perf record` does. A name already taken (a unit compiled again)
    /// gets a `~N` suffix: names are unique in a module.
    pub fn declare(&mut self, sig: &Signature, name: &str) -> Result<FuncId, String> {
        let mut unique = name.to_owned();
        while self.module.get_name(&unique).is_some() {
            self.next_name += 1;
            unique = format!("{name}~{}", self.next_name);
        }
        self.module
            .declare_function(&unique, Linkage::Local, sig)
            .map_err(|e| e.to_string())
    }

    /// A cleared compilation context (reused if one was given back).
    pub fn context(&mut self) -> Context {
        self.spare.pop().unwrap_or_else(Context::new)
    }

    /// Give back a context after its function was defined.
    pub fn give_back(&mut self, mut ctx: Context) {
        ctx.clear();
        self.spare.push(ctx);
    }

    /// The function builder's context, reused like `context`.
    pub fn builder_context(&mut self) -> cranelift_frontend::FunctionBuilderContext {
        self.spare_builder.take().unwrap_or_default()
    }

    pub fn give_back_builder(&mut self, fbc: cranelift_frontend::FunctionBuilderContext) {
        self.spare_builder = Some(fbc);
    }

    /// Compile a built function; returns its code size in bytes.
    pub fn define(&mut self, id: FuncId, ctx: &mut Context) -> Result<usize, String> {
        self.module.define_function(id, ctx).map_err(|e| {
            let e = format!("{e:?}");
            tracing::debug!(target: "ruff_core::jit", "code generator error: {e}");
            e
        })?;
        let size = ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
        self.srclocs.clear();
        if let Some(c) = ctx.compiled_code() {
            self.srclocs.extend(
                c.buffer
                    .get_srclocs_sorted()
                    .iter()
                    .map(|l| (l.start, l.end, l.loc.bits())),
            );
        }
        Ok(size)
    }

    /// The source locations of the function `define` compiled last.
    pub fn take_srclocs(&mut self) -> Vec<(u32, u32, u32)> {
        std::mem::take(&mut self.srclocs)
    }

    /// Make defined functions executable; returns the entry of `id`.
    pub fn finalize(&mut self, id: FuncId, size: usize) -> Result<*const u8, String> {
        self.module
            .finalize_definitions()
            .map_err(|e| e.to_string())?;
        let ptr = self.module.get_finalized_function(id);
        if let Some(f) = &mut self.perf_map {
            let name = self
                .module
                .declarations()
                .get_function_decl(id)
                .linkage_name(id);
            let _ = writeln!(f, "{:x} {:x} {}", ptr as usize, size, name);
        }
        Ok(ptr)
    }

    /// How Rust calls compiled functions whose unboxed parameters have
    /// types `params`: in registers (`entry::call_in_registers`) where
    /// they fit, else through a trampoline compiled on first use.
    pub fn entry(&mut self, params: &[types::Type]) -> Result<Entry, String> {
        match Entry::in_registers(params.iter().map(|t| t.is_float())) {
            Some(e) => Ok(e),
            None => self.trampoline(params).map(Entry::Trampoline),
        }
    }

    /// The trampoline through which Rust calls compiled functions whose
    /// unboxed parameters have types `params` (compiled on first use).
    /// Rust checks and unboxes the arguments itself (`jit::enter_at`); one
    /// small function per parameter shape replaces an entry per compiled
    /// function, which halves the code generator's work for small ones.
    fn trampoline(&mut self, params: &[types::Type]) -> Result<Trampoline, String> {
        if let Some((_, t)) = self.trampolines.iter().find(|(p, _)| p == params) {
            return Ok(*t);
        }
        // Compiled between a unit's `define` and its `finalize`: keep that
        // unit's source locations.
        let unit_srclocs = std::mem::take(&mut self.srclocs);
        let t = self.compile_trampoline(params);
        self.srclocs = unit_srclocs;
        let t = t?;
        self.trampolines.push((params.to_vec(), t));
        Ok(t)
    }

    fn compile_trampoline(&mut self, params: &[types::Type]) -> Result<Trampoline, String> {
        let i64t = types::I64;
        let sig = self.signature(&[i64t; 5], &[i64t, i64t]);
        let id = self.declare(&sig, "ruff:entry-trampoline")?;
        let mut ctx = self.context();
        ctx.func.signature = sig;
        let mut fbc = self.builder_context();
        let mut spec_params = vec![i64t; 4];
        spec_params.extend_from_slice(params);
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let spec_sig = b.import_signature(self.native_signature(&spec_params, &[i64t]));
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let &[cx, closure, base, spec, unboxed] = b.block_params(entry) else {
            unreachable!("five parameters")
        };
        // The caller's shadow entry is the top one (`JitCtx::top`).
        let top = b.ins().load(i64t, MemFlags::trusted(), cx, off::TOP);
        let mut args = vec![cx, closure, base, top];
        for (i, ty) in params.iter().enumerate() {
            let v = b
                .ins()
                .load(*ty, MemFlags::trusted(), unboxed, (i * 8) as i32);
            args.push(v);
        }
        let call = b.ins().call_indirect(spec_sig, spec, &args);
        let payload = b.inst_results(call)[0];
        let tag = b.ins().load(i64t, MemFlags::trusted(), cx, off::RET_TAG);
        b.ins().return_(&[tag, payload]);
        b.seal_all_blocks();
        b.finalize(self.frontend);
        let size = self.define(id, &mut ctx)?;
        self.give_back(ctx);
        self.give_back_builder(fbc);
        let ptr = self.finalize(id, size)?;
        // SAFETY: finalized code with the `Trampoline` signature.
        Ok(unsafe { std::mem::transmute::<*const u8, Trampoline>(ptr) })
    }
}
