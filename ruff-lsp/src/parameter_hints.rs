//! Inlay hints for parameter names at call sites: `area(w: 2, h: 3)` shows
//! `w:` and `h:` before the arguments of a call to a function of this file
//! (named, method, or `let f := func ...`). What the callee denotes is the
//! resolver's answer (through `call_hierarchy`/`goto`), so builtins and
//! unknown callees get none. No hint when the argument is already a name
//! equal to the parameter's, and none for the piped value of `x |> f(y)`.

use ruff_core::syntax::Span;
use tower_lsp_server::ls_types::{InlayHint, InlayHintKind, InlayHintLabel};

use crate::analysis::Analysis;
use crate::index::Role;
use crate::{call_hierarchy, positions};

pub fn parameter_hints(a: &Analysis, visible: Span) -> Vec<InlayHint> {
    let mut out = Vec::new();
    for call in &a.index.calls {
        if call.callee.start < visible.start || call.callee.start > visible.end {
            continue;
        }
        let Some(sig) = call_hierarchy::function_at(a, call.callee.start)
            .and_then(|key| a.index.funcs.get(&key))
        else {
            continue;
        };
        let is_member_call = a
            .index
            .ident_at(call.callee.start)
            .is_some_and(|i| matches!(i.role, Role::Member { .. }));
        let params = if is_member_call {
            sig.call_params()
        } else {
            &sig.params[..]
        };
        for (i, (arg, param)) in call.args.iter().zip(params).enumerate() {
            if call.pipe && i == 0 {
                continue;
            }
            let name = param.split(':').next().unwrap_or(param).trim();
            if name.is_empty() || a.slice(*arg).trim() == name {
                continue;
            }
            out.push(InlayHint {
                position: positions::position(&a.text, &a.lines, arg.start),
                label: InlayHintLabel::String(format!("{name}:")),
                kind: Some(InlayHintKind::PARAMETER),
                text_edits: None,
                tooltip: None,
                padding_left: None,
                padding_right: Some(true),
                data: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    #[test]
    fn names_before_arguments() {
        let src = "func area(w, h: int) {\n  return w * h\n}\nlet h := 3\nprint(area(2, h), area(1 + 1, 4))\nstruct S { v, func m(self, k) { return k } }\nprint(S { v: 1 }.m(7), 5 |> area(6))\n";
        let a = analysis(src);
        let hints = parameter_hints(&a, Span::new(0, src.len() as u32));
        let got: Vec<(u32, u32, String)> = hints
            .iter()
            .map(|h| {
                let InlayHintLabel::String(l) = &h.label else {
                    panic!()
                };
                (h.position.line, h.position.character, l.clone())
            })
            .collect();
        assert_eq!(
            got,
            [
                (4, 11, "w:".to_string()),
                (4, 23, "w:".to_string()),
                (4, 30, "h:".to_string()),
                (6, 19, "k:".to_string()),
                (6, 33, "h:".to_string()),
            ]
        );
    }
}
