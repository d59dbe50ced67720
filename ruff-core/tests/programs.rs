//! The program corpus: every `tests/programs/**/*.ruff` runs through the real
//! `ruff` binary in five modes (`--jit=off`, the default, `--jit=always`,
//! `--jit-threshold=1`, `--jit-threshold=7`) and
//! must produce the expected standard output, the expected stderr lines and
//! exit code — and byte-identical results in all modes.
//!
//! Beside `name.ruff`, a program may have:
//! - `name.stdout`: the exact expected standard output (absent = empty);
//! - `name.stderr`: lines that must each appear somewhere in standard error;
//! - `name.exit`: the expected exit code (absent = 0);
//! - `name.args`: one argument per line, passed after `--`;
//! - `name.stdin`: fed to standard input (absent = empty input).
//!
//! Environment knobs:
//! - `RUFF_PROGRAMS_FILTER=substr` runs only programs whose path contains it;
//! - `RUFF_PROGRAMS_MODES=off,default,always,threshold-1,threshold-7` runs only
//!   the listed modes.
//!
//! Each run gets a fresh, empty working directory (so programs may write
//! files), `RUFF_PROGRAMS_TEST_VAR=hello-from-runner` and `NO_COLOR=1`.
//! All failures are collected and reported together at the end.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// The ways every program runs: a name for reports and the CLI flag.
/// Low thresholds compile code after it has seen a few values (feedback
/// from only some of the types it will meet), which `always` never does.
const MODES: &[(&str, Option<&str>)] = &[
    ("off", Some("--jit=off")),
    ("default", None),
    ("always", Some("--jit=always")),
    ("threshold-1", Some("--jit-threshold=1")),
    ("threshold-7", Some("--jit-threshold=7")),
];

struct Program {
    /// Path relative to the corpus root, with `/` separators.
    name: String,
    path: PathBuf,
    stdout: String,
    stderr_lines: Vec<String>,
    exit: i32,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
}

#[derive(PartialEq, Eq)]
struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// `Err` describes an abnormal end (signal, timeout).
    code: Result<i32, String>,
}

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/programs")
}

fn find_programs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            find_programs(&path, out);
        } else if path.extension().is_some_and(|e| e == "ruff") {
            out.push(path);
        }
    }
}

fn read_opt(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok()
}

fn load(root: &Path, path: PathBuf) -> Program {
    let name = path
        .strip_prefix(root)
        .unwrap_or(&path)
        .to_string_lossy()
        .replace('\\', "/");
    let side = |ext: &str| path.with_extension(ext);
    let stdout = read_opt(&side("stdout")).unwrap_or_default();
    let stderr_lines = read_opt(&side("stderr"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.trim().is_empty())
        .collect();
    let exit = match read_opt(&side("exit")) {
        Some(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: bad .exit file: {text:?}")),
        None => 0,
    };
    let args = read_opt(&side("args"))
        .map(|t| {
            t.lines()
                .map(|l| l.trim_end_matches('\r').to_string())
                .collect()
        })
        .unwrap_or_default();
    let stdin = fs::read(side("stdin")).ok();
    Program {
        name,
        path,
        stdout,
        stderr_lines,
        exit,
        args,
        stdin,
    }
}

fn describe_status(status: ExitStatus) -> Result<i32, String> {
    if let Some(code) = status.code() {
        return Ok(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Err(format!("killed by signal {sig}"));
        }
    }
    Err(format!("abnormal exit: {status}"))
}

/// A fresh, empty working directory for one run.
fn scratch_dir(program: &Program, mode: &str) -> PathBuf {
    let safe: String = program
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("programs")
        .join(format!("{safe}-{mode}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn run(program: &Program, mode: &str, flag: Option<&str>) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ruff"));
    cmd.arg("run");
    if let Some(flag) = flag {
        cmd.arg(flag);
    }
    cmd.arg(&program.path);
    if !program.args.is_empty() {
        cmd.arg("--").args(&program.args);
    }
    cmd.current_dir(scratch_dir(program, mode))
        .env("RUFF_PROGRAMS_TEST_VAR", "hello-from-runner")
        .env("NO_COLOR", "1")
        .env_remove("RUFF_LOG")
        .stdin(if program.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Outcome {
                stdout: Vec::new(),
                stderr: Vec::new(),
                code: Err(format!("could not start ruff: {e}")),
            }
        }
    };

    // Feed stdin and drain both pipes on their own threads so a chatty
    // program can never deadlock against us.
    let stdin_writer = child.stdin.take().map(|mut pipe| {
        let data = program.stdin.clone().unwrap_or_default();
        thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );

    let start = Instant::now();
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break describe_status(status),
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("timed out after {} s", TIMEOUT.as_secs()));
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => break Err(format!("wait failed: {e}")),
        }
    };
    if let Some(writer) = stdin_writer {
        let _ = writer.join();
    }
    Outcome {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        code,
    }
}

/// A short, readable account of how `actual` differs from `expected`.
fn diff_summary(expected: &str, actual: &str) -> String {
    let exp: Vec<&str> = expected.split('\n').collect();
    let act: Vec<&str> = actual.split('\n').collect();
    let first = (0..exp.len().max(act.len()))
        .find(|&i| exp.get(i) != act.get(i))
        .unwrap_or(0);
    let show = |v: &Vec<&str>| match v.get(first) {
        Some(line) => format!("{line:?}"),
        None => "<end of output>".to_string(),
    };
    format!(
        "first difference at line {}: expected {}, got {} ({} vs {} bytes)\n      expected stdout (head): {:?}\n      actual stdout (head):   {:?}",
        first + 1,
        show(&exp),
        show(&act),
        expected.len(),
        actual.len(),
        head(expected),
        head(actual),
    )
}

fn head(s: &str) -> String {
    const MAX: usize = 400;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

fn code_text(code: &Result<i32, String>) -> String {
    match code {
        Ok(c) => c.to_string(),
        Err(e) => e.clone(),
    }
}

/// Every way this outcome breaks the program's expectations.
fn check(program: &Program, outcome: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    if stdout != program.stdout {
        problems.push(format!(
            "stdout differs: {}",
            diff_summary(&program.stdout, &stdout)
        ));
    }
    for line in &program.stderr_lines {
        if !stderr.contains(line.as_str()) {
            problems.push(format!("stderr lacks {line:?}"));
        }
    }
    if outcome.code != Ok(program.exit) {
        problems.push(format!(
            "exit code: expected {}, got {}",
            program.exit,
            code_text(&outcome.code)
        ));
    }
    if stderr.contains("panicked") {
        problems.push("stderr contains a Rust panic".to_string());
    }
    if !problems.is_empty() {
        problems.push(format!("stderr was: {:?}", head(&stderr)));
    }
    problems
}

fn selected_modes() -> Vec<(&'static str, Option<&'static str>)> {
    match std::env::var("RUFF_PROGRAMS_MODES") {
        Ok(list) if !list.trim().is_empty() => {
            let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
            MODES
                .iter()
                .copied()
                .filter(|(name, _)| wanted.contains(name))
                .collect()
        }
        _ => MODES.to_vec(),
    }
}

#[test]
fn programs() {
    let root = corpus_root();
    let mut paths = Vec::new();
    find_programs(&root, &mut paths);
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no programs found under {}",
        root.display()
    );
    let filter = std::env::var("RUFF_PROGRAMS_FILTER").unwrap_or_default();
    let programs: Vec<Program> = paths
        .into_iter()
        .map(|p| load(&root, p))
        .filter(|p| p.name.contains(filter.as_str()))
        .collect();
    let modes = selected_modes();
    assert!(!modes.is_empty(), "RUFF_PROGRAMS_MODES selects no mode");

    let workers = thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 4);
    let next = AtomicUsize::new(0);
    // Per program: the failure messages (empty when it passed everywhere).
    let results: Mutex<BTreeMap<String, Vec<String>>> = Mutex::new(BTreeMap::new());
    let passed_per_mode: Vec<AtomicUsize> = modes.iter().map(|_| AtomicUsize::new(0)).collect();

    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(program) = programs.get(i) else {
                    break;
                };
                let mut failures = Vec::new();
                let mut outcomes: Vec<(&str, Outcome)> = Vec::new();
                for (m, &(mode, flag)) in modes.iter().enumerate() {
                    let outcome = run(program, mode, flag);
                    let problems = check(program, &outcome);
                    if problems.is_empty() {
                        passed_per_mode[m].fetch_add(1, Ordering::Relaxed);
                    } else {
                        failures.push(format!("  [{mode}] {}", problems.join("\n    ")));
                    }
                    outcomes.push((mode, outcome));
                }
                // The JIT must never change what a program does.
                let (first_mode, first) = &outcomes[0];
                for (mode, other) in &outcomes[1..] {
                    if other != first {
                        let mut what = Vec::new();
                        if other.stdout != first.stdout {
                            what.push("stdout");
                        }
                        if other.stderr != first.stderr {
                            what.push("stderr");
                        }
                        if other.code != first.code {
                            what.push("exit code");
                        }
                        failures.push(format!(
                            "  [{first_mode} vs {mode}] modes disagree on {} (exit {} vs {})",
                            what.join(", "),
                            code_text(&first.code),
                            code_text(&other.code)
                        ));
                    }
                }
                results
                    .lock()
                    .unwrap()
                    .insert(program.name.clone(), failures);
            });
        }
    });

    let results = results.into_inner().unwrap();
    let failed: Vec<(&String, &Vec<String>)> =
        results.iter().filter(|(_, f)| !f.is_empty()).collect();
    let total = programs.len();
    println!(
        "{} programs passed in every mode ({} run{})",
        total - failed.len(),
        total,
        if filter.is_empty() {
            String::new()
        } else {
            format!(", filter {filter:?}")
        }
    );
    for ((mode, _), count) in modes.iter().zip(&passed_per_mode) {
        println!(
            "  mode {mode}: {} of {total} programs passed",
            count.load(Ordering::Relaxed)
        );
    }
    if !failed.is_empty() {
        let mut report = format!("{} of {} programs failed:\n", failed.len(), total);
        for (name, failures) in &failed {
            report.push_str(&format!("\n{name}\n{}\n", failures.join("\n")));
        }
        panic!("{report}");
    }
}
