//! The semantic index: what the editor features need beyond ruff-core's
//! `Resolution`. The resolver answers "what does the identifier starting at
//! byte N refer to", "what is visible at offset N" and "what would this
//! name mean there" (its scopes); the index adds where every identifier is
//! (sorted, for position lookups) and in which role (member, struct name,
//! field declaration...), the signatures of functions and the shapes of
//! structs and enums (for hover, signature help and member completion), and
//! which variables are known to hold an instance of a struct. It keeps no
//! scopes of its own.
//!
//! It is built by one walk over the tree, after resolution, and never
//! re-resolves names itself: names come from `Resolution::uses`.

use std::collections::HashMap;

use ruff_core::compiler::resolve::{BindingKind, DeclId, Res, Resolution};
use ruff_core::syntax::ast::*;
use ruff_core::syntax::Span;

/// What an identifier occurrence is, beyond a plain name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A name the resolver recorded (use or declaration).
    Name,
    /// `object.name`: a field read, or a method when `call` is set.
    Member {
        receiver: Receiver,
        call: bool,
    },
    /// A struct's name (declaration, literal, path or type annotation).
    StructName(Option<u32>),
    EnumName(Option<u32>),
    /// `Enum::Variant` or a variant pattern; `enum_id` is `None` for the
    /// built-in `Ok`/`Err`/`Some`/`None`.
    Variant {
        enum_id: Option<u32>,
    },
    FieldDecl {
        strukt: u32,
    },
    MethodDecl {
        strukt: u32,
    },
    /// The `x` in `Point { x: 1 }`.
    LitField {
        strukt: Option<u32>,
    },
}

/// What the object of a member access is known to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receiver {
    /// A name: the struct it holds (if known) is looked up lazily through
    /// `decl_struct`, so declaration order does not matter.
    Name {
        start: u32,
    },
    Struct(u32),
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdentRef {
    pub span: Span,
    pub role: Role,
}

#[derive(Clone, Debug)]
pub struct FuncSig {
    pub name: String,
    /// Parameters as written, with their annotations (`a: int`).
    pub params: Vec<String>,
    pub ret: Option<String>,
    pub doc: Option<String>,
    pub name_span: Span,
    /// The whole `func ... { ... }`.
    pub span: Span,
    /// The struct this is a method of.
    pub method_of: Option<u32>,
}

impl FuncSig {
    /// `func name(a, b) -> ret`.
    pub fn label(&self) -> String {
        let mut s = format!("func {}({})", self.name, self.params.join(", "));
        if let Some(r) = &self.ret {
            s.push_str(" -> ");
            s.push_str(r);
        }
        s
    }

    /// The parameters a caller passes: a method called as `obj.m(...)`
    /// gets `self` implicitly.
    pub fn call_params(&self) -> &[String] {
        match self.params.first() {
            Some(p) if self.method_of.is_some() && p.split(':').next() == Some("self") => {
                &self.params[1..]
            }
            _ => &self.params,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: String,
    pub span: Span,
    pub ty: Option<String>,
}

#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    pub doc: Option<String>,
    pub fields: Vec<FieldDef>,
    pub methods: Vec<FuncSig>,
}

#[derive(Clone, Debug)]
pub struct EnumDef {
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    pub doc: Option<String>,
    pub variants: Vec<(String, Span)>,
}

#[derive(Clone, Debug, Default)]
pub struct SemanticIndex {
    /// Every identifier occurrence, sorted by start.
    pub idents: Vec<IdentRef>,
    /// Signatures keyed by the start of the declaring name (named functions,
    /// methods and `let f := func(...)` bindings).
    pub funcs: HashMap<u32, FuncSig>,
    /// Parallel to `Resolution::structs` / `Resolution::enums`.
    pub structs: Vec<StructDef>,
    pub enums: Vec<EnumDef>,
    /// Variables known to hold an instance of a struct.
    pub decl_struct: HashMap<DeclId, u32>,
    /// Every call whose callee is a name or `object.name`, in source order.
    pub calls: Vec<CallSite>,
}

/// One call `f(a, b)` / `obj.m(a)` / `x |> f(y)`. What the callee denotes
/// is asked of `goto` (the resolver) when needed, not stored here.
#[derive(Clone, Debug)]
pub struct CallSite {
    /// The callee's name identifier (`f`, or `m` in `obj.m`).
    pub callee: Span,
    /// The argument expressions as written (for a pipe, the piped value
    /// first).
    pub args: Vec<Span>,
    pub pipe: bool,
    /// The key in `funcs` of the function whose body holds the call
    /// (anonymous functions count as the name they are bound to, else as
    /// their enclosing function); `None` at top level.
    pub caller: Option<u32>,
}

impl SemanticIndex {
    pub fn build(program: &Program, res: &Resolution) -> SemanticIndex {
        let mut b = Builder {
            res,
            out: SemanticIndex::default(),
            current_fn: None,
            pending_fn: None,
        };
        b.declare_types(&program.stmts);
        b.stmts(&program.stmts);
        b.out.idents.sort_by_key(|i| i.span.start);
        b.out.idents.dedup_by_key(|i| i.span.start);
        b.out
    }

    /// The identifier at `offset`, including a cursor just after its last
    /// character (where editors put it after a double-click or typing).
    pub fn ident_at(&self, offset: u32) -> Option<IdentRef> {
        let i = self.idents.partition_point(|r| r.span.start <= offset);
        let cand = self.idents[..i].last()?;
        (offset <= cand.span.end).then_some(*cand)
    }

    /// The struct a receiver is known to hold.
    pub fn receiver_struct(&self, res: &Resolution, receiver: Receiver) -> Option<u32> {
        match receiver {
            Receiver::Struct(s) => Some(s),
            Receiver::Name { start } => match res.uses.get(&start)? {
                Res::Decl(d) => self.decl_struct.get(d).copied(),
                _ => None,
            },
            Receiver::Unknown => None,
        }
    }
}

struct Builder<'a> {
    res: &'a Resolution,
    out: SemanticIndex,
    /// The `funcs` key of the function being walked (see `CallSite::caller`).
    current_fn: Option<u32>,
    /// The name an anonymous function about to be walked is bound to.
    pending_fn: Option<u32>,
}

impl Builder<'_> {
    fn push(&mut self, span: Span, role: Role) {
        self.out.idents.push(IdentRef { span, role });
    }

    /// A name the resolver knows (a use or a declaration).
    fn name(&mut self, ident: &Ident) {
        self.push(ident.span, Role::Name);
    }

    fn decl_of(&self, ident: &Ident) -> Option<DeclId> {
        self.res.decl_at.get(&ident.span.start).copied()
    }

    fn declare_types(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Struct(s) => {
                    let strukt = self.out.structs.len() as u32;
                    let methods = s
                        .methods
                        .iter()
                        .filter_map(|m| signature(m, Some(strukt)))
                        .collect();
                    self.out.structs.push(StructDef {
                        name: s.name.name.clone(),
                        name_span: s.name.span,
                        span: stmt.span,
                        doc: s.doc.clone(),
                        fields: s
                            .fields
                            .iter()
                            .map(|f| FieldDef {
                                name: f.name.name.clone(),
                                span: f.name.span,
                                ty: f.ty.as_ref().map(|t| t.text.clone()),
                            })
                            .collect(),
                        methods,
                    });
                }
                StmtKind::Enum(e) => self.out.enums.push(EnumDef {
                    name: e.name.name.clone(),
                    name_span: e.name.span,
                    span: stmt.span,
                    doc: e.doc.clone(),
                    variants: e
                        .variants
                        .iter()
                        .map(|v| (v.name.clone(), v.span))
                        .collect(),
                }),
                _ => {}
            }
        }
    }

    fn block(&mut self, block: &Block) {
        self.stmts(&block.stmts);
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expr(e) | StmtKind::Throw(e) => self.expr(e),
            StmtKind::Decl { pattern, value, .. } => {
                if let (BindPattern::Name(id), ExprKind::Func(_)) = (pattern, &value.kind) {
                    self.pending_fn = Some(id.span.start);
                }
                self.expr(value);
                self.bind_pattern(pattern);
                if let (BindPattern::Name(id), Some(s)) = (pattern, self.struct_of_value(value)) {
                    if let Some(d) = self.decl_of(id) {
                        self.out.decl_struct.insert(d, s);
                    }
                }
                self.func_binding(pattern, value);
            }
            StmtKind::Assign { target, value, .. } => {
                self.expr(value);
                self.expr(target);
                if let ExprKind::Ident(id) = &target.kind {
                    if let (Some(d), Some(s)) = (self.decl_of(id), self.struct_of_value(value)) {
                        self.out.decl_struct.insert(d, s);
                    }
                    if let (Some(_), ExprKind::Func(f)) = (self.decl_of(id), &value.kind) {
                        self.anon_signature(id, f);
                    }
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
                self.block(body);
            }
            StmtKind::Loop { body } => self.block(body),
            StmtKind::For {
                pattern,
                iterable,
                body,
            } => {
                self.expr(iterable);
                self.bind_pattern(pattern);
                self.block(body);
            }
            StmtKind::Return(v) => {
                if let Some(v) = v {
                    self.expr(v);
                }
            }
            StmtKind::Break | StmtKind::Continue => {}
            StmtKind::Try {
                body,
                err_name,
                handler,
                ..
            } => {
                self.block(body);
                if let Some(n) = err_name {
                    self.name(n);
                }
                self.block(handler);
            }
            StmtKind::Match { scrutinee, arms } => {
                self.expr(scrutinee);
                for arm in arms {
                    self.pattern(&arm.pattern);
                    if let Some(g) = &arm.guard {
                        self.expr(g);
                    }
                    self.block(&arm.body);
                }
            }
            StmtKind::Func(f) => {
                if let Some(n) = &f.name {
                    self.name(n);
                    if let Some(sig) = signature(f, None) {
                        self.out.funcs.insert(n.span.start, sig);
                    }
                }
                self.function(f, None);
            }
            StmtKind::Struct(s) => {
                let strukt = self.res.struct_named(&s.name.name);
                self.push(s.name.span, Role::StructName(strukt));
                for f in &s.fields {
                    if let Some(st) = strukt {
                        self.push(f.name.span, Role::FieldDecl { strukt: st });
                    }
                    if let Some(t) = &f.ty {
                        self.type_ann(t);
                    }
                    if let Some(d) = &f.default {
                        self.expr(d);
                    }
                }
                for m in &s.methods {
                    if let (Some(n), Some(st)) = (&m.name, strukt) {
                        self.push(n.span, Role::MethodDecl { strukt: st });
                        if let Some(sig) = signature(m, Some(st)) {
                            self.out.funcs.insert(n.span.start, sig);
                        }
                    }
                    self.function(m, strukt);
                }
            }
            StmtKind::Enum(e) => {
                let id = self.res.enum_named(&e.name.name);
                self.push(e.name.span, Role::EnumName(id));
                for v in &e.variants {
                    self.push(v.span, Role::Variant { enum_id: id });
                }
            }
            StmtKind::Unsupported { .. } | StmtKind::Error => {}
        }
    }

    fn function(&mut self, f: &FuncDecl, strukt: Option<u32>) {
        let named = f.name.as_ref().map(|n| n.span.start);
        let this = named.or(self.pending_fn.take()).or(self.current_fn);
        let outer = std::mem::replace(&mut self.current_fn, this);
        self.function_body(f, strukt);
        self.current_fn = outer;
    }

    fn function_body(&mut self, f: &FuncDecl, strukt: Option<u32>) {
        for (i, p) in f.params.iter().enumerate() {
            self.name(&p.name);
            let d = self.decl_of(&p.name);
            let known = match (&p.ty, strukt) {
                (_, Some(st)) if i == 0 && p.name.name == "self" => Some(st),
                (Some(t), _) => self.res.struct_named(t.text.trim()),
                _ => None,
            };
            if let (Some(d), Some(st)) = (d, known) {
                self.out.decl_struct.insert(d, st);
            }
            if let Some(t) = &p.ty {
                self.type_ann(t);
            }
        }
        if let Some(t) = &f.ret {
            self.type_ann(t);
        }
        self.stmts(&f.body.stmts);
    }

    /// A type annotation that names a struct is a reference to it.
    fn type_ann(&mut self, t: &TypeAnn) {
        let name = t.text.trim();
        if let Some(s) = self.res.struct_named(name) {
            let start = t.span.start + t.text.find(name).unwrap_or(0) as u32;
            self.push(
                Span::new(start, start + name.len() as u32),
                Role::StructName(Some(s)),
            );
        }
    }

    fn func_binding(&mut self, pattern: &BindPattern, value: &Expr) {
        if let (BindPattern::Name(id), ExprKind::Func(f)) = (pattern, &value.kind) {
            self.anon_signature(id, f);
        }
    }

    fn anon_signature(&mut self, id: &Ident, f: &FuncDecl) {
        let sig = FuncSig {
            name: id.name.clone(),
            params: params_text(f),
            ret: f.ret.as_ref().map(|t| t.text.clone()),
            doc: f.doc.clone(),
            name_span: id.span,
            span: f.span,
            method_of: None,
        };
        self.out.funcs.insert(id.span.start, sig);
    }

    fn struct_of_value(&self, value: &Expr) -> Option<u32> {
        match &value.kind {
            ExprKind::StructLit { name, .. } => self.res.struct_named(&name.name),
            _ => None,
        }
    }

    fn bind_pattern(&mut self, pattern: &BindPattern) {
        match pattern {
            BindPattern::Name(id) => self.name(id),
            BindPattern::Array { items, rest, .. } => {
                for p in items {
                    self.bind_pattern(p);
                }
                if let Some(r) = rest {
                    self.name(r);
                }
            }
            BindPattern::Dict { keys, .. } => {
                for k in keys {
                    self.name(k);
                }
            }
        }
    }

    fn pattern(&mut self, p: &Pattern) {
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Binding(id) => self.name(id),
            PatternKind::Literal(e) => self.expr(e),
            PatternKind::Variant {
                enum_name,
                variant,
                payload,
            } => {
                let enum_id = enum_name
                    .as_ref()
                    .and_then(|en| self.res.enum_named(&en.name));
                if let Some(en) = enum_name {
                    self.push(en.span, Role::EnumName(enum_id));
                }
                self.push(variant.span, Role::Variant { enum_id });
                if let Some(sub) = payload {
                    self.pattern(sub);
                }
            }
        }
    }

    fn receiver(&self, object: &Expr) -> Receiver {
        match &object.kind {
            ExprKind::Ident(id) => Receiver::Name {
                start: id.span.start,
            },
            ExprKind::StructLit { name, .. } => self
                .res
                .struct_named(&name.name)
                .map_or(Receiver::Unknown, Receiver::Struct),
            _ => Receiver::Unknown,
        }
    }

    fn expr(&mut self, e: &Expr) {
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
            ExprKind::Ident(id) => self.name(id),
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
                let strukt = self.res.struct_named(&name.name);
                self.push(name.span, Role::StructName(strukt));
                for (f, v) in fields {
                    self.push(f.span, Role::LitField { strukt });
                    self.expr(v);
                }
            }
            ExprKind::Path { enum_name, variant } => {
                if let Some(s) = self.res.struct_named(&enum_name.name) {
                    self.push(enum_name.span, Role::StructName(Some(s)));
                    self.push(
                        variant.span,
                        Role::Member {
                            receiver: Receiver::Struct(s),
                            call: true,
                        },
                    );
                } else {
                    let enum_id = self.res.enum_named(&enum_name.name);
                    self.push(enum_name.span, Role::EnumName(enum_id));
                    self.push(variant.span, Role::Variant { enum_id });
                }
            }
            ExprKind::Unary { expr, .. } => self.expr(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Call { callee, args, pipe } => {
                let name_span = match &callee.kind {
                    ExprKind::Ident(id) => Some(id.span),
                    ExprKind::Field { name, .. } => Some(name.span),
                    _ => None,
                };
                if let Some(callee) = name_span {
                    self.out.calls.push(CallSite {
                        callee,
                        args: args.iter().map(|x| x.span).collect(),
                        pipe: *pipe,
                        caller: self.current_fn,
                    });
                }
                if let ExprKind::Field { object, name, .. } = &callee.kind {
                    self.expr(object);
                    let receiver = self.receiver(object);
                    self.push(
                        name.span,
                        Role::Member {
                            receiver,
                            call: true,
                        },
                    );
                } else {
                    self.expr(callee);
                }
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::Index { object, index } => {
                self.expr(object);
                self.expr(index);
            }
            ExprKind::Field { object, name, .. } => {
                self.expr(object);
                let receiver = self.receiver(object);
                self.push(
                    name.span,
                    Role::Member {
                        receiver,
                        call: false,
                    },
                );
            }
            ExprKind::Func(f) => self.function(f, None),
        }
    }
}

fn params_text(f: &FuncDecl) -> Vec<String> {
    f.params
        .iter()
        .map(|p| match &p.ty {
            Some(t) => format!("{}: {}", p.name.name, t.text),
            None => p.name.name.clone(),
        })
        .collect()
}

fn signature(f: &FuncDecl, method_of: Option<u32>) -> Option<FuncSig> {
    let name = f.name.as_ref()?;
    Some(FuncSig {
        name: name.name.clone(),
        params: params_text(f),
        ret: f.ret.as_ref().map(|t| t.text.clone()),
        doc: f.doc.clone(),
        name_span: name.span,
        span: f.span,
        method_of,
    })
}

/// A short word for a binding kind, as shown on hover and in completion.
pub fn kind_word(kind: BindingKind) -> &'static str {
    match kind {
        BindingKind::Let => "let",
        BindingKind::Mut | BindingKind::Walrus => "mut",
        BindingKind::Const => "const",
        BindingKind::Param | BindingKind::SelfParam => "parameter",
        BindingKind::Func => "func",
        BindingKind::ForVar => "loop variable",
        BindingKind::CatchVar => "error variable",
        BindingKind::MatchVar => "match binding",
    }
}
