//! The bytecode interpreter. Ruff calls do not recurse on the Rust stack:
//! frames live in `Vm::frames`, so deep recursion ends in a clean
//! `Stack overflow` error. This file holds the VM's state, its start and
//! error unwinding; `dispatch` is the loop, `stack` its push/pop fast paths,
//! `fused` its run-time superinstructions, `calls` frames and calls,
//! `vars` closures, cells and path write-back, `collections` iteration and
//! collection literals.

use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::builtins;
use super::error::RtError;
use super::shadow::{ShadowStack, Tier};
use super::value::{Closure, ErrorObj, RStr, Value};
use crate::bytecode::FuncProto;
use crate::compiler::Compiled;
use crate::jit::seam;
use crate::syntax::{LineIndex, Span};

mod access;
mod calls;
mod collections;
mod dispatch;
mod fused;
mod stack;
mod vars;

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
    pub jit: seam::JitMode,
    /// `--jit-threshold N`: calls and loop iterations before compiling
    /// (`None`: the defaults in `jit::policy`).
    pub jit_threshold: Option<u32>,
    /// Debugging and observability switches of the JIT.
    pub jit_tools: seam::JitTools,
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
            jit: seam::JitMode::default(),
            jit_threshold: None,
            jit_tools: seam::JitTools::default(),
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
    pub(in crate::runtime) stack: Vec<Value>,
    pub(in crate::runtime) frames: Vec<Frame>,
    handlers: Vec<Handler>,
    pub(in crate::runtime) globals: Vec<Option<Value>>,
    global_names: Vec<Rc<str>>,
    source: Rc<SourceFile>,
    pub(crate) options: VmOptions,
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    stdin: Option<Box<dyn std::io::BufRead>>,
    rng: u64,
    pub(crate) main: Rc<FuncProto>,
    /// The JIT: tier-up policy, code cache and the context native code uses.
    pub(crate) jit: seam::Jit,
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
            jit: seam::Jit::new(&options, &compiled.protos()),
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
        let frames = seam::active_frames(self);
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

    pub(crate) fn undefined_global(&self, g: u32) -> RtError {
        RtError::msg(format!(
            "Undefined variable: {}",
            self.global_names[g as usize]
        ))
    }
}
