//! Quick fixes for diagnostics with one obvious fix:
//!
//! - W0002 (reassigning an immutable binding): change its `let` to `mut`;
//! - W0001 (undefined variable): "did you mean" each visible name (the
//!   resolver's `visible_at`) within a small edit distance;
//! - W0004 (too few arguments to a user function): append `null` for each
//!   missing parameter, named in the title.
//!
//! - W0007 (unused local): remove the declaring statement (its label), the
//!   whole line when it stands alone; when the value may have effects (it
//!   contains a call), keep the value as an expression statement.
//!
//! The fixes come from the server's own
//! analysis, not from the diagnostics the client sends back, so they always
//! match the current text.

use std::collections::HashMap;

use ruff_core::compiler::resolve::{Res, Visible};
use ruff_core::diagnostics::{codes, Diagnostic};
use ruff_core::syntax::Span;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Uri, WorkspaceEdit,
};

use crate::analysis::Analysis;
use crate::{diagnostics, positions};

/// Quick fixes for the analysis' diagnostics that touch `range`.
pub fn quick_fixes(uri: &Uri, a: &Analysis, range: Range) -> Vec<CodeActionOrCommand> {
    let lo = positions::offset(&a.text, &a.lines, range.start);
    let hi = positions::offset(&a.text, &a.lines, range.end);
    let mut out = Vec::new();
    for d in &a.diagnostics {
        if d.span.end < lo || d.span.start > hi {
            continue;
        }
        let fixes = match d.code {
            codes::ASSIGN_IMMUTABLE => let_to_mut(a, d).into_iter().collect(),
            codes::UNDEFINED_NAME => did_you_mean(a, d),
            codes::WRONG_ARITY => missing_arguments(a, d).into_iter().collect(),
            codes::UNUSED_VARIABLE => remove_unused(a, d).into_iter().collect(),
            _ => Vec::new(),
        };
        let lsp_diag = diagnostics::to_lsp(uri, a)
            .into_iter()
            .find(|x| x.range == positions::range(&a.text, &a.lines, d.span));
        for (title, span, new_text, preferred) in fixes {
            let edit = TextEdit {
                range: positions::range(&a.text, &a.lines, span),
                new_text,
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: lsp_diag.clone().map(|x| vec![x]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(preferred),
                ..CodeAction::default()
            }));
        }
    }
    out
}

type Fix = (String, Span, String, bool);

/// The `let` keyword of the binding a W0002 points at (its label), if the
/// declaration is a plain `let name`.
fn let_to_mut(a: &Analysis, d: &Diagnostic) -> Option<Fix> {
    let decl = d.labels.first()?.span;
    let before = a.text.get(..decl.start as usize)?;
    let trimmed = before.trim_end();
    let start = trimmed.strip_suffix("let")?.len();
    let boundary = trimmed[..start]
        .chars()
        .next_back()
        .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
    if !boundary || trimmed.len() == before.len() {
        return None;
    }
    let name = a.slice(decl);
    Some((
        format!("Make `{name}` mutable (`let` → `mut`)"),
        Span::new(start as u32, start as u32 + 3),
        "mut".into(),
        true,
    ))
}

/// Visible names close to the undefined one, nearest first.
fn did_you_mean(a: &Analysis, d: &Diagnostic) -> Vec<Fix> {
    let Some(wrong) = d.message.strip_prefix("Undefined variable: ") else {
        return Vec::new();
    };
    let limit = (wrong.chars().count() / 3).max(1);
    let mut near: Vec<(usize, String)> = a
        .resolution
        .visible_at(d.span.start)
        .into_iter()
        .filter_map(|v| match v {
            Visible::Decl(id) => Some(a.resolution.decl(id).name.clone()),
            Visible::Field { .. } => None,
        })
        .map(|name| (edit_distance(wrong, &name), name))
        .filter(|(dist, name)| *dist <= limit && name != wrong)
        .collect();
    near.sort();
    near.truncate(3);
    near.into_iter()
        .enumerate()
        .map(|(i, (_, name))| (format!("Did you mean `{name}`?"), d.span, name, i == 0))
        .collect()
}

/// `f(a)` called with fewer arguments than `f` declares: `f(a, null, null)`.
fn missing_arguments(a: &Analysis, d: &Diagnostic) -> Option<Fix> {
    let rest = d.message.strip_prefix("Expected ")?;
    let (want, got) = rest.split_once(" arguments but got ")?;
    let (want, got): (usize, usize) = (want.parse().ok()?, got.parse().ok()?);
    if got >= want {
        return None;
    }
    let call = a.slice(d.span);
    let name = call.split('(').next()?.trim();
    let Res::Decl(id) = a.resolution.lookup_at(name, d.span.start) else {
        return None;
    };
    let sig = a.index.funcs.get(&a.resolution.decl(id).span.start)?;
    let inside = call.strip_suffix(')')?;
    let params: Vec<&str> = sig
        .params
        .get(got..want)?
        .iter()
        .map(|p| p.split(':').next().unwrap_or(p).trim())
        .collect();
    let open_args = inside.split_once('(')?.1.trim_end();
    let sep = if open_args.is_empty() || open_args.ends_with(',') {
        ""
    } else {
        ", "
    };
    let nulls = vec!["null"; params.len()].join(", ");
    let at = d.span.end - 1;
    Some((
        format!("Add missing arguments: {}", params.join(", ")),
        Span::new(at, at),
        format!("{sep}{nulls}"),
        true,
    ))
}

/// Delete the statement declaring an unused local (W0007's label).
fn remove_unused(a: &Analysis, d: &Diagnostic) -> Option<Fix> {
    let stmt = d.labels.first()?.span;
    let name = a.slice(d.span);
    let text = a.slice(stmt);
    if text.is_empty() || !(stmt.start <= d.span.start && d.span.end <= stmt.end) {
        return None;
    }
    // The value starts after the first `:=` following the name.
    let after_name = (d.span.end - stmt.start) as usize;
    let value_at = text.get(after_name..)?.find(":=")? + after_name + 2;
    let value = text[value_at..].trim_start();
    if value.contains('(') {
        let keep_from = stmt.start + (text.len() - value.len()) as u32;
        return Some((
            format!("Remove unused variable `{name}` (keep the value)"),
            Span::new(stmt.start, keep_from),
            String::new(),
            true,
        ));
    }
    // A statement alone on its line(s): remove the lines.
    let line_start = a.text[..stmt.start as usize]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let rest = &a.text[stmt.end as usize..];
    let line_end = rest
        .find('\n')
        .map_or(a.text.len(), |i| stmt.end as usize + i + 1);
    let alone = a.text[line_start..stmt.start as usize].trim().is_empty()
        && a.text[stmt.end as usize..line_end].trim().is_empty();
    let span = if alone {
        Span::new(line_start as u32, line_end as u32)
    } else {
        stmt
    };
    Some((
        format!("Remove unused variable `{name}`"),
        span,
        String::new(),
        true,
    ))
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;
    use tower_lsp_server::ls_types::Position;

    fn fixes(src: &str) -> Vec<CodeAction> {
        let a = analysis(src);
        let uri: Uri = "file:///x.ruff".parse().unwrap();
        let all = Range::new(Position::new(0, 0), Position::new(99, 0));
        quick_fixes(&uri, &a, all)
            .into_iter()
            .filter_map(|c| match c {
                CodeActionOrCommand::CodeAction(c) => Some(c),
                CodeActionOrCommand::Command(_) => None,
            })
            .collect()
    }

    #[test]
    fn let_becomes_mut() {
        let f = fixes("let count := 1\ncount = 2\n");
        assert_eq!(f.len(), 1, "{f:#?}");
        let edits = &f[0].edit.as_ref().unwrap().changes.as_ref().unwrap();
        let e = &edits.values().next().unwrap()[0];
        assert_eq!(e.new_text, "mut");
        assert_eq!((e.range.start.character, e.range.end.character), (0, 3));
    }

    #[test]
    fn did_you_mean_offers_visible_near_names() {
        let f =
            fixes("let total := 1\nfunc f() {\n  let inner := 2\n}\nprint(totl)\nprint(innr)\n");
        let titles: Vec<&str> = f
            .iter()
            .map(|c| c.title.as_str())
            .filter(|t| t.starts_with("Did you mean"))
            .collect();
        assert_eq!(titles, vec!["Did you mean `total`?"], "{titles:?}");
    }

    #[test]
    fn missing_arguments_filled_with_null() {
        let a = analysis("func f(x, y: int, z) {\n  return x\n}\nprint(f(1))\nprint(f())\n");
        let uri: Uri = "file:///x.ruff".parse().unwrap();
        let all = Range::new(Position::new(0, 0), Position::new(99, 0));
        let edits: Vec<(String, String)> = quick_fixes(&uri, &a, all)
            .into_iter()
            .filter_map(|c| match c {
                CodeActionOrCommand::CodeAction(c) => {
                    let e = c.edit?.changes?.into_values().next()?.remove(0);
                    Some((c.title, e.new_text))
                }
                CodeActionOrCommand::Command(_) => None,
            })
            .collect();
        assert_eq!(
            edits,
            vec![
                ("Add missing arguments: y, z".into(), ", null, null".into()),
                (
                    "Add missing arguments: x, y, z".into(),
                    "null, null, null".into()
                ),
            ]
        );
    }

    #[test]
    fn unused_variable_removed() {
        let src =
            "func f() {\n  let a := 1\n  let b := g()\n  return 0\n}\nfunc g() { return 1 }\n";
        let a = analysis(src);
        let uri: Uri = "file:///x.ruff".parse().unwrap();
        let all = Range::new(Position::new(0, 0), Position::new(99, 0));
        let got: Vec<(String, u32, u32, u32, u32)> = quick_fixes(&uri, &a, all)
            .into_iter()
            .filter_map(|c| match c {
                CodeActionOrCommand::CodeAction(c) => {
                    let e = c.edit?.changes?.into_values().next()?.remove(0);
                    let (s, t) = (e.range.start, e.range.end);
                    Some((c.title, s.line, s.character, t.line, t.character))
                }
                CodeActionOrCommand::Command(_) => None,
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("Remove unused variable `a`".into(), 1, 0, 2, 0),
                (
                    "Remove unused variable `b` (keep the value)".into(),
                    2,
                    2,
                    2,
                    11
                ),
            ]
        );
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("totl", "total"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
