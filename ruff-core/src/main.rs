//! The `ruff` command: `ruff run FILE [-- ARGS]`, `ruff check FILE`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{value_parser, Arg, ArgMatches, Command};
use ruff_core::diagnostics;
use ruff_core::driver::{self, exit, RunOutcome};
use ruff_core::jit::{JitMode, JitTools};
use ruff_core::runtime::vm::{VmOptions, INTERRUPTED};

fn cli() -> Command {
    let file = Arg::new("FILE").required(true).help("The .ruff program");
    Command::new("ruff")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The Ruff language: run and check .ruff programs")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("run")
                .about("Run a program")
                .arg(file.clone())
                .arg(
                    Arg::new("ARGS")
                        .num_args(0..)
                        .last(true)
                        .help("Arguments for the program, after `--` (read with args())"),
                )
                .arg(
                    Arg::new("jit")
                        .long("jit")
                        .value_parser(["off", "on", "always"])
                        .default_value("on")
                        .require_equals(false)
                        .help(
                            "JIT mode: off, on (tier up hot code), always (compile on first call)",
                        ),
                )
                .arg(
                    Arg::new("jit-threshold")
                        .long("jit-threshold")
                        .value_parser(value_parser!(u32).range(1..))
                        .help("Calls / loop iterations before code is compiled"),
                )
                .arg(
                    Arg::new("telemetry")
                        .long("telemetry")
                        .value_name("FILE")
                        .help("Write JIT telemetry events as JSON Lines to FILE (`-` for stderr)"),
                )
                .arg(
                    Arg::new("max-depth")
                        .long("max-depth")
                        .value_parser(value_parser!(u32).range(1..=1_000_000))
                        .default_value("10000")
                        .help(
                            "Recursion limit in Ruff frames; deeper calls raise `Stack overflow`",
                        ),
                )
                .arg(
                    Arg::new("jit-stress-exits")
                        .long("jit-stress-exits")
                        .value_parser(value_parser!(u32).range(1..))
                        .hide(true)
                        .help("Testing only: force a JIT guard exit every N guards"),
                )
                .arg(
                    Arg::new("dump")
                        .long("dump")
                        .value_parser(["bytecode", "jit-ir"])
                        .help("Print the bytecode (or the JIT's IR) to stderr before running"),
                ),
        )
        .subcommand(
            Command::new("check")
                .about("Parse and check a program without running it")
                .arg(file)
                .arg(
                    Arg::new("format")
                        .long("format")
                        .value_parser(["text", "json"])
                        .default_value("text")
                        .help("text (stderr) or json (one object per line on stdout)"),
                ),
        )
}

fn read_source(path: &str) -> Result<String, ExitCode> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(_) => {
                eprintln!("error: {path} is not valid UTF-8");
                Err(ExitCode::from(exit::IO_ERROR as u8))
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            Err(ExitCode::from(exit::IO_ERROR as u8))
        }
    }
}

fn code(n: i32) -> ExitCode {
    ExitCode::from((n & 0xff) as u8)
}

fn check(m: &ArgMatches) -> ExitCode {
    let path = m.get_one::<String>("FILE").expect("required");
    let source = match read_source(path) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let diags = driver::check(&source);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if m.get_one::<String>("format").map(String::as_str) == Some("json") {
        let index = ruff_core::syntax::LineIndex::new(&source);
        let mut out = std::io::stdout().lock();
        for d in &diags {
            let _ = writeln!(
                out,
                "{}",
                diagnostics::to_json_line(path, &source, &index, d)
            );
        }
    } else {
        let color = std::io::stderr().is_terminal();
        eprint!("{}", diagnostics::render(path, &source, &diags, color));
        let warnings = diags.len() - errors;
        if diags.is_empty() {
            eprintln!("{path}: no problems found");
        } else {
            eprintln!("{path}: {errors} error(s), {warnings} warning(s)");
        }
    }
    code(if errors > 0 {
        exit::STATIC_ERROR
    } else {
        exit::OK
    })
}

extern "C" fn on_sigint(_: libc::c_int) {
    ruff_core::runtime::attach::note_ctrl_c();
    INTERRUPTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn run(m: &ArgMatches) -> ExitCode {
    let path = m.get_one::<String>("FILE").expect("required").clone();
    let source = match read_source(&path) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let dump = m.get_one::<String>("dump").cloned();
    let options = VmOptions {
        max_depth: *m.get_one::<u32>("max-depth").expect("defaulted") as usize,
        args: m
            .get_many::<String>("ARGS")
            .map(|a| a.cloned().collect())
            .unwrap_or_default(),
        jit: match m.get_one::<String>("jit").map(String::as_str) {
            Some("off") => JitMode::Off,
            Some("always") => JitMode::Always,
            _ => JitMode::On,
        },
        jit_threshold: m.get_one::<u32>("jit-threshold").copied(),
        jit_tools: JitTools {
            stress_exits: m.get_one::<u32>("jit-stress-exits").copied().unwrap_or(0),
            dump_ir: dump.as_deref() == Some("jit-ir"),
            // The environment is read here, never inside the VM.
            perf_map: std::env::var_os("RUFF_PERF_MAP").is_some_and(|v| v == "1"),
            telemetry: m.get_one::<String>("telemetry").cloned(),
            // `ruff run --telemetry` counts everything (docs/telemetry.md).
            lean_telemetry: false,
        },
        exit_after_run: true,
        ..VmOptions::default()
    };
    if let Some(t) = m.get_one::<String>("telemetry") {
        if t != "-" {
            if let Err(e) = std::fs::write(t, "") {
                eprintln!("error: cannot write telemetry to {t}: {e}");
                return code(exit::IO_ERROR);
            }
        }
    }
    // SAFETY: installing a handler that only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
    }
    // `ruff-prof record|top|dump --pid` can attach (runtime::attach).
    if std::env::var_os("RUFF_NO_ATTACH").is_none_or(|v| v != "1") {
        ruff_core::runtime::attach::register();
    }
    // The VM runs on a thread with a large stack: native JIT frames and the
    // recursive parts of the compiler use the machine stack.
    let worker = std::thread::Builder::new()
        .name("ruff-vm".into())
        .stack_size(512 << 20)
        .spawn(move || {
            let compiled = match driver::compile(&source) {
                Ok(c) => c,
                Err(errors) => {
                    eprint!(
                        "{}",
                        diagnostics::render(
                            &path,
                            &source,
                            &errors,
                            std::io::stderr().is_terminal()
                        )
                    );
                    return exit::STATIC_ERROR;
                }
            };
            if dump.as_deref() == Some("bytecode") {
                eprint!(
                    "{}",
                    ruff_core::bytecode::disasm::disassemble(&compiled.main)
                );
            }
            let out = Box::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout().lock(),
            ));
            let err = Box::new(std::io::stderr());
            let outcome = driver::run_compiled(&compiled, &path, &source, options, out, err);
            if let RunOutcome::Error(e) = &outcome {
                eprint!("{}", driver::render_runtime_error(&path, &source, e));
            }
            outcome.exit_code()
        });
    match worker.map(|w| w.join()) {
        Ok(Ok(c)) => code(c),
        _ => {
            eprintln!("error: the VM thread failed");
            code(exit::RUNTIME_ERROR)
        }
    }
}

/// `RUFF_LOG=ruff_core::jit=debug` prints a readable JIT log to stderr.
fn init_logging() {
    if let Ok(filter) = std::env::var("RUFF_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .without_time()
            .try_init();
    }
}

/// Large arrays and dicts get huge-page mappings (see `big_alloc`).
#[global_allocator]
static ALLOC: ruff_core::runtime::big_alloc::BigAlloc = ruff_core::runtime::big_alloc::BigAlloc;

fn main() -> ExitCode {
    ruff_core::runtime::big_alloc::use_main_arena_only();
    init_logging();
    let matches = match cli().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    code(exit::OK)
                }
                _ => code(exit::USAGE),
            };
        }
    };
    match matches.subcommand() {
        Some(("run", m)) => run(m),
        Some(("check", m)) => check(m),
        _ => code(exit::USAGE),
    }
}
