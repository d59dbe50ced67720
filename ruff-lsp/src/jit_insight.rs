//! Static JIT insight: for each function and loop, will the JIT compile it,
//! and if not, why. Shown as a code lens per function and an inlay hint at
//! the end of each loop header line.
//!
//! The verdicts come from the JIT itself (`ruff_core::telemetry::
//! eligibility`, the same table of unsupported instructions the compiler
//! applies), so the editor never disagrees with what `ruff run` does. This
//! module only finds each function and loop in the tree (for its span and
//! display name) and attaches the JIT's verdict for it, matched by line.
//! A file with static errors cannot be compiled as a whole: the top-level
//! statements that contain an error are left out (then those that fail to
//! resolve without them), and the rest is compiled for its verdicts, so an
//! error in one function does not hide the hints of the others.

use std::collections::HashMap;

use ruff_core::compiler::{self, Resolution};
use ruff_core::diagnostics::Diagnostic;
use ruff_core::syntax::ast::*;
use ruff_core::syntax::{LineIndex, Span};
use ruff_core::telemetry;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsightKind {
    Function,
    Loop,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Eligible,
    /// `code` is the JIT's stable reason code (`unsupported-op: try`),
    /// `message` its plain explanation, `span` the construct that caused it.
    Refused {
        code: String,
        message: String,
        span: Span,
    },
}

impl Verdict {
    /// The short word for a refusal code: `unsupported-op: try` → `try`.
    pub fn short(code: &str) -> &str {
        code.rsplit(": ").next().unwrap_or(code)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility {
    /// The whole function or loop statement.
    pub span: Span,
    pub kind: InsightKind,
    /// Function name (`Point.norm2` for methods), or `for`/`while`/`loop`.
    pub name: String,
    /// Where the JIT's line for it is: a function's name, a loop's keyword.
    pub name_offset: u32,
    pub verdict: Verdict,
}

impl Eligibility {
    /// The short text of an inlay hint.
    pub fn label(&self) -> String {
        match &self.verdict {
            Verdict::Eligible => "⚡ JIT-eligible".to_string(),
            Verdict::Refused { code, .. } => format!("not compiled: {}", Verdict::short(code)),
        }
    }

    /// The full story: verdict, reason and what to change.
    pub fn story(&self) -> String {
        match &self.verdict {
            Verdict::Eligible => {
                "The JIT can compile this (static check; it compiles code that gets hot: 100 calls, 1,000 loop iterations).".to_string()
            }
            Verdict::Refused { code, message, .. } => refusal_story(code, message),
        }
    }
}

/// `not compiled (code): message. To compile it: advice.`
pub fn refusal_story(code: &str, message: &str) -> String {
    let mut s = format!("Not compiled by the JIT ({code}): {message}.");
    if let Some(advice) = telemetry::advice(code) {
        s.push_str(" To compile it: ");
        s.push_str(advice);
        s.push('.');
    }
    s
}

/// How many times statements with errors are left out before giving up.
const MAX_PRUNES: usize = 3;

/// `program` without the top-level statements that contain an error; `None`
/// if nothing would be left out (or nothing left).
fn without_errors(program: &Program, errors: &[Span]) -> Option<Program> {
    let keep: Vec<Stmt> = program
        .stmts
        .iter()
        .filter(|s| {
            !errors
                .iter()
                .any(|e| e.start < s.span.end.max(s.span.start + 1) && s.span.start <= e.start)
        })
        .cloned()
        .collect();
    (keep.len() < program.stmts.len()).then_some(Program { stmts: keep })
}

/// The spans of the errors (not warnings) among `diagnostics`.
pub fn error_spans(diagnostics: &[Diagnostic]) -> Vec<Span> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.span)
        .collect()
}

/// `program` without the top-level statements that hold `errors`, pruned
/// again while its resolution still reports errors (statements that only
/// resolved with the ones left out), with that clean resolution.
fn pruned_until_clean(program: &Program, errors: &[Span]) -> Option<(Program, Resolution)> {
    let mut current = without_errors(program, errors)?;
    for _ in 0..MAX_PRUNES {
        let r = compiler::resolve(&current);
        let errors = error_spans(&r.diagnostics);
        if errors.is_empty() {
            return Some((current, r));
        }
        current = without_errors(&current, &errors)?;
    }
    None
}

/// Eligibility of every function and loop in the file, in source order.
/// `errors` are the spans of the file's static errors (syntax and resolve)
/// and `resolution` the file's resolution: a clean file is compiled with it
/// as it is, a file with errors without the statements that hold them.
pub fn static_eligibility(
    program: &Program,
    lines: &LineIndex,
    errors: &[Span],
    resolution: &Resolution,
) -> Vec<Eligibility> {
    let pruned;
    let (program, resolution) = if errors.is_empty() {
        (program, resolution)
    } else {
        match pruned_until_clean(program, errors) {
            Some(p) => {
                pruned = p;
                (&pruned.0, &pruned.1)
            }
            None => return Vec::new(),
        }
    };
    let compiled = compiler::emit::emit(program, resolution, lines);
    // The JIT's verdicts, keyed by (is loop, line): a function by its
    // declaration line, a loop by its header line.
    let mut verdicts: HashMap<(bool, u32), Verdict> = HashMap::new();
    for (unit, v) in telemetry::eligibility(&compiled.main) {
        let key = match unit.loop_line {
            Some(l) => (true, l),
            None => (false, unit.line),
        };
        let verdict = match v {
            telemetry::Verdict::Eligible => Verdict::Eligible,
            telemetry::Verdict::Refused {
                code,
                message,
                span,
            } => Verdict::Refused {
                code: code.to_string(),
                message: message.to_string(),
                span,
            },
        };
        verdicts.insert(key, verdict);
    }
    let mut w = Walker { out: Vec::new() };
    w.collect_stmts(&program.stmts, None);
    let mut out: Vec<Eligibility> = w
        .out
        .into_iter()
        .filter_map(|(mut e, name_offset)| {
            let line = lines.line(name_offset) as u32;
            e.name_offset = name_offset;
            let v = verdicts.get(&(e.kind == InsightKind::Loop, line))?;
            e.verdict = v.clone();
            Some(e)
        })
        .collect();
    out.sort_by_key(|e| e.span.start);
    out
}

/// Finds functions and loops: each with the offset whose line names it to
/// the JIT (a function's name, a loop's first token).
struct Walker {
    out: Vec<(Eligibility, u32)>,
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
                self.out.push((
                    Eligibility {
                        span: stmt.span,
                        kind: InsightKind::Loop,
                        name: name.to_string(),
                        name_offset: stmt.span.start,
                        verdict: Verdict::Eligible,
                    },
                    stmt.span.start,
                ));
                self.collect_stmts(&body.stmts, prefix);
            }
            _ => {}
        }
        // Functions and loops nested in if/try/match blocks. (Anonymous
        // functions are not reported separately.)
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
        let Some(ident) = &f.name else { return };
        let name = match prefix {
            Some(p) => format!("{p}.{}", ident.name),
            None => ident.name.clone(),
        };
        self.out.push((
            Eligibility {
                span,
                kind: InsightKind::Function,
                name,
                name_offset: ident.span.start,
                verdict: Verdict::Eligible,
            },
            ident.span.start,
        ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_core::syntax::parse;

    fn verdicts(src: &str) -> Vec<(String, InsightKind, String)> {
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let r = compiler::resolve(&p.program);
        static_eligibility(&p.program, &LineIndex::new(src), &[], &r)
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
        // Interpolation is compiled (through a runtime helper).
        assert_eq!(
            find("greet", InsightKind::Function),
            Some("⚡ JIT-eligible")
        );
        assert_eq!(
            find("risky", InsightKind::Function),
            Some("not compiled: try")
        );
        assert_eq!(find("for", InsightKind::Loop), Some("⚡ JIT-eligible"));
        assert_eq!(
            find("while", InsightKind::Loop),
            Some("not compiled: spread")
        );
        assert_eq!(
            find("P.get", InsightKind::Function),
            Some("⚡ JIT-eligible")
        );
    }

    #[test]
    fn static_errors_elsewhere_do_not_hide_verdicts() {
        let src = "func f() { break }\nfunc g() { try { h() } except e { } }\nfunc h() { return f() }\nwhile true { }\n";
        let a = crate::test_support::analysis(src);
        assert!(!error_spans(&a.diagnostics).is_empty());
        let v = a.eligibility();
        let names: Vec<(&str, String)> = v.iter().map(|e| (e.name.as_str(), e.label())).collect();
        assert!(
            names.contains(&("g", "not compiled: try".to_string())),
            "{names:?}"
        );
        assert!(
            names.contains(&("while", "⚡ JIT-eligible".to_string())),
            "{names:?}"
        );
        assert!(
            !names.iter().any(|(n, _)| *n == "f"),
            "the function with the error has no verdict"
        );
        let Verdict::Refused { span, .. } = &v.iter().find(|e| e.name == "g").unwrap().verdict
        else {
            panic!()
        };
        assert!(
            src[span.range()].starts_with("try"),
            "{:?}",
            &src[span.range()]
        );
    }

    #[test]
    fn nested_loops_each_get_a_verdict() {
        let src = "func f() {\n  for i in 3 {\n    loop { match i { case Some(x): { break } } }\n  }\n}\n";
        let v = verdicts(src);
        let loops: Vec<&str> = v
            .iter()
            .filter(|e| e.1 == InsightKind::Loop)
            .map(|e| e.2.as_str())
            .collect();
        assert_eq!(loops, vec!["not compiled: enum", "not compiled: enum"]);
    }
}
