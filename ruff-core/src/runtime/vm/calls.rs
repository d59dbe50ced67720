//! Calls and returns in the interpreter: frames, method calls with write-back,
//! builtins, and the `Host` interface builtins use to call back into Ruff.

use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use smallvec::SmallVec;

use crate::runtime::builtins;
use crate::runtime::error::{RtError, RtResult};
use crate::runtime::host::Host;
use crate::runtime::ops;
use crate::runtime::shadow::{Tier, BUILTIN_BIT};
use crate::runtime::value::{Closure, Value};

use super::{receiver_id, Unwind, Vm, INTERRUPTED};
use crate::jit::seam;

impl Vm {
    pub(super) fn push_frame(
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
        if INTERRUPTED.load(Ordering::Relaxed) && !crate::runtime::attach::poll(self) {
            return Err(RtError::Interrupted);
        }
        self.enter_frame(closure, base, ret, wb);
        Ok(())
    }

    /// Push a frame whose checks (depth, Ctrl-C, arity) were done: clear
    /// its locals, mirror it on the shadow stack.
    #[inline(always)]
    pub(super) fn enter_frame(&mut self, closure: Rc<Closure>, base: usize, ret: usize, wb: usize) {
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
                if self.jit.enabled() && seam::enter_call(self, &c, callee_at)? {
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
                && (!wb || seam::keeps_self(self, &closure.proto))
                && seam::enter_method(self, &closure, recv_at)?
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
    pub(super) fn call_then_no_writeback(&mut self, argc: usize) -> RtResult<()> {
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
}

impl Vm {
    /// Run a builtin, with a runtime-tier frame on the shadow stack.
    pub(super) fn call_builtin(&mut self, id: u16, args: &mut [Value]) -> RtResult<Value> {
        let Some(s) = self.shadow.clone() else {
            return builtins::call(id, self, args);
        };
        s.push(BUILTIN_BIT | id as u32, Tier::Runtime, 0);
        let r = builtins::call(id, self, args);
        s.pop();
        r
    }
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
                match crate::runtime::deep::with_stack(|| self.run(stop)) {
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
