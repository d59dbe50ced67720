//! Workspace symbols: the document symbols of every open document,
//! flattened (nested functions, fields, methods and variants with their
//! container's name), filtered by a case-insensitive subsequence match of
//! the query (empty query: everything).

#![allow(deprecated)] // SymbolInformation::deprecated must still be spelled out.

use tower_lsp_server::ls_types::{DocumentSymbol, Location, SymbolInformation, Uri};

use crate::analysis::Analysis;
use crate::symbols;

pub fn matching(uri: &Uri, a: &Analysis, query: &str) -> Vec<SymbolInformation> {
    let mut out = Vec::new();
    for s in symbols::document_symbols(a) {
        flatten(uri, &s, None, query, &mut out);
    }
    out
}

fn flatten(
    uri: &Uri,
    s: &DocumentSymbol,
    container: Option<&str>,
    query: &str,
    out: &mut Vec<SymbolInformation>,
) {
    if fuzzy(query, &s.name) {
        out.push(SymbolInformation {
            name: s.name.clone(),
            kind: s.kind,
            tags: None,
            deprecated: None,
            location: Location {
                uri: uri.clone(),
                range: s.selection_range,
            },
            container_name: container.map(str::to_string),
        });
    }
    for c in s.children.iter().flatten() {
        flatten(uri, c, Some(&s.name), query, out);
    }
}

/// Every char of `query` appears in `name` in order (ignoring case).
pub fn fuzzy(query: &str, name: &str) -> bool {
    let mut name = name.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .all(|q| name.any(|n| n == q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    #[test]
    fn flattened_and_filtered() {
        let a = analysis(
            "struct Point {\n  x\n  y\n}\nfunc area_of(p) {\n  return 1\n}\nlet pa := 1\n",
        );
        let uri: Uri = "file:///x.ruff".parse().unwrap();
        let names: Vec<(String, Option<String>)> = matching(&uri, &a, "")
            .into_iter()
            .map(|s| (s.name, s.container_name))
            .collect();
        assert!(
            names.contains(&("x".into(), Some("Point".into()))),
            "{names:?}"
        );
        let hits: Vec<String> = matching(&uri, &a, "ARo")
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(hits, vec!["area_of".to_string()]);
        assert!(fuzzy("", "anything") && !fuzzy("zz", "z"));
    }
}
