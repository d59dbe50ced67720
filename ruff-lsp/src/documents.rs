//! The open documents: text, client version and the (lazily computed)
//! analysis of exactly that text, in a concurrent map so handlers on
//! different tokio threads never block each other for long.
//!
//! Every edit bumps a server-side `generation` and installs a fresh, empty
//! analysis cell. Analysis results are tied to the cell of the generation
//! they were computed for, so a slow analysis of an old text can never be
//! mistaken for the analysis of the current one.

use std::sync::Arc;

use dashmap::DashMap;
use ruff_core::syntax::LineIndex;
use tokio::sync::OnceCell;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use crate::analysis::Analysis;
use crate::positions;

pub type AnalysisCell = Arc<OnceCell<Arc<Analysis>>>;

struct Document {
    text: Arc<String>,
    version: i32,
    generation: u64,
    analysis: AnalysisCell,
}

/// A consistent view of one document at one generation.
#[derive(Clone)]
pub struct Snapshot {
    pub uri: Uri,
    pub text: Arc<String>,
    pub version: i32,
    pub generation: u64,
    pub analysis: AnalysisCell,
}

#[derive(Default)]
pub struct DocumentStore {
    docs: DashMap<Uri, Document>,
    next_generation: std::sync::atomic::AtomicU64,
}

impl DocumentStore {
    fn bump(&self) -> u64 {
        self.next_generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1
    }

    pub fn open(&self, uri: Uri, text: String, version: i32) -> Snapshot {
        let doc = Document {
            text: Arc::new(text),
            version,
            generation: self.bump(),
            analysis: AnalysisCell::default(),
        };
        let snap = snapshot_of(&uri, &doc);
        self.docs.insert(uri, doc);
        snap
    }

    /// Apply a `didChange`; `None` for a document that is not open.
    pub fn change(
        &self,
        uri: &Uri,
        version: i32,
        changes: &[TextDocumentContentChangeEvent],
    ) -> Option<Snapshot> {
        let generation = self.bump();
        let mut doc = self.docs.get_mut(uri)?;
        // Freeing a big file's analysis takes milliseconds: not here, on
        // the path of the request that waits for the new one.
        let old = std::mem::take(&mut doc.analysis);
        drop_in_background(old);
        let text = Arc::make_mut(&mut doc.text);
        apply_changes(text, changes);
        doc.version = version;
        doc.generation = generation;
        Some(snapshot_of(uri, &doc))
    }

    pub fn close(&self, uri: &Uri) {
        self.docs.remove(uri);
    }

    pub fn snapshot(&self, uri: &Uri) -> Option<Snapshot> {
        self.docs.get(uri).map(|d| snapshot_of(uri, &d))
    }

    /// Is `generation` still the latest text of `uri`?
    pub fn is_current(&self, uri: &Uri, generation: u64) -> bool {
        self.docs
            .get(uri)
            .is_some_and(|d| d.generation == generation)
    }

    pub fn uris(&self) -> Vec<Uri> {
        self.docs.iter().map(|e| e.key().clone()).collect()
    }
}

/// Drops `v` on tokio's blocking pool when there is a runtime (the server),
/// in place otherwise (unit tests).
fn drop_in_background<T: Send + 'static>(v: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn_blocking(move || drop(v));
        }
        Err(_) => drop(v),
    }
}

fn snapshot_of(uri: &Uri, doc: &Document) -> Snapshot {
    Snapshot {
        uri: uri.clone(),
        text: doc.text.clone(),
        version: doc.version,
        generation: doc.generation,
        analysis: doc.analysis.clone(),
    }
}

/// Apply content changes in order. Each range refers to the text as left by
/// the previous change (LSP semantics), so the line index is rebuilt per
/// ranged change; a change without a range replaces the whole text.
pub fn apply_changes(text: &mut String, changes: &[TextDocumentContentChangeEvent]) {
    for change in changes {
        match change.range {
            None => {
                text.clear();
                text.push_str(&change.text);
            }
            Some(range) => {
                let index = LineIndex::new(text);
                let span = positions::span(text, &index, range);
                text.replace_range(span.range(), &change.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn edit(l0: u32, c0: u32, l1: u32, c1: u32, new: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range {
                start: Position {
                    line: l0,
                    character: c0,
                },
                end: Position {
                    line: l1,
                    character: c1,
                },
            }),
            range_length: None,
            text: new.to_string(),
        }
    }

    #[test]
    fn insert_delete_replace() {
        let mut text = "let a := 1\nprint(a)\n".to_string();
        apply_changes(&mut text, &[edit(0, 4, 0, 5, "abc")]);
        assert_eq!(text, "let abc := 1\nprint(a)\n");
        apply_changes(&mut text, &[edit(1, 6, 1, 7, "abc")]);
        assert_eq!(text, "let abc := 1\nprint(abc)\n");
        apply_changes(&mut text, &[edit(0, 12, 1, 0, " ")]);
        assert_eq!(text, "let abc := 1 print(abc)\n");
    }

    #[test]
    fn sequential_changes_see_previous_results() {
        let mut text = "ab".to_string();
        apply_changes(
            &mut text,
            &[
                edit(0, 2, 0, 2, "\ncd"),
                edit(1, 2, 1, 2, "e"),
                edit(0, 0, 1, 0, ""),
            ],
        );
        assert_eq!(text, "cde");
    }

    #[test]
    fn utf16_ranges_with_emoji_and_accents() {
        // "😀" is two UTF-16 units, "é" one; the edit replaces the "b" after them.
        let mut text = "s := \"😀éb\"\n".to_string();
        apply_changes(&mut text, &[edit(0, 9, 0, 10, "X")]);
        assert_eq!(text, "s := \"😀éX\"\n");
        // Delete the emoji itself (both surrogate units).
        apply_changes(&mut text, &[edit(0, 6, 0, 8, "")]);
        assert_eq!(text, "s := \"éX\"\n");
        // Insert an emoji and then type after it in the same batch.
        apply_changes(&mut text, &[edit(0, 6, 0, 6, "🎉"), edit(0, 8, 0, 8, "!")]);
        assert_eq!(text, "s := \"🎉!éX\"\n");
    }

    #[test]
    fn full_replacement_and_out_of_range_edits() {
        let mut text = "old".to_string();
        apply_changes(
            &mut text,
            &[TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "new\n".into(),
            }],
        );
        assert_eq!(text, "new\n");
        // A range past the end clamps to the end instead of panicking.
        apply_changes(&mut text, &[edit(9, 9, 12, 0, "tail")]);
        assert_eq!(text, "new\ntail");
        // A reversed range becomes an insertion at its start.
        apply_changes(&mut text, &[edit(0, 3, 0, 1, "!")]);
        assert_eq!(text, "new!\ntail");
    }

    #[test]
    fn store_generations_supersede() {
        let store = DocumentStore::default();
        let uri: Uri = "file:///t.ruff".parse().unwrap();
        let a = store.open(uri.clone(), "x".into(), 1);
        let b = store.change(&uri, 2, &[edit(0, 1, 0, 1, "y")]).unwrap();
        assert!(!store.is_current(&uri, a.generation));
        assert!(store.is_current(&uri, b.generation));
        assert_eq!(b.text.as_str(), "xy");
        assert_eq!(a.text.as_str(), "x", "old snapshots keep their text");
        assert!(store
            .change(&"file:///other.ruff".parse().unwrap(), 1, &[])
            .is_none());
    }
}
