//! Scenarios: the parts of a program's main body, each aimed at one thing
//! the JIT must get right, each printing its state as it goes. Most run a
//! hot loop (1000+ iterations: default tiering compiles it and enters by
//! OSR) and some a short one (only `--jit=always` / low thresholds compile
//! it).

mod arithmetic;
mod calls;
mod control_flow;
mod data;
mod type_change;

use super::{Gen, Ty};
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
}
