//! Document highlight: every occurrence of the symbol under the cursor (the
//! same resolver-based occurrences as references), marked WRITE at its
//! declaration and where it is assigned (`x = …`, `x += …`), READ elsewhere.

use tower_lsp_server::ls_types::{DocumentHighlight, DocumentHighlightKind};

use crate::analysis::Analysis;
use crate::{goto, positions};

pub fn highlights(a: &Analysis, offset: u32) -> Option<Vec<DocumentHighlight>> {
    let (_, target) = goto::target_at(a, offset)?;
    let decl = goto::definition(a, &target);
    Some(
        goto::occurrences(a, &target)
            .into_iter()
            .map(|s| {
                let write = Some(s) == decl || assigned_after(&a.text[s.end as usize..]);
                DocumentHighlight {
                    range: positions::range(&a.text, &a.lines, s),
                    kind: Some(if write {
                        DocumentHighlightKind::WRITE
                    } else {
                        DocumentHighlightKind::READ
                    }),
                }
            })
            .collect(),
    )
}

/// The text after a name starts an assignment to it (`=`, `op=`, not `==`).
fn assigned_after(rest: &str) -> bool {
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = rest.trim_start_matches(['+', '-', '*', '/', '%']);
    rest.starts_with('=') && !rest.starts_with("==")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    #[test]
    fn reads_and_writes() {
        let src = "mut n := 1\nn = n + 1\nn += 2\nprint(n == 3)\n";
        let a = analysis(src);
        let h = highlights(&a, 4).unwrap();
        let kinds: Vec<(u32, DocumentHighlightKind)> = h
            .iter()
            .map(|x| (x.range.start.line, x.kind.unwrap()))
            .collect();
        use DocumentHighlightKind as K;
        assert_eq!(
            kinds,
            vec![
                (0, K::WRITE),
                (1, K::WRITE),
                (1, K::READ),
                (2, K::WRITE),
                (3, K::READ)
            ]
        );
    }
}
