//! Stress the exit machinery: every corpus program (`tests/programs`) runs
//! with everything compiled after one call or iteration and a forced guard
//! exit every N guards (`--jit-stress-exits N`, a hidden testing flag, N
//! varying per program), and must behave exactly as with `--jit=off`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn find(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            find(&p, out);
        } else if p.extension().is_some_and(|x| x == "ruff") {
            out.push(p);
        }
    }
}

fn run(path: &Path, flags: &[String]) -> (Vec<u8>, Vec<u8>, Option<i32>) {
    let args: Vec<String> = std::fs::read_to_string(path.with_extension("args"))
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let stdin = std::fs::read(path.with_extension("stdin")).unwrap_or_default();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruff"))
        .env_remove("RUFF_LOG")
        .env("NO_COLOR", "1")
        .current_dir(path.parent().expect("a folder"))
        .arg("run")
        .args(flags)
        .arg(path.file_name().expect("a file"))
        .arg("--")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ruff");
    let mut input = child.stdin.take().expect("stdin");
    let _ = input.write_all(&stdin);
    drop(input);
    let out = child.wait_with_output().expect("wait for ruff");
    (out.stdout, out.stderr, out.status.code())
}

#[test]
fn corpus_survives_forced_exits() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/programs");
    let mut programs = Vec::new();
    find(&root, &mut programs);
    programs.sort();
    // Programs that write files or read the clock differ between any two
    // runs; skip only those.
    programs.retain(|p| {
        let src = std::fs::read_to_string(p).unwrap_or_default();
        !src.contains("write_file")
            && !src.contains("now()")
            && !src.contains("clock()")
            && !src.contains("performance_now")
    });
    let failures = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(p) = programs.get(i) else { break };
                // A deterministic "random" N per program in 1..=7.
                let n = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61;
                let stress = [
                    "--jit-threshold".into(),
                    "1".into(),
                    "--jit-stress-exits".into(),
                    (n + 1).to_string(),
                ];
                let off = run(p, &["--jit=off".into()]);
                let jit = run(p, &stress);
                if off != jit {
                    failures.lock().expect("lock").push(format!(
                        "{} (N = {}):\n--- off (exit {:?})\n{}{}\n--- stress (exit {:?})\n{}{}",
                        p.display(),
                        n + 1,
                        off.2,
                        String::from_utf8_lossy(&off.0),
                        String::from_utf8_lossy(&off.1),
                        jit.2,
                        String::from_utf8_lossy(&jit.0),
                        String::from_utf8_lossy(&jit.1)
                    ));
                }
            });
        }
    });
    let failures = failures.into_inner().expect("lock");
    assert!(
        programs.len() > 100,
        "corpus not found at {}",
        root.display()
    );
    assert!(
        failures.is_empty(),
        "{} programs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
