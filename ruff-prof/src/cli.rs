//! The `ruff-prof` command line (clap builder API, as `ruff` uses), parsed
//! into plain structs so `main` never touches `ArgMatches`.

use std::time::Duration;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};

use crate::live::{PidConfig, TopConfig};
use crate::profile::Lines;
use crate::runner::RunConfig;

/// The format `path`'s extension names, if any.
pub fn format_of_path(path: &str) -> Option<Format> {
    let ext = std::path::Path::new(path).extension()?.to_str()?;
    match ext.to_ascii_lowercase().as_str() {
        "svg" => Some(Format::Flamegraph),
        "json" => Some(Format::Speedscope),
        "collapsed" | "folded" | "txt" => Some(Format::Collapsed),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Flamegraph,
    Speedscope,
    Collapsed,
}

pub enum Cmd {
    /// `ruff-prof run FILE [--flamegraph [OUT]] [--compare-no-jit] [--annotate]`
    Run {
        config: RunConfig,
        flamegraph: Option<String>,
        compare_no_jit: bool,
        annotate: bool,
    },
    /// `ruff-prof annotate FILE`: the source with each line's share.
    Annotate { config: RunConfig },
    /// `ruff-prof record -o OUT [--format F] -- FILE [ARGS]`
    Record {
        config: RunConfig,
        output: String,
        format: Format,
    },
    /// `run|record|annotate --pid PID`: the same, on a running process.
    Attach {
        config: PidConfig,
        output: Option<(String, Format)>,
        annotate: bool,
    },
    /// `ruff-prof top --pid PID`
    Top(TopConfig),
    /// `ruff-prof dump --pid PID`
    Dump { pid: u32 },
    /// `ruff-prof diff A.collapsed B.collapsed -o diff.svg`
    Diff {
        before: String,
        after: String,
        output: String,
    },
}

fn pid_arg() -> Arg {
    Arg::new("pid")
        .long("pid")
        .short('p')
        .value_name("PID")
        .value_parser(value_parser!(u32))
        .help("Attach to this running `ruff run` process instead of starting a program")
}

fn run_args(cmd: Command) -> Command {
    cmd.arg(pid_arg()).arg(
        Arg::new("rate")
            .long("rate")
            .short('r')
            .value_name("HZ")
            .value_parser(value_parser!(u32).range(1..=20_000))
            .default_value("1000")
            .help("Samples per second"),
    )
    .arg(
        Arg::new("jit")
            .long("jit")
            .value_parser(["off", "on", "always"])
            .default_value("on")
            .help("JIT mode, as for `ruff run`: off, on (tier up hot code), always (compile on first call)"),
    )
    .arg(
        Arg::new("max-depth")
            .long("max-depth")
            .value_parser(value_parser!(u32).range(1..=1_000_000))
            .default_value("10000")
            .help("Recursion limit in Ruff frames, as for `ruff run`"),
    )
    .arg(
        Arg::new("duration")
            .short('d')
            .long("duration")
            .value_name("S")
            .value_parser(value_parser!(f64))
            .help("Stop the program after S seconds and write the profile (exit status 0)"),
    )
    .arg(
        Arg::new("function")
            .long("function")
            .action(ArgAction::SetTrue)
            .conflicts_with("nolineno")
            .help("Frames by function (their declaration line), not by current line"),
    )
    .arg(
        Arg::new("nolineno")
            .long("nolineno")
            .action(ArgAction::SetTrue)
            .help("Frames without line numbers"),
    )
}

pub fn command() -> Command {
    let run = Command::new("run")
        .about("Run a program under the profiler; print a summary, optionally write a flamegraph")
        .arg(
            Arg::new("FILE")
                .required_unless_present("pid")
                .conflicts_with("pid")
                .help("The .ruff program (not with --pid)"),
        )
        .arg(
            Arg::new("flamegraph")
                .long("flamegraph")
                .value_name("OUT.svg")
                .num_args(0..=1)
                .default_missing_value("flamegraph.svg")
                .help("Write a flamegraph SVG (default name: flamegraph.svg)"),
        )
        .arg(
            Arg::new("compare-no-jit")
                .long("compare-no-jit")
                .action(ArgAction::SetTrue)
                .help(
                    "Run twice, JIT off then on, and write a differential flamegraph \
                     (to --flamegraph's path, default jit-diff.svg)",
                ),
        )
        .arg(
            Arg::new("annotate")
                .long("annotate")
                .action(ArgAction::SetTrue)
                .help("Also print the source with each line's share of time and its kinds"),
        )
        .arg(
            Arg::new("ARGS")
                .num_args(0..)
                .last(true)
                .help("Arguments for the program, after `--`"),
        );
    let annotate = Command::new("annotate")
        .about("Run a program and print its source with each line's share of time and kinds (LuaJIT -jp=a)")
        .arg(
            Arg::new("FILE")
                .required_unless_present("pid")
                .conflicts_with("pid")
                .help("The .ruff program (not with --pid)"),
        )
        .arg(
            Arg::new("ARGS")
                .num_args(0..)
                .last(true)
                .help("Arguments for the program, after `--`"),
        );
    let record = Command::new("record")
        .about("Record a profile to a file (py-spy style)")
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("OUT")
                .help(
                    "Output file, `-` for stdout (default: flamegraph.svg, \
                     profile.speedscope.json or profile.collapsed)",
                ),
        )
        .arg(
            Arg::new("format")
                .short('f')
                .long("format")
                .value_parser(["flamegraph", "speedscope", "collapsed"])
                .help(
                    "Output format (default: from OUT's extension: .svg, .json, \
                     .collapsed/.folded/.txt; else flamegraph)",
                ),
        )
        .arg(
            Arg::new("COMMAND")
                .required_unless_present("pid")
                .conflicts_with("pid")
                .num_args(1..)
                .last(true)
                .help("`-- FILE [ARGS]`: the program and its arguments (or --pid)"),
        );
    let top = Command::new("top")
        .about("Live view of a running `ruff run` process's hottest functions, refreshed every second (py-spy top)")
        .arg(pid_arg().required(true))
        .arg(
            Arg::new("rate")
                .long("rate")
                .short('r')
                .value_name("HZ")
                .value_parser(value_parser!(u32).range(1..=20_000))
                .default_value("100")
                .help("Samples per second"),
        )
        .arg(
            Arg::new("interval")
                .long("interval")
                .value_name("S")
                .value_parser(value_parser!(f64))
                .default_value("1")
                .help("Seconds between refreshes"),
        )
        .arg(
            Arg::new("iterations")
                .long("iterations")
                .short('n')
                .value_name("N")
                .value_parser(value_parser!(u64).range(1..))
                .help("Stop after N refreshes (default: until Ctrl-C or the program exits)"),
        );
    let dump = Command::new("dump")
        .about("Print the current Ruff stack of a running `ruff run` process (py-spy dump)")
        .arg(pid_arg().required(true));
    let diff = Command::new("diff")
        .about("Differential flamegraph of two folded-stack profiles (tiers ignored)")
        .arg(
            Arg::new("BEFORE")
                .required(true)
                .help("First profile (.collapsed)"),
        )
        .arg(
            Arg::new("AFTER")
                .required(true)
                .help("Second profile (.collapsed)"),
        )
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("OUT.svg")
                .default_value("diff.svg")
                .help("Output SVG"),
        );
    Command::new("ruff-prof")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Sampling profiler for Ruff programs: where time goes, interpreted vs native")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(run_args(run))
        .subcommand(run_args(record))
        .subcommand(run_args(annotate))
        .subcommand(top)
        .subcommand(dump)
        .subcommand(diff)
}

fn config(m: &ArgMatches, file: String, args: Vec<String>) -> Result<RunConfig, String> {
    let duration = match m.try_get_one::<f64>("duration").ok().flatten() {
        Some(&s) if !(s > 0.0 && s.is_finite()) => {
            return Err(format!(
                "--duration must be a positive number of seconds, not {s}"
            ))
        }
        Some(&s) => Some(Duration::from_secs_f64(s)),
        None => None,
    };
    Ok(RunConfig {
        file,
        args,
        rate_hz: *m.get_one::<u32>("rate").expect("defaulted"),
        duration,
        jit: m.get_one::<String>("jit").expect("defaulted").clone(),
        max_depth: *m.get_one::<u32>("max-depth").expect("defaulted") as usize,
        lines: if m.get_flag("function") {
            Lines::Function
        } else if m.get_flag("nolineno") {
            Lines::None
        } else {
            Lines::Current
        },
        program_stdout_to_stderr: false,
    })
}

fn strings(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

pub fn parse(matches: &ArgMatches) -> Result<Cmd, String> {
    if let Some((name @ ("run" | "record" | "annotate"), m)) = matches.subcommand() {
        if let Some(&pid) = m.get_one::<u32>("pid") {
            let c = config(m, String::new(), Vec::new())?;
            let config = PidConfig {
                pid,
                rate_hz: c.rate_hz,
                duration: c.duration,
                lines: c.lines,
            };
            let output = match name {
                "record" => Some(record_output(m)),
                "run" => m
                    .get_one::<String>("flamegraph")
                    .map(|f| (f.clone(), Format::Flamegraph)),
                _ => None,
            };
            return Ok(Cmd::Attach {
                config,
                output,
                annotate: name == "annotate" || (name == "run" && m.get_flag("annotate")),
            });
        }
    }
    match matches.subcommand() {
        Some(("top", m)) => {
            let interval = *m.get_one::<f64>("interval").expect("defaulted");
            if !(interval >= 0.05 && interval.is_finite()) {
                return Err(format!(
                    "--interval must be at least 0.05 s, not {interval}"
                ));
            }
            Ok(Cmd::Top(TopConfig {
                pid: *m.get_one::<u32>("pid").expect("required"),
                rate_hz: *m.get_one::<u32>("rate").expect("defaulted"),
                interval: Duration::from_secs_f64(interval),
                iterations: m.get_one::<u64>("iterations").copied(),
            }))
        }
        Some(("dump", m)) => Ok(Cmd::Dump {
            pid: *m.get_one::<u32>("pid").expect("required"),
        }),
        Some(("run", m)) => {
            let file = m.get_one::<String>("FILE").expect("required").clone();
            Ok(Cmd::Run {
                config: config(m, file, strings(m, "ARGS"))?,
                flamegraph: m.get_one::<String>("flamegraph").cloned(),
                compare_no_jit: m.get_flag("compare-no-jit"),
                annotate: m.get_flag("annotate"),
            })
        }
        Some(("annotate", m)) => {
            let file = m.get_one::<String>("FILE").expect("required").clone();
            Ok(Cmd::Annotate {
                config: config(m, file, strings(m, "ARGS"))?,
            })
        }
        Some(("record", m)) => {
            let mut command = strings(m, "COMMAND");
            let file = command.remove(0);
            let (output, format) = record_output(m);
            let mut config = config(m, file, command)?;
            // stdout holds the profile: the program's output goes to stderr.
            config.program_stdout_to_stderr = output == "-";
            Ok(Cmd::Record {
                config,
                output,
                format,
            })
        }
        Some(("diff", m)) => Ok(Cmd::Diff {
            before: m.get_one::<String>("BEFORE").expect("required").clone(),
            after: m.get_one::<String>("AFTER").expect("required").clone(),
            output: m.get_one::<String>("output").expect("defaulted").clone(),
        }),
        _ => Err("unknown subcommand".to_string()),
    }
}

/// `record`'s output path and format (from `-o` and `--format`).
fn record_output(m: &ArgMatches) -> (String, Format) {
    let given = m.get_one::<String>("output");
    let format = match m.get_one::<String>("format").map(String::as_str) {
        Some("speedscope") => Format::Speedscope,
        Some("collapsed") => Format::Collapsed,
        Some(_) => Format::Flamegraph,
        None => given
            .and_then(|o| format_of_path(o))
            .unwrap_or(Format::Flamegraph),
    };
    let output = given.cloned().unwrap_or_else(|| {
        match format {
            Format::Flamegraph => "flamegraph.svg",
            Format::Speedscope => "profile.speedscope.json",
            Format::Collapsed => "profile.collapsed",
        }
        .to_string()
    });
    (output, format)
}
