//! Scenarios: the parts of a program's main body, each aimed at one thing
//! the JIT must get right, each printing its state as it goes. Most run a
//! hot loop (1000+ iterations: default tiering compiles it and enters by
//! OSR) and some a short one (only `--jit=always` / low thresholds compile
//! it).

use super::items::CHEAP;
use super::{Gen, Role, Ty};
use crate::ast::*;

#[derive(Clone, Copy, Debug)]
enum Kind {
    HotLoop,
    TypeChange,
    PolyCalls,
    Structs,
    Closures,
    Recursion,
    Nested,
    Collections,
    Strings,
    ShortCircuit,
    GlobalRebind,
    Osr,
    Arith,
}

const KINDS: &[(Kind, u32)] = &[
    (Kind::HotLoop, 14),
    (Kind::TypeChange, 14),
    (Kind::PolyCalls, 12),
    (Kind::Structs, 8),
    (Kind::Closures, 8),
    (Kind::Recursion, 5),
    (Kind::Nested, 8),
    (Kind::Collections, 9),
    (Kind::Strings, 5),
    (Kind::ShortCircuit, 7),
    (Kind::GlobalRebind, 8),
    (Kind::Osr, 6),
    (Kind::Arith, 10),
];

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
    pub(super) fn scenarios(&mut self) -> Block {
        let mut out = Vec::new();
        let n = self.rng.range(2, 6);
        let weights: Vec<u32> = KINDS.iter().map(|k| k.1).collect();
        for k in 0..n {
            if self.over_budget() {
                break;
            }
            let kind = KINDS[self.rng.weighted(&weights)].0;
            let tag = format!("s{k}");
            // Caught at the end of the scenario most of the time, so a
            // failure does not end the program (an uncaught error must
            // match across modes too, stack trace included).
            let wrap = self.rng.chance(70);
            let body = self.scoped(|g| {
                g.ctx.guarded = wrap;
                g.scenario(kind, &tag)
            });
            if wrap {
                let e = self.fresh("e");
                out.push(Stmt::Try {
                    body,
                    var: e.clone(),
                    handler: vec![Stmt::print(vec![
                        Expr::str(&format!("{tag} failed:")),
                        Expr::field(Expr::var(&e), "message"),
                    ])],
                });
            } else {
                out.extend(body);
            }
        }
        let mut fin = vec![Expr::str("end")];
        for v in self.vars(|v| v.name.starts_with('g') && !matches!(v.ty, Ty::Func(_))) {
            fin.push(Expr::Var(v.name));
        }
        out.push(Stmt::print(fin));
        out
    }

    fn scenario(&mut self, kind: Kind, tag: &str) -> Block {
        // The scenario's body is not itself guarded: `try` around a whole
        // scenario catches only what escapes it.
        self.ctx.guarded = false;
        match kind {
            Kind::HotLoop => self.sc_hot_loop(tag),
            Kind::TypeChange => self.sc_type_change(tag),
            Kind::PolyCalls => self.sc_poly_calls(tag),
            Kind::Structs if !self.structs.is_empty() => self.sc_structs(tag),
            Kind::Closures => self.sc_closures(tag),
            Kind::Recursion => self.sc_recursion(tag),
            Kind::Nested => self.sc_nested(tag),
            Kind::Collections => self.sc_collections(tag),
            Kind::Strings => self.sc_strings(tag),
            Kind::ShortCircuit => self.sc_short_circuit(tag),
            Kind::GlobalRebind => self.sc_global_rebind(tag),
            Kind::Osr => self.sc_osr(tag),
            Kind::Arith => self.sc_arith(tag),
            Kind::Structs => self.sc_hot_loop(tag),
        }
    }

    /// Iterations of a scenario loop: mostly past the default loop
    /// threshold (1000), sometimes short.
    fn iterations(&mut self) -> i64 {
        if self.rng.chance(75) {
            self.rng.range(1001, 2600)
        } else {
            self.rng.range(2, 40)
        }
    }

    /// Declare a state variable of type `ty` with a fresh name.
    fn state(&mut self, out: &mut Block, ty: Ty) -> String {
        let name = self.fresh("v");
        let value = self.leaf_no_var(ty);
        out.push(Stmt::decl(&name, value));
        self.declare(&name, ty, true);
        name
    }

    /// A literal value of type `ty` (no variables).
    pub(super) fn leaf_no_var(&mut self, ty: Ty) -> Expr {
        match ty {
            Ty::Int => Expr::Int(self.rng.range(-5, 5)),
            Ty::Float => Expr::Float(self.lit_float()),
            Ty::Str => Expr::Str(self.lit_str()),
            Ty::Bool => Expr::Bool(self.rng.chance(50)),
            Ty::Null | Ty::Any => Expr::Null,
            Ty::IntArr => Expr::Array(vec![Expr::Int(1), Expr::Int(2), Expr::Int(3)]),
            Ty::BoolArr => Expr::Array(vec![Expr::Bool(true), Expr::Bool(false)]),
            Ty::Arr => Expr::Array(vec![Expr::Int(0), Expr::str("a"), Expr::Null]),
            Ty::Dict => Expr::Dict(vec![
                (Expr::Int(1), Expr::Int(10)),
                (Expr::str("k"), Expr::str("v")),
            ]),
            Ty::Struct(s) => self.struct_lit(s, 0),
            Ty::Func(_) => self.leaf(ty),
        }
    }

    /// A loop of `iters` iterations (a `for` over a range, or a counted
    /// `while` / `loop`) whose body is `body(g, index)` followed by a
    /// periodic print of `state`.
    fn hot_loop(
        &mut self,
        tag: &str,
        iters: i64,
        state: &[String],
        body: impl FnOnce(&mut Gen, &str) -> Block,
    ) -> Stmt {
        let kind = self.rng.weighted(&[70, 15, 15]);
        let var = if kind == 0 {
            self.fresh("i")
        } else {
            self.fresh("w")
        };
        let every = (iters / self.rng.range(4, 16)).max(1);
        let mut b = self.scoped(|g| {
            g.ctx.in_loop = true;
            g.ctx.mult = g.ctx.mult.saturating_mul(iters as u64);
            g.declare(&var, Ty::Int, false);
            body(g, &var)
        });
        let mut args = vec![Expr::str(tag), Expr::var(&var)];
        args.extend(state.iter().map(|s| Expr::var(s)));
        // The print goes first: `continue` in the body must not skip it.
        b.insert(
            0,
            Stmt::if_then(
                Expr::bin(
                    BinOp::Eq,
                    Expr::bin(BinOp::Mod, Expr::var(&var), Expr::Int(every)),
                    Expr::Int(0),
                ),
                vec![Stmt::print(args)],
            ),
        );
        match kind {
            0 => Stmt::ForRange {
                var,
                start: 0,
                end: iters,
                body: b,
            },
            1 => Stmt::While {
                counter: var,
                limit: iters as u32,
                cond: None,
                body: b,
            },
            _ => Stmt::Loop {
                counter: var,
                limit: iters as u32,
                body: b,
            },
        }
    }

    fn final_print(&self, tag: &str, state: &[String]) -> Stmt {
        let mut args = vec![Expr::str(&format!("{tag}:"))];
        args.extend(state.iter().map(|s| Expr::var(s)));
        Stmt::print(args)
    }

    /// Random statements over a few state variables in a loop.
    fn sc_hot_loop(&mut self, tag: &str) -> Block {
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

    /// A value that changes type by phases (int, float, string, null,
    /// bool, ...) in a hot loop, stored at one kind of site and used at
    /// many, so that guards fail everywhere.
    fn sc_type_change(&mut self, tag: &str) -> Block {
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

    /// A call of a safe one-argument helper with `arg`.
    fn call_with(&mut self, arg: Expr) -> Option<Expr> {
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
    fn sc_poly_calls(&mut self, tag: &str) -> Block {
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

    /// Methods that read and write fields, field writes, a method building
    /// a new instance, arrays of structs.
    fn sc_structs(&mut self, tag: &str) -> Block {
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

    /// Closures made in a loop capture its variable; a closure mutates a
    /// captured counter; the closures are called from a hot loop.
    fn sc_closures(&mut self, tag: &str) -> Block {
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

    /// Recursive helpers called with changing arguments.
    fn sc_recursion(&mut self, tag: &str) -> Block {
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
    fn sc_nested(&mut self, tag: &str) -> Block {
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

    /// Arrays (bool arrays too), dicts with int and string keys: push,
    /// index, out of bounds, missing keys, len, iteration.
    fn sc_collections(&mut self, tag: &str) -> Block {
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
    fn sc_strings(&mut self, tag: &str) -> Block {
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

    /// `&&`, `||` and `??` whose operands have side effects.
    fn sc_short_circuit(&mut self, tag: &str) -> Block {
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

    /// Globals (values and functions) rebound while compiled code uses
    /// them.
    fn sc_global_rebind(&mut self, tag: &str) -> Block {
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

    /// Functions with long loops, called once (OSR) and several times
    /// (whole-function compile), with changing argument types.
    fn sc_osr(&mut self, tag: &str) -> Block {
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

    /// Integer arithmetic near overflow, division and modulo by 0 and -1,
    /// int/float mixing: in a helper called under `try` from a loop, and
    /// in a compiled loop that fails late.
    fn sc_arith(&mut self, tag: &str) -> Block {
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
