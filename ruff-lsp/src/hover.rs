//! Hover: what the name under the cursor is. Function signatures with their
//! `///` docs, builtin docs from ruff-core's registry, struct fields and
//! methods, enum variants, and the kind of a variable (let/mut/const).

use ruff_core::compiler::resolve::{BindingKind, Res};
use ruff_core::runtime::builtins;
use tower_lsp_server::ls_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use crate::analysis::Analysis;
use crate::index::{kind_word, FuncSig, Role};
use crate::insight_view::{self, Measured};
use crate::positions;

/// `hover`, plus what the last run with JIT insight measured here: the
/// story of the function or loop whose header is on this line, and the
/// kinds of values observed at run time for the variable under the cursor.
pub fn hover_with_run(a: &Analysis, offset: u32, measured: Option<&Measured>) -> Option<Hover> {
    let base = hover(a, offset);
    let Some(m) = measured else {
        return base;
    };
    let mut extra = Vec::new();
    if let Some(kinds) = observed_types(a, offset, m) {
        extra.push(format!(
            "**Observed at run time:** {} (the interpreter's type feedback at this variable's reads in the last run with JIT insight; reads in native code are not counted)",
            observed_text(&kinds)
        ));
    }
    if let Some(story) = insight_view::story_at_line(a, Some(m), a.lines.line0(offset)) {
        extra.push(format!("**JIT, last run:** {story}"));
    }
    if extra.is_empty() {
        return base;
    }
    let extra = extra.join("\n\n");
    Some(match base {
        Some(mut h) => {
            if let HoverContents::Markup(mc) = &mut h.contents {
                mc.value = format!("{}\n\n---\n{extra}", mc.value);
            }
            h
        }
        None => Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: extra,
            }),
            range: None,
        },
    })
}

/// `int in 100% of 2,000,000 interpreted executions`, or the kinds alone
/// when the telemetry has no counts.
pub fn observed_text(kinds: &[(String, Option<u64>)]) -> String {
    let total: Option<u64> = kinds.iter().map(|(_, c)| *c).sum();
    match total {
        Some(total) if total > 0 => {
            let parts: Vec<String> = kinds
                .iter()
                .map(|(t, c)| format!("{t} in {}", percent(c.unwrap_or(0), total)))
                .collect();
            format!(
                "{} of {} interpreted executions",
                parts.join(", "),
                crate::telemetry::thousands(total)
            )
        }
        _ => kinds
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn percent(n: u64, total: u64) -> String {
    if n == total {
        return "100%".into();
    }
    let p = n as f64 * 100.0 / total as f64;
    if p < 0.1 {
        "<0.1%".into()
    } else if p > 99.9 {
        ">99.9%".into()
    } else {
        format!("{p:.1}%")
    }
}

/// The kinds observed at the reads of the declaration the identifier at
/// `offset` refers to, each with its count summed over those reads (`None`
/// when the telemetry has no counts).
fn observed_types(a: &Analysis, offset: u32, m: &Measured) -> Option<Vec<(String, Option<u64>)>> {
    let ident = a.index.ident_at(offset)?;
    let Some(Res::Decl(d)) = a.resolution.uses.get(&ident.span.start).copied() else {
        return None;
    };
    let mut types: Vec<(String, Option<u64>)> = Vec::new();
    for o in &m.telemetry.observed {
        let refers = matches!(a.resolution.uses.get(&o.span.start), Some(Res::Decl(x)) if *x == d)
            && a.index
                .ident_at(o.span.start)
                .is_some_and(|i| i.span == o.span);
        if refers {
            for (i, t) in o.types.iter().enumerate() {
                let n = o.counts.get(i).copied();
                match types.iter_mut().find(|(x, _)| x == t) {
                    Some((_, c)) => *c = c.zip(n).map(|(a, b)| a + b),
                    None => types.push((t.clone(), n)),
                }
            }
        }
    }
    (!types.is_empty()).then_some(types)
}

pub fn hover(a: &Analysis, offset: u32) -> Option<Hover> {
    let ident = a.index.ident_at(offset)?;
    let name = a.slice(ident.span);
    let markdown = match ident.role {
        Role::Name => name_hover(a, ident.span.start, name)?,
        Role::Member { receiver, call } => match a.index.receiver_struct(&a.resolution, receiver) {
            Some(s) => member_hover(a, s, name)?,
            None if call => builtin_hover(builtins::lookup_method(name)?),
            None => return None,
        },
        Role::StructName(s) => struct_hover(a, s?),
        Role::EnumName(e) => enum_hover(a, e?),
        Role::Variant { enum_id } => match enum_id {
            Some(e) => code(&format!("{}::{name}", a.index.enums[e as usize].name)),
            None => constructor_hover(name)?,
        },
        Role::FieldDecl { strukt }
        | Role::LitField {
            strukt: Some(strukt),
        } => member_hover(a, strukt, name)?,
        Role::LitField { strukt: None } => return None,
        Role::MethodDecl { strukt } => member_hover(a, strukt, name)?,
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(positions::range(&a.text, &a.lines, ident.span)),
    })
}

fn code(s: &str) -> String {
    format!("```ruff\n{s}\n```")
}

fn with_doc(sig: String, doc: Option<&str>) -> String {
    match doc {
        Some(d) if !d.trim().is_empty() => format!("{}\n\n---\n{}", code(&sig), d.trim()),
        _ => code(&sig),
    }
}

fn func_hover(sig: &FuncSig) -> String {
    with_doc(sig.label(), sig.doc.as_deref())
}

fn name_hover(a: &Analysis, start: u32, name: &str) -> Option<String> {
    match *a.resolution.uses.get(&start)? {
        Res::Decl(id) => {
            let decl = a.resolution.decl(id);
            if let Some(sig) = a.index.funcs.get(&decl.span.start) {
                if decl.kind == BindingKind::Func {
                    return Some(func_hover(sig));
                }
                let text = format!(
                    "{} {}: {}",
                    kind_word(decl.kind),
                    decl.name,
                    sig.label()
                        .replacen(&format!("func {}", sig.name), "func", 1)
                );
                return Some(with_doc(text, sig.doc.as_deref()));
            }
            let word = kind_word(decl.kind);
            let mut text = match decl.kind {
                BindingKind::Let | BindingKind::Mut | BindingKind::Const => {
                    format!("{word} {}", decl.name)
                }
                BindingKind::Walrus => format!("mut {}", decl.name),
                _ => format!("({word}) {}", decl.name),
            };
            if let Some(&s) = a.index.decl_struct.get(&id) {
                text.push_str(": ");
                text.push_str(&a.index.structs[s as usize].name);
            }
            let scope = if decl.global { "global" } else { "local" };
            let captured = if decl.captured {
                ", captured by a closure"
            } else {
                ""
            };
            Some(format!("{}\n\n{scope}{captured}", code(&text)))
        }
        Res::Builtin(b) => Some(builtin_hover(b)),
        Res::Constant => Some(match name {
            "PI" => code("const PI: float = 3.141592653589793"),
            "E" => code("const E: float = 2.718281828459045"),
            _ => constructor_hover(name)?,
        }),
        Res::Field { strukt, .. } => member_hover(a, strukt, name),
        Res::Undefined => None,
    }
}

fn builtin_hover(id: u16) -> String {
    let def = builtins::def(id);
    let method = if def.method {
        format!("\n\nAlso callable as a method: `x.{}(...)`", def.name)
    } else {
        String::new()
    };
    format!(
        "{}\n\n---\n{}{method}\n\n*builtin*",
        code(def.signature),
        def.doc
    )
}

fn constructor_hover(name: &str) -> Option<String> {
    let (sig, doc) = match name {
        "Ok" => ("Ok(value) -> Result", "A successful `Result`."),
        "Err" => ("Err(error) -> Result", "A failed `Result`."),
        "Some" => ("Some(value) -> Option", "An `Option` holding a value."),
        "None" => ("None: Option", "The empty `Option`."),
        _ => return None,
    };
    Some(format!("{}\n\n---\n{doc}", code(sig)))
}

fn member_hover(a: &Analysis, strukt: u32, name: &str) -> Option<String> {
    let s = a.index.structs.get(strukt as usize)?;
    if let Some(f) = s.fields.iter().find(|f| f.name == name) {
        let ty = f.ty.as_deref().map_or(String::new(), |t| format!(": {t}"));
        return Some(code(&format!("(field) {}.{}{ty}", s.name, f.name)));
    }
    let m = s.methods.iter().find(|m| m.name == name)?;
    let sig = format!("{}.{}", s.name, m.label().trim_start_matches("func "));
    Some(with_doc(format!("func {sig}"), m.doc.as_deref()))
}

fn struct_hover(a: &Analysis, strukt: u32) -> String {
    let s = &a.index.structs[strukt as usize];
    let mut text = format!("struct {} {{\n", s.name);
    for f in &s.fields {
        match &f.ty {
            Some(t) => text.push_str(&format!("    {}: {t},\n", f.name)),
            None => text.push_str(&format!("    {},\n", f.name)),
        }
    }
    for m in &s.methods {
        text.push_str(&format!("    {}\n", m.label()));
    }
    text.push('}');
    with_doc(text, s.doc.as_deref())
}

fn enum_hover(a: &Analysis, e: u32) -> String {
    let en = &a.index.enums[e as usize];
    let variants: Vec<&str> = en.variants.iter().map(|(v, _)| v.as_str()).collect();
    with_doc(
        format!("enum {} {{ {} }}", en.name, variants.join(", ")),
        en.doc.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_text_gives_shares_of_the_count() {
        let k = |t: &str, n: Option<u64>| (t.to_string(), n);
        assert_eq!(
            observed_text(&[k("int", Some(2_000_000))]),
            "int in 100% of 2,000,000 interpreted executions"
        );
        assert_eq!(
            observed_text(&[k("int", Some(3)), k("float", Some(1))]),
            "int in 75.0%, float in 25.0% of 4 interpreted executions"
        );
        assert_eq!(
            observed_text(&[k("int", None), k("null", None)]),
            "int, null"
        );
    }
    use crate::test_support::{analysis, at};

    fn text(a: &Analysis, offset: u32) -> String {
        match hover(a, offset).map(|h| h.contents) {
            Some(HoverContents::Markup(m)) => m.value,
            other => panic!("no markdown hover: {other:?}"),
        }
    }

    const SRC: &str = r#"
/// Adds two numbers.
/// Really.
func add(a: int, b: int) -> int { return a + b }
struct Point { x: float, y, func norm2(self) { return x * x } }
enum Shape { Circle, Square }
let l := 1
mut m := 2
const C := 3
w := 4
p := Point { x: 1.0, y: 2.0 }
print(add(l, m), C, w, p.x, p.norm2(), Shape::Circle, PI, len([1]))
"#;

    #[test]
    fn functions_show_signature_and_doc() {
        let a = analysis(SRC);
        let t = text(&a, at(SRC, "add(l", 0, 1));
        assert!(t.contains("func add(a: int, b: int) -> int"), "{t}");
        assert!(t.contains("Adds two numbers.\nReally."), "{t}");
    }

    #[test]
    fn variables_show_their_kind() {
        let a = analysis(SRC);
        assert!(text(&a, at(SRC, "l, m", 0, 0)).contains("let l"));
        assert!(text(&a, at(SRC, "m)", 0, 0)).contains("mut m"));
        assert!(text(&a, at(SRC, "C, w", 0, 0)).contains("const C"));
        assert!(text(&a, at(SRC, "w, p", 0, 0)).contains("mut w"));
        assert!(text(&a, at(SRC, "p.x", 0, 0)).contains("mut p: Point"));
        assert!(text(&a, at(SRC, "a + b", 0, 0)).contains("(parameter) a"));
    }

    #[test]
    fn builtins_structs_fields_and_enums() {
        let a = analysis(SRC);
        let t = text(&a, at(SRC, "print", 0, 2));
        assert!(t.contains("print(") && t.contains("builtin"), "{t}");
        let t = text(&a, at(SRC, "len(", 0, 0));
        assert!(t.contains("method"), "{t}");
        let t = text(&a, at(SRC, "Point {", 1, 0));
        assert!(
            t.contains("struct Point {\n    x: float,\n    y,\n    func norm2(self)\n}"),
            "{t}"
        );
        assert!(text(&a, at(SRC, "p.x", 0, 2)).contains("(field) Point.x: float"));
        assert!(text(&a, at(SRC, "norm2()", 0, 0)).contains("func Point.norm2(self)"));
        assert!(text(&a, at(SRC, "x * x", 0, 0)).contains("(field) Point.x"));
        assert!(text(&a, at(SRC, "Shape::", 0, 0)).contains("enum Shape { Circle, Square }"));
        assert!(text(&a, at(SRC, "Circle,", 1, 0)).contains("Shape::Circle"));
        assert!(text(&a, at(SRC, "PI", 0, 0)).contains("const PI"));
    }

    #[test]
    fn nothing_on_whitespace_or_out_of_range() {
        let a = analysis(SRC);
        assert!(hover(&a, 0).is_none());
        assert!(hover(&a, 99_999).is_none());
    }
}
