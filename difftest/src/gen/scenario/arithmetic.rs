//! Arithmetic scenario: overflow, division and modulo by 0 and -1, int/float mixing.

use crate::ast::*;
use crate::gen::{Gen, Ty};

impl Gen {
    /// Integer arithmetic near overflow, division and modulo by 0 and -1,
    /// int/float mixing: in a helper called under `try` from a loop, and
    /// in a compiled loop that fails late.
    pub(super) fn sc_arith(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let acc = self.state(&mut out, Ty::Int);
        let errs = self.state(&mut out, Ty::Int);
        let mixed = self.state(&mut out, Ty::Float);
        let iters = self.iterations();
        let big = self.edge_int();
        let trap_at = self.rng.range(0, iters + iters / 4);
        let div = self.fresh("v");
        out.push(Stmt::decl(&div, Expr::Int(self.rng.range(1, 3))));
        let state = vec![acc.clone(), errs.clone(), mixed.clone()];
        let l = self.hot_loop(tag, iters, &state, |g, i| {
            let iv = Expr::var(i);
            let mut b = vec![Stmt::if_then(
                Expr::bin(BinOp::Eq, iv.clone(), Expr::Int(trap_at)),
                vec![Stmt::set(&div, Expr::Int(*g.rng.pick(&[0, -1])))],
            )];
            let op = *g.rng.pick(&[BinOp::Div, BinOp::Mod]);
            let lhs = if g.rng.chance(50) {
                Expr::Int(big)
            } else {
                Expr::bin(BinOp::Mul, iv.clone(), Expr::Int(g.rng.range(1, 1_000_000)))
            };
            let step = Expr::bin(op, lhs, Expr::var(&div));
            b.push(Stmt::set(
                &acc,
                Expr::bin(
                    BinOp::Mod,
                    Expr::bin(BinOp::Add, Expr::var(&acc), step),
                    Expr::Int(1_000_000_007),
                ),
            ));
            b.push(Stmt::op_set(
                &mixed,
                AssignOp::Add,
                Expr::bin(
                    BinOp::Mul,
                    Expr::var(i),
                    Expr::Float(*g.rng.pick(&[0.5, 0.1, -1.5])),
                ),
            ));
            if g.rng.chance(50) {
                let e = g.fresh("e");
                let risky = g.scoped(|g| {
                    g.ctx.guarded = true;
                    let x = g.expr(Ty::Int, 2);
                    vec![Stmt::set(
                        &acc,
                        Expr::bin(BinOp::Mod, x, Expr::Int(1_000_003)),
                    )]
                });
                b.push(Stmt::Try {
                    body: risky,
                    var: e,
                    handler: vec![Stmt::op_set(&errs, AssignOp::Add, Expr::Int(1))],
                });
            } else {
                let near = Expr::bin(
                    BinOp::Add,
                    Expr::Int(i64::MAX - iters - g.rng.range(-50, 50)),
                    iv.clone(),
                );
                b.push(Stmt::if_then(
                    Expr::bin(BinOp::Gt, near, Expr::Int(0)),
                    vec![Stmt::op_set(&errs, AssignOp::Add, Expr::Int(0))],
                ));
            }
            b
        });
        out.push(l);
        out.push(self.final_print(tag, &state));
        out
    }
}
