//! ARCHITECTURE.md: "Only ruff-lsp knows LSP types; ruff-core depends on
//! neither ruff-lsp nor an LSP crate." Checked on the manifests and sources.

use std::path::Path;

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn ruff_core_knows_no_lsp() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ruff-core");
    let manifest = std::fs::read_to_string(core.join("Cargo.toml")).unwrap();
    for name in ["ruff-lsp", "tower-lsp", "lsp-types", "ls-types"] {
        assert!(
            !manifest.contains(name),
            "ruff-core/Cargo.toml mentions {name}"
        );
    }
    let mut sources = Vec::new();
    files(&core.join("src"), &mut sources);
    assert!(!sources.is_empty());
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for name in ["ruff_lsp", "tower_lsp", "lsp_types", "ls_types"] {
            assert!(!text.contains(name), "{} mentions {name}", path.display());
        }
    }
}
