//! Top-level items: structs with methods, globals, and helper functions of a
//! few shapes (identity, side effect, type dispatch, random body,
//! recursion, a long loop for on-stack replacement, users of globals).

use super::{FuncInfo, Gen, MethodInfo, Role, StructInfo, Ty};
use crate::ast::*;

/// Helpers at most this costly may become the value of a global function
/// variable (whose calls are not costed).
pub(super) const CHEAP: u64 = 10;

/// Shapes of helper functions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Identity,
    Side,
    Dispatch,
    Random,
    Recursive,
    Tree,
    LongLoop,
    GlobalUser,
}

impl Gen {
    /// Structs, the globals' names, the helpers, then the globals'
    /// declarations (which may refer to helpers): returns the prelude.
    pub(super) fn structs_and_helpers(&mut self) -> Block {
        let n_structs = self.rng.range(0, 2) as usize;
        for _ in 0..n_structs {
            self.gen_struct();
        }
        let globals = self.declare_globals();
        let n = self.rng.range(3, 8);
        let mut shapes = vec![Shape::Identity, Shape::Dispatch];
        for _ in 0..n {
            let s = match self.rng.weighted(&[6, 8, 10, 20, 8, 3, 8, 8]) {
                0 => Shape::Identity,
                1 => Shape::Side,
                2 => Shape::Dispatch,
                3 => Shape::Random,
                4 => Shape::Recursive,
                5 => Shape::Tree,
                6 => Shape::LongLoop,
                _ => Shape::GlobalUser,
            };
            shapes.push(s);
        }
        self.rng.shuffle(&mut shapes);
        for s in shapes {
            self.gen_helper(s);
        }
        self.init_globals(globals)
    }

    /// Globals: a side-effect counter, values of several types, one of
    /// unknown type (rebound to other types later) and a function value.
    fn declare_globals(&mut self) -> Vec<(String, Ty)> {
        let mut out = Vec::new();
        let counter = self.fresh("g");
        self.declare(&counter, Ty::Int, false);
        self.side_counter = Some(counter.clone());
        out.push((counter, Ty::Int));
        let n = self.rng.range(1, 3);
        for _ in 0..n {
            let name = self.fresh("g");
            let ty = *self
                .rng
                .pick(&[Ty::Int, Ty::Float, Ty::Str, Ty::IntArr, Ty::Dict, Ty::Any]);
            self.declare(&name, ty, true);
            out.push((name, ty));
        }
        let f = self.fresh("gf");
        self.declare(&f, Ty::Func(1), true);
        out.push((f, Ty::Func(1)));
        out
    }

    fn init_globals(&mut self, globals: Vec<(String, Ty)>) -> Block {
        let mut out = Vec::new();
        for (name, ty) in globals {
            let value = match ty {
                Ty::Func(n) => {
                    let fs: Vec<String> = self
                        .funcs
                        .iter()
                        .filter(|f| f.arity == n && f.safe && f.leaf && f.cost <= CHEAP)
                        .map(|f| f.name.clone())
                        .collect();
                    if fs.is_empty() || self.rng.chance(30) {
                        let p = self.fresh("q");
                        let body = vec![Stmt::Return(Some(Expr::bin(
                            BinOp::Coalesce,
                            Expr::Var(p.clone()),
                            Expr::Int(self.rng.range(0, 9)),
                        )))];
                        Expr::Lambda(vec![p], body)
                    } else {
                        Expr::Var(self.rng.pick(&fs).clone())
                    }
                }
                Ty::Int if Some(&name) == self.side_counter.as_ref() => Expr::Int(0),
                Ty::Any => {
                    let t = self.some_ty();
                    self.leaf_no_var(t)
                }
                t => self.leaf_no_var(t),
            };
            out.push(Stmt::decl(&name, value));
        }
        out
    }

    fn gen_struct(&mut self) {
        let s = self.structs.len();
        let name = self.fresh("S");
        let n_fields = self.rng.range(1, 4);
        let mut fields = Vec::new();
        let mut defs = Vec::new();
        for _ in 0..n_fields {
            let f = self.fresh("x");
            let ty = *self
                .rng
                .pick(&[Ty::Int, Ty::Int, Ty::Float, Ty::Str, Ty::Bool, Ty::IntArr]);
            let default = if self.rng.chance(30) {
                Some(self.leaf(ty))
            } else {
                None
            };
            defs.push(Field {
                name: f.clone(),
                default,
            });
            fields.push((f, ty));
        }
        self.structs.push(StructInfo {
            name: name.clone(),
            fields,
            methods: Vec::new(),
        });
        let mut methods = Vec::new();
        for k in 0..self.rng.range(1, 4) {
            let m = self.gen_method(s, k == 0);
            methods.push(m);
        }
        self.items.push(Item::Struct(StructDef {
            name,
            fields: defs,
            methods,
        }));
    }

    /// A method: reads fields (by `self.f` and by bare name), may write
    /// them, may build a new instance of its own struct.
    fn gen_method(&mut self, s: usize, first: bool) -> Method {
        let name = self.fresh("m");
        let takes_self = first || self.rng.chance(70);
        let arity = self.rng.range(0, 2) as usize;
        let params: Vec<String> = (0..arity).map(|_| self.fresh("p")).collect();
        let saved_cost = self.cost;
        self.cost = 0;
        let mut writes = false;
        let body = self.in_function(false, |g| {
            g.ctx.self_struct = Some(s);
            for p in &params {
                g.declare(p, Ty::Int, false);
            }
            let mut body = Vec::new();
            let fields = g.structs[s].fields.clone();
            if takes_self && g.rng.chance(70) {
                let (f, ty) = g.rng.pick(&fields).clone();
                let value = match (ty, params.first()) {
                    (Ty::Int, Some(p)) => Expr::bin(
                        BinOp::Mod,
                        Expr::bin(BinOp::Add, Expr::field(Expr::var("self"), &f), Expr::var(p)),
                        Expr::Int(1000),
                    ),
                    (t, _) => g.expr(t, 2),
                };
                let assign = Stmt::Assign {
                    target: Target::Field("self".into(), f.clone()),
                    op: AssignOp::Set,
                    value,
                };
                body.push(if matches!(ty, Ty::Str | Ty::IntArr) {
                    g.while_small(Expr::field(Expr::var("self"), &f), assign)
                } else {
                    assign
                });
                writes = true;
            }
            body.extend(g.block_in(0, 3));
            let ret = if g.rng.chance(35) {
                g.struct_lit(s, 1)
            } else {
                g.any_expr(2)
            };
            body.push(Stmt::Return(Some(ret)));
            body
        });
        let cost = self.cost + 1;
        self.cost = saved_cost;
        self.structs[s].methods.push(MethodInfo {
            name: name.clone(),
            arity,
            writes,
            cost,
        });
        Method {
            name,
            takes_self,
            params,
            body,
        }
    }

    fn gen_helper(&mut self, shape: Shape) {
        let name = self.fresh("f");
        let saved_cost = self.cost;
        self.cost = 0;
        let calls_before = self.funcs.len();
        let (params, tys, body, safe, recursive) = match shape {
            Shape::Identity => {
                let p = self.fresh("p");
                let body = vec![Stmt::Return(Some(Expr::Var(p.clone())))];
                (vec![p], vec![Ty::Any], body, true, false)
            }
            Shape::Side => {
                let p = self.fresh("p");
                let c = self.side_counter.clone().expect("declared");
                let body = vec![
                    Stmt::op_set(&c, AssignOp::Add, Expr::Int(1)),
                    Stmt::Return(Some(Expr::Var(p.clone()))),
                ];
                (vec![p], vec![Ty::Any], body, true, false)
            }
            Shape::Dispatch => {
                let p = self.fresh("p");
                let body = self.in_function(false, |g| {
                    g.declare(&p, Ty::Any, false);
                    g.dispatch_body(&p)
                });
                (vec![p], vec![Ty::Any], body, true, false)
            }
            Shape::Random => {
                let n = self.rng.range(0, 3) as usize;
                let params: Vec<String> = (0..n).map(|_| self.fresh("p")).collect();
                let tys: Vec<Ty> = (0..n)
                    .map(|_| *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Any, Ty::Str]))
                    .collect();
                let body = self.in_function(false, |g| {
                    for (p, t) in params.iter().zip(&tys) {
                        g.declare(p, *t, true);
                    }
                    let mut b = g.block_in(1, 5);
                    let t = g.some_ty();
                    b.push(Stmt::Return(Some(g.expr(t, 2))));
                    b
                });
                (params, tys, body, self.rng.chance(60), false)
            }
            Shape::Recursive => {
                let n = self.fresh("p");
                let acc = self.fresh("p");
                let acc_ty = *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Str, Ty::IntArr]);
                let body = self.in_function(false, |g| {
                    g.declare(&n, Ty::Int, false);
                    g.declare(&acc, acc_ty, false);
                    let step = match acc_ty {
                        Ty::Int => Expr::bin(BinOp::Add, Expr::var(&acc), Expr::var(&n)),
                        Ty::Float => Expr::bin(
                            BinOp::Add,
                            Expr::var(&acc),
                            Expr::bin(BinOp::Mul, Expr::var(&n), Expr::Float(0.5)),
                        ),
                        Ty::Str => Expr::bin(
                            BinOp::Add,
                            Expr::var(&acc),
                            Expr::call("str", vec![Expr::var(&n)]),
                        ),
                        _ => Expr::call("push", vec![Expr::var(&acc), Expr::var(&n)]),
                    };
                    let mut b = vec![Stmt::if_then(
                        Expr::bin(BinOp::Le, Expr::var(&n), Expr::Int(0)),
                        vec![Stmt::Return(Some(Expr::var(&acc)))],
                    )];
                    if g.rng.chance(40) {
                        b.extend(g.block(1));
                    }
                    b.push(Stmt::Return(Some(Expr::call(
                        &name,
                        vec![Expr::bin(BinOp::Sub, Expr::var(&n), Expr::Int(1)), step],
                    ))));
                    b
                });
                (vec![n, acc], vec![Ty::Int, acc_ty], body, true, true)
            }
            Shape::Tree => {
                // fib-like: two recursive calls (callers keep n small).
                let n = self.fresh("p");
                let body = vec![
                    Stmt::if_then(
                        Expr::bin(BinOp::Lt, Expr::var(&n), Expr::Int(2)),
                        vec![Stmt::Return(Some(Expr::var(&n)))],
                    ),
                    Stmt::Return(Some(Expr::bin(
                        BinOp::Add,
                        Expr::call(
                            &name,
                            vec![Expr::bin(BinOp::Sub, Expr::var(&n), Expr::Int(1))],
                        ),
                        Expr::call(
                            &name,
                            vec![Expr::bin(BinOp::Sub, Expr::var(&n), Expr::Int(2))],
                        ),
                    ))),
                ];
                self.cost = 20;
                (vec![n], vec![Ty::Int], body, true, true)
            }
            Shape::LongLoop => {
                let p = self.fresh("p");
                let ty = *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Any]);
                let body = self.in_function(false, |g| {
                    g.declare(&p, ty, true);
                    g.long_loop_body(&p, ty)
                });
                (vec![p], vec![ty], body, true, false)
            }
            Shape::GlobalUser => {
                let p = self.fresh("p");
                let body = self.in_function(false, |g| {
                    g.declare(&p, Ty::Any, false);
                    g.global_user_body(&p)
                });
                (vec![p], vec![Ty::Any], body, true, false)
            }
        };
        let mut cost = self.cost.max(1);
        match shape {
            Shape::Recursive => cost *= 7,
            // It calls the global function value too.
            Shape::GlobalUser => cost += CHEAP,
            _ => {}
        }
        self.cost = saved_cost;
        let role = match shape {
            Shape::Identity => Role::Identity,
            Shape::Side => Role::Side,
            Shape::GlobalUser => Role::GlobalUser,
            Shape::LongLoop => Role::LongLoop,
            _ => Role::Other,
        };
        // A helper calling no other helper may be swapped for another.
        let leaf = !matches!(shape, Shape::Random | Shape::GlobalUser | Shape::LongLoop)
            || calls_before == 0;
        self.funcs.push(FuncInfo {
            name: name.clone(),
            arity: params.len(),
            params: tys,
            cost,
            safe,
            recursive,
            leaf,
            role,
        });
        self.items.push(Item::Func(Func { name, params, body }));
    }

    /// Type dispatch on an argument of any type: each branch uses it as
    /// that type.
    fn dispatch_body(&mut self, p: &str) -> Block {
        let mut body = Vec::new();
        let v = Expr::var(p);
        let mut branches = vec![
            ("int", Ty::Int),
            ("float", Ty::Float),
            ("string", Ty::Str),
            ("null", Ty::Null),
            ("bool", Ty::Bool),
            ("array", Ty::Arr),
        ];
        self.rng.shuffle(&mut branches);
        let n = self.rng.range(1, 4) as usize;
        for (tname, ty) in branches.into_iter().take(n) {
            let cond = Expr::bin(
                BinOp::Eq,
                Expr::call("type", vec![v.clone()]),
                Expr::str(tname),
            );
            self.retype(p, ty);
            let ret = match ty {
                Ty::Int => {
                    let k = Expr::Int(self.rng.range(-3, 9));
                    let op = *self
                        .rng
                        .pick(&[BinOp::Add, BinOp::Mul, BinOp::Sub, BinOp::Mod]);
                    let k = if op == BinOp::Mod {
                        Expr::Int(self.rng.range(2, 9))
                    } else {
                        k
                    };
                    Expr::bin(op, v.clone(), k)
                }
                Ty::Float => Expr::bin(BinOp::Mul, v.clone(), Expr::Float(0.5)),
                Ty::Str => Expr::bin(BinOp::Add, v.clone(), Expr::str("!")),
                Ty::Null => Expr::Int(self.rng.range(-5, 5)),
                Ty::Bool => Expr::logical_not(v.clone()),
                _ => Expr::call("len", vec![v.clone()]),
            };
            let mut then = Vec::new();
            if self.rng.chance(30) {
                then.extend(self.block(1));
            }
            then.push(Stmt::Return(Some(ret)));
            body.push(Stmt::if_then(cond, then));
        }
        self.retype(p, Ty::Any);
        let fallback = if self.rng.chance(50) {
            v
        } else {
            Expr::call("str", vec![v])
        };
        body.push(Stmt::Return(Some(fallback)));
        body
    }

    /// A long loop (OSR in a function called once; compiled whole when
    /// called often) over an accumulator seeded from the parameter.
    fn long_loop_body(&mut self, p: &str, ty: Ty) -> Block {
        let acc = self.fresh("v");
        let init = match ty {
            Ty::Any => Expr::bin(BinOp::Coalesce, Expr::var(p), Expr::Int(0)),
            _ => Expr::var(p),
        };
        let mut b = vec![Stmt::decl(&acc, init)];
        let acc_ty = if ty == Ty::Any { Ty::Any } else { ty };
        self.declare(&acc, acc_ty, true);
        let iters = self.rng.range(1001, 2500);
        let var = self.fresh("i");
        let body = self.scoped(|g| {
            g.ctx.in_loop = true;
            g.ctx.mult *= iters as u64;
            g.declare(&var, Ty::Int, false);
            let mut body = Vec::new();
            let step = match acc_ty {
                Ty::Float => Expr::bin(
                    BinOp::Mul,
                    Expr::call(
                        "float",
                        vec![Expr::bin(BinOp::Mod, Expr::var(&var), Expr::Int(7))],
                    ),
                    Expr::Float(0.25),
                ),
                _ => Expr::bin(BinOp::Mod, Expr::var(&var), Expr::Int(g.rng.range(2, 13))),
            };
            if acc_ty == Ty::Any {
                // The accumulator turns into a float, then a string.
                let half = iters / 2;
                body.push(Stmt::If {
                    cond: Expr::bin(BinOp::Eq, Expr::var(&var), Expr::Int(half)),
                    then: vec![Stmt::set(
                        &acc,
                        Expr::bin(
                            BinOp::Add,
                            Expr::call("float", vec![Expr::Int(1)]),
                            Expr::Float(0.5),
                        ),
                    )],
                    els: None,
                });
                body.push(Stmt::if_then(
                    Expr::call("is_string", vec![Expr::var(&acc)]),
                    vec![Stmt::set(
                        &acc,
                        Expr::bin(BinOp::Add, Expr::var(&acc), Expr::str("s")),
                    )],
                ));
                body.push(Stmt::if_then(
                    Expr::bin(
                        BinOp::Or,
                        Expr::call("is_int", vec![Expr::var(&acc)]),
                        Expr::call("is_float", vec![Expr::var(&acc)]),
                    ),
                    vec![Stmt::op_set(&acc, AssignOp::Add, step)],
                ));
                let late = half + (iters - half) / 2;
                body.push(Stmt::if_then(
                    Expr::bin(BinOp::Eq, Expr::var(&var), Expr::Int(late)),
                    vec![Stmt::set(&acc, Expr::str("t"))],
                ));
            } else {
                body.push(Stmt::op_set(&acc, AssignOp::Add, step));
            }
            body.extend(g.block_in(0, 3));
            g.spend(4);
            body
        });
        b.push(Stmt::ForRange {
            var,
            start: 0,
            end: iters,
            body,
        });
        b.push(Stmt::Return(Some(Expr::var(&acc))));
        b
    }

    /// Reads globals and calls the global function value, which the main
    /// program rebinds while this code is compiled.
    fn global_user_body(&mut self, p: &str) -> Block {
        let mut b = Vec::new();
        let globals = self.vars(|v| v.name.starts_with('g') && !matches!(v.ty, Ty::Func(_)));
        let funcs = self.vars(|v| matches!(v.ty, Ty::Func(1)));
        let mut terms = vec![Expr::call("str", vec![Expr::var(p)])];
        for g in globals.iter().take(3) {
            terms.push(Expr::call("str", vec![Expr::Var(g.name.clone())]));
        }
        if let Some(f) = funcs.first() {
            terms.push(Expr::call(
                "str",
                vec![Expr::Call(
                    Box::new(Expr::Var(f.name.clone())),
                    vec![Expr::var(p)],
                )],
            ));
        }
        if self.rng.chance(40) {
            b.extend(self.block(1));
        }
        let mut e = terms.remove(0);
        for t in terms {
            e = Expr::bin(BinOp::Add, Expr::bin(BinOp::Add, e, Expr::str(",")), t);
        }
        b.push(Stmt::Return(Some(e)));
        b
    }
}
