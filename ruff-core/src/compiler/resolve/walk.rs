//! The resolver's walk over statements, patterns, assignments and
//! expressions, with the checks made on the way (mutability, arity,
//! loop control, unreachable code).

use crate::diagnostics::{codes, Diagnostic};
use crate::runtime::builtins;
use crate::syntax::Span;

use crate::syntax::ast::*;

use super::{
    decl_kind, pattern_names, BindingKind, Decl, DeclId, FuncCtx, FuncId, FuncInfo, Res, Resolver,
    MAIN_FUNC,
};

impl Resolver {
    pub(super) fn block(&mut self, block: &Block) {
        self.push_scope(block.span);
        self.stmts(&block.stmts, false);
        self.pop_scope();
    }

    pub(super) fn stmts(&mut self, stmts: &[Stmt], top: bool) {
        // Top-level functions are hoisted: declared by the pre-pass.
        // Nested functions are declared where they appear.
        let _ = top;
        let mut ended = false;
        for stmt in stmts {
            if ended {
                self.out.diagnostics.push(Diagnostic::warning(
                    codes::UNREACHABLE,
                    "Unreachable code",
                    stmt.span,
                ));
                ended = false;
            }
            self.stmt(stmt);
            if matches!(
                stmt.kind,
                StmtKind::Return(_) | StmtKind::Break | StmtKind::Continue | StmtKind::Throw(_)
            ) {
                ended = true;
            }
        }
    }

    pub(super) fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Decl {
                kind,
                pattern,
                value,
            } => {
                self.expr(value);
                self.bind_pattern(pattern, decl_kind(*kind));
                if let BindPattern::Name(ident) = pattern {
                    self.note_local(ident, stmt.span);
                }
            }
            StmtKind::Assign { target, op, value } => {
                self.assign(target, *op, value);
                if let (ExprKind::Ident(ident), AssignOp::Walrus) = (&target.kind, op) {
                    self.note_local(ident, stmt.span);
                }
            }
            StmtKind::If {
                cond,
                then_block,
                else_branch,
            } => {
                self.expr(cond);
                self.block(then_block);
                if let Some(e) = else_branch {
                    self.stmt(e);
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.loop_body(|r| r.block(body));
            }
            StmtKind::Loop { body } => self.loop_body(|r| r.block(body)),
            StmtKind::For {
                pattern,
                iterable,
                body,
            } => {
                self.expr(iterable);
                let span = Span::new(pattern.span().start, body.span.end);
                self.loop_body(|r| {
                    r.push_scope(span);
                    r.bind_pattern(pattern, BindingKind::ForVar);
                    r.block(body);
                    r.pop_scope();
                });
            }
            StmtKind::Return(value) => {
                if self.cur_func() == MAIN_FUNC {
                    self.out.diagnostics.push(Diagnostic::error(
                        codes::RETURN_OUTSIDE_FUNCTION,
                        "`return` outside of a function",
                        stmt.span,
                    ));
                }
                if let Some(v) = value {
                    self.expr(v);
                }
            }
            StmtKind::Break | StmtKind::Continue => {
                if self.funcs.last().is_some_and(|f| f.loop_depth == 0) {
                    let word = if stmt.kind == StmtKind::Break {
                        "break"
                    } else {
                        "continue"
                    };
                    self.out.diagnostics.push(Diagnostic::error(
                        codes::LOOP_CONTROL_OUTSIDE_LOOP,
                        format!("`{word}` outside of a loop"),
                        stmt.span,
                    ));
                }
            }
            StmtKind::Throw(e) => self.expr(e),
            StmtKind::Try {
                body,
                err_name,
                handler,
                ..
            } => {
                self.block(body);
                let start = err_name
                    .as_ref()
                    .map_or(handler.span.start, |n| n.span.start);
                self.push_scope(Span::new(start, handler.span.end));
                if let Some(name) = err_name {
                    self.declare(name, BindingKind::CatchVar);
                }
                self.block(handler);
                self.pop_scope();
            }
            StmtKind::Match { scrutinee, arms } => {
                self.expr(scrutinee);
                for arm in arms {
                    self.push_scope(arm.span);
                    self.pattern(&arm.pattern);
                    if let Some(g) = &arm.guard {
                        self.expr(g);
                    }
                    self.block(&arm.body);
                    self.pop_scope();
                }
            }
            StmtKind::Func(f) => {
                let at_top = self.scopes.len() == 1 && self.cur_func() == MAIN_FUNC;
                if let Some(name) = &f.name {
                    if !at_top {
                        let id = self.declare(name, BindingKind::Func);
                        self.out.decls[id as usize].arity = Some(f.params.len());
                        self.out.decls[id as usize].doc = f.doc.clone();
                    }
                }
                self.function(f, None);
            }
            StmtKind::Struct(s) => {
                let strukt = self.out.struct_named(&s.name.name);
                for field in &s.fields {
                    if let Some(d) = &field.default {
                        self.expr(d);
                    }
                }
                for m in &s.methods {
                    self.function(m, strukt);
                }
            }
            StmtKind::Enum(_) | StmtKind::Unsupported { .. } | StmtKind::Error => {}
        }
    }

    pub(super) fn loop_body(&mut self, f: impl FnOnce(&mut Resolver)) {
        if let Some(ctx) = self.funcs.last_mut() {
            ctx.loop_depth += 1;
        }
        f(self);
        if let Some(ctx) = self.funcs.last_mut() {
            ctx.loop_depth -= 1;
        }
    }

    pub(super) fn function(&mut self, f: &FuncDecl, strukt: Option<u32>) {
        let id = self.out.funcs.len() as FuncId;
        let name = f
            .name
            .as_ref()
            .map_or_else(|| "<anonymous>".to_string(), |n| n.name.clone());
        self.out.funcs.push(FuncInfo {
            name,
            parent: Some(self.cur_func()),
            span: f.span,
            strukt,
        });
        self.out.func_at.insert(f.span.start, id);
        self.funcs.push(FuncCtx { id, loop_depth: 0 });
        // Parameters and body are one scope, from the first parameter on.
        let start = f
            .params
            .first()
            .map_or(f.body.span.start, |p| p.name.span.start);
        self.open_scope(Span::new(start, f.body.span.end), strukt);
        for (i, p) in f.params.iter().enumerate() {
            let kind = if strukt.is_some() && i == 0 && p.name.name == "self" {
                BindingKind::SelfParam
            } else {
                BindingKind::Param
            };
            self.declare(&p.name, kind);
        }
        self.stmts(&f.body.stmts, false);
        self.scopes.pop();
        self.funcs.pop();
    }

    pub(super) fn bind_pattern(&mut self, pattern: &BindPattern, kind: BindingKind) {
        for ident in pattern_names(pattern) {
            self.declare(ident, kind);
        }
    }

    pub(super) fn pattern(&mut self, p: &Pattern) {
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Binding(id) => {
                self.declare(id, BindingKind::MatchVar);
            }
            PatternKind::Literal(e) => self.expr(e),
            PatternKind::Variant {
                enum_name,
                variant,
                payload,
            } => {
                if let Some(en) = enum_name {
                    self.check_variant(en, variant);
                }
                if let Some(sub) = payload {
                    self.pattern(sub);
                }
            }
        }
    }

    pub(super) fn check_variant(&mut self, en: &Ident, variant: &Ident) {
        if let Some(e) = self.out.enum_named(&en.name) {
            if !self.out.enums[e as usize].variants.contains(&variant.name) {
                self.out.diagnostics.push(Diagnostic::warning(
                    codes::UNKNOWN_FIELD,
                    format!("Enum {} has no variant {}", en.name, variant.name),
                    variant.span,
                ));
            }
        }
    }

    pub(super) fn assign(&mut self, target: &Expr, op: AssignOp, value: &Expr) {
        self.expr(value);
        match &target.kind {
            ExprKind::Ident(ident) => {
                let res = self.lookup(&ident.name);
                match res {
                    Res::Decl(id) => {
                        self.out.uses.insert(ident.span.start, res);
                        self.check_mutable(ident, id);
                    }
                    _ if op == AssignOp::Walrus => {
                        self.declare(ident, BindingKind::Walrus);
                    }
                    _ => {
                        self.out.uses.insert(ident.span.start, Res::Undefined);
                        self.out.diagnostics.push(Diagnostic::warning(
                            codes::ASSIGN_UNDECLARED,
                            format!("Undefined variable: {}", ident.name),
                            ident.span,
                        ));
                    }
                }
            }
            ExprKind::Index { .. } | ExprKind::Field { .. } => {
                // The root variable is mutated: it must be mutable.
                let mut root = target;
                loop {
                    match &root.kind {
                        ExprKind::Index { object, index } => {
                            self.expr(index);
                            root = object;
                        }
                        ExprKind::Field { object, .. } => root = object,
                        _ => break,
                    }
                }
                if let ExprKind::Ident(ident) = &root.kind {
                    if let Res::Decl(id) = self.use_ident(ident) {
                        self.check_mutable(ident, id);
                    }
                } else {
                    self.expr(root);
                }
            }
            _ => self.expr(target),
        }
    }

    /// Remember a local binding declared by this identifier (if it declared
    /// one) and the statement that declares it.
    pub(super) fn note_local(&mut self, ident: &Ident, stmt: Span) {
        if let Some(&id) = self.out.decl_at.get(&ident.span.start) {
            if !self.out.decl(id).global {
                self.local_decls.push((id, stmt));
            }
        }
    }

    /// W0007 for each noted local whose only occurrence is its declaration
    /// (one pass over `uses`; an assignment counts as a use). The label
    /// spans the declaring statement, which tools may offer to remove.
    pub(super) fn report_unused(&mut self) {
        let mut count = vec![0u32; self.out.decls.len()];
        for res in self.out.uses.values() {
            if let Res::Decl(id) = res {
                count[*id as usize] += 1;
            }
        }
        let mut found = Vec::new();
        for &(id, stmt) in &self.local_decls {
            let decl = self.out.decl(id);
            if count[id as usize] <= 1 && !decl.name.starts_with('_') {
                found.push(
                    Diagnostic::warning(
                        codes::UNUSED_VARIABLE,
                        format!("Unused variable: {}", decl.name),
                        decl.span,
                    )
                    .with_label(stmt, "the declaration")
                    .with_help(format!(
                        "remove it, or rename it `_{}` if it is meant to be unused",
                        decl.name
                    )),
                );
            }
        }
        self.out.diagnostics.extend(found);
    }

    pub(super) fn check_mutable(&mut self, ident: &Ident, id: DeclId) {
        let decl = self.out.decl(id);
        if !decl.kind.is_mutable() {
            let span = decl.span;
            self.out.diagnostics.push(
                Diagnostic::warning(
                    codes::ASSIGN_IMMUTABLE,
                    format!("Cannot reassign immutable binding: {}", ident.name),
                    ident.span,
                )
                .with_label(span, "declared immutable here"),
            );
        }
    }

    pub(super) fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Error => {}
            ExprKind::Interp(parts) => {
                for p in parts {
                    if let InterpPart::Expr(x) = p {
                        self.expr(x);
                    }
                }
            }
            ExprKind::Ident(ident) => {
                self.use_ident(ident);
            }
            ExprKind::Array(items) => {
                for item in items {
                    match item {
                        ArrayItem::Item(x) | ArrayItem::Spread(x) => self.expr(x),
                    }
                }
            }
            ExprKind::Dict(items) => {
                for item in items {
                    match item {
                        DictItem::Pair(k, v) => {
                            self.expr(k);
                            self.expr(v);
                        }
                        DictItem::Spread(x) => self.expr(x),
                    }
                }
            }
            ExprKind::StructLit { name, fields } => {
                for (_, v) in fields {
                    self.expr(v);
                }
                match self.out.struct_named(&name.name) {
                    Some(s) => {
                        for (f, _) in fields {
                            if !self.out.structs[s as usize].fields.contains(&f.name) {
                                self.out.diagnostics.push(Diagnostic::warning(
                                    codes::UNKNOWN_FIELD,
                                    format!("Struct {} has no field {}", name.name, f.name),
                                    f.span,
                                ));
                            }
                        }
                    }
                    None => self.out.diagnostics.push(Diagnostic::warning(
                        codes::UNDEFINED_NAME,
                        format!("Undefined struct: {}", name.name),
                        name.span,
                    )),
                }
            }
            ExprKind::Path { enum_name, variant } => {
                if self.out.enum_named(&enum_name.name).is_some() {
                    self.check_variant(enum_name, variant);
                } else if self.out.struct_named(&enum_name.name).is_none() {
                    self.out.diagnostics.push(Diagnostic::warning(
                        codes::UNDEFINED_NAME,
                        format!("Undefined enum: {}", enum_name.name),
                        enum_name.span,
                    ));
                }
            }
            ExprKind::Unary { expr, .. } => self.expr(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Call { callee, args, .. } => {
                self.expr(callee);
                for a in args {
                    self.expr(a);
                }
                if let ExprKind::Ident(ident) = &callee.kind {
                    self.check_arity(ident, args.len(), e.span);
                }
            }
            ExprKind::Index { object, index } => {
                self.expr(object);
                self.expr(index);
            }
            ExprKind::Field { object, .. } => self.expr(object),
            ExprKind::Func(f) => self.function(f, None),
        }
    }

    pub(super) fn check_arity(&mut self, ident: &Ident, got: usize, span: Span) {
        let message = match self.out.res(ident) {
            Res::Decl(id) => match self.out.decl(id) {
                Decl {
                    kind: BindingKind::Func,
                    arity: Some(n),
                    ..
                } if *n != got => format!("Expected {n} arguments but got {got}"),
                _ => return,
            },
            Res::Builtin(b) => {
                let def = builtins::def(b);
                if got < def.min_args as usize || def.max_args.is_some_and(|m| got > m as usize) {
                    builtins::arity_error(def, got).to_string()
                } else {
                    return;
                }
            }
            _ => return,
        };
        self.out
            .diagnostics
            .push(Diagnostic::warning(codes::WRONG_ARITY, message, span));
    }
}
