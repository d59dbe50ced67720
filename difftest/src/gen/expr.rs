//! Expressions of a wanted (rough) type over the variables in scope.
//! Outside `try`, operations that may fail are rare (division only by
//! non-zero literals other than -1, indexes reduced modulo the length);
//! inside `try` they are common (edge integers near overflow, division and
//! modulo by 0 and -1, raw indexes, missing keys, operations on values of
//! unknown type).

use super::{Gen, Ty};
use crate::ast::{BinOp, Expr, Stmt};

/// Integers where checked arithmetic overflows or `/ -1` misbehaves.
const EDGE_INTS: &[i64] = &[
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    1 << 62,
    -(1 << 62),
    3_037_000_500,
    -3_037_000_500,
    4_294_967_296,
    -1,
    0,
];

const FLOATS: &[f64] = &[
    0.5, 1.5, -2.25, 0.1, 3.0, 1e10, -0.001, 2.5e15, 0.0, -0.0, 7.75,
];

const STRS: &[&str] = &["", "a", "bc", "hé", "Zz", "10", "x y", "null", "-3"];

impl Gen {
    /// Whether the next operation may be one that fails.
    pub fn risky(&mut self) -> bool {
        if self.ctx.guarded {
            self.rng.chance(30)
        } else {
            self.rng.chance(1)
        }
    }

    pub fn lit_int(&mut self) -> i64 {
        match self.rng.weighted(&[60, 25, 10]) {
            0 => self.rng.range(-9, 12),
            1 => self.rng.range(-1000, 1000),
            _ => self.rng.range(-3_000_000, 3_000_000),
        }
    }

    pub fn edge_int(&mut self) -> i64 {
        *self.rng.pick(EDGE_INTS)
    }

    pub fn lit_float(&mut self) -> f64 {
        *self.rng.pick(FLOATS)
    }

    pub fn lit_str(&mut self) -> String {
        self.rng.pick(STRS).to_string()
    }

    /// A random concrete type, for values of unknown type.
    pub fn some_ty(&mut self) -> Ty {
        let tys = [
            Ty::Int,
            Ty::Float,
            Ty::Bool,
            Ty::Str,
            Ty::Null,
            Ty::IntArr,
            Ty::BoolArr,
            Ty::Dict,
        ];
        let w = [30, 20, 10, 15, 10, 6, 4, 5];
        tys[self.rng.weighted(&w)]
    }

    /// `arr[idx % len(arr)]`: in bounds whenever `arr` is non-empty (a
    /// negative remainder counts from the end).
    pub fn safe_index(&mut self, arr: Expr, idx: Expr) -> Expr {
        let len = Expr::call("len", vec![arr.clone()]);
        Expr::index(arr, Expr::bin(BinOp::Mod, idx, len))
    }

    fn var_of(&mut self, ty: Ty) -> Option<Expr> {
        self.pick_var(|v| v.ty == ty).map(|v| Expr::Var(v.name))
    }

    pub fn expr(&mut self, ty: Ty, depth: u32) -> Expr {
        if depth == 0 || self.rng.chance(25) {
            return self.leaf(ty);
        }
        let d = depth - 1;
        match ty {
            Ty::Int => self.int_expr(d),
            Ty::Float => self.float_expr(d),
            Ty::Bool => self.bool_expr(d),
            Ty::Str => self.str_expr(d),
            Ty::Null => Expr::Null,
            Ty::IntArr | Ty::BoolArr | Ty::Arr => self.array_expr(ty, d),
            Ty::Dict => self.dict_expr(d),
            Ty::Struct(s) => self.struct_expr(s, d),
            Ty::Func(n) => self.leaf(Ty::Func(n)),
            Ty::Any => self.any_expr(d),
        }
    }

    pub fn leaf(&mut self, ty: Ty) -> Expr {
        if self.rng.chance(65) {
            if let Some(v) = self.var_of(ty) {
                return v;
            }
        }
        match ty {
            Ty::Int => {
                if self.risky() {
                    Expr::Int(self.edge_int())
                } else {
                    Expr::Int(self.lit_int())
                }
            }
            Ty::Float => Expr::Float(self.lit_float()),
            Ty::Bool => Expr::Bool(self.rng.chance(50)),
            Ty::Str => Expr::Str(self.lit_str()),
            Ty::Null => Expr::Null,
            Ty::IntArr => {
                let n = self.rng.range(1, 4);
                Expr::Array((0..n).map(|_| Expr::Int(self.lit_int())).collect())
            }
            Ty::BoolArr => {
                let n = self.rng.range(1, 4);
                Expr::Array((0..n).map(|_| Expr::Bool(self.rng.chance(50))).collect())
            }
            Ty::Arr => {
                let n = self.rng.range(1, 3);
                Expr::Array((0..n).map(|_| self.scalar_leaf()).collect())
            }
            Ty::Dict => {
                let k = self.lit_int() % 5;
                let s = self.lit_str();
                let v1 = self.scalar_leaf();
                let v2 = self.scalar_leaf();
                Expr::Dict(vec![(Expr::Int(k), v1), (Expr::Str(s), v2)])
            }
            Ty::Struct(s) => self.struct_lit(s, 0),
            Ty::Func(n) => self
                .funcs
                .iter()
                .filter(|f| f.arity == n && f.safe && !f.recursive)
                .map(|f| f.name.clone())
                .next()
                .map_or(Expr::Null, Expr::Var),
            Ty::Any => {
                if let Some(v) = self.pick_var(|_| true) {
                    Expr::Var(v.name)
                } else {
                    self.scalar_leaf()
                }
            }
        }
    }

    /// A value to store in a collection: a scalar (int, float, bool,
    /// string, null), never a collection, so that nothing nests deeper on
    /// every iteration of a loop.
    /// Strings are short ones: `str(collection)` stored into that
    /// collection would grow exponentially.
    pub fn scalar_expr(&mut self, d: u32) -> Expr {
        let t = *self
            .rng
            .pick(&[Ty::Int, Ty::Int, Ty::Float, Ty::Bool, Ty::Str, Ty::Null]);
        match t {
            Ty::Str if self.rng.chance(50) => Expr::Str(self.lit_str()),
            Ty::Str => {
                let n = self.expr(Ty::Int, d);
                Expr::call("str", vec![n])
            }
            t => self.expr(t, d),
        }
    }

    /// `if len(str(target)) < 80 { stmt }`: an assignment in code that
    /// runs repeatedly, made only while the target is small (the value may
    /// be built from the target itself, `s.f := s.f + s.f`).
    pub fn while_small(&self, target: Expr, stmt: Stmt) -> Stmt {
        Stmt::if_then(
            Expr::bin(
                BinOp::Lt,
                Expr::call("len", vec![Expr::call("str", vec![target])]),
                Expr::Int(80),
            ),
            vec![stmt],
        )
    }

    fn scalar_leaf(&mut self) -> Expr {
        match self.rng.below(5) {
            0 => Expr::Int(self.lit_int()),
            1 => Expr::Float(self.lit_float()),
            2 => Expr::Str(self.lit_str()),
            3 => Expr::Bool(self.rng.chance(50)),
            _ => Expr::Null,
        }
    }

    fn int_expr(&mut self, d: u32) -> Expr {
        if self.risky() {
            return self.risky_int(d);
        }
        match self.rng.below(10) {
            0..=2 => {
                let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub]);
                let a = self.expr(Ty::Int, d);
                let b = self.expr(Ty::Int, d);
                Expr::bin(op, a, b)
            }
            3 => {
                let a = self.leaf(Ty::Int);
                Expr::bin(BinOp::Mul, a, Expr::Int(self.rng.range(-5, 7)))
            }
            4 => {
                let op = *self.rng.pick(&[BinOp::Div, BinOp::Mod]);
                let a = self.expr(Ty::Int, d);
                let mut k = self.rng.range(2, 9);
                if self.rng.chance(30) {
                    k = -k;
                }
                Expr::bin(op, a, Expr::Int(k))
            }
            5 => {
                let t = *self
                    .rng
                    .pick(&[Ty::IntArr, Ty::BoolArr, Ty::Str, Ty::Dict, Ty::Arr]);
                let e = self.expr(t, d);
                Expr::call("len", vec![e])
            }
            6 => match self.var_of(Ty::IntArr) {
                Some(arr) => {
                    let i = self.expr(Ty::Int, d);
                    self.safe_index(arr, i)
                }
                None => self.leaf(Ty::Int),
            },
            7 => self.field_of(Ty::Int).unwrap_or_else(|| self.leaf(Ty::Int)),
            8 => {
                let f = *self.rng.pick(&["min", "max"]);
                let a = self.expr(Ty::Int, d);
                let b = self.expr(Ty::Int, d);
                Expr::call(f, vec![a, b])
            }
            _ => {
                let f = self.expr(Ty::Float, d);
                // Truncation of a float that fits.
                Expr::call(
                    "int",
                    vec![Expr::bin(
                        BinOp::Mod,
                        f,
                        Expr::Float(self.rng.range(2, 1000) as f64),
                    )],
                )
            }
        }
    }

    /// Integer operations that may fail: overflow, `/ 0`, `% 0`, `/ -1`,
    /// out-of-bounds indexes, operands of unknown type.
    fn risky_int(&mut self, d: u32) -> Expr {
        match self.rng.below(6) {
            0 => {
                let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
                let a = Expr::Int(self.edge_int());
                let b = self.expr(Ty::Int, d);
                if self.rng.chance(50) {
                    Expr::bin(op, a, b)
                } else {
                    Expr::bin(op, b, a)
                }
            }
            1 => {
                let op = *self.rng.pick(&[BinOp::Div, BinOp::Mod]);
                let a = if self.rng.chance(40) {
                    Expr::Int(self.edge_int())
                } else {
                    self.expr(Ty::Int, d)
                };
                let b = match self.rng.below(3) {
                    0 => Expr::Int(0),
                    1 => Expr::Int(-1),
                    _ => self.expr(Ty::Int, d),
                };
                Expr::bin(op, a, b)
            }
            2 => match self.var_of(Ty::IntArr) {
                Some(arr) => {
                    let i = self.expr(Ty::Int, d);
                    Expr::index(arr, i)
                }
                None => Expr::Neg(Box::new(Expr::Int(i64::MIN))),
            },
            3 => {
                let a = self.any_expr(d);
                let op = *self.rng.pick(&[BinOp::Add, BinOp::Mul, BinOp::Sub]);
                Expr::bin(op, a, Expr::Int(self.lit_int()))
            }
            4 => match self.var_of(Ty::Dict) {
                Some(dv) => {
                    let k = Expr::Int(self.rng.range(-2, 6));
                    Expr::index(dv, k)
                }
                None => self.expr(Ty::Int, d),
            },
            _ => {
                let a = self.expr(Ty::Int, d);
                let b = self.expr(Ty::Int, d);
                Expr::bin(BinOp::Mul, a, b)
            }
        }
    }

    fn float_expr(&mut self, d: u32) -> Expr {
        match self.rng.below(8) {
            0..=2 => {
                let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
                let a = self.expr(Ty::Float, d);
                let bt = if self.rng.chance(50) {
                    Ty::Int
                } else {
                    Ty::Float
                };
                let b = self.expr(bt, d);
                if self.rng.chance(50) {
                    Expr::bin(op, a, b)
                } else {
                    Expr::bin(op, b, a)
                }
            }
            3 => {
                let a = self.expr(Ty::Float, d);
                let b = if self.risky() {
                    self.expr(Ty::Float, d)
                } else {
                    Expr::Float(*self.rng.pick(&[0.5, 2.0, -4.0, 3.0]))
                };
                Expr::bin(BinOp::Div, a, b)
            }
            4 => {
                let i = self.expr(Ty::Int, d);
                Expr::call("float", vec![i])
            }
            5 => {
                let f = self.expr(Ty::Float, d);
                let g = *self.rng.pick(&["floor", "abs", "round"]);
                Expr::call(g, vec![f])
            }
            6 => {
                let f = self.expr(Ty::Float, d);
                Expr::call("sqrt", vec![Expr::call("abs", vec![f])])
            }
            _ => self
                .field_of(Ty::Float)
                .unwrap_or_else(|| self.leaf(Ty::Float)),
        }
    }

    pub fn bool_expr(&mut self, d: u32) -> Expr {
        match self.rng.below(10) {
            0..=2 => {
                let op = *self.rng.pick(&[BinOp::Lt, BinOp::Le, BinOp::Gt, BinOp::Ge]);
                let (ta, tb) = if self.rng.chance(20) {
                    (Ty::Str, Ty::Str)
                } else {
                    (
                        *self.rng.pick(&[Ty::Int, Ty::Float]),
                        *self.rng.pick(&[Ty::Int, Ty::Float]),
                    )
                };
                let a = self.expr(ta, d);
                let b = if self.risky() {
                    self.any_expr(d)
                } else {
                    self.expr(tb, d)
                };
                Expr::bin(op, a, b)
            }
            3 => {
                let op = *self.rng.pick(&[BinOp::Eq, BinOp::Ne]);
                let a = self.any_expr(d);
                let b = self.any_expr(d);
                Expr::bin(op, a, b)
            }
            4 => {
                let b = self.expr(Ty::Bool, d);
                Expr::logical_not(b)
            }
            5 => {
                let op = *self.rng.pick(&[BinOp::And, BinOp::Or]);
                let a = self.any_expr(d);
                let b = self.any_expr(d);
                Expr::bin(op, a, b)
            }
            6 => {
                let a = self.any_expr(d);
                match self.rng.below(3) {
                    0 => Expr::call("is_null", vec![a]),
                    1 => {
                        let t = *self.rng.pick(&["int", "float", "string", "null", "bool"]);
                        Expr::bin(BinOp::Eq, Expr::call("type", vec![a]), Expr::str(t))
                    }
                    _ => Expr::bin(BinOp::Eq, a, Expr::Null),
                }
            }
            7 => match self.var_of(Ty::BoolArr) {
                Some(arr) => {
                    let i = self.expr(Ty::Int, d);
                    self.safe_index(arr, i)
                }
                None => self.leaf(Ty::Bool),
            },
            8 => match self.var_of(Ty::Dict) {
                Some(dv) => {
                    let k = if self.rng.chance(50) {
                        Expr::Int(self.rng.range(-1, 5))
                    } else {
                        Expr::Str(self.lit_str())
                    };
                    Expr::call("has_key", vec![dv, k])
                }
                None => self.leaf(Ty::Bool),
            },
            _ => self
                .field_of(Ty::Bool)
                .unwrap_or_else(|| self.leaf(Ty::Bool)),
        }
    }

    fn str_expr(&mut self, d: u32) -> Expr {
        match self.rng.below(6) {
            0 | 1 => {
                let a = self.expr(Ty::Str, d);
                let b = if self.risky() {
                    self.any_expr(d)
                } else {
                    self.expr(Ty::Str, d)
                };
                Expr::bin(BinOp::Add, a, b)
            }
            2 => {
                let a = self.any_expr(d);
                Expr::call("str", vec![a])
            }
            3 => {
                let a = self.any_expr(d);
                let b = self.expr(Ty::Int, d);
                Expr::Interp(vec!["<".into(), "|".into(), ">".into()], vec![a, b])
            }
            4 => {
                let s = self.expr(Ty::Str, d);
                let m = *self.rng.pick(&["upper", "lower", "trim"]);
                Expr::method(s, m, vec![])
            }
            _ => {
                if self.risky() {
                    let s = self.expr(Ty::Str, d);
                    let i = self.expr(Ty::Int, d);
                    Expr::index(s, i)
                } else {
                    self.field_of(Ty::Str).unwrap_or_else(|| self.leaf(Ty::Str))
                }
            }
        }
    }

    fn array_expr(&mut self, ty: Ty, d: u32) -> Expr {
        let elem = |g: &mut Gen| match ty {
            Ty::IntArr => g.expr(Ty::Int, d),
            Ty::BoolArr => g.expr(Ty::Bool, d),
            _ => g.scalar_expr(d),
        };
        match self.rng.below(4) {
            0 => {
                let a = self.leaf(ty);
                let e = elem(self);
                Expr::call("push", vec![a, e])
            }
            1 => {
                let n = self.rng.range(0, 3);
                Expr::Array((0..n).map(|_| elem(self)).collect())
            }
            2 if ty != Ty::Arr => {
                let a = self.leaf(ty);
                let b = self.leaf(ty);
                Expr::bin(BinOp::Add, a, b)
            }
            _ => self.leaf(ty),
        }
    }

    fn dict_expr(&mut self, d: u32) -> Expr {
        if self.rng.chance(50) {
            return self.leaf(Ty::Dict);
        }
        let n = self.rng.range(0, 3);
        let mut entries = Vec::new();
        for k in 0..n {
            let key = if self.rng.chance(50) {
                Expr::Int(k)
            } else {
                Expr::Str(self.lit_str())
            };
            let v = self.scalar_expr(d);
            entries.push((key, v));
        }
        Expr::Dict(entries)
    }

    fn struct_expr(&mut self, s: usize, d: u32) -> Expr {
        if self.rng.chance(50) {
            if let Some(v) = self.var_of(Ty::Struct(s)) {
                return v;
            }
        }
        self.struct_lit(s, d)
    }

    pub fn struct_lit(&mut self, s: usize, d: u32) -> Expr {
        let info = self.structs[s].clone();
        let mut fields = Vec::new();
        for (name, ty) in &info.fields {
            // A missing field is `null` (or its default).
            if self.rng.chance(85) {
                let v = self.expr(*ty, d);
                fields.push((name.clone(), v));
            }
        }
        Expr::StructLit(info.name, fields)
    }

    /// `var.field` of a struct variable whose field has type `ty`.
    fn field_of(&mut self, ty: Ty) -> Option<Expr> {
        let mut options = Vec::new();
        for v in self.vars(|v| matches!(v.ty, Ty::Struct(_))) {
            let Ty::Struct(s) = v.ty else { continue };
            for (f, fty) in &self.structs[s].fields {
                if *fty == ty {
                    options.push((v.name.clone(), f.clone()));
                }
            }
        }
        if let Some(s) = self.ctx.self_struct {
            for (f, fty) in &self.structs[s].fields {
                if *fty == ty {
                    options.push(("self".to_string(), f.clone()));
                }
            }
        }
        if options.is_empty() {
            return None;
        }
        let (v, f) = options[self.rng.index(options.len())].clone();
        if v == "self" && self.rng.chance(40) {
            // A method reads its receiver's fields by bare name too.
            return Some(Expr::Var(f));
        }
        Some(Expr::field(Expr::Var(v), &f))
    }

    pub fn any_expr(&mut self, d: u32) -> Expr {
        match self.rng.below(10) {
            0..=3 => self.leaf(Ty::Any),
            4 => {
                let a = self.leaf(Ty::Any);
                let b = self.expr(Ty::Int, d.saturating_sub(1));
                Expr::bin(BinOp::Coalesce, a, b)
            }
            5 => self.call_expr(d).unwrap_or_else(|| self.leaf(Ty::Any)),
            _ => {
                let t = self.some_ty();
                self.expr(t, d)
            }
        }
    }

    /// A call of a helper (safe ones unless risk is welcome) whose cost
    /// fits the budget.
    pub fn call_expr(&mut self, d: u32) -> Option<Expr> {
        let risky = self.risky();
        let options: Vec<usize> = (0..self.funcs.len())
            .filter(|&i| {
                let f = &self.funcs[i];
                (f.safe || risky) && self.affordable(f.cost) && (!self.ctx.cheap || f.cost < 50)
            })
            .collect();
        if options.is_empty() {
            return None;
        }
        let f = self.funcs[options[self.rng.index(options.len())]].clone();
        self.spend(f.cost);
        let mut args = Vec::new();
        for (k, &ty) in f.params.iter().enumerate() {
            if k == 0 && f.recursive {
                args.push(Expr::Int(self.rng.range(-1, 6)));
            } else if risky || ty == Ty::Any {
                args.push(self.any_expr(d.saturating_sub(1)));
            } else {
                args.push(self.expr(ty, d.saturating_sub(1)));
            }
        }
        Some(Expr::call(&f.name, args))
    }
}
