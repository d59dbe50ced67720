//! Behaviour of the `ruff` command itself (LANGUAGE.md §11): version, usage
//! and I/O errors, `ruff check` (text and JSON), closed pipes, flushing before
//! an error, `--max-depth`.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

fn ruff() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ruff"));
    cmd.env("NO_COLOR", "1").env_remove("RUFF_LOG");
    cmd
}

/// Write `source` to a scratch file named `name` and return its path.
fn script(name: &str, source: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    fs::create_dir_all(&dir).expect("create scratch dir");
    let path = dir.join(name);
    fs::write(&path, source).expect("write script");
    path
}

/// Wait for `child`, killing it after `TIMEOUT`.
fn wait_with_timeout(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for ruff") {
            return status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ruff did not finish within {} s", TIMEOUT.as_secs());
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Run to completion with null stdin, collecting both outputs, with a timeout.
fn output(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ruff");
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let status = wait_with_timeout(&mut child);
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_no_panic(out: &Output) {
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "ruff panicked; stderr:\n{stderr}"
    );
}

#[test]
fn version_prints_a_version() {
    let out = output(ruff().arg("--version"));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(env!("CARGO_PKG_VERSION")),
        "`ruff --version` should print {}, printed {stdout:?}",
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let out = output(ruff().args(["run", "definitely-missing-file.ruff"]));
    assert_eq!(out.status.code(), Some(5), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("definitely-missing-file.ruff"),
        "the message should name the file: {stderr:?}"
    );
    assert_no_panic(&out);
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let out = output(ruff().arg("frobnicate"));
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
    assert!(
        !out.stderr.is_empty(),
        "a usage error should explain itself"
    );
    assert_no_panic(&out);
}

#[test]
fn run_without_file_is_a_usage_error() {
    let out = output(ruff().arg("run"));
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
    assert_no_panic(&out);
}

#[test]
fn check_reports_static_errors_with_exit_3() {
    let path = script("check_errors.ruff", "print(\"ok\")\nbreak\n");
    let out = output(ruff().arg("check").arg(&path));
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    let all = text(&out.stderr) + &text(&out.stdout);
    assert!(all.contains("error[E0006]"), "diagnostic missing: {all}");
    assert!(
        all.contains("check_errors.ruff:2:1"),
        "location missing: {all}"
    );
    // `check` never runs the program.
    assert!(!text(&out.stdout).contains("ok\n"), "check ran the program");
    assert_no_panic(&out);
}

#[test]
fn check_with_warnings_only_exits_0() {
    let path = script(
        "check_warnings.ruff",
        "func f() {\n    return undefined_name_here\n}\nprint(1)\n",
    );
    let out = output(ruff().arg("check").arg(&path));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let all = text(&out.stderr) + &text(&out.stdout);
    assert!(
        all.contains("undefined_name_here"),
        "the warning should name the undefined variable: {all}"
    );
    assert!(
        all.contains("warning"),
        "expected a warning diagnostic: {all}"
    );
    assert_no_panic(&out);
}

#[test]
fn check_json_writes_one_object_per_line() {
    let path = script(
        "check_json.ruff",
        "print(undefined_name_here)\nlet x := 1\nlet x := 2\n",
    );
    let out = output(ruff().args(["check", "--format", "json"]).arg(&path));
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut saw_error = false;
    let mut saw_warning = false;
    let mut count = 0;
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        count += 1;
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line:?}"));
        for key in ["code", "message", "severity", "file"] {
            assert!(v[key].is_string(), "`{key}` should be a string in {line}");
        }
        for key in ["line", "column", "end_line", "end_column"] {
            assert!(v[key].is_u64(), "`{key}` should be a number in {line}");
        }
        assert!(v["file"].as_str().unwrap().ends_with("check_json.ruff"));
        match v["severity"].as_str().unwrap() {
            "error" => {
                saw_error = true;
                assert_eq!(v["code"], "E0007", "{line}");
                assert_eq!(v["line"], 3, "{line}");
                assert!(v["message"]
                    .as_str()
                    .unwrap()
                    .contains("Duplicate declaration in the same scope: x"));
            }
            "warning" => {
                saw_warning = true;
                assert_eq!(v["line"], 1, "{line}");
                assert_eq!(v["column"], 7, "{line}");
            }
            _ => {}
        }
    }
    assert!(count >= 2, "expected at least two diagnostics: {stdout:?}");
    assert!(saw_error, "no error diagnostic in {stdout:?}");
    assert!(saw_warning, "no warning diagnostic in {stdout:?}");
    assert_no_panic(&out);
}

#[test]
fn static_error_on_run_is_rendered_with_location() {
    let path = script("static_error.ruff", "print(\"never\")\nx := (1 + * 2)\n");
    let out = output(ruff().arg("run").arg(&path));
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    assert!(
        out.stdout.is_empty(),
        "nothing may run before a static error"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[E0002]"), "{stderr}");
    assert!(stderr.contains("static_error.ruff:2:"), "{stderr}");
    assert!(stderr.contains("x := (1 + * 2)"), "source line: {stderr}");
    assert_no_panic(&out);
}

#[test]
fn closed_stdout_ends_quietly() {
    let path = script(
        "closed_pipe.ruff",
        "for i in range(200000) { print(\"line\", i) }\n",
    );
    let mut child = ruff()
        .arg("run")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ruff");
    let mut err_pipe = child.stderr.take().unwrap();
    let err = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    {
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).expect("read first line");
        assert_eq!(first, "line 0\n");
        // Dropping the reader closes our end of the pipe, like `| head -1`.
    }
    let status = wait_with_timeout(&mut child);
    let stderr = text(&err.join().unwrap());
    assert!(
        !stderr.contains("panicked"),
        "closed pipe caused a panic: {stderr}"
    );
    assert!(
        stderr.trim().is_empty(),
        "a closed pipe should end the program quietly, stderr: {stderr:?}"
    );
    assert_ne!(status.code(), Some(101), "exit 101 is a Rust panic");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        // SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV: a crash, not a quiet end.
        if let Some(sig) = status.signal() {
            assert!(
                ![4, 6, 7, 8, 11].contains(&sig),
                "ruff crashed with signal {sig}"
            );
        }
    }
}

#[test]
fn output_is_flushed_before_a_runtime_error() {
    let path = script(
        "flush_then_fail.ruff",
        "print(\"before error\")\nprint(\"second line\")\nx := 1 / 0\nprint(\"after\")\n",
    );
    let out = output(ruff().arg("run").arg(&path));
    assert_eq!(out.status.code(), Some(4), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "before error\nsecond line\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Division by zero"), "{stderr}");
    assert!(stderr.contains("flush_then_fail.ruff:3:"), "{stderr}");
    assert_no_panic(&out);
}

#[test]
fn max_depth_limits_recursion() {
    let source = "func down(n) {\n    if n == 0 { return 0 }\n    return 1 + down(n - 1)\n}\nprint(down(100))\n";
    let path = script("max_depth.ruff", source);

    let out = output(ruff().arg("run").arg(&path));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "100\n");

    for jit in ["--jit=off", "--jit=always"] {
        let out = output(ruff().args(["run", jit, "--max-depth", "50"]).arg(&path));
        assert_eq!(
            out.status.code(),
            Some(4),
            "{jit}: stderr: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(stderr.contains("Stack overflow"), "{jit}: {stderr}");
        assert_no_panic(&out);
    }
}

/// Builtins that call back into Ruff (`map`) nest a dispatch loop per
/// level; the largest `--max-depth` still ends in a catchable `Stack
/// overflow`, never in the machine stack's end (SIGABRT), in every mode.
#[test]
fn max_depth_through_builtin_reentry_never_outruns_the_machine_stack() {
    let source = "func f(n) { return map([n], func(x) { return f(x + 1) }) }\ntry { f(0) } except e { print(e.message) }\n";
    let path = script("reentry_depth.ruff", source);
    for jit in ["--jit=off", "--jit=on", "--jit=always"] {
        let out = output(
            ruff()
                .args(["run", jit, "--max-depth", "1000000"])
                .arg(&path),
        );
        assert_eq!(out.status.code(), Some(0), "{jit}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "Stack overflow\n", "{jit}");
        assert_no_panic(&out);
    }
}

/// A method that builds its own struct reaches itself through the struct's
/// methods: the disassembler prints each function once.
#[test]
fn dump_bytecode_of_a_method_building_its_own_struct() {
    let source = "struct P { x: int, func f(self) { return P { x: 1 } } }\nprint(P { x: 2 }.f())\n";
    let path = script("self_struct.ruff", source);
    let out = output(ruff().args(["run", "--dump", "bytecode"]).arg(&path));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "P { x: 1 }\n");
    assert_eq!(text(&out.stderr).matches("-- method P.f --").count(), 1);
    assert_no_panic(&out);
}

#[test]
fn exit_code_from_program() {
    let path = script("exit_code.ruff", "print(\"bye\")\nexit(42)\n");
    let out = output(ruff().arg("run").arg(&path));
    assert_eq!(out.status.code(), Some(42), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "bye\n");
}

#[test]
fn program_arguments_follow_double_dash() {
    let path = script("args.ruff", "print(args())\n");
    let out = output(ruff().arg("run").arg(&path).args(["--", "a", "b c"]));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "[a, b c]\n");
}
