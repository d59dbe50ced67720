//! Emitting expressions: operators with short-circuit, collection and
//! struct literals, enum paths, calls and method calls.

use std::rc::Rc;

use crate::bytecode::Op;
use crate::runtime::value::Value;
use crate::syntax::Span;

use crate::syntax::ast::*;

use super::{Emitter, PathKey};

impl<'a> Emitter<'a> {
    pub(super) fn expr(&mut self, e: &Expr) {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(i) => {
                match i32::try_from(*i) {
                    Ok(small) => self.emit(Op::Int(small), span),
                    Err(_) => {
                        let k = self.constant(Value::Int(*i));
                        self.emit(Op::Const(k), span)
                    }
                };
            }
            ExprKind::Float(f) => {
                let k = self.constant(Value::Float(*f));
                self.emit(Op::Const(k), span);
            }
            ExprKind::Str(s) => {
                let k = self.str_const(s);
                self.emit(Op::Const(k), span);
            }
            ExprKind::Interp(parts) => {
                for p in parts {
                    match p {
                        InterpPart::Lit(s) => {
                            let k = self.str_const(s);
                            self.emit(Op::Const(k), span);
                        }
                        InterpPart::Expr(x) => self.expr(x),
                    }
                }
                self.emit(Op::Concat(parts.len() as u32), span);
            }
            ExprKind::Bool(true) => {
                self.emit(Op::True, span);
            }
            ExprKind::Bool(false) => {
                self.emit(Op::False, span);
            }
            ExprKind::Null => {
                self.emit(Op::Null, span);
            }
            ExprKind::Ident(id) => self.load_ident(id),
            ExprKind::Array(items) => self.array(items, span),
            ExprKind::Dict(items) => self.dict(items, span),
            ExprKind::StructLit { name, fields } => self.struct_lit(name, fields, span),
            ExprKind::Path { enum_name, variant } => self.path(enum_name, variant, None, span),
            ExprKind::Unary { op, expr } => {
                self.expr(expr);
                let op = match op {
                    UnaryOp::Neg => Op::Neg,
                    UnaryOp::Not => Op::Not,
                };
                self.emit(op, span);
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            ExprKind::Call { callee, args, .. } => self.call(callee, args, span),
            ExprKind::Index { object, index } => {
                self.expr(object);
                self.expr(index);
                self.emit(Op::Index, span);
            }
            ExprKind::Field {
                object,
                name,
                optional,
            } => {
                self.expr(object);
                let k = self.str_const(&name.name);
                if *optional {
                    let present = self.emit(Op::JumpIfNotNull(0), span);
                    self.emit(Op::Null, span);
                    let to_end = self.emit(Op::Jump(0), span);
                    self.patch_here(present);
                    self.emit(Op::GetField(k), name.span);
                    self.patch_here(to_end);
                } else {
                    self.emit(Op::GetField(k), name.span);
                }
            }
            ExprKind::Func(f) => {
                let proto = self.function(f, false);
                let p = self.add_proto(proto);
                self.emit(Op::Closure(p), span);
            }
            ExprKind::Error => {
                self.emit(Op::Null, span);
            }
        }
    }

    pub(super) fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: Span) {
        match op {
            BinOp::And | BinOp::Or => {
                self.expr(lhs);
                let short = if op == BinOp::And {
                    self.emit(Op::JumpIfFalse(0), span)
                } else {
                    self.emit(Op::JumpIfTrue(0), span)
                };
                self.expr(rhs);
                self.emit(Op::ToBool, span);
                let to_end = self.emit(Op::Jump(0), span);
                self.patch_here(short);
                self.emit(
                    if op == BinOp::And {
                        Op::False
                    } else {
                        Op::True
                    },
                    span,
                );
                self.patch_here(to_end);
            }
            BinOp::Coalesce => {
                self.expr(lhs);
                let to_end = self.emit(Op::JumpIfNotNull(0), span);
                self.expr(rhs);
                self.patch_here(to_end);
            }
            _ => {
                self.expr(lhs);
                self.expr(rhs);
                let op = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Mul => Op::Mul,
                    BinOp::Div => Op::Div,
                    BinOp::Mod => Op::Mod,
                    BinOp::Eq => Op::Eq,
                    BinOp::Ne => Op::Ne,
                    BinOp::Lt => Op::Lt,
                    BinOp::Le => Op::Le,
                    BinOp::Gt => Op::Gt,
                    _ => Op::Ge,
                };
                self.emit(op, span);
            }
        }
    }

    pub(super) fn array(&mut self, items: &[ArrayItem], span: Span) {
        if items.iter().all(|i| matches!(i, ArrayItem::Item(_))) {
            for item in items {
                if let ArrayItem::Item(x) = item {
                    self.expr(x);
                }
            }
            self.emit(Op::MakeArray(items.len() as u32), span);
            return;
        }
        self.emit(Op::MakeArray(0), span);
        for item in items {
            match item {
                ArrayItem::Item(x) => {
                    self.expr(x);
                    self.emit(Op::ArrayPush, x.span);
                }
                ArrayItem::Spread(x) => {
                    self.expr(x);
                    self.emit(Op::ArrayExtend, x.span);
                }
            }
        }
    }

    pub(super) fn dict(&mut self, items: &[DictItem], span: Span) {
        if items.iter().all(|i| matches!(i, DictItem::Pair(..))) {
            for item in items {
                if let DictItem::Pair(k, v) = item {
                    self.expr(k);
                    self.expr(v);
                }
            }
            self.emit(Op::MakeDict(items.len() as u32), span);
            return;
        }
        self.emit(Op::MakeDict(0), span);
        for item in items {
            match item {
                DictItem::Pair(k, v) => {
                    self.expr(k);
                    self.expr(v);
                    self.emit(Op::DictInsert, k.span.to(v.span));
                }
                DictItem::Spread(x) => {
                    self.expr(x);
                    self.emit(Op::DictExtend, x.span);
                }
            }
        }
    }

    pub(super) fn struct_lit(&mut self, name: &Ident, fields: &[(Ident, Expr)], span: Span) {
        let Some(s) = self.res.struct_named(&name.name) else {
            for (_, v) in fields {
                self.expr(v);
            }
            self.fail(format!("Undefined struct: {}", name.name), name.span);
            return;
        };
        let decl = self.struct_decls[s as usize];
        if let Some((f, _)) = fields
            .iter()
            .find(|(f, _)| !decl.fields.iter().any(|d| d.name.name == f.name))
        {
            self.fail(
                format!("Unknown field {} in struct {}", f.name, name.name),
                f.span,
            );
            return;
        }
        for fd in &decl.fields {
            match fields.iter().find(|(f, _)| f.name == fd.name.name) {
                Some((_, v)) => self.expr(v),
                None => match &fd.default {
                    Some(d) => self.expr(d),
                    None => {
                        self.emit(Op::Null, span);
                    }
                },
            }
        }
        let def = self.structs[s as usize].clone();
        let f = self.f();
        let idx = match f.proto.structs.iter().position(|d| Rc::ptr_eq(d, &def)) {
            Some(i) => i,
            None => {
                f.proto.structs.push(def);
                f.proto.structs.len() - 1
            }
        } as u32;
        self.emit(Op::MakeStruct(idx), span);
    }

    /// `Enum::Variant` or `Enum::Variant(payload)`.
    pub(super) fn path(
        &mut self,
        enum_name: &Ident,
        variant: &Ident,
        payload: Option<&[Expr]>,
        span: Span,
    ) {
        match self.res.enum_named(&enum_name.name) {
            Some(e) if self.res.enums[e as usize].variants.contains(&variant.name) => {}
            Some(_) => {
                self.fail(
                    format!("Enum {} has no variant {}", enum_name.name, variant.name),
                    variant.span,
                );
                return;
            }
            None => {
                if self.res.struct_named(&enum_name.name).is_some() {
                    self.fail(
                        format!(
                            "Static method calls are not supported: {}::{}",
                            enum_name.name, variant.name
                        ),
                        span,
                    );
                    return;
                }
                self.fail(
                    format!("Undefined enum: {}", enum_name.name),
                    enum_name.span,
                );
                return;
            }
        }
        let template = self.enum_template(Some(enum_name), variant);
        let k = self.constant(template);
        match payload {
            None => {
                self.emit(Op::Const(k), span);
            }
            Some(args) => {
                match args {
                    [] => {
                        self.emit(Op::Null, span);
                    }
                    [one] => self.expr(one),
                    many => {
                        for a in many {
                            self.expr(a);
                        }
                        self.emit(Op::MakeArray(many.len() as u32), span);
                    }
                }
                self.emit(Op::MakeEnum(k), span);
            }
        }
    }

    pub(super) fn call(&mut self, callee: &Expr, args: &[Expr], span: Span) {
        match &callee.kind {
            ExprKind::Field {
                object,
                name,
                optional: false,
            } => self.method_call(object, name, args, span),
            ExprKind::Path { enum_name, variant } => {
                self.path(enum_name, variant, Some(args), span)
            }
            _ => {
                self.expr(callee);
                for a in args {
                    self.expr(a);
                }
                self.emit(Op::Call(args.len().min(255) as u8), span);
            }
        }
    }

    pub(super) fn method_call(&mut self, object: &Expr, name: &Ident, args: &[Expr], span: Span) {
        let k = self.str_const(&name.name);
        let argc = args.len().min(255) as u8;
        // A receiver we can write back to: a variable, or a path whose keys
        // are field names, literals or variables (cheap to evaluate again).
        let target = Self::split_path(object).filter(|(root, keys)| {
            keys.len() <= 32
                && self.decl_of(root).is_some()
                && keys.iter().all(|k| match k {
                    PathKey::Field(_) => true,
                    PathKey::Index(e) => matches!(
                        e.kind,
                        ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Ident(_)
                    ),
                })
        });
        self.expr(object);
        for a in args {
            self.expr(a);
        }
        let Some((root, keys)) = target else {
            self.emit(Op::CallMethod(k, argc), span);
            return;
        };
        self.emit(Op::CallMethodWb(k, argc), span);
        let unchanged = self.emit(Op::JumpIfFalse(0), span);
        let d = self.decl_of(root).expect("filtered above");
        if !self.res.decl(d).kind.is_mutable() {
            self.fail(
                format!("Cannot reassign immutable binding: {}", root.name),
                root.span,
            );
        } else {
            let place = self.place(d);
            if keys.is_empty() {
                self.store_place(place, span);
            } else {
                let p = self.path_desc(place, &root.name, &keys);
                for key in &keys {
                    self.path_key(key);
                }
                self.emit(Op::StorePath(p), span);
            }
        }
        let to_end = self.emit(Op::Jump(0), span);
        self.patch_here(unchanged);
        self.emit(Op::Pop, span);
        self.patch_here(to_end);
    }
}
