//! Shared helpers for the parser tests: a compact S-expression rendering of
//! the tree (so a test can say `(+ a (* b c))` instead of spelling out
//! nested structs) and span checks.

#![allow(dead_code)] // not every helper has a user at all times

use ruff_core::syntax::ast::*;
use ruff_core::syntax::{parse, Parsed, Span};

pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Interp(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    InterpPart::Lit(s) => format!("{s:?}"),
                    InterpPart::Expr(e) => expr(e),
                })
                .collect();
            format!("(interp {})", parts.join(" "))
        }
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Null => "null".into(),
        ExprKind::Ident(id) => id.name.clone(),
        ExprKind::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    ArrayItem::Item(e) => expr(e),
                    ArrayItem::Spread(e) => format!("...{}", expr(e)),
                })
                .collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Dict(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    DictItem::Pair(k, v) => format!("{}: {}", expr(k), expr(v)),
                    DictItem::Spread(e) => format!("...{}", expr(e)),
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        ExprKind::StructLit { name, fields } => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(f, v)| format!(" {}: {}", f.name, expr(v)))
                .collect();
            format!("(new {}{})", name.name, fields.concat())
        }
        ExprKind::Path { enum_name, variant } => format!("{}::{}", enum_name.name, variant.name),
        ExprKind::Unary { op, expr: e } => {
            let op = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "!",
            };
            format!("({op} {})", expr(e))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), expr(lhs), expr(rhs))
        }
        ExprKind::Call { callee, args, pipe } => {
            let head = if *pipe { "pipe" } else { "call" };
            let args: Vec<String> = args.iter().map(|a| format!(" {}", expr(a))).collect();
            format!("({head} {}{})", expr(callee), args.concat())
        }
        ExprKind::Index { object, index } => format!("(index {} {})", expr(object), expr(index)),
        ExprKind::Field {
            object,
            name,
            optional,
        } => {
            let dot = if *optional { "?." } else { "." };
            format!("({dot} {} {})", expr(object), name.name)
        }
        ExprKind::Func(f) => func(f),
        ExprKind::Error => "ERR".into(),
    }
}

fn func(f: &FuncDecl) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| match &p.ty {
            Some(t) => format!("{}: {}", p.name.name, t.text),
            None => p.name.name.clone(),
        })
        .collect();
    let name = f
        .name
        .as_ref()
        .map_or(String::new(), |n| format!(" {}", n.name));
    let ret = f
        .ret
        .as_ref()
        .map_or(String::new(), |t| format!(" -> {}", t.text));
    format!(
        "(func{name} ({}){ret} {})",
        params.join(", "),
        block(&f.body)
    )
}

pub fn block(b: &Block) -> String {
    let stmts: Vec<String> = b.stmts.iter().map(stmt).collect();
    format!("{{{}}}", stmts.join("; "))
}

pub fn bind(p: &BindPattern) -> String {
    match p {
        BindPattern::Name(id) => id.name.clone(),
        BindPattern::Array { items, rest, .. } => {
            let mut parts: Vec<String> = items.iter().map(bind).collect();
            if let Some(r) = rest {
                parts.push(format!("...{}", r.name));
            }
            format!("[{}]", parts.join(" "))
        }
        BindPattern::Dict { keys, .. } => {
            let keys: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
            format!("{{{}}}", keys.join(" "))
        }
    }
}

pub fn pattern(p: &Pattern) -> String {
    match &p.kind {
        PatternKind::Wildcard => "_".into(),
        PatternKind::Binding(id) => format!("${}", id.name),
        PatternKind::Literal(e) => expr(e),
        PatternKind::Variant {
            enum_name,
            variant,
            payload,
        } => {
            let mut s = match enum_name {
                Some(e) => format!("{}::{}", e.name, variant.name),
                None => variant.name.clone(),
            };
            if let Some(p) = payload {
                s = format!("{s}({})", pattern(p));
            }
            s
        }
    }
}

pub fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Expr(e) => expr(e),
        StmtKind::Decl {
            kind,
            pattern,
            value,
        } => {
            let kw = match kind {
                DeclKind::Let => "let",
                DeclKind::Mut => "mut",
                DeclKind::Const => "const",
            };
            format!("({kw} {} {})", bind(pattern), expr(value))
        }
        StmtKind::Assign { target, op, value } => {
            let op = match op {
                AssignOp::Walrus => ":=",
                AssignOp::Assign => "=",
                AssignOp::AddAssign => "+=",
                AssignOp::SubAssign => "-=",
                AssignOp::MulAssign => "*=",
                AssignOp::DivAssign => "/=",
                AssignOp::ModAssign => "%=",
            };
            format!("({op} {} {})", expr(target), expr(value))
        }
        StmtKind::If {
            cond,
            then_block,
            else_branch,
        } => {
            let els = else_branch
                .as_ref()
                .map_or(String::new(), |e| format!(" else {}", stmt(e)));
            format!("(if {} {}{els})", expr(cond), block(then_block))
        }
        StmtKind::Block(b) => block(b),
        StmtKind::While { cond, body } => format!("(while {} {})", expr(cond), block(body)),
        StmtKind::Loop { body } => format!("(loop {})", block(body)),
        StmtKind::For {
            pattern,
            iterable,
            body,
        } => format!("(for {} {} {})", bind(pattern), expr(iterable), block(body)),
        StmtKind::Return(None) => "(return)".into(),
        StmtKind::Return(Some(e)) => format!("(return {})", expr(e)),
        StmtKind::Break => "(break)".into(),
        StmtKind::Continue => "(continue)".into(),
        StmtKind::Throw(e) => format!("(throw {})", expr(e)),
        StmtKind::Try {
            body,
            err_name,
            handler,
            ..
        } => {
            let name = err_name.as_ref().map_or("_", |n| n.name.as_str());
            format!("(try {} except {name} {})", block(body), block(handler))
        }
        StmtKind::Match { scrutinee, arms } => {
            let arms: Vec<String> = arms
                .iter()
                .map(|a| {
                    let guard = a
                        .guard
                        .as_ref()
                        .map_or(String::new(), |g| format!(" if {}", expr(g)));
                    format!(" (case {}{guard} {})", pattern(&a.pattern), block(&a.body))
                })
                .collect();
            format!("(match {}{})", expr(scrutinee), arms.concat())
        }
        StmtKind::Func(f) => func(f),
        StmtKind::Struct(s) => {
            let mut parts = Vec::new();
            for f in &s.fields {
                let mut p = f.name.name.clone();
                if let Some(t) = &f.ty {
                    p += &format!(": {}", t.text);
                }
                if let Some(d) = &f.default {
                    p += &format!(" = {}", expr(d));
                }
                parts.push(p);
            }
            for m in &s.methods {
                parts.push(func(m));
            }
            format!("(struct {} {})", s.name.name, parts.join(", "))
        }
        StmtKind::Enum(e) => {
            let vs: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
            format!("(enum {} {})", e.name.name, vs.join(" "))
        }
        StmtKind::Unsupported { keyword } => format!("(unsupported {keyword})"),
        StmtKind::Error => "ERR".into(),
    }
}

/// The whole program, one statement per line.
pub fn program(p: &Program) -> String {
    p.stmts.iter().map(stmt).collect::<Vec<_>>().join("\n")
}

/// Parses and asserts there are no errors; returns the S-expression.
pub fn ok(src: &str) -> String {
    let parsed = parse(src);
    assert!(
        parsed.errors.is_empty(),
        "unexpected errors for {src:?}: {:#?}",
        parsed.errors
    );
    check_spans(src, &parsed);
    program(&parsed.program)
}

/// Parses and returns (S-expression, error codes and messages).
pub fn with_errors(src: &str) -> (String, Vec<String>) {
    let parsed = parse(src);
    check_spans(src, &parsed);
    let errors = parsed
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.code, e.message))
        .collect();
    (program(&parsed.program), errors)
}

/// Every span in the tree and in the errors lies within the source and on
/// character boundaries (so slicing the source with it cannot panic).
pub fn check_spans(src: &str, parsed: &Parsed) {
    let mut spans = Vec::new();
    collect_debug_spans(&format!("{:?}", parsed.program), &mut spans);
    for e in &parsed.errors {
        spans.push(e.span);
        spans.extend(e.labels.iter().map(|l| l.span));
    }
    for s in spans {
        assert!(
            s.start <= s.end && s.end as usize <= src.len(),
            "span {s:?} outside source of {} bytes",
            src.len()
        );
        assert!(
            src.is_char_boundary(s.start as usize) && src.is_char_boundary(s.end as usize),
            "span {s:?} splits a character"
        );
    }
}

/// Spans print as `start..end` in the Debug output, which reaches every
/// node without a hand-written visitor.
fn collect_debug_spans(debug: &str, out: &mut Vec<Span>) {
    let bytes = debug.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A span is `digits..digits` preceded by "span: ".
        if bytes[i..].starts_with(b"span: ") {
            let rest = &debug[i + 6..];
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            if let Some((a, b)) = rest[..end].split_once("..") {
                if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                    out.push(Span::new(a, b));
                }
            }
            i += 6;
        } else {
            i += 1;
        }
    }
}
