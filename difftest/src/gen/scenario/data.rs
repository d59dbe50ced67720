//! Data scenarios: structs (methods, field writes), arrays, dicts and strings.

use crate::ast::*;
use crate::gen::{Gen, Ty};

impl Gen {
    /// Methods that read and write fields, field writes, a method building
    /// a new instance, arrays of structs.
    pub(super) fn sc_structs(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let s = self.rng.index(self.structs.len());
        let sv = self.state(&mut out, Ty::Struct(s));
        let arr = self.fresh("v");
        out.push(Stmt::decl(&arr, Expr::Array(vec![])));
        self.declare(&arr, Ty::Arr, true);
        let iters = self.iterations();
        let info = self.structs[s].clone();
        let l = self.hot_loop(tag, iters, std::slice::from_ref(&sv), |g, i| {
            let mut b = Vec::new();
            for m in info.methods.iter().take(3) {
                if !g.affordable(m.cost) {
                    continue;
                }
                g.spend(m.cost);
                let args: Vec<Expr> = (0..m.arity)
                    .map(|_| Expr::bin(BinOp::Mod, Expr::var(i), Expr::Int(g.rng.range(2, 50))))
                    .collect();
                let call = Expr::method(Expr::var(&sv), &m.name, args);
                if g.rng.chance(40) {
                    b.push(Stmt::if_then(
                        Expr::bin(
                            BinOp::Lt,
                            Expr::call("len", vec![Expr::var(&arr)]),
                            Expr::Int(12),
                        ),
                        vec![Stmt::set(
                            &arr,
                            Expr::call("push", vec![Expr::var(&arr), call]),
                        )],
                    ));
                } else {
                    b.push(Stmt::Expr(call));
                }
            }
            if g.rng.chance(60) {
                let (f, ty) = g.rng.pick(&info.fields).clone();
                let value = g.expr(ty, 1);
                let assign = Stmt::Assign {
                    target: Target::Field(sv.clone(), f.clone()),
                    op: AssignOp::Set,
                    value,
                };
                b.push(g.while_small(Expr::field(Expr::var(&sv), &f), assign));
            }
            b.extend(g.block_in(0, 3));
            b
        });
        out.push(l);
        out.push(self.final_print(tag, &[sv, arr]));
        out
    }

    /// Arrays (bool arrays too), dicts with int and string keys: push,
    /// index, out of bounds, missing keys, len, iteration.
    pub(super) fn sc_collections(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let ia = self.state(&mut out, Ty::IntArr);
        let ba = self.state(&mut out, Ty::BoolArr);
        let d = self.state(&mut out, Ty::Dict);
        let errs = self.state(&mut out, Ty::Int);
        let iters = self.iterations();
        let state = vec![ia.clone(), ba.clone(), d.clone(), errs.clone()];
        let l = self.hot_loop(tag, iters, &state, |g, i| {
            let iv = Expr::var(i);
            let mut b = vec![
                Stmt::if_then(
                    Expr::bin(
                        BinOp::Lt,
                        Expr::call("len", vec![Expr::var(&ia)]),
                        Expr::Int(30),
                    ),
                    vec![Stmt::set(
                        &ia,
                        Expr::call(
                            "push",
                            vec![
                                Expr::var(&ia),
                                Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(17)),
                            ],
                        ),
                    )],
                ),
                Stmt::if_then(
                    Expr::bin(
                        BinOp::Lt,
                        Expr::call("len", vec![Expr::var(&ba)]),
                        Expr::Int(20),
                    ),
                    vec![Stmt::set(
                        &ba,
                        Expr::call(
                            "push",
                            vec![
                                Expr::var(&ba),
                                Expr::bin(
                                    BinOp::Eq,
                                    Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(3)),
                                    Expr::Int(0),
                                ),
                            ],
                        ),
                    )],
                ),
            ];
            let key = if g.rng.chance(50) {
                Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(g.rng.range(3, 9)))
            } else {
                Expr::bin(
                    BinOp::Add,
                    Expr::str("k"),
                    Expr::call("str", vec![Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(5))]),
                )
            };
            b.push(Stmt::Assign {
                target: Target::Index(d.clone(), key),
                op: AssignOp::Set,
                value: g.scalar_expr(1),
            });
            let idx = Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(g.rng.range(20, 40)));
            b.push(Stmt::Assign {
                target: Target::Index(
                    ba.clone(),
                    Expr::bin(
                        BinOp::Mod,
                        iv.clone(),
                        Expr::call("len", vec![Expr::var(&ba)]),
                    ),
                ),
                op: AssignOp::Set,
                value: Expr::logical_not(Expr::index(
                    Expr::var(&ba),
                    Expr::bin(
                        BinOp::Mod,
                        iv.clone(),
                        Expr::call("len", vec![Expr::var(&ba)]),
                    ),
                )),
            });
            // Out of bounds / missing keys, caught (the loop stays
            // interpreted), or checked first (the loop compiles).
            if g.rng.chance(40) {
                b.push(Stmt::Try {
                    body: vec![Stmt::op_set(
                        &errs,
                        AssignOp::Add,
                        Expr::bin(BinOp::Mod, Expr::index(Expr::var(&ia), idx), Expr::Int(2)),
                    )],
                    var: g.fresh("e"),
                    handler: vec![Stmt::op_set(&errs, AssignOp::Add, Expr::Int(100))],
                });
            } else {
                b.push(Stmt::if_then(
                    Expr::bin(
                        BinOp::Lt,
                        idx.clone(),
                        Expr::call("len", vec![Expr::var(&ia)]),
                    ),
                    vec![Stmt::op_set(
                        &errs,
                        AssignOp::Add,
                        Expr::bin(BinOp::Mod, Expr::index(Expr::var(&ia), idx), Expr::Int(2)),
                    )],
                ));
            }
            let k = Expr::Int(g.rng.range(0, 9));
            b.push(Stmt::if_then(
                Expr::call("has_key", vec![Expr::var(&d), k.clone()]),
                vec![Stmt::set(
                    &errs,
                    Expr::bin(
                        BinOp::Add,
                        Expr::var(&errs),
                        Expr::call(
                            "len",
                            vec![Expr::call("str", vec![Expr::index(Expr::var(&d), k)])],
                        ),
                    ),
                )],
            ));
            if g.rng.chance(30) {
                let e = g.fresh("e");
                let body = g.scoped(|g| {
                    g.ctx.in_loop = true;
                    g.declare(&e, Ty::Int, false);
                    vec![Stmt::if_then(
                        Expr::bin(BinOp::Gt, Expr::var(&e), Expr::Int(g.rng.range(5, 15))),
                        vec![Stmt::op_set(&errs, AssignOp::Add, Expr::Int(1))],
                    )]
                });
                b.push(Stmt::if_then(
                    Expr::bin(
                        BinOp::Eq,
                        Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(97)),
                        Expr::Int(0),
                    ),
                    vec![Stmt::ForIn {
                        var: e,
                        iter: Expr::var(&ia),
                        body,
                    }],
                ));
            }
            b.extend(g.block_in(0, 3));
            b
        });
        out.push(l);
        let k = self.fresh("e");
        out.push(Stmt::ForIn {
            var: k.clone(),
            iter: Expr::var(&d),
            body: vec![Stmt::print(vec![
                Expr::str(tag),
                Expr::var(&k),
                Expr::index(Expr::var(&d), Expr::var(&k)),
            ])],
        });
        out.push(self.final_print(tag, &state));
        out
    }

    /// Concatenation, interpolation, comparison, indexing of strings.
    pub(super) fn sc_strings(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let s = self.state(&mut out, Ty::Str);
        let t = self.state(&mut out, Ty::Str);
        let n = self.state(&mut out, Ty::Int);
        let iters = self.iterations();
        let state = vec![s.clone(), n.clone()];
        let l = self.hot_loop(tag, iters, &state, |g, i| {
            let iv = Expr::var(i);
            let mut b = vec![
                Stmt::set(
                    &t,
                    Expr::Interp(
                        vec!["".into(), "-".into(), "".into()],
                        vec![
                            Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(10)),
                            Expr::var(&s),
                        ],
                    ),
                ),
                Stmt::if_then(
                    Expr::bin(
                        BinOp::Lt,
                        Expr::call("len", vec![Expr::var(&s)]),
                        Expr::Int(24),
                    ),
                    vec![Stmt::set(
                        &s,
                        Expr::bin(
                            BinOp::Add,
                            Expr::var(&s),
                            Expr::call(
                                "str",
                                vec![Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(3))],
                            ),
                        ),
                    )],
                ),
                Stmt::if_then(
                    Expr::bin(
                        *g.rng.pick(&[BinOp::Lt, BinOp::Gt, BinOp::Eq]),
                        Expr::var(&s),
                        Expr::var(&t),
                    ),
                    vec![Stmt::op_set(&n, AssignOp::Add, Expr::Int(1))],
                ),
            ];
            if g.rng.chance(50) {
                b.push(Stmt::if_then(
                    Expr::bin(
                        BinOp::Gt,
                        Expr::call("len", vec![Expr::var(&s)]),
                        Expr::Int(20),
                    ),
                    vec![Stmt::set(
                        &s,
                        Expr::index(Expr::var(&s), Expr::Int(g.rng.range(-3, 3))),
                    )],
                ));
            }
            b.extend(g.block_in(0, 3));
            b
        });
        out.push(l);
        out.push(self.final_print(tag, &[s, t, n]));
        out
    }
}
