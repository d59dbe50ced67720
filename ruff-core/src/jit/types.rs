//! Forward type inference over a function's bytecode, by abstract
//! interpretation of the stack machine. Each local (and each promoted global)
//! gets one type for the whole compiled unit: the join of its entry type and
//! of every value stored into it, iterated to a fixpoint. Operand stack types
//! are computed per instruction. Int arithmetic never promotes in Ruff
//! (overflow is an error), so `int op int` is `int`; results the compiler
//! cannot infer (`Index`, `Call`, ...) take the type the interpreter's
//! feedback saw, guarded at run time.

use crate::bytecode::{FuncProto, Op, UpdateKind, VarRef};
use crate::runtime::value::Value;

use super::refusal::Refusal;
use crate::runtime::feedback::kind;

/// A static type. `Any` values live boxed in their VM stack slot; the others
/// live unboxed in registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// No value yet (unreached, or a recursive call's unknown result).
    Bot,
    Null,
    Bool,
    Int,
    Float,
    Any,
    /// `Any`, known at compile time to be the function in global `g`.
    Func(u32),
}

impl Ty {
    pub fn join(self, other: Ty) -> Ty {
        match (self, other) {
            (a, b) if a == b => a,
            (Ty::Bot, b) => b,
            (a, Ty::Bot) => a,
            _ => Ty::Any,
        }
    }

    /// Code compiled for a value of type `self` may be given a value of
    /// type `have`: the same type, or anything where `self` is `Any`. Every
    /// place that hands values to compiled code (entries, direct calls,
    /// method calls) asks this one question; `Null` admits only `Null`.
    pub fn admits(self, have: Ty) -> bool {
        self == Ty::Any || self == have
    }

    /// Lives unboxed in a register.
    pub fn is_unboxed(self) -> bool {
        matches!(self, Ty::Bool | Ty::Int | Ty::Float)
    }

    pub fn of_value(v: &Value) -> Ty {
        match v {
            Value::Null => Ty::Null,
            Value::Bool(_) => Ty::Bool,
            Value::Int(_) => Ty::Int,
            Value::Float(_) => Ty::Float,
            _ => Ty::Any,
        }
    }

    /// The type feedback bits promise, if they saw exactly one unboxed kind.
    pub fn from_feedback(bits: u8) -> Ty {
        match bits {
            kind::INT => Ty::Int,
            kind::FLOAT => Ty::Float,
            kind::BOOL => Ty::Bool,
            _ => Ty::Any,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Ty::Bot => "none",
            Ty::Null => "null",
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Float => "float",
            Ty::Any | Ty::Func(_) => "any",
        }
    }
}

/// Result type of a binary arithmetic operator.
pub fn arith_ty(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Bot, _) | (_, Ty::Bot) => Ty::Bot,
        (Ty::Int, Ty::Int) => Ty::Int,
        (Ty::Int | Ty::Float, Ty::Int | Ty::Float) => Ty::Float,
        _ => Ty::Any,
    }
}

/// The state before one instruction.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub stack: Vec<Ty>,
    /// Per local: the interpreter's slot holds `null` here (not yet assigned,
    /// or moved out by `MoveLocal`), whatever the local's type.
    pub null: Vec<bool>,
}

/// What the compiler needs to know about the world outside the function.
pub struct Env<'a> {
    /// Ignore type feedback (a generic recompile after repeated exits).
    pub generic: bool,
    /// Globals kept in registers: global index → pseudo-local index.
    pub promoted: &'a [(u32, usize)],
    /// Global `g` holds a function at compile time.
    pub func_global: &'a dyn Fn(u32) -> bool,
    /// The static result type of calling the function in global `g`
    /// (a compiled callee's return type, or the assumed type of a
    /// recursive call), `Any` when unknown.
    pub call_ret: &'a dyn Fn(u32) -> Ty,
    /// OSR: the loop body `[header, exit)` that must be fully supported;
    /// outside it, unsupported instructions become exits.
    pub loop_range: Option<(usize, usize)>,
}

pub struct Analysis {
    /// Types of locals, then promoted globals.
    pub locals: Vec<Ty>,
    /// State before each instruction, `None` if unreachable.
    pub states: Vec<Option<State>>,
    /// Type of the value produced by an instruction whose result type comes
    /// from feedback or a callee (`Index`, `Call`, ...).
    pub produced: Vec<Ty>,
    /// Join of the returned values' types.
    pub ret: Ty,
    /// Instructions compiled as an unconditional exit to the interpreter.
    pub exit_ops: Vec<Option<ExitKind>>,
}

/// Why an instruction is compiled as an unconditional exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// It only raises an error (`throw`, `Fail`): the interpreter does it.
    Unsupported,
    /// OSR code reached the end of its loop.
    LeaveLoop,
}

/// Instructions the JIT does not compile: refuse the unit when one is in
/// the compiled region that must run natively.
pub fn unsupported(op: Op) -> Option<Refusal> {
    Some(match op {
        Op::TryBegin(_) | Op::TryEnd => Refusal::Try,
        Op::MakeEnum(_) | Op::EnumPayload | Op::IsVariant(_) => Refusal::Enum,
        Op::ArrayExtend | Op::DictExtend => Refusal::Spread,
        Op::SliceFrom(_) => Refusal::Destructure,
        _ => return None,
    })
}

/// Operands of an `UpdateVar` on the stack (the variable itself is not).
pub fn update_operands(k: &UpdateKind) -> usize {
    match k {
        UpdateKind::Arith(_) => 1,
        UpdateKind::Builtin { argc, .. } | UpdateKind::Method { argc, .. } => {
            (*argc as usize).saturating_sub(1)
        }
    }
}

/// `x += n` on an unboxed number: compiled inline, the variable untouched
/// until the store that follows.
pub fn inline_update(k: &UpdateKind, var: Ty, operand: Ty) -> bool {
    matches!(k, UpdateKind::Arith(_))
        && matches!(var, Ty::Int | Ty::Float)
        && matches!(operand, Ty::Int | Ty::Float)
}

/// Instructions always compiled as an exit (they only raise errors).
fn always_exits(op: Op) -> bool {
    matches!(op, Op::Throw | Op::Fail(_))
}

/// On refusal, also the instruction that caused it.
pub fn analyze(
    proto: &FuncProto,
    start: usize,
    entry: &[Ty],
    entry_null: &[bool],
    env: &Env,
) -> Result<Analysis, (Refusal, usize)> {
    let mut locals = entry.to_vec();
    let n = proto.code.len();
    // Iterate until the locals' types are stable: each pass may widen them.
    for _round in 0..64 {
        let mut a = Analysis {
            locals: locals.clone(),
            states: vec![None; n],
            produced: vec![Ty::Bot; n],
            ret: Ty::Bot,
            exit_ops: vec![None; n],
        };
        let mut changed = false;
        let mut work = vec![start];
        a.states[start] = Some(State {
            stack: Vec::new(),
            null: entry_null.to_vec(),
        });
        while let Some(ip) = work.pop() {
            let st = a.states[ip].clone().expect("queued states exist");
            let op = proto.code[ip];
            // OSR code covers the loop only: leaving it returns to the
            // interpreter (later code compiles when it gets hot, with the
            // types it has then).
            let in_loop = env.loop_range.is_none_or(|(h, e)| ip >= h && ip < e);
            if !in_loop {
                a.exit_ops[ip] = Some(ExitKind::LeaveLoop);
                continue;
            }
            if let Some(r) = unsupported(op) {
                return Err((r, ip));
            }
            if always_exits(op) {
                a.exit_ops[ip] = Some(ExitKind::Unsupported);
                continue;
            }
            let succ = step(proto, ip, op, st, &mut a, &mut locals, &mut changed, env)
                .map_err(|r| (r, ip))?;
            for (target, s) in succ {
                merge(&mut a.states, &mut work, target, s).map_err(|r| (r, ip))?;
            }
        }
        if !changed {
            a.locals = locals;
            return Ok(a);
        }
    }
    Err((Refusal::NoFixpoint, start))
}

fn merge(
    states: &mut [Option<State>],
    work: &mut Vec<usize>,
    target: usize,
    s: State,
) -> Result<(), Refusal> {
    let Some(slot) = states.get_mut(target) else {
        return Err(Refusal::BadJump);
    };
    match slot {
        None => {
            *slot = Some(s);
            work.push(target);
        }
        Some(old) => {
            if old.stack.len() != s.stack.len() {
                return Err(Refusal::StackShape);
            }
            let mut grew = false;
            for (o, n) in old.stack.iter_mut().zip(&s.stack) {
                let j = o.join(*n);
                if j != *o {
                    *o = j;
                    grew = true;
                }
            }
            for (o, n) in old.null.iter_mut().zip(&s.null) {
                if *n && !*o {
                    *o = true;
                    grew = true;
                }
            }
            if grew {
                work.push(target);
            }
        }
    }
    Ok(())
}

fn widen(locals: &mut [Ty], i: usize, t: Ty, changed: &mut bool) {
    let j = locals[i].join(t);
    if j != locals[i] {
        locals[i] = j;
        *changed = true;
    }
}

#[allow(clippy::too_many_arguments)]
fn step(
    proto: &FuncProto,
    ip: usize,
    op: Op,
    mut st: State,
    a: &mut Analysis,
    locals: &mut [Ty],
    changed: &mut bool,
    env: &Env,
) -> Result<Vec<(usize, State)>, Refusal> {
    let fb = |ip: usize| {
        if env.generic {
            Ty::Any
        } else {
            Ty::from_feedback(proto.feedback.seen(ip))
        }
    };
    let promoted = |g: u32| {
        env.promoted
            .iter()
            .find(|(pg, _)| *pg == g)
            .map(|(_, i)| *i)
    };
    macro_rules! pop {
        () => {
            st.stack.pop().ok_or(Refusal::StackShape)?
        };
    }
    macro_rules! popn {
        ($n:expr) => {{
            let n = $n as usize;
            if st.stack.len() < n {
                return Err(Refusal::StackShape);
            }
            st.stack.truncate(st.stack.len() - n);
        }};
    }
    let mut next = ip + 1;
    let mut branch: Option<(usize, State)> = None;
    match op {
        Op::Const(k) => st.stack.push(Ty::of_value(&proto.consts[k as usize])),
        Op::Int(_) => st.stack.push(Ty::Int),
        Op::Null => st.stack.push(Ty::Null),
        Op::True | Op::False => st.stack.push(Ty::Bool),
        Op::Pop => {
            pop!();
        }
        Op::Dup => {
            let t = *st.stack.last().ok_or(Refusal::StackShape)?;
            st.stack.push(t);
        }
        Op::LoadLocal(s) => {
            let s = s as usize;
            if st.null[s] {
                widen(locals, s, Ty::Null, changed);
            }
            st.stack.push(locals[s]);
        }
        Op::UpdateVar(u) => {
            let desc = &proto.updates[u as usize];
            let nops = update_operands(&desc.kind);
            if st.stack.len() < nops {
                return Err(Refusal::StackShape);
            }
            let operand = st.stack[st.stack.len() - nops..]
                .first()
                .copied()
                .unwrap_or(Ty::Any);
            st.stack.truncate(st.stack.len() - nops);
            let var = match desc.var {
                VarRef::Local(s) => Some(s as usize),
                VarRef::Global(g) => promoted(g),
                _ => None,
            };
            let var_ty = var.map_or(Ty::Any, |i| locals[i]);
            if inline_update(&desc.kind, var_ty, operand) {
                st.stack.push(arith_ty(var_ty, operand));
            } else {
                // The variable's value is taken out (null) until the store.
                if let Some(i) = var {
                    st.null[i] = true;
                }
                st.stack.push(Ty::Any);
            }
        }
        Op::StoreLocal(s) => {
            let t = pop!();
            widen(locals, s as usize, t, changed);
            st.null[s as usize] = false;
        }
        Op::StoreNewCell(s) | Op::StoreCell(s) => {
            pop!();
            widen(locals, s as usize, Ty::Any, changed);
            st.null[s as usize] = false;
        }
        Op::LoadCell(_) | Op::LoadUpval(_) => {
            let t = fb(ip);
            a.produced[ip] = t;
            st.stack.push(t);
        }
        Op::StoreUpval(_) => {
            pop!();
        }
        Op::LoadGlobal(g) => {
            if let Some(i) = promoted(g) {
                if st.null[i] {
                    widen(locals, i, Ty::Null, changed);
                }
                st.stack.push(locals[i]);
            } else if (env.func_global)(g) {
                st.stack.push(Ty::Func(g));
            } else {
                let t = fb(ip);
                a.produced[ip] = t;
                st.stack.push(t);
            }
        }
        Op::StoreGlobal(g) => {
            let t = pop!();
            if let Some(i) = promoted(g) {
                widen(locals, i, t, changed);
                st.null[i] = false;
            }
        }
        Op::LoadBuiltin(_) => st.stack.push(Ty::Any),
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
            let b = pop!();
            let x = pop!();
            st.stack.push(arith_ty(x, b));
        }
        Op::Neg => {
            let x = pop!();
            st.stack.push(match x {
                Ty::Int | Ty::Float | Ty::Bot => x,
                _ => Ty::Any,
            });
        }
        Op::Not | Op::ToBool => {
            pop!();
            st.stack.push(Ty::Bool);
        }
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            popn!(2);
            st.stack.push(Ty::Bool);
        }
        Op::Jump(t) | Op::Loop(t) => {
            next = usize::MAX;
            branch = Some((t as usize, st.clone()));
        }
        Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
            pop!();
            branch = Some((t as usize, st.clone()));
        }
        Op::JumpIfNotNull(t) => {
            // Taken: the value stays; not taken: it is popped.
            let v = *st.stack.last().ok_or(Refusal::StackShape)?;
            let can_be_null = !v.is_unboxed() && !matches!(v, Ty::Func(_));
            if v != Ty::Null {
                branch = Some((t as usize, st.clone()));
            }
            st.stack.pop();
            if !can_be_null {
                next = usize::MAX;
            }
        }
        Op::Call(argc) => {
            popn!(argc as usize);
            let callee = pop!();
            let mut t = fb(ip);
            if !t.is_unboxed() {
                if let Ty::Func(g) = callee {
                    let r = (env.call_ret)(g);
                    if r.is_unboxed() || r == Ty::Bot {
                        t = r;
                    }
                }
            }
            a.produced[ip] = t;
            st.stack.push(t);
        }
        Op::CallMethod(_, argc) => {
            popn!(argc as usize + 1);
            let t = fb(ip);
            a.produced[ip] = t;
            st.stack.push(t);
        }
        Op::CallMethodWb(_, argc) => {
            popn!(argc as usize + 1);
            let t = fb(ip);
            a.produced[ip] = t;
            st.stack.extend([t, Ty::Any, Ty::Any]);
        }
        Op::Return => {
            let t = pop!();
            a.ret = a.ret.join(match t {
                Ty::Func(_) => Ty::Any,
                t => t,
            });
            next = usize::MAX;
        }
        Op::Closure(_) => st.stack.push(Ty::Any),
        Op::MakeArray(n) => {
            popn!(n);
            st.stack.push(Ty::Any);
        }
        Op::ArrayPush => {
            popn!(2);
            st.stack.push(Ty::Any);
        }
        Op::MakeDict(n) => {
            popn!(2 * n as usize);
            st.stack.push(Ty::Any);
        }
        Op::DictInsert => {
            popn!(3);
            st.stack.push(Ty::Any);
        }
        Op::MakeStruct(i) => {
            popn!(proto.structs[i as usize].fields.len());
            st.stack.push(Ty::Any);
        }
        Op::Index | Op::GetField(_) => {
            popn!(if matches!(op, Op::Index) { 2 } else { 1 });
            let t = fb(ip);
            a.produced[ip] = t;
            st.stack.push(t);
        }
        Op::StorePath(p) => {
            let desc = &proto.paths[p as usize];
            popn!(desc.depth as usize + 1);
            match desc.var {
                VarRef::Local(s) => widen(locals, s as usize, Ty::Any, changed),
                VarRef::Global(g) if promoted(g).is_some() => return Err(Refusal::Internal),
                _ => {}
            }
        }
        Op::Concat(n) => {
            popn!(n);
            st.stack.push(Ty::Any);
        }
        Op::IterPrep(s) => {
            pop!();
            for i in [s, s + 1] {
                widen(locals, i as usize, Ty::Any, changed);
                st.null[i as usize] = false;
            }
        }
        Op::IterNext(s, exit) => {
            // The iteration state is the helper's: keep it boxed.
            widen(locals, s as usize, Ty::Any, changed);
            widen(locals, s as usize + 1, Ty::Any, changed);
            branch = Some((exit as usize, st.clone()));
            let t = fb(ip);
            a.produced[ip] = t;
            st.stack.push(t);
        }
        Op::RangePrep(s) => {
            popn!(3);
            for i in s..s + 3 {
                widen(locals, i as usize, Ty::Int, changed);
                st.null[i as usize] = false;
            }
        }
        Op::RangeNext(s, exit) => {
            if locals[s as usize] != Ty::Int {
                return Err(Refusal::Internal);
            }
            branch = Some((exit as usize, st.clone()));
            st.stack.push(Ty::Int);
        }
        Op::TryBegin(_)
        | Op::TryEnd
        | Op::Throw
        | Op::Fail(_)
        | Op::MakeEnum(_)
        | Op::EnumPayload
        | Op::IsVariant(_)
        | Op::SliceFrom(_)
        | Op::ArrayExtend
        | Op::DictExtend => unreachable!("filtered by unsupported()/always_exits()"),
    }
    let mut out = Vec::with_capacity(2);
    if let Some(b) = branch {
        out.push(b);
    }
    if next != usize::MAX {
        if next >= proto.code.len() {
            return Err(Refusal::BadJump);
        }
        out.push((next, st));
    }
    Ok(out)
}
