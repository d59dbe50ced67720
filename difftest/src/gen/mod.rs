//! The program generator: a seed in, a whole valid, terminating Ruff program
//! out (`generate`).
//!
//! A program is a few structs and helper functions, a prelude of globals,
//! then a sequence of *scenarios* (`scenario/`), each exercising one area
//! the JIT must get right (hot loops with OSR, values changing type, calls
//! with changing argument types, structs, closures, recursion, ...), filled
//! with random statements and expressions (`stmt.rs`, `expr.rs`) over the
//! variables in scope. Every scenario prints its state often, so a wrong
//! value shows in the output.
//!
//! The generator keeps a rough static type per variable so that most code
//! runs without errors; code that may fail (overflow, division by zero, out
//! of bounds, type errors) is generated mostly under `try`, and the rest is
//! allowed to end the program with an error (which must match across modes
//! too). A cost estimate (statement executions) bounds the run time.

mod expr;
mod items;
mod scenario;
mod stmt;

use crate::ast::*;
use crate::rng::Rng;

/// Statement executions a program may cost (estimated), which keeps a
/// `--jit=off` run at a few milliseconds.
const BUDGET: u64 = 120_000;

/// A rough static type: what the generator believes a variable holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Float,
    Bool,
    Str,
    Null,
    IntArr,
    BoolArr,
    Arr,
    Dict,
    Struct(usize),
    /// A function value of this arity.
    Func(usize),
    Any,
}

#[derive(Clone, Debug)]
pub(crate) struct Var {
    pub name: String,
    pub ty: Ty,
    /// May be assigned (mutable and not a loop counter or parameter the
    /// generator wants to keep).
    pub assignable: bool,
}

/// A helper function the generated code may call.
#[derive(Clone, Debug)]
pub(crate) struct FuncInfo {
    pub name: String,
    pub arity: usize,
    /// What the generator passes for each parameter in calls that should
    /// not fail.
    pub params: Vec<Ty>,
    /// Estimated statement executions per call.
    pub cost: u64,
    /// Never raises, whatever the argument types.
    pub safe: bool,
    /// Recursive: the first argument is a depth (keep it small).
    pub recursive: bool,
    /// Calls no other helper, so rebinding another helper's name to it
    /// cannot make a cycle.
    pub leaf: bool,
    pub role: Role,
}

/// What a helper is for, where scenarios need a particular one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Identity,
    /// Counts its calls in a global, returns its argument.
    Side,
    /// Reads globals and calls the global function value.
    GlobalUser,
    /// Contains a long loop.
    LongLoop,
    Other,
}

#[derive(Clone, Debug)]
pub(crate) struct StructInfo {
    pub name: String,
    pub fields: Vec<(String, Ty)>,
    pub methods: Vec<MethodInfo>,
}

#[derive(Clone, Debug)]
pub(crate) struct MethodInfo {
    pub name: String,
    pub arity: usize,
    /// Writes `self` (the receiver must be a mutable variable).
    pub writes: bool,
    pub cost: u64,
}

/// Where code is being generated.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ctx {
    /// `break` / `continue` are allowed.
    pub in_loop: bool,
    /// `return` is allowed.
    pub in_func: bool,
    /// Inside `try`: operations that may fail are welcome.
    pub guarded: bool,
    /// How many times this code runs per program run (estimated).
    pub mult: u64,
    /// Block nesting depth.
    pub nest: u32,
    /// Generating a method of this struct.
    pub self_struct: Option<usize>,
    /// Inside a closure body: no loops, no costly calls (closures are
    /// called from hot loops and their cost is not tracked).
    pub cheap: bool,
}

pub(crate) struct Gen {
    pub rng: Rng,
    counter: u32,
    /// Visible variables, innermost scope last.
    scopes: Vec<Vec<Var>>,
    pub items: Vec<Item>,
    pub funcs: Vec<FuncInfo>,
    pub structs: Vec<StructInfo>,
    pub ctx: Ctx,
    /// Estimated statement executions so far (of the unit being built).
    pub cost: u64,
    /// Global counter incremented by side-effect helpers.
    pub side_counter: Option<String>,
}

/// The program for `seed`.
pub fn generate(seed: u64) -> Program {
    let mut g = Gen {
        rng: Rng::new(seed),
        counter: 0,
        scopes: vec![Vec::new()],
        items: Vec::new(),
        funcs: Vec::new(),
        structs: Vec::new(),
        ctx: Ctx {
            mult: 1,
            ..Ctx::default()
        },
        cost: 0,
        side_counter: None,
    };
    let mut main = g.structs_and_helpers();
    main.extend(g.scenarios());
    Program {
        items: g.items,
        main,
    }
}

impl Gen {
    /// A name never used before in this program.
    pub fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    pub fn declare(&mut self, name: &str, ty: Ty, assignable: bool) {
        self.scopes.last_mut().expect("a scope").push(Var {
            name: name.to_string(),
            ty,
            assignable,
        });
    }

    /// Run `f` in a new scope (and a copy of the context it may change).
    pub fn scoped<T>(&mut self, f: impl FnOnce(&mut Gen) -> T) -> T {
        let saved = self.ctx.clone();
        self.scopes.push(Vec::new());
        self.ctx.nest += 1;
        let r = f(self);
        self.scopes.pop();
        self.ctx = saved;
        r
    }

    /// Run `f` as the body of a function: only globals (the outermost
    /// scope) stay visible, unless `closure` (a lambda sees its enclosing
    /// locals).
    pub fn in_function<T>(&mut self, closure: bool, f: impl FnOnce(&mut Gen) -> T) -> T {
        let saved_ctx = self.ctx.clone();
        let saved_scopes = if closure {
            None
        } else {
            Some(self.scopes.split_off(1))
        };
        self.scopes.push(Vec::new());
        self.ctx = Ctx {
            in_func: true,
            mult: 1,
            nest: saved_ctx.nest + 1,
            guarded: false,
            in_loop: false,
            self_struct: if closure { saved_ctx.self_struct } else { None },
            cheap: closure,
        };
        let r = f(self);
        self.scopes.pop();
        if let Some(s) = saved_scopes {
            self.scopes.extend(s);
        }
        self.ctx = saved_ctx;
        r
    }

    pub fn vars(&self, pred: impl Fn(&Var) -> bool) -> Vec<Var> {
        self.scopes
            .iter()
            .flatten()
            .filter(|v| pred(v))
            .cloned()
            .collect()
    }

    pub fn pick_var(&mut self, pred: impl Fn(&Var) -> bool) -> Option<Var> {
        let vs = self.vars(pred);
        if vs.is_empty() {
            None
        } else {
            let i = self.rng.index(vs.len());
            Some(vs[i].clone())
        }
    }

    /// Change what the generator believes `name` holds.
    pub fn retype(&mut self, name: &str, ty: Ty) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(v) = scope.iter_mut().rev().find(|v| v.name == name) {
                v.ty = ty;
                return;
            }
        }
    }

    /// Count one statement execution per run of the current code.
    pub fn spend(&mut self, n: u64) {
        self.cost = self.cost.saturating_add(n.saturating_mul(self.ctx.mult));
    }

    pub fn over_budget(&self) -> bool {
        self.cost > BUDGET
    }

    /// Whether `extra` more executions per run still fit.
    pub fn affordable(&self, extra: u64) -> bool {
        self.cost
            .saturating_add(extra.saturating_mul(self.ctx.mult))
            <= BUDGET
    }
}
