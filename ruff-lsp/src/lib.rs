//! ruff-lsp: the language server for Ruff. Only this crate knows LSP types;
//! it reads ruff-core's syntax tree, resolution, diagnostics and builtin
//! registry, and converts at the edges (`positions`).
//!
//! Module map: `server` (wiring) · `documents` (store, incremental edits) ·
//! `analysis` (parse + resolve + index, off the async threads) · `index`
//! (identifier occurrences and roles, signatures, struct shapes; scopes are
//! the resolver's) · `cursor` (half-typed code, from ruff-core's tokens) ·
//! `framing` · `positions` · one module per feature (`hover`,
//! `goto`, `rename`, `symbols`, `call_hierarchy`, `completion`, `signature`,
//! `semantic_tokens` (+ `semantic_tokens_delta`), `folding`, `diagnostics`) · JIT insight: `jit_insight`
//! (static verdicts, the seam to ruff-core), `run_insight` (the child
//! process), `telemetry` (reading its events), `insight_view` (hints,
//! lenses, deopt diagnostics) · `config` · `panic_guard` · `transport`
//! (stdio framing that survives malformed input).

pub mod analysis;
pub mod call_hierarchy;
pub mod code_actions;
pub mod completion;
pub mod config;
pub mod cursor;
pub mod diagnostics;
pub mod documents;
pub mod folding;
pub mod framing;
pub mod goto;
pub mod highlight;
pub mod hover;
pub mod index;
pub mod insight_view;
pub mod jit_insight;
pub mod panic_guard;
pub mod parameter_hints;
pub mod positions;
pub mod rename;
pub mod run_insight;
pub mod selection;
pub mod semantic_tokens;
pub mod semantic_tokens_delta;
pub mod server;
pub mod signature;
pub mod symbols;
pub mod telemetry;
pub mod transport;
pub mod workspace_symbols;

#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use crate::analysis::{analyze, Analysis};

    pub fn analysis(src: &str) -> Analysis {
        analyze(Arc::new(src.to_string()))
    }

    /// Byte offset of the `nth` (0-based) occurrence of `needle`, plus `delta`.
    pub fn at(src: &str, needle: &str, nth: usize, delta: u32) -> u32 {
        let (pos, _) = src
            .match_indices(needle)
            .nth(nth)
            .unwrap_or_else(|| panic!("{needle:?} #{nth} not in source"));
        pos as u32 + delta
    }

    /// The source text of each span.
    pub fn texts(src: &str, spans: &[ruff_core::syntax::Span]) -> Vec<String> {
        spans.iter().map(|s| src[s.range()].to_string()).collect()
    }
}
