//! Type-change scenario: a value changing type in a hot loop, stored at one site, read at many.

use crate::ast::*;
use crate::gen::{Gen, Role, Ty};

/// Where a value that changes type lives.
#[derive(Clone, Copy, Debug)]
enum Site {
    Local,
    Global,
    Captured,
    Element,
    DictValue,
    Field,
    Returned,
}

impl Gen {
    /// A value that changes type by phases (int, float, string, null,
    /// bool, ...) in a hot loop, stored at one kind of site and used at
    /// many, so that guards fail everywhere.
    pub(super) fn sc_type_change(&mut self, tag: &str) -> Block {
        let mut out = Vec::new();
        let site = *self.rng.pick(&[
            Site::Local,
            Site::Global,
            Site::Captured,
            Site::Element,
            Site::DictValue,
            Site::Field,
            Site::Returned,
        ]);
        let holder = self.fresh("v");
        // How to write the site and how to read it.
        let (write, read): (Target, Expr) = match site {
            Site::Global => match self.pick_var(|v| v.ty == Ty::Any && v.name.starts_with('g')) {
                Some(g) => (Target::Var(g.name.clone()), Expr::Var(g.name)),
                None => {
                    out.push(Stmt::decl(&holder, Expr::Int(0)));
                    (Target::Var(holder.clone()), Expr::var(&holder))
                }
            },
            Site::Captured => {
                out.push(Stmt::decl(&holder, Expr::Int(0)));
                let c = self.fresh("c");
                out.push(Stmt::decl(
                    &c,
                    Expr::Lambda(vec![], vec![Stmt::Return(Some(Expr::var(&holder)))]),
                ));
                (Target::Var(holder.clone()), Expr::call(&c, vec![]))
            }
            Site::Element => {
                out.push(Stmt::decl(
                    &holder,
                    Expr::Array(vec![Expr::Int(0), Expr::Int(0), Expr::Int(0)]),
                ));
                let k = self.rng.range(-3, 2);
                (
                    Target::Index(holder.clone(), Expr::Int(k)),
                    Expr::index(Expr::var(&holder), Expr::Int(k)),
                )
            }
            Site::DictValue => {
                let key = if self.rng.chance(50) {
                    Expr::Int(self.rng.range(0, 4))
                } else {
                    Expr::str("k")
                };
                out.push(Stmt::decl(
                    &holder,
                    Expr::Dict(vec![(key.clone(), Expr::Int(0))]),
                ));
                (
                    Target::Index(holder.clone(), key.clone()),
                    Expr::index(Expr::var(&holder), key),
                )
            }
            Site::Field if !self.structs.is_empty() => {
                let s = self.rng.index(self.structs.len());
                let lit = self.struct_lit(s, 0);
                out.push(Stmt::decl(&holder, lit));
                let f = self.rng.pick(&self.structs[s].fields).0.clone();
                (
                    Target::Field(holder.clone(), f.clone()),
                    Expr::field(Expr::var(&holder), &f),
                )
            }
            Site::Returned => {
                out.push(Stmt::decl(&holder, Expr::Int(0)));
                let id = self
                    .funcs
                    .iter()
                    .find(|f| f.role == Role::Identity)
                    .map(|f| f.name.clone());
                let read = match id {
                    Some(f) => Expr::call(&f, vec![Expr::var(&holder)]),
                    None => Expr::var(&holder),
                };
                (Target::Var(holder.clone()), read)
            }
            _ => {
                out.push(Stmt::decl(&holder, Expr::Int(0)));
                (Target::Var(holder.clone()), Expr::var(&holder))
            }
        };
        let acc = self.state(&mut out, Ty::Int);
        let cnt = self.state(&mut out, Ty::Int);
        let last = self.fresh("v");
        out.push(Stmt::decl(&last, Expr::str("")));
        let iters = self.iterations();
        let mut phases = vec![0usize, 1, 2, 3, 4, 5];
        self.rng.shuffle(&mut phases);
        let n_phases = self.rng.range(2, 5) as usize;
        phases.truncate(n_phases);
        let bounds: Vec<i64> = (1..n_phases as i64)
            .map(|k| iters * k / n_phases as i64)
            .collect();
        let state = vec![acc.clone(), cnt.clone()];
        let per_iteration = self.rng.chance(60);
        let l = self.hot_loop(tag, iters, &state, |g, i| {
            let iv = Expr::var(i);
            let value = |p: usize, g: &mut Gen| -> Expr {
                match p {
                    0 => Expr::bin(BinOp::Sub, iv.clone(), Expr::Int(g.rng.range(0, 900))),
                    1 => Expr::bin(BinOp::Mul, iv.clone(), Expr::Float(0.5)),
                    2 => Expr::bin(
                        BinOp::Add,
                        Expr::str("s"),
                        Expr::call("str", vec![Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(7))]),
                    ),
                    3 => Expr::Null,
                    4 => Expr::bin(
                        BinOp::Eq,
                        Expr::bin(BinOp::Mod, iv.clone(), Expr::Int(2)),
                        Expr::Int(0),
                    ),
                    _ => Expr::Array(vec![iv.clone()]),
                }
            };
            let mut b = Vec::new();
            // The phase change: every iteration (the type is stable within
            // a phase) or once at each boundary.
            let mut chain: Option<Block> = None;
            for (k, &p) in phases.iter().enumerate().rev() {
                let assign = Stmt::Assign {
                    target: write.clone(),
                    op: AssignOp::Set,
                    value: value(p, g),
                };
                if k == 0 {
                    if per_iteration {
                        let cond = Expr::bin(
                            BinOp::Lt,
                            iv.clone(),
                            Expr::Int(bounds.first().copied().unwrap_or(iters)),
                        );
                        chain = Some(vec![Stmt::If {
                            cond,
                            then: vec![assign],
                            els: chain,
                        }]);
                    } else {
                        b.push(Stmt::if_then(
                            Expr::bin(BinOp::Eq, iv.clone(), Expr::Int(0)),
                            vec![assign],
                        ));
                    }
                } else if per_iteration {
                    let cond = Expr::bin(
                        BinOp::Lt,
                        iv.clone(),
                        Expr::Int(bounds.get(k).copied().unwrap_or(iters)),
                    );
                    chain = Some(match chain {
                        None => vec![assign],
                        Some(rest) => vec![Stmt::If {
                            cond,
                            then: vec![assign],
                            els: Some(rest),
                        }],
                    });
                } else {
                    b.push(Stmt::if_then(
                        Expr::bin(BinOp::Eq, iv.clone(), Expr::Int(bounds[k - 1])),
                        vec![assign],
                    ));
                }
            }
            if let Some(c) = chain {
                b.extend(c);
            }
            let uses = g.rng.range(2, 6);
            for _ in 0..uses {
                b.push(g.use_changing(&read, &acc, &cnt, &last));
            }
            if g.rng.chance(30) {
                b.extend(g.block(1));
            }
            b
        });
        out.push(l);
        out.push(self.final_print(tag, &[acc, cnt, last]));
        out
    }

    /// One use of a value of changing type at some kind of site.
    fn use_changing(&mut self, r: &Expr, acc: &str, cnt: &str, last: &str) -> Stmt {
        let num = Expr::bin(
            BinOp::Or,
            Expr::call("is_int", vec![r.clone()]),
            Expr::call("is_float", vec![r.clone()]),
        );
        match self.rng.below(11) {
            0 => Stmt::if_then(
                num,
                vec![Stmt::set(
                    acc,
                    Expr::bin(
                        BinOp::Add,
                        Expr::var(acc),
                        Expr::bin(BinOp::Mod, r.clone(), Expr::Int(1000)),
                    ),
                )],
            ),
            1 => Stmt::if_then(
                Expr::bin(BinOp::Eq, r.clone(), Expr::Null),
                vec![Stmt::op_set(cnt, AssignOp::Add, Expr::Int(1))],
            ),
            2 => Stmt::if_then(
                r.clone(),
                vec![Stmt::op_set(cnt, AssignOp::Add, Expr::Int(2))],
            ),
            3 => Stmt::set(last, Expr::call("str", vec![r.clone()])),
            4 => Stmt::set(
                last,
                Expr::call(
                    "str",
                    vec![Expr::bin(BinOp::Coalesce, r.clone(), Expr::Int(-1))],
                ),
            ),
            5 => Stmt::if_then(
                Expr::bin(
                    BinOp::And,
                    num,
                    Expr::bin(BinOp::Gt, r.clone(), Expr::Int(100)),
                ),
                vec![Stmt::op_set(cnt, AssignOp::Add, Expr::Int(3))],
            ),
            6 => Stmt::Try {
                body: vec![Stmt::set(
                    acc,
                    Expr::bin(
                        BinOp::Mod,
                        Expr::bin(
                            BinOp::Add,
                            Expr::var(acc),
                            Expr::bin(BinOp::Mul, r.clone(), Expr::Int(2)),
                        ),
                        Expr::Int(100_003),
                    ),
                )],
                var: self.fresh("e"),
                handler: vec![Stmt::op_set(cnt, AssignOp::Add, Expr::Int(1))],
            },
            7 => {
                // Through a helper (called with every type).
                match self.call_with(r.clone()) {
                    Some(call) => Stmt::set(last, Expr::call("str", vec![call])),
                    None => Stmt::set(last, Expr::call("type", vec![r.clone()])),
                }
            }
            8 => Stmt::if_then(
                Expr::call("is_string", vec![r.clone()]),
                vec![Stmt::set(
                    last,
                    Expr::bin(BinOp::Add, r.clone(), Expr::str("|")),
                )],
            ),
            9 => Stmt::if_then(
                Expr::bin(BinOp::Eq, r.clone(), Expr::Int(4)),
                vec![Stmt::op_set(cnt, AssignOp::Add, Expr::Int(5))],
            ),
            _ => Stmt::if_then(
                Expr::call("is_float", vec![r.clone()]),
                vec![Stmt::set(
                    acc,
                    Expr::call(
                        "int",
                        vec![Expr::bin(BinOp::Mod, r.clone(), Expr::Float(977.0))],
                    ),
                )],
            ),
        }
    }
}
