//! Every benchmark program, run at the tiny size, prints the checksum stored in
//! `programs/<name>/expected_tiny.txt` (generated from the Python versions).
//!
//! The Ruff programs run with the `ruff` binary built in the same target
//! directory (CI builds the whole workspace before testing). The other
//! languages run when their runtime is installed and are skipped otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use benchmarks::programs::{normalize_output, Program, Size, PROGRAMS};

/// Runs `command` and returns its normalized stdout, or a description of the
/// failure.
fn output_of(mut command: Command) -> Result<String, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{} ({}): {}",
            command_line(&command),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(normalize_output(&String::from_utf8_lossy(&output.stdout)))
}

fn command_line(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Checks one program's output against its expected tiny output, recording
/// a failure message.
fn check(program: &Program, label: &str, command: Command, failures: &mut Vec<String>) {
    let expected = program
        .expected(Size::Tiny)
        .unwrap_or_else(|e| panic!("{}: {e}", program.expected_path(Size::Tiny).display()));
    match output_of(command) {
        Ok(got) if got == expected => {}
        Ok(got) => failures.push(format!(
            "{} ({label}): expected `{expected}`, got `{got}`",
            program.name
        )),
        Err(message) => failures.push(format!("{} ({label}): {message}", program.name)),
    }
}

#[test]
fn ruff_programs_print_the_expected_tiny_checksums() {
    let ruff = benchmarks::paths::find_ruff_binary().unwrap_or_else(|message| panic!("{message}"));
    let mut failures = Vec::new();
    for program in PROGRAMS {
        let n = program.size_arg(Size::Tiny);
        for flags in [&[][..], &["--jit=off"][..]] {
            let label = if flags.is_empty() {
                "ruff"
            } else {
                "ruff --jit=off"
            };
            check(
                program,
                label,
                program.ruff_command(&ruff, n, flags),
                &mut failures,
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} Ruff benchmark program(s) printed the wrong checksum:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn installed(exe: &str, version_flag: &str) -> bool {
    Command::new(exe)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn other_languages_print_the_expected_tiny_checksums() {
    let mut failures = Vec::new();
    let interpreters = [
        ("python3", "--version", "py"),
        ("node", "--version", "js"),
        ("luajit", "-v", "lua"),
        ("lua5.4", "-v", "lua"),
    ];
    for (exe, version_flag, extension) in interpreters {
        if !installed(exe, version_flag) {
            eprintln!("skipping {exe}: not installed");
            continue;
        }
        for program in PROGRAMS {
            let mut command = Command::new(exe);
            command.arg(program.source(extension));
            command.args(program.size_arg(Size::Tiny).map(|n| n.to_string()));
            check(program, exe, command, &mut failures);
        }
    }
    if installed("gcc", "--version") {
        let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-c");
        std::fs::create_dir_all(&out_dir).expect("can create the C output directory");
        for program in PROGRAMS {
            let exe = out_dir.join(program.name);
            let mut gcc = Command::new("gcc");
            gcc.args(["-O2", "-o"]).arg(&exe).arg(program.source("c"));
            if let Err(message) = output_of(gcc) {
                failures.push(format!("{} (gcc): {message}", program.name));
                continue;
            }
            let mut command = Command::new(Path::new(&exe));
            command.args(program.size_arg(Size::Tiny).map(|n| n.to_string()));
            check(program, "c", command, &mut failures);
        }
    } else {
        eprintln!("skipping gcc: not installed");
    }
    assert!(
        failures.is_empty(),
        "{} program(s) printed the wrong checksum:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
