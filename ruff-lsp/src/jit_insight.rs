//! Static JIT insight: for each function and loop, will the JIT compile it,
//! and if not, why. Shown as a code lens per function and an inlay hint at
//! the end of each loop header line.
//!
//! THE SEAM. The verdicts must eventually come from the JIT itself
//! (`ruff_core::telemetry`'s static analysis, the same rules the compiler
//! applies), so the editor never disagrees with what `ruff run` does. That
//! analysis does not exist yet. Until it does, `static_eligibility` runs
//! `PlaceholderRules`, a deliberately conservative AST walk written here.
//! To switch: implement `EligibilityAnalysis` over ruff-core's analysis and
//! return it from `analyzer()`; nothing else in the server changes (the
//! presentation in `insight_view` only sees `Eligibility` values).

use ruff_core::syntax::ast::*;
use ruff_core::syntax::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsightKind {
    Function,
    Loop,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Eligible,
    /// `code` is a stable reason code (`unsupported-op`), `message` the
    /// detail (`try`).
    Refused {
        code: String,
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility {
    /// The whole function or loop statement.
    pub span: Span,
    pub kind: InsightKind,
    /// Function name (`Point.norm2` for methods), or `for`/`while`/`loop`.
    pub name: String,
    pub verdict: Verdict,
}

impl Eligibility {
    /// The text shown to the user.
    pub fn label(&self) -> String {
        match &self.verdict {
            Verdict::Eligible => "⚡ JIT-eligible".to_string(),
            Verdict::Refused { code, message } => format!("not compiled: {code}: {message}"),
        }
    }
}

/// Who decides eligibility (see the module docs).
pub trait EligibilityAnalysis {
    fn analyze(&self, source: &str, program: &Program) -> Vec<Eligibility>;
}

fn analyzer() -> impl EligibilityAnalysis {
    PlaceholderRules
}

/// Eligibility of every function and loop in the file, in source order.
pub fn static_eligibility(source: &str, program: &Program) -> Vec<Eligibility> {
    let mut out = analyzer().analyze(source, program);
    out.sort_by_key(|e| e.span.start);
    out
}

/// PLACEHOLDER, to be replaced by ruff-core's JIT analysis. Accepts code made
/// only of int/float arithmetic, comparisons, locals, calls, collection
/// literals and indexing and plain control flow; refuses with
/// `unsupported-op: NAME` on the first `try`, `match`, `throw`, closure
/// creation, string interpolation or spread it meets.
pub struct PlaceholderRules;

impl EligibilityAnalysis for PlaceholderRules {
    fn analyze(&self, _source: &str, program: &Program) -> Vec<Eligibility> {
        let mut w = Walker { out: Vec::new() };
        w.collect_stmts(&program.stmts, None);
        w.out
    }
}

struct Walker {
    out: Vec<Eligibility>,
}

impl Walker {
    /// Find every function and loop (anywhere, including nested ones) and
    /// record a verdict for each.
    fn collect_stmts(&mut self, stmts: &[Stmt], prefix: Option<&str>) {
        for s in stmts {
            self.collect_stmt(s, prefix);
        }
    }

    fn collect_stmt(&mut self, stmt: &Stmt, prefix: Option<&str>) {
        match &stmt.kind {
            StmtKind::Func(f) => self.function(f, stmt.span, prefix),
            StmtKind::Struct(s) => {
                for m in &s.methods {
                    self.function(m, m.span, Some(&s.name.name));
                }
            }
            StmtKind::While { body, .. } | StmtKind::Loop { body } | StmtKind::For { body, .. } => {
                let name = match stmt.kind {
                    StmtKind::While { .. } => "while",
                    StmtKind::Loop { .. } => "loop",
                    _ => "for",
                };
                self.out.push(Eligibility {
                    span: stmt.span,
                    kind: InsightKind::Loop,
                    name: name.to_string(),
                    verdict: verdict(std::slice::from_ref(stmt)),
                });
                self.collect_stmts(&body.stmts, prefix);
            }
            _ => {}
        }
        // Functions and loops nested in if/try/match blocks. (Anonymous
        // functions are not reported separately: they are part of the code
        // that creates them, which the rules refuse as "closure".)
        for_each_child_block(stmt, &mut |b| {
            if !matches!(
                stmt.kind,
                StmtKind::While { .. }
                    | StmtKind::Loop { .. }
                    | StmtKind::For { .. }
                    | StmtKind::Func(_)
            ) {
                self.collect_stmts(&b.stmts, prefix);
            }
        });
    }

    fn function(&mut self, f: &FuncDecl, span: Span, prefix: Option<&str>) {
        let Some(name) = &f.name else { return };
        let name = match prefix {
            Some(p) => format!("{p}.{}", name.name),
            None => name.name.clone(),
        };
        self.out.push(Eligibility {
            span,
            kind: InsightKind::Function,
            name,
            verdict: verdict(&f.body.stmts),
        });
        self.collect_stmts(&f.body.stmts, None);
    }
}

/// The blocks directly inside a statement that are not loop bodies handled
/// by the caller (if/else branches, try/except, match arms).
fn for_each_child_block(stmt: &Stmt, f: &mut impl FnMut(&Block)) {
    match &stmt.kind {
        StmtKind::If {
            then_block,
            else_branch,
            ..
        } => {
            f(then_block);
            if let Some(e) = else_branch {
                for_each_child_block(e, f);
            }
        }
        StmtKind::Block(b) => f(b),
        StmtKind::Try { body, handler, .. } => {
            f(body);
            f(handler);
        }
        StmtKind::Match { arms, .. } => arms.iter().for_each(|a| f(&a.body)),
        _ => {}
    }
}

fn verdict(stmts: &[Stmt]) -> Verdict {
    match stmts.iter().find_map(unsupported_stmt) {
        None => Verdict::Eligible,
        Some(op) => Verdict::Refused {
            code: "unsupported-op".to_string(),
            message: op.to_string(),
        },
    }
}

fn unsupported_block(b: &Block) -> Option<&'static str> {
    b.stmts.iter().find_map(unsupported_stmt)
}

fn unsupported_stmt(s: &Stmt) -> Option<&'static str> {
    match &s.kind {
        StmtKind::Try { .. } => Some("try"),
        StmtKind::Match { .. } => Some("match"),
        StmtKind::Throw(_) => Some("throw"),
        StmtKind::Func(_) => Some("closure"),
        StmtKind::Unsupported { .. } => Some("unsupported statement"),
        StmtKind::Expr(e) => unsupported_expr(e),
        StmtKind::Return(e) => e.as_ref().and_then(unsupported_expr),
        StmtKind::Decl { value, .. } => unsupported_expr(value),
        StmtKind::Assign { target, value, .. } => {
            unsupported_expr(target).or_else(|| unsupported_expr(value))
        }
        StmtKind::If {
            cond,
            then_block,
            else_branch,
        } => unsupported_expr(cond)
            .or_else(|| unsupported_block(then_block))
            .or_else(|| else_branch.as_deref().and_then(unsupported_stmt)),
        StmtKind::Block(b) | StmtKind::Loop { body: b } => unsupported_block(b),
        StmtKind::While { cond, body } => {
            unsupported_expr(cond).or_else(|| unsupported_block(body))
        }
        StmtKind::For { iterable, body, .. } => {
            unsupported_expr(iterable).or_else(|| unsupported_block(body))
        }
        StmtKind::Break
        | StmtKind::Continue
        | StmtKind::Struct(_)
        | StmtKind::Enum(_)
        | StmtKind::Error => None,
    }
}

fn unsupported_expr(e: &Expr) -> Option<&'static str> {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Null
        | ExprKind::Ident(_)
        | ExprKind::Path { .. }
        | ExprKind::Error => None,
        ExprKind::Interp(_) => Some("string interpolation"),
        ExprKind::Func(_) => Some("closure"),
        ExprKind::Array(items) => items.iter().find_map(|i| match i {
            ArrayItem::Item(x) => unsupported_expr(x),
            ArrayItem::Spread(_) => Some("spread"),
        }),
        ExprKind::Dict(items) => items.iter().find_map(|i| match i {
            DictItem::Pair(k, v) => unsupported_expr(k).or_else(|| unsupported_expr(v)),
            DictItem::Spread(_) => Some("spread"),
        }),
        ExprKind::StructLit { fields, .. } => fields.iter().find_map(|(_, v)| unsupported_expr(v)),
        ExprKind::Unary { expr, .. } => unsupported_expr(expr),
        ExprKind::Binary { lhs, rhs, .. } => {
            unsupported_expr(lhs).or_else(|| unsupported_expr(rhs))
        }
        ExprKind::Call { callee, args, .. } => {
            unsupported_expr(callee).or_else(|| args.iter().find_map(unsupported_expr))
        }
        ExprKind::Index { object, index } => {
            unsupported_expr(object).or_else(|| unsupported_expr(index))
        }
        ExprKind::Field { object, .. } => unsupported_expr(object),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_core::syntax::parse;

    fn verdicts(src: &str) -> Vec<(String, InsightKind, String)> {
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        static_eligibility(src, &p.program)
            .into_iter()
            .map(|e| (e.name.clone(), e.kind, e.label()))
            .collect()
    }

    #[test]
    fn arithmetic_is_eligible_and_unsupported_ops_are_named() {
        let src = r#"
func fib(n) { if n < 2 { return n } return fib(n - 1) + fib(n - 2) }
func greet(name) { return "hi ${name}" }
func risky() { try { throw("x") } except e { print(e) } }
mut total := 0
for i in range(0, 10) { total += i * 2 }
while total > 0 { xs := [...[1], 2]; total -= 1 }
struct P { x, func get(self) { return self.x } }
"#;
        let v = verdicts(src);
        let find = |name: &str, kind| {
            v.iter()
                .find(|e| e.0 == name && e.1 == kind)
                .map(|e| e.2.as_str())
        };
        assert_eq!(find("fib", InsightKind::Function), Some("⚡ JIT-eligible"));
        assert_eq!(
            find("greet", InsightKind::Function),
            Some("not compiled: unsupported-op: string interpolation")
        );
        assert_eq!(
            find("risky", InsightKind::Function),
            Some("not compiled: unsupported-op: try")
        );
        assert_eq!(find("for", InsightKind::Loop), Some("⚡ JIT-eligible"));
        assert_eq!(
            find("while", InsightKind::Loop),
            Some("not compiled: unsupported-op: spread")
        );
        assert_eq!(
            find("P.get", InsightKind::Function),
            Some("⚡ JIT-eligible")
        );
    }

    #[test]
    fn nested_loops_each_get_a_verdict() {
        let src =
            "func f() {\n  for i in 3 {\n    loop { match i { case 1: { break } } }\n  }\n}\n";
        let v = verdicts(src);
        let loops: Vec<&str> = v
            .iter()
            .filter(|e| e.1 == InsightKind::Loop)
            .map(|e| e.2.as_str())
            .collect();
        assert_eq!(
            loops,
            vec![
                "not compiled: unsupported-op: match",
                "not compiled: unsupported-op: match"
            ]
        );
    }
}
