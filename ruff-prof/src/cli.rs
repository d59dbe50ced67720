//! The `ruff-prof` command line (clap builder API, as `ruff` uses), parsed
//! into plain structs so `main` never touches `ArgMatches`.

use std::time::Duration;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};

use crate::runner::RunConfig;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Flamegraph,
    Speedscope,
    Collapsed,
}

pub enum Cmd {
    /// `ruff-prof run FILE [--flamegraph [OUT]] [--compare-no-jit]`
    Run {
        config: RunConfig,
        flamegraph: Option<String>,
        compare_no_jit: bool,
    },
    /// `ruff-prof record -o OUT [--format F] -- FILE [ARGS]`
    Record {
        config: RunConfig,
        output: String,
        format: Format,
    },
    /// `ruff-prof diff A.collapsed B.collapsed -o diff.svg`
    Diff {
        before: String,
        after: String,
        output: String,
    },
}

fn run_args(cmd: Command) -> Command {
    cmd.arg(
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
}

pub fn command() -> Command {
    let run = Command::new("run")
        .about("Run a program under the profiler; print a summary, optionally write a flamegraph")
        .arg(Arg::new("FILE").required(true).help("The .ruff program"))
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
                .help("Output file (default: flamegraph.svg, profile.speedscope.json or profile.collapsed)"),
        )
        .arg(
            Arg::new("format")
                .short('f')
                .long("format")
                .value_parser(["flamegraph", "speedscope", "collapsed"])
                .default_value("flamegraph")
                .help("Output format"),
        )
        .arg(
            Arg::new("duration")
                .short('d')
                .long("duration")
                .value_name("S")
                .value_parser(value_parser!(f64))
                .help("Stop sampling after S seconds (the program runs to its end)"),
        )
        .arg(
            Arg::new("COMMAND")
                .required(true)
                .num_args(1..)
                .last(true)
                .help("`-- FILE [ARGS]`: the program and its arguments"),
        );
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
    })
}

fn strings(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

pub fn parse(matches: &ArgMatches) -> Result<Cmd, String> {
    match matches.subcommand() {
        Some(("run", m)) => {
            let file = m.get_one::<String>("FILE").expect("required").clone();
            Ok(Cmd::Run {
                config: config(m, file, strings(m, "ARGS"))?,
                flamegraph: m.get_one::<String>("flamegraph").cloned(),
                compare_no_jit: m.get_flag("compare-no-jit"),
            })
        }
        Some(("record", m)) => {
            let mut command = strings(m, "COMMAND");
            let file = command.remove(0);
            let format = match m.get_one::<String>("format").map(String::as_str) {
                Some("speedscope") => Format::Speedscope,
                Some("collapsed") => Format::Collapsed,
                _ => Format::Flamegraph,
            };
            let output = m.get_one::<String>("output").cloned().unwrap_or_else(|| {
                match format {
                    Format::Flamegraph => "flamegraph.svg",
                    Format::Speedscope => "profile.speedscope.json",
                    Format::Collapsed => "profile.collapsed",
                }
                .to_string()
            });
            Ok(Cmd::Record {
                config: config(m, file, command)?,
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
