//! Bounded and interrupted runs, and interop (issue 25, points 3 and 5),
//! on the real binary.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{parse_folded, ruff_prof, stderr, total, Scratch};

/// Runs until stopped.
const FOREVER: &str = "func spin(n) {\n    mut t := 0\n    mut i := 0\n    while i < n {\n        t = t + i % 7\n        i = i + 1\n    }\n    return t\n}\nmut total := 0\nwhile true {\n    total = total + spin(100000)\n}\n";

/// Temporary telemetry files a ruff-prof process `pid` left behind.
fn leftovers(pid: u32) -> Vec<String> {
    let prefix = format!("ruff-prof-{pid}-");
    std::fs::read_dir(std::env::temp_dir())
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// Wait for `child`, killing it after `limit` (a test that would hang
/// fails instead).
fn wait_or_kill(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            return st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("ruff-prof did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn duration_stops_the_program_and_writes_the_profile() {
    let s = Scratch::new("dur-stop");
    let prog = s.write("forever.ruff", FOREVER);
    let out = s.path("p.collapsed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(["record", "-d", "0.5", "-o", &out, "--", &prog])
        .current_dir(&s.0)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let st = wait_or_kill(&mut child, Duration::from_secs(60));
    assert_eq!(st.code(), Some(0), "a bounded run ends as asked");
    let folded = parse_folded(&s.read("p.collapsed"));
    assert!(total(&folded) > 0);
    assert!(leftovers(pid).is_empty(), "{:?}", leftovers(pid));
}

fn stopped_by(sig: i32, expected: i32) {
    let s = Scratch::new(&format!("sig{sig}"));
    let prog = s.write("forever.ruff", FOREVER);
    let out = s.path("p.svg");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(["record", "-o", &out, "--", &prog])
        .current_dir(&s.0)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(pid as i32, sig) };
    let st = wait_or_kill(&mut child, Duration::from_secs(60));
    assert_eq!(st.code(), Some(expected));
    let svg = s.read("p.svg");
    assert!(
        svg.contains("spin (forever.ruff:"),
        "the profile was written"
    );
    assert!(leftovers(pid).is_empty(), "{:?}", leftovers(pid));
}

#[test]
fn sigterm_writes_the_profile_and_exits_143() {
    stopped_by(libc::SIGTERM, 143);
}

#[test]
fn sigint_writes_the_profile_and_exits_130() {
    stopped_by(libc::SIGINT, 130);
}

#[test]
fn an_interrupt_is_not_a_deopt() {
    let s = Scratch::new("int-deopt");
    let prog = s.write("forever.ruff", FOREVER);
    let o = ruff_prof(&["run", "-d", "0.5", &prog], &s.0);
    let err = stderr(&o);
    assert!(!err.contains("interrupt"), "{err}");
}

#[test]
fn dash_o_dash_writes_the_profile_to_stdout() {
    let s = Scratch::new("stdout");
    let prog = s.write("p.ruff", &common::hot_loop(3_000_000));
    let o = ruff_prof(
        &["record", "-o", "-", "--format", "collapsed", "--", &prog],
        &s.0,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let folded = parse_folded(&out);
    assert!(total(&folded) > 0, "{out}");
    assert!(!s.0.join("-").exists(), "no file named -");
    // The program's own output went to stderr.
    let expected: u64 = (0..3_000_000u64).map(|i| i % 7).sum();
    assert!(
        stderr(&o).lines().any(|l| l.trim() == expected.to_string()),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_format_follows_the_extension_unless_given() {
    let s = Scratch::new("ext");
    // Timed, not a fixed count: a compiled 1M-iteration loop can finish
    // before the first sample, leaving no `work` frame to look for.
    let prog = s.write("p.ruff", &common::timed_hot_loop(200));
    for (name, check) in [
        ("p.json", "\"$schema\""),
        ("p.svg", "<svg"),
        ("p.collapsed", "work (p.ruff:"),
    ] {
        let out = s.path(name);
        let o = ruff_prof(&["record", "-o", &out, "--", &prog], &s.0);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = s.read(name);
        assert!(
            text.contains(check),
            "{name}: {}",
            &text[..text.len().min(200)]
        );
        if name == "p.collapsed" {
            assert!(!text.contains("<svg"));
        }
    }
    let out = s.path("q.json");
    let o = ruff_prof(
        &["record", "-o", &out, "--format", "collapsed", "--", &prog],
        &s.0,
    );
    assert!(o.status.success());
    assert!(s.read("q.json").contains("work (p.ruff:"));
}

#[test]
fn function_and_nolineno_aggregate_by_function() {
    let s = Scratch::new("agg");
    let prog = s.write("p.ruff", kinds_line6());
    let o = ruff_prof(
        &[
            "record",
            "-o",
            "-",
            "--function",
            "--format",
            "collapsed",
            "--",
            &prog,
        ],
        &s.0,
    );
    let folded = parse_folded(&String::from_utf8_lossy(&o.stdout));
    assert!(folded.iter().all(|(st, _)| st
        .iter()
        .filter(|f| f.starts_with("work "))
        .all(|f| f.starts_with("work (p.ruff:1)"))));
    let o = ruff_prof(
        &[
            "record",
            "-o",
            "-",
            "--nolineno",
            "--format",
            "collapsed",
            "--",
            &prog,
        ],
        &s.0,
    );
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.contains("work (p.ruff) [native]"), "{text}");
    assert!(!text.contains("p.ruff:"), "{text}");
}

fn kinds_line6() -> &'static str {
    "func work(n) {\n    mut t := 0\n    mut i := 0\n    while i < n {\n        t = t + 1\n        t = (t * 7 + i * 3) % 1000003\n        i = i + 1\n    }\n    return t\n}\nprint(work(5000000))\n"
}

#[test]
fn ruff_perf_map_is_honoured() {
    let s = Scratch::new("perfmap");
    let prog = s.write("p.ruff", &common::hot_loop(2_000_000));
    let child = Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(["run", &prog])
        .env("RUFF_PERF_MAP", "1")
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success());
    let map = format!("/tmp/perf-{pid}.map");
    let text = std::fs::read_to_string(&map).unwrap_or_default();
    let _ = std::fs::remove_file(&map);
    assert!(text.contains("ruff:work@"), "{map}: {text}");
}

/// `perf record -g` sees the callers of native frames (frame pointers
/// kept, also in leaf functions).
#[test]
fn perf_sees_the_callers_of_native_frames() {
    let s = Scratch::new("perf");
    let prog = s.write(
        "p.ruff",
        "func leaf(x) {\n    return (x * 7 + 3) % 11\n}\nfunc mid(n) {\n    mut t := 0\n    mut i := 0\n    while i < n {\n        t = t + leaf(i)\n        i = i + 1\n    }\n    return t\n}\nmut total := 0\nfor k in range(0, 400) { total = total + mid(100000) }\nprint(total)\n",
    );
    let data = s.path("perf.data");
    let ruff = format!("{}/../target/release/ruff", env!("CARGO_MANIFEST_DIR"));
    let rec = Command::new("perf")
        .args(["record", "-q", "-g", "-o", &data, &ruff, "run", &prog])
        .env("RUFF_PERF_MAP", "1")
        .stdout(Stdio::null())
        .output();
    let ok = matches!(&rec, Ok(o) if o.status.success());
    if !ok || !std::path::Path::new(&ruff).exists() {
        eprintln!(
            "skipped: perf cannot run here ({})",
            match &rec {
                Ok(o) => String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
                Err(e) => e.to_string(),
            }
        );
        return;
    }
    let script = Command::new("perf")
        .args(["script", "-i", &data])
        .output()
        .expect("perf script");
    let text = String::from_utf8_lossy(&script.stdout);
    // A sample in `leaf` whose next frame is `mid` (its caller).
    let samples: Vec<Vec<&str>> = text
        .split("\n\n")
        .map(|b| b.lines().skip(1).collect())
        .collect();
    let with_caller = samples
        .iter()
        .filter(|f| f.first().is_some_and(|l| l.contains("ruff:leaf@")))
        .filter(|f| f.get(1).is_some_and(|l| l.contains("ruff:mid@")))
        .count();
    let in_leaf = samples
        .iter()
        .filter(|f| f.first().is_some_and(|l| l.contains("ruff:leaf@")))
        .count();
    assert!(
        in_leaf == 0 || with_caller * 2 >= in_leaf,
        "{with_caller} of {in_leaf}"
    );
    assert!(
        samples
            .iter()
            .any(|f| f.iter().any(|l| l.contains("ruff:mid@"))),
        "native frames named: {}",
        &text[..text.len().min(2000)]
    );
}
