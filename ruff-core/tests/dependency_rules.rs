//! The dependency rules of ARCHITECTURE.md, checked over the source: which
//! module of ruff-core may name which, and which parts of ruff-core the
//! other crates may use. A path is read from every `crate::…` and
//! `super::…` in code (comments skipped), resolved against the file's own
//! module path.

use std::path::{Path, PathBuf};

/// `(file, its module path, the path as written)` for every path starting
/// with `prefix` in the `.rs` files under `dir`.
fn references(root: &Path, dir: &Path, prefix: &str) -> Vec<(String, Vec<String>, String)> {
    let mut out = Vec::new();
    for file in rs_files(dir) {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let module = module_path(&rel);
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (i, _) in code.match_indices(prefix) {
                if i > 0 && is_path_char(code.as_bytes()[i - 1]) {
                    continue;
                }
                let path: String = code[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                out.push((rel.clone(), module.clone(), path));
            }
        }
    }
    out
}

fn is_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rs_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// `runtime/vm/calls.rs` → `[runtime, vm, calls]`; `jit/mod.rs` → `[jit]`.
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The absolute path (`a::b::c`, without `crate::`) that `path` names from
/// `module`, for `crate::` and `super::` paths.
fn resolve(module: &[String], path: &str) -> Option<String> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = module.to_vec();
    if segs.first() == Some(&"crate") {
        base.clear();
        segs.remove(0);
    } else {
        while segs.first() == Some(&"super") {
            base.pop()?;
            segs.remove(0);
        }
    }
    base.extend(segs.iter().map(|s| s.to_string()));
    Some(base.join("::"))
}

/// `(file, module, absolute path named)` over ruff-core's source.
fn core_refs() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut refs = references(&src, &src, "crate::");
    refs.extend(references(&src, &src, "super::"));
    refs.into_iter()
        .filter_map(|(file, m, p)| Some((file, m.join("::"), resolve(&m, &p)?)))
        .collect()
}

fn starts(path: &str, prefix: &str) -> bool {
    path == prefix || path.starts_with(&format!("{prefix}::"))
}

/// Every reference from modules under `from` to paths under `to`, except
/// those under an allowed prefix.
fn violations(from: &str, to: &str, allowed: &[&str]) -> Vec<String> {
    core_refs()
        .into_iter()
        .filter(|(_, m, p)| starts(m, from) && starts(p, to))
        .filter(|(_, _, p)| !allowed.iter().any(|a| starts(p, a)))
        .map(|(file, _, p)| format!("{file}: {p}"))
        .collect()
}

#[test]
fn syntax_depends_only_on_diagnostics() {
    for to in [
        "bytecode",
        "compiler",
        "runtime",
        "jit",
        "telemetry",
        "driver",
    ] {
        assert_eq!(violations("syntax", to, &[]), Vec::<String>::new());
    }
}

#[test]
fn compiler_never_sees_the_vm_or_the_jit() {
    assert_eq!(violations("compiler", "jit", &[]), Vec::<String>::new());
    assert_eq!(
        violations("compiler", "runtime::vm", &[]),
        Vec::<String>::new()
    );
}

#[test]
fn bytecode_never_sees_the_jit_or_the_compiler() {
    assert_eq!(violations("bytecode", "jit", &[]), Vec::<String>::new());
    assert_eq!(
        violations("bytecode", "compiler", &[]),
        Vec::<String>::new()
    );
}

#[test]
fn the_runtime_reaches_the_jit_only_through_the_seam_and_never_sees_the_ast() {
    assert_eq!(
        violations("runtime", "jit", &["jit::seam"]),
        Vec::<String>::new()
    );
    // The scan sees the seam's uses (the rule is not vacuous).
    assert!(core_refs()
        .iter()
        .any(|(_, m, p)| starts(m, "runtime::vm") && starts(p, "jit::seam")));
    for ast in ["syntax::ast", "syntax::parser", "syntax::parse"] {
        assert_eq!(violations("runtime", ast, &[]), Vec::<String>::new());
    }
}

/// The other crates use ruff-core's public API: the pipeline (`driver`),
/// syntax and the semantic model, diagnostics, telemetry, the builtin
/// registry (documentation), and for a profiler running the VM in process
/// its options, shadow stack and the helper names, or attaching to one its
/// protocol (`runtime::attach`).
#[test]
fn tools_use_only_the_public_api() {
    let allowed = [
        "driver",
        "syntax",
        "diagnostics",
        "compiler::resolve",
        "compiler::Compiled",
        "telemetry",
        "runtime::builtins::REGISTRY",
        "runtime::builtins::BuiltinDef",
        "runtime::builtins",
        "runtime::vm::VmOptions",
        "runtime::vm::INTERRUPTED",
        "runtime::shadow",
        "runtime::shadow_code",
        "runtime::attach",
        "runtime::big_alloc::BigAlloc",
        "jit::JitMode",
        "jit::JitTools",
        "jit::helper_names",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut bad = Vec::new();
    let mut seen = 0;
    for krate in ["ruff-lsp", "ruff-prof", "difftest"] {
        let src = root.join(krate).join("src");
        if !src.exists() {
            continue;
        }
        for (file, _, path) in references(&root.join(krate), &src, "ruff_core::") {
            // `use ruff_core::jit::{JitMode, JitTools}` names `jit::`.
            let named = path
                .trim_start_matches("ruff_core::")
                .trim_end_matches("::");
            if named.is_empty() {
                continue;
            }
            seen += 1;
            if !allowed
                .iter()
                .any(|a| starts(named, a) || a.starts_with(&format!("{named}::")))
            {
                bad.push(format!("{krate}/{file}: {path}"));
            }
        }
    }
    assert_eq!(bad, Vec::<String>::new());
    assert!(seen > 50, "the scan found only {seen} uses of ruff_core");
}

#[test]
fn the_reader_resolves_relative_paths() {
    let m = module_path("runtime/vm/calls.rs");
    assert_eq!(resolve(&m, "super::Vm").as_deref(), Some("runtime::vm::Vm"));
    assert_eq!(
        resolve(&m, "super::super::jit").as_deref(),
        Some("runtime::jit")
    );
    assert_eq!(
        resolve(&m, "crate::jit::seam").as_deref(),
        Some("jit::seam")
    );
    assert_eq!(module_path("jit/mod.rs"), vec!["jit".to_string()]);
}
