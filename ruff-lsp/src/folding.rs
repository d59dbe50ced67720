//! Folding ranges: blocks, struct/enum bodies, match arms, array and dict
//! literals and struct literals that span lines, multi-line block comments
//! and runs of consecutive line comments.

use ruff_core::syntax::ast::*;
use ruff_core::syntax::Span;
use tower_lsp_server::ls_types::{FoldingRange, FoldingRangeKind};

use crate::analysis::Analysis;
use ruff_core::syntax::lexer::CommentKind;

pub fn folding_ranges(a: &Analysis) -> Vec<FoldingRange> {
    let mut spans = Vec::new();
    for s in &a.program.stmts {
        stmt(s, &mut spans);
    }
    let mut out: Vec<FoldingRange> = spans
        .into_iter()
        .filter_map(|s| region(a, s, None))
        .collect();
    let mut run: Option<(u32, u32)> = None;
    for c in &a.comments {
        let span = c.span;
        if c.kind == CommentKind::Block {
            out.extend(region(a, span, Some(FoldingRangeKind::Comment)));
            continue;
        }
        let line = a.lines.line0(span.start) as u32;
        run = match run {
            Some((first, last)) if last + 1 == line => Some((first, line)),
            Some((first, last)) => {
                out.extend(comment_run(first, last));
                Some((line, line))
            }
            None => Some((line, line)),
        };
    }
    if let Some((first, last)) = run {
        out.extend(comment_run(first, last));
    }
    out.sort_by_key(|r| (r.start_line, r.end_line));
    out.dedup_by_key(|r| (r.start_line, r.end_line));
    out
}

fn comment_run(first: u32, last: u32) -> Option<FoldingRange> {
    (last > first).then(|| FoldingRange {
        start_line: first,
        end_line: last,
        kind: Some(FoldingRangeKind::Comment),
        ..FoldingRange::default()
    })
}

/// A multi-line span folds from its first line to the line before its last
/// (the closing `}` or `]` stays visible); comments fold entirely.
fn region(a: &Analysis, span: Span, kind: Option<FoldingRangeKind>) -> Option<FoldingRange> {
    let first = a.lines.line0(span.start) as u32;
    let last = a.lines.line0(span.end.saturating_sub(1).max(span.start)) as u32;
    let end_line = if kind.is_some() {
        last
    } else {
        last.saturating_sub(1)
    };
    (end_line > first).then(|| FoldingRange {
        start_line: first,
        end_line,
        kind,
        ..FoldingRange::default()
    })
}

fn block(b: &Block, out: &mut Vec<Span>) {
    out.push(b.span);
    for s in &b.stmts {
        stmt(s, out);
    }
}

fn stmt(s: &Stmt, out: &mut Vec<Span>) {
    match &s.kind {
        StmtKind::Expr(e) | StmtKind::Throw(e) => expr(e, out),
        StmtKind::Return(e) => {
            if let Some(e) = e {
                expr(e, out);
            }
        }
        StmtKind::Decl { value, .. } => expr(value, out),
        StmtKind::Assign { target, value, .. } => {
            expr(target, out);
            expr(value, out);
        }
        StmtKind::If {
            cond,
            then_block,
            else_branch,
        } => {
            expr(cond, out);
            block(then_block, out);
            if let Some(e) = else_branch {
                stmt(e, out);
            }
        }
        StmtKind::Block(b) | StmtKind::Loop { body: b } => block(b, out),
        StmtKind::While { cond, body } => {
            expr(cond, out);
            block(body, out);
        }
        StmtKind::For { iterable, body, .. } => {
            expr(iterable, out);
            block(body, out);
        }
        StmtKind::Try { body, handler, .. } => {
            block(body, out);
            block(handler, out);
        }
        StmtKind::Match { scrutinee, arms } => {
            out.push(s.span);
            expr(scrutinee, out);
            for arm in arms {
                out.push(arm.span);
                block(&arm.body, out);
            }
        }
        StmtKind::Func(f) => func(f, out),
        StmtKind::Struct(st) => {
            out.push(s.span);
            for f in &st.fields {
                if let Some(d) = &f.default {
                    expr(d, out);
                }
            }
            for m in &st.methods {
                func(m, out);
            }
        }
        StmtKind::Enum(_) => out.push(s.span),
        StmtKind::Break | StmtKind::Continue | StmtKind::Unsupported { .. } | StmtKind::Error => {}
    }
}

fn func(f: &FuncDecl, out: &mut Vec<Span>) {
    block(&f.body, out);
}

fn expr(e: &Expr, out: &mut Vec<Span>) {
    match &e.kind {
        ExprKind::Array(items) => {
            out.push(e.span);
            for i in items {
                match i {
                    ArrayItem::Item(x) | ArrayItem::Spread(x) => expr(x, out),
                }
            }
        }
        ExprKind::Dict(items) => {
            out.push(e.span);
            for i in items {
                match i {
                    DictItem::Pair(k, v) => {
                        expr(k, out);
                        expr(v, out);
                    }
                    DictItem::Spread(x) => expr(x, out),
                }
            }
        }
        ExprKind::StructLit { fields, .. } => {
            out.push(e.span);
            for (_, v) in fields {
                expr(v, out);
            }
        }
        ExprKind::Interp(parts) => {
            for p in parts {
                if let InterpPart::Expr(x) = p {
                    expr(x, out);
                }
            }
        }
        ExprKind::Unary { expr: x, .. } => expr(x, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            expr(lhs, out);
            expr(rhs, out);
        }
        ExprKind::Call { callee, args, .. } => {
            expr(callee, out);
            for a in args {
                expr(a, out);
            }
        }
        ExprKind::Index { object, index } => {
            expr(object, out);
            expr(index, out);
        }
        ExprKind::Field { object, .. } => expr(object, out),
        ExprKind::Func(f) => func(f, out),
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Null
        | ExprKind::Ident(_)
        | ExprKind::Path { .. }
        | ExprKind::Error => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    #[test]
    fn folds_blocks_literals_and_comments() {
        let src = "/* a\n   b */\n# one\n# two\nfunc f() {\n    xs := [\n        1,\n    ]\n    return xs\n}\nx := 1\n";
        let a = analysis(src);
        let r: Vec<(u32, u32, bool)> = folding_ranges(&a)
            .iter()
            .map(|f| {
                (
                    f.start_line,
                    f.end_line,
                    f.kind == Some(FoldingRangeKind::Comment),
                )
            })
            .collect();
        assert_eq!(
            r,
            vec![(0, 1, true), (2, 3, true), (4, 8, false), (5, 6, false)]
        );
    }
}
