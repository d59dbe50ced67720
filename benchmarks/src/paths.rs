//! Where things are: the programs, the workspace and the built binaries.

use std::path::{Path, PathBuf};

/// `benchmarks/programs`, found from this crate's manifest directory.
pub fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs")
}

/// The workspace root (the parent of `benchmarks/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benchmarks/ has a parent directory")
        .to_path_buf()
}

/// The profile directory (`target/release`, `target/debug`, ...) holding the
/// running executable. Test and bench executables live one level deeper, in
/// `deps/`.
pub fn current_profile_dir() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut dir = exe
        .parent()
        .ok_or_else(|| std::io::Error::other("executable has no parent directory"))?
        .to_path_buf();
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.pop();
    }
    Ok(dir)
}

/// The `ruff` binary in the same target directory as the running executable:
/// the same profile first, then `release`, then `debug`.
pub fn find_ruff_binary() -> Result<PathBuf, String> {
    let profile_dir =
        current_profile_dir().map_err(|e| format!("cannot locate the target dir: {e}"))?;
    let mut candidates = vec![profile_dir.join(ruff_exe_name())];
    if let Some(target_dir) = profile_dir.parent() {
        for profile in ["release", "debug"] {
            let candidate = target_dir.join(profile).join(ruff_exe_name());
            if !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
    }
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            format!(
                "the `ruff` binary was not found (looked at: {}).\n\
             Build it first: `cargo build -p ruff-core --bin ruff` (or `cargo build --workspace`), \
             or `cargo build --release -p ruff-core --bin ruff`.",
                tried.join(", ")
            )
        })
}

fn ruff_exe_name() -> String {
    format!("ruff{}", std::env::consts::EXE_SUFFIX)
}
