//! Numbered visits of a program's blocks and expressions, in a fixed
//! pre-order (main first, then each item; a parent before its children),
//! so that the shrinker can name "block #k" or "expression #n" and edit it.
//!
//! The iteration expression of a `for x in EXPR` loop is never visited:
//! replacing it could turn a short loop over a collection into a loop over
//! a huge integer.

use crate::ast::*;

/// Call `f` on each block until it returns true; returns whether it did.
pub fn blocks(p: &mut Program, f: &mut dyn FnMut(&mut Block) -> bool) -> bool {
    if block(&mut p.main, f) {
        return true;
    }
    for item in &mut p.items {
        match item {
            Item::Func(func) => {
                if block(&mut func.body, f) {
                    return true;
                }
            }
            Item::Struct(s) => {
                for m in &mut s.methods {
                    if block(&mut m.body, f) {
                        return true;
                    }
                }
            }
        }
    }
    false
}

fn block(b: &mut Block, f: &mut dyn FnMut(&mut Block) -> bool) -> bool {
    if f(b) {
        return true;
    }
    b.iter_mut().any(|s| stmt_blocks(s, f))
}

fn stmt_blocks(s: &mut Stmt, f: &mut dyn FnMut(&mut Block) -> bool) -> bool {
    match s {
        Stmt::If { cond, then, els } => {
            expr_blocks(cond, f) || block(then, f) || els.as_mut().is_some_and(|e| block(e, f))
        }
        Stmt::ForRange { body, .. } | Stmt::ForIn { body, .. } | Stmt::Loop { body, .. } => {
            block(body, f)
        }
        Stmt::While { cond, body, .. } => {
            cond.as_mut().is_some_and(|c| expr_blocks(c, f)) || block(body, f)
        }
        Stmt::Try { body, handler, .. } => block(body, f) || block(handler, f),
        Stmt::FuncDecl(func) => block(&mut func.body, f),
        Stmt::Decl { value, .. } | Stmt::Assign { value, .. } | Stmt::Expr(value) => {
            expr_blocks(value, f)
        }
        Stmt::Return(Some(e)) | Stmt::Throw(e) => expr_blocks(e, f),
        Stmt::Return(None) | Stmt::Break | Stmt::Continue => false,
    }
}

/// Blocks inside an expression: lambda bodies.
fn expr_blocks(e: &mut Expr, f: &mut dyn FnMut(&mut Block) -> bool) -> bool {
    match e {
        Expr::Lambda(_, body) => block(body, f),
        _ => exprs_in(e, &mut |c| expr_blocks(c, f)),
    }
}

/// Call `f` on each expression (a parent before its children) until it
/// returns true; returns whether it did.
pub fn exprs(p: &mut Program, f: &mut dyn FnMut(&mut Expr) -> bool) -> bool {
    if block_exprs(&mut p.main, f) {
        return true;
    }
    for item in &mut p.items {
        match item {
            Item::Func(func) => {
                if block_exprs(&mut func.body, f) {
                    return true;
                }
            }
            Item::Struct(s) => {
                for field in &mut s.fields {
                    if field.default.as_mut().is_some_and(|d| expr(d, f)) {
                        return true;
                    }
                }
                for m in &mut s.methods {
                    if block_exprs(&mut m.body, f) {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// Whether `e` reads the variable `name` (lambda bodies included).
pub fn mentions(e: &Expr, name: &str) -> bool {
    expr(
        &mut e.clone(),
        &mut |x| matches!(x, Expr::Var(v) if v == name),
    )
}

fn block_exprs(b: &mut Block, f: &mut dyn FnMut(&mut Expr) -> bool) -> bool {
    b.iter_mut().any(|s| stmt_exprs(s, f))
}

fn stmt_exprs(s: &mut Stmt, f: &mut dyn FnMut(&mut Expr) -> bool) -> bool {
    match s {
        Stmt::Decl { value, .. } | Stmt::Expr(value) | Stmt::Throw(value) => expr(value, f),
        Stmt::Assign { target, value, .. } => {
            (match target {
                Target::Index(_, i) => expr(i, f),
                _ => false,
            }) || expr(value, f)
        }
        Stmt::If { cond, then, els } => {
            expr(cond, f) || block_exprs(then, f) || els.as_mut().is_some_and(|e| block_exprs(e, f))
        }
        Stmt::ForRange { body, .. } | Stmt::ForIn { body, .. } | Stmt::Loop { body, .. } => {
            block_exprs(body, f)
        }
        Stmt::While { cond, body, .. } => {
            cond.as_mut().is_some_and(|c| expr(c, f)) || block_exprs(body, f)
        }
        Stmt::Try { body, handler, .. } => block_exprs(body, f) || block_exprs(handler, f),
        Stmt::FuncDecl(func) => block_exprs(&mut func.body, f),
        Stmt::Return(Some(e)) => expr(e, f),
        Stmt::Return(None) | Stmt::Break | Stmt::Continue => false,
    }
}

fn expr(e: &mut Expr, f: &mut dyn FnMut(&mut Expr) -> bool) -> bool {
    if f(e) {
        return true;
    }
    match e {
        Expr::Lambda(_, body) => block_exprs(body, f),
        _ => exprs_in(e, &mut |c| expr(c, f)),
    }
}

/// Call `f` on each direct child expression of `e` until it returns true.
fn exprs_in(e: &mut Expr, f: &mut dyn FnMut(&mut Expr) -> bool) -> bool {
    match e {
        Expr::Int(_)
        | Expr::Float(_)
        | Expr::Str(_)
        | Expr::Bool(_)
        | Expr::Null
        | Expr::Var(_)
        | Expr::Lambda(..) => false,
        Expr::Bin(_, a, b) | Expr::Index(a, b) => f(a) || f(b),
        Expr::Not(a) | Expr::Neg(a) | Expr::Field(a, _) => f(a),
        Expr::Call(c, args) => f(c) || args.iter_mut().any(&mut *f),
        Expr::Method(r, _, args) => f(r) || args.iter_mut().any(&mut *f),
        Expr::Array(items) | Expr::Interp(_, items) => items.iter_mut().any(f),
        Expr::Dict(entries) => entries.iter_mut().any(|(k, v)| f(k) || f(v)),
        Expr::StructLit(_, fields) => fields.iter_mut().any(|(_, v)| f(v)),
    }
}

/// How many blocks `blocks` visits.
pub fn count_blocks(p: &mut Program) -> usize {
    let mut n = 0;
    blocks(p, &mut |_| {
        n += 1;
        false
    });
    n
}

/// How many expressions `exprs` visits.
pub fn count_exprs(p: &mut Program) -> usize {
    let mut n = 0;
    exprs(p, &mut |_| {
        n += 1;
        false
    });
    n
}

/// Apply `act` to block number `k`.
pub fn with_block<T>(p: &mut Program, k: usize, act: impl FnOnce(&mut Block) -> T) -> Option<T> {
    let mut i = 0;
    let mut act = Some(act);
    let mut out = None;
    blocks(p, &mut |b| {
        if i == k {
            out = act.take().map(|a| a(b));
            return true;
        }
        i += 1;
        false
    });
    out
}

/// Apply `act` to expression number `n`.
pub fn with_expr<T>(p: &mut Program, n: usize, act: impl FnOnce(&mut Expr) -> T) -> Option<T> {
    let mut i = 0;
    let mut act = Some(act);
    let mut out = None;
    exprs(p, &mut |e| {
        if i == n {
            out = act.take().map(|a| a(e));
            return true;
        }
        i += 1;
        false
    });
    out
}
