//! The bytecode interpreter. Ruff calls do not recurse on the Rust stack:
//! frames live in `Vm::frames`, so deep recursion ends in a clean
//! `Stack overflow` error. The dispatch loop keeps short arms; anything more
//! than a few lines lives in `ops` or in a method below.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use smallvec::SmallVec;

use super::builtins;
use super::cow;
use super::error::{RtError, RtResult};
use super::host::Host;
use super::ops;
use super::shadow::{ShadowStack, Tier, BUILTIN_BIT};
use super::value::{Closure, EnumObj, ErrorObj, Key, RStr, StructObj, Value};
use crate::bytecode::{Capture, FuncProto, Op, UpdateKind, VarRef, VarUpdate};
use crate::compiler::Compiled;
use crate::syntax::{LineIndex, Span};

/// Set by the SIGINT handler; polled at loop back edges and calls.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Settings passed in by the embedder (the CLI), never read from the
/// environment inside the VM.
#[derive(Clone)]
pub struct VmOptions {
    /// Maximum number of active Ruff frames (`--max-depth`).
    pub max_depth: usize,
    /// The arguments after `--`.
    pub args: Vec<String>,
    /// `--jit=off|on|always`.
    pub jit: crate::jit::JitMode,
    /// `--jit-threshold N`: calls and loop iterations before compiling
    /// (`None`: the defaults in `jit::policy`).
    pub jit_threshold: Option<u32>,
    /// Debugging and observability switches of the JIT.
    pub jit_tools: crate::jit::JitTools,
    /// Keep this shadow stack current for a profiler's sampler thread.
    pub shadow: Option<Arc<ShadowStack>>,
    /// The process exits soon after the run (`ruff run`, `ruff-prof`):
    /// leave the program's memory to the OS instead of freeing it value by
    /// value (a 2-million-entry dict takes milliseconds to drop).
    pub exit_after_run: bool,
}

impl Default for VmOptions {
    fn default() -> Self {
        VmOptions {
            max_depth: 10_000,
            args: Vec::new(),
            jit: crate::jit::JitMode::default(),
            jit_threshold: None,
            jit_tools: crate::jit::JitTools::default(),
            shadow: None,
            exit_after_run: false,
        }
    }
}

/// The source a program was compiled from (for error lines).
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let lines = LineIndex::new(&text);
        SourceFile {
            name: name.into(),
            text,
            lines,
        }
    }
}

/// Why a run stopped early.
pub enum Unwind {
    /// An uncaught Ruff error.
    Error(Rc<ErrorObj>),
    /// `exit(n)`, a closed pipe or Ctrl-C: not catchable.
    Fatal(RtError),
}

pub(crate) struct Frame {
    pub(crate) closure: Rc<Closure>,
    /// Next instruction (saved while a callee runs).
    pub(crate) ip: usize,
    /// Stack index of slot 0.
    pub(crate) base: usize,
    /// Stack length to truncate to on return (drops callee and arguments).
    pub(crate) ret: usize,
    /// For `CallMethodWb`: the receiver's identity at the call, to tell
    /// whether a `self` method produced a new receiver. 0 when not a
    /// write-back call.
    pub(crate) wb_receiver: usize,
}

struct Handler {
    /// Index of the frame that entered the `try`.
    frame: usize,
    stack_len: usize,
    ip: usize,
}

pub struct Vm {
    pub(crate) stack: Vec<Value>,
    pub(crate) frames: Vec<Frame>,
    handlers: Vec<Handler>,
    pub(crate) globals: Vec<Option<Value>>,
    global_names: Vec<Rc<str>>,
    source: Rc<SourceFile>,
    pub(crate) options: VmOptions,
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    stdin: Option<Box<dyn std::io::BufRead>>,
    rng: u64,
    pub(crate) main: Rc<FuncProto>,
    /// The JIT: tier-up policy, code cache and the context native code uses.
    pub(crate) jit: crate::jit::Jit,
    /// `options.shadow`, kept apart for the hot paths.
    pub(crate) shadow: Option<Arc<ShadowStack>>,
}

impl Drop for Vm {
    /// The JIT's frame records go with it: a sampler must stop reading them.
    fn drop(&mut self) {
        if let Some(s) = &self.shadow {
            s.detach_native();
        }
    }
}

fn receiver_id(v: &Value) -> usize {
    match v {
        Value::Struct(s) => Rc::as_ptr(s) as usize,
        _ => 1,
    }
}

impl Vm {
    pub fn new(
        compiled: &Compiled,
        source: Rc<SourceFile>,
        options: VmOptions,
        out: Box<dyn Write>,
        err: Box<dyn Write>,
    ) -> Vm {
        let shadow = options.shadow.clone();
        let vm = Vm {
            stack: Vec::with_capacity(1024),
            frames: Vec::with_capacity(64),
            handlers: Vec::new(),
            globals: vec![None; compiled.global_names.len()],
            global_names: compiled.global_names.clone(),
            source,
            options: options.clone(),
            out,
            err,
            stdin: None,
            rng: 0x2545_F491_4F6C_DD1D,
            jit: crate::jit::Jit::new(&options),
            main: compiled.main.clone(),
            shadow,
        };
        // Samples show native frames from the JIT's own records.
        if let Some(s) = &vm.shadow {
            s.attach_native(vm.jit.ctx.profiler_view());
        }
        vm
    }

    /// Use this reader for `input()` instead of the process's stdin.
    pub fn set_stdin(&mut self, r: Box<dyn std::io::BufRead>) {
        self.stdin = Some(r);
    }

    pub fn source(&self) -> &SourceFile {
        &self.source
    }

    /// Flush the program's standard output (before reporting an error).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Run the top-level code to completion.
    pub fn run_main(&mut self) -> Result<(), Unwind> {
        let closure = Rc::new(Closure {
            proto: self.main.clone(),
            upvalues: Box::new([]),
        });
        let n = closure.proto.num_slots as usize;
        self.stack.resize(n, Value::Null);
        if let Some(s) = &self.shadow {
            s.push(closure.proto.id, Tier::Interpreted, 1);
        }
        self.frames.push(Frame {
            closure,
            ip: 0,
            base: 0,
            ret: 0,
            wb_receiver: 0,
        });
        let result = self.run(0).map(|_| ());
        let main = self.main.clone();
        self.jit.finish(&main);
        let flushed = self.out.flush();
        match (result, flushed) {
            (Err(e), _) => Err(e),
            (Ok(()), Err(e)) => Err(Unwind::Fatal(builtins::io_error(e))),
            (Ok(()), Ok(())) => Ok(()),
        }
    }

    pub(crate) fn line_of(&self, span: Span) -> u32 {
        self.source.lines.line(span.start) as u32
    }

    /// Span of the instruction a frame is executing (its saved ip is one
    /// past it).
    pub(crate) fn frame_span(frame: &Frame) -> Span {
        let spans = &frame.closure.proto.spans;
        spans
            .get(frame.ip.saturating_sub(1))
            .copied()
            .unwrap_or_default()
    }

    /// Turn an error into an `ErrorObj` located at the current instruction.
    pub(crate) fn make_error(&self, err: RtError) -> Rc<ErrorObj> {
        let (message, thrown) = match err {
            RtError::Thrown(Value::Error(e)) => return e,
            RtError::Thrown(v) => (Rc::new(super::format::display(&v)), v),
            RtError::Message(m) => {
                let m: RStr = Rc::new(m);
                (m.clone(), Value::Str(m))
            }
            other => {
                let m: RStr = Rc::new(other.to_string());
                (m.clone(), Value::Str(m))
            }
        };
        // Native JIT frames have no VM frame; the JIT's shadow stack names them.
        let frames = crate::jit::exits::active_frames(self);
        let span = frames.last().map(|f| f.1).unwrap_or_default();
        let stack = frames
            .iter()
            .skip(1)
            .map(|f| Rc::new(f.0.name.to_string()))
            .collect();
        let trace = frames
            .iter()
            .rev()
            .map(|f| (Rc::new(f.0.name.to_string()), self.line_of(f.1)))
            .collect();
        Rc::new(ErrorObj {
            message,
            line: self.line_of(span) as i64,
            stack,
            thrown,
            span,
            trace,
        })
    }

    /// Route an error to the innermost `try` of this run, or out of it.
    /// On success the top frame's saved ip is the handler.
    fn unwind(&mut self, err: RtError, stop_depth: usize) -> Result<(), Unwind> {
        if matches!(
            err,
            RtError::Exit(_) | RtError::BrokenPipe | RtError::Interrupted
        ) {
            return Err(Unwind::Fatal(err));
        }
        let obj = self.make_error(err);
        match self.handlers.last() {
            Some(h) if h.frame >= stop_depth => {
                let h = self.handlers.pop().expect("checked above");
                // Relative: builtin and native frames below also have
                // shadow entries, but the dropped ones are VM frames, one
                // entry each (everything they called has returned).
                if let Some(s) = &self.shadow {
                    s.pop_n(self.frames.len() - (h.frame + 1));
                }
                self.frames.truncate(h.frame + 1);
                self.stack.truncate(h.stack_len);
                self.stack.push(Value::Error(obj));
                if let Some(f) = self.frames.last_mut() {
                    f.ip = h.ip;
                }
                Ok(())
            }
            _ => {
                // Leaving this run: drop its frames and handlers.
                if let Some(s) = &self.shadow {
                    s.pop_n(self.frames.len().saturating_sub(stop_depth));
                }
                self.frames.truncate(stop_depth);
                self.handlers.retain(|h| h.frame < stop_depth);
                Err(Unwind::Error(obj))
            }
        }
    }

    fn push_frame(
        &mut self,
        closure: Rc<Closure>,
        base: usize,
        ret: usize,
        wb: usize,
    ) -> RtResult<()> {
        if self.frames.len() + self.jit.native_depth() >= self.options.max_depth {
            return Err(RtError::msg("Stack overflow"));
        }
        // (Or a profiler attaching: `attach::poll`.)
        if INTERRUPTED.load(Ordering::Relaxed) && !super::attach::poll(self) {
            return Err(RtError::Interrupted);
        }
        self.enter_frame(closure, base, ret, wb);
        Ok(())
    }

    /// Push a frame whose checks (depth, Ctrl-C, arity) were done: clear
    /// its locals, mirror it on the shadow stack.
    #[inline(always)]
    fn enter_frame(&mut self, closure: Rc<Closure>, base: usize, ret: usize, wb: usize) {
        // Arguments already fill their slots; `resize` (an out-of-line
        // call) only when there are more locals to clear.
        let want = base + closure.proto.num_slots as usize;
        if self.stack.len() != want {
            self.stack.resize(want, Value::Null);
        }
        if let Some(s) = &self.shadow {
            s.push(closure.proto.id, Tier::Interpreted, closure.proto.line);
        }
        // Each field is written straight into the vector: `push` built the
        // `Frame` in a stack temporary with 8-byte stores and copied it with
        // 16-byte loads, a store-forwarding stall on every call.
        if self.frames.len() == self.frames.capacity() {
            self.frames.reserve(1);
        }
        let n = self.frames.len();
        // SAFETY: capacity for one more frame is reserved above, and every
        // field is initialised before `set_len` makes the slot visible.
        unsafe {
            let p = self.frames.as_mut_ptr().add(n);
            std::ptr::addr_of_mut!((*p).closure).write(closure);
            std::ptr::addr_of_mut!((*p).ip).write(0);
            std::ptr::addr_of_mut!((*p).base).write(base);
            std::ptr::addr_of_mut!((*p).ret).write(ret);
            std::ptr::addr_of_mut!((*p).wb_receiver).write(wb);
            self.frames.set_len(n + 1);
        }
    }

    /// Begin a call of the value below `argc` arguments on the stack. A
    /// closure gets a new frame (the caller's loop picks it up); a builtin
    /// runs to completion and its result replaces callee and arguments.
    pub(crate) fn call_value(&mut self, argc: usize) -> RtResult<()> {
        let callee_at = self.stack.len() - argc - 1;
        match &self.stack[callee_at] {
            Value::Func(c) => {
                let c = c.clone();
                if c.proto.arity as usize != argc {
                    return Err(arity_error(c.proto.arity as usize, argc));
                }
                if self.jit.enabled() && crate::jit::enter_call(self, &c, callee_at)? {
                    return Ok(());
                }
                self.push_frame(c, callee_at + 1, callee_at, 0)
            }
            Value::Builtin(id) => {
                let id = *id;
                let mut args: SmallVec<[Value; 4]> = self.stack.drain(callee_at + 1..).collect();
                self.stack.pop();
                let r = self.call_builtin(id, &mut args)?;
                self.stack.push(r);
                Ok(())
            }
            other => Err(RtError::msg(format!(
                "Cannot call a value of type {}",
                other.type_name()
            ))),
        }
    }

    /// `recv.name(args)`; with `wb`, also pushes the receiver after the call
    /// and whether it changed.
    pub(crate) fn call_method(&mut self, name: &str, argc: usize, wb: bool) -> RtResult<()> {
        let recv_at = self.stack.len() - argc - 1;
        let method = match &self.stack[recv_at] {
            Value::Struct(s) => s.def.method(name).map(|m| (m.closure.clone(), m.has_self)),
            _ => None,
        };
        if let Some((closure, has_self)) = method {
            if closure.proto.arity as usize != argc {
                return Err(arity_error(closure.proto.arity as usize, argc));
            }
            // Native code runs methods that leave `self` alone (their
            // write-back is "unchanged"); the others run here.
            if self.jit.enabled()
                && (!wb || crate::jit::keeps_self(&closure.proto))
                && crate::jit::enter_method(self, &closure, recv_at)?
            {
                if wb {
                    self.stack.push(Value::Null);
                    self.stack.push(Value::Bool(false));
                }
                return Ok(());
            }
            let id = if wb && has_self {
                receiver_id(&self.stack[recv_at])
            } else if wb {
                1
            } else {
                0
            };
            return self.push_frame(closure, recv_at, recv_at, id);
        }
        if let Some(id) = builtins::lookup_method(name) {
            let mut args: SmallVec<[Value; 4]> = self.stack.drain(recv_at..).collect();
            let r = self.call_builtin(id, &mut args)?;
            self.stack.push(r);
            if wb {
                self.stack.push(Value::Null);
                self.stack.push(Value::Bool(false));
            }
            return Ok(());
        }
        if let Value::Dict(d) = &self.stack[recv_at] {
            // `d.f(x)` calls the function stored under "f".
            let f = ops::get_field(&Value::Dict(d.clone()), name)?;
            self.stack[recv_at] = f;
            if wb {
                return self.call_then_no_writeback(argc);
            }
            return self.call_value(argc);
        }
        let recv = &self.stack[recv_at];
        Err(RtError::msg(match recv {
            Value::Struct(s) => format!("Unknown method {name} for struct {}", s.def.name),
            other => format!("Unknown method {name} for {}", other.type_name()),
        }))
    }

    /// A write-back call that turned out to call a plain function: run it to
    /// completion here so the write-back values can be pushed after it.
    fn call_then_no_writeback(&mut self, argc: usize) -> RtResult<()> {
        let callee_at = self.stack.len() - argc - 1;
        let callee = self.stack[callee_at].clone();
        let args: Vec<Value> = self.stack.drain(callee_at + 1..).collect();
        self.stack.pop();
        let r = self.call(&callee, args)?;
        self.stack.push(r);
        self.stack.push(Value::Null);
        self.stack.push(Value::Bool(false));
        Ok(())
    }

    pub(crate) fn make_closure(
        &self,
        frame_base: usize,
        parent: &Closure,
        proto: &Rc<FuncProto>,
    ) -> Value {
        let upvalues = proto
            .captures
            .iter()
            .map(|c| match c {
                Capture::Local(slot) => match &self.stack[frame_base + *slot as usize] {
                    Value::Cell(cell) => cell.clone(),
                    // A slot not yet holding a cell (declared later): give the
                    // closure its own empty cell.
                    _ => Rc::new(RefCell::new(Value::Null)),
                },
                Capture::Upval(i) => parent.upvalues[*i as usize].clone(),
            })
            .collect();
        Value::Func(Rc::new(Closure {
            proto: proto.clone(),
            upvalues,
        }))
    }

    pub(crate) fn store_path(
        &mut self,
        frame_base: usize,
        closure: &Closure,
        p: u32,
        proto: &FuncProto,
    ) -> RtResult<()> {
        let desc = &proto.paths[p as usize];
        let depth = desc.depth as usize;
        // Fast path: `local[int] := v` / `global[int] := v` on an array or
        // dict (no temporary key list).
        if depth == 1 && desc.field_mask == 0 {
            if let Some(Value::Int(i)) = self.stack.last() {
                let i = *i;
                let root = match desc.var {
                    VarRef::Local(s) => Some(frame_base + s as usize),
                    _ => None,
                };
                let n = self.stack.len();
                if n >= 2 {
                    let target: Option<&mut Value> = match (root, desc.var) {
                        (Some(slot), _) => Some(&mut self.stack[slot]),
                        (None, VarRef::Global(g)) => self.globals[g as usize].as_mut(),
                        _ => None,
                    };
                    if let Some(Value::Dict(_)) = target {
                        self.stack.pop();
                        let v = self.stack.pop().unwrap_or_default();
                        let target = match (root, desc.var) {
                            (Some(slot), _) => &mut self.stack[slot],
                            (None, VarRef::Global(g)) => {
                                self.globals[g as usize].as_mut().expect("checked above")
                            }
                            _ => unreachable!("checked above"),
                        };
                        if let Value::Dict(d) = target {
                            cow::make_mut(d).insert(Key::Int(i), v);
                        }
                        return Ok(());
                    }
                }
            }
        }
        let keys: SmallVec<[Value; 4]> = self.stack.drain(self.stack.len() - depth..).collect();
        let v = self.stack.pop().unwrap_or(Value::Null);
        match desc.var {
            VarRef::Local(s) => ops::set_path(
                &mut self.stack[frame_base + s as usize],
                &keys,
                desc.field_mask,
                v,
            ),
            VarRef::Cell(s) => match &self.stack[frame_base + s as usize] {
                Value::Cell(c) => ops::set_path(&mut c.borrow_mut(), &keys, desc.field_mask, v),
                _ => Err(RtError::msg(format!("Undefined variable: {}", desc.name))),
            },
            VarRef::Upval(u) => ops::set_path(
                &mut closure.upvalues[u as usize].borrow_mut(),
                &keys,
                desc.field_mask,
                v,
            ),
            VarRef::Global(g) => match &mut self.globals[g as usize] {
                Some(root) => ops::set_path(root, &keys, desc.field_mask, v),
                None => Err(RtError::msg(format!("Undefined variable: {}", desc.name))),
            },
        }
    }

    /// Take a variable's value out (leaving null) for `UpdateVar`.
    fn take_var(
        &mut self,
        frame_base: usize,
        closure: &Closure,
        var: VarRef,
        name: &str,
    ) -> RtResult<Value> {
        Ok(match var {
            VarRef::Local(s) => std::mem::take(&mut self.stack[frame_base + s as usize]),
            VarRef::Cell(s) => match &self.stack[frame_base + s as usize] {
                Value::Cell(c) => c.take(),
                _ => Value::Null,
            },
            VarRef::Upval(u) => closure.upvalues[u as usize].take(),
            VarRef::Global(g) => match &mut self.globals[g as usize] {
                Some(v) => std::mem::take(v),
                None => return Err(RtError::msg(format!("Undefined variable: {name}"))),
            },
        })
    }

    /// Put a value back into a variable (after a failed `UpdateVar`).
    fn put_var(&mut self, frame_base: usize, closure: &Closure, var: VarRef, v: Value) {
        match var {
            VarRef::Local(s) => self.stack[frame_base + s as usize] = v,
            VarRef::Cell(s) => {
                if let Value::Cell(c) = &self.stack[frame_base + s as usize] {
                    c.replace(v);
                }
            }
            VarRef::Upval(u) => {
                closure.upvalues[u as usize].replace(v);
            }
            VarRef::Global(g) => self.globals[g as usize] = Some(v),
        }
    }

    pub(crate) fn update_var(
        &mut self,
        frame_base: usize,
        closure: &Closure,
        desc: &VarUpdate,
    ) -> RtResult<()> {
        let value = self.take_var(frame_base, closure, desc.var, &desc.name)?;
        let (id, argc) = match &desc.kind {
            UpdateKind::Arith(op) => {
                let rhs = self.stack.pop().unwrap_or(Value::Null);
                return match ops::arith_update(*op, value, rhs) {
                    Ok(v) => {
                        self.stack.push(v);
                        Ok(())
                    }
                    Err((orig, e)) => {
                        self.put_var(frame_base, closure, desc.var, orig);
                        Err(e)
                    }
                };
            }
            UpdateKind::Builtin { id, argc } => (*id, *argc as usize),
            UpdateKind::Method { name, argc } => {
                let user_method =
                    matches!(&value, Value::Struct(s) if s.def.method(name).is_some());
                match builtins::lookup_method(name) {
                    Some(id) if !user_method => (id, *argc as usize),
                    _ => {
                        // A struct's own method: an ordinary call, with the
                        // variable keeping its value meanwhile.
                        self.put_var(frame_base, closure, desc.var, value.clone());
                        let at = self.stack.len() - (*argc as usize - 1);
                        self.stack.insert(at, value);
                        return self.call_method(name, *argc as usize - 1, false);
                    }
                }
            }
        };
        let rest = self.stack.len() - (argc - 1);
        let mut args: SmallVec<[Value; 4]> = std::iter::once(value)
            .chain(self.stack.drain(rest..))
            .collect();
        match self.call_builtin(id, &mut args) {
            Ok(v) => {
                self.stack.push(v);
                Ok(())
            }
            Err(e) => {
                let orig = std::mem::take(&mut args[0]);
                self.put_var(frame_base, closure, desc.var, orig);
                Err(e)
            }
        }
    }

    pub(crate) fn iter_prep(&mut self, slot: usize) -> RtResult<()> {
        let v = self.stack.pop().unwrap_or(Value::Null);
        match v {
            Value::Array(_) | Value::Dict(_) | Value::Str(_) | Value::Int(_) => {
                self.stack[slot] = v;
                self.stack[slot + 1] = Value::Int(0);
                Ok(())
            }
            other => Err(RtError::msg(format!(
                "Cannot iterate over {}",
                other.type_name()
            ))),
        }
    }

    /// The next item of a `for` loop, advancing the cursor; `None` when done.
    pub(crate) fn iter_next(&mut self, slot: usize) -> Option<Value> {
        let Value::Int(cursor) = self.stack[slot + 1] else {
            return None;
        };
        let i = cursor as usize;
        let (item, next) = match &self.stack[slot] {
            Value::Array(a) => (a.get(i)?, cursor + 1),
            Value::Dict(d) => (d.get_index(i)?.0.to_value(), cursor + 1),
            Value::Str(s) => {
                let ch = s.get(i..)?.chars().next()?;
                (Value::str(ch.to_string()), cursor + ch.len_utf8() as i64)
            }
            Value::Int(n) => {
                if cursor >= *n {
                    return None;
                }
                (Value::Int(cursor), cursor + 1)
            }
            _ => return None,
        };
        self.stack[slot + 1] = Value::Int(next);
        Some(item)
    }

    fn range_prep(&mut self, slot: usize) -> RtResult<()> {
        let step = self.stack.pop().unwrap_or(Value::Null);
        let end = self.stack.pop().unwrap_or(Value::Null);
        let start = self.stack.pop().unwrap_or(Value::Null);
        match (&start, &end, &step) {
            (Value::Int(_), Value::Int(_), Value::Int(s)) => {
                if *s == 0 {
                    return Err(RtError::msg("range() step cannot be zero"));
                }
            }
            _ => {
                let bad = [&start, &end, &step]
                    .into_iter()
                    .find(|v| !matches!(v, Value::Int(_)))
                    .map_or("null", |v| v.type_name());
                return Err(RtError::msg(format!(
                    "range() expects int arguments, got {bad}"
                )));
            }
        }
        self.stack[slot] = start;
        self.stack[slot + 1] = end;
        self.stack[slot + 2] = step;
        Ok(())
    }

    pub(crate) fn make_dict(&mut self, n: usize) -> RtResult<Value> {
        let mut map = super::value::DictMap::default();
        map.reserve(n);
        let items: SmallVec<[Value; 8]> = self.stack.drain(self.stack.len() - 2 * n..).collect();
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            map.insert(ops::key(&k)?, v);
        }
        Ok(Value::dict(map))
    }

    fn extend_top(&mut self, other: Value) -> RtResult<()> {
        let top = self.stack.last_mut().expect("collection under spread");
        match (top, other) {
            (Value::Array(a), Value::Array(b)) => cow::make_mut(a).extend(&b),
            (Value::Dict(a), Value::Dict(b)) => {
                let a = cow::make_mut(a);
                for (k, v) in b.iter() {
                    a.insert(k.clone(), v.clone());
                }
            }
            (Value::Array(_), other) => {
                return Err(RtError::msg(format!(
                    "Cannot spread {} into an array",
                    other.type_name()
                )))
            }
            (_, other) => {
                return Err(RtError::msg(format!(
                    "Cannot spread {} into a dict",
                    other.type_name()
                )))
            }
        }
        Ok(())
    }

    /// The dispatch loop: runs until the frame at index `stop_depth` returns.
    pub(crate) fn run(&mut self, stop_depth: usize) -> Result<Value, Unwind> {
        // Cached state of the top frame. `proto` and `closure` point into
        // the `Rc<Closure>` held by the top frame, which outlives their use:
        // they are reloaded whenever the top frame changes.
        let mut ip: usize;
        let mut base: usize;
        let mut closure: *const Closure;
        let mut code: *const Op;
        macro_rules! load_frame {
            () => {{
                let f = self.frames.last().expect("a frame is running");
                ip = f.ip;
                base = f.base;
                closure = Rc::as_ptr(&f.closure);
                code = f.closure.proto.code.as_ptr();
            }};
        }
        macro_rules! save_ip {
            () => {
                if let Some(f) = self.frames.last_mut() {
                    f.ip = ip;
                }
            };
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(err) => {
                        save_ip!();
                        self.unwind(err, stop_depth)?;
                        load_frame!();
                        continue;
                    }
                }
            };
        }
        // Pushes write the value straight into the stack's memory; going
        // through `Vec::push` made LLVM build every value in one shared
        // scratch slot (a store-forwarding stall on each push).
        macro_rules! push {
            ($v:expr) => {{
                let v: Value = $v;
                if self.stack.len() == self.stack.capacity() {
                    self.stack.reserve(1);
                }
                let n = self.stack.len();
                // SAFETY: capacity checked above.
                unsafe {
                    std::ptr::write(self.stack.as_mut_ptr().add(n), v);
                    self.stack.set_len(n + 1);
                }
            }};
        }
        // Not `unwrap_or(Value::Null)`: that builds the default and then
        // calls the out-of-line drop glue on it.
        macro_rules! pop {
            () => {
                match self.stack.pop() {
                    Some(v) => v,
                    None => Value::Null,
                }
            };
        }
        // Type feedback and call counting exist only for the JIT. With the
        // JIT off (fixed for the whole run) the loop skips them on one
        // predictable branch instead of paying for them on every call.
        let jit_on = self.jit.enabled();
        let max_depth = self.options.max_depth;
        macro_rules! note {
            ($proto:expr, $ip:expr, $v:expr) => {
                if jit_on {
                    $proto.jit.note($ip, $v);
                }
            };
        }
        load_frame!();
        loop {
            // SAFETY: see the comment on the cached state above.
            let cl: &Closure = unsafe { &*closure };
            let proto: &FuncProto = &cl.proto;
            // SAFETY: every function's code ends in `Return` and jump
            // targets are inside the code, so `ip` stays in bounds.
            let op = unsafe { *code.add(ip) };
            ip += 1;
            match op {
                Op::Const(k) => push!(proto.consts[k as usize].clone()),
                Op::Int(n) => {
                    self.reserve_one();
                    // SAFETY: capacity reserved; writes a complete Int.
                    unsafe { self.push_int_unchecked(n as i64) }
                }
                Op::Null => push!(Value::Null),
                Op::True => push!(Value::Bool(true)),
                Op::False => push!(Value::Bool(false)),
                Op::Pop => {
                    self.stack.pop();
                }
                Op::Dup => {
                    let v = self.stack.last().cloned().unwrap_or(Value::Null);
                    push!(v);
                }
                Op::LoadLocal(s) => {
                    let idx = base + s as usize;
                    if let Value::Int(i) = self.stack[idx] {
                        // `local OP int` (`n - 1`, `i + 1`, `n < 2`): done
                        // in one dispatch instead of three or four.
                        // SAFETY: code ends in `Return`, so the instructions
                        // after a non-`Return` one exist (see `fused_int`).
                        if let Some(next) = unsafe { fused_int(code, ip, i) } {
                            match next {
                                Fused::Push(r, skip) => {
                                    self.reserve_one();
                                    // SAFETY: capacity reserved above.
                                    unsafe { self.push_int_unchecked(r) }
                                    ip += skip;
                                }
                                Fused::PushBool(b, skip) => {
                                    push!(Value::Bool(b));
                                    ip += skip;
                                }
                                Fused::Jump(to) => ip = to,
                            }
                            continue;
                        }
                        // Ints are re-written as tag + payload: a 16-byte
                        // copy of a slot that was just written by two
                        // smaller stores (an argument computed right before
                        // the call) stalls on store forwarding.
                        self.reserve_one();
                        // SAFETY: capacity reserved above.
                        unsafe { self.push_int_unchecked(i) }
                    } else if self.stack[idx].is_scalar() {
                        self.reserve_one();
                        // SAFETY: a scalar is plain data: copying its 16
                        // bytes is a clone; capacity reserved above.
                        unsafe {
                            let n = self.stack.len();
                            let p = self.stack.as_mut_ptr();
                            std::ptr::copy_nonoverlapping(p.add(idx), p.add(n), 1);
                            self.stack.set_len(n + 1);
                        }
                    } else {
                        let v = self.stack[idx].clone();
                        push!(v);
                    }
                }
                Op::StoreLocal(s) => {
                    let v = pop!();
                    self.store_slot(base + s as usize, v);
                }
                Op::StoreNewCell(s) => {
                    let v = pop!();
                    self.stack[base + s as usize] = Value::Cell(Rc::new(RefCell::new(v)));
                }
                Op::LoadCell(s) => {
                    let v = match &self.stack[base + s as usize] {
                        Value::Cell(c) => c.borrow().clone(),
                        other => other.clone(),
                    };
                    note!(proto, ip - 1, &v);
                    push!(v);
                }
                Op::StoreCell(s) => {
                    let v = pop!();
                    let old = match &self.stack[base + s as usize] {
                        Value::Cell(c) => c.replace(v),
                        _ => {
                            self.stack[base + s as usize] = Value::Cell(Rc::new(RefCell::new(v)));
                            Value::Null
                        }
                    };
                    drop(old);
                }
                Op::LoadUpval(u) => {
                    let v = cl.upvalues[u as usize].borrow().clone();
                    note!(proto, ip - 1, &v);
                    push!(v);
                }
                Op::StoreUpval(u) => {
                    let v = pop!();
                    let old = cl.upvalues[u as usize].replace(v);
                    drop(old);
                }
                Op::LoadGlobal(g) => match &self.globals[g as usize] {
                    Some(v @ Value::Func(c)) => {
                        // The usual global: a callee. `Value::clone` calls
                        // the out-of-line `clone_heap`, whose result comes
                        // back through a stack temporary (a store-forwarding
                        // stall on the push). Instead: count the new
                        // reference, then copy the 16 bytes.
                        note!(proto, ip - 1, v);
                        let src: *const Value = v;
                        // SAFETY: `c` is a live `Rc`; the count taken here is
                        // owned by the copy pushed below.
                        unsafe { Rc::increment_strong_count(Rc::as_ptr(c)) };
                        self.reserve_one();
                        // SAFETY: `src` points into `self.globals`, which
                        // `reserve_one` does not touch; a bitwise copy of an
                        // `Rc` whose count was incremented is a clone;
                        // capacity reserved above.
                        unsafe {
                            let n = self.stack.len();
                            let dst = self.stack.as_mut_ptr().add(n);
                            std::ptr::copy_nonoverlapping(src, dst, 1);
                            self.stack.set_len(n + 1);
                        }
                    }
                    Some(v) => {
                        note!(proto, ip - 1, v);
                        let v = v.clone();
                        push!(v);
                    }
                    None => tri!(Err(self.undefined_global(g))),
                },
                Op::StoreGlobal(g) => {
                    let v = pop!();
                    if let Some(Value::Func(_)) = &self.globals[g as usize] {
                        self.jit.function_rebound();
                    }
                    match &mut self.globals[g as usize] {
                        Some(slot) if slot.is_scalar() => {
                            // SAFETY: a scalar needs no drop.
                            unsafe { std::ptr::write(slot, v) }
                        }
                        slot => *slot = Some(v),
                    }
                }
                Op::LoadBuiltin(b) => push!(Value::Builtin(b)),

                Op::Add => {
                    if let Some((x, y)) = self.top2_ints() {
                        if let Some(r) = x.checked_add(y) {
                            self.replace_top2_with_int(r);
                            continue;
                        }
                    }
                    let b = pop!();
                    let a = pop!();
                    let r = match (&a, &b) {
                        (Value::Int(x), Value::Int(y)) => match x.checked_add(*y) {
                            Some(r) => Value::Int(r),
                            None => tri!(ops::add(a, b)),
                        },
                        (Value::Float(x), Value::Float(y)) => Value::Float(x + y),
                        _ => tri!(ops::add(a, b)),
                    };
                    push!(r);
                }
                Op::Sub => {
                    if let Some((x, y)) = self.top2_ints() {
                        if let Some(r) = x.checked_sub(y) {
                            self.replace_top2_with_int(r);
                            continue;
                        }
                    }
                    let b = pop!();
                    let a = pop!();
                    let r = match (&a, &b) {
                        (Value::Int(x), Value::Int(y)) if x.checked_sub(*y).is_some() => {
                            Value::Int(x - y)
                        }
                        (Value::Float(x), Value::Float(y)) => Value::Float(x - y),
                        _ => tri!(ops::arith("-", a, b)),
                    };
                    push!(r);
                }
                Op::Mul => {
                    if let Some((x, y)) = self.top2_ints() {
                        if let Some(r) = x.checked_mul(y) {
                            self.replace_top2_with_int(r);
                            continue;
                        }
                    }
                    let b = pop!();
                    let a = pop!();
                    let r = match (&a, &b) {
                        (Value::Int(x), Value::Int(y)) if x.checked_mul(*y).is_some() => {
                            Value::Int(x * y)
                        }
                        (Value::Float(x), Value::Float(y)) => Value::Float(x * y),
                        _ => tri!(ops::arith("*", a, b)),
                    };
                    push!(r);
                }
                Op::Div => {
                    let b = pop!();
                    let a = pop!();
                    let r = tri!(ops::arith("/", a, b));
                    push!(r);
                }
                Op::Mod => {
                    let b = pop!();
                    let a = pop!();
                    let r = match (&a, &b) {
                        (Value::Int(x), Value::Int(y)) if *y > 0 => Value::Int(x % y),
                        _ => tri!(ops::arith("%", a, b)),
                    };
                    push!(r);
                }
                Op::Neg => {
                    let a = pop!();
                    let r = tri!(ops::negate(a));
                    push!(r);
                }
                Op::Not => {
                    let a = pop!();
                    push!(Value::Bool(!a.truthy()));
                }
                Op::ToBool => {
                    let a = pop!();
                    push!(Value::Bool(a.truthy()));
                }
                Op::Eq | Op::Ne => {
                    let b = pop!();
                    let a = pop!();
                    let eq = a == b;
                    push!(Value::Bool(eq == (op == Op::Eq)));
                }
                Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                    if let Some((x, y)) = self.top2_ints() {
                        let r = match op {
                            Op::Lt => x < y,
                            Op::Le => x <= y,
                            Op::Gt => x > y,
                            _ => x >= y,
                        };
                        self.replace_top2_scalars(Value::Bool(r));
                        continue;
                    }
                    let b = pop!();
                    let a = pop!();
                    let r = match (&a, &b) {
                        (Value::Int(x), Value::Int(y)) => match op {
                            Op::Lt => x < y,
                            Op::Le => x <= y,
                            Op::Gt => x > y,
                            _ => x >= y,
                        },
                        _ => {
                            let sym = match op {
                                Op::Lt => "<",
                                Op::Le => "<=",
                                Op::Gt => ">",
                                _ => ">=",
                            };
                            tri!(ops::compare(sym, &a, &b))
                        }
                    };
                    push!(Value::Bool(r));
                }

                Op::Jump(t) => ip = t as usize,
                Op::JumpIfFalse(t) => {
                    if let Some(Value::Bool(b)) = self.stack.last() {
                        let b = *b;
                        self.drop_top_scalar();
                        if !b {
                            ip = t as usize;
                        }
                        continue;
                    }
                    let c = pop!();
                    let truthy = match c {
                        Value::Bool(b) => b,
                        other => other.truthy(),
                    };
                    if !truthy {
                        ip = t as usize;
                    }
                }
                Op::JumpIfTrue(t) => {
                    if pop!().truthy() {
                        ip = t as usize;
                    }
                }
                Op::JumpIfNotNull(t) => {
                    if matches!(self.stack.last(), Some(Value::Null) | None) {
                        self.stack.pop();
                    } else {
                        ip = t as usize;
                    }
                }
                Op::Loop(t) => {
                    if let Some(s) = &self.shadow {
                        s.set_line(proto.lines[ip - 1]);
                    }
                    ip = t as usize;
                    if INTERRUPTED.load(Ordering::Relaxed) {
                        save_ip!();
                        if !super::attach::poll(self) {
                            tri!(Err(RtError::Interrupted));
                        }
                    }
                    let n = proto.jit.backedges.get().wrapping_add(1);
                    proto.jit.backedges.set(n);
                    if n >= self.jit.loop_threshold {
                        save_ip!();
                        match crate::jit::enter_loop(self, ip) {
                            // OSR code ran in this frame; continue where it stopped.
                            Ok(Some(resume_at)) => ip = resume_at,
                            Ok(None) => {}
                            Err(e) => tri!(Err(e)),
                        }
                    }
                }

                Op::Call(argc) => {
                    if let Some(s) = &self.shadow {
                        s.set_line(proto.lines[ip - 1]);
                    }
                    // Fast path for the common call: a Ruff function with
                    // the right arity, the JIT off. The frame is entered
                    // right here, without the calls into `call_value` and
                    // `push_frame` and without reloading the frame state.
                    // Anything unusual (builtins, arity errors, stack
                    // overflow, Ctrl-C, the JIT) takes `call_value` below,
                    // which does the same plus the checks and errors.
                    if !jit_on {
                        let callee_at = self.stack.len() - argc as usize - 1;
                        if let Value::Func(c) = &self.stack[callee_at] {
                            // No native frames without the JIT.
                            debug_assert_eq!(self.jit.native_depth(), 0);
                            if c.proto.arity == argc
                                && self.frames.len() < max_depth
                                && !INTERRUPTED.load(Ordering::Relaxed)
                            {
                                let c = c.clone();
                                save_ip!();
                                base = callee_at + 1;
                                closure = Rc::as_ptr(&c);
                                code = c.proto.code.as_ptr();
                                ip = 0;
                                self.enter_frame(c, base, callee_at, 0);
                                continue;
                            }
                        }
                    }
                    save_ip!();
                    let depth = self.frames.len();
                    tri!(self.call_value(argc as usize));
                    if self.frames.len() == depth {
                        if let Some(v) = self.stack.last() {
                            note!(proto, ip - 1, v);
                        }
                    }
                    load_frame!();
                }
                Op::CallMethod(k, argc) | Op::CallMethodWb(k, argc) => {
                    // As for `Call`: a sampled stack pairs the method's
                    // frame with this line, not the last call's.
                    if let Some(s) = &self.shadow {
                        s.set_line(proto.lines[ip - 1]);
                    }
                    save_ip!();
                    let name = match &proto.consts[k as usize] {
                        Value::Str(s) => s.clone(),
                        _ => Rc::new(String::new()),
                    };
                    tri!(self.call_method(
                        &name,
                        argc as usize,
                        matches!(op, Op::CallMethodWb(..))
                    ));
                    load_frame!();
                }
                Op::Return => {
                    // An int result (the common case) travels as a plain
                    // i64 and is pushed as tag + payload, for the same
                    // store-forwarding reason as in `LoadLocal`: popping
                    // it is a 16-byte load of a slot the instruction before
                    // just wrote.
                    let result_int = match self.stack.last() {
                        Some(Value::Int(i)) => Some(*i),
                        _ => None,
                    };
                    let result = if result_int.is_some() {
                        self.drop_top_scalar();
                        Value::Null
                    } else {
                        pop!()
                    };
                    // The returning frame is read in place and dropped in
                    // place (`pop` moves it through a stack temporary).
                    let frame = self.frames.last().expect("returning frame");
                    let (frame_base, frame_ret, frame_wb) =
                        (frame.base, frame.ret, frame.wb_receiver);
                    let depth = self.frames.len() - 1;
                    self.frames.truncate(depth);
                    if let Some(s) = &self.shadow {
                        s.pop();
                    }
                    while self.handlers.last().is_some_and(|h| h.frame >= depth) {
                        self.handlers.pop();
                    }
                    let wb = if frame_wb != 0 {
                        let recv = std::mem::replace(&mut self.stack[frame_base], Value::Null);
                        let changed = frame_wb != 1 && receiver_id(&recv) != frame_wb;
                        Some((recv, changed))
                    } else {
                        None
                    };
                    self.truncate_stack(frame_ret);
                    if depth == stop_depth {
                        if let Some((recv, changed)) = wb {
                            // For native code that called this method.
                            self.jit.stash_writeback(recv, changed);
                        }
                        return Ok(result_int.map_or(result, Value::Int));
                    }
                    if jit_on {
                        if let Some(caller) = self.frames.last() {
                            let seen = result_int.map_or(&result, |_| &Value::Int(0));
                            caller
                                .closure
                                .proto
                                .jit
                                .note(caller.ip.wrapping_sub(1), seen);
                        }
                    }
                    if let Some(i) = result_int {
                        // `result` is the placeholder null.
                        std::mem::forget(result);
                        self.reserve_one();
                        // SAFETY: capacity reserved above.
                        unsafe { self.push_int_unchecked(i) }
                    } else {
                        push!(result);
                    }
                    if let Some((recv, changed)) = wb {
                        push!(recv);
                        push!(Value::Bool(changed));
                    }
                    load_frame!();
                }
                Op::Closure(p) => {
                    let v = self.make_closure(base, cl, &proto.protos[p as usize]);
                    push!(v);
                }

                Op::MakeArray(n) => {
                    let items: Vec<Value> =
                        self.stack.drain(self.stack.len() - n as usize..).collect();
                    push!(Value::array(items));
                }
                Op::ArrayPush => {
                    let v = pop!();
                    if let Some(Value::Array(a)) = self.stack.last_mut() {
                        cow::make_mut(a).push(v);
                    }
                }
                Op::ArrayExtend | Op::DictExtend => {
                    let other = pop!();
                    tri!(self.extend_top(other));
                }
                Op::MakeDict(n) => {
                    let d = tri!(self.make_dict(n as usize));
                    push!(d);
                }
                Op::DictInsert => {
                    let v = pop!();
                    let k = pop!();
                    let k = tri!(ops::key(&k));
                    if let Some(Value::Dict(d)) = self.stack.last_mut() {
                        cow::make_mut(d).insert(k, v);
                    }
                }
                Op::MakeStruct(i) => {
                    let def = proto.structs[i as usize].clone();
                    let n = def.fields.len();
                    let fields: Vec<Value> = self.stack.drain(self.stack.len() - n..).collect();
                    push!(Value::Struct(Rc::new(StructObj { def, fields })));
                }
                Op::MakeEnum(k) => {
                    let payload = pop!();
                    let v = match &proto.consts[k as usize] {
                        Value::Enum(t) => Value::Enum(Rc::new(EnumObj {
                            enum_name: t.enum_name.clone(),
                            variant: t.variant.clone(),
                            payload: Some(payload),
                        })),
                        other => other.clone(),
                    };
                    push!(v);
                }
                Op::EnumPayload => {
                    let v = match pop!() {
                        Value::Enum(e) => e.payload.clone().unwrap_or(Value::Null),
                        _ => Value::Null,
                    };
                    push!(v);
                }
                Op::IsVariant(k) => {
                    let v = pop!();
                    let is = match (&v, &proto.consts[k as usize]) {
                        (Value::Enum(e), Value::Enum(t)) => {
                            e.variant == t.variant && e.enum_name == t.enum_name
                        }
                        _ => false,
                    };
                    push!(Value::Bool(is));
                }
                Op::Index => {
                    let k = pop!();
                    let obj = pop!();
                    let v = match (&obj, &k) {
                        (Value::Array(a), Value::Int(i)) if *i >= 0 && (*i as usize) < a.len() => {
                            a.get(*i as usize).expect("in bounds")
                        }
                        (Value::Dict(d), Value::Int(i)) => match d.get(&Key::Int(*i)) {
                            Some(v) => v.clone(),
                            None => tri!(ops::index(&obj, &k)),
                        },
                        _ => tri!(ops::index(&obj, &k)),
                    };
                    note!(proto, ip - 1, &v);
                    push!(v);
                }
                Op::GetField(k) => {
                    let obj = pop!();
                    let name = match &proto.consts[k as usize] {
                        Value::Str(s) => s.clone(),
                        _ => Rc::new(String::new()),
                    };
                    let v = tri!(ops::get_field(&obj, &name));
                    note!(proto, ip - 1, &v);
                    push!(v);
                }
                Op::SliceFrom(n) => {
                    let v = match pop!() {
                        Value::Array(a) => Value::array(a.iter().skip(n as usize).collect()),
                        other => tri!(Err(RtError::msg(format!(
                            "Cannot destructure {} as an array",
                            other.type_name()
                        )))),
                    };
                    push!(v);
                }
                Op::StorePath(p) => tri!(self.store_path(base, cl, p, proto)),
                Op::UpdateVar(u) => {
                    // Fast path: int arithmetic on an int variable.
                    let desc = &proto.updates[u as usize];
                    if let UpdateKind::Arith(c) = desc.kind {
                        let cur = match desc.var {
                            VarRef::Local(s) => Some(&self.stack[base + s as usize]),
                            VarRef::Global(g) => self.globals[g as usize].as_ref(),
                            _ => None,
                        };
                        if let (Some(Value::Int(x)), Some(Value::Int(y))) = (cur, self.stack.last())
                        {
                            let r = match c {
                                '+' => x.checked_add(*y),
                                '-' => x.checked_sub(*y),
                                '*' => x.checked_mul(*y),
                                _ => None,
                            };
                            if let Some(r) = r {
                                let n = self.stack.len();
                                self.stack[n - 1] = Value::Int(r);
                                continue;
                            }
                        }
                    }
                    save_ip!();
                    tri!(self.update_var(base, cl, &proto.updates[u as usize]));
                    load_frame!();
                }
                Op::Concat(n) => {
                    let v = ops::concat(&self.stack[self.stack.len() - n as usize..]);
                    self.stack.truncate(self.stack.len() - n as usize);
                    push!(v);
                }

                Op::IterPrep(s) => tri!(self.iter_prep(base + s as usize)),
                Op::IterNext(s, exit) => match self.iter_next(base + s as usize) {
                    Some(v) => {
                        note!(proto, ip - 1, &v);
                        push!(v)
                    }
                    None => ip = exit as usize,
                },
                Op::RangePrep(s) => tri!(self.range_prep(base + s as usize)),
                Op::RangeNext(s, exit) => {
                    let slot = base + s as usize;
                    if let (Value::Int(cur), Value::Int(end), Value::Int(step)) = (
                        &self.stack[slot],
                        &self.stack[slot + 1],
                        &self.stack[slot + 2],
                    ) {
                        let (cur, end, step) = (*cur, *end, *step);
                        if (step > 0 && cur < end) || (step < 0 && cur > end) {
                            self.stack[slot] = Value::Int(cur.checked_add(step).unwrap_or(end));
                            push!(Value::Int(cur));
                        } else {
                            ip = exit as usize;
                        }
                    } else {
                        ip = exit as usize;
                    }
                }

                Op::TryBegin(h) => self.handlers.push(Handler {
                    frame: self.frames.len() - 1,
                    stack_len: self.stack.len(),
                    ip: h as usize,
                }),
                Op::TryEnd => {
                    self.handlers.pop();
                }
                Op::Throw => {
                    let v = pop!();
                    tri!(Err(RtError::Thrown(v)));
                }
                Op::Fail(k) => {
                    let msg = super::format::display(&proto.consts[k as usize]);
                    tri!(Err(RtError::Message(msg)));
                }
            }
        }
    }

    /// The two topmost values if both are ints.
    #[inline(always)]
    fn top2_ints(&self) -> Option<(i64, i64)> {
        match self.stack.as_slice() {
            [.., Value::Int(a), Value::Int(b)] => Some((*a, *b)),
            _ => None,
        }
    }

    #[inline(always)]
    fn reserve_one(&mut self) {
        if self.stack.len() == self.stack.capacity() {
            self.stack.reserve(1);
        }
    }

    /// Push an int by writing its tag and payload in place.
    ///
    /// # Safety
    /// The stack must have spare capacity for one value.
    #[inline(always)]
    unsafe fn push_int_unchecked(&mut self, i: i64) {
        let n = self.stack.len();
        // SAFETY: `Value` is `repr(u8)`: tag byte at 0, i64 payload at 8.
        unsafe {
            let p = self.stack.as_mut_ptr().add(n) as *mut u8;
            p.write(super::value::tag::INT);
            (p.add(8) as *mut i64).write(i);
            self.stack.set_len(n + 1);
        }
    }

    /// Replace the two topmost values, both ints, by the int `i`.
    #[inline(always)]
    fn replace_top2_with_int(&mut self, i: i64) {
        let n = self.stack.len();
        debug_assert!(n >= 2 && self.stack[n - 1].is_scalar() && self.stack[n - 2].is_scalar());
        // SAFETY: both are scalars (no drop glue); the slot at n-2 becomes a
        // complete Int (tag and payload written).
        unsafe {
            self.stack.set_len(n - 1);
            let p = self.stack.as_mut_ptr().add(n - 2) as *mut u8;
            p.write(super::value::tag::INT);
            (p.add(8) as *mut i64).write(i);
        }
    }

    /// Replace the two topmost values, both scalars, by `v`.
    #[inline(always)]
    fn replace_top2_scalars(&mut self, v: Value) {
        let n = self.stack.len();
        debug_assert!(n >= 2 && self.stack[n - 1].is_scalar() && self.stack[n - 2].is_scalar());
        // SAFETY: the caller checked both are scalars (no drop glue to run)
        // and that there are two of them.
        unsafe {
            self.stack.set_len(n - 1);
            std::ptr::write(self.stack.as_mut_ptr().add(n - 2), v);
        }
    }

    /// `stack.truncate(len)`, but scalars are dropped inline: `truncate`
    /// calls the out-of-line drop glue of `Value` once per value, which is
    /// most of the cost of a `Return` (callee and arguments are dropped).
    #[inline(always)]
    fn truncate_stack(&mut self, len: usize) {
        while self.stack.len() > len {
            let n = self.stack.len() - 1;
            if self.stack[n].is_scalar() {
                // SAFETY: a scalar needs no drop.
                unsafe { self.stack.set_len(n) }
            } else if let Some(Value::Func(c)) = self.stack.pop() {
                // The callee of a returning call: an inline count decrement.
                drop(c);
            }
        }
    }

    /// Drop the topmost value, a scalar.
    #[inline(always)]
    fn drop_top_scalar(&mut self) {
        let n = self.stack.len();
        debug_assert!(n >= 1 && self.stack[n - 1].is_scalar());
        // SAFETY: checked by the caller: a scalar needs no drop.
        unsafe { self.stack.set_len(n - 1) }
    }

    /// Overwrite a slot, skipping drop glue when the old value is a scalar.
    #[inline(always)]
    fn store_slot(&mut self, idx: usize, v: Value) {
        let slot = &mut self.stack[idx];
        if slot.is_scalar() {
            // SAFETY: a scalar needs no drop.
            unsafe { std::ptr::write(slot, v) }
        } else {
            *slot = v;
        }
    }

    pub(crate) fn undefined_global(&self, g: u32) -> RtError {
        RtError::msg(format!(
            "Undefined variable: {}",
            self.global_names[g as usize]
        ))
    }
}

impl Vm {
    /// Run a builtin, with a runtime-tier frame on the shadow stack.
    fn call_builtin(&mut self, id: u16, args: &mut [Value]) -> RtResult<Value> {
        let Some(s) = self.shadow.clone() else {
            return builtins::call(id, self, args);
        };
        s.push(BUILTIN_BIT | id as u32, Tier::Runtime, 0);
        let r = builtins::call(id, self, args);
        s.pop();
        r
    }
}

/// What a fused `LoadLocal; Int(k); op [; JumpIfFalse]` did.
enum Fused {
    /// Push this int and skip this many instructions after the `LoadLocal`.
    Push(i64, usize),
    /// Push this bool and skip this many instructions.
    PushBool(bool, usize),
    /// A comparison decided the `JumpIfFalse` after it: continue here.
    Jump(usize),
}

/// A superinstruction chosen at run time: the bytecode is unchanged (the
/// JIT reads it), but when `LoadLocal` of an int `x` is followed by `Int(k)`
/// and `+`, `-` or a comparison (and, for a comparison, `JumpIfFalse`),
/// the dispatch loop runs them as one step. `None`: not that shape, or the
/// arithmetic overflows (the ordinary instructions then raise the error).
/// Jumps into the middle of such a sequence are unaffected: they run the
/// ordinary instructions.
///
/// # Safety
/// `code` is a function's code, which ends in `Return`, and `ip` is the
/// index after a `LoadLocal`; so `code[ip]` exists, and so does the
/// instruction after any instruction other than `Return`.
#[inline(always)]
unsafe fn fused_int(code: *const Op, ip: usize, x: i64) -> Option<Fused> {
    // SAFETY: per the contract: `LoadLocal` is not `Return`.
    let Op::Int(k) = (unsafe { *code.add(ip) }) else {
        return None;
    };
    let k = k as i64;
    // SAFETY: `Int` is not `Return`.
    let op = unsafe { *code.add(ip + 1) };
    let cmp = match op {
        Op::Add => return x.checked_add(k).map(|r| Fused::Push(r, 2)),
        Op::Sub => return x.checked_sub(k).map(|r| Fused::Push(r, 2)),
        Op::Lt => x < k,
        Op::Le => x <= k,
        Op::Gt => x > k,
        Op::Ge => x >= k,
        _ => return None,
    };
    // SAFETY: a comparison is not `Return`.
    Some(match unsafe { *code.add(ip + 2) } {
        Op::JumpIfFalse(t) if !cmp => Fused::Jump(t as usize),
        Op::JumpIfFalse(_) => Fused::Jump(ip + 3),
        _ => Fused::PushBool(cmp, 2),
    })
}

fn arity_error(expected: usize, got: usize) -> RtError {
    RtError::msg(format!("Expected {expected} arguments but got {got}"))
}

impl Host for Vm {
    fn call(&mut self, callee: &Value, args: Vec<Value>) -> RtResult<Value> {
        match callee {
            Value::Func(c) => {
                if c.proto.arity as usize != args.len() {
                    return Err(arity_error(c.proto.arity as usize, args.len()));
                }
                let stop = self.frames.len();
                let at = self.stack.len();
                self.stack.push(callee.clone());
                self.stack.extend(args);
                self.push_frame(c.clone(), at + 1, at, 0)?;
                // A nested dispatch loop per re-entry: only `--max-depth`
                // bounds how many, so they get stack as they need it.
                match super::deep::with_stack(|| self.run(stop)) {
                    Ok(v) => Ok(v),
                    Err(Unwind::Error(e)) => {
                        self.stack.truncate(at);
                        Err(RtError::Thrown(Value::Error(e)))
                    }
                    Err(Unwind::Fatal(f)) => Err(f),
                }
            }
            Value::Builtin(id) => {
                let mut args = args;
                self.call_builtin(*id, &mut args)
            }
            other => Err(RtError::msg(format!(
                "Cannot call a value of type {}",
                other.type_name()
            ))),
        }
    }

    fn stdout(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    fn stderr(&mut self) -> &mut dyn Write {
        let _ = self.out.flush();
        &mut self.err
    }

    fn program_args(&self) -> &[String] {
        &self.options.args
    }

    fn rng_state(&mut self) -> &mut u64 {
        &mut self.rng
    }

    fn read_line(&mut self) -> std::io::Result<Option<String>> {
        self.out.flush()?;
        let mut line = String::new();
        let n = match &mut self.stdin {
            Some(r) => r.read_line(&mut line)?,
            None => std::io::stdin().read_line(&mut line)?,
        };
        if n == 0 {
            return Ok(None);
        }
        if line.ends_with('\n') {
            line.pop();
            if line.ends_with('\r') {
                line.pop();
            }
        }
        Ok(Some(line))
    }
}
