//! The dispatch loop: one `match` arm per opcode. Arms stay short; anything
//! longer lives in a method of a sibling module or in `runtime::ops`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use crate::bytecode::{FuncProto, Op, UpdateKind, VarRef};
use crate::runtime::cow;
use crate::runtime::error::RtError;
use crate::runtime::ops;
use crate::runtime::value::{Closure, EnumObj, Key, StructObj, Value};

use super::fused::{fused_int, Fused};
use super::{receiver_id, Handler, Unwind, Vm, INTERRUPTED};
use crate::jit::seam;

impl Vm {
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
                    $proto.feedback.note($ip, $v);
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
                        let fused = if cfg!(feature = "unfused") {
                            None
                        } else {
                            // SAFETY: code ends in `Return`, so the
                            // instructions after a non-`Return` one exist
                            // (see `fused_int`).
                            unsafe { fused_int(code, ip, i) }
                        };
                        if let Some(next) = fused {
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

                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
                    if let Some((x, y)) = self.top2_ints() {
                        if let Some(r) = ops::int_fast_path(op, x, y) {
                            self.replace_top2_with_int(r);
                            continue;
                        }
                    }
                    let b = pop!();
                    let a = pop!();
                    let r = match (&a, &b) {
                        (Value::Float(x), Value::Float(y)) if op != Op::Div && op != Op::Mod => {
                            Value::Float(ops::float_fast_path(op, *x, *y))
                        }
                        _ => tri!(ops::binary(op, a, b)),
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
                        if !crate::runtime::attach::poll(self) {
                            tri!(Err(RtError::Interrupted));
                        }
                    }
                    let n = proto.feedback.backedges.get().wrapping_add(1);
                    proto.feedback.backedges.set(n);
                    if n >= self.jit.loop_threshold {
                        save_ip!();
                        match seam::enter_loop(self, ip) {
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
                                .feedback
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
                    // The slow path may call a builtin (`a = push(a, x)`):
                    // profilers must see it called from this line.
                    if let Some(s) = &self.shadow {
                        s.set_line(proto.lines[ip - 1]);
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
                    let msg = crate::runtime::format::display(&proto.consts[k as usize]);
                    tri!(Err(RtError::Message(msg)));
                }
            }
        }
    }
}
