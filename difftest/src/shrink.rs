//! Delta debugging over the structured program: while `test` still says
//! the candidate is interesting (the same kind of mismatch, the program
//! still valid and quick with `--jit=off`), remove items and methods,
//! remove runs of statements (halves, quarters, ... single statements of
//! every block), unwrap blocks (an `if` becomes its branch, a loop its body,
//! a `try` its body), shorten loops, and replace expressions by a part of
//! themselves or a simpler literal. Passes repeat until nothing changes or
//! the budget is spent.

use std::time::{Duration, Instant};

use crate::ast::*;
use crate::walk;

#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub max_tries: usize,
    pub max_time: Duration,
}

pub struct Shrunk {
    pub program: Program,
    pub tries: usize,
    pub accepted: usize,
    /// The budget ran out before a fixpoint.
    pub exhausted: bool,
}

struct Shrinker<'a> {
    best: Program,
    test: &'a mut dyn FnMut(&Program) -> bool,
    tries: usize,
    accepted: usize,
    budget: Budget,
    start: Instant,
}

pub fn shrink(p: Program, test: &mut dyn FnMut(&Program) -> bool, budget: Budget) -> Shrunk {
    let mut s = Shrinker {
        best: p,
        test,
        tries: 0,
        accepted: 0,
        budget,
        start: Instant::now(),
    };
    loop {
        let before = s.accepted;
        s.items();
        s.blocks();
        s.statements();
        s.expressions();
        if s.accepted == before || s.out_of_budget() {
            break;
        }
    }
    Shrunk {
        exhausted: s.out_of_budget(),
        program: s.best,
        tries: s.tries,
        accepted: s.accepted,
    }
}

impl Shrinker<'_> {
    fn out_of_budget(&self) -> bool {
        self.tries >= self.budget.max_tries || self.start.elapsed() >= self.budget.max_time
    }

    /// Keep `cand` if it is interesting.
    fn try_candidate(&mut self, cand: Program) -> bool {
        if cand == self.best || self.out_of_budget() {
            return false;
        }
        self.tries += 1;
        if (self.test)(&cand) {
            self.best = cand;
            self.accepted += 1;
            true
        } else {
            false
        }
    }

    fn items(&mut self) {
        let mut i = self.best.items.len();
        while i > 0 {
            i -= 1;
            let mut cand = self.best.clone();
            cand.items.remove(i);
            if self.try_candidate(cand) {
                continue;
            }
            let n_methods = match &self.best.items[i] {
                Item::Struct(s) => s.methods.len(),
                Item::Func(_) => 0,
            };
            for m in (0..n_methods).rev() {
                let mut cand = self.best.clone();
                if let Item::Struct(s) = &mut cand.items[i] {
                    s.methods.remove(m);
                }
                self.try_candidate(cand);
            }
        }
    }

    /// Remove runs of statements from every block, halving the run length.
    fn blocks(&mut self) {
        let mut k = 0;
        while k < walk::count_blocks(&mut self.best) && !self.out_of_budget() {
            let len = |p: &mut Program| walk::with_block(p, k, |b| b.len()).unwrap_or(0);
            let mut chunk = len(&mut self.best);
            while chunk >= 1 {
                let mut start = 0;
                while start < len(&mut self.best) && !self.out_of_budget() {
                    let mut cand = self.best.clone();
                    walk::with_block(&mut cand, k, |b| {
                        let end = (start + chunk).min(b.len());
                        b.drain(start..end);
                    });
                    if !self.try_candidate(cand) {
                        start += chunk;
                    }
                }
                chunk /= 2;
            }
            k += 1;
        }
    }

    /// Replace single statements by simpler ones.
    fn statements(&mut self) {
        let mut k = 0;
        while k < walk::count_blocks(&mut self.best) && !self.out_of_budget() {
            let mut j = 0;
            while let Some(stmt) =
                walk::with_block(&mut self.best, k, |b| b.get(j).cloned()).flatten()
            {
                let mut changed = false;
                for alt in stmt_alternatives(&stmt) {
                    let mut cand = self.best.clone();
                    walk::with_block(&mut cand, k, |b| {
                        b.splice(j..j + 1, alt);
                    });
                    if self.try_candidate(cand) {
                        changed = true;
                        break;
                    }
                }
                if !changed {
                    j += 1;
                }
                if self.out_of_budget() {
                    return;
                }
            }
            k += 1;
        }
    }

    fn expressions(&mut self) {
        let mut n = 0;
        while n < walk::count_exprs(&mut self.best) && !self.out_of_budget() {
            let Some(e) = walk::with_expr(&mut self.best, n, |e| e.clone()) else {
                break;
            };
            let mut changed = false;
            for alt in expr_alternatives(&e) {
                let mut cand = self.best.clone();
                walk::with_expr(&mut cand, n, |e| *e = alt);
                if self.try_candidate(cand) {
                    changed = true;
                    break;
                }
            }
            if !changed {
                n += 1;
            }
        }
    }
}

/// Simpler statements to put in place of `s`, most reducing first.
fn stmt_alternatives(s: &Stmt) -> Vec<Vec<Stmt>> {
    let shorter = |n: i64| -> Vec<i64> {
        let mut v = Vec::new();
        if n > 1 {
            v.push(n / 2);
        }
        if n > 2 {
            v.push(1);
        }
        v
    };
    match s {
        Stmt::If { cond, then, els } => {
            let mut out = vec![then.clone()];
            if let Some(e) = els {
                out.push(e.clone());
                out.push(vec![Stmt::If {
                    cond: cond.clone(),
                    then: then.clone(),
                    els: None,
                }]);
            }
            out
        }
        Stmt::ForRange {
            var,
            start,
            end,
            body,
        } => {
            // The body once, with the loop variable bound.
            let mut once = vec![Stmt::decl(var, Expr::Int(*start))];
            once.extend(body.iter().cloned());
            let mut out = vec![once];
            for n in shorter(end - start) {
                out.push(vec![Stmt::ForRange {
                    var: var.clone(),
                    start: *start,
                    end: start + n,
                    body: body.clone(),
                }]);
            }
            out
        }
        Stmt::ForIn { var, body, .. } => {
            let mut once = vec![Stmt::decl(var, Expr::Null)];
            once.extend(body.iter().cloned());
            vec![once]
        }
        Stmt::While {
            counter,
            limit,
            cond,
            body,
        } => {
            let mut once = vec![Stmt::decl(counter, Expr::Int(1))];
            once.extend(body.iter().cloned());
            let mut out = vec![once];
            if cond.is_some() {
                out.push(vec![Stmt::While {
                    counter: counter.clone(),
                    limit: *limit,
                    cond: None,
                    body: body.clone(),
                }]);
            }
            for n in shorter(*limit as i64) {
                out.push(vec![Stmt::While {
                    counter: counter.clone(),
                    limit: n as u32,
                    cond: cond.clone(),
                    body: body.clone(),
                }]);
            }
            out
        }
        Stmt::Loop {
            counter,
            limit,
            body,
        } => {
            let mut once = vec![Stmt::decl(counter, Expr::Int(1))];
            once.extend(body.iter().cloned());
            let mut out = vec![once];
            for n in shorter(*limit as i64) {
                out.push(vec![Stmt::Loop {
                    counter: counter.clone(),
                    limit: n as u32,
                    body: body.clone(),
                }]);
            }
            out
        }
        Stmt::Try { body, var, handler } => {
            let mut h = vec![Stmt::decl(var, Expr::Null)];
            h.extend(handler.iter().cloned());
            vec![body.clone(), h]
        }
        Stmt::Decl {
            kind: DeclKind::Let,
            name,
            value,
        } => vec![vec![Stmt::Decl {
            kind: DeclKind::Mut,
            name: name.clone(),
            value: value.clone(),
        }]],
        Stmt::Assign { target, op, value } if *op != AssignOp::Set => {
            // `x += e` as `x = e`.
            vec![vec![Stmt::Assign {
                target: target.clone(),
                op: AssignOp::Set,
                value: value.clone(),
            }]]
        }
        _ => Vec::new(),
    }
}

/// Simpler expressions to put in place of `e`: its parts, then literals.
fn expr_alternatives(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    match e {
        Expr::Bin(_, a, b) => {
            out.push((**a).clone());
            out.push((**b).clone());
        }
        Expr::Not(a) | Expr::Neg(a) | Expr::Field(a, _) => out.push((**a).clone()),
        Expr::Index(a, _) => out.push((**a).clone()),
        Expr::Call(f, args) => {
            if **f == Expr::var("print") {
                for i in 0..args.len() {
                    let mut fewer = args.clone();
                    fewer.remove(i);
                    out.push(Expr::Call(f.clone(), fewer));
                }
            } else {
                out.extend(args.iter().cloned());
            }
        }
        Expr::Method(r, _, args) => {
            out.push((**r).clone());
            out.extend(args.iter().cloned());
        }
        Expr::Array(items) => {
            if !items.is_empty() {
                out.push(Expr::Array(Vec::new()));
            }
            for i in 0..items.len() {
                let mut fewer = items.clone();
                fewer.remove(i);
                out.push(Expr::Array(fewer));
            }
        }
        Expr::Dict(entries) => {
            if !entries.is_empty() {
                out.push(Expr::Dict(Vec::new()));
            }
            for i in 0..entries.len() {
                let mut fewer = entries.clone();
                fewer.remove(i);
                out.push(Expr::Dict(fewer));
            }
        }
        Expr::StructLit(name, fields) => {
            for i in 0..fields.len() {
                let mut fewer = fields.clone();
                fewer.remove(i);
                out.push(Expr::StructLit(name.clone(), fewer));
            }
        }
        Expr::Interp(..) => out.push(Expr::Str(String::new())),
        Expr::Int(v) if *v != 0 && *v != 1 => {
            out.push(Expr::Int(0));
            out.push(Expr::Int(1));
            if v.unsigned_abs() > 10 {
                out.push(Expr::Int(v / 2));
            }
        }
        Expr::Float(f) if *f != 0.0 && *f != 0.5 => out.push(Expr::Float(0.5)),
        Expr::Str(s) if !s.is_empty() => out.push(Expr::Str(String::new())),
        _ => {}
    }
    out
}
