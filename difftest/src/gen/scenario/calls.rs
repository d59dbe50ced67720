//! Call scenarios: polymorphic helper calls, closures, rebinding globals and helpers.

use crate::ast::*;
use crate::gen::items::CHEAP;
use crate::gen::{Gen, Role, Ty};

impl Gen {
    /// A call of a safe one-argument helper with `arg`.
    pub(super) fn call_with(&mut self, arg: Expr) -> Option<Expr> {
        let options: Vec<_> = self
            .funcs
            .iter()
            .filter(|f| f.arity == 1 && f.safe && !f.recursive && f.cost < 40)
            .cloned()
            .collect();
        if options.is_empty() {
            return None;
        }
        let f = options[self.rng.index(options.len())].clone();
        self.spend(f.cost);
        Some(Expr::call(&f.name, vec![arg]))
    }

    /// Helpers called with arguments whose types change between calls
    /// (null included), results printed.
    pub(super) fn sc_poly_calls(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let last = self.state(&mut out, Ty::Any);
        let cnt = self.state(&mut out, Ty::Int);
        let arg = self.fresh("v");
        out.push(Stmt::decl(&arg, Expr::Null));
        self.declare(&arg, Ty::Any, false);
        let iters = self.iterations();
        let modulo = self.rng.range(2, 6);
        let state = vec![last.clone(), cnt.clone()];
        let l = self.hot_loop(tag, iters, &state, |g, i| {
            let iv = Expr::var(i);
            let kinds = [
                iv.clone(),
                Expr::bin(BinOp::Mul, iv.clone(), Expr::Float(0.25)),
                Expr::Null,
                Expr::str("x"),
                Expr::Bool(true),
                Expr::Array(vec![iv.clone()]),
            ];
            let mut chosen: Vec<Expr> = Vec::new();
            for _ in 0..modulo {
                chosen.push(g.rng.pick(&kinds).clone());
            }
            // arg := chosen[i % modulo], as an if chain.
            let sel = Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(modulo));
            let mut chain: Option<Block> = None;
            for (k, e) in chosen.into_iter().enumerate().rev() {
                let assign = Stmt::set(&arg, e);
                chain = Some(match chain {
                    None => vec![assign],
                    Some(rest) => vec![Stmt::If {
                        cond: Expr::bin(BinOp::Eq, sel.clone(), Expr::Int(k as i64)),
                        then: vec![assign],
                        els: Some(rest),
                    }],
                });
            }
            let mut b = chain.unwrap_or_default();
            for _ in 0..g.rng.range(1, 3) {
                let call = g.call_with(Expr::var(&arg)).or_else(|| g.call_expr(1));
                let Some(call) = call else { break };
                if g.rng.chance(25) {
                    b.push(Stmt::Try {
                        body: vec![Stmt::set(&last, call)],
                        var: g.fresh("e"),
                        handler: vec![Stmt::op_set(&cnt, AssignOp::Add, Expr::Int(1))],
                    });
                } else {
                    b.push(Stmt::set(&last, call));
                }
                if g.rng.chance(50) {
                    b.push(Stmt::if_then(
                        Expr::bin(BinOp::Eq, Expr::var(&last), Expr::Null),
                        vec![Stmt::op_set(&cnt, AssignOp::Add, Expr::Int(1))],
                    ));
                }
            }
            b
        });
        out.push(l);
        out.push(self.final_print(tag, &state));
        out
    }

    /// Closures made in a loop capture its variable; a closure mutates a
    /// captured counter; the closures are called from a hot loop.
    pub(super) fn sc_closures(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let fs = self.fresh("v");
        out.push(Stmt::decl(&fs, Expr::Array(vec![])));
        let cnt = self.state(&mut out, Ty::Int);
        let k = self.rng.range(1, 6);
        let var = self.fresh("i");
        let body = self.scoped(|g| {
            g.ctx.in_loop = true;
            g.ctx.mult = g.ctx.mult.saturating_mul(k as u64);
            g.declare(&var, Ty::Int, false);
            let c = g.fresh("c");
            let p = g.fresh("q");
            let op = *g.rng.pick(&[BinOp::Add, BinOp::Mul, BinOp::Sub]);
            let mut body = vec![Stmt::op_set(&cnt, AssignOp::Add, Expr::Int(1))];
            if g.rng.chance(40) {
                body.extend(g.in_function(true, |g| {
                    g.declare(&p, Ty::Any, false);
                    g.block(1)
                }));
            }
            let ret = if g.rng.chance(70) {
                Expr::bin(
                    op,
                    Expr::bin(BinOp::Coalesce, Expr::var(&p), Expr::Int(0)),
                    Expr::var(&var),
                )
            } else {
                Expr::bin(
                    BinOp::Add,
                    Expr::call("str", vec![Expr::var(&p)]),
                    Expr::call("str", vec![Expr::var(&var)]),
                )
            };
            body.push(Stmt::Return(Some(ret)));
            vec![
                Stmt::decl(&c, Expr::Lambda(vec![p], body)),
                Stmt::set(&fs, Expr::call("push", vec![Expr::var(&fs), Expr::var(&c)])),
            ]
        });
        out.push(Stmt::ForRange {
            var,
            start: 0,
            end: k,
            body,
        });
        self.declare(&fs, Ty::Arr, false);
        let t = self.state(&mut out, Ty::Any);
        let iters = self.iterations();
        let l = self.hot_loop(tag, iters, &[t.clone(), cnt.clone()], |g, i| {
            g.spend(3);
            let arg = match g.rng.below(4) {
                0 => Expr::var(i),
                1 => Expr::bin(BinOp::Mul, Expr::var(i), Expr::Float(0.5)),
                2 => Expr::Null,
                _ => Expr::str("s"),
            };
            let call = Expr::Call(
                Box::new(Expr::index(
                    Expr::var(&fs),
                    Expr::bin(BinOp::Mod, Expr::var(i), Expr::Int(k)),
                )),
                vec![arg],
            );
            let mut b = vec![Stmt::set(&t, call)];
            if g.rng.chance(50) {
                b.extend(g.block(1));
            }
            b
        });
        out.push(l);
        out.push(self.final_print(tag, &[t, cnt]));
        out
    }

    /// Globals (values and functions) rebound while compiled code uses
    /// them.
    pub(super) fn sc_global_rebind(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let users: Vec<_> = self
            .funcs
            .iter()
            .filter(|f| f.role == Role::GlobalUser)
            .cloned()
            .collect();
        let r = self.state(&mut out, Ty::Any);
        let iters = self.iterations();
        let globals = self.vars(|v| v.name.starts_with('g') && v.assignable);
        let leaves: Vec<_> = self
            .funcs
            .iter()
            .filter(|f| f.leaf && f.arity == 1 && !f.recursive && f.safe && f.cost <= CHEAP)
            .cloned()
            .collect();
        let l = self.hot_loop(tag, iters, std::slice::from_ref(&r), |g, i| {
            let iv = Expr::var(i);
            let mut b = Vec::new();
            for _ in 0..g.rng.range(1, 4) {
                let at = g.rng.range(1, iters.max(2) - 1);
                let Some(gv) = globals.get(g.rng.index(globals.len().max(1))).cloned() else {
                    break;
                };
                let value = match gv.ty {
                    Ty::Func(_) => {
                        if !leaves.is_empty() && g.rng.chance(60) {
                            Expr::var(&g.rng.pick(&leaves).name)
                        } else {
                            let q = g.fresh("q");
                            Expr::Lambda(
                                vec![q.clone()],
                                vec![Stmt::Return(Some(Expr::call("str", vec![Expr::var(&q)])))],
                            )
                        }
                    }
                    Ty::Any => {
                        let t = g.some_ty();
                        g.leaf(t)
                    }
                    t => g.leaf(t),
                };
                b.push(Stmt::if_then(
                    Expr::bin(BinOp::Eq, iv.clone(), Expr::Int(at)),
                    vec![Stmt::set(&gv.name, value)],
                ));
            }
            // Rebind a helper's own name to another helper.
            if leaves.len() >= 2 && g.rng.chance(40) {
                let a = g.rng.pick(&leaves).name.clone();
                let bn = g.rng.pick(&leaves).name.clone();
                let at = g.rng.range(1, iters.max(2) - 1);
                b.push(Stmt::if_then(
                    Expr::bin(BinOp::Eq, iv.clone(), Expr::Int(at)),
                    vec![Stmt::set(&a, Expr::var(&bn))],
                ));
            }
            let user = if users.is_empty() {
                g.call_expr(1)
            } else {
                let u = g.rng.pick(&users).clone();
                g.spend(u.cost);
                Some(Expr::call(&u.name, vec![iv.clone()]))
            };
            if let Some(call) = user {
                b.push(Stmt::set(&r, call));
            }
            if let Some(l) = leaves.first() {
                g.spend(l.cost);
                b.push(Stmt::if_then(
                    Expr::bin(
                        BinOp::Eq,
                        Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(5)),
                        Expr::Int(0),
                    ),
                    vec![Stmt::set(&r, Expr::call(&l.name, vec![iv.clone()]))],
                ));
            }
            b
        });
        out.push(l);
        out.push(self.final_print(tag, std::slice::from_ref(&r)));
        out
    }
}
