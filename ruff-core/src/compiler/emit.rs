//! Emit bytecode from the syntax tree, using the resolver's answers for every
//! name. Locals become frame slots, captured locals become cells, uses from
//! nested functions become upvalues, top-level bindings become globals.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::resolve::{DeclId, FuncId, Res, Resolution, MAIN_FUNC};
use crate::bytecode::{
    Capture, FuncProto, LoopInfo, LoopKind, Op, PathDesc, UpdateKind, VarRef, VarUpdate,
};
use crate::runtime::builtins;
use crate::runtime::shadow::FunctionTable;
use crate::runtime::value::{Closure, EnumObj, Method, StructDef, Value};
use crate::syntax::ast::*;
use crate::syntax::{LineIndex, Span};

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
        self.proto.jit = crate::jit::ProtoJit::new(self.proto.code.len(), self.proto.loops.len());
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

    // ----- statements ------------------------------------------------------

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn block(&mut self, b: &Block) {
        self.stmts(&b.stmts);
    }

    fn stmt(&mut self, stmt: &Stmt) {
        let span = stmt.span;
        match &stmt.kind {
            StmtKind::Expr(e) => {
                self.expr(e);
                self.emit(Op::Pop, span);
            }
            StmtKind::Decl { pattern, value, .. } => {
                self.expr(value);
                self.bind(pattern);
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value, span),
            StmtKind::If {
                cond,
                then_block,
                else_branch,
            } => {
                self.expr(cond);
                let to_else = self.emit(Op::JumpIfFalse(0), cond.span);
                self.block(then_block);
                match else_branch {
                    Some(e) => {
                        let to_end = self.emit(Op::Jump(0), span);
                        self.patch_here(to_else);
                        self.stmt(e);
                        self.patch_here(to_end);
                    }
                    None => self.patch_here(to_else),
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::While { cond, body } => {
                let header = self.here();
                self.expr(cond);
                let exit = self.emit(Op::JumpIfFalse(0), cond.span);
                self.loop_body(LoopKind::While, header, span, cond.span, |e| e.block(body));
                self.patch_here(exit);
                self.end_loop();
            }
            StmtKind::Loop { body } => {
                let header = self.here();
                let head = Span::new(span.start, span.start + 4);
                self.loop_body(LoopKind::Loop, header, span, head, |e| e.block(body));
                self.end_loop();
            }
            StmtKind::For {
                pattern,
                iterable,
                body,
            } => self.for_loop(pattern, iterable, body, span),
            StmtKind::Return(v) => {
                match v {
                    Some(v) => self.expr(v),
                    None => {
                        self.emit(Op::Null, span);
                    }
                }
                self.emit(Op::Return, span);
            }
            StmtKind::Break => {
                self.unwind_tries(span);
                let at = self.emit(Op::Jump(0), span);
                if let Some(l) = self.f().loops.last_mut() {
                    l.breaks.push(at);
                }
            }
            StmtKind::Continue => {
                self.unwind_tries(span);
                let header = self.f().loops.last().map_or(0, |l| l.header);
                self.emit(Op::Loop(header), span);
            }
            StmtKind::Throw(e) => {
                self.expr(e);
                self.emit(Op::Throw, span);
            }
            StmtKind::Try {
                body,
                err_name,
                handler,
                except_span,
            } => {
                let begin = self.emit(Op::TryBegin(0), span);
                self.f().try_depth += 1;
                self.block(body);
                self.f().try_depth -= 1;
                self.emit(Op::TryEnd, body.span);
                let to_end = self.emit(Op::Jump(0), span);
                self.patch_here(begin);
                match err_name
                    .as_ref()
                    .and_then(|n| self.decl_of(n).map(|d| (d, n.span)))
                {
                    Some((d, s)) => self.declare_store(d, s),
                    None => {
                        self.emit(Op::Pop, *except_span);
                    }
                }
                self.block(handler);
                self.patch_here(to_end);
            }
            StmtKind::Match { scrutinee, arms } => self.match_stmt(scrutinee, arms),
            StmtKind::Func(f) => {
                let top = self.fns.len() == 1
                    && f.name
                        .as_ref()
                        .and_then(|n| self.decl_of(n))
                        .is_some_and(|d| self.res.decl(d).global);
                if top {
                    return; // hoisted
                }
                let proto = self.function(f, false);
                let p = self.add_proto(proto);
                match f
                    .name
                    .as_ref()
                    .and_then(|n| self.decl_of(n).map(|d| (d, n.span)))
                {
                    Some((d, s)) => match self.place(d) {
                        // Declare the cell first so the closure can capture
                        // itself (a recursive nested function).
                        Place::Cell(slot) => {
                            self.emit(Op::Null, s);
                            self.emit(Op::StoreNewCell(slot), s);
                            self.emit(Op::Closure(p), span);
                            self.emit(Op::StoreCell(slot), s);
                        }
                        place => {
                            self.emit(Op::Closure(p), span);
                            self.store_place(place, s);
                        }
                    },
                    None => {
                        self.emit(Op::Closure(p), span);
                        self.emit(Op::Pop, span);
                    }
                }
            }
            StmtKind::Struct(_) | StmtKind::Enum(_) | StmtKind::Error => {}
            StmtKind::Unsupported { keyword } => {
                self.fail(format!("`{keyword}` is not supported"), span)
            }
        }
    }

    fn unwind_tries(&mut self, span: Span) {
        let f = self.f();
        let outer = f.loops.last().map_or(0, |l| l.try_depth);
        let n = f.try_depth.saturating_sub(outer);
        for _ in 0..n {
            self.emit(Op::TryEnd, span);
        }
    }

    fn loop_body(
        &mut self,
        kind: LoopKind,
        header: u32,
        span: Span,
        header_span: Span,
        body: impl FnOnce(&mut Emitter<'a>),
    ) {
        let try_depth = self.f().try_depth;
        self.f().loops.push(LoopCtx {
            header,
            breaks: Vec::new(),
            try_depth,
        });
        let header_line = self.line(header_span);
        self.f().proto.loops.push(LoopInfo {
            kind,
            header,
            exit: 0,
            span,
            header_span,
            header_line,
        });
        body(self);
        self.emit(Op::Loop(header), span);
    }

    /// Patch the innermost loop's breaks and record its exit.
    fn end_loop(&mut self) {
        let exit = self.here();
        let ctx = self.f().loops.pop().expect("loop context");
        for b in ctx.breaks {
            self.patch(b, exit);
        }
        let f = self.f();
        if let Some(info) = f
            .proto
            .loops
            .iter_mut()
            .rev()
            .find(|l| l.header == ctx.header)
        {
            info.exit = exit;
        }
    }

    fn for_loop(&mut self, pattern: &BindPattern, iterable: &Expr, body: &Block, span: Span) {
        let head = Span::new(span.start, iterable.span.end);
        let range_args = match &iterable.kind {
            ExprKind::Call {
                callee,
                args,
                pipe: false,
            } if (1..=3).contains(&args.len()) => match &callee.kind {
                ExprKind::Ident(id) if self.res.is_builtin(id, "range") => Some(args),
                _ => None,
            },
            _ => None,
        };
        let base = self.f().new_slot();
        self.f().new_slot();
        let (next_op, exit_at);
        if let Some(args) = range_args {
            self.f().new_slot();
            if args.len() == 1 {
                self.emit(Op::Int(0), iterable.span);
                self.expr(&args[0]);
            } else {
                self.expr(&args[0]);
                self.expr(&args[1]);
            }
            if args.len() == 3 {
                self.expr(&args[2]);
            } else {
                self.emit(Op::Int(1), iterable.span);
            }
            self.emit(Op::RangePrep(base), iterable.span);
            next_op = Op::RangeNext(base, 0);
        } else {
            self.expr(iterable);
            self.emit(Op::IterPrep(base), iterable.span);
            next_op = Op::IterNext(base, 0);
        }
        let header = self.here();
        exit_at = self.emit(next_op, head);
        self.loop_body(LoopKind::For, header, span, head, |e| {
            e.bind(pattern);
            e.block(body);
        });
        self.patch_here(exit_at);
        self.end_loop();
    }

    /// Bind the value on the stack to a declaration pattern.
    fn bind(&mut self, pattern: &BindPattern) {
        match pattern {
            BindPattern::Name(id) => match self.decl_of(id) {
                Some(d) => self.declare_store(d, id.span),
                None => {
                    self.emit(Op::Pop, id.span);
                }
            },
            BindPattern::Array { items, rest, span } => {
                let tmp = self.f().new_slot();
                self.emit(Op::StoreLocal(tmp), *span);
                for (i, item) in items.iter().enumerate() {
                    self.emit(Op::LoadLocal(tmp), item.span());
                    self.emit(Op::Int(i as i32), item.span());
                    self.emit(Op::Index, item.span());
                    self.bind(item);
                }
                if let Some(r) = rest {
                    self.emit(Op::LoadLocal(tmp), r.span);
                    self.emit(Op::SliceFrom(items.len() as u32), r.span);
                    self.bind(&BindPattern::Name(r.clone()));
                }
            }
            BindPattern::Dict { keys, span } => {
                let tmp = self.f().new_slot();
                self.emit(Op::StoreLocal(tmp), *span);
                for key in keys {
                    self.emit(Op::LoadLocal(tmp), key.span);
                    let k = self.str_const(&key.name);
                    self.emit(Op::GetField(k), key.span);
                    self.bind(&BindPattern::Name(key.clone()));
                }
            }
        }
    }

    fn match_stmt(&mut self, scrutinee: &Expr, arms: &[MatchArm]) {
        self.expr(scrutinee);
        let tmp = self.f().new_slot();
        self.emit(Op::StoreLocal(tmp), scrutinee.span);
        let mut to_end = Vec::new();
        for arm in arms {
            let mut fails = Vec::new();
            self.pattern(&arm.pattern, tmp, &mut fails);
            if let Some(g) = &arm.guard {
                self.expr(g);
                fails.push(self.emit(Op::JumpIfFalse(0), g.span));
            }
            self.block(&arm.body);
            to_end.push(self.emit(Op::Jump(0), arm.span));
            for f in fails {
                self.patch_here(f);
            }
        }
        for j in to_end {
            self.patch_here(j);
        }
    }

    /// Test the value in `slot` against a pattern, binding names; failures
    /// jump to the locations pushed on `fails`.
    fn pattern(&mut self, p: &Pattern, slot: u16, fails: &mut Vec<usize>) {
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Binding(id) => {
                if let Some(d) = self.decl_of(id) {
                    self.emit(Op::LoadLocal(slot), p.span);
                    self.declare_store(d, id.span);
                }
            }
            PatternKind::Literal(e) => {
                self.emit(Op::LoadLocal(slot), p.span);
                self.expr(e);
                self.emit(Op::Eq, p.span);
                fails.push(self.emit(Op::JumpIfFalse(0), p.span));
            }
            PatternKind::Variant {
                enum_name,
                variant,
                payload,
            } => {
                let template = self.enum_template(enum_name.as_ref(), variant);
                let k = self.constant(template);
                self.emit(Op::LoadLocal(slot), p.span);
                self.emit(Op::IsVariant(k), p.span);
                fails.push(self.emit(Op::JumpIfFalse(0), p.span));
                if let Some(sub) = payload {
                    let inner = self.f().new_slot();
                    self.emit(Op::LoadLocal(slot), sub.span);
                    self.emit(Op::EnumPayload, sub.span);
                    self.emit(Op::StoreLocal(inner), sub.span);
                    self.pattern(sub, inner, fails);
                }
            }
        }
    }

    /// The enum value a variant pattern or path names (payload unset).
    fn enum_template(&self, enum_name: Option<&Ident>, variant: &Ident) -> Value {
        let enum_name: &str = match enum_name {
            Some(e) => &e.name,
            None => match variant.name.as_str() {
                "Ok" | "Err" => "Result",
                _ => "Option",
            },
        };
        Value::Enum(Rc::new(EnumObj {
            enum_name: enum_name.into(),
            variant: variant.name.as_str().into(),
            payload: None,
        }))
    }

    // ----- assignment ------------------------------------------------------

    fn assign(&mut self, target: &Expr, op: AssignOp, value: &Expr, span: Span) {
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

    fn arith(op: AssignOp) -> Option<Op> {
        match op {
            AssignOp::AddAssign => Some(Op::Add),
            AssignOp::SubAssign => Some(Op::Sub),
            AssignOp::MulAssign => Some(Op::Mul),
            AssignOp::DivAssign => Some(Op::Div),
            AssignOp::ModAssign => Some(Op::Mod),
            AssignOp::Walrus | AssignOp::Assign => None,
        }
    }

    fn assign_var(&mut self, ident: &Ident, op: AssignOp, value: &Expr, span: Span) {
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

    fn update_var(&mut self, place: Place, name: &str, kind: UpdateKind, span: Span) {
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
    fn try_update_in_place(&mut self, d: DeclId, place: Place, name: &str, value: &Expr) -> bool {
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
    fn may_update_in_place(&self, place: Place, e: &Expr) -> bool {
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
    fn split_path<'e>(mut e: &'e Expr) -> Option<(&'e Ident, Vec<PathKey<'e>>)> {
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

    fn path_desc(&mut self, place: Place, name: &str, keys: &[PathKey]) -> u32 {
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

    fn assign_path(&mut self, target: &Expr, op: AssignOp, value: &Expr, span: Span) {
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

    fn path_key(&mut self, k: &PathKey) {
        match k {
            PathKey::Field(n) => {
                let c = self.str_const(&n.name);
                self.emit(Op::Const(c), n.span);
            }
            PathKey::Index(e) => self.expr(e),
        }
    }

    // ----- expressions -----------------------------------------------------

    fn expr(&mut self, e: &Expr) {
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

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: Span) {
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

    fn array(&mut self, items: &[ArrayItem], span: Span) {
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

    fn dict(&mut self, items: &[DictItem], span: Span) {
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

    fn struct_lit(&mut self, name: &Ident, fields: &[(Ident, Expr)], span: Span) {
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
    fn path(&mut self, enum_name: &Ident, variant: &Ident, payload: Option<&[Expr]>, span: Span) {
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

    fn call(&mut self, callee: &Expr, args: &[Expr], span: Span) {
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

    fn method_call(&mut self, object: &Expr, name: &Ident, args: &[Expr], span: Span) {
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
