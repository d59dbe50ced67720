//! Emitting assignments: plain and compound (`+=`), updates in place of a
//! variable's collection, and write-back of paths `x.a[i] = v`.

use crate::bytecode::{Op, PathDesc, UpdateKind, VarUpdate};
use crate::compiler::resolve::{DeclId, Res};
use crate::runtime::builtins;
use crate::syntax::Span;

use crate::syntax::ast::*;

use super::{arith_char, visit_expr, Emitter, PathKey, Place, CALLBACK_BUILTINS};

impl<'a> Emitter<'a> {
    pub(super) fn assign(&mut self, target: &Expr, op: AssignOp, value: &Expr, span: Span) {
        match &target.kind {
            ExprKind::Ident(ident) => self.assign_var(ident, op, value, span),
            ExprKind::Index { .. } | ExprKind::Field { .. } => {
                self.assign_path(target, op, value, span)
            }
            _ => {
                self.expr(value);
                self.fail("Invalid assignment target".into(), target.span);
            }
        }
    }

    pub(super) fn arith(op: AssignOp) -> Option<Op> {
        match op {
            AssignOp::AddAssign => Some(Op::Add),
            AssignOp::SubAssign => Some(Op::Sub),
            AssignOp::MulAssign => Some(Op::Mul),
            AssignOp::DivAssign => Some(Op::Div),
            AssignOp::ModAssign => Some(Op::Mod),
            AssignOp::Walrus | AssignOp::Assign => None,
        }
    }

    pub(super) fn assign_var(&mut self, ident: &Ident, op: AssignOp, value: &Expr, span: Span) {
        let Some(d) = self.decl_of(ident) else {
            self.expr(value);
            self.fail(format!("Undefined variable: {}", ident.name), ident.span);
            return;
        };
        let decl = self.res.decl(d);
        let declaring = decl.span == ident.span;
        if !declaring && !decl.kind.is_mutable() {
            self.expr(value);
            self.fail(
                format!("Cannot reassign immutable binding: {}", ident.name),
                ident.span,
            );
            return;
        }
        let place = self.place(d);
        if declaring {
            self.expr(value);
            self.declare_store(d, ident.span);
            return;
        }
        match Self::arith(op) {
            Some(arith) => {
                if self.may_update_in_place(place, value) {
                    self.expr(value);
                    self.update_var(
                        place,
                        &ident.name,
                        UpdateKind::Arith(arith_char(arith)),
                        span,
                    );
                } else {
                    self.load_place(place, ident.span);
                    self.expr(value);
                    self.emit(arith, span);
                }
            }
            None => {
                if !self.try_update_in_place(d, place, &ident.name, value) {
                    self.expr(value);
                }
            }
        }
        self.store_place(place, ident.span);
    }

    pub(super) fn update_var(&mut self, place: Place, name: &str, kind: UpdateKind, span: Span) {
        let f = self.f();
        f.proto.updates.push(VarUpdate {
            var: place.var_ref(),
            name: name.into(),
            kind,
        });
        let u = (f.proto.updates.len() - 1) as u32;
        self.emit(Op::UpdateVar(u), span);
    }

    /// `x = f(x, ...)`, `x = x.m(...)`, `x = x + e`: evaluate the other
    /// operands, then let `UpdateVar` take the value out of `x` while the
    /// operation runs, so the collection stays uniquely held and is updated
    /// in place. Returns false (emitting nothing) when the pattern does not
    /// apply.
    pub(super) fn try_update_in_place(
        &mut self,
        d: DeclId,
        place: Place,
        name: &str,
        value: &Expr,
    ) -> bool {
        let is_var =
            |e: &Expr| matches!(&e.kind, ExprKind::Ident(id) if self.decl_of(id) == Some(d));
        match &value.kind {
            ExprKind::Call { callee, args, .. } if !args.is_empty() && is_var(&args[0]) => {
                let ExprKind::Ident(f) = &callee.kind else {
                    return false;
                };
                let Res::Builtin(b) = self.res.res(f) else {
                    return false;
                };
                if CALLBACK_BUILTINS.contains(&builtins::def(b).name)
                    || args.len() > 255
                    || args[1..]
                        .iter()
                        .any(|a| !self.may_update_in_place(place, a))
                {
                    return false;
                }
                for a in &args[1..] {
                    self.expr(a);
                }
                let kind = UpdateKind::Builtin {
                    id: b,
                    argc: args.len() as u8,
                };
                self.update_var(place, name, kind, value.span);
                true
            }
            ExprKind::Call { callee, args, .. } => {
                let ExprKind::Field {
                    object,
                    name: method,
                    optional: false,
                } = &callee.kind
                else {
                    return false;
                };
                if !is_var(object)
                    || CALLBACK_BUILTINS.contains(&method.name.as_str())
                    || builtins::lookup_method(&method.name).is_none()
                    || args.len() > 254
                    || args.iter().any(|a| !self.may_update_in_place(place, a))
                {
                    return false;
                }
                for a in args {
                    self.expr(a);
                }
                let kind = UpdateKind::Method {
                    name: method.name.as_str().into(),
                    argc: args.len() as u8 + 1,
                };
                self.update_var(place, name, kind, value.span);
                true
            }
            ExprKind::Binary { op, lhs, rhs }
                if is_var(lhs)
                    && matches!(
                        op,
                        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod
                    )
                    && self.may_update_in_place(place, rhs) =>
            {
                self.expr(rhs);
                let c = match op {
                    BinOp::Add => '+',
                    BinOp::Sub => '-',
                    BinOp::Mul => '*',
                    BinOp::Div => '/',
                    _ => '%',
                };
                self.update_var(place, name, UpdateKind::Arith(c), value.span);
                true
            }
            _ => false,
        }
    }

    /// Evaluating `e` first and reading the variable afterwards must give the
    /// same result as the other way round: true for plain locals (no other
    /// code can change them), and for other variables when `e` runs no user
    /// code.
    pub(super) fn may_update_in_place(&self, place: Place, e: &Expr) -> bool {
        if matches!(place, Place::Local(_)) {
            return true;
        }
        let mut ok = true;
        visit_expr(e, &mut |x| match &x.kind {
            ExprKind::Func(_) => ok = false,
            ExprKind::Call { callee, .. } => {
                let builtin_ok = matches!(&callee.kind, ExprKind::Ident(f)
                    if matches!(self.res.res(f), Res::Builtin(b)
                        if !CALLBACK_BUILTINS.contains(&builtins::def(b).name)));
                if !builtin_ok {
                    ok = false;
                }
            }
            _ => {}
        });
        ok
    }

    /// Split `x.a[i].b` into the root identifier and its keys.
    pub(super) fn split_path<'e>(mut e: &'e Expr) -> Option<(&'e Ident, Vec<PathKey<'e>>)> {
        let mut keys = Vec::new();
        loop {
            match &e.kind {
                ExprKind::Index { object, index } => {
                    keys.push(PathKey::Index(index));
                    e = object;
                }
                ExprKind::Field {
                    object,
                    name,
                    optional: false,
                } => {
                    keys.push(PathKey::Field(name));
                    e = object;
                }
                ExprKind::Ident(id) => {
                    keys.reverse();
                    return Some((id, keys));
                }
                _ => return None,
            }
        }
    }

    pub(super) fn path_desc(&mut self, place: Place, name: &str, keys: &[PathKey]) -> u32 {
        let mut field_mask = 0u32;
        for (i, k) in keys.iter().enumerate() {
            if matches!(k, PathKey::Field(_)) && i < 32 {
                field_mask |= 1 << i;
            }
        }
        let f = self.f();
        f.proto.paths.push(PathDesc {
            var: place.var_ref(),
            name: name.into(),
            depth: keys.len().min(255) as u8,
            field_mask,
        });
        (f.proto.paths.len() - 1) as u32
    }

    pub(super) fn assign_path(&mut self, target: &Expr, op: AssignOp, value: &Expr, span: Span) {
        let Some((root, keys)) = Self::split_path(target).filter(|(_, k)| k.len() <= 32) else {
            self.expr(value);
            self.fail("Invalid assignment target".into(), target.span);
            return;
        };
        let Some(d) = self.decl_of(root) else {
            self.expr(value);
            let msg = match self.res.res(root) {
                Res::Field { .. } => format!(
                    "Cannot assign to field {} by its bare name; use self.{}",
                    root.name, root.name
                ),
                _ => format!("Undefined variable: {}", root.name),
            };
            self.fail(msg, root.span);
            return;
        };
        if !self.res.decl(d).kind.is_mutable() {
            self.expr(value);
            self.fail(
                format!("Cannot reassign immutable binding: {}", root.name),
                root.span,
            );
            return;
        }
        let place = self.place(d);
        let p = self.path_desc(place, &root.name, &keys);
        match Self::arith(op) {
            None => {
                self.expr(value);
                for k in &keys {
                    self.path_key(k);
                }
            }
            Some(arith) => {
                // Evaluate index expressions once, into temporaries.
                let mut temps = Vec::new();
                for k in &keys {
                    if let PathKey::Index(e) = k {
                        self.expr(e);
                        let t = self.f().new_slot();
                        self.emit(Op::StoreLocal(t), e.span);
                        temps.push(t);
                    }
                }
                self.load_place(place, root.span);
                let mut ti = temps.iter();
                for k in &keys {
                    match k {
                        PathKey::Field(n) => {
                            let c = self.str_const(&n.name);
                            self.emit(Op::GetField(c), n.span);
                        }
                        PathKey::Index(e) => {
                            let t = *ti.next().expect("one temp per index key");
                            self.emit(Op::LoadLocal(t), e.span);
                            self.emit(Op::Index, e.span);
                        }
                    }
                }
                self.expr(value);
                self.emit(arith, span);
                let mut ti = temps.iter();
                for k in &keys {
                    match k {
                        PathKey::Field(n) => {
                            let c = self.str_const(&n.name);
                            self.emit(Op::Const(c), n.span);
                        }
                        PathKey::Index(e) => {
                            let t = *ti.next().expect("one temp per index key");
                            self.emit(Op::LoadLocal(t), e.span);
                        }
                    }
                }
            }
        }
        self.emit(Op::StorePath(p), span);
    }

    pub(super) fn path_key(&mut self, k: &PathKey) {
        match k {
            PathKey::Field(n) => {
                let c = self.str_const(&n.name);
                self.emit(Op::Const(c), n.span);
            }
            PathKey::Index(e) => self.expr(e),
        }
    }
}
