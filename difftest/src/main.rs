//! `difftest`: generate Ruff programs, run each in every JIT mode against
//! `--jit=off`, shrink and report the mismatches. See difftest/README.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use difftest::campaign::{self, Config};
use difftest::finding::Finding;
use difftest::modes::{Mode, DEFAULT_MODES};
use difftest::pool::Worker;
use difftest::printer::print_program;
use difftest::shrink::Budget;

fn cli() -> Command {
    Command::new("difftest")
        .about(
            "Differential testing of the Ruff JIT: generated programs must print the same \
             in every JIT mode as with --jit=off",
        )
        .arg(
            Arg::new("seeds")
                .long("seeds")
                .value_name("A:B|N")
                .default_value("0:1000")
                .help("Seeds to run: the range A..B (B excluded), or the one seed N"),
        )
        .arg(
            Arg::new("modes")
                .long("modes")
                .value_name("LIST")
                .default_value(DEFAULT_MODES)
                .help("Modes compared with off: on, always, tN (--jit-threshold N), stressN (--jit-threshold 1 --jit-stress-exits N)"),
        )
        .arg(
            Arg::new("jobs")
                .long("jobs")
                .short('j')
                .value_parser(value_parser!(usize))
                .help("Worker processes (default: the number of CPUs)"),
        )
        .arg(
            Arg::new("shrink")
                .long("shrink")
                .action(ArgAction::SetTrue)
                .overrides_with("no-shrink")
                .help("Shrink mismatching programs (the default)"),
        )
        .arg(
            Arg::new("no-shrink")
                .long("no-shrink")
                .action(ArgAction::SetTrue)
                .help("Only list mismatching seeds"),
        )
        .arg(
            Arg::new("shrink-limit")
                .long("shrink-limit")
                .value_parser(value_parser!(usize))
                .default_value("50")
                .help("Shrink at most this many mismatches; list the others by seed"),
        )
        .arg(
            Arg::new("shrink-time")
                .long("shrink-time")
                .value_name("SECS")
                .value_parser(value_parser!(u64))
                .default_value("120")
                .help("Time budget for shrinking one program"),
        )
        .arg(
            Arg::new("save")
                .long("save")
                .value_name("DIR")
                .help("Also write each shrunk finding into DIR as a corpus test (NAME.ruff, .stdout, .exit, .stderr) with a report (NAME.txt)"),
        )
        .arg(
            Arg::new("keep")
                .long("keep")
                .action(ArgAction::SetTrue)
                .conflicts_with("save")
                .help("Write each shrunk finding into tests/programs/jit/ as a regression test (difftest_seed_N.ruff)"),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("SECS")
                .value_parser(value_parser!(u64))
                .default_value("30")
                .help("A program running longer (all modes) is a hang"),
        )
        .arg(
            Arg::new("print")
                .long("print")
                .value_name("SEED")
                .value_parser(value_parser!(u64))
                .help("Print the program of SEED and exit"),
        )
        .arg(
            Arg::new("check")
                .long("check")
                .value_name("FILE")
                .help("Run FILE in every mode and show how each differs from off"),
        )
        .arg(
            Arg::new("worker")
                .long("worker")
                .action(ArgAction::SetTrue)
                .hide(true)
                .help("Internal: serve run requests on stdin"),
        )
}

fn parse_seeds(s: &str) -> Result<std::ops::Range<u64>, String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("bad seed {t:?}"))
    };
    match s.split_once(':') {
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            if a >= b {
                return Err(format!("empty seed range {s}"));
            }
            Ok(a..b)
        }
        None => {
            let n = num(s)?;
            Ok(n..n + 1)
        }
    }
}

fn config(m: &ArgMatches) -> Result<Config, String> {
    let modes = Mode::parse_list(m.get_one::<String>("modes").expect("defaulted"))?;
    let seeds = parse_seeds(m.get_one::<String>("seeds").expect("defaulted"))?;
    let jobs = m
        .get_one::<usize>("jobs")
        .copied()
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let (save, save_prefix) = if m.get_flag("keep") {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/programs/jit");
        (Some(dir), "difftest_".to_string())
    } else {
        (
            m.get_one::<String>("save").map(PathBuf::from),
            String::new(),
        )
    };
    Ok(Config {
        jobs: jobs.min((seeds.end - seeds.start) as usize).max(1),
        seeds,
        modes,
        shrink: !m.get_flag("no-shrink"),
        shrink_limit: *m.get_one::<usize>("shrink-limit").expect("defaulted"),
        shrink_budget: Budget {
            max_tries: 5000,
            max_time: Duration::from_secs(*m.get_one::<u64>("shrink-time").expect("defaulted")),
        },
        save,
        save_prefix,
        timeout: Duration::from_secs(*m.get_one::<u64>("timeout").expect("defaulted")),
        progress_every: Duration::from_secs(10),
    })
}

/// `--check FILE`: every mode against off, with the differences.
fn check(path: &str, cfg: &Config) -> ExitCode {
    let source = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("difftest: cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut worker = Worker::new(&cfg.modes);
    let Some((off, differing)) = campaign::run_all(&mut worker, &source, cfg) else {
        eprintln!("difftest: {path} crashes or hangs with --jit=off");
        return ExitCode::from(2);
    };
    if differing.is_empty() {
        println!(
            "{path}: same output in off and {} (exit {})",
            cfg.modes
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(", "),
            off.code
        );
        return ExitCode::SUCCESS;
    }
    let kind = differing
        .iter()
        .map(|(_, _, k)| *k)
        .min()
        .expect("non-empty");
    let finding = Finding {
        seed: None,
        kind,
        source,
        original_lines: 0,
        off,
        differing: differing.into_iter().map(|(m, r, _)| (m, r)).collect(),
    };
    print!("{}", finding.report());
    ExitCode::from(1)
}

fn main() -> ExitCode {
    let m = match cli().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let cfg = match config(&m) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("difftest: {e}");
            return ExitCode::from(2);
        }
    };
    if m.get_flag("worker") {
        return ExitCode::from(difftest::worker::serve(cfg.modes) as u8);
    }
    if let Some(seed) = m.get_one::<u64>("print") {
        print!("{}", print_program(&difftest::generate(*seed)));
        return ExitCode::SUCCESS;
    }
    if let Some(path) = m.get_one::<String>("check") {
        return check(path, &cfg);
    }
    let summary = campaign::run(&cfg);
    print!("{}", summary.render(&cfg));
    if summary.failed() {
        println!("mismatching seeds:");
        for l in &summary.lines {
            println!("  {l}");
        }
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
