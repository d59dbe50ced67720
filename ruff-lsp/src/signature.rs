//! Signature help: the call whose parentheses enclose the cursor (found in
//! the text, since an unfinished call does not parse), its signature (user
//! function, struct method or builtin) and the active parameter (commas at
//! the call's own nesting level).

use ruff_core::compiler::resolve::Res;
use ruff_core::runtime::builtins::{self, BuiltinDef};
use tower_lsp_server::ls_types::{
    Documentation, MarkupContent, MarkupKind, ParameterInformation, ParameterLabel, SignatureHelp,
    SignatureInformation,
};

use crate::analysis::Analysis;
use crate::completion::builtin_params;
use crate::cursor::{self, Before};
use crate::index::FuncSig;

pub fn signature_help(a: &Analysis, offset: u32) -> Option<SignatureHelp> {
    let offset = offset.min(a.text.len() as u32);
    if cursor::in_comment_or_string(a, offset) {
        return None;
    }
    let call = cursor::open_call(a, offset)?;
    let name = &a.text[call.name_start as usize..call.name_end as usize];
    let sig = match cursor::before(a, call.name_start) {
        Before::Dot(receiver, _) => method_signature(a, receiver, name, call.name_start)?,
        Before::Path(owner) => {
            let s = a.resolution.struct_named(owner)?;
            let m = a.index.structs[s as usize]
                .methods
                .iter()
                .find(|m| m.name == name)?;
            user_signature(m)
        }
        Before::Nothing => function_signature(a, name, call.name_start)?,
    };
    let n = sig.parameters.as_ref().map_or(0, Vec::len);
    let variadic = sig.label.contains("...");
    let mut active = call.commas as u32;
    if variadic && n > 0 {
        active = active.min(n as u32 - 1);
    }
    Some(SignatureHelp {
        signatures: vec![sig],
        active_signature: Some(0),
        active_parameter: Some(active),
    })
}

fn function_signature(a: &Analysis, name: &str, at: u32) -> Option<SignatureInformation> {
    match a.resolution.lookup_at(name, at) {
        Res::Decl(d) => {
            let decl = a.resolution.decl(d);
            let sig = a.index.funcs.get(&decl.span.start)?;
            Some(user_signature(sig))
        }
        Res::Builtin(b) => Some(builtin_signature(builtins::def(b), false)),
        _ => None,
    }
}

fn method_signature(
    a: &Analysis,
    receiver: &str,
    name: &str,
    at: u32,
) -> Option<SignatureInformation> {
    let known = match a.resolution.lookup_at(receiver, at) {
        Res::Decl(d) => a.index.decl_struct.get(&d).copied(),
        _ => None,
    };
    match known {
        Some(s) => {
            let m = a.index.structs[s as usize]
                .methods
                .iter()
                .find(|m| m.name == name)?;
            Some(user_signature(m))
        }
        None => Some(builtin_signature(
            builtins::def(builtins::lookup_method(name)?),
            true,
        )),
    }
}

/// A signature with parameter labels as UTF-16 offsets into the label.
fn build(
    label_head: &str,
    params: &[String],
    tail: &str,
    doc: Option<&str>,
) -> SignatureInformation {
    let mut label = format!("{label_head}(");
    let mut infos = Vec::new();
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            label.push_str(", ");
        }
        let start = label.encode_utf16().count() as u32;
        label.push_str(p);
        let end = label.encode_utf16().count() as u32;
        infos.push(ParameterInformation {
            label: ParameterLabel::LabelOffsets([start, end]),
            documentation: None,
        });
    }
    label.push(')');
    label.push_str(tail);
    SignatureInformation {
        label,
        documentation: doc.filter(|d| !d.is_empty()).map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d.to_string(),
            })
        }),
        parameters: Some(infos),
        active_parameter: None,
    }
}

/// A method's `self` is supplied by the receiver, so it is not listed.
fn user_signature(sig: &FuncSig) -> SignatureInformation {
    let params = sig.call_params();
    let tail = sig
        .ret
        .as_ref()
        .map_or(String::new(), |r| format!(" -> {r}"));
    build(
        &format!("func {}", sig.name),
        params,
        &tail,
        sig.doc.as_deref(),
    )
}

fn builtin_signature(def: &BuiltinDef, as_method: bool) -> SignatureInformation {
    let params = builtin_params(def);
    let params = if as_method && !params.is_empty() {
        &params[1..]
    } else {
        &params[..]
    };
    let tail = def
        .signature
        .rfind(')')
        .map_or("", |close| &def.signature[close + 1..]);
    build(def.name, params, tail, Some(def.doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{analysis, at};

    fn help(src: &str, offset: u32) -> (String, u32) {
        let a = analysis(src);
        let h = signature_help(&a, offset).expect("signature help");
        (h.signatures[0].label.clone(), h.active_parameter.unwrap())
    }

    #[test]
    fn user_functions_builtins_and_methods() {
        let src = "func add(a, b) { return a + b }\nadd(1, \nprint(\nxs := [1]\nxs.push(\n";
        assert_eq!(
            help(src, at(src, "add(1, ", 0, 7)),
            ("func add(a, b)".into(), 1)
        );
        assert_eq!(
            help(src, at(src, "add(1, ", 0, 4)),
            ("func add(a, b)".into(), 0)
        );
        let (label, active) = help(src, at(src, "print(", 0, 6));
        assert!(label.starts_with("print("), "{label}");
        assert_eq!(active, 0);
        let (label, _) = help(src, at(src, "xs.push(", 0, 8));
        assert!(label.starts_with("push(value"), "{label}");
    }

    #[test]
    fn nested_calls_and_strings() {
        let src = "func g(x, y, z) { return x }\ng(1, len(\"a,b\"), \n";
        assert_eq!(
            help(src, at(src, "), \n", 0, 3)),
            ("func g(x, y, z)".into(), 2)
        );
        let inner = at(src, "\"), ", 0, 1);
        let (label, active) = help(src, inner);
        assert!(label.starts_with("len("), "{label}");
        assert_eq!(active, 0, "commas in strings do not count");
    }

    #[test]
    fn methods_of_known_structs_drop_self() {
        let src = "struct C { n, func add(self, k) { return k } }\nc := C { n: 1 }\nc.add(\n";
        assert_eq!(
            help(src, at(src, "c.add(", 0, 6)),
            ("func add(k)".into(), 0)
        );
    }
}
