//! Variables the interpreter reads and writes beyond plain slots: closures
//! and their captures, cells, and the write-back of `a.b[i] = v` paths.

use std::cell::RefCell;
use std::rc::Rc;

use smallvec::SmallVec;

use crate::bytecode::{Capture, FuncProto, UpdateKind, VarRef, VarUpdate};
use crate::runtime::builtins;
use crate::runtime::cow;
use crate::runtime::error::{RtError, RtResult};
use crate::runtime::ops;
use crate::runtime::value::{Closure, Key, Value};

use super::Vm;

impl Vm {
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
    pub(super) fn take_var(
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
    pub(super) fn put_var(&mut self, frame_base: usize, closure: &Closure, var: VarRef, v: Value) {
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
}
