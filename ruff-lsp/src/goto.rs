//! Go to definition and find references. Both start from `target_at`: what
//! the identifier under the cursor denotes, as decided by the resolver (a
//! declaration id) or by the static struct/enum namespace, never by
//! matching text.

use ruff_core::compiler::resolve::{DeclId, Res};
use ruff_core::syntax::Span;

use crate::analysis::Analysis;
use crate::index::{IdentRef, Role};

/// A thing that can be defined and referenced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Decl(DeclId),
    Field { strukt: u32, name: String },
    Method { strukt: u32, name: String },
    Struct(u32),
    Enum(u32),
    Variant { enum_id: u32, name: String },
}

pub fn target_at(a: &Analysis, offset: u32) -> Option<(IdentRef, Target)> {
    let ident = a.index.ident_at(offset)?;
    let name = a.slice(ident.span).to_string();
    let target = match ident.role {
        Role::Name => match *a.resolution.uses.get(&ident.span.start)? {
            Res::Decl(id) => Target::Decl(id),
            Res::Field { strukt, index } => Target::Field {
                strukt,
                name: a.resolution.structs[strukt as usize].fields[index as usize].clone(),
            },
            Res::Builtin(_) | Res::Constant | Res::Undefined => return None,
        },
        Role::Member { receiver, .. } => {
            let strukt = a.index.receiver_struct(&a.resolution, receiver)?;
            member_target(a, strukt, name)?
        }
        Role::StructName(s) => Target::Struct(s?),
        Role::EnumName(e) => Target::Enum(e?),
        Role::Variant { enum_id } => Target::Variant {
            enum_id: enum_id?,
            name,
        },
        Role::FieldDecl { strukt } => Target::Field { strukt, name },
        Role::LitField { strukt } => Target::Field {
            strukt: strukt?,
            name,
        },
        Role::MethodDecl { strukt } => Target::Method { strukt, name },
    };
    Some((ident, target))
}

fn member_target(a: &Analysis, strukt: u32, name: String) -> Option<Target> {
    let s = a.index.structs.get(strukt as usize)?;
    if s.fields.iter().any(|f| f.name == name) {
        Some(Target::Field { strukt, name })
    } else if s.methods.iter().any(|m| m.name == name) {
        Some(Target::Method { strukt, name })
    } else {
        None
    }
}

/// Where a target is declared.
pub fn definition(a: &Analysis, target: &Target) -> Option<Span> {
    match target {
        Target::Decl(id) => Some(a.resolution.decl(*id).span),
        Target::Field { strukt, name } => a.index.structs[*strukt as usize]
            .fields
            .iter()
            .find(|f| &f.name == name)
            .map(|f| f.span),
        Target::Method { strukt, name } => a.index.structs[*strukt as usize]
            .methods
            .iter()
            .find(|m| &m.name == name)
            .map(|m| m.name_span),
        Target::Struct(s) => Some(a.index.structs[*s as usize].name_span),
        Target::Enum(e) => Some(a.index.enums[*e as usize].name_span),
        Target::Variant { enum_id, name } => a.index.enums[*enum_id as usize]
            .variants
            .iter()
            .find(|(v, _)| v == name)
            .map(|(_, s)| *s),
    }
}

/// Every occurrence of a target, declaration included, in source order.
pub fn occurrences(a: &Analysis, target: &Target) -> Vec<Span> {
    a.index
        .idents
        .iter()
        .filter(|ident| refers_to(a, ident, target))
        .map(|ident| ident.span)
        .collect()
}

fn refers_to(a: &Analysis, ident: &IdentRef, target: &Target) -> bool {
    let name = || a.slice(ident.span);
    match (ident.role, target) {
        (Role::Name, Target::Decl(id)) => {
            a.resolution.uses.get(&ident.span.start) == Some(&Res::Decl(*id))
        }
        (Role::Name, Target::Field { strukt, name: n }) => matches!(
            a.resolution.uses.get(&ident.span.start),
            Some(Res::Field { strukt: s, index })
                if s == strukt && a.resolution.structs[*s as usize].fields[*index as usize] == *n
        ),
        (Role::Member { receiver, .. }, Target::Field { strukt, name: n })
        | (Role::Member { receiver, .. }, Target::Method { strukt, name: n }) => {
            a.index.receiver_struct(&a.resolution, receiver) == Some(*strukt) && name() == n
        }
        (Role::FieldDecl { strukt: s }, Target::Field { strukt, name: n })
        | (Role::LitField { strukt: Some(s) }, Target::Field { strukt, name: n })
        | (Role::MethodDecl { strukt: s }, Target::Method { strukt, name: n }) => {
            s == *strukt && name() == n
        }
        (Role::StructName(Some(s)), Target::Struct(t)) => s == *t,
        (Role::EnumName(Some(e)), Target::Enum(t)) => e == *t,
        (Role::Variant { enum_id: Some(e) }, Target::Variant { enum_id, name: n }) => {
            e == *enum_id && name() == n
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{analysis, at, texts};

    const SRC: &str = r#"
struct Point { x, y, func sum(self) { return self.x + y } }
enum E { A, B }
func f(n) { return n }
p := Point { x: 1, y: 2 }
q := p
print(f(p.x), p.sum(), E::A, q.x)
"#;

    fn def(a: &Analysis, offset: u32) -> Option<u32> {
        let (_, t) = target_at(a, offset)?;
        definition(a, &t).map(|s| s.start)
    }

    #[test]
    fn definitions() {
        let a = analysis(SRC);
        assert_eq!(def(&a, at(SRC, "f(p", 0, 0)), Some(at(SRC, "f(n", 0, 0)));
        assert_eq!(def(&a, at(SRC, "n }", 0, 0)), Some(at(SRC, "n)", 0, 0)));
        assert_eq!(def(&a, at(SRC, "p.x", 0, 2)), Some(at(SRC, "x,", 0, 0)));
        assert_eq!(
            def(&a, at(SRC, "sum()", 0, 0)),
            Some(at(SRC, "sum(self", 0, 0))
        );
        assert_eq!(def(&a, at(SRC, "y }", 0, 0)), Some(at(SRC, "y,", 0, 0)));
        assert_eq!(def(&a, at(SRC, "E::A", 0, 3)), Some(at(SRC, "A,", 0, 0)));
        assert_eq!(
            def(&a, at(SRC, "Point {", 1, 0)),
            Some(at(SRC, "Point", 0, 0))
        );
        assert_eq!(
            def(&a, at(SRC, "print", 0, 0)),
            None,
            "builtins have no source"
        );
        assert_eq!(
            def(&a, at(SRC, "q.x", 0, 2)),
            None,
            "q's struct is not known"
        );
    }

    #[test]
    fn references_of_a_variable_and_a_field() {
        let a = analysis(SRC);
        let (_, t) = target_at(&a, at(SRC, "p :=", 0, 0)).unwrap();
        assert_eq!(occurrences(&a, &t).len(), 4);
        let (_, t) = target_at(&a, at(SRC, "x,", 0, 0)).unwrap();
        let occ = occurrences(&a, &t);
        assert_eq!(texts(SRC, &occ), vec!["x", "x", "x", "x"]);
        assert_eq!(occ.len(), 4, "decl, self.x, literal, p.x (not q.x)");
    }
}
