//! Call hierarchy: prepare (the function under the cursor), incoming calls
//! (who calls it, grouped by calling function) and outgoing calls (what its
//! body calls, grouped by callee). Calls are the index's `CallSite`s; what a
//! callee denotes is `goto`'s answer (the resolver's, for names; the known
//! receiver struct, for methods), so a shadowing local or a builtin is never
//! taken for the function. A function is identified by the start of its
//! name (the key of `SemanticIndex::funcs`); code outside any function is
//! one item, `<top level>` (kind FILE).

use std::collections::BTreeMap;

use ruff_core::syntax::Span;
use tower_lsp_server::ls_types::{
    CallHierarchyIncomingCall, CallHierarchyItem, CallHierarchyOutgoingCall, Range, SymbolKind, Uri,
};

use crate::analysis::Analysis;
use crate::{goto, positions};

pub const TOP_LEVEL: &str = "<top level>";

/// The function whose name the identifier at `offset` denotes.
pub fn function_at(a: &Analysis, offset: u32) -> Option<u32> {
    let (_, target) = goto::target_at(a, offset)?;
    let key = goto::definition(a, &target)?.start;
    a.index.funcs.contains_key(&key).then_some(key)
}

/// The function a call's callee denotes, if it is one of this file's.
fn callee_of(a: &Analysis, callee: Span) -> Option<u32> {
    function_at(a, callee.start)
}

pub fn prepare(uri: &Uri, a: &Analysis, offset: u32) -> Option<Vec<CallHierarchyItem>> {
    let key = function_at(a, offset)?;
    Some(vec![item(uri, a, Some(key))?])
}

/// The item for a function key, or for the top level (`None`).
fn item(uri: &Uri, a: &Analysis, key: Option<u32>) -> Option<CallHierarchyItem> {
    let range = |s| positions::range(&a.text, &a.lines, s);
    Some(match key {
        Some(k) => {
            let sig = a.index.funcs.get(&k)?;
            CallHierarchyItem {
                name: sig.name.clone(),
                kind: if sig.method_of.is_some() {
                    SymbolKind::METHOD
                } else {
                    SymbolKind::FUNCTION
                },
                tags: None,
                detail: Some(sig.label()),
                uri: uri.clone(),
                range: range(sig.span.to(sig.name_span)),
                selection_range: range(sig.name_span),
                data: None,
            }
        }
        None => {
            let start = positions::position(&a.text, &a.lines, 0);
            CallHierarchyItem {
                name: TOP_LEVEL.into(),
                kind: SymbolKind::FILE,
                tags: None,
                detail: None,
                uri: uri.clone(),
                range: range(Span::new(0, a.text.len() as u32)),
                selection_range: Range::new(start, start),
                data: None,
            }
        }
    })
}

/// Which function (or the top level) an item the client sends back stands for.
fn key_of(a: &Analysis, it: &CallHierarchyItem) -> Option<Option<u32>> {
    if it.kind == SymbolKind::FILE && it.name == TOP_LEVEL {
        return Some(None);
    }
    let at = positions::offset(&a.text, &a.lines, it.selection_range.start);
    a.index.funcs.contains_key(&at).then_some(Some(at))
}

pub fn incoming(uri: &Uri, a: &Analysis, it: &CallHierarchyItem) -> Vec<CallHierarchyIncomingCall> {
    let Some(Some(key)) = key_of(a, it) else {
        return Vec::new();
    };
    let mut by_caller: BTreeMap<Option<u32>, Vec<Range>> = BTreeMap::new();
    for call in &a.index.calls {
        if callee_of(a, call.callee) == Some(key) {
            by_caller
                .entry(call.caller)
                .or_default()
                .push(positions::range(&a.text, &a.lines, call.callee));
        }
    }
    by_caller
        .into_iter()
        .filter_map(|(caller, from_ranges)| {
            Some(CallHierarchyIncomingCall {
                from: item(uri, a, caller)?,
                from_ranges,
            })
        })
        .collect()
}

pub fn outgoing(uri: &Uri, a: &Analysis, it: &CallHierarchyItem) -> Vec<CallHierarchyOutgoingCall> {
    let Some(key) = key_of(a, it) else {
        return Vec::new();
    };
    let mut by_callee: BTreeMap<u32, Vec<Range>> = BTreeMap::new();
    for call in a.index.calls.iter().filter(|c| c.caller == key) {
        if let Some(to) = callee_of(a, call.callee) {
            by_callee
                .entry(to)
                .or_default()
                .push(positions::range(&a.text, &a.lines, call.callee));
        }
    }
    by_callee
        .into_iter()
        .filter_map(|(to, from_ranges)| {
            Some(CallHierarchyOutgoingCall {
                to: item(uri, a, Some(to))?,
                from_ranges,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{analysis, at};

    const SRC: &str = "func leaf(x) {\n  return x\n}\nfunc mid(y) {\n  let helper := func(z) { return leaf(z) }\n  return leaf(y) + helper(1)\n}\nstruct S { v, func m(self) { return mid(v) } }\nprint(mid(1), S { v: 2 }.m(), leaf(3))\nfunc shadow(leaf) {\n  return leaf(1)\n}\n";

    fn names_in(v: &[CallHierarchyIncomingCall]) -> Vec<(String, usize)> {
        v.iter()
            .map(|c| (c.from.name.clone(), c.from_ranges.len()))
            .collect()
    }

    #[test]
    fn incoming_and_outgoing() {
        let a = analysis(SRC);
        let uri: Uri = "file:///c.ruff".parse().unwrap();
        let leaf = prepare(&uri, &a, at(SRC, "leaf(y)", 0, 1))
            .unwrap()
            .remove(0);
        assert_eq!(leaf.name, "leaf");
        assert_eq!(leaf.selection_range.start.line, 0);
        // The parameter `leaf` of `shadow` is not the function.
        let callers = names_in(&incoming(&uri, &a, &leaf));
        let want = [(TOP_LEVEL, 1), ("mid", 1), ("helper", 1)];
        assert_eq!(callers, want.map(|(n, k)| (n.to_string(), k)));
        let mid = prepare(&uri, &a, at(SRC, "mid", 0, 0)).unwrap().remove(0);
        let out: Vec<(String, usize)> = outgoing(&uri, &a, &mid)
            .iter()
            .map(|c| (c.to.name.clone(), c.from_ranges.len()))
            .collect();
        assert_eq!(out, [("leaf".to_string(), 1), ("helper".to_string(), 1)]);
        // The method calls mid; the top level calls the method.
        let callers = names_in(&incoming(&uri, &a, &mid));
        assert_eq!(callers, [(TOP_LEVEL.to_string(), 1), ("m".to_string(), 1)]);
        let top = incoming(&uri, &a, &mid).remove(0).from;
        let from_top: Vec<String> = outgoing(&uri, &a, &top)
            .iter()
            .map(|c| c.to.name.clone())
            .collect();
        assert_eq!(from_top, ["leaf", "mid", "m"]);
        assert!(
            prepare(&uri, &a, at(SRC, "print", 0, 1)).is_none(),
            "builtin"
        );
    }
}
