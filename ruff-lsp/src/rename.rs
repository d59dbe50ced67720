//! Rename, scope-correct: the edits are exactly the occurrences the resolver
//! bound to the same declaration (`goto::occurrences`), so a shadowing
//! local, a parameter of another function or a same-named field is never
//! touched. Struct, enum and variant names live in one static namespace and
//! rename the same way. Fields and methods are refused: an access through a
//! variable whose struct is not statically known would be missed.

use ruff_core::syntax::Span;

use crate::analysis::Analysis;
use crate::goto::{self, Target};

const KEYWORDS: &[&str] = &[
    "func", "let", "mut", "const", "if", "else", "for", "in", "while", "loop", "return", "break",
    "continue", "match", "case", "try", "except", "throw", "struct", "enum", "true", "false",
    "null", "import", "from", "async", "await", "spawn", "test",
];

/// The span of the renameable name at `offset`, or why it cannot be renamed.
pub fn prepare(a: &Analysis, offset: u32) -> Result<Span, String> {
    let (ident, target) =
        goto::target_at(a, offset).ok_or_else(|| "nothing to rename here".to_string())?;
    match target {
        Target::Field { .. } | Target::Method { .. } => Err(
            "fields and methods cannot be renamed safely: some accesses may go through values whose struct is not known statically"
                .to_string(),
        ),
        _ => Ok(ident.span),
    }
}

/// The spans to replace with `new_name`.
pub fn rename(a: &Analysis, offset: u32, new_name: &str) -> Result<Vec<Span>, String> {
    prepare(a, offset)?;
    if !is_identifier(new_name) {
        return Err(format!("`{new_name}` is not a valid identifier"));
    }
    if KEYWORDS.contains(&new_name) {
        return Err(format!("`{new_name}` is a keyword"));
    }
    let (_, target) = goto::target_at(a, offset).ok_or("nothing to rename here")?;
    if let Target::Decl(id) = target {
        let decl = a.resolution.decl(id);
        let scope = if decl.global {
            0
        } else {
            a.resolution.scope_at(decl.span.start)
        };
        let clash = a.resolution.scopes[scope as usize]
            .decls
            .iter()
            .any(|&other| other != id && a.resolution.decl(other).name == new_name);
        if clash {
            return Err(format!(
                "`{new_name}` is already declared in the same scope"
            ));
        }
    }
    Ok(goto::occurrences(a, &target))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{analysis, at};

    const SRC: &str = r#"
mut count := 0
func bump(count) {
    count = count + 1
    return count
}
func total(xs) {
    mut count := 0
    for x in xs {
        count += x
    }
    return count
}
count = bump(count)
let f := func() { return count }
"#;

    fn starts(spans: &[Span]) -> Vec<u32> {
        spans.iter().map(|s| s.start).collect()
    }

    #[test]
    fn global_rename_skips_shadowing_params_and_locals() {
        let a = analysis(SRC);
        assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
        let spans = rename(&a, at(SRC, "count", 0, 1), "n").unwrap();
        // The declaration, `count = bump(count)` (twice) and the closure's use.
        assert_eq!(
            starts(&spans),
            vec![
                at(SRC, "count", 0, 0),
                at(SRC, "count = bump", 0, 0),
                at(SRC, "bump(count)", 1, 5),
                at(SRC, "return count }", 0, 7),
            ]
        );
    }

    #[test]
    fn parameter_rename_stays_in_its_function() {
        let a = analysis(SRC);
        let spans = rename(&a, at(SRC, "count = count", 0, 0), "c").unwrap();
        assert_eq!(spans.len(), 4, "param, assign target, read, return");
        assert!(
            spans
                .iter()
                .all(|s| s.start > at(SRC, "func bump", 0, 0)
                    && s.start < at(SRC, "func total", 0, 0))
        );
    }

    #[test]
    fn local_rename_inside_loop_body() {
        let a = analysis(SRC);
        let spans = rename(&a, at(SRC, "count += x", 0, 0), "acc").unwrap();
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[0].start, at(SRC, "mut count := 0", 1, 4));
    }

    #[test]
    fn refuses_bad_names_builtins_and_clashes() {
        let a = analysis(SRC);
        let decl = at(SRC, "count", 0, 0);
        assert!(rename(&a, decl, "1x").is_err());
        assert!(rename(&a, decl, "while").is_err());
        assert!(rename(&a, decl, "bump").is_err(), "clashes with a global");
        let src = "print(1)\n";
        let b = analysis(src);
        assert!(prepare(&b, 1).is_err(), "builtins cannot be renamed");
    }

    #[test]
    fn struct_names_rename_everywhere() {
        let src = "struct P { x }\nfunc mk() -> P { return P { x: 1 } }\nlet p := P { x: 2 }\n";
        let a = analysis(src);
        let spans = rename(&a, at(src, "P", 0, 0), "Point").unwrap();
        assert_eq!(spans.len(), 4);
        assert!(
            prepare(&a, at(src, "x }", 0, 0)).is_err(),
            "fields are refused"
        );
    }
}
