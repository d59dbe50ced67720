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
        let scope = a.index.scope_at(decl.span.start);
        let clash = a.index.scopes[scope as usize]
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
