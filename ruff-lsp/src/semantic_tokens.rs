//! Semantic tokens (full document). Keywords, literals and comments are left
//! to the TextMate grammar; these tokens add what only the resolver knows:
//! which names are functions, parameters, immutable (`readonly`) or mutable
//! variables, builtins (`defaultLibrary`), structs, enums and their members,
//! fields (`property`) and methods.

use ruff_core::compiler::resolve::{BindingKind, Res};
use tower_lsp_server::ls_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend,
};

use crate::analysis::Analysis;
use crate::index::Role;
use crate::positions;

const FUNCTION: u32 = 0;
const PARAMETER: u32 = 1;
const VARIABLE: u32 = 2;
const STRUCT: u32 = 3;
const ENUM: u32 = 4;
const ENUM_MEMBER: u32 = 5;
const PROPERTY: u32 = 6;
const METHOD: u32 = 7;

const DECLARATION: u32 = 1 << 0;
const READONLY: u32 = 1 << 1;
const DEFAULT_LIBRARY: u32 = 1 << 2;

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: vec![
            SemanticTokenType::FUNCTION,
            SemanticTokenType::PARAMETER,
            SemanticTokenType::VARIABLE,
            SemanticTokenType::STRUCT,
            SemanticTokenType::ENUM,
            SemanticTokenType::ENUM_MEMBER,
            SemanticTokenType::PROPERTY,
            SemanticTokenType::METHOD,
        ],
        token_modifiers: vec![
            SemanticTokenModifier::DECLARATION,
            SemanticTokenModifier::READONLY,
            SemanticTokenModifier::DEFAULT_LIBRARY,
        ],
    }
}

/// (type, modifiers) of one identifier, or `None` to leave it to the grammar.
fn classify(a: &Analysis, start: u32, role: Role) -> Option<(u32, u32)> {
    Some(match role {
        Role::Name => match *a.resolution.uses.get(&start)? {
            Res::Decl(id) => {
                let decl = a.resolution.decl(id);
                let decl_mod = if decl.span.start == start {
                    DECLARATION
                } else {
                    0
                };
                let readonly = if decl.kind.is_mutable() { 0 } else { READONLY };
                let ty = match decl.kind {
                    BindingKind::Func => FUNCTION,
                    BindingKind::Param | BindingKind::SelfParam => PARAMETER,
                    _ if a.index.funcs.contains_key(&decl.span.start) => FUNCTION,
                    _ => VARIABLE,
                };
                (ty, decl_mod | readonly)
            }
            Res::Builtin(_) => (FUNCTION, DEFAULT_LIBRARY),
            Res::Constant => {
                if a.slice(ruff_core::syntax::Span::new(start, start + 4)) == "None" {
                    (ENUM_MEMBER, DEFAULT_LIBRARY)
                } else {
                    (VARIABLE, READONLY | DEFAULT_LIBRARY)
                }
            }
            Res::Field { .. } => (PROPERTY, 0),
            Res::Undefined => return None,
        },
        Role::Member { call: true, .. } => (METHOD, 0),
        Role::Member { call: false, .. } => (PROPERTY, 0),
        Role::StructName(s) => {
            let decl = s.is_some_and(|s| a.index.structs[s as usize].name_span.start == start);
            (STRUCT, if decl { DECLARATION } else { 0 })
        }
        Role::EnumName(e) => {
            let decl = e.is_some_and(|e| a.index.enums[e as usize].name_span.start == start);
            (ENUM, if decl { DECLARATION } else { 0 })
        }
        Role::Variant { enum_id: None } => (ENUM_MEMBER, DEFAULT_LIBRARY),
        Role::Variant { .. } => (ENUM_MEMBER, 0),
        Role::FieldDecl { .. } => (PROPERTY, DECLARATION),
        Role::LitField { .. } => (PROPERTY, 0),
        Role::MethodDecl { .. } => (METHOD, DECLARATION),
    })
}

pub fn tokens(a: &Analysis) -> Vec<SemanticToken> {
    tokens_in(a, None)
}

/// The tokens of the identifiers that start inside `range` (all, for
/// `None`), relative to each other as the protocol encodes them.
pub fn tokens_in(a: &Analysis, range: Option<ruff_core::syntax::Span>) -> Vec<SemanticToken> {
    let idents = match range {
        Some(r) => {
            let lo = a.index.idents.partition_point(|i| i.span.start < r.start);
            let hi = a.index.idents.partition_point(|i| i.span.start < r.end);
            &a.index.idents[lo..hi.max(lo)]
        }
        None => &a.index.idents[..],
    };
    let mut out = Vec::with_capacity(idents.len());
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for ident in idents {
        let Some((ty, mods)) = classify(a, ident.span.start, ident.role) else {
            continue;
        };
        let start = positions::position(&a.text, &a.lines, ident.span.start);
        let end = positions::position(&a.text, &a.lines, ident.span.end);
        if end.line != start.line || end.character <= start.character {
            continue; // identifiers are single-line; skip anything odd
        }
        let delta_line = start.line - prev_line;
        let delta_start = if delta_line == 0 {
            start.character - prev_col
        } else {
            start.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type: ty,
            token_modifiers_bitset: mods,
        });
        prev_line = start.line;
        prev_col = start.character;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    /// Decode to (line, col, len, type, mods).
    fn decode(tokens: &[SemanticToken]) -> Vec<(u32, u32, u32, u32, u32)> {
        let (mut line, mut col) = (0, 0);
        tokens
            .iter()
            .map(|t| {
                line += t.delta_line;
                col = if t.delta_line == 0 {
                    col + t.delta_start
                } else {
                    t.delta_start
                };
                (line, col, t.length, t.token_type, t.token_modifiers_bitset)
            })
            .collect()
    }

    #[test]
    fn classifies_names() {
        let src = "let k := 1\nfunc f(p) { mut v := p + k; return v }\nstruct S { a, func m(self) { return a } }\ns := S { a: 1 }\nprint(f(2), s.a, s.m(), \"😀\", k)\n";
        let a = analysis(src);
        let toks = decode(&tokens(&a));
        let find = |line: u32, col: u32| {
            toks.iter()
                .find(|t| t.0 == line && t.1 == col)
                .map(|t| (t.3, t.4))
                .unwrap_or_else(|| panic!("no token at {line}:{col}: {toks:?}"))
        };
        assert_eq!(find(0, 4), (VARIABLE, DECLARATION | READONLY));
        assert_eq!(find(1, 5), (FUNCTION, DECLARATION));
        assert_eq!(find(1, 7), (PARAMETER, DECLARATION));
        assert_eq!(find(1, 16), (VARIABLE, DECLARATION));
        assert_eq!(find(1, 25), (VARIABLE, READONLY));
        assert_eq!(find(2, 7), (STRUCT, DECLARATION));
        assert_eq!(find(2, 11), (PROPERTY, DECLARATION));
        assert_eq!(find(2, 19), (METHOD, DECLARATION));
        assert_eq!(find(2, 36), (PROPERTY, 0), "bare field in a method");
        assert_eq!(find(4, 0), (FUNCTION, DEFAULT_LIBRARY));
        assert_eq!(find(4, 14), (PROPERTY, 0));
        assert_eq!(find(4, 19), (METHOD, 0));
        // The emoji is two UTF-16 units: `k` after `"😀", ` is at column 30.
        assert_eq!(find(4, 30), (VARIABLE, READONLY));

        // A range gives the same tokens for the lines it covers.
        let line1 = ruff_core::syntax::Span::new(11, src.find("struct").unwrap() as u32);
        let ranged = decode(&tokens_in(&a, Some(line1)));
        let full_line1: Vec<_> = toks.iter().filter(|t| t.0 == 1).copied().collect();
        assert_eq!(ranged, full_line1);
    }
}
