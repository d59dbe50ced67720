//! Emit bytecode from the syntax tree, using the resolver's answers for every
//! name. Locals become frame slots, captured locals become cells, uses from
//! nested functions become upvalues, top-level bindings become globals.
//! This file holds the emitter's state, places and functions; `stmt`,
//! `assign` and `expr` emit each kind of syntax.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::resolve::{DeclId, FuncId, Res, Resolution, MAIN_FUNC};
use crate::bytecode::{Capture, FuncProto, Op, VarRef};
use crate::runtime::builtins;
use crate::runtime::feedback::Feedback;
use crate::runtime::shadow::FunctionTable;
use crate::runtime::value::{Closure, Method, StructDef, Value};
use crate::syntax::ast::*;
use crate::syntax::{LineIndex, Span};

mod assign;
mod expr;
mod stmt;

/// The compiled program.
pub struct Compiled {
    pub main: Rc<FuncProto>,
    /// Every function's name and line, indexed by `FuncProto::id`.
    pub functions: FunctionTable,
    /// Name of each global slot (for `Undefined variable` messages).
    pub global_names: Vec<Rc<str>>,
}

impl Compiled {
    /// Every function prototype, indexed by `FuncProto::id` (the `FuncId` of
    /// the shadow stack), so a profiler can map a sampled line to the
    /// function's loop table. `None` only for an id no prototype carries.
    pub fn protos(&self) -> Vec<Option<Rc<FuncProto>>> {
        fn walk(p: &Rc<FuncProto>, out: &mut Vec<Option<Rc<FuncProto>>>) {
            let id = p.id as usize;
            if out.len() <= id {
                out.resize(id + 1, None);
            }
            if out[id].is_some() {
                return; // struct definitions are shared between prototypes
            }
            out[id] = Some(p.clone());
            for child in &p.protos {
                walk(child, out);
            }
            for def in &p.structs {
                for m in def.methods.get().into_iter().flatten() {
                    walk(&m.proto, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.main, &mut out);
        out.resize(self.functions.functions.len().max(out.len()), None);
        out
    }
}

pub fn emit(program: &Program, res: &Resolution, lines: &LineIndex) -> Compiled {
    let mut e = Emitter {
        res,
        lines,
        globals: FxHashMap::default(),
        global_names: Vec::new(),
        fns: Vec::new(),
        structs: Vec::new(),
        struct_decls: Vec::new(),
        functions: FunctionTable::default(),
    };
    for (id, d) in res.decls.iter().enumerate() {
        if d.global {
            e.globals.insert(id as DeclId, e.global_names.len() as u32);
            e.global_names.push(d.name.as_str().into());
        }
    }
    e.fns
        .push(FnState::new(MAIN_FUNC, "<main>", Span::default(), 1));
    e.define_structs(&program.stmts);
    // Top-level functions are hoisted: bound before any statement runs.
    for stmt in &program.stmts {
        if let StmtKind::Func(f) = &stmt.kind {
            e.hoisted_func(f, stmt.span);
        }
    }
    e.stmts(&program.stmts);
    e.emit(Op::Null, Span::default());
    e.emit(Op::Return, Span::default());
    let main = e.finish_fn();
    Compiled {
        main: Rc::new(main),
        functions: e.functions,
        global_names: e.global_names,
    }
}

struct LoopCtx {
    header: u32,
    breaks: Vec<usize>,
    try_depth: u32,
}

struct FnState {
    id: FuncId,
    proto: FuncProto,
    slots: FxHashMap<DeclId, u16>,
    upvals: FxHashMap<DeclId, u16>,
    str_consts: FxHashMap<String, u32>,
    loops: Vec<LoopCtx>,
    try_depth: u32,
    /// The method's receiver slot is 0; `Some` inside methods.
    is_method: bool,
}

impl FnState {
    fn new(id: FuncId, name: &str, span: Span, line: u32) -> FnState {
        FnState {
            id,
            proto: FuncProto {
                name: name.into(),
                span,
                line,
                ..FuncProto::default()
            },
            slots: FxHashMap::default(),
            upvals: FxHashMap::default(),
            str_consts: FxHashMap::default(),
            loops: Vec::new(),
            try_depth: 0,
            is_method: false,
        }
    }

    fn finish(mut self) -> FuncProto {
        self.proto.feedback = Feedback::new(self.proto.code.len(), self.proto.loops.len());
        self.proto
    }

    fn new_slot(&mut self) -> u16 {
        let s = self.proto.num_slots;
        self.proto.num_slots = self.proto.num_slots.saturating_add(1);
        s
    }
}

/// Where a variable lives, as seen from the current function.
#[derive(Clone, Copy)]
enum Place {
    Local(u16),
    Cell(u16),
    Upval(u16),
    Global(u32),
}

impl Place {
    fn var_ref(self) -> VarRef {
        match self {
            Place::Local(s) => VarRef::Local(s),
            Place::Cell(s) => VarRef::Cell(s),
            Place::Upval(u) => VarRef::Upval(u),
            Place::Global(g) => VarRef::Global(g),
        }
    }
}

/// One step of an assignment path `x.a[i]`.
enum PathKey<'a> {
    Field(&'a Ident),
    Index(&'a Expr),
}

/// Builtins that call back into Ruff code: their arguments are never moved
/// out of variables (the callback could observe the variable).
const CALLBACK_BUILTINS: &[&str] = &["map", "filter", "reduce", "find", "any", "all"];

struct Emitter<'a> {
    res: &'a Resolution,
    lines: &'a LineIndex,
    globals: FxHashMap<DeclId, u32>,
    global_names: Vec<Rc<str>>,
    fns: Vec<FnState>,
    /// Indexed like `Resolution::structs`.
    structs: Vec<Rc<StructDef>>,
    struct_decls: Vec<&'a StructDecl>,
    functions: FunctionTable,
}

impl<'a> Emitter<'a> {
    /// Pop the innermost function being emitted and give it its id.
    fn finish_fn(&mut self) -> FuncProto {
        let mut proto = self.fns.pop().expect("function state").finish();
        proto.id = self.functions.functions.len() as u32;
        proto.lines = proto
            .spans
            .iter()
            .map(|s| self.lines.line(s.start) as u32)
            .collect();
        self.functions
            .functions
            .push((proto.name.to_string(), proto.line));
        proto
    }

    fn f(&mut self) -> &mut FnState {
        self.fns.last_mut().expect("a function is being emitted")
    }

    fn emit(&mut self, op: Op, span: Span) -> usize {
        let f = self.f();
        f.proto.code.push(op);
        f.proto.spans.push(span);
        f.proto.code.len() - 1
    }

    fn here(&mut self) -> u32 {
        self.f().proto.code.len() as u32
    }

    fn patch(&mut self, at: usize, target: u32) {
        let op = &mut self.f().proto.code[at];
        *op = op.with_target(target);
    }

    fn patch_here(&mut self, at: usize) {
        let here = self.here();
        self.patch(at, here);
    }

    fn constant(&mut self, v: Value) -> u32 {
        let f = self.f();
        f.proto.consts.push(v);
        (f.proto.consts.len() - 1) as u32
    }

    fn str_const(&mut self, s: &str) -> u32 {
        if let Some(&k) = self.f().str_consts.get(s) {
            return k;
        }
        let k = self.constant(Value::str(s));
        self.f().str_consts.insert(s.to_string(), k);
        k
    }

    fn fail(&mut self, message: String, span: Span) {
        let k = self.constant(Value::str(message));
        self.emit(Op::Fail(k), span);
    }

    fn line(&self, span: Span) -> u32 {
        self.lines.line(span.start) as u32
    }

    // ----- variables -------------------------------------------------------

    fn place(&mut self, d: DeclId) -> Place {
        if let Some(&g) = self.globals.get(&d) {
            return Place::Global(g);
        }
        let decl = self.res.decl(d);
        let depth = self.fns.len() - 1;
        if decl.func == self.fns[depth].id {
            let slot = match self.fns[depth].slots.get(&d) {
                Some(&s) => s,
                None => {
                    let s = self.fns[depth].new_slot();
                    self.fns[depth].slots.insert(d, s);
                    s
                }
            };
            return if decl.captured {
                Place::Cell(slot)
            } else {
                Place::Local(slot)
            };
        }
        Place::Upval(self.upval(depth, d))
    }

    /// Index of the upvalue for `d` in function `depth`, adding captures
    /// along the chain of enclosing functions as needed.
    fn upval(&mut self, depth: usize, d: DeclId) -> u16 {
        if let Some(&u) = self.fns[depth].upvals.get(&d) {
            return u;
        }
        let owner = self.res.decl(d).func;
        let capture = if depth == 0 {
            // Not reachable for well-resolved programs; capture a dummy.
            Capture::Upval(0)
        } else if self.fns[depth - 1].id == owner {
            let slot = match self.fns[depth - 1].slots.get(&d) {
                Some(&s) => s,
                None => {
                    let s = self.fns[depth - 1].new_slot();
                    self.fns[depth - 1].slots.insert(d, s);
                    s
                }
            };
            Capture::Local(slot)
        } else {
            Capture::Upval(self.upval(depth - 1, d))
        };
        let f = &mut self.fns[depth];
        f.proto.captures.push(capture);
        let u = (f.proto.captures.len() - 1) as u16;
        f.upvals.insert(d, u);
        u
    }

    fn load_place(&mut self, p: Place, span: Span) {
        let op = match p {
            Place::Local(s) => Op::LoadLocal(s),
            Place::Cell(s) => Op::LoadCell(s),
            Place::Upval(u) => Op::LoadUpval(u),
            Place::Global(g) => Op::LoadGlobal(g),
        };
        self.emit(op, span);
    }

    fn store_place(&mut self, p: Place, span: Span) {
        let op = match p {
            Place::Local(s) => Op::StoreLocal(s),
            Place::Cell(s) => Op::StoreCell(s),
            Place::Upval(u) => Op::StoreUpval(u),
            Place::Global(g) => Op::StoreGlobal(g),
        };
        self.emit(op, span);
    }

    /// Store the value on the stack into a fresh declaration.
    fn declare_store(&mut self, d: DeclId, span: Span) {
        match self.place(d) {
            Place::Cell(s) => {
                self.emit(Op::StoreNewCell(s), span);
            }
            p => self.store_place(p, span),
        }
    }

    fn decl_of(&self, ident: &Ident) -> Option<DeclId> {
        match self.res.res(ident) {
            Res::Decl(d) => Some(d),
            _ => None,
        }
    }

    fn load_ident(&mut self, ident: &Ident) {
        match self.res.res(ident) {
            Res::Decl(d) => {
                let p = self.place(d);
                self.load_place(p, ident.span);
            }
            Res::Builtin(b) => {
                self.emit(Op::LoadBuiltin(b), ident.span);
            }
            Res::Constant => {
                let v = builtins::constant(&ident.name).unwrap_or(Value::Null);
                let k = self.constant(v);
                self.emit(Op::Const(k), ident.span);
            }
            Res::Field { .. } => {
                if self.f().is_method {
                    self.emit(Op::LoadLocal(0), ident.span);
                    let k = self.str_const(&ident.name);
                    self.emit(Op::GetField(k), ident.span);
                } else {
                    self.fail(
                        format!(
                            "Field {} can only be read by its bare name directly inside a method; use self.{}",
                            ident.name, ident.name
                        ),
                        ident.span,
                    );
                }
            }
            Res::Undefined => self.fail(format!("Undefined variable: {}", ident.name), ident.span),
        }
    }

    // ----- structs and functions -------------------------------------------

    fn define_structs(&mut self, stmts: &'a [Stmt]) {
        for stmt in stmts {
            if let StmtKind::Struct(s) = &stmt.kind {
                self.struct_decls.push(s);
                self.structs.push(Rc::new(StructDef {
                    name: s.name.name.as_str().into(),
                    fields: s
                        .fields
                        .iter()
                        .map(|f| f.name.name.as_str().into())
                        .collect(),
                    methods: std::cell::OnceCell::new(),
                }));
            }
        }
        for i in 0..self.struct_decls.len() {
            let decl = self.struct_decls[i];
            let methods = decl
                .methods
                .iter()
                .map(|m| {
                    let has_self = m.params.first().is_some_and(|p| p.name.name == "self");
                    let proto = self.function(m, true);
                    Method {
                        name: m.name.as_ref().map_or("<method>", |n| &n.name).into(),
                        closure: Rc::new(Closure {
                            proto: proto.clone(),
                            upvalues: Box::new([]),
                        }),
                        proto,
                        has_self,
                    }
                })
                .collect();
            let _ = self.structs[i].methods.set(methods);
        }
        // Main lists every struct, so everything reachable from the program
        // (methods included) can be found from `main` (JIT eligibility,
        // profilers), even for structs that are never instantiated.
        let all = self.structs.clone();
        self.f().proto.structs.extend(all);
    }

    fn hoisted_func(&mut self, f: &FuncDecl, span: Span) {
        let Some(name) = &f.name else { return };
        let Some(d) = self.decl_of(name) else { return };
        let proto = self.function(f, false);
        let p = self.add_proto(proto);
        self.emit(Op::Closure(p), span);
        self.declare_store(d, name.span);
    }

    fn add_proto(&mut self, proto: Rc<FuncProto>) -> u32 {
        let f = self.f();
        f.proto.protos.push(proto);
        (f.proto.protos.len() - 1) as u32
    }

    /// Compile a function body into a prototype.
    fn function(&mut self, f: &FuncDecl, is_method: bool) -> Rc<FuncProto> {
        let id = self.res.func_at.get(&f.span.start).copied().unwrap_or(0);
        let name = f.name.as_ref().map_or("<anonymous>", |n| n.name.as_str());
        let line = self.line(f.name.as_ref().map_or(f.span, |n| n.span));
        let mut st = FnState::new(id, name, f.span, line);
        st.is_method = is_method;
        self.fns.push(st);
        let has_self = is_method && f.params.first().is_some_and(|p| p.name.name == "self");
        if is_method && !has_self {
            // Hidden receiver in slot 0.
            self.f().new_slot();
        }
        let mut params = Vec::new();
        for p in &f.params {
            let d = self.decl_of(&p.name);
            let slot = self.f().new_slot();
            if let Some(d) = d {
                self.f().slots.insert(d, slot);
                params.push((d, slot, p.name.span));
            }
        }
        self.f().proto.is_method = is_method;
        self.f().proto.arity = (f.params.len() - usize::from(has_self)).min(255) as u8;
        // Captured parameters move into cells on entry.
        for (d, slot, span) in params {
            if self.res.decl(d).captured {
                self.emit(Op::LoadLocal(slot), span);
                self.emit(Op::StoreNewCell(slot), span);
            }
        }
        self.stmts(&f.body.stmts);
        let end = Span::new(f.body.span.end.saturating_sub(1), f.body.span.end);
        self.emit(Op::Null, end);
        self.emit(Op::Return, end);
        Rc::new(self.finish_fn())
    }
}

fn arith_char(op: Op) -> char {
    match op {
        Op::Add => '+',
        Op::Sub => '-',
        Op::Mul => '*',
        Op::Div => '/',
        _ => '%',
    }
}

/// Call `f` on `e` and every sub-expression (not entering function bodies).
fn visit_expr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Interp(parts) => {
            for p in parts {
                if let InterpPart::Expr(x) = p {
                    visit_expr(x, f);
                }
            }
        }
        ExprKind::Array(items) => {
            for i in items {
                match i {
                    ArrayItem::Item(x) | ArrayItem::Spread(x) => visit_expr(x, f),
                }
            }
        }
        ExprKind::Dict(items) => {
            for i in items {
                match i {
                    DictItem::Pair(k, v) => {
                        visit_expr(k, f);
                        visit_expr(v, f);
                    }
                    DictItem::Spread(x) => visit_expr(x, f),
                }
            }
        }
        ExprKind::StructLit { fields, .. } => {
            for (_, v) in fields {
                visit_expr(v, f);
            }
        }
        ExprKind::Unary { expr, .. } => visit_expr(expr, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            visit_expr(lhs, f);
            visit_expr(rhs, f);
        }
        ExprKind::Call { callee, args, .. } => {
            visit_expr(callee, f);
            for a in args {
                visit_expr(a, f);
            }
        }
        ExprKind::Index { object, index } => {
            visit_expr(object, f);
            visit_expr(index, f);
        }
        ExprKind::Field { object, .. } => visit_expr(object, f),
        _ => {}
    }
}
