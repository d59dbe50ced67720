//! One analysis of one text: parse, resolve, index. Pure and synchronous;
//! `for_snapshot` runs it on tokio's blocking pool so a long parse never
//! stalls the threads that read requests and write responses.

use std::sync::{Arc, OnceLock};

use ruff_core::compiler::{self, Resolution};
use ruff_core::diagnostics::Diagnostic;
use ruff_core::syntax::lexer::Comment;
use ruff_core::syntax::token::Token;
use ruff_core::syntax::{self, ast::Program, LineIndex, Span};
use tower_lsp_server::jsonrpc;

use crate::documents::Snapshot;
use crate::index::SemanticIndex;
use crate::jit_insight::{self, Eligibility};

pub struct Analysis {
    pub text: Arc<String>,
    pub lines: LineIndex,
    pub program: Program,
    /// ruff-core's tokens and comments of the text (trivia mode), for the
    /// features that read the text around the cursor (`cursor`, folding).
    pub tokens: Vec<Token>,
    pub comments: Vec<Comment>,
    pub resolution: Resolution,
    /// Exactly what `ruff_core::driver::check` reports for this text (the
    /// same parse and resolve, done once here instead of twice).
    pub diagnostics: Vec<Diagnostic>,
    pub index: SemanticIndex,
    /// Spans of the static errors among `diagnostics`.
    error_spans: Vec<Span>,
    /// Static JIT insight (`jit_insight`), computed on first use: it
    /// compiles the file, and completion or hover right after an edit do
    /// not need it.
    eligibility: OnceLock<Vec<Eligibility>>,
}

pub fn analyze(text: Arc<String>) -> Analysis {
    let lines = LineIndex::new(&text);
    if text.len() > syntax::MAX_SOURCE_BYTES {
        // driver::check reports the size limit without parsing.
        return Analysis {
            diagnostics: ruff_core::driver::check(&text),
            lines,
            text,
            program: Program::default(),
            tokens: Vec::new(),
            comments: Vec::new(),
            resolution: Resolution::default(),
            index: SemanticIndex::default(),
            error_spans: Vec::new(),
            eligibility: OnceLock::from(Vec::new()),
        };
    }
    let (parsed, tokens, comments) = syntax::parse_with_trivia(&text);
    let resolution = compiler::resolve(&parsed.program);
    let mut diagnostics = parsed.errors;
    diagnostics.extend(resolution.diagnostics.iter().cloned());
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let index = SemanticIndex::build(&parsed.program, &resolution);
    let error_spans = jit_insight::error_spans(&diagnostics);
    Analysis {
        text,
        lines,
        program: parsed.program,
        tokens,
        comments,
        resolution,
        diagnostics,
        index,
        error_spans,
        eligibility: OnceLock::new(),
    }
}

/// The analysis of a snapshot, computing it at most once per generation:
/// concurrent callers (the diagnostics task and a hover arriving right after
/// an edit) share one computation.
pub async fn for_snapshot(snap: &Snapshot) -> jsonrpc::Result<Arc<Analysis>> {
    let text = snap.text.clone();
    snap.analysis
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || Arc::new(analyze(text)))
                .await
                .map_err(|e| {
                    let mut err = jsonrpc::Error::internal_error();
                    err.message = format!("analysis failed: {e}").into();
                    err
                })
        })
        .await
        .cloned()
}

/// `a` with its static JIT insight computed, on the blocking pool (it
/// compiles the file) unless it already is.
pub async fn with_eligibility(a: Arc<Analysis>) -> Arc<Analysis> {
    if a.eligibility.get().is_some() {
        return a;
    }
    let b = a.clone();
    let _ = tokio::task::spawn_blocking(move || {
        b.eligibility();
    })
    .await;
    a
}

impl Analysis {
    /// Every function's and loop's JIT verdict, in source order.
    pub fn eligibility(&self) -> &[Eligibility] {
        self.eligibility.get_or_init(|| {
            jit_insight::static_eligibility(
                &self.program,
                &self.lines,
                &self.error_spans,
                &self.resolution,
            )
        })
    }

    /// The source text of a span (empty if out of range).
    pub fn slice(&self, span: ruff_core::syntax::Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_match_driver_check() {
        let src = "let a := 1\na = 2\nbreak\nprint(b)\nfunc f(x) { return x }\nf(1, 2)\n";
        let a = analyze(Arc::new(src.to_string()));
        assert_eq!(a.diagnostics, ruff_core::driver::check(src));
    }
}
