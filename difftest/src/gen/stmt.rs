//! Random statements over the variables in scope: declarations,
//! assignments (plain and compound, to variables, elements and fields),
//! prints, branches, small nested loops with `break` / `continue`, calls,
//! method calls, closures that capture and mutate locals, `try`/`except`
//! around code that may fail, and `return` in functions.

use super::{Gen, Ty};
use crate::ast::*;

/// Code that runs more often than this per program is hot (see `hot`).
const HOT: u64 = 30;

/// Strings and collections assigned in hot code stay below this length.
const MAX_LEN: i64 = 40;

impl Gen {
    /// Up to `n` random statements (fewer when the budget runs out).
    pub fn block(&mut self, n: usize) -> Block {
        let mut out = Vec::new();
        for _ in 0..n {
            if self.over_budget() {
                break;
            }
            out.extend(self.stmt());
        }
        out
    }

    /// Code that runs often: in a loop of many iterations, or in a function
    /// (which may be called from one). It must not print on every run or
    /// let values grow without bound.
    pub fn hot(&self) -> bool {
        self.ctx.mult > HOT || self.ctx.in_func
    }

    /// Between `lo` and `hi` random statements.
    pub fn block_in(&mut self, lo: i64, hi: i64) -> Block {
        let n = self.rng.range(lo, hi) as usize;
        self.block(n)
    }

    /// A block in its own scope.
    pub fn sub_block(&mut self, n: usize) -> Block {
        self.scoped(|g| g.block(n))
    }

    pub fn stmt(&mut self) -> Vec<Stmt> {
        self.spend(1);
        let nest_ok = self.ctx.nest < 5;
        let w = [
            14,                                             // 0 declaration
            22,                                             // 1 assignment
            if self.hot() { 0 } else { 6 }, // 2 print (hot loops print periodically)
            if nest_ok { 9 } else { 0 },    // 3 if
            if nest_ok && !self.ctx.cheap { 6 } else { 0 }, // 4 loop
            if self.ctx.in_loop { 4 } else { 0 }, // 5 break/continue
            8,                              // 6 collection update
            6,                              // 7 struct
            7,                              // 8 call
            if nest_ok { 5 } else { 0 },    // 9 try
            if nest_ok && !self.ctx.cheap { 3 } else { 0 }, // 10 closure
            if self.ctx.in_func { 2 } else { 0 }, // 11 return
            if self.ctx.guarded { 2 } else { 0 }, // 12 throw
        ];
        match self.rng.weighted(&w) {
            0 => vec![self.decl_stmt()],
            1 => self.assign_stmt(),
            2 => vec![self.print_stmt("p")],
            3 => vec![self.if_stmt()],
            4 => self.loop_stmt(),
            5 => vec![self.jump_stmt()],
            6 => self.collection_stmt(),
            7 => self.struct_stmt(),
            8 => self.call_stmt(),
            9 => vec![self.try_stmt()],
            10 => self.closure_stmt(),
            11 => {
                let cond = self.bool_expr(1);
                let v = self.any_expr(1);
                vec![Stmt::if_then(cond, vec![Stmt::Return(Some(v))])]
            }
            _ => {
                let v = self.any_expr(1);
                vec![Stmt::Throw(Expr::bin(
                    BinOp::Add,
                    Expr::str("boom "),
                    Expr::call("str", vec![v]),
                ))]
            }
        }
    }

    fn decl_stmt(&mut self) -> Stmt {
        let name = self.fresh("v");
        let ty = match self.rng.below(10) {
            0 if !self.structs.is_empty() => Ty::Struct(self.rng.index(self.structs.len())),
            1 => Ty::Any,
            _ => self.some_ty(),
        };
        let value = self.expr(ty, 2);
        let kind = if self.rng.chance(15) {
            DeclKind::Let
        } else {
            DeclKind::Mut
        };
        self.declare(&name, ty, kind == DeclKind::Mut);
        Stmt::Decl { kind, name, value }
    }

    fn assign_stmt(&mut self) -> Vec<Stmt> {
        let Some(v) = self.pick_var(|v| v.assignable && !matches!(v.ty, Ty::Func(_))) else {
            return vec![self.decl_stmt()];
        };
        let repeated = self.ctx.mult > 1 || self.ctx.in_func;
        let assign = self.assign_to(&v.name, v.ty);
        match v.ty {
            // Code that runs more than once may build a string or a
            // collection from itself (`s = s + s`, doubling each time):
            // assign only while it is short.
            Ty::Str | Ty::IntArr | Ty::BoolArr | Ty::Arr | Ty::Dict if repeated => {
                vec![Stmt::if_then(
                    Expr::bin(
                        BinOp::Lt,
                        Expr::call("len", vec![Expr::var(&v.name)]),
                        Expr::Int(MAX_LEN),
                    ),
                    assign,
                )]
            }
            _ => assign,
        }
    }

    fn assign_to(&mut self, name: &str, ty: Ty) -> Vec<Stmt> {
        let hot = self.hot();
        let name = name.to_string();
        match ty {
            Ty::Int if self.rng.chance(50) => {
                let op = if self.risky() {
                    *self
                        .rng
                        .pick(&[AssignOp::Mul, AssignOp::Div, AssignOp::Mod, AssignOp::Add])
                } else {
                    *self.rng.pick(&[AssignOp::Add, AssignOp::Sub])
                };
                let e = if op == AssignOp::Mul || !self.rng.chance(30) {
                    self.expr(Ty::Int, 1)
                } else {
                    Expr::Int(self.lit_int())
                };
                vec![Stmt::op_set(&name, op, e)]
            }
            Ty::Int if self.rng.chance(40) => {
                // A bounded accumulator: (x * k + e) % m never overflows
                // for the small values the generator makes.
                let k = self.rng.range(2, 40);
                let e = self.expr(Ty::Int, 1);
                let m = self.rng.range(1000, 1_000_003);
                vec![Stmt::set(
                    &name,
                    Expr::bin(
                        BinOp::Mod,
                        Expr::bin(
                            BinOp::Add,
                            Expr::bin(BinOp::Mul, Expr::var(&name), Expr::Int(k)),
                            e,
                        ),
                        Expr::Int(m),
                    ),
                )]
            }
            Ty::Float if self.rng.chance(50) => {
                let op = *self
                    .rng
                    .pick(&[AssignOp::Add, AssignOp::Sub, AssignOp::Mul]);
                let t = *self.rng.pick(&[Ty::Int, Ty::Float]);
                let e = if op == AssignOp::Mul {
                    Expr::Float(*self.rng.pick(&[0.5, 1.25, -1.0, 0.999]))
                } else {
                    self.expr(t, 1)
                };
                vec![Stmt::op_set(&name, op, e)]
            }
            Ty::Str if self.rng.chance(40) => {
                let e = self.expr(Ty::Str, 1);
                if self.rng.chance(30) {
                    vec![Stmt::op_set(&name, AssignOp::Add, e)]
                } else {
                    vec![Stmt::set(&name, e)]
                }
            }
            Ty::Any => {
                // The variable changes type (in hot code only to scalars,
                // which cannot nest ever deeper).
                let t = if hot {
                    *self
                        .rng
                        .pick(&[Ty::Int, Ty::Float, Ty::Bool, Ty::Null, Ty::Str])
                } else {
                    self.some_ty()
                };
                let e = self.expr(t, 2);
                vec![Stmt::set(&name, e)]
            }
            t => {
                let e = self.expr(t, 2);
                vec![Stmt::set(&name, e)]
            }
        }
    }

    /// `print(tag, ...)` of a few variables (or expressions).
    pub fn print_stmt(&mut self, tag: &str) -> Stmt {
        let mut args = vec![Expr::str(tag)];
        let n = self.rng.range(1, 3);
        for _ in 0..n {
            if let Some(v) = self.pick_var(|v| !matches!(v.ty, Ty::Func(_))) {
                args.push(Expr::Var(v.name));
            } else {
                let e = self.any_expr(1);
                args.push(e);
            }
        }
        Stmt::print(args)
    }

    fn if_stmt(&mut self) -> Stmt {
        let cond = self.bool_expr(2);
        let n = self.rng.range(1, 3) as usize;
        let then = self.sub_block(n);
        let els = match self.rng.below(3) {
            0 => {
                let n = self.rng.range(1, 2) as usize;
                Some(self.sub_block(n))
            }
            1 if self.ctx.nest < 4 => Some(vec![self.if_stmt()]),
            _ => None,
        };
        Stmt::If { cond, then, els }
    }

    /// A small nested loop of one of the four kinds.
    fn loop_stmt(&mut self) -> Vec<Stmt> {
        let iters = self.rng.range(0, 9);
        if !self.affordable(iters as u64 * 4) {
            return vec![self.decl_stmt()];
        }
        let kind = self.rng.below(4);
        let arrays = self.vars(|v| matches!(v.ty, Ty::IntArr | Ty::BoolArr | Ty::Dict | Ty::Str));
        let body_n = self.rng.range(1, 3) as usize;
        let body_for = |g: &mut Gen, var: Option<(&str, Ty)>| {
            g.scoped(|g| {
                g.ctx.in_loop = true;
                g.ctx.mult = g.ctx.mult.saturating_mul(iters.max(1) as u64);
                if let Some((v, t)) = var {
                    g.declare(v, t, false);
                }
                g.block(body_n)
            })
        };
        match kind {
            0 => {
                let var = self.fresh("i");
                let start = self.rng.range(-3, 2);
                let body = body_for(self, Some((&var, Ty::Int)));
                vec![Stmt::ForRange {
                    var,
                    start,
                    end: start + iters,
                    body,
                }]
            }
            1 if !arrays.is_empty() => {
                let a = arrays[self.rng.index(arrays.len())].clone();
                let elem = match a.ty {
                    Ty::IntArr => Ty::Int,
                    Ty::BoolArr => Ty::Bool,
                    Ty::Str => Ty::Str,
                    _ => Ty::Any,
                };
                let var = self.fresh("e");
                let body = body_for(self, Some((&var, elem)));
                vec![Stmt::ForIn {
                    var,
                    iter: Expr::Var(a.name),
                    body,
                }]
            }
            2 => {
                let counter = self.fresh("w");
                let cond = if self.rng.chance(50) {
                    Some(self.bool_expr(1))
                } else {
                    None
                };
                let body = body_for(self, None);
                vec![Stmt::While {
                    counter,
                    limit: iters as u32,
                    cond,
                    body,
                }]
            }
            _ => {
                let counter = self.fresh("w");
                let body = body_for(self, None);
                vec![Stmt::Loop {
                    counter,
                    limit: iters as u32,
                    body,
                }]
            }
        }
    }

    fn jump_stmt(&mut self) -> Stmt {
        let cond = self.bool_expr(1);
        let j = if self.rng.chance(50) {
            Stmt::Break
        } else {
            Stmt::Continue
        };
        Stmt::if_then(cond, vec![j])
    }

    fn collection_stmt(&mut self) -> Vec<Stmt> {
        let Some(v) = self.pick_var(|v| {
            v.assignable && matches!(v.ty, Ty::IntArr | Ty::BoolArr | Ty::Arr | Ty::Dict)
        }) else {
            return vec![self.decl_stmt()];
        };
        let name = v.name.clone();
        let elem = match v.ty {
            Ty::IntArr => Ty::Int,
            Ty::BoolArr => Ty::Bool,
            // Elements are scalars (see `scalar_expr`).
            _ => *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Str, Ty::Null]),
        };
        if v.ty == Ty::Dict {
            let key = if self.rng.chance(50) {
                Expr::Int(self.rng.range(-2, 8))
            } else {
                Expr::Str(self.lit_str())
            };
            let value = self.scalar_expr(1);
            return vec![Stmt::Assign {
                target: Target::Index(name, key),
                op: AssignOp::Set,
                value,
            }];
        }
        match self.rng.below(4) {
            0 if self.ctx.mult < 3000 => {
                // Bounded growth: push only while short, and never the
                // array's own text (`push(a, str(a))` doubles the size
                // with each push: 2^40 bytes by the 40th).
                let mut e = self.expr(elem, 1);
                if crate::walk::mentions(&e, &name) {
                    e = self.leaf_no_var(elem);
                }
                vec![Stmt::if_then(
                    Expr::bin(
                        BinOp::Lt,
                        Expr::call("len", vec![Expr::var(&name)]),
                        Expr::Int(40),
                    ),
                    vec![Stmt::set(
                        &name,
                        Expr::call("push", vec![Expr::var(&name), e]),
                    )],
                )]
            }
            1 if self.risky() => {
                // May be out of bounds.
                let i = self.expr(Ty::Int, 1);
                let e = self.expr(elem, 1);
                vec![Stmt::Assign {
                    target: Target::Index(name, i),
                    op: AssignOp::Set,
                    value: e,
                }]
            }
            2 if elem == Ty::Int && self.rng.chance(50) => {
                let i = self.expr(Ty::Int, 1);
                let idx = Expr::bin(BinOp::Mod, i, Expr::call("len", vec![Expr::var(&name)]));
                let e = self.expr(Ty::Int, 1);
                vec![Stmt::if_then(
                    Expr::bin(
                        BinOp::Gt,
                        Expr::call("len", vec![Expr::var(&name)]),
                        Expr::Int(0),
                    ),
                    vec![Stmt::Assign {
                        target: Target::Index(name, idx),
                        op: AssignOp::Add,
                        value: Expr::bin(BinOp::Mod, e, Expr::Int(100)),
                    }],
                )]
            }
            _ => {
                let i = self.expr(Ty::Int, 1);
                let idx = Expr::bin(BinOp::Mod, i, Expr::call("len", vec![Expr::var(&name)]));
                let e = self.expr(elem, 1);
                vec![Stmt::if_then(
                    Expr::bin(
                        BinOp::Gt,
                        Expr::call("len", vec![Expr::var(&name)]),
                        Expr::Int(0),
                    ),
                    vec![Stmt::Assign {
                        target: Target::Index(name, idx),
                        op: AssignOp::Set,
                        value: e,
                    }],
                )]
            }
        }
    }

    /// A field write or a method call on a struct variable.
    fn struct_stmt(&mut self) -> Vec<Stmt> {
        let Some(v) = self.pick_var(|v| matches!(v.ty, Ty::Struct(_))) else {
            if self.structs.is_empty() {
                return self.assign_stmt();
            }
            return vec![self.decl_stmt()];
        };
        let Ty::Struct(s) = v.ty else { unreachable!() };
        let info = self.structs[s].clone();
        if v.assignable && self.rng.chance(40) {
            let (f, ty) = self.rng.pick(&info.fields).clone();
            let ty = if self.risky() { self.some_ty() } else { ty };
            let value = self.expr(ty, 1);
            let assign = Stmt::Assign {
                target: Target::Field(v.name.clone(), f.clone()),
                op: AssignOp::Set,
                value,
            };
            if self.ctx.mult > 1 || self.ctx.in_func {
                return vec![self.while_small(Expr::field(Expr::Var(v.name), &f), assign)];
            }
            return vec![assign];
        }
        let methods: Vec<_> = info
            .methods
            .iter()
            .filter(|m| (v.assignable || !m.writes) && self.affordable(m.cost))
            .cloned()
            .collect();
        if methods.is_empty() {
            return vec![self.decl_stmt()];
        }
        let m = methods[self.rng.index(methods.len())].clone();
        self.spend(m.cost);
        let args: Vec<Expr> = (0..m.arity).map(|_| self.expr(Ty::Int, 1)).collect();
        let call = Expr::method(Expr::Var(v.name), &m.name, args);
        if self.rng.chance(50) {
            let r = self.fresh("v");
            self.declare(&r, Ty::Any, true);
            vec![Stmt::decl(&r, call)]
        } else {
            vec![Stmt::Expr(call)]
        }
    }

    fn call_stmt(&mut self) -> Vec<Stmt> {
        // A closure in scope, or a helper.
        if self.rng.chance(30) {
            if let Some(f) = self.pick_var(|v| matches!(v.ty, Ty::Func(_))) {
                let Ty::Func(n) = f.ty else { unreachable!() };
                self.spend(5);
                let args: Vec<Expr> = (0..n).map(|_| self.any_expr(1)).collect();
                return vec![Stmt::Expr(Expr::Call(Box::new(Expr::Var(f.name)), args))];
            }
        }
        let Some(call) = self.call_expr(2) else {
            return vec![self.decl_stmt()];
        };
        if self.rng.chance(60) {
            let r = self.fresh("v");
            self.declare(&r, Ty::Any, true);
            vec![Stmt::decl(&r, call)]
        } else {
            vec![Stmt::Expr(call)]
        }
    }

    pub fn try_stmt(&mut self) -> Stmt {
        let n = self.rng.range(1, 3) as usize;
        let body = self.scoped(|g| {
            g.ctx.guarded = true;
            g.block(n)
        });
        let var = self.fresh("e");
        let handler = self.scoped(|g| {
            g.declare(&var, Ty::Any, false);
            let msg = Expr::field(Expr::var(&var), "message");
            if g.hot() {
                // Keep the message where a later print shows it.
                // (Only while it is short: a message may quote the value
                // it is stored into, escaped, growing exponentially.)
                return match g.pick_var(|v| v.assignable && matches!(v.ty, Ty::Str | Ty::Any)) {
                    Some(v) => {
                        vec![g.while_small(Expr::Var(v.name.clone()), Stmt::set(&v.name, msg))]
                    }
                    None => Vec::new(),
                };
            }
            if g.rng.chance(25) {
                vec![Stmt::print(vec![
                    Expr::str("err"),
                    msg,
                    Expr::field(Expr::var(&var), "line"),
                ])]
            } else {
                vec![Stmt::print(vec![Expr::str("err"), msg])]
            }
        });
        Stmt::Try { body, var, handler }
    }

    /// A closure over the enclosing locals (it may change them), declared
    /// and sometimes called at once.
    fn closure_stmt(&mut self) -> Vec<Stmt> {
        let name = self.fresh("c");
        let arity = self.rng.range(0, 2) as usize;
        let lam = self.lambda(arity);
        let mut out = vec![Stmt::decl(&name, lam)];
        self.declare(&name, Ty::Func(arity), false);
        if !self.hot() && self.rng.chance(60) {
            let args: Vec<Expr> = (0..arity).map(|_| self.any_expr(1)).collect();
            out.push(Stmt::print(vec![
                Expr::str("cl"),
                Expr::Call(Box::new(Expr::var(&name)), args),
            ]));
        }
        out
    }

    /// `func(params) { ... }` seeing (and possibly assigning) the locals in
    /// scope.
    pub fn lambda(&mut self, arity: usize) -> Expr {
        let params: Vec<String> = (0..arity).map(|_| self.fresh("q")).collect();
        let body = self.in_function(true, |g| {
            for p in &params {
                g.declare(p, Ty::Any, false);
            }
            let mut b = g.block_in(0, 2);
            let captured = g.pick_var(|v| v.assignable && v.ty == Ty::Int);
            if let Some(c) = captured {
                if g.rng.chance(60) {
                    b.push(Stmt::op_set(
                        &c.name,
                        AssignOp::Add,
                        Expr::Int(g.rng.range(1, 4)),
                    ));
                }
            }
            let r = g.any_expr(1);
            b.push(Stmt::Return(Some(r)));
            b
        });
        Expr::Lambda(params, body)
    }
}
