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

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types as t, Block, BlockArg, FuncRef, InstBuilder, MemFlagsData as MemFlags, SigRef, Type,
    Value as V,
};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::Module;

use crate::bytecode::{FuncProto, Op};
use crate::runtime::value::{Closure, Value};
use crate::runtime::vm::{Vm, INTERRUPTED};

use super::ctx::{off, tag};
use super::exits::{self, ExitInfo, ExitReason};
use super::helpers as h;
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
}

/// What a call site knows about a callee bound to a global.
#[derive(Clone)]
struct Callee {
    closure: *const Closure,
    arity: usize,
    /// `None`: the function being compiled (a self-recursive call).
    code: Option<Rc<CompiledFn>>,
}

struct Unit<'a> {
    vm: &'a Vm,
    proto: &'a Rc<FuncProto>,
    an: Analysis,
    osr: bool,
    promoted: Vec<(u32, usize)>,
    /// Promoted globals that are assigned in the unit (written back at exits).
    dirty_globals: Vec<bool>,
    callees: Vec<(u32, Callee)>,
    self_params: Vec<Ty>,
    stats: Rc<UnitStats>,
    telemetry: bool,
    stress: bool,
}

/// Compile a function for the interpreter's argument types `args`.
pub(crate) fn compile_method(
    vm: &mut Vm,
    c: &Rc<Closure>,
    args: &[Ty],
    generic: bool,
) -> Result<(CompiledFn, usize), Fail> {
    let proto = c.proto.clone();
    let n = proto.num_slots as usize;
    let mut entry = vec![Ty::Bot; n];
    let mut null = vec![true; n];
    for (i, a) in args.iter().enumerate().take(n) {
        entry[i] = if generic { Ty::Any } else { *a };
        null[i] = false;
    }
    // Compile the functions this one calls first, so calls to them can be
    // direct native calls.
    let first = analyze_unit(vm, &proto, 0, &entry, &null, &[], generic, None, Ty::Bot)?;
    precompile_callees(vm, &proto, &first);
    // A recursive call's result type: assume what the other returns give,
    // then check the assumption holds.
    let mut self_ret = Ty::Bot;
    let mut an = analyze_unit(vm, &proto, 0, &entry, &null, &[], generic, None, self_ret)?;
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
    let params: Vec<Ty> = an.locals[..proto.arity as usize].to_vec();
    let mut cm = vm.jit.take_module().map_err(|_| (Refusal::Codegen, 0))?;
    let unit = Unit {
        vm,
        proto: &proto,
        callees: callees(vm, &proto),
        an,
        osr: false,
        promoted: Vec::new(),
        dirty_globals: Vec::new(),
        self_params: params.clone(),
        stats: stats.clone(),
        telemetry: vm.jit.telemetry.enabled(),
        stress: vm.jit.tools.stress_exits > 0,
    };
    let ret = unit.an.ret;
    let dump = vm.jit.tools.dump_ir;
    let perf = format!("ruff:{}@{}:{}", proto.name, vm.source().name, proto.line);
    let r = build_method(&unit, &mut cm, &params, dump, &perf);
    let keep = unit.keep_alive();
    vm.jit.put_module(cm);
    vm.jit.keep.extend(keep);
    let (spec, spec_id, generic_fn, exits, size) = r?;
    Ok((
        CompiledFn {
            spec,
            spec_id,
            generic: generic_fn,
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
    super::feedback::GenericEntry,
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
    let mut sig_params = vec![t::I64, t::I64, t::I64];
    sig_params.extend(params.iter().filter(|p| p.is_unboxed()).map(|p| cl_ty(*p)));
    let spec_sig = module.signature(&sig_params, &[t::I64, t::I64]);
    let spec_id = module
        .declare(&spec_sig)
        .map_err(|_| (Refusal::Codegen, 0))?;
    let mut ctx = Context::new();
    ctx.func.signature = spec_sig.clone();
    let mut fbc = FunctionBuilderContext::new();
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
    // The generic entry: check the parameters' types, unbox, call.
    let gen_sig = module.signature(&[t::I64, t::I64, t::I64], &[t::I64, t::I64]);
    let gen_id = module
        .declare(&gen_sig)
        .map_err(|_| (Refusal::Codegen, 0))?;
    let mut gctx = Context::new();
    gctx.func.signature = gen_sig;
    let spec_ref = module.module.declare_func_in_func(spec_id, &mut gctx.func);
    generic_entry(&mut gctx, &mut fbc, params, spec_ref, module);
    let gsize = module
        .define(gen_id, &mut gctx)
        .map_err(|_| (Refusal::Codegen, 0))?;
    let spec = module
        .finalize(spec_id, size, perf)
        .map_err(|_| (Refusal::Codegen, 0))?;
    let gen_ptr = module
        .finalize(gen_id, gsize, &format!("{perf}#entry"))
        .map_err(|_| (Refusal::Codegen, 0))?;
    // SAFETY: finalized code with the `GenericEntry` signature.
    let generic_fn: super::feedback::GenericEntry = unsafe { std::mem::transmute(gen_ptr) };
    Ok((spec, spec_id, generic_fn, exits, size + gsize))
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
    let base = vm.frames.last().expect("a frame").base;
    let n = proto.num_slots as usize;
    let mut entry = Vec::with_capacity(n);
    let mut null = Vec::with_capacity(n);
    for v in &vm.stack[base..base + n] {
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
    let mut path_globals = Vec::new();
    for op in &proto.code {
        if let Op::StorePath(p) = op {
            if let crate::bytecode::VarRef::Global(g) = proto.paths[*p as usize].var {
                path_globals.push(g);
            }
        }
    }
    for op in &proto.code {
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
                vm.globals[g as usize],
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
        let mut e = entry.clone();
        let mut nl = null.clone();
        for (g, _) in &promoted {
            e.push(Ty::of_value(
                vm.globals[*g as usize].as_ref().expect("typed"),
            ));
            nl.push(false);
        }
        let an = analyze_unit(
            vm,
            &proto,
            header,
            &e,
            &nl,
            &promoted,
            generic,
            Some(range),
            Ty::Any,
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
    precompile_callees(vm, &proto, &first);
    let mut e = entry.clone();
    let mut nl = null.clone();
    for (g, _) in &promoted {
        e.push(Ty::of_value(
            vm.globals[*g as usize].as_ref().expect("typed"),
        ));
        nl.push(false);
    }
    let an = analyze_unit(
        vm,
        &proto,
        header,
        &e,
        &nl,
        &promoted,
        generic,
        Some(range),
        Ty::Any,
    )?;
    if promoted.iter().any(|(_, i)| !an.locals[*i].is_unboxed()) {
        return Err((Refusal::Internal, header));
    }
    let dirty_globals = promoted
        .iter()
        .map(|(g, _)| {
            proto
                .code
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
        self_params: Vec::new(),
        stats: stats.clone(),
        telemetry: vm.jit.telemetry.enabled(),
        stress: vm.jit.tools.stress_exits > 0,
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
    let (entry_fn, exits, size) = r?;
    Ok((
        CompiledLoop {
            entry: entry_fn,
            stats,
            exits,
        },
        size,
    ))
}

#[allow(clippy::type_complexity)]
fn build_osr(
    unit: &Unit,
    module: &mut super::module::CodeModule,
    header: usize,
    null: &[bool],
    dump: bool,
    perf: &str,
) -> Result<(super::feedback::GenericEntry, Vec<Box<ExitInfo>>, usize), Fail> {
    let sig = module.signature(&[t::I64, t::I64, t::I64], &[t::I64, t::I64]);
    let id = module
        .declare(&sig)
        .map_err(|_| (Refusal::Codegen, header))?;
    let mut ctx = Context::new();
    ctx.func.signature = sig;
    let mut fbc = FunctionBuilderContext::new();
    let exits = {
        let b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let mut l = Lower::new(b, unit, None, module.call_conv);
        l.osr_body(header, null)?;
        l.finish(module.frontend)
    };
    if dump {
        eprintln!("; jit-ir {}\n{}", perf, ctx.func.display());
    }
    let size = module
        .define(id, &mut ctx)
        .map_err(|_| (Refusal::Codegen, header))?;
    let ptr = module
        .finalize(id, size, perf)
        .map_err(|_| (Refusal::Codegen, header))?;
    // SAFETY: finalized code with the `GenericEntry` signature.
    let entry_fn: super::feedback::GenericEntry = unsafe { std::mem::transmute(ptr) };
    Ok((entry_fn, exits, size))
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
        Some(c) => c
            .proto
            .jit
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
    for (ip, op) in proto.code.iter().enumerate() {
        let (Op::Call(argc), Some(st)) = (op, &an.states[ip]) else {
            continue;
        };
        let argc = *argc as usize;
        if st.stack.len() < argc + 1 {
            continue;
        }
        let Ty::Func(g) = st.stack[st.stack.len() - argc - 1] else {
            continue;
        };
        let Some(c) = super::global_func(vm, g) else {
            continue;
        };
        if Rc::ptr_eq(&c.proto, proto)
            || c.proto.jit.tier.get() != super::Tier::Cold
            || c.proto.arity as usize != argc
            || !c.proto.captures.is_empty()
        {
            continue;
        }
        let args: Vec<Ty> = st.stack[st.stack.len() - argc..]
            .iter()
            .map(|t| if t.is_unboxed() { *t } else { Ty::Any })
            .collect();
        super::compile_function(vm, &c, &args, c.proto.jit.calls.get());
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
                    match c.proto.jit.code.borrow().clone() {
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

/// The generic entry: `(ctx, closure, base)`; parameters are boxed in
/// their slots. Returns `NOT_ENTERED` if one has the wrong type.
fn generic_entry(
    ctx: &mut Context,
    fbc: &mut FunctionBuilderContext,
    params: &[Ty],
    spec: FuncRef,
    module: &super::module::CodeModule,
) {
    let cc = module.call_conv;
    let mut b = FunctionBuilder::new(&mut ctx.func, fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let (cx, cl, base) = (
        b.block_params(entry)[0],
        b.block_params(entry)[1],
        b.block_params(entry)[2],
    );
    let mut sig = cranelift_codegen::ir::Signature::new(cc);
    for p in [t::I64, t::I64] {
        sig.params.push(cranelift_codegen::ir::AbiParam::new(p));
    }
    sig.returns
        .push(cranelift_codegen::ir::AbiParam::new(t::I64));
    sig.returns
        .push(cranelift_codegen::ir::AbiParam::new(t::I64));
    let get_sig = b.import_signature(sig);
    let mut args = vec![cx, cl, base];
    let reject = b.create_block();
    for (i, p) in params.iter().enumerate() {
        if !p.is_unboxed() && *p != Ty::Null {
            continue;
        }
        let idx = b.ins().iadd_imm_s(base, i as i64);
        let f = b.ins().iconst(t::I64, h::get as *const () as usize as i64);
        let call = b.ins().call_indirect(get_sig, f, &[cx, idx]);
        let (tg, pl) = (b.inst_results(call)[0], b.inst_results(call)[1]);
        let ok = b.ins().icmp_imm_s(IntCC::Equal, tg, tag_of(*p) as i64);
        let next = b.create_block();
        b.ins().brif(ok, next, &[], reject, &[]);
        b.switch_to_block(next);
        match p {
            Ty::Float => args.push(b.ins().bitcast(t::F64, MemFlags::new(), pl)),
            Ty::Null => {}
            _ => args.push(pl),
        }
    }
    let call = b.ins().call(spec, &args);
    let r = b.inst_results(call).to_vec();
    b.ins().return_(&r);
    b.switch_to_block(reject);
    let nt = b.ins().iconst(t::I64, tag::NOT_ENTERED as i64);
    let z = b.ins().iconst(t::I64, 0);
    b.ins().return_(&[nt, z]);
    b.seal_all_blocks();
    b.finalize(module.frontend);
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
    /// Method code: `ctx.depth` before this frame (restored on return).
    depth0: Option<V>,
    vars: Vec<Option<Variable>>,
    blocks: Vec<Option<Block>>,
    stack: Vec<Sv>,
    sigs: Vec<(Vec<Type>, Vec<Type>, SigRef)>,
    exits: Vec<Box<ExitInfo>>,
    err_block: Option<Block>,
    /// A helper wrote VM stack slots: release them on return.
    touched: bool,
    nslots: usize,
}

impl<'a, 'u> Lower<'a, 'u> {
    fn new(
        b: FunctionBuilder<'a>,
        u: &'u Unit<'u>,
        self_ref: Option<FuncRef>,
        cc: cranelift_codegen::isa::CallConv,
    ) -> Self {
        let n = u.proto.code.len();
        let nslots = u.proto.num_slots as usize;
        Lower {
            b,
            u,
            cc,
            self_ref,
            cx: V::from_u32(0),
            cl: V::from_u32(0),
            base: V::from_u32(0),
            shadow: V::from_u32(0),
            depth0: None,
            vars: Vec::new(),
            blocks: vec![None; n],
            stack: Vec::new(),
            sigs: Vec::new(),
            exits: Vec::new(),
            err_block: None,
            touched: false,
            nslots,
        }
    }

    fn finish(
        mut self,
        frontend: cranelift_codegen::isa::TargetFrontendConfig,
    ) -> Vec<Box<ExitInfo>> {
        self.b.seal_all_blocks();
        self.b.finalize(frontend);
        std::mem::take(&mut self.exits)
    }

    // ----- small builders ------------------------------------------------

    fn iconst(&mut self, v: i64) -> V {
        self.b.ins().iconst(t::I64, v)
    }

    fn sig(&mut self, params: &[Type], rets: &[Type]) -> SigRef {
        if let Some((_, _, s)) = self.sigs.iter().find(|(p, r, _)| p == params && r == rets) {
            return *s;
        }
        let mut sig = cranelift_codegen::ir::Signature::new(self.cc);
        sig.params.extend(
            params
                .iter()
                .map(|p| cranelift_codegen::ir::AbiParam::new(*p)),
        );
        sig.returns.extend(
            rets.iter()
                .map(|p| cranelift_codegen::ir::AbiParam::new(*p)),
        );
        let s = self.b.import_signature(sig);
        self.sigs.push((params.to_vec(), rets.to_vec(), s));
        s
    }

    /// Call helper `f` with `ctx` prepended; all-i64 params, `nret` i64 results.
    fn call(&mut self, f: usize, args: &[V], nret: usize) -> Vec<V> {
        let mut all = vec![self.cx];
        all.extend_from_slice(args);
        let params: Vec<Type> = all.iter().map(|v| self.b.func.dfg.value_type(*v)).collect();
        let rets = vec![t::I64; nret];
        let sig = self.sig(&params, &rets);
        let fp = self.iconst(f as i64);
        let call = self.b.ins().call_indirect(sig, fp, &all);
        self.b.inst_results(call).to_vec()
    }

    fn call2(&mut self, f: usize, args: &[V]) -> (V, V) {
        let r = self.call(f, args, 2);
        (r[0], r[1])
    }

    fn slot_of_local(&mut self, s: usize) -> V {
        self.b.ins().iadd_imm_s(self.base, s as i64)
    }

    fn slot_of_pos(&mut self, p: usize) -> V {
        self.b.ins().iadd_imm_s(self.base, (self.nslots + p) as i64)
    }

    fn set_ip(&mut self, ip: usize) {
        let v = self.b.ins().iconst(t::I32, ip as i64 + 1);
        self.b
            .ins()
            .store(MemFlags::trusted(), v, self.shadow, off::SHADOW_IP);
    }

    fn err_block(&mut self) -> Block {
        if let Some(b) = self.err_block {
            return b;
        }
        let b = self.b.create_block();
        self.b.set_cold_block(b);
        self.err_block = Some(b);
        b
    }

    /// Branch to the error path if `tg` is `tag::ERROR`.
    fn check_error(&mut self, tg: V) {
        let is_err = self.b.ins().icmp_imm_s(IntCC::Equal, tg, tag::ERROR as i64);
        let ok = self.b.create_block();
        let err = self.err_block();
        self.b.ins().brif(is_err, err, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    fn bool_i64(&mut self, c: V) -> V {
        self.b.ins().uextend(t::I64, c)
    }

    /// Box the stack entry at `p` into its slot.
    fn materialize(&mut self, p: usize) {
        let sv = self.stack[p];
        let idx = self.slot_of_pos(p);
        self.box_into(idx, sv);
        self.stack[p] = Sv::Boxed;
    }

    /// Write `sv` (not `Boxed`) to slot `idx` (≥ 0) or global (< 0).
    fn box_into(&mut self, idx: V, sv: Sv) {
        match sv {
            Sv::Boxed => {}
            Sv::I(v) => self.put(idx, tag::INT, v),
            Sv::B(v) => self.put(idx, tag::BOOL, v),
            Sv::F(v) => {
                let bits = self.b.ins().bitcast(t::I64, MemFlags::new(), v);
                self.put(idx, tag::FLOAT, bits)
            }
            Sv::Null => {
                let z = self.iconst(0);
                self.put(idx, tag::NULL, z)
            }
            Sv::Builtin(id) => {
                let v = self.iconst(id as i64);
                self.put(idx, h::TAG_BUILTIN, v)
            }
            Sv::Const(k) => {
                let ptr = self.iconst(&self.u.proto.consts[k as usize] as *const Value as i64);
                self.call(h::box_const as *const () as usize, &[idx, ptr], 0);
            }
            Sv::Func(g) => {
                let gv = self.iconst(g as i64);
                self.call(h::load_global as *const () as usize, &[gv, idx], 2);
            }
        }
    }

    fn put(&mut self, idx: V, tg: u64, payload: V) {
        let tv = self.iconst(tg as i64);
        self.call(h::put as *const () as usize, &[idx, tv, payload], 0);
    }

    fn materialize_range(&mut self, from: usize) {
        for p in from..self.stack.len() {
            self.materialize(p);
        }
    }

    /// Functions loaded lazily from globals must be loaded before user code
    /// runs (it could rebind the global).
    fn pin_funcs(&mut self, below: usize) {
        for p in 0..below.min(self.stack.len()) {
            if let Sv::Func(_) = self.stack[p] {
                self.materialize(p);
            }
        }
    }

    /// Turn a helper result into a stack entry of type `ty`, guarding
    /// unboxed types (an exit after instruction `ip` if the guard fails;
    /// the helper already wrote the value to its slot).
    fn push_result(&mut self, ip: usize, ty: Ty, tg: V, payload: V) {
        if !ty.is_unboxed() {
            self.stack.push(Sv::Boxed);
            return;
        }
        let mut bad = self
            .b
            .ins()
            .icmp_imm_s(IntCC::NotEqual, tg, tag_of(ty) as i64);
        if self.u.stress {
            let s = self.stress_tick();
            bad = self.b.ins().bor(bad, s);
        }
        let ok = self.b.create_block();
        let fail = self.b.create_block();
        self.b.set_cold_block(fail);
        self.b.ins().brif(bad, fail, &[], ok, &[]);
        self.b.switch_to_block(fail);
        let mut st = self.stack.clone();
        st.push(Sv::Boxed);
        self.emit_exit(ip + 1, &st, ExitReason::TypeGuard, ty, true);
        self.b.switch_to_block(ok);
        self.stack.push(match ty {
            Ty::Int => Sv::I(payload),
            Ty::Bool => Sv::B(payload),
            _ => Sv::F(self.b.ins().bitcast(t::F64, MemFlags::new(), payload)),
        });
    }

    /// `--jit-stress-exits`: true every N-th call.
    fn stress_tick(&mut self) -> V {
        let left = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::STRESS_LEFT);
        let dec = self.b.ins().iadd_imm_s(left, -1);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, dec, 0);
        let every = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::STRESS_EVERY);
        let next = self.b.ins().select(zero, every, dec);
        self.b
            .ins()
            .store(MemFlags::trusted(), next, self.cx, off::STRESS_LEFT);
        zero
    }

    /// Leave native code for the interpreter at instruction `ip` with the
    /// operand stack `st`: box everything live, then resume (method code)
    /// or return `EXIT` (OSR code). Terminates the current block.
    fn emit_exit(
        &mut self,
        ip: usize,
        st: &[Sv],
        reason: ExitReason,
        expected: Ty,
        write_globals: bool,
    ) {
        let saved = std::mem::replace(&mut self.stack, st.to_vec());
        self.materialize_range(0);
        self.stack = saved;
        let null = self
            .u
            .an
            .states
            .get(ip)
            .and_then(|s| s.as_ref())
            .map(|s| s.null.clone());
        self.write_back_locals(null.as_deref(), write_globals);
        let span = self
            .u
            .proto
            .spans
            .get(ip.min(self.u.proto.spans.len() - 1))
            .copied()
            .unwrap_or_default();
        let line = if span == Default::default() {
            0
        } else {
            self.u.vm.line_of(span)
        };
        let info = Box::new(ExitInfo {
            ip: ip as u32,
            sp: st.len() as u32,
            reason,
            expected,
            line,
            span,
            count: Default::default(),
            stats: self.u.stats.clone(),
        });
        let ptr = self.iconst(&*info as *const ExitInfo as i64);
        self.exits.push(info);
        if self.u.osr {
            let (tg, pl) = self.call2(exits::osr_exit as *const () as usize, &[self.base, ptr]);
            self.b.ins().return_(&[tg, pl]);
        } else {
            let (tg, pl) = self.call2(
                exits::resume as *const () as usize,
                &[self.cl, self.base, ptr],
            );
            self.epilogue(false);
            self.b.ins().return_(&[tg, pl]);
        }
    }

    /// Box typed locals (and promoted globals) where the interpreter reads
    /// them. Locals flagged null (unassigned, or moved out) become null.
    fn write_back_locals(&mut self, null: Option<&[bool]>, write_globals: bool) {
        for i in 0..self.vars.len() {
            let ty = self.u.an.locals[i];
            let is_null = null.is_some_and(|n| n.get(i).copied().unwrap_or(false));
            let dst = if i < self.nslots {
                self.slot_of_local(i)
            } else {
                let k = i - self.nslots;
                if !write_globals || !self.u.dirty_globals[k] {
                    continue;
                }
                self.iconst(-1 - self.u.promoted[k].0 as i64)
            };
            match self.vars[i] {
                Some(var) if !is_null => {
                    let v = self.b.use_var(var);
                    let sv = match ty {
                        Ty::Int => Sv::I(v),
                        Ty::Float => Sv::F(v),
                        _ => Sv::B(v),
                    };
                    self.box_into(dst, sv);
                }
                Some(_) => self.box_into(dst, Sv::Null),
                None if ty == Ty::Null && i < self.nslots => self.box_into(dst, Sv::Null),
                None => {}
            }
        }
    }

    /// Method code: restore the depth counter, release the frame's slots.
    fn epilogue(&mut self, release: bool) {
        if let Some(d) = self.depth0 {
            self.b
                .ins()
                .store(MemFlags::trusted(), d, self.cx, off::DEPTH);
        }
        if release && self.touched {
            let len = self.base;
            self.call(h::release as *const () as usize, &[len], 0);
        }
    }

    fn flush_globals(&mut self) {
        for k in 0..self.u.promoted.len() {
            if !self.u.dirty_globals[k] {
                continue;
            }
            let i = self.u.promoted[k].1;
            let Some(var) = self.vars[i] else { continue };
            let v = self.b.use_var(var);
            let dst = self.iconst(-1 - self.u.promoted[k].0 as i64);
            let sv = match self.u.an.locals[i] {
                Ty::Int => Sv::I(v),
                Ty::Float => Sv::F(v),
                _ => Sv::B(v),
            };
            self.box_into(dst, sv);
        }
    }

    /// After user code ran: reload promoted globals, exiting (after `ip`)
    /// if one changed type.
    fn reload_globals(&mut self, ip: usize) {
        for k in 0..self.u.promoted.len() {
            let (g, i) = self.u.promoted[k];
            let ty = self.u.an.locals[i];
            let src = self.iconst(-1 - g as i64);
            let (tg, pl) = self.call2(h::get as *const () as usize, &[src]);
            let bad = self
                .b
                .ins()
                .icmp_imm_s(IntCC::NotEqual, tg, tag_of(ty) as i64);
            let ok = self.b.create_block();
            let fail = self.b.create_block();
            self.b.set_cold_block(fail);
            self.b.ins().brif(bad, fail, &[], ok, &[]);
            self.b.switch_to_block(fail);
            let st = self.stack.clone();
            self.emit_exit(ip + 1, &st, ExitReason::TypeGuard, ty, false);
            self.b.switch_to_block(ok);
            let v = if ty == Ty::Float {
                self.b.ins().bitcast(t::F64, MemFlags::new(), pl)
            } else {
                pl
            };
            let var = self.vars[i].expect("promoted globals are typed");
            self.b.def_var(var, v);
        }
    }

    // ----- unit bodies ---------------------------------------------------

    fn declare_vars(&mut self) {
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

    fn zero_of(&mut self, ty: Ty) -> V {
        if ty == Ty::Float {
            self.b.ins().f64const(0.0)
        } else {
            self.iconst(0)
        }
    }

    fn method_body(&mut self, params: &[Ty]) -> Result<(), Fail> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let ps = self.b.block_params(entry).to_vec();
        (self.cx, self.cl, self.base) = (ps[0], ps[1], ps[2]);
        // Prologue: the recursion limit, then this frame's shadow entry.
        let d = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::DEPTH);
        let limit = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::LIMIT);
        let over = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, d, limit);
        let body = self.b.create_block();
        let overflow = self.b.create_block();
        self.b.set_cold_block(overflow);
        self.b.ins().brif(over, overflow, &[], body, &[]);
        self.b.switch_to_block(overflow);
        let tg = self.iconst(tag::OVERFLOW as i64);
        let z = self.iconst(0);
        self.b.ins().return_(&[tg, z]);
        self.b.switch_to_block(body);
        let d1 = self.b.ins().iadd_imm_s(d, 1);
        self.b
            .ins()
            .store(MemFlags::trusted(), d1, self.cx, off::DEPTH);
        self.depth0 = Some(d);
        let sh = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::SHADOW);
        let offs = self.b.ins().imul_imm_s(d1, off::SHADOW_SIZE);
        self.shadow = self.b.ins().iadd(sh, offs);
        let pp = self.iconst(Rc::as_ptr(self.u.proto) as i64);
        self.b.ins().store(MemFlags::trusted(), pp, self.shadow, 0);
        let vf = self
            .b
            .ins()
            .load(t::I32, MemFlags::trusted(), self.cx, off::VM_FRAMES);
        self.b
            .ins()
            .store(MemFlags::trusted(), vf, self.shadow, off::SHADOW_VM_FRAMES);
        // The shadow entry's instruction is stored before each call out
        // (`set_ip`); nothing reads it before.
        if self.u.telemetry {
            self.bump(&self.u.stats.native_entries as *const _ as usize);
        }
        self.declare_vars();
        let mut k = 3;
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

    fn osr_body(&mut self, header: usize, null: &[bool]) -> Result<(), Fail> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let ps = self.b.block_params(entry).to_vec();
        (self.cx, self.cl, self.base) = (ps[0], ps[1], ps[2]);
        let d = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::DEPTH);
        let sh = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::SHADOW);
        let offs = self.b.ins().imul_imm_s(d, off::SHADOW_SIZE);
        self.shadow = self.b.ins().iadd(sh, offs);
        self.declare_vars();
        let reject = self.b.create_block();
        self.b.set_cold_block(reject);
        // Entry guard: the locals must have the types the code assumes.
        let locals = self.u.an.locals.clone();
        for (i, &ty) in locals.iter().enumerate() {
            let is_local = i < self.nslots;
            if is_local && null[i] {
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
                self.slot_of_local(i)
            } else {
                self.iconst(-1 - self.u.promoted[i - self.nslots].0 as i64)
            };
            let (tg, pl) = self.call2(h::get as *const () as usize, &[src]);
            let ok = self.b.ins().icmp_imm_s(IntCC::Equal, tg, tag_of(ty) as i64);
            let next = self.b.create_block();
            self.b.ins().brif(ok, next, &[], reject, &[]);
            self.b.switch_to_block(next);
            if let Some(var) = self.vars[i] {
                let v = if ty == Ty::Float {
                    self.b.ins().bitcast(t::F64, MemFlags::new(), pl)
                } else {
                    pl
                };
                self.b.def_var(var, v);
            }
        }
        let body = self.b.create_block();
        self.b.ins().jump(body, &[]);
        self.b.switch_to_block(reject);
        let nt = self.iconst(tag::NOT_ENTERED as i64);
        let z = self.iconst(0);
        self.b.ins().return_(&[nt, z]);
        self.b.switch_to_block(body);
        self.body(header)
    }

    fn bump(&mut self, addr: usize) {
        let a = self.iconst(addr as i64);
        let v = self.b.ins().load(t::I64, MemFlags::trusted(), a, 0);
        let v1 = self.b.ins().iadd_imm_s(v, 1);
        self.b.ins().store(MemFlags::trusted(), v1, a, 0);
    }

    /// Create a block per instruction that control flow can reach other
    /// than by falling through; typed stack entries are its parameters.
    fn make_blocks(&mut self, start: usize) {
        let code = &self.u.proto.code;
        let mut leader = vec![false; code.len()];
        leader[start] = true;
        for (ip, op) in code.iter().enumerate() {
            let targets: &[u32] = match op {
                Op::Jump(t)
                | Op::Loop(t)
                | Op::JumpIfFalse(t)
                | Op::JumpIfTrue(t)
                | Op::JumpIfNotNull(t) => &[*t],
                Op::IterNext(_, t) | Op::RangeNext(_, t) => &[*t],
                _ => &[],
            };
            for t in targets {
                if let Some(l) = leader.get_mut(*t as usize) {
                    *l = true;
                }
            }
            if !targets.is_empty() || matches!(op, Op::Return) {
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
    fn jump_to(&mut self, target: usize) -> Result<(), Fail> {
        let (blk, args) = self.block_args(target)?;
        self.b.ins().jump(blk, &args);
        Ok(())
    }

    fn block_args(&mut self, target: usize) -> Result<(Block, Vec<BlockArg>), Fail> {
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

    fn enter_block(&mut self, ip: usize) {
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

    fn body(&mut self, start: usize) -> Result<(), Fail> {
        self.make_blocks(start);
        self.stack.clear();
        self.jump_to(start)?;
        let mut live = false;
        for ip in 0..self.u.proto.code.len() {
            if self.u.an.states[ip].is_none() {
                continue;
            }
            if self.blocks[ip].is_some() {
                if live {
                    self.jump_to(ip)?;
                }
                self.enter_block(ip);
                live = true;
            }
            if !live {
                continue;
            }
            live = self.op(ip)?;
        }
        if live {
            return Err((Refusal::Internal, 0));
        }
        // The shared error path.
        if let Some(err) = self.err_block {
            self.b.switch_to_block(err);
            if self.u.osr {
                self.write_back_locals(None, true);
                let len = self.b.ins().iadd_imm_s(self.base, self.nslots as i64);
                let (tg, pl) = self.call2(exits::osr_error as *const () as usize, &[len]);
                self.b.ins().return_(&[tg, pl]);
            } else {
                self.epilogue(false);
                let tg = self.iconst(tag::ERROR as i64);
                let z = self.iconst(0);
                self.b.ins().return_(&[tg, z]);
            }
        }
        Ok(())
    }

    fn pop(&mut self, ip: usize) -> Result<Sv, Fail> {
        self.stack.pop().ok_or((Refusal::Internal, ip))
    }

    /// An exit before instruction `ip` if `cond` holds.
    fn exit_if(&mut self, cond: V, ip: usize, reason: ExitReason) {
        let st = self.stack.clone();
        self.exit_if_st(cond, ip, reason, &st);
    }

    /// An exit before `ip` with operand stack `st` if `cond` holds.
    fn exit_if_st(&mut self, cond: V, ip: usize, reason: ExitReason, st: &[Sv]) {
        let ok = self.b.create_block();
        let fail = self.b.create_block();
        self.b.set_cold_block(fail);
        self.b.ins().brif(cond, fail, &[], ok, &[]);
        self.b.switch_to_block(fail);
        self.emit_exit(ip, st, reason, Ty::Bot, true);
        self.b.switch_to_block(ok);
    }

    fn as_float(&mut self, sv: Sv) -> Option<V> {
        match sv {
            Sv::F(v) => Some(v),
            Sv::I(v) => Some(self.b.ins().fcvt_from_sint(t::F64, v)),
            _ => None,
        }
    }

    fn is_boxed_like(sv: Sv) -> bool {
        matches!(sv, Sv::Boxed | Sv::Const(_) | Sv::Func(_) | Sv::Builtin(_))
    }

    /// Lower instruction `ip`. Returns whether control falls through.
    fn op(&mut self, ip: usize) -> Result<bool, Fail> {
        let op = self.u.proto.code[ip];
        if let Some(kind) = self.u.an.exit_ops[ip] {
            let st = self.stack.clone();
            let reason = match kind {
                super::types::ExitKind::Unsupported => ExitReason::Unsupported,
                super::types::ExitKind::LeaveLoop => ExitReason::LeaveLoop,
            };
            self.emit_exit(ip, &st, reason, Ty::Bot, true);
            return Ok(false);
        }
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
                    self.call(h::drop_slot as *const () as usize, &[idx], 0);
                }
            }
            Op::Dup => {
                let top = *self.stack.last().ok_or((Refusal::Internal, ip))?;
                if let Sv::Boxed = top {
                    let p = self.stack.len() - 1;
                    let (a, b) = (self.slot_of_pos(p), self.slot_of_pos(p + 1));
                    self.call(h::copy_slot as *const () as usize, &[a, b], 2);
                    self.touched = true;
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
                    None => {
                        let from = self.slot_of_local(s);
                        let to = self.slot_of_pos(self.stack.len());
                        self.call(h::copy_slot as *const () as usize, &[from, to], 2);
                        self.touched = true;
                        self.stack.push(Sv::Boxed);
                    }
                }
            }
            Op::StoreLocal(s) => {
                let s = s as usize;
                let sv = self.pop(ip)?;
                self.store_local(ip, s, sv)?;
            }
            Op::StoreNewCell(s) | Op::StoreCell(s) => {
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.stack.pop();
                let (slot, src) = (self.slot_of_local(s as usize), self.slot_of_pos(p));
                let fresh = self.iconst(matches!(op, Op::StoreNewCell(_)) as i64);
                self.call(h::store_cell as *const () as usize, &[slot, src, fresh], 0);
                self.touched = true;
            }
            Op::LoadCell(s) => {
                let (slot, dst) = (
                    self.slot_of_local(s as usize),
                    self.slot_of_pos(self.stack.len()),
                );
                let (tg, pl) = self.call2(h::load_cell as *const () as usize, &[slot, dst]);
                self.touched = true;
                self.push_result(ip, produced, tg, pl);
            }
            Op::LoadUpval(u) => {
                let uv = self.iconst(u as i64);
                let dst = self.slot_of_pos(self.stack.len());
                let (tg, pl) = self.call2(h::load_upval as *const () as usize, &[self.cl, uv, dst]);
                self.touched = true;
                self.push_result(ip, produced, tg, pl);
            }
            Op::StoreUpval(u) => {
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.stack.pop();
                let (uv, src) = (self.iconst(u as i64), self.slot_of_pos(p));
                self.call(h::store_upval as *const () as usize, &[self.cl, uv, src], 0);
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
                } else if super::global_func(self.u.vm, g).is_some() {
                    self.stack.push(Sv::Func(g));
                } else {
                    self.set_ip(ip);
                    let gv = self.iconst(g as i64);
                    let dst = self.slot_of_pos(self.stack.len());
                    let (tg, pl) = self.call2(h::load_global as *const () as usize, &[gv, dst]);
                    self.touched = true;
                    self.check_error(tg);
                    self.push_result(ip, produced, tg, pl);
                }
            }
            Op::StoreGlobal(g) => {
                let sv = self.pop(ip)?;
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
                    self.call(h::store_global as *const () as usize, &[gv, src], 0);
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
                        let r = self.call(h::is_null as *const () as usize, &[idx], 1)[0];
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
            Op::CallMethod(k, argc) => {
                let p = self.stack.len() - argc as usize - 1;
                self.pin_funcs(p);
                self.materialize_range(p);
                self.flush_globals();
                self.set_ip(ip);
                let (at, name) = (
                    self.slot_of_pos(p),
                    self.iconst(&self.u.proto.consts[k as usize] as *const Value as i64),
                );
                let n = self.iconst(argc as i64);
                let (tg, _) = self.call2(h::call_method as *const () as usize, &[at, name, n]);
                self.touched = true;
                self.check_error(tg);
                self.stack.truncate(p);
                self.stack.push(Sv::Boxed);
                self.reload_globals(ip);
            }
            Op::CallMethodWb(..) => return Err((Refusal::Internal, ip)),
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
                        // Heap results go to the callee's slot below the base.
                        let dst = self.b.ins().iadd_imm_s(self.base, -1);
                        if let Sv::Boxed = sv {
                            let src = self.slot_of_pos(self.stack.len());
                            self.call(h::move_slot as *const () as usize, &[src, dst], 2);
                        } else {
                            self.box_into(dst, sv);
                        }
                        self.touched = true;
                        (tag::HEAP, self.iconst(0))
                    }
                };
                self.epilogue(true);
                let tv = self.iconst(tg as i64);
                self.b.ins().return_(&[tv, pl]);
                return Ok(false);
            }
            Op::Closure(p) => {
                let dst = self.slot_of_pos(self.stack.len());
                let pp =
                    self.iconst(&self.u.proto.protos[p as usize] as *const Rc<FuncProto> as i64);
                self.call(
                    h::make_closure as *const () as usize,
                    &[self.cl, self.base, pp, dst],
                    2,
                );
                self.touched = true;
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
                    Op::MakeArray(_) => h::make_array as *const () as usize,
                    Op::MakeDict(_) => h::make_dict as *const () as usize,
                    _ => h::concat as *const () as usize,
                };
                let (tg, _) = self.call2(f, &[first, nv]);
                self.touched = true;
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
                    h::array_push as *const () as usize
                } else {
                    h::dict_insert as *const () as usize
                };
                let (tg, _) = self.call2(f, &[a]);
                self.touched = true;
                self.check_error(tg);
                self.stack.truncate(p);
                self.stack.push(Sv::Boxed);
            }
            Op::MakeStruct(i) => {
                let def = &self.u.proto.structs[i as usize];
                let p = self.stack.len() - def.fields.len();
                self.materialize_range(p);
                let (dp, first) = (self.iconst(def as *const _ as i64), self.slot_of_pos(p));
                self.call(h::make_struct as *const () as usize, &[dp, first], 2);
                self.touched = true;
                self.stack.truncate(p);
                self.stack.push(Sv::Boxed);
            }
            Op::Index => {
                let key = self.pop(ip)?;
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.set_ip(ip);
                let a = self.slot_of_pos(p);
                let (tg, pl) = if let Sv::I(k) = key {
                    self.call2(h::index_int as *const () as usize, &[a, k])
                } else {
                    self.stack.push(key);
                    self.materialize(p + 1);
                    self.stack.pop();
                    self.call2(h::index as *const () as usize, &[a])
                };
                self.touched = true;
                self.check_error(tg);
                self.stack.pop();
                self.push_result(ip, produced, tg, pl);
            }
            Op::GetField(k) => {
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.set_ip(ip);
                let (a, name) = (
                    self.slot_of_pos(p),
                    self.iconst(&self.u.proto.consts[k as usize] as *const Value as i64),
                );
                let (tg, pl) = self.call2(h::get_field as *const () as usize, &[a, name]);
                self.touched = true;
                self.check_error(tg);
                self.stack.pop();
                self.push_result(ip, produced, tg, pl);
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
                    self.set_ip(ip);
                    let (pv, vs, vt) = (
                        self.iconst(pi as i64),
                        self.slot_of_pos(p),
                        self.iconst(vt as i64),
                    );
                    let (tg, _) = self.call2(
                        h::store_index_int as *const () as usize,
                        &[self.cl, self.base, pv, key, vt, vp, vs],
                    );
                    self.touched = true;
                    self.check_error(tg);
                    self.stack.truncate(p);
                    return Ok(true);
                }
                self.materialize_range(p);
                self.set_ip(ip);
                let (pv, v) = (self.iconst(pi as i64), self.slot_of_pos(p));
                let (tg, _) = self.call2(
                    h::store_path as *const () as usize,
                    &[self.cl, self.base, pv, v],
                );
                self.touched = true;
                self.check_error(tg);
                self.stack.truncate(p);
            }
            Op::IterPrep(s) => {
                let p = self.stack.len() - 1;
                self.materialize(p);
                self.set_ip(ip);
                let (slot, src) = (self.slot_of_local(s as usize), self.slot_of_pos(p));
                let (tg, _) = self.call2(h::iter_prep as *const () as usize, &[slot, src]);
                self.touched = true;
                self.check_error(tg);
                self.stack.pop();
            }
            Op::IterNext(s, exit) => {
                let (slot, dst) = (
                    self.slot_of_local(s as usize),
                    self.slot_of_pos(self.stack.len()),
                );
                let (tg, pl) = self.call2(h::iter_next as *const () as usize, &[slot, dst]);
                self.touched = true;
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
    fn update_var(&mut self, ip: usize, u: u32) -> Result<(), Fail> {
        let desc = &self.u.proto.updates[u as usize];
        let nops = super::types::update_operands(&desc.kind);
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
        if super::types::inline_update(&desc.kind, var_ty, operand_ty) {
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
                    Some(g) => self.iconst(-1 - g as i64),
                    None => self.slot_of_local(i),
                };
                self.box_into(dst, sv);
            } else if var_ty == Ty::Null {
                let dst = self.slot_of_local(i);
                self.box_into(dst, Sv::Null);
            }
        }
        self.pin_funcs(p);
        self.materialize_range(p);
        self.flush_globals();
        self.set_ip(ip);
        let (uv, first) = (self.iconst(u as i64), self.slot_of_pos(p));
        let (tg, _) = self.call2(
            h::update_var as *const () as usize,
            &[self.cl, self.base, uv, first],
        );
        self.touched = true;
        self.check_error(tg);
        self.stack.truncate(p);
        self.stack.push(Sv::Boxed);
        self.reload_globals(ip);
        Ok(())
    }

    fn store_local(&mut self, ip: usize, s: usize, sv: Sv) -> Result<(), Fail> {
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
            self.call(h::move_slot as *const () as usize, &[src, dst], 2);
        } else {
            self.box_into(dst, sv);
        }
        self.touched = true;
        Ok(())
    }

    /// Truthiness of an unboxed entry as an i64 0/1.
    fn truth(&mut self, sv: Sv) -> V {
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
            Sv::Boxed => unreachable!("boxed values go through a helper"),
        }
    }

    /// Unary helper on the top entry (taken from its slot; popped).
    fn unop_helper(&mut self, ip: usize, code: i64) -> (V, V) {
        let p = self.stack.len() - 1;
        self.materialize(p);
        self.stack.pop();
        self.set_ip(ip);
        let (c, a) = (self.iconst(code), self.slot_of_pos(p));
        self.touched = true;
        self.call2(h::unop as *const () as usize, &[c, a])
    }

    /// Binary helper on the top two entries; result in the lower slot.
    fn binop_helper(&mut self, ip: usize, code: i64) -> (V, V) {
        let p = self.stack.len() - 2;
        self.materialize_range(p);
        self.stack.truncate(p);
        self.set_ip(ip);
        let (c, a) = (self.iconst(code), self.slot_of_pos(p));
        self.touched = true;
        let r = self.call2(h::binop as *const () as usize, &[c, a]);
        self.check_error(r.0);
        r
    }

    fn arith(&mut self, ip: usize, op: Op) -> Result<bool, Fail> {
        let st = self.stack.clone();
        self.inline_arith(ip, op, st)
    }

    /// Arithmetic on the top two entries; exits go to the interpreter at
    /// `ip` with operand stack `exit_stack`.
    fn inline_arith(&mut self, ip: usize, op: Op, exit_stack: Vec<Sv>) -> Result<bool, Fail> {
        let n = self.stack.len();
        let (a, b) = (self.stack[n - 2], self.stack[n - 1]);
        match (a, b) {
            (Sv::I(x), Sv::I(y)) => {
                let r = match op {
                    Op::Add | Op::Sub | Op::Mul => {
                        let (r, of) = match op {
                            Op::Add => self.b.ins().sadd_overflow(x, y),
                            Op::Sub => self.b.ins().ssub_overflow(x, y),
                            _ => self.b.ins().smul_overflow(x, y),
                        };
                        self.exit_if_st(of, ip, ExitReason::Overflow, &exit_stack);
                        r
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
                            let sig = self.sig(&[t::F64, t::F64], &[t::F64]);
                            let f = self.iconst(h::fmod as *const () as usize as i64);
                            let call = self.b.ins().call_indirect(sig, f, &[x, y]);
                            self.b.inst_results(call)[0]
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

    fn compare(&mut self, ip: usize, op: Op) -> Result<bool, Fail> {
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

    fn back_edge(&mut self, ip: usize, target: usize) -> Result<(), Fail> {
        if self.u.telemetry {
            if let Some(li) = self
                .u
                .proto
                .loops
                .iter()
                .position(|l| l.header as usize == target)
            {
                self.bump(&self.u.proto.jit.loops[li].native_iterations as *const _ as usize);
            }
        }
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

    fn call_op(&mut self, ip: usize, argc: usize) -> Result<bool, Fail> {
        let p = self.stack.len() - argc - 1;
        let produced = self.u.an.produced[ip];
        self.pin_funcs(p);
        if let Sv::Func(g) = self.stack[p] {
            if let Some(callee) = self
                .u
                .callees
                .iter()
                .find(|(x, _)| *x == g)
                .map(|(_, c)| c.clone())
            {
                if let Some(r) = self.direct_call(ip, p, argc, &callee, produced)? {
                    let (tg, pl) = r;
                    self.after_call(ip, p, produced, tg, pl, true);
                    return Ok(true);
                }
            }
        }
        let (tg, pl) = self.generic_call(ip, p, argc);
        self.after_call(ip, p, produced, tg, pl, false);
        Ok(true)
    }

    fn generic_call(&mut self, ip: usize, p: usize, argc: usize) -> (V, V) {
        self.materialize_range(p);
        self.flush_globals();
        self.set_ip(ip);
        let (at, n) = (self.slot_of_pos(p), self.iconst(argc as i64));
        self.touched = true;
        let r = self.call2(h::call as *const () as usize, &[at, n]);
        self.check_error(r.0);
        r
    }

    /// A native call to a compiled function, guarded by the binding epoch
    /// (falling back to the generic call). `None` if the types don't fit.
    fn direct_call(
        &mut self,
        ip: usize,
        p: usize,
        argc: usize,
        callee: &Callee,
        expected: Ty,
    ) -> Result<Option<(V, V)>, Fail> {
        let params: Vec<Ty> = match &callee.code {
            Some(code) => code.params.clone(),
            None => self.u.self_params.clone(),
        };
        if callee.arity != argc || params.len() != argc {
            return Ok(None);
        }
        for (i, ty) in params.iter().enumerate() {
            let ok = match (ty, self.stack[p + 1 + i]) {
                (Ty::Int, Sv::I(_)) | (Ty::Float, Sv::F(_)) | (Ty::Bool, Sv::B(_)) => true,
                (t, _) => !t.is_unboxed(),
            };
            if !ok {
                return Ok(None);
            }
        }
        let saved = self.stack.clone();
        // Boxed parameters go to the callee's slots (exactly their positions).
        let mut args = vec![self.cx, self.iconst(callee.closure as i64)];
        let cbase = self.slot_of_pos(p + 1);
        args.push(cbase);
        for (i, ty) in params.iter().enumerate() {
            if ty.is_unboxed() {
                match self.stack[p + 1 + i] {
                    Sv::I(v) | Sv::F(v) | Sv::B(v) => args.push(v),
                    _ => unreachable!("checked above"),
                }
            } else {
                self.materialize(p + 1 + i);
            }
        }
        self.flush_globals();
        self.set_ip(ip);
        let epoch_now = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::FN_EPOCH);
        let same =
            self.b
                .ins()
                .icmp_imm_s(IntCC::Equal, epoch_now, self.u.vm.jit.ctx.fn_epoch as i64);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.set_cold_block(slow);
        let tgp = self.b.append_block_param(join, t::I64);
        let plp = self.b.append_block_param(join, t::I64);
        self.b.ins().brif(same, fast, &[], slow, &[]);
        // Fast: the native call.
        self.b.switch_to_block(fast);
        let call = match (&callee.code, self.self_ref) {
            (None, Some(f)) => self.b.ins().call(f, &args),
            (Some(code), _) => {
                let mut ps: Vec<Type> = vec![t::I64, t::I64, t::I64];
                ps.extend(
                    code.params
                        .iter()
                        .filter(|p| p.is_unboxed())
                        .map(|p| cl_ty(*p)),
                );
                let sig = self.sig(&ps, &[t::I64, t::I64]);
                let fp = self.iconst(code.spec as i64);
                self.b.ins().call_indirect(sig, fp, &args)
            }
            (None, None) => return Ok(None),
        };
        let (tg, pl) = (self.b.inst_results(call)[0], self.b.inst_results(call)[1]);
        if expected.is_unboxed() {
            // The common case first: a result of the expected type.
            let hit = self
                .b
                .ins()
                .icmp_imm_s(IntCC::Equal, tg, tag_of(expected) as i64);
            let check = self.b.create_block();
            self.b.set_cold_block(check);
            self.b.ins().brif(
                hit,
                join,
                &[BlockArg::Value(tg), BlockArg::Value(pl)],
                check,
                &[],
            );
            self.b.switch_to_block(check);
        }
        // The callee found the recursion limit reached: let the interpreter
        // redo the call and raise `Stack overflow` with the full stack.
        let over = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, tg, tag::OVERFLOW as i64);
        self.stack = saved.clone();
        self.exit_if(over, ip, ExitReason::StackLimit);
        self.check_error(tg);
        self.b
            .ins()
            .jump(join, &[BlockArg::Value(tg), BlockArg::Value(pl)]);
        // Slow: the binding changed; call whatever the global holds now.
        self.b.switch_to_block(slow);
        self.stack = saved;
        let (tg2, pl2) = self.generic_call(ip, p, argc);
        self.b
            .ins()
            .jump(join, &[BlockArg::Value(tg2), BlockArg::Value(pl2)]);
        self.b.switch_to_block(join);
        Ok(Some((tgp, plp)))
    }

    /// A call's result `(tag, payload)` replaces callee and arguments.
    fn after_call(&mut self, ip: usize, p: usize, ty: Ty, tg: V, pl: V, direct: bool) {
        self.stack.truncate(p);
        if !direct {
            // The call helper wrote the result to its slot too.
            self.push_result(ip, ty, tg, pl);
        } else if !ty.is_unboxed() {
            // Immediates from a native callee are not in the slot yet.
            let at = self.slot_of_pos(p);
            self.call(h::put as *const () as usize, &[at, tg, pl], 0);
            self.touched = true;
            self.stack.push(Sv::Boxed);
        } else {
            let mut bad = self
                .b
                .ins()
                .icmp_imm_s(IntCC::NotEqual, tg, tag_of(ty) as i64);
            if self.u.stress {
                let s = self.stress_tick();
                bad = self.b.ins().bor(bad, s);
            }
            let ok = self.b.create_block();
            let fail = self.b.create_block();
            self.b.set_cold_block(fail);
            self.b.ins().brif(bad, fail, &[], ok, &[]);
            // A failed guard needs the value in its slot: box it on that path.
            self.b.switch_to_block(fail);
            let at = self.slot_of_pos(p);
            self.call(h::put as *const () as usize, &[at, tg, pl], 0);
            let mut st = self.stack.clone();
            st.push(Sv::Boxed);
            self.emit_exit(ip + 1, &st, ExitReason::TypeGuard, ty, true);
            self.b.switch_to_block(ok);
            self.stack.push(match ty {
                Ty::Int => Sv::I(pl),
                Ty::Bool => Sv::B(pl),
                _ => Sv::F(self.b.ins().bitcast(t::F64, MemFlags::new(), pl)),
            });
        }
        self.reload_globals(ip);
    }
}
