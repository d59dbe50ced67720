//! Control-flow scenarios: plain hot loops, nested loops, short-circuit, recursion, OSR.

use crate::ast::*;
use crate::gen::{Gen, Role, Ty};

impl Gen {
    /// Random statements over a few state variables in a loop.
    pub(super) fn sc_hot_loop(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let mut state = Vec::new();
        for _ in 0..self.rng.range(2, 4) {
            let mut ty = self.some_ty();
            if ty == Ty::Null {
                ty = Ty::Any;
            }
            if !self.structs.is_empty() && self.rng.chance(20) {
                ty = Ty::Struct(self.rng.index(self.structs.len()));
            }
            state.push(self.state(&mut out, ty));
        }
        let iters = self.iterations();
        let n = self.rng.range(3, 7) as usize;
        let l = self.hot_loop(tag, iters, &state, |g, _| g.block(n));
        out.push(l);
        out.push(self.final_print(tag, &state));
        out
    }

    /// Recursive helpers called with changing arguments.
    pub(super) fn sc_recursion(&mut self, tag: &str) -> Block {
        let recs: Vec<_> = self.funcs.iter().filter(|f| f.recursive).cloned().collect();
        if recs.is_empty() {
            return self.sc_poly_calls(tag);
        }
        let mut out = Vec::new();
        let last = self.state(&mut out, Ty::Any);
        let errs = self.state(&mut out, Ty::Int);
        let iters = if self.rng.chance(50) {
            self.rng.range(100, 400)
        } else {
            self.rng.range(2, 30)
        };
        let l = self.hot_loop(tag, iters, &[last.clone(), errs.clone()], |g, i| {
            let mut b = Vec::new();
            let f = recs[g.rng.index(recs.len())].clone();
            g.spend(f.cost);
            let depth = Expr::bin(BinOp::Mod, Expr::var(i), Expr::Int(g.rng.range(2, 7)));
            let mut args = vec![depth];
            for _ in 1..f.arity {
                let a = match g.rng.below(5) {
                    0 => Expr::Null,
                    1 => Expr::Float(g.lit_float()),
                    2 => Expr::str("r"),
                    3 => Expr::Array(vec![]),
                    _ => Expr::var(i),
                };
                args.push(a);
            }
            b.push(Stmt::Try {
                body: vec![Stmt::set(&last, Expr::call(&f.name, args))],
                var: g.fresh("e"),
                handler: vec![Stmt::op_set(&errs, AssignOp::Add, Expr::Int(1))],
            });
            b
        });
        out.push(l);
        out.push(self.final_print(tag, &[last, errs]));
        out
    }

    /// Nested loops of every kind with `break` and `continue`.
    pub(super) fn sc_nested(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let acc = self.state(&mut out, Ty::Int);
        let cnt = self.state(&mut out, Ty::Int);
        let outer = self.rng.range(20, 120);
        let inner = self.rng.range(3, 25);
        let l = self.hot_loop(tag, outer, &[acc.clone(), cnt.clone()], |g, i| {
            let mut b = Vec::new();
            let m = g.rng.range(2, 9);
            b.push(Stmt::if_then(
                Expr::bin(
                    BinOp::Eq,
                    Expr::bin(BinOp::Mod, Expr::var(i), Expr::Int(m)),
                    Expr::Int(1),
                ),
                vec![Stmt::Continue],
            ));
            let j = g.fresh("i");
            let body = g.scoped(|g| {
                g.ctx.in_loop = true;
                g.ctx.mult = g.ctx.mult.saturating_mul(inner as u64);
                g.declare(&j, Ty::Int, false);
                let mut body = vec![
                    Stmt::if_then(
                        Expr::bin(
                            BinOp::Gt,
                            Expr::bin(BinOp::Add, Expr::var(i), Expr::var(&j)),
                            Expr::Int(g.rng.range(10, 120)),
                        ),
                        vec![Stmt::Break],
                    ),
                    Stmt::if_then(
                        Expr::bin(
                            BinOp::Eq,
                            Expr::bin(BinOp::Mod, Expr::var(&j), Expr::Int(3)),
                            Expr::Int(g.rng.range(0, 2)),
                        ),
                        vec![
                            Stmt::op_set(&cnt, AssignOp::Add, Expr::Int(1)),
                            Stmt::Continue,
                        ],
                    ),
                    Stmt::set(
                        &acc,
                        Expr::bin(
                            BinOp::Mod,
                            Expr::bin(
                                BinOp::Add,
                                Expr::bin(BinOp::Mul, Expr::var(&acc), Expr::Int(7)),
                                Expr::bin(BinOp::Mul, Expr::var(i), Expr::var(&j)),
                            ),
                            Expr::Int(1_000_003),
                        ),
                    ),
                ];
                body.extend(g.block_in(0, 2));
                body
            });
            let inner_loop = match g.rng.below(3) {
                0 => Stmt::ForRange {
                    var: j.clone(),
                    start: 0,
                    end: inner,
                    body,
                },
                1 => {
                    // `while` / `loop` counters count from 1.
                    let w = j.clone();
                    Stmt::While {
                        counter: w,
                        limit: inner as u32,
                        cond: None,
                        body,
                    }
                }
                _ => Stmt::Loop {
                    counter: j.clone(),
                    limit: inner as u32,
                    body,
                },
            };
            b.push(inner_loop);
            b.extend(g.block_in(0, 2));
            b
        });
        out.push(l);
        out.push(self.final_print(tag, &[acc, cnt]));
        out
    }

    /// `&&`, `||` and `??` whose operands have side effects.
    pub(super) fn sc_short_circuit(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let side = self
            .funcs
            .iter()
            .find(|f| f.role == Role::Side)
            .map(|f| f.name.clone());
        let cnt = self.state(&mut out, Ty::Int);
        let side = match side {
            Some(s) => s,
            None => {
                // A closure with the side effect on a captured local.
                let c = self.fresh("c");
                let q = self.fresh("q");
                out.push(Stmt::decl(
                    &c,
                    Expr::Lambda(
                        vec![q.clone()],
                        vec![
                            Stmt::op_set(&cnt, AssignOp::Add, Expr::Int(1)),
                            Stmt::Return(Some(Expr::var(&q))),
                        ],
                    ),
                ));
                c
            }
        };
        let r = self.state(&mut out, Ty::Any);
        let counter = self.side_counter.clone().expect("declared");
        let iters = self.iterations();
        let state = vec![r.clone(), cnt.clone(), counter.clone()];
        let l = self.hot_loop(tag, iters, &state, |g, i| {
            let iv = Expr::var(i);
            let mut b = Vec::new();
            for _ in 0..g.rng.range(1, 4) {
                let operand = |g: &mut Gen| -> Expr {
                    let a = match g.rng.below(6) {
                        0 => Expr::Null,
                        1 => Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(3)),
                        2 => Expr::Bool(g.rng.chance(50)),
                        3 => Expr::str(""),
                        4 => Expr::bin(BinOp::Mul, iv.clone(), Expr::Float(0.5)),
                        _ => Expr::Int(g.rng.range(0, 2)),
                    };
                    Expr::call(&side, vec![a])
                };
                let op = *g.rng.pick(&[BinOp::And, BinOp::Or, BinOp::Coalesce]);
                let a = operand(g);
                let bb = operand(g);
                let mut e = Expr::bin(op, a, bb);
                if g.rng.chance(40) {
                    let op2 = *g.rng.pick(&[BinOp::And, BinOp::Or]);
                    let c = operand(g);
                    e = Expr::bin(op2, e, c);
                }
                if g.rng.chance(50) {
                    b.push(Stmt::set(&r, e));
                } else {
                    b.push(Stmt::if_then(
                        e,
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

    /// Functions with long loops, called once (OSR) and several times
    /// (whole-function compile), with changing argument types.
    pub(super) fn sc_osr(&mut self, tag: &str) -> Block {
        let loops: Vec<_> = self
            .funcs
            .iter()
            .filter(|f| f.role == Role::LongLoop)
            .cloned()
            .collect();
        if loops.is_empty() {
            return self.sc_hot_loop(tag);
        }
        let mut out = Vec::new();
        let f = self.rng.pick(&loops).clone();
        let times = if self.rng.chance(40) {
            1
        } else {
            self.rng.range(2, 5)
        };
        if !self.affordable(f.cost * times as u64) {
            return vec![self.print_stmt(tag)];
        }
        self.spend(f.cost * times as u64);
        for _ in 0..times {
            let arg = match self.rng.below(5) {
                0 => Expr::Int(self.lit_int()),
                1 => Expr::Float(self.lit_float()),
                2 => Expr::Null,
                3 => Expr::str("z"),
                _ => Expr::Int(self.edge_int()),
            };
            out.push(Stmt::print(vec![
                Expr::str(tag),
                Expr::call(&f.name, vec![arg]),
            ]));
        }
        out
    }
}
