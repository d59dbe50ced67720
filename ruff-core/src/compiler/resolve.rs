//! Name resolution: the semantic model of a file. Walks the tree once and
//! records, for every identifier occurrence, what it refers to (a declaration,
//! a builtin, a field of the method's receiver, or nothing), which locals are
//! captured by closures, and the static diagnostics (duplicates, loop control
//! outside loops, undefined names, assignments to `let`, arity, unreachable
//! code). The emitter, `ruff check` and the language server all read it.
//!
//! It also keeps its lexical scopes (`Resolution::scopes`: span, parent,
//! declarations) so that tools can ask, for any offset, "what is visible
//! here" (`visible_at`) and "what does this name mean here" (`lookup_at`)
//! with the same rules the walk applied.

use rustc_hash::FxHashMap;

use crate::diagnostics::{codes, Diagnostic};
use crate::runtime::builtins;
use crate::syntax::ast::*;
use crate::syntax::Span;

mod walk;

pub type DeclId = u32;
pub type FuncId = u32;

/// The function that holds the top-level code.
pub const MAIN_FUNC: FuncId = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindingKind {
    Let,
    Mut,
    Const,
    /// `name := v` with no visible binding: a new mutable binding.
    Walrus,
    Param,
    /// A method's `self` parameter.
    SelfParam,
    Func,
    ForVar,
    CatchVar,
    MatchVar,
}

impl BindingKind {
    pub fn is_mutable(self) -> bool {
        !matches!(self, BindingKind::Let | BindingKind::Const)
    }

    /// Declared with `let`/`mut`/`const`/`func` (duplicates are errors).
    fn is_explicit(self) -> bool {
        matches!(
            self,
            BindingKind::Let | BindingKind::Mut | BindingKind::Const | BindingKind::Func
        )
    }
}

#[derive(Clone, Debug)]
pub struct Decl {
    pub name: String,
    pub kind: BindingKind,
    /// Span of the declaring identifier.
    pub span: Span,
    /// The function whose frame holds it.
    pub func: FuncId,
    /// A top-level binding, stored in the globals table.
    pub global: bool,
    /// Read or written by a nested function: lives in a cell.
    pub captured: bool,
    /// For `func` declarations: number of parameters.
    pub arity: Option<usize>,
    pub doc: Option<String>,
}

/// What an identifier occurrence refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Res {
    Decl(DeclId),
    Builtin(u16),
    /// `PI`, `E`, `None`.
    Constant,
    /// A bare field name inside a method: field `index` of struct `strukt`.
    Field {
        strukt: u32,
        index: u32,
    },
    Undefined,
}

#[derive(Clone, Debug)]
pub struct FuncInfo {
    pub name: String,
    pub parent: Option<FuncId>,
    pub span: Span,
    /// Set for methods.
    pub strukt: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct StructInfo {
    pub name: String,
    pub span: Span,
    pub fields: Vec<String>,
    pub methods: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct EnumInfo {
    pub name: String,
    pub span: Span,
    pub variants: Vec<String>,
}

pub type ScopeId = u32;

/// A lexical scope as the resolver saw it. Scope 0 is the file (its
/// declarations are the globals); every other scope nests inside its
/// parent's span, and children are in source order.
#[derive(Clone, Debug)]
pub struct ScopeInfo {
    pub span: Span,
    pub parent: Option<ScopeId>,
    pub children: Vec<ScopeId>,
    /// Declarations made directly in this scope, in the order declared.
    pub decls: Vec<DeclId>,
    /// A method body: the method's struct. Bare field names of it are
    /// visible inside, and enclosing locals are not (a barrier).
    pub strukt: Option<u32>,
}

/// A name visible at some offset (see `Resolution::visible_at`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visible {
    Decl(DeclId),
    /// A bare field name inside a method of `strukt`.
    Field {
        strukt: u32,
        index: u32,
    },
}

/// The resolver's output.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// Lexical scopes (scope 0 is the file); see `ScopeInfo`.
    pub scopes: Vec<ScopeInfo>,
    pub decls: Vec<Decl>,
    /// Identifier start offset → what it refers to (uses and declarations).
    pub uses: FxHashMap<u32, Res>,
    /// Declaring identifier start offset → declaration.
    pub decl_at: FxHashMap<u32, DeclId>,
    pub funcs: Vec<FuncInfo>,
    /// `FuncDecl::span.start` → function id.
    pub func_at: FxHashMap<u32, FuncId>,
    pub structs: Vec<StructInfo>,
    pub enums: Vec<EnumInfo>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Resolution {
    pub fn decl(&self, id: DeclId) -> &Decl {
        &self.decls[id as usize]
    }

    pub fn res(&self, ident: &Ident) -> Res {
        self.uses
            .get(&ident.span.start)
            .copied()
            .unwrap_or(Res::Undefined)
    }

    pub fn struct_named(&self, name: &str) -> Option<u32> {
        self.structs
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as u32)
    }

    pub fn enum_named(&self, name: &str) -> Option<u32> {
        self.enums
            .iter()
            .position(|e| e.name == name)
            .map(|i| i as u32)
    }

    /// The innermost scope whose span contains `offset` (0, the file, if
    /// none). Descends from the file scope; the depth is bounded by the
    /// parser's nesting limit.
    pub fn scope_at(&self, offset: u32) -> ScopeId {
        let mut cur: ScopeId = 0;
        if self.scopes.is_empty() {
            return cur;
        }
        'descend: loop {
            let children = &self.scopes[cur as usize].children;
            // Children are in source order and do not overlap.
            let i = children.partition_point(|&c| self.scopes[c as usize].span.start <= offset);
            if i > 0 {
                let child = children[i - 1];
                let s = self.scopes[child as usize].span;
                if offset < s.end.max(s.start + 1) {
                    cur = child;
                    continue 'descend;
                }
            }
            return cur;
        }
    }

    /// Every name visible at `offset`, innermost first, each name once (the
    /// binding that shadows the others): locals declared before `offset` in
    /// the enclosing scopes up to a method body, that method's fields, then
    /// the globals. Builtins and constants are not included.
    pub fn visible_at(&self, offset: u32) -> Vec<Visible> {
        let mut seen: FxHashMap<&str, ()> = FxHashMap::default();
        let mut out = Vec::new();
        self.walk_visible(offset, |v, name| {
            if seen.insert(name, ()).is_none() {
                out.push(v);
            }
            false
        });
        out
    }

    /// What `name` would mean if written at `offset`: the same answer the
    /// resolver gives for an identifier there (used where the text at the
    /// cursor does not parse yet, so the walk recorded nothing).
    pub fn lookup_at(&self, name: &str, offset: u32) -> Res {
        let mut found = None;
        self.walk_visible(offset, |v, n| {
            if n == name {
                found = Some(v);
                return true;
            }
            false
        });
        match found {
            Some(Visible::Decl(d)) => Res::Decl(d),
            Some(Visible::Field { strukt, index }) => Res::Field { strukt, index },
            None if builtins::constant(name).is_some() => Res::Constant,
            None => builtins::lookup(name).map_or(Res::Undefined, Res::Builtin),
        }
    }

    /// Calls `f` with each visible binding, innermost first (shadowed ones
    /// too); stops when `f` returns true.
    fn walk_visible<'a>(&'a self, offset: u32, mut f: impl FnMut(Visible, &'a str) -> bool) {
        if self.scopes.is_empty() {
            return;
        }
        let mut scope = Some(self.scope_at(offset));
        while let Some(id) = scope {
            let sc = &self.scopes[id as usize];
            for &d in sc.decls.iter().rev() {
                let decl = self.decl(d);
                // Locals exist from their declaration on; globals everywhere.
                if (decl.global || decl.span.start < offset) && f(Visible::Decl(d), &decl.name) {
                    return;
                }
            }
            if let Some(strukt) = sc.strukt {
                let fields = &self.structs[strukt as usize].fields;
                for (index, name) in fields.iter().enumerate() {
                    let v = Visible::Field {
                        strukt,
                        index: index as u32,
                    };
                    if f(v, name) {
                        return;
                    }
                }
                // A method body sees no enclosing locals: on to the globals.
                scope = (id != 0).then_some(0);
                continue;
            }
            scope = sc.parent;
        }
    }

    /// Is this identifier a call of the unshadowed builtin `name`?
    pub fn is_builtin(&self, ident: &Ident, name: &str) -> bool {
        matches!(self.res(ident), Res::Builtin(id) if builtins::def(id).name == name)
    }
}

struct Scope {
    /// Its entry in `Resolution::scopes`.
    id: ScopeId,
    names: FxHashMap<String, DeclId>,
    /// A method body: lookups do not see enclosing locals past this scope.
    barrier: bool,
}

struct FuncCtx {
    id: FuncId,
    loop_depth: u32,
}

pub fn resolve(program: &Program) -> Resolution {
    let mut r = Resolver {
        out: Resolution::default(),
        scopes: Vec::new(),
        globals: FxHashMap::default(),
        funcs: vec![FuncCtx {
            id: MAIN_FUNC,
            loop_depth: 0,
        }],
        local_decls: Vec::new(),
    };
    r.out.funcs.push(FuncInfo {
        name: "<main>".into(),
        parent: None,
        span: Span::default(),
        strukt: None,
    });
    r.out.scopes.push(ScopeInfo {
        span: Span::new(0, u32::MAX),
        parent: None,
        children: Vec::new(),
        decls: Vec::new(),
        strukt: None,
    });
    r.declare_types(&program.stmts);
    r.declare_globals(&program.stmts);
    // The top-level block shares the file scope (its bindings are the
    // globals the pre-pass declared).
    r.scopes.push(Scope {
        id: 0,
        names: FxHashMap::default(),
        barrier: false,
    });
    r.stmts(&program.stmts, true);
    r.report_unused();
    r.out
}

struct Resolver {
    out: Resolution,
    /// Block scopes below the globals, innermost last.
    scopes: Vec<Scope>,
    globals: FxHashMap<String, DeclId>,
    funcs: Vec<FuncCtx>,
    /// Single-name local declarations with their statement's span: the
    /// candidates for `UNUSED_VARIABLE`.
    local_decls: Vec<(DeclId, Span)>,
}

impl Resolver {
    pub(super) fn cur_func(&self) -> FuncId {
        self.funcs.last().map_or(MAIN_FUNC, |f| f.id)
    }

    pub(super) fn new_decl(&mut self, ident: &Ident, kind: BindingKind, global: bool) -> DeclId {
        let id = self.out.decls.len() as DeclId;
        self.out.decls.push(Decl {
            name: ident.name.clone(),
            kind,
            span: ident.span,
            func: self.cur_func(),
            global,
            captured: false,
            arity: None,
            doc: None,
        });
        self.out.decl_at.insert(ident.span.start, id);
        self.out.uses.insert(ident.span.start, Res::Decl(id));
        // Globals join the file scope; locals the innermost open scope.
        let scope = if global {
            0
        } else {
            self.scopes.last().map_or(0, |s| s.id)
        };
        self.out.scopes[scope as usize].decls.push(id);
        id
    }

    pub(super) fn duplicate(&mut self, ident: &Ident, previous: DeclId) {
        let prev_span = self.out.decl(previous).span;
        self.out.diagnostics.push(
            Diagnostic::error(
                codes::DUPLICATE_DECLARATION,
                format!("Duplicate declaration in the same scope: {}", ident.name),
                ident.span,
            )
            .with_label(prev_span, "first declared here"),
        );
    }

    /// Structs and enums form a static namespace, visible everywhere.
    pub(super) fn declare_types(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Struct(s) => self.out.structs.push(StructInfo {
                    name: s.name.name.clone(),
                    span: s.name.span,
                    fields: s.fields.iter().map(|f| f.name.name.clone()).collect(),
                    methods: s
                        .methods
                        .iter()
                        .filter_map(|m| m.name.as_ref().map(|n| n.name.clone()))
                        .collect(),
                }),
                StmtKind::Enum(e) => self.out.enums.push(EnumInfo {
                    name: e.name.name.clone(),
                    span: e.name.span,
                    variants: e.variants.iter().map(|v| v.name.clone()).collect(),
                }),
                _ => {}
            }
        }
    }

    /// Top-level bindings are globals, visible from every function wherever
    /// they are declared (mutually recursive functions work).
    pub(super) fn declare_globals(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Decl { kind, pattern, .. } => {
                    let kind = decl_kind(*kind);
                    for ident in pattern_names(pattern) {
                        self.declare_global(ident, kind);
                    }
                }
                StmtKind::Func(f) => {
                    if let Some(name) = &f.name {
                        let id = self.declare_global(name, BindingKind::Func);
                        let d = &mut self.out.decls[id as usize];
                        d.arity = Some(f.params.len());
                        d.doc = f.doc.clone();
                    }
                }
                _ => {}
            }
        }
        for stmt in stmts {
            if let StmtKind::Assign {
                target,
                op: AssignOp::Walrus,
                ..
            } = &stmt.kind
            {
                if let ExprKind::Ident(ident) = &target.kind {
                    if !self.globals.contains_key(&ident.name) {
                        let id = self.new_decl(ident, BindingKind::Walrus, true);
                        self.globals.insert(ident.name.clone(), id);
                    }
                }
            }
        }
    }

    pub(super) fn declare_global(&mut self, ident: &Ident, kind: BindingKind) -> DeclId {
        if let Some(&prev) = self.globals.get(&ident.name) {
            if self.out.decl(prev).kind.is_explicit() {
                self.duplicate(ident, prev);
            }
        }
        let id = self.new_decl(ident, kind, true);
        self.globals.insert(ident.name.clone(), id);
        id
    }

    /// Declare a local in the innermost scope (or reuse the global declared by
    /// the pre-pass when at the top level of the file).
    pub(super) fn declare(&mut self, ident: &Ident, kind: BindingKind) -> DeclId {
        if self.scopes.len() == 1 && self.cur_func() == MAIN_FUNC {
            if let Some(&id) = self.out.decl_at.get(&ident.span.start) {
                return id;
            }
        }
        let scope = self.scopes.last().expect("a scope is always open");
        if let Some(&prev) = scope.names.get(&ident.name) {
            if kind.is_explicit() && self.out.decl(prev).kind.is_explicit() {
                self.duplicate(ident, prev);
            }
        }
        let id = self.new_decl(ident, kind, false);
        self.scopes
            .last_mut()
            .expect("a scope is always open")
            .names
            .insert(ident.name.clone(), id);
        id
    }

    /// Find the binding a name refers to from here, marking captures.
    pub(super) fn lookup(&mut self, name: &str) -> Res {
        let here = self.cur_func();
        for scope in self.scopes.iter().rev() {
            if let Some(&id) = scope.names.get(name) {
                if self.out.decls[id as usize].func != here {
                    self.out.decls[id as usize].captured = true;
                }
                return Res::Decl(id);
            }
            if scope.barrier {
                break;
            }
        }
        if let Some(strukt) = self.current_struct() {
            if let Some(index) = self.out.structs[strukt as usize]
                .fields
                .iter()
                .position(|f| f == name)
            {
                return Res::Field {
                    strukt,
                    index: index as u32,
                };
            }
        }
        if let Some(&id) = self.globals.get(name) {
            return Res::Decl(id);
        }
        if builtins::constant(name).is_some() {
            return Res::Constant;
        }
        if let Some(id) = builtins::lookup(name) {
            return Res::Builtin(id);
        }
        Res::Undefined
    }

    pub(super) fn current_struct(&self) -> Option<u32> {
        let mut f = Some(self.cur_func());
        while let Some(id) = f {
            let info = &self.out.funcs[id as usize];
            if info.strukt.is_some() {
                return info.strukt;
            }
            f = info.parent;
        }
        None
    }

    pub(super) fn use_ident(&mut self, ident: &Ident) -> Res {
        let res = self.lookup(&ident.name);
        self.out.uses.insert(ident.span.start, res);
        if res == Res::Undefined {
            self.out.diagnostics.push(Diagnostic::warning(
                codes::UNDEFINED_NAME,
                format!("Undefined variable: {}", ident.name),
                ident.span,
            ));
        }
        res
    }

    /// Open a scope covering `span` (recorded in `Resolution::scopes`).
    pub(super) fn push_scope(&mut self, span: Span) {
        self.open_scope(span, None);
    }

    pub(super) fn open_scope(&mut self, span: Span, strukt: Option<u32>) {
        let id = self.out.scopes.len() as ScopeId;
        let parent = self.scopes.last().map_or(0, |s| s.id);
        self.out.scopes.push(ScopeInfo {
            span,
            parent: Some(parent),
            children: Vec::new(),
            decls: Vec::new(),
            strukt,
        });
        self.out.scopes[parent as usize].children.push(id);
        self.scopes.push(Scope {
            id,
            names: FxHashMap::default(),
            barrier: strukt.is_some(),
        });
    }

    pub(super) fn pop_scope(&mut self) {
        self.scopes.pop();
    }
}

fn decl_kind(kind: DeclKind) -> BindingKind {
    match kind {
        DeclKind::Let => BindingKind::Let,
        DeclKind::Mut => BindingKind::Mut,
        DeclKind::Const => BindingKind::Const,
    }
}

/// Every name a binding pattern declares, in order.
pub fn pattern_names(pattern: &BindPattern) -> Vec<&Ident> {
    let mut out = Vec::new();
    collect_names(pattern, &mut out);
    out
}

fn collect_names<'a>(pattern: &'a BindPattern, out: &mut Vec<&'a Ident>) {
    match pattern {
        BindPattern::Name(id) => out.push(id),
        BindPattern::Array { items, rest, .. } => {
            for p in items {
                collect_names(p, out);
            }
            if let Some(r) = rest {
                out.push(r);
            }
        }
        BindPattern::Dict { keys, .. } => out.extend(keys.iter()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn at(src: &str, needle: &str) -> u32 {
        src.find(needle).unwrap_or_else(|| panic!("{needle:?}")) as u32
    }

    fn names(res: &Resolution, offset: u32) -> Vec<String> {
        res.visible_at(offset)
            .into_iter()
            .map(|v| match v {
                Visible::Decl(d) => res.decl(d).name.clone(),
                Visible::Field { strukt, index } => {
                    format!(
                        "field {}",
                        res.structs[strukt as usize].fields[index as usize]
                    )
                }
            })
            .collect()
    }

    #[test]
    fn unused_locals_are_reported_with_their_statement() {
        let src = "let g := 1\nfunc f(p) {\n  let a := 1\n  mut b := 2\n  b = 3\n  c := 4\n  let _d := 5\n  let [e] := [1]\n  let used := 6\n  return used\n}\n";
        let res = resolve(&parse(src).program);
        let unused: Vec<(&str, &str)> = res
            .diagnostics
            .iter()
            .filter(|d| d.code == codes::UNUSED_VARIABLE)
            .map(|d| (&src[d.span.range()], &src[d.labels[0].span.range()]))
            .collect();
        assert_eq!(unused, [("a", "let a := 1"), ("c", "c := 4")]);
    }

    #[test]
    fn scopes_answer_what_is_visible_and_what_a_name_means() {
        let src = "let g := 1\nfunc f(a) {\n  let x := a\n  for i in [1] {\n    let x := i\n    print(x) # inner\n  }\n  print(x) # outer\n}\nstruct P { v, func m(self) { return v # here\n } }\n";
        let res = resolve(&parse(src).program);
        assert_eq!(res.scopes[0].parent, None);
        let inner = at(src, "print(x) # inner");
        assert_eq!(names(&res, inner), ["x", "i", "a", "f", "g"]);
        // The inner `x` shadows the outer one; after the loop the outer one.
        let Res::Decl(d) = res.lookup_at("x", inner) else {
            panic!()
        };
        assert_eq!(res.decl(d).span.start, at(src, "x := i"));
        let Res::Decl(d) = res.lookup_at("x", at(src, "print(x) # outer")) else {
            panic!()
        };
        assert_eq!(res.decl(d).span.start, at(src, "x := a"));
        // Locals only after their declaration; globals everywhere.
        assert!(!names(&res, at(src, "let x := a")).contains(&"x".to_string()));
        assert_eq!(
            res.lookup_at("print", inner),
            Res::Builtin(builtins::lookup("print").unwrap())
        );
        assert_eq!(res.lookup_at("nope", inner), Res::Undefined);
        // A method sees its fields and the globals, not enclosing locals.
        let here = at(src, "v # here");
        assert!(names(&res, here).contains(&"field v".to_string()));
        assert!(matches!(
            res.lookup_at("v", here),
            Res::Field { index: 0, .. }
        ));
        assert!(names(&res, here).contains(&"g".to_string()));
        // Every scope nests in its parent's span.
        for sc in &res.scopes[1..] {
            let p = &res.scopes[sc.parent.unwrap() as usize];
            assert!(p.span.start <= sc.span.start && sc.span.end <= p.span.end);
        }
    }
}
