//! Semantic tokens delta (`textDocument/semanticTokens/full/delta`): the
//! last full result per document, kept under a `resultId`, and the edit that
//! turns it into the new one (common leading and trailing tokens kept, one
//! replacement in the middle). A client that sends an unknown or stale
//! `previousResultId` gets the full tokens instead.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use tower_lsp_server::ls_types::{SemanticToken, SemanticTokensEdit, Uri};

/// Integers per token in the protocol's flat array (edit offsets count these).
const INTS_PER_TOKEN: u32 = 5;

#[derive(Default)]
pub struct TokenCache {
    last: DashMap<Uri, (String, Vec<SemanticToken>)>,
    counter: AtomicU64,
}

impl TokenCache {
    /// Remember `tokens` as the document's latest result; returns its id.
    pub fn store(&self, uri: &Uri, tokens: Vec<SemanticToken>) -> String {
        let id = (self.counter.fetch_add(1, Ordering::Relaxed) + 1).to_string();
        self.last.insert(uri.clone(), (id.clone(), tokens));
        id
    }

    /// The tokens stored under `result_id` for `uri`, if that is the latest.
    pub fn previous(&self, uri: &Uri, result_id: &str) -> Option<Vec<SemanticToken>> {
        let entry = self.last.get(uri)?;
        (entry.0 == result_id).then(|| entry.1.clone())
    }

    pub fn forget(&self, uri: &Uri) {
        self.last.remove(uri);
    }
}

/// The edits from `old` to `new` (empty when equal).
pub fn edits(old: &[SemanticToken], new: &[SemanticToken]) -> Vec<SemanticTokensEdit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let deleted = old.len() - prefix - suffix;
    let inserted = &new[prefix..new.len() - suffix];
    if deleted == 0 && inserted.is_empty() {
        return Vec::new();
    }
    vec![SemanticTokensEdit {
        start: prefix as u32 * INTS_PER_TOKEN,
        delete_count: deleted as u32 * INTS_PER_TOKEN,
        data: Some(inserted.to_vec()),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u32) -> SemanticToken {
        SemanticToken {
            delta_line: n,
            delta_start: 0,
            length: 1,
            token_type: 0,
            token_modifiers_bitset: 0,
        }
    }

    /// Apply edits to the flat integer array, as a client does.
    fn apply(old: &[SemanticToken], edits: &[SemanticTokensEdit]) -> Vec<SemanticToken> {
        let mut v = old.to_vec();
        for e in edits {
            let at = (e.start / INTS_PER_TOKEN) as usize;
            let n = (e.delete_count / INTS_PER_TOKEN) as usize;
            v.splice(at..at + n, e.data.clone().unwrap_or_default());
        }
        v
    }

    #[test]
    fn edits_round_trip() {
        let cases: [(&[u32], &[u32]); 6] = [
            (&[1, 2, 3], &[1, 2, 3]),
            (&[1, 2, 3], &[1, 9, 3]),
            (&[1, 2, 3], &[1, 3]),
            (&[1, 3], &[1, 2, 2, 3]),
            (&[], &[4, 5]),
            (&[1, 1, 1], &[1, 1]),
        ];
        for (old, new) in cases {
            let old: Vec<_> = old.iter().map(|&n| t(n)).collect();
            let new: Vec<_> = new.iter().map(|&n| t(n)).collect();
            let e = edits(&old, &new);
            assert_eq!(apply(&old, &e), new);
            assert!(e.len() <= 1);
        }
        let one: Vec<_> = [1, 2, 3].map(t).to_vec();
        let e = edits(&one, &[1, 9, 3].map(t));
        assert_eq!((e[0].start, e[0].delete_count), (5, 5));
    }

    #[test]
    fn cache_answers_only_the_latest_id() {
        let c = TokenCache::default();
        let uri: Uri = "file:///a.ruff".parse().unwrap();
        let a = c.store(&uri, vec![t(1)]);
        assert_eq!(c.previous(&uri, &a), Some(vec![t(1)]));
        let b = c.store(&uri, vec![t(2)]);
        assert_ne!(a, b);
        assert_eq!(c.previous(&uri, &a), None);
        c.forget(&uri);
        assert_eq!(c.previous(&uri, &b), None);
    }
}
