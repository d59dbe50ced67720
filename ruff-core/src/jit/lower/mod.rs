//! Bytecode → Cranelift IR, by abstract interpretation of the stack machine.
//! The operand stack is an abstract stack of `Sv`: unboxed SSA values for
//! ints, floats and bools, constants materialized lazily, and `Boxed` for
//! values living in their VM stack slot (exactly where the interpreter would
//! keep them). Typed locals are Cranelift `Variable`s; `Any` locals stay in
//! their slots. Types come from `types::analyze`.
//!
//! Two kinds of units: a function (method JIT; a specialized entry with
//! unboxed parameters plus a generic entry the interpreter calls), and a
//! loop compiled from its header for on-stack replacement (OSR), entered
//! with the frame's current locals.

// Exit descriptors are boxed one by one: compiled code holds their
// addresses, which must not move when the vector grows.
#![allow(clippy::vec_box)]

use std::rc::Rc;

use cranelift_codegen::ir::{types as t, Block, FuncRef, SigRef, Type, Value as V};
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_module::Module;

use crate::bytecode::{FuncProto, Op};
use crate::runtime::shadow::{NativeLayout, ShadowStack};
use crate::runtime::value::{Closure, Value};
use crate::runtime::vm::Vm;

use super::ctx::tag;
use super::exits::ExitInfo;
use super::refusal::Refusal;
use super::types::{analyze, Analysis, Env, Ty};
use super::{CompiledFn, CompiledLoop, UnitStats};

type Fail = (Refusal, usize);

/// An operand stack entry during lowering.
#[derive(Clone, Copy, Debug)]
enum Sv {
    I(V),
    F(V),
    /// 0 or 1 in an i64.
    B(V),
    Null,
    /// In its VM stack slot.
    Boxed,
    Const(u32),
    /// The function in global `g` (not loaded yet: a direct call needs none).
    Func(u32),
    Builtin(u16),
    /// The current value of (defined) global `g`, not copied to a slot yet:
    /// inline paths read it in place. Copied before any instruction that
    /// could change the global (`pin_lazy`).
    LazyGlobal(u32),
    /// The current value of local slot `s` (an untyped local), likewise.
    LazyLocal(u32),
}

impl Sv {
    /// What native code knows statically about this entry's value.
    fn ty(&self) -> Ty {
        match self {
            Sv::I(_) => Ty::Int,
            Sv::F(_) => Ty::Float,
            Sv::B(_) => Ty::Bool,
            Sv::Null => Ty::Null,
            _ => Ty::Any,
        }
    }
}

/// What a call site knows about a callee bound to a global.
#[derive(Clone)]
struct Callee {
    closure: *const Closure,
    arity: usize,
    /// `None`: the function being compiled (a self-recursive call).
    code: Option<Rc<CompiledFn>>,
    /// A call through a variable: the prototype the interpreter saw called
    /// (the guard checks the callee's; `closure` is then read at run time).
    ic: Option<*const FuncProto>,
}

struct Unit<'a> {
    vm: &'a Vm,
    proto: &'a Rc<FuncProto>,
    an: Analysis,
    osr: bool,
    promoted: Vec<(u32, usize)>,
    /// Promoted globals that are assigned in the unit (written back at exits).
    dirty_globals: Vec<bool>,
    /// OSR code: the frame's slots its code never writes. Their VM slots
    /// keep the values native code read at entry, so exits need not write
    /// them back (for a loop nest at top level, most of an exit's stores).
    kept_slots: Vec<bool>,
    callees: Vec<(u32, Callee)>,
    self_params: Vec<Ty>,
    stats: Rc<UnitStats>,
    telemetry: bool,
    stress: bool,
    /// A profiler's shadow stack to keep current (`prof.rs`).
    prof: Option<NativeLayout>,
}

/// Compile a function for the interpreter's argument types `args`.
pub(crate) fn compile_method(
    vm: &mut Vm,
    proto: &Rc<FuncProto>,
    args: &[Ty],
    generic: bool,
) -> Result<(CompiledFn, usize), Fail> {
    let proto = proto.clone();
    let n = proto.num_slots as usize;
    let mut entry = vec![Ty::Bot; n];
    let mut null = vec![true; n];
    for (i, a) in args.iter().enumerate().take(n) {
        // A parameter is never specialized to `null`: code that assumed it
        // would be useless for every later call with a real value.
        entry[i] = if generic || *a == Ty::Null {
            Ty::Any
        } else {
            *a
        };
        null[i] = false;
    }
    // Compile the functions this one calls first, so calls to them can be
    // direct native calls.
    let first = analyze_unit(vm, &proto, 0, &entry, &null, &[], generic, None, Ty::Bot)?;
    let units = vm.jit.units.len();
    precompile_callees(vm, &proto, &first);
    // A recursive call's result type: assume what the other returns give,
    // then check the assumption holds. (The first analysis stands unless
    // callees were compiled since: their result types are known now.)
    let mut self_ret = Ty::Bot;
    let mut an = if vm.jit.units.len() == units {
        first
    } else {
        analyze_unit(vm, &proto, 0, &entry, &null, &[], generic, None, self_ret)?
    };
    if an.ret != self_ret {
        self_ret = if an.ret.is_unboxed() { an.ret } else { Ty::Any };
        an = analyze_unit(vm, &proto, 0, &entry, &null, &[], generic, None, self_ret)?;
        if an.ret != self_ret {
            an = analyze_unit(vm, &proto, 0, &entry, &null, &[], generic, None, Ty::Any)?;
        }
    }
    let stats = Rc::new(UnitStats {
        proto: proto.clone(),
        loop_index: None,
        exits: Default::default(),
        native_entries: Default::default(),
        generic,
    });
    let params: Vec<Ty> = an.locals[..super::param_count(&proto)].to_vec();
    let mut cm = vm.jit.take_module().map_err(|_| (Refusal::Codegen, 0))?;
    let unit = Unit {
        vm,
        proto: &proto,
        callees: callees(vm, &proto),
        an,
        osr: false,
        promoted: Vec::new(),
        dirty_globals: Vec::new(),
        kept_slots: Vec::new(),
        self_params: params.clone(),
        stats: stats.clone(),
        telemetry: vm.jit.counts(),
        stress: vm.jit.tools.stress_exits > 0,
        prof: vm.shadow.as_deref().map(ShadowStack::native_layout),
    };
    let ret = unit.an.ret;
    let dump = vm.jit.tools.dump_ir;
    let perf = format!("ruff:{}@{}:{}", proto.name, vm.source().name, proto.line);
    let r = build_method(&unit, &mut cm, &params, dump, &perf);
    let keep = unit.keep_alive();
    vm.jit.put_module(cm);
    vm.jit.keep.extend(keep);
    let (spec, spec_id, enter, exits, size) = r?;
    Ok((
        CompiledFn {
            spec,
            spec_id,
            enter,
            params,
            ret,
            stats,
            exits,
        },
        size,
    ))
}

type Built = (
    *const u8,
    cranelift_module::FuncId,
    super::entry::Entry,
    Vec<Box<ExitInfo>>,
    usize,
);

fn build_method(
    unit: &Unit,
    module: &mut super::module::CodeModule,
    params: &[Ty],
    dump: bool,
    perf: &str,
) -> Result<Built, Fail> {
    // (ctx, closure, base, caller's shadow entry, unboxed parameters...)
    let mut sig_params = vec![t::I64, t::I64, t::I64, t::I64];
    sig_params.extend(params.iter().filter(|p| p.is_unboxed()).map(|p| cl_ty(*p)));
    let spec_sig = module.native_signature(&sig_params, &[t::I64]);
    let spec_id = module
        .declare(&spec_sig, perf)
        .map_err(|_| (Refusal::Codegen, 0))?;
    let mut ctx = module.context();
    ctx.func.signature = spec_sig.clone();
    let mut fbc = module.builder_context();
    let self_ref = module.module.declare_func_in_func(spec_id, &mut ctx.func);
    let exits = {
        let b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let mut l = Lower::new(b, unit, Some(self_ref), module.call_conv);
        l.method_body(params)?;
        l.finish(module.frontend)
    };
    if dump {
        eprintln!(
            "; jit-ir {} (specialized entry)\n{}",
            perf,
            ctx.func.display()
        );
    }
    let size = module
        .define(spec_id, &mut ctx)
        .map_err(|_| (Refusal::Codegen, 0))?;
    let enter = module
        .entry(&sig_params[4..])
        .map_err(|_| (Refusal::Codegen, 0))?;
    module.give_back(ctx);
    module.give_back_builder(fbc);
    let spec = module
        .finalize(spec_id, size)
        .map_err(|_| (Refusal::Codegen, 0))?;
    prof::register_code(unit, module, spec, size);
    Ok((spec, spec_id, enter, exits, size))
}

/// Compile the code of `c`'s function from the header of loop `li`, for
/// the current values of the frame's locals.
pub(crate) fn compile_osr(
    vm: &mut Vm,
    c: &Rc<Closure>,
    li: usize,
    generic: bool,
) -> Result<(CompiledLoop, usize), Fail> {
    let proto = c.proto.clone();
    let info = &proto.loops[li];
    let header = info.header as usize;
    let range = (header, info.exit as usize);
    let base = vm.frames().last().expect("a frame").base;
    let n = proto.num_slots as usize;
    let mut entry = Vec::with_capacity(n);
    let mut null = Vec::with_capacity(n);
    for v in &vm.stack()[base..base + n] {
        let ty = Ty::of_value(v);
        null.push(ty == Ty::Null);
        entry.push(match ty {
            Ty::Null => Ty::Bot,
            _ if generic => Ty::Any,
            t => t,
        });
    }
    // Globals with an unboxed value live in registers in the loop.
    let mut promoted: Vec<(u32, usize)> = Vec::new();
    // Only the loop's own code matters: native code runs nothing else, and
    // each promoted global costs an entry guard and a write at every exit.
    let loop_code = &proto.code[range.0..range.1];
    let mut path_globals = Vec::new();
    for op in loop_code {
        if let Op::StorePath(p) = op {
            if let crate::bytecode::VarRef::Global(g) = proto.paths[*p as usize].var {
                path_globals.push(g);
            }
        }
    }
    for op in loop_code {
        let g = match *op {
            Op::LoadGlobal(g) | Op::StoreGlobal(g) => Some(g),
            Op::UpdateVar(u) => match proto.updates[u as usize].var {
                crate::bytecode::VarRef::Global(g) => Some(g),
                _ => None,
            },
            _ => None,
        };
        if let Some(g) = g {
            let typed = matches!(
                vm.globals()[g as usize],
                Some(Value::Int(_) | Value::Float(_) | Value::Bool(_))
            );
            if typed
                && !generic
                && !path_globals.contains(&g)
                && !promoted.iter().any(|(pg, _)| *pg == g)
            {
                promoted.push((g, n + promoted.len()));
            }
        }
    }
    let first = loop {
        let an = analyze_osr(
            vm,
            &proto,
            header,
            range,
            (&entry, &null),
            &promoted,
            generic,
        )?;
        let bad: Vec<u32> = promoted
            .iter()
            .filter(|(_, i)| !an.locals[*i].is_unboxed())
            .map(|(g, _)| *g)
            .collect();
        if bad.is_empty() {
            break an;
        }
        promoted.retain(|(g, _)| !bad.contains(g));
        for (k, p) in promoted.iter_mut().enumerate() {
            p.1 = n + k;
        }
    };
    let units = vm.jit.units.len();
    precompile_callees(vm, &proto, &first);
    // Compiled callees may return known types now; else `first` stands.
    let an = if vm.jit.units.len() == units {
        first
    } else {
        analyze_osr(
            vm,
            &proto,
            header,
            range,
            (&entry, &null),
            &promoted,
            generic,
        )?
    };
    if promoted.iter().any(|(_, i)| !an.locals[*i].is_unboxed()) {
        return Err((Refusal::Internal, header));
    }
    let dirty_globals = promoted
        .iter()
        .map(|(g, _)| {
            loop_code
                .iter()
                .any(|op| matches!(op, Op::StoreGlobal(x) if x == g))
        })
        .collect();
    let stats = Rc::new(UnitStats {
        proto: proto.clone(),
        loop_index: Some(li),
        exits: Default::default(),
        native_entries: Default::default(),
        generic,
    });
    let mut cm = vm
        .jit
        .take_module()
        .map_err(|_| (Refusal::Codegen, header))?;
    let unit = Unit {
        vm,
        proto: &proto,
        callees: callees(vm, &proto),
        an,
        osr: true,
        promoted,
        dirty_globals,
        kept_slots: kept_slots(&proto, loop_code),
        self_params: Vec::new(),
        stats: stats.clone(),
        telemetry: vm.jit.counts(),
        stress: vm.jit.tools.stress_exits > 0,
        prof: vm.shadow.as_deref().map(ShadowStack::native_layout),
    };
    let dump = vm.jit.tools.dump_ir;
    let line = info.header_line;
    let perf = format!(
        "ruff:{}@{}:{}#loop{}",
        proto.name,
        vm.source().name,
        line,
        li
    );
    let r = build_osr(&unit, &mut cm, header, &null, dump, &perf);
    let keep = unit.keep_alive();
    vm.jit.put_module(cm);
    vm.jit.keep.extend(keep);
    let (entry_fn, checks, exits, size) = r?;
    Ok((
        CompiledLoop {
            entry: entry_fn,
            checks,
            stats,
            exits,
        },
        size,
    ))
}

/// The slots of `proto`'s frame that no instruction of `code` writes.
fn kept_slots(proto: &FuncProto, code: &[Op]) -> Vec<bool> {
    use crate::bytecode::VarRef;
    let mut kept = vec![true; proto.num_slots as usize];
    let mut write = |s: u16, n: usize| {
        for k in s as usize..s as usize + n {
            if let Some(x) = kept.get_mut(k) {
                *x = false;
            }
        }
    };
    for op in code {
        match *op {
            Op::StoreLocal(s) | Op::StoreNewCell(s) | Op::StoreCell(s) => write(s, 1),
            // Their state slots (at most four, from `s`).
            Op::IterPrep(s) | Op::IterNext(s, _) | Op::RangePrep(s) | Op::RangeNext(s, _) => {
                write(s, 4)
            }
            Op::UpdateVar(u) => {
                if let VarRef::Local(s) = proto.updates[u as usize].var {
                    write(s, 1)
                }
            }
            Op::StorePath(p) => {
                if let VarRef::Local(s) = proto.paths[p as usize].var {
                    write(s, 1)
                }
            }
            _ => {}
        }
    }
    kept
}

#[allow(clippy::type_complexity)]
fn build_osr(
    unit: &Unit,
    module: &mut super::module::CodeModule,
    header: usize,
    null: &[bool],
    dump: bool,
    perf: &str,
) -> Result<
    (
        super::code_cache::GenericEntry,
        Vec<super::EntryCheck>,
        Vec<Box<ExitInfo>>,
        usize,
    ),
    Fail,
> {
    let sig = module.signature(&[t::I64; 4], &[t::I64, t::I64]);
    let id = module
        .declare(&sig, perf)
        .map_err(|_| (Refusal::Codegen, header))?;
    let mut ctx = module.context();
    ctx.func.signature = sig;
    let mut fbc = module.builder_context();
    let (checks, exits) = {
        let b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let mut l = Lower::new(b, unit, None, module.call_conv);
        let checks = l.osr_body(header, null)?;
        (checks, l.finish(module.frontend))
    };
    if dump {
        eprintln!("; jit-ir {}\n{}", perf, ctx.func.display());
    }
    let size = module
        .define(id, &mut ctx)
        .map_err(|_| (Refusal::Codegen, header))?;
    module.give_back(ctx);
    module.give_back_builder(fbc);
    let ptr = module
        .finalize(id, size)
        .map_err(|_| (Refusal::Codegen, header))?;
    prof::register_code(unit, module, ptr, size);
    // SAFETY: finalized code with the `GenericEntry` signature.
    let entry_fn: super::code_cache::GenericEntry = unsafe { std::mem::transmute(ptr) };
    Ok((entry_fn, checks, exits, size))
}

/// `analyze_unit` for the OSR unit of the loop at `header` (`range`):
/// the frame's local types and nulls (`locals`), then the promoted
/// globals' current types as extra variables.
fn analyze_osr(
    vm: &Vm,
    proto: &Rc<FuncProto>,
    header: usize,
    range: (usize, usize),
    locals: (&[Ty], &[bool]),
    promoted: &[(u32, usize)],
    generic: bool,
) -> Result<Analysis, Fail> {
    let mut entry = locals.0.to_vec();
    let mut null = locals.1.to_vec();
    for (g, _) in promoted {
        entry.push(Ty::of_value(
            vm.globals()[*g as usize].as_ref().expect("typed"),
        ));
        null.push(false);
    }
    let range = Some(range);
    analyze_unit(
        vm,
        proto,
        header,
        &entry,
        &null,
        promoted,
        generic,
        range,
        Ty::Any,
    )
}

#[allow(clippy::too_many_arguments)]
fn analyze_unit(
    vm: &Vm,
    proto: &Rc<FuncProto>,
    start: usize,
    entry: &[Ty],
    null: &[bool],
    promoted: &[(u32, usize)],
    generic: bool,
    loop_range: Option<(usize, usize)>,
    self_ret: Ty,
) -> Result<Analysis, Fail> {
    let func_global = |g: u32| super::global_func(vm, g).is_some();
    let call_ret = |g: u32| match super::global_func(vm, g) {
        Some(c) if Rc::ptr_eq(&c.proto, proto) => self_ret,
        Some(c) => vm
            .jit
            .cache
            .of(&c.proto)
            .code
            .borrow()
            .as_ref()
            .map_or(Ty::Any, |code| code.ret),
        None => Ty::Any,
    };
    let env = Env {
        generic,
        promoted,
        func_global: &func_global,
        call_ret: &call_ret,
        loop_range,
    };
    analyze(proto, start, entry, null, &env)
}

/// Compile (for the argument types seen by the analysis) the cold functions
/// called through globals, so the calls can be direct.
fn precompile_callees(vm: &mut Vm, proto: &Rc<FuncProto>, an: &Analysis) {
    precompile_methods(vm, proto, an);
    for (ip, op) in proto.code.iter().enumerate() {
        let (Op::Call(argc), Some(st)) = (op, &an.states[ip]) else {
            continue;
        };
        let argc = *argc as usize;
        if st.stack.len() < argc + 1 {
            continue;
        }
        let Ty::Func(g) = st.stack[st.stack.len() - argc - 1] else {
            precompile_target(vm, proto, ip, argc, &st.stack[st.stack.len() - argc..]);
            continue;
        };
        let Some(c) = super::global_func(vm, g) else {
            continue;
        };
        if Rc::ptr_eq(&c.proto, proto)
            || vm.jit.cache.of(&c.proto).tier.get() != super::Tier::Cold
            || c.proto.arity as usize != argc
            || !c.proto.captures.is_empty()
        {
            continue;
        }
        let args: Vec<Ty> = st.stack[st.stack.len() - argc..]
            .iter()
            .map(|t| if t.is_unboxed() { *t } else { Ty::Any })
            .collect();
        super::compile_function(vm, &c.proto, &args, c.proto.feedback.calls.get());
    }
}

/// The function a call through a variable called in the interpreter (see
/// `Callee::ic`), compiled for the argument types `args` if still cold.
fn precompile_target(vm: &mut Vm, proto: &Rc<FuncProto>, ip: usize, argc: usize, args: &[Ty]) {
    let Some(t) = proto.feedback.target(ip) else {
        return;
    };
    // SAFETY: `t` was a live prototype of this program when recorded, and
    // prototypes live as long as the program (the VM holds `main`).
    let tp = unsafe {
        Rc::increment_strong_count(t);
        Rc::from_raw(t)
    };
    if Rc::ptr_eq(&tp, proto)
        || tp.is_method
        || tp.arity as usize != argc
        || vm.jit.cache.of(&tp).tier.get() != super::Tier::Cold
    {
        return;
    }
    let args: Vec<Ty> = args
        .iter()
        .map(|t| if t.is_unboxed() { *t } else { Ty::Any })
        .collect();
    super::compile_function(vm, &tp, &args, tp.feedback.calls.get());
}

/// Likewise for the struct methods called (see `methods::method_target`).
fn precompile_methods(vm: &mut Vm, proto: &Rc<FuncProto>, an: &Analysis) {
    for (ip, op) in proto.code.iter().enumerate() {
        let (Op::CallMethod(k, argc) | Op::CallMethodWb(k, argc), Some(st)) = (op, &an.states[ip])
        else {
            continue;
        };
        let (argc, wb) = (*argc as usize, matches!(op, Op::CallMethodWb(..)));
        let Value::Str(name) = &proto.consts[*k as usize] else {
            continue;
        };
        if st.stack.len() < argc + 1 {
            continue;
        }
        let Some(def) = methods::method_target(vm, name, argc, None) else {
            continue;
        };
        let Some(m) = def.method(name) else { continue };
        if Rc::ptr_eq(&m.proto, proto)
            || vm.jit.cache.of(&m.proto).tier.get() != super::Tier::Cold
            || (wb && !super::seam::keeps_self(vm, &m.proto))
        {
            continue;
        }
        let mut args = vec![Ty::Any];
        args.extend(st.stack[st.stack.len() - argc..].iter().map(|t| {
            if t.is_unboxed() {
                *t
            } else {
                Ty::Any
            }
        }));
        let mp = m.proto.clone();
        super::compile_function(vm, &mp, &args, mp.feedback.calls.get());
    }
}

/// Functions bound to the globals this function loads.
fn callees(vm: &Vm, proto: &Rc<FuncProto>) -> Vec<(u32, Callee)> {
    let mut out: Vec<(u32, Callee)> = Vec::new();
    for op in &proto.code {
        if let Op::LoadGlobal(g) = *op {
            if out.iter().any(|(x, _)| *x == g) {
                continue;
            }
            if let Some(c) = super::global_func(vm, g) {
                let code = if Rc::ptr_eq(&c.proto, proto) {
                    None
                } else {
                    match vm.jit.cache.of(&c.proto).code.borrow().clone() {
                        Some(code) => Some(code),
                        None => continue,
                    }
                };
                out.push((
                    g,
                    Callee {
                        closure: Rc::as_ptr(&c),
                        arity: c.proto.arity as usize,
                        code,
                        ic: None,
                    },
                ));
            }
        }
    }
    out
}

impl Unit<'_> {
    /// Direct calls pass callee closures by address: the code cache keeps
    /// them alive even if their global is rebound.
    fn keep_alive(&self) -> Vec<Rc<Closure>> {
        self.callees
            .iter()
            .filter_map(|(g, _)| super::global_func(self.vm, *g))
            .collect()
    }
}

fn cl_ty(t: Ty) -> Type {
    if t == Ty::Float {
        t::F64
    } else {
        t::I64
    }
}

fn tag_of(t: Ty) -> u64 {
    match t {
        Ty::Int => tag::INT,
        Ty::Float => tag::FLOAT,
        Ty::Bool => tag::BOOL,
        _ => tag::NULL,
    }
}

/// An exit's writes and the unboxed values they take (`exits::Write`).
#[derive(Default)]
pub(super) struct ExitPlan {
    writes: Vec<super::exits::Write>,
    vals: Vec<V>,
}

/// Where the current values of promoted globals are: normally in their
/// registers; in memory from `flush_globals` (before user code that may
/// change them) until `reload_globals`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum GlobalsAt {
    Registers,
    Memory,
}

/// The shared error paths, one per `GlobalsAt`: the registers one writes
/// promoted globals back, the memory one leaves them, since memory holds
/// what the callee may have stored.
#[derive(Default)]
struct ErrPaths {
    registers: Option<Block>,
    memory: Option<Block>,
}

impl ErrPaths {
    fn get(&mut self, at: GlobalsAt) -> &mut Option<Block> {
        match at {
            GlobalsAt::Registers => &mut self.registers,
            GlobalsAt::Memory => &mut self.memory,
        }
    }
}

struct Lower<'a, 'u> {
    b: FunctionBuilder<'a>,
    u: &'u Unit<'u>,
    cc: cranelift_codegen::isa::CallConv,
    self_ref: Option<FuncRef>,
    cx: V,
    cl: V,
    base: V,
    shadow: V,
    vars: Vec<Option<Variable>>,
    blocks: Vec<Option<Block>>,
    stack: Vec<Sv>,
    sigs: Vec<(Vec<Type>, Vec<Type>, SigRef)>,
    exits: Vec<Box<ExitInfo>>,
    /// The shared error paths (created on first use).
    err_paths: ErrPaths,
    /// Whether this frame's VM stack slots may hold heap values, as a
    /// Cranelift variable (0/1) so that the answer follows the path taken:
    /// a helper call or an inline heap copy into a slot sets it, and a
    /// `Return` calls `release` only when it is set. Frames whose hot path
    /// calls no helper (recursive fib) then return without a call.
    dirty: Option<Variable>,
    /// Whether the frame starts with heap values in its slots.
    dirty_on_entry: bool,
    /// `iconst 1` in the entry block (dominates every `mark_dirty`).
    one: Option<V>,
    /// Method code: its frame record is written (from the prologue on;
    /// a profiler's sampler then sees the frame until `ret` clears it).
    record_written: bool,
    /// On the current path, `JitCtx::fn_epoch` was checked and nothing
    /// since could have rebound a global: a direct call needs no new check.
    /// Cleared at every jump target and helper call; kept across a direct
    /// call of this unit to itself when its code cannot rebind globals.
    epoch_checked: bool,
    /// Where promoted globals are on the current path: while in memory, an
    /// exit (a failed guard on a call's result) or an error must not write
    /// the registers' stale copies back.
    globals_at: GlobalsAt,
    /// The stack slot exits pass their unboxed values in (one per frame,
    /// as big as the largest exit needs).
    exit_area: Option<cranelift_codegen::ir::StackSlot>,
    /// The `Return` being lowered leaves a heap result in a slot.
    heap_result: bool,
    nslots: usize,
    /// With a profiler: this frame's shadow-stack slot and line plan.
    prof: Option<prof::ProfState>,
    /// While inlining a callee's pure paths (`pure_inline.rs`): where a
    /// path goes instead of an exit (the real call).
    bail: Option<Block>,
    /// The unit's shared exit (`Lower::exit_block`).
    exit_block: Option<Block>,
    /// Some path may set `dirty`; if none can, `finish` turns the
    /// `release_checks` (each a branch on `dirty` and the block after the
    /// release) into jumps.
    ever_dirty: bool,
    release_checks: Vec<(cranelift_codegen::ir::Inst, Block)>,
}

mod body;
mod builder;
mod calls;
mod inline;
mod methods;
mod ops;
mod prof;
mod pure_inline;
