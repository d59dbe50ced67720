//! Completion. After `.`: the fields and methods of the receiver's struct
//! when it is statically known (a variable bound to a struct literal, a
//! typed parameter, `self`), else the builtins callable as methods. After
//! `Enum::`: the variants. Elsewhere: the bindings visible at the cursor
//! (innermost scope first, locals only once declared), the receiver's
//! fields inside a method, globals, structs, enums, builtins and keywords.
//! Callables insert a snippet with their parameters when the client
//! supports snippets.

use std::collections::HashSet;

use ruff_core::compiler::resolve::{BindingKind, Res, Visible};
use ruff_core::runtime::builtins::{self, BuiltinDef};
use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, Documentation, InsertTextFormat, MarkupContent, MarkupKind,
};

use crate::analysis::Analysis;
use crate::cursor::{self, Before};
use crate::index::{kind_word, FuncSig};

const KEYWORDS: &[&str] = &[
    "func", "let", "mut", "const", "if", "else", "for", "in", "while", "loop", "return", "break",
    "continue", "match", "case", "try", "except", "throw", "struct", "enum", "true", "false",
    "null",
];

pub fn complete(a: &Analysis, offset: u32, snippets: bool) -> Vec<CompletionItem> {
    let offset = offset.min(a.text.len() as u32);
    if cursor::in_comment_or_string(a, offset) {
        return Vec::new();
    }
    let prefix_start = cursor::word_start(a, offset);
    match cursor::before(a, prefix_start) {
        Before::Path(name) => enum_variants(a, name),
        Before::Dot(receiver, _) => members(a, receiver, prefix_start, snippets),
        Before::Nothing => scope_items(a, offset, prefix_start, snippets),
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..CompletionItem::default()
    }
}

fn with_snippet(
    mut it: CompletionItem,
    name: &str,
    params: &[String],
    snippets: bool,
) -> CompletionItem {
    if snippets {
        it.insert_text = Some(call_snippet(name, params));
        it.insert_text_format = Some(InsertTextFormat::SNIPPET);
    }
    it
}

/// `push(${1:array}, ${2:value})`.
pub fn call_snippet(name: &str, params: &[String]) -> String {
    let args: Vec<String> = params
        .iter()
        .enumerate()
        .map(|(i, p)| format!("${{{}:{}}}", i + 1, param_name(p)))
        .collect();
    format!("{name}({})", args.join(", "))
}

/// The bare name of a parameter as written in a signature (`...values`,
/// `prompt?`, `a: int` → `values`, `prompt`, `a`).
fn param_name(p: &str) -> String {
    let p = p.split(':').next().unwrap_or(p).trim();
    p.trim_start_matches("...")
        .trim_end_matches('?')
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The required parameters of a builtin, from its display signature.
pub fn builtin_params(def: &BuiltinDef) -> Vec<String> {
    let sig = def.signature;
    let inner = sig
        .find('(')
        .and_then(|open| {
            sig.rfind(')')
                .map(|close| &sig[open + 1..close.max(open + 1)])
        })
        .unwrap_or("");
    inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn builtin_item(def: &BuiltinDef, as_method: bool, snippets: bool) -> CompletionItem {
    let mut it = item(
        def.name,
        CompletionItemKind::FUNCTION,
        Some(def.signature.into()),
    );
    it.documentation = Some(Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value: def.doc.to_string(),
    }));
    let params = builtin_params(def);
    let skip = usize::from(as_method);
    let required: Vec<String> = params
        .into_iter()
        .take(def.min_args as usize)
        .skip(skip)
        .collect();
    if required.is_empty() && def.max_args.unwrap_or(u8::MAX) as usize > skip {
        // Optional or variadic arguments only: leave the cursor inside.
        if snippets {
            it.insert_text = Some(format!("{}($1)", def.name));
            it.insert_text_format = Some(InsertTextFormat::SNIPPET);
        }
        return it;
    }
    with_snippet(it, def.name, &required, snippets)
}

fn func_item(sig: &FuncSig, kind: CompletionItemKind, snippets: bool) -> CompletionItem {
    let mut it = item(&sig.name, kind, Some(sig.label()));
    if let Some(doc) = &sig.doc {
        it.documentation = Some(Documentation::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value: doc.clone(),
        }));
    }
    with_snippet(it, &sig.name, sig.call_params(), snippets)
}

fn enum_variants(a: &Analysis, name: &str) -> Vec<CompletionItem> {
    let Some(e) = a.resolution.enum_named(name) else {
        return Vec::new();
    };
    a.index.enums[e as usize]
        .variants
        .iter()
        .map(|(v, _)| {
            item(
                v,
                CompletionItemKind::ENUM_MEMBER,
                Some(format!("{name}::{v}")),
            )
        })
        .collect()
}

fn members(a: &Analysis, receiver: &str, at: u32, snippets: bool) -> Vec<CompletionItem> {
    if let Some(s) = receiver_struct(a, receiver, at) {
        let def = &a.index.structs[s as usize];
        let mut out: Vec<CompletionItem> = def
            .fields
            .iter()
            .map(|f| {
                let detail = f.ty.as_ref().map_or_else(
                    || format!("(field) {}.{}", def.name, f.name),
                    |t| format!("(field) {}.{}: {t}", def.name, f.name),
                );
                item(&f.name, CompletionItemKind::FIELD, Some(detail))
            })
            .collect();
        out.extend(
            def.methods
                .iter()
                .map(|m| func_item(m, CompletionItemKind::METHOD, snippets)),
        );
        return out;
    }
    builtins::REGISTRY
        .iter()
        .filter(|d| d.method)
        .map(|d| {
            let mut it = builtin_item(d, true, snippets);
            it.kind = Some(CompletionItemKind::METHOD);
            it
        })
        .collect()
}

/// The struct held by the variable `name` as seen from `at`.
fn receiver_struct(a: &Analysis, name: &str, at: u32) -> Option<u32> {
    match a.resolution.lookup_at(name, at) {
        Res::Decl(d) => a.index.decl_struct.get(&d).copied(),
        _ => None,
    }
}

fn scope_items(a: &Analysis, at: u32, prefix_start: u32, snippets: bool) -> Vec<CompletionItem> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    // The resolver's answer to "what is visible here" (innermost first,
    // shadowed names once, locals only once declared).
    for v in a.resolution.visible_at(at) {
        match v {
            Visible::Decl(d) => {
                let decl = a.resolution.decl(d);
                // The name being typed right now is not a completion of itself.
                if decl.span.start == prefix_start || !seen.insert(decl.name.clone()) {
                    continue;
                }
                out.push(match a.index.funcs.get(&decl.span.start) {
                    Some(sig) => {
                        let mut it = func_item(sig, CompletionItemKind::FUNCTION, snippets);
                        if decl.kind != BindingKind::Func {
                            it.kind = Some(CompletionItemKind::VARIABLE);
                        }
                        it
                    }
                    None => {
                        let kind = match decl.kind {
                            BindingKind::Let | BindingKind::Const => CompletionItemKind::CONSTANT,
                            _ => CompletionItemKind::VARIABLE,
                        };
                        item(
                            &decl.name,
                            kind,
                            Some(format!("{} {}", kind_word(decl.kind), decl.name)),
                        )
                    }
                });
            }
            Visible::Field { strukt, index } => {
                let def = &a.index.structs[strukt as usize];
                let Some(f) = def.fields.get(index as usize) else {
                    continue;
                };
                if seen.insert(f.name.clone()) {
                    out.push(item(
                        &f.name,
                        CompletionItemKind::FIELD,
                        Some(format!("(field) {}.{}", def.name, f.name)),
                    ));
                }
            }
        }
    }
    for s in &a.index.structs {
        if seen.insert(s.name.clone()) {
            out.push(item(
                &s.name,
                CompletionItemKind::STRUCT,
                Some(format!("struct {}", s.name)),
            ));
        }
    }
    for e in &a.index.enums {
        if seen.insert(e.name.clone()) {
            out.push(item(
                &e.name,
                CompletionItemKind::ENUM,
                Some(format!("enum {}", e.name)),
            ));
        }
    }
    for def in builtins::REGISTRY.iter() {
        if seen.insert(def.name.to_string()) {
            out.push(builtin_item(def, false, snippets));
        }
    }
    for (name, detail) in [
        ("PI", "const PI: float"),
        ("E", "const E: float"),
        ("None", "None: Option"),
        ("Some", "Some(value) -> Option"),
        ("Ok", "Ok(value) -> Result"),
        ("Err", "Err(error) -> Result"),
    ] {
        if seen.insert(name.to_string()) {
            out.push(item(
                name,
                CompletionItemKind::CONSTANT,
                Some(detail.into()),
            ));
        }
    }
    for kw in KEYWORDS {
        if !seen.contains(*kw) {
            out.push(item(kw, CompletionItemKind::KEYWORD, None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{analysis, at};

    fn labels(items: &[CompletionItem]) -> Vec<&str> {
        items.iter().map(|i| i.label.as_str()).collect()
    }

    const SRC: &str = r#"
let top := 1
func outer(a, b) {
    let early := 2
    if a > b {
        let inner := 3
        print(inner)
    }
    // cursor here
    let late := 4
    return early
}
func other(z) { return z }
"#;

    #[test]
    fn locals_visible_at_cursor_only() {
        let a = analysis(SRC);
        let items = complete(&a, at(SRC, "// cursor", 0, 0), true);
        let l = labels(&items);
        for want in ["a", "b", "early", "top", "outer", "other", "print", "push"] {
            assert!(l.contains(&want), "missing {want}: {l:?}");
        }
        for unwanted in ["inner", "late", "z"] {
            assert!(
                !l.contains(&unwanted),
                "{unwanted} must not be visible: {l:?}"
            );
        }
    }

    #[test]
    fn inner_block_sees_its_own_locals() {
        let a = analysis(SRC);
        let items = complete(&a, at(SRC, "print(inner)", 0, 0), true);
        assert!(labels(&items).contains(&"inner"));
    }

    #[test]
    fn snippets_for_builtins_and_user_functions() {
        let a = analysis(SRC);
        let items = complete(&a, at(SRC, "// cursor", 0, 0), true);
        let push = items.iter().find(|i| i.label == "push").unwrap();
        assert_eq!(
            push.insert_text.as_deref(),
            Some("push(${1:array}, ${2:value})")
        );
        assert_eq!(push.insert_text_format, Some(InsertTextFormat::SNIPPET));
        let outer = items.iter().find(|i| i.label == "outer").unwrap();
        assert_eq!(outer.insert_text.as_deref(), Some("outer(${1:a}, ${2:b})"));
        let plain = complete(&a, at(SRC, "// cursor", 0, 0), false);
        assert!(plain.iter().all(|i| i.insert_text.is_none()));
    }

    #[test]
    fn member_completion_on_struct_values() {
        let src = "struct Point {\n    x: float,\n    y: float,\n    func norm2(self) { return self.x }\n}\nlet p := Point { x: 1.0, y: 2.0 }\np.\n";
        let a = analysis(src);
        let items = complete(&a, at(src, "p.\n", 0, 2), true);
        assert_eq!(labels(&items), vec!["x", "y", "norm2"]);
        let m = &items[2];
        assert_eq!(m.insert_text.as_deref(), Some("norm2()"));
        // Inside a method, `self.` is the struct too.
        let inside = complete(&a, at(src, "self.x", 0, 5), true);
        assert_eq!(labels(&inside), vec!["x", "y", "norm2"]);
    }

    #[test]
    fn member_completion_falls_back_to_builtin_methods() {
        let src = "xs := [1, 2]\nxs.\n";
        let a = analysis(src);
        let items = complete(&a, at(src, "xs.\n", 0, 3), true);
        let l = labels(&items);
        assert!(l.contains(&"len") && l.contains(&"push"), "{l:?}");
        assert!(!l.contains(&"print"), "print is not a method");
        let push = items.iter().find(|i| i.label == "push").unwrap();
        assert_eq!(push.insert_text.as_deref(), Some("push(${1:value})"));
    }

    #[test]
    fn enum_variants_after_path() {
        let src = "enum Color { Red, Green }\nc := Color::\n";
        let a = analysis(src);
        let items = complete(&a, at(src, "Color::\n", 0, 7), true);
        assert_eq!(labels(&items), vec!["Red", "Green"]);
    }

    #[test]
    fn nothing_inside_comments_and_strings() {
        let src = "x := \"ab\" # note\n";
        let a = analysis(src);
        assert!(complete(&a, at(src, "ab", 0, 1), true).is_empty());
        assert!(complete(&a, at(src, "note", 0, 2), true).is_empty());
    }
}

#[cfg(test)]
mod typing_tests {
    use super::*;
    use crate::test_support::{analysis, at};

    /// Completion while the statement under the cursor does not parse yet.
    #[test]
    fn half_typed_code_inside_a_function() {
        let src = "struct P { x, y }\nfunc f(arg) {\n    let p := P { x: 1 }\n    p.\n    let later := 2\n}\n";
        let a = analysis(src);
        assert!(!a.diagnostics.is_empty(), "the text has a syntax error");
        let items = complete(&a, at(src, "p.\n", 0, 2), true);
        let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels, vec!["x", "y"]);

        let src = "func f(arg) {\n    let local := 1\n    lo\n}\n";
        let a = analysis(src);
        let items = complete(&a, at(src, "lo\n", 0, 2), true);
        let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
        assert!(
            labels.contains(&"local") && labels.contains(&"arg"),
            "{labels:?}"
        );
    }
}
