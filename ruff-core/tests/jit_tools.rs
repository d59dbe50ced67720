//! The JIT's inspection tools as a user runs them: the perf map
//! (`RUFF_PERF_MAP=1`, or `PERF_BUILDID_DIR` as `perf record` sets it),
//! `--dump=jit-ir` and the readable log (`RUFF_LOG=ruff_core::jit=debug`).

use std::path::PathBuf;
use std::process::{Command, Output};

/// A recursive function that gets hot and a top-level loop that OSR
/// compiles: one unit of each kind.
const PROGRAM: &str = "\
func fib(n) {
    if n < 2 {
        return n
    }
    return fib(n - 1) + fib(n - 2)
}
print(fib(20))
mut t := 0
mut i := 0
while i < 5000 {
    t += i
    i += 1
}
print(t)
";
const OUTPUT: &str = "6765\n12497500\n";

fn script() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("jit_tools");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join("tools.ruff");
    // Tests run in parallel: each writes its own copy and renames it into
    // place, so no test ever reads a half-written file.
    let tmp = dir.join(format!("tools.{:?}.tmp", std::thread::current().id()));
    std::fs::write(&tmp, PROGRAM).expect("write script");
    std::fs::rename(&tmp, &path).expect("move script into place");
    path
}

fn ruff() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ruff"));
    cmd.env_remove("RUFF_LOG")
        .env_remove("RUFF_PERF_MAP")
        .env_remove("PERF_BUILDID_DIR");
    cmd
}

/// Run with `env` set and return the lines of `/tmp/perf-PID.map`.
fn perf_map_lines(env: &[(&str, &str)]) -> Vec<String> {
    let mut cmd = ruff();
    cmd.arg("run").arg(script()).envs(env.iter().copied());
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start ruff");
    let map = format!("/tmp/perf-{}.map", child.id());
    let out = child.wait_with_output().expect("run ruff");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), OUTPUT);
    let text = std::fs::read_to_string(&map).unwrap_or_default();
    let _ = std::fs::remove_file(&map);
    text.lines().map(str::to_owned).collect()
}

/// Each line is `START SIZE NAME` with hex numbers, as `perf` reads it;
/// return the names.
fn names(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let start = parts.next().expect("start");
            let size = parts.next().expect("size");
            assert!(u64::from_str_radix(start, 16).is_ok_and(|a| a > 0), "{l}");
            assert!(u64::from_str_radix(size, 16).is_ok_and(|s| s > 0), "{l}");
            parts.next().expect("name").to_owned()
        })
        .collect()
}

fn assert_readable(names: &[String]) {
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("ruff:fib@") && n.ends_with("tools.ruff:1")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("ruff:<main>@") && n.ends_with("tools.ruff:10#loop0")),
        "{names:?}"
    );
    assert!(
        names.iter().all(|n| n.starts_with("ruff:")),
        "every compiled function has a readable name: {names:?}"
    );
}

#[test]
fn ruff_perf_map_names_each_compiled_unit() {
    let names = names(&perf_map_lines(&[("RUFF_PERF_MAP", "1")]));
    assert_readable(&names);
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn perf_record_environment_gets_the_same_readable_names() {
    // `perf record` sets PERF_BUILDID_DIR; cranelift-jit then writes the
    // map itself, with the names the JIT declares.
    let dir = std::env::temp_dir().to_string_lossy().into_owned();
    let names = names(&perf_map_lines(&[("PERF_BUILDID_DIR", &dir)]));
    assert_readable(&names);
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn both_settings_write_each_unit_once() {
    let dir = std::env::temp_dir().to_string_lossy().into_owned();
    let names = names(&perf_map_lines(&[
        ("PERF_BUILDID_DIR", &dir),
        ("RUFF_PERF_MAP", "1"),
    ]));
    assert_readable(&names);
    assert_eq!(names.len(), 2, "no duplicate lines: {names:?}");
}

#[test]
fn no_perf_map_unless_asked() {
    assert!(perf_map_lines(&[]).is_empty());
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = ruff()
        .arg("run")
        .args(args)
        .arg(script())
        .envs(env.iter().copied())
        .output()
        .expect("run ruff");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), OUTPUT);
    out
}

#[test]
fn dump_jit_ir_prints_the_cranelift_ir_of_each_unit() {
    let err = String::from_utf8_lossy(&run(&["--dump=jit-ir"], &[]).stderr).into_owned();
    let headers: Vec<&str> = err.lines().filter(|l| l.starts_with("; jit-ir ")).collect();
    assert_eq!(headers.len(), 2, "{err}");
    assert!(headers[0].contains("ruff:fib@") && headers[0].contains("tools.ruff:1"));
    assert!(headers[1].contains("tools.ruff:10#loop0"), "{headers:?}");
    // Each header is followed by a Cranelift function with its blocks.
    assert_eq!(err.matches("\nfunction u0:").count(), 2, "{err}");
    assert!(err.contains("block0("), "{err}");
    assert!(err.contains("sadd_overflow"), "checked adds: {err}");
}

#[test]
fn debug_log_tells_what_the_jit_did() {
    let out = run(&[], &[("RUFF_LOG", "ruff_core::jit=debug")]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    for line in [
        "hot: function fib (line 1)",
        "compile function fib (line 1)",
        "hot: loop at line 10 in <main>",
        "compile loop at line 10 in <main>",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    let compiled: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("ruff_core::jit: compiled "))
        .collect();
    assert_eq!(compiled.len(), 2, "{err}");
    for l in compiled {
        assert!(l.contains(" µs, ") && l.ends_with(" bytes"), "{l}");
    }
}
