//! The benchmark runner: runs the same programs under Ruff, CPython, Node,
//! LuaJIT, Lua and C, checks that they all print what CPython prints, and
//! reports median whole-process times and ratios to CPython.
//!
//! ```text
//! cargo run --release -p benchmarks -- [--filter NAME] [--runs N] [--json] [--size tiny|full]
//! ```

mod compile_times;
mod report;
mod runtimes;
mod timing;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use benchmarks::programs::{normalize_output, Program, Size, PROGRAMS};

use report::{Cell, ProgramResult, Report};
use runtimes::{Runtime, RuntimeId};
use timing::{run_measured, Measurement};

const USAGE: &str = "\
Usage: cargo run --release -p benchmarks -- [OPTIONS]

Runs every benchmark program under Ruff and the other runtimes found on this
machine and prints a Markdown table of median times and ratios to CPython.

Options:
  --filter NAME      only programs whose name contains NAME (repeatable)
  --runs N           timed runs per program and runtime, after 1 warm-up (default 5)
  --size tiny|full   input size (default full)
  --json             print JSON instead of Markdown
  --timeout SECS     kill a run after SECS seconds (default 120)
  --no-build         do not build ruff; use the existing binary
  --compile-times    instead: run each Ruff program once with JIT telemetry and
                     report how long compiling took (per unit, median, max)
  -h, --help         print this help
";

struct Options {
    filters: Vec<String>,
    runs: usize,
    size: Size,
    json: bool,
    timeout: Duration,
    build: bool,
    compile_times: bool,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        filters: Vec::new(),
        runs: 5,
        size: Size::Full,
        json: false,
        timeout: Duration::from_secs(120),
        build: true,
        compile_times: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--filter" => options.filters.push(value("--filter")?),
            "--runs" => {
                let text = value("--runs")?;
                options.runs = text
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n >= 1)
                    .ok_or_else(|| format!("--runs expects a positive integer, got `{text}`"))?;
            }
            "--size" => {
                let text = value("--size")?;
                options.size = Size::parse(&text)
                    .ok_or_else(|| format!("--size expects `tiny` or `full`, got `{text}`"))?;
            }
            "--timeout" => {
                let text = value("--timeout")?;
                let secs: f64 = text
                    .parse()
                    .ok()
                    .filter(|&s: &f64| s > 0.0)
                    .ok_or_else(|| format!("--timeout expects seconds, got `{text}`"))?;
                options.timeout = Duration::from_secs_f64(secs);
            }
            "--json" => options.json = true,
            "--no-build" => options.build = false,
            "--compile-times" => options.compile_times = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let programs: Vec<&'static Program> = PROGRAMS
        .iter()
        .filter(|p| {
            options.filters.is_empty()
                || options.filters.iter().any(|f| p.name.contains(f.as_str()))
        })
        .collect();
    if programs.is_empty() {
        eprintln!("error: no program matches the filter");
        return ExitCode::from(2);
    }

    let profile_dir = match benchmarks::paths::current_profile_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: cannot locate the target directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ruff = if options.build {
        build_ruff(&profile_dir)
    } else {
        benchmarks::paths::find_ruff_binary()
    };
    if options.compile_times {
        let scratch = profile_dir.join("bench-telemetry");
        let result =
            ruff.and_then(|exe| compile_times::report(&programs, &exe, options.size, &scratch));
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut runtimes = runtimes::detect(ruff);
    for runtime in &runtimes {
        match &runtime.available {
            Ok(()) => eprintln!("found {}: {}", runtime.label, runtime.version),
            Err(reason) => eprintln!("skipping {}: {reason}", runtime.label),
        }
    }

    let c_bin_dir = profile_dir.join("bench-c");
    let mut c_failures = Vec::new();
    if let Some(c) = runtimes
        .iter()
        .find(|r| r.id == RuntimeId::C && r.is_available())
    {
        eprintln!(
            "compiling C programs with gcc -O2 into {}",
            c_bin_dir.display()
        );
        c_failures = runtimes::compile_c(&c.exe, &programs, &c_bin_dir);
        if c_failures.len() == programs.len() {
            if let Some(c) = runtimes.iter_mut().find(|r| r.id == RuntimeId::C) {
                c.available = Err("gcc could not compile the programs".to_string());
            }
        }
    }

    let mut results = Vec::new();
    for program in &programs {
        eprint!("{:<15}", program.name);
        let result = run_program(program, &runtimes, &options, &c_bin_dir, &c_failures);
        eprintln!();
        results.push(result);
    }

    let report = Report {
        date: report::today(),
        size: options.size,
        runs: options.runs,
        machine: report::machine_info(),
        runtimes,
        results,
    };
    if options.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).expect("JSON values serialize")
        );
    } else {
        print!("{}", report.to_markdown());
    }
    ExitCode::SUCCESS
}

/// Builds `ruff` in release into the same target directory as this runner.
fn build_ruff(profile_dir: &Path) -> Result<PathBuf, String> {
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| "cannot locate the target directory".to_string())?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building ruff: cargo build --release -p ruff-core --bin ruff");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "ruff-core",
            "--bin",
            "ruff",
            "--target-dir",
        ])
        .arg(target_dir)
        .current_dir(benchmarks::paths::workspace_root())
        .status()
        .map_err(|e| format!("could not run cargo to build ruff: {e}"))?;
    if !status.success() {
        return Err(format!("building ruff failed ({status})"));
    }
    let exe = target_dir
        .join("release")
        .join(format!("ruff{}", std::env::consts::EXE_SUFFIX));
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!(
            "cargo built ruff but {} does not exist",
            exe.display()
        ))
    }
}

/// Per-runtime state while a program is being measured.
enum State {
    Running {
        times: Vec<Duration>,
        max_rss_kib: u64,
    },
    Done(Cell),
}

/// Runs one program: a warm-up under every runtime, then `options.runs`
/// rounds in which each runtime runs once (in a rotating order), so that
/// drift of the machine affects all of them alike.
fn run_program(
    program: &'static Program,
    runtimes: &[Runtime],
    options: &Options,
    c_bin_dir: &Path,
    c_failures: &[(String, String)],
) -> ProgramResult {
    let mut states: Vec<State> = runtimes
        .iter()
        .map(|runtime| {
            if let Err(reason) = &runtime.available {
                return State::Done(Cell::Skipped(format!("runtime skipped: {reason}")));
            }
            if runtime.id == RuntimeId::C {
                if let Some((_, message)) = c_failures.iter().find(|(name, _)| name == program.name)
                {
                    let first = message.lines().next().unwrap_or("").to_string();
                    return State::Done(Cell::Skipped(format!("gcc failed: {first}")));
                }
            }
            if !program.source(runtime.id.extension()).is_file() {
                return State::Done(Cell::Skipped("no program for this language".to_string()));
            }
            State::Running {
                times: Vec::new(),
                max_rss_kib: 0,
            }
        })
        .collect();

    let run_once = |index: usize| -> Result<Measurement, Cell> {
        let mut command = runtimes[index].command(program, options.size, c_bin_dir);
        run_measured(&mut command, options.timeout)
            .map_err(|e| Cell::Skipped(format!("could not start: {e}")))
    };

    // Warm-up round; it also yields the reference output.
    let mut warmup: Vec<Option<Measurement>> = Vec::new();
    for (index, state) in states.iter_mut().enumerate() {
        let mut measurement = None;
        if matches!(state, State::Running { .. }) {
            eprint!(".");
            match run_once(index) {
                Ok(m) => measurement = Some(m),
                Err(cell) => *state = State::Done(cell),
            }
        }
        warmup.push(measurement);
    }

    let mut notes = Vec::new();
    let expected = program.expected(options.size).ok();
    let cpython = runtimes.iter().position(|r| r.id == RuntimeId::CPython);
    let cpython_output = cpython
        .and_then(|i| warmup[i].as_ref())
        .filter(|m| m.succeeded())
        .map(|m| normalize_output(&m.stdout));
    let (reference, reference_source) = match (cpython_output, expected) {
        (Some(cpython), expected) => {
            if let Some(expected) = expected.filter(|e| *e != cpython) {
                notes.push(format!(
                    "CPython printed `{cpython}` but {} holds `{expected}`",
                    program.expected_path(options.size).display()
                ));
            }
            (cpython, "CPython")
        }
        (None, Some(expected)) => (expected, "expected file"),
        (None, None) => {
            notes.push(
                "no CPython output and no expected file: outputs are not checked".to_string(),
            );
            (String::new(), "nothing")
        }
    };
    let checked = reference_source != "nothing";

    let record = |state: &mut State, m: Measurement, timed: bool| {
        if !m.succeeded() {
            *state = State::Done(Cell::Failed {
                exit: m.exit,
                stderr: m.stderr,
            });
        } else if checked && normalize_output(&m.stdout) != reference {
            *state = State::Done(Cell::WrongOutput {
                got: normalize_output(&m.stdout),
                stderr: m.stderr,
            });
        } else if let State::Running { times, max_rss_kib } = state {
            if timed {
                times.push(m.wall);
            }
            *max_rss_kib = (*max_rss_kib).max(m.max_rss_kib);
        }
    };
    for (index, m) in warmup.into_iter().enumerate() {
        if let Some(m) = m {
            record(&mut states[index], m, false);
        }
    }

    for run in 0..options.runs {
        eprint!(" {}", run + 1);
        let n = runtimes.len();
        for offset in 0..n {
            let index = (run + offset) % n;
            if !matches!(states[index], State::Running { .. }) {
                continue;
            }
            match run_once(index) {
                Ok(m) => record(&mut states[index], m, true),
                Err(cell) => states[index] = State::Done(cell),
            }
        }
    }

    let cells = states
        .into_iter()
        .map(|state| match state {
            State::Running { times, max_rss_kib } => Cell::Timed { times, max_rss_kib },
            State::Done(cell) => cell,
        })
        .collect();
    ProgramResult {
        program,
        reference,
        reference_source,
        cells,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_flags() {
        let o = parse(&[]).unwrap();
        assert_eq!(
            (o.runs, o.size, o.json, o.build),
            (5, Size::Full, false, true)
        );
        let o = parse(&[
            "--filter",
            "fib",
            "--runs=3",
            "--size",
            "tiny",
            "--json",
            "--no-build",
        ])
        .unwrap();
        assert_eq!(o.filters, vec!["fib".to_string()]);
        assert_eq!(
            (o.runs, o.size, o.json, o.build),
            (3, Size::Tiny, true, false)
        );
    }

    #[test]
    fn rejects_bad_values() {
        assert!(parse(&["--runs", "0"]).is_err());
        assert!(parse(&["--size", "huge"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--runs"]).is_err());
    }
}
