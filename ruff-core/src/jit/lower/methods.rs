//! Struct method calls from native code: `recv.m(args)` calls the method's
//! compiled code directly when the receiver is an instance of the struct
//! the call site was compiled for (a guard on the struct definition; a
//! failed guard exits to the interpreter, and code that keeps exiting is
//! recompiled generically, which uses the `call_method` helper).
//!
//! Which struct: the only one with a method of that name and arity, or the
//! one a global receiver holds when the code is compiled. A method frame is
//! laid out as the interpreter lays it out: `self` in the receiver's slot,
//! the arguments above it, the result replacing the receiver.

use std::rc::Rc;

use cranelift_codegen::ir::{types as t, InstBuilder, Type};

use crate::runtime::value::{StructDef, Value};
use crate::runtime::vm::Vm;

use super::super::exits::ExitReason;
use super::super::types::Ty;
use super::{cl_ty, Fail, Lower, Sv};

/// The struct (and its method) a `recv.name(argc args)` call site is
/// compiled for, if one can be chosen. `recv` is the receiver's value when
/// known at compile time.
pub(super) fn method_target(
    vm: &Vm,
    name: &str,
    argc: usize,
    recv: Option<&Value>,
) -> Option<Rc<StructDef>> {
    let fits = |d: &Rc<StructDef>| {
        d.method(name)
            .is_some_and(|m| m.proto.arity as usize == argc)
            .then(|| d.clone())
    };
    if let Some(Value::Struct(s)) = recv {
        return fits(&s.def);
    }
    let mut found = vm.main.structs.iter().filter_map(fits);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

impl Lower<'_, '_> {
    /// The receiver's value at compile time, for a global receiver.
    fn known_receiver(&self, sv: Sv) -> Option<&Value> {
        match sv {
            Sv::LazyGlobal(g) => self.u.vm.globals().get(g as usize)?.as_ref(),
            _ => None,
        }
    }

    /// `CallMethod(k, argc)` / `CallMethodWb`: a direct native call of the
    /// compiled method, guarded on the receiver's struct. `Ok(false)` if
    /// this call site does not qualify (the caller uses the helper).
    pub(super) fn method_call(
        &mut self,
        ip: usize,
        k: u32,
        argc: usize,
        wb: bool,
    ) -> Result<bool, Fail> {
        let Some(l) = self.layout() else {
            return Ok(false);
        };
        if self.u.stats.generic {
            return Ok(false);
        }
        let Value::Str(name) = &self.u.proto.consts[k as usize] else {
            return Ok(false);
        };
        let p = self.stack.len() - argc - 1;
        let recv = self.stack[p];
        let Some(def) = method_target(self.u.vm, name, argc, self.known_receiver(recv)) else {
            return Ok(false);
        };
        let m = def.method(name).expect("method_target checked it");
        if wb && !super::super::seam::keeps_self(self.u.vm, &m.proto) {
            return Ok(false);
        }
        let Some(code) = self.u.vm.jit.cache.of(&m.proto).code.borrow().clone() else {
            return Ok(false);
        };
        if code.params.len() != argc + 1 || code.params[0].is_unboxed() {
            return Ok(false);
        }
        if !code.params[1..]
            .iter()
            .enumerate()
            .all(|(i, ty)| ty.admits(self.stack[p + 1 + i].ty()))
        {
            return Ok(false);
        }
        // The guard: an instance of `def`, else leave for the interpreter.
        let fail = self.b.create_block();
        self.b.set_cold_block(fail);
        let Some(addr) = self.entry_addr(&l, p, fail) else {
            // (Lazy globals are defined: only other entries get here, and
            // nothing branched to `fail`.)
            return Ok(false);
        };
        self.instance_of(&l, addr, &def, fail);
        let ok = self.b.current_block().expect("in a block");
        self.b.switch_to_block(fail);
        let st = self.stack.clone();
        self.emit_exit(ip, &st, ExitReason::TypeGuard, Ty::Any, true);
        self.b.switch_to_block(ok);
        // The frame: receiver and boxed arguments in their slots.
        self.materialize(p);
        let mut args = vec![self.cx, self.iconst(Rc::as_ptr(&m.closure) as i64)];
        args.push(self.slot_of_pos(p));
        args.push(self.shadow);
        let mut sig: Vec<Type> = vec![t::I64, t::I64, t::I64, t::I64];
        for (i, ty) in code.params[1..].iter().enumerate() {
            match self.stack[p + 1 + i] {
                Sv::I(v) | Sv::F(v) | Sv::B(v) if ty.is_unboxed() => {
                    args.push(v);
                    sig.push(cl_ty(*ty));
                }
                _ => self.materialize(p + 1 + i),
            }
        }
        // A callee that cannot reach globals needs no write-back/re-read.
        let globals = super::inline::may_touch_globals(&m.proto);
        if globals {
            self.flush_globals();
        }
        self.set_ip(ip);
        // The callee's result replaces the receiver in this frame's slot.
        self.mark_dirty();
        let sig = self.native_sig(&sig, &[t::I64]);
        let fp = self.iconst(code.spec as i64);
        let before = self.stack.clone();
        let call = self.b.ins().call_indirect(sig, fp, &args);
        // A method that keeps `self` leaves the receiver unchanged.
        let extra: Vec<Sv> = if wb {
            vec![Sv::Null, Sv::B(self.iconst(0))]
        } else {
            Vec::new()
        };
        let produced = self.u.an.produced[ip];
        let join = self.result_block(produced);
        self.native_call_result(ip, p, call, produced, &extra, &before, join);
        self.enter_result_block(p, produced, join, &extra);
        if globals {
            self.reload_globals(ip);
        }
        Ok(true)
    }
}
