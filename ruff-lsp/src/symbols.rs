//! Document symbols (the outline): functions (with nested functions),
//! structs with their fields and methods, enums with their variants, and
//! top-level variables.

use ruff_core::compiler::resolve::pattern_names;
use ruff_core::syntax::ast::*;
use ruff_core::syntax::Span;
use tower_lsp_server::ls_types::{DocumentSymbol, SymbolKind};

use crate::analysis::Analysis;
use crate::index::FuncSig;
use crate::positions;

pub fn document_symbols(a: &Analysis) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for stmt in &a.program.stmts {
        match &stmt.kind {
            StmtKind::Func(f) => out.extend(func_symbol(a, f, stmt.span)),
            StmtKind::Struct(s) => out.push(struct_symbol(a, s, stmt.span)),
            StmtKind::Enum(e) => {
                let children = e
                    .variants
                    .iter()
                    .map(|v| {
                        symbol(
                            a,
                            &v.name,
                            SymbolKind::ENUM_MEMBER,
                            None,
                            v.span,
                            v.span,
                            None,
                        )
                    })
                    .collect();
                out.push(symbol(
                    a,
                    &e.name.name,
                    SymbolKind::ENUM,
                    None,
                    stmt.span,
                    e.name.span,
                    Some(children),
                ));
            }
            StmtKind::Decl { kind, pattern, .. } => {
                let sk = if *kind == DeclKind::Const {
                    SymbolKind::CONSTANT
                } else {
                    SymbolKind::VARIABLE
                };
                let word = match kind {
                    DeclKind::Let => "let",
                    DeclKind::Mut => "mut",
                    DeclKind::Const => "const",
                };
                for id in pattern_names(pattern) {
                    out.push(symbol(
                        a,
                        &id.name,
                        sk,
                        Some(word.into()),
                        stmt.span,
                        id.span,
                        None,
                    ));
                }
            }
            StmtKind::Assign {
                target,
                op: AssignOp::Walrus,
                ..
            } => {
                // Only the assignment that declares the global, not updates.
                if let ExprKind::Ident(id) = &target.kind {
                    if a.resolution.decl_at.contains_key(&id.span.start) {
                        out.push(symbol(
                            a,
                            &id.name,
                            SymbolKind::VARIABLE,
                            Some("mut".into()),
                            stmt.span,
                            id.span,
                            None,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn func_symbol(a: &Analysis, f: &FuncDecl, span: Span) -> Option<DocumentSymbol> {
    let name = f.name.as_ref()?;
    let detail = a.index.funcs.get(&name.span.start).map(FuncSig::label);
    let children: Vec<DocumentSymbol> = f
        .body
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Func(inner) => func_symbol(a, inner, s.span),
            _ => None,
        })
        .collect();
    Some(symbol(
        a,
        &name.name,
        SymbolKind::FUNCTION,
        detail,
        span,
        name.span,
        (!children.is_empty()).then_some(children),
    ))
}

fn struct_symbol(a: &Analysis, s: &StructDecl, span: Span) -> DocumentSymbol {
    let mut children: Vec<DocumentSymbol> = s
        .fields
        .iter()
        .map(|f| {
            let detail = f.ty.as_ref().map(|t| t.text.clone());
            let end = f
                .default
                .as_ref()
                .map_or(f.name.span, |d| f.name.span.to(d.span));
            symbol(
                a,
                &f.name.name,
                SymbolKind::FIELD,
                detail,
                end,
                f.name.span,
                None,
            )
        })
        .collect();
    for m in &s.methods {
        if let Some(name) = &m.name {
            let detail = a.index.funcs.get(&name.span.start).map(FuncSig::label);
            children.push(symbol(
                a,
                &name.name,
                SymbolKind::METHOD,
                detail,
                m.span,
                name.span,
                None,
            ));
        }
    }
    symbol(
        a,
        &s.name.name,
        SymbolKind::STRUCT,
        None,
        span,
        s.name.span,
        Some(children),
    )
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be filled in.
fn symbol(
    a: &Analysis,
    name: &str,
    kind: SymbolKind,
    detail: Option<String>,
    span: Span,
    selection: Span,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    // The selection range must lie inside the full range.
    let span = span.to(selection);
    DocumentSymbol {
        name: if name.is_empty() {
            "?".into()
        } else {
            name.into()
        },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: positions::range(&a.text, &a.lines, span),
        selection_range: positions::range(&a.text, &a.lines, selection),
        children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    #[test]
    fn outline_of_a_file() {
        let src = r#"
/// A point.
struct Point {
    x: float,
    y: float = 0.0,
    func norm2(self) { return self.x * self.x }
}
enum Shape { Circle, Square }
const LIMIT := 10
mut total := 0
counter := 1
counter := 2
func main() {
    func helper() { return 1 }
    let local := helper()
}
"#;
        let a = analysis(src);
        let syms = document_symbols(&a);
        let names: Vec<(&str, SymbolKind)> =
            syms.iter().map(|s| (s.name.as_str(), s.kind)).collect();
        assert_eq!(
            names,
            vec![
                ("Point", SymbolKind::STRUCT),
                ("Shape", SymbolKind::ENUM),
                ("LIMIT", SymbolKind::CONSTANT),
                ("total", SymbolKind::VARIABLE),
                ("counter", SymbolKind::VARIABLE),
                ("main", SymbolKind::FUNCTION),
            ]
        );
        let point: Vec<(&str, SymbolKind)> = syms[0]
            .children
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| (s.name.as_str(), s.kind))
            .collect();
        assert_eq!(
            point,
            vec![
                ("x", SymbolKind::FIELD),
                ("y", SymbolKind::FIELD),
                ("norm2", SymbolKind::METHOD)
            ]
        );
        assert_eq!(syms[1].children.as_ref().unwrap().len(), 2);
        let main = &syms[5];
        assert_eq!(main.detail.as_deref(), Some("func main()"));
        assert_eq!(main.children.as_ref().unwrap()[0].name, "helper");
        // Selection ranges sit inside full ranges.
        for s in &syms {
            assert!(
                s.range.start <= s.selection_range.start && s.selection_range.end <= s.range.end
            );
        }
    }
}
