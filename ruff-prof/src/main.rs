//! `ruff-prof`: a sampling profiler for Ruff programs.
//!
//! The program runs in-process on the VM thread; a sampler thread reads the
//! VM's shadow stack (function, tier, line per frame) at a fixed rate. The
//! samples become a flamegraph coloured by tier, speedscope JSON or folded
//! stacks, and a terminal summary. The program's stdout and stderr pass
//! through untouched and its exit status is ruff-prof's.
//!
//! Pipeline: cli → runner (VM + sampler) → profile (names, aggregation) →
//! collapsed / svg / speedscope / diff, summary (+ telemetry from the JIT).

mod annotate;
mod attach;
mod cli;
mod collapsed;
mod diff;
mod live;
mod machine;
mod pc;
mod profile;
mod runner;
mod sampler;
mod speedscope;
mod summary;
mod svg;
mod telemetry;

use std::process::ExitCode;

use cli::{Cmd, Format};
use profile::Profile;
use ruff_core::driver::exit;
use ruff_core::runtime::vm::INTERRUPTED;
use runner::{RunConfig, RunResult};

fn code(n: i32) -> ExitCode {
    ExitCode::from((n & 0xff) as u8)
}

/// The last of SIGINT / SIGTERM received (0: none).
static SIGNALLED: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn on_stop_signal(sig: libc::c_int) {
    SIGNALLED.store(sig, std::sync::atomic::Ordering::Relaxed);
    INTERRUPTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether SIGINT or SIGTERM arrived.
pub(crate) fn signalled() -> bool {
    SIGNALLED.load(std::sync::atomic::Ordering::Relaxed) != 0
}

/// Ctrl-C and SIGTERM (what `timeout` and `kill` send) stop the program
/// the way Ctrl-C stops `ruff run`, and the profile of what ran is still
/// written (and the temporary telemetry file removed) before ruff-prof
/// exits with the status a shell expects: 130 for SIGINT, 143 for SIGTERM.
fn install_sigint() {
    // SAFETY: the handler only stores to atomics.
    unsafe {
        for sig in [libc::SIGINT, libc::SIGTERM] {
            libc::signal(sig, on_stop_signal as *const () as libc::sighandler_t);
        }
    }
}

/// The exit status after a run: a program stopped by SIGTERM reports it.
fn signal_status(status: i32) -> i32 {
    match SIGNALLED.load(std::sync::atomic::Ordering::Relaxed) {
        libc::SIGTERM if status == exit::INTERRUPTED => 128 + libc::SIGTERM,
        _ => status,
    }
}

/// Write an output file; a failure turns a successful run's status into an
/// I/O error (the program's own failure status wins).
pub(crate) fn write_output(path: &str, what: &str, contents: &str, status: &mut i32) {
    let written = if path == "-" {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(contents.as_bytes())
            .and_then(|()| out.flush())
    } else {
        std::fs::write(path, contents)
    };
    match written {
        Ok(()) => eprintln!("ruff-prof: wrote {what} to {path}"),
        Err(e) => {
            eprintln!("error: cannot write {path}: {e}");
            if *status == exit::OK {
                *status = exit::IO_ERROR;
            }
        }
    }
}

pub(crate) fn render(
    p: &Profile,
    format: Format,
    telemetry: Option<&telemetry::Telemetry>,
) -> Result<String, String> {
    match format {
        Format::Flamegraph => {
            let notes = telemetry.map(|t| svg::jit_notes(p, t)).unwrap_or_default();
            svg::render(p, &notes).map_err(|e| format!("flamegraph: {e}"))
        }
        Format::Speedscope => Ok(speedscope::render(p)),
        Format::Collapsed => Ok(collapsed::render(p)),
    }
}

fn summarize(r: &RunResult, config: &RunConfig) {
    let Some(p) = &r.profile else { return };
    let jit = match (&r.telemetry, r.jit_available, config.jit.as_str()) {
        (_, true, "off") => summary::Jit::Off,
        (Some(t), true, _) => summary::Jit::On(t),
        _ => summary::Jit::Unavailable,
    };
    eprint!("{}", summary::render(p, &jit));
}

/// Profile one run and write `format` to `output` (if any); print the
/// annotated source if asked.
fn profile_to(config: &RunConfig, output: Option<(&str, Format)>, annotate: bool) -> i32 {
    let r = runner::run(config);
    let mut status = r.exit_code;
    summarize(&r, config);
    if let (true, Some(p)) = (annotate, &r.profile) {
        eprint!("{}", annotate::render(p));
    }
    if let (Some(p), Some((path, format))) = (&r.profile, output) {
        match render(p, format, r.telemetry.as_ref()) {
            Ok(text) => write_output(
                path,
                &format!("{format:?}").to_lowercase(),
                &text,
                &mut status,
            ),
            Err(e) => {
                eprintln!("error: {e}");
                if status == exit::OK {
                    status = exit::IO_ERROR;
                }
            }
        }
    }
    status
}

/// `--compare-no-jit`: the same program without and with the JIT, as a
/// differential flamegraph (blue: time the JIT saved).
fn compare_no_jit(config: &RunConfig, output: &str) -> i32 {
    let off = RunConfig {
        jit: "off".to_string(),
        ..config.clone()
    };
    eprintln!("ruff-prof: run 1 of 2: --jit=off");
    let a = runner::run(&off);
    summarize(&a, &off);
    eprintln!("ruff-prof: run 2 of 2: --jit={}", config.jit);
    let b = runner::run(config);
    summarize(&b, config);
    let mut status = b.exit_code;
    let (Some(pa), Some(pb)) = (&a.profile, &b.profile) else {
        return status;
    };
    if !b.jit_available {
        eprintln!("ruff-prof: this build has no JIT: both runs were interpreted");
    }
    eprintln!(
        "ruff-prof: without JIT {} samples ({:.2} s), with JIT {} samples ({:.2} s): {}",
        pa.total(),
        pa.elapsed().as_secs_f64(),
        pb.total(),
        pb.elapsed().as_secs_f64(),
        diff::change(pa.total(), pb.total())
    );
    let title = format!(
        "ruff-prof: {}: JIT off → JIT {}",
        pa.program.file, config.jit
    );
    match diff::render(&collapsed::render(pa), &collapsed::render(pb), &title) {
        Ok(svg) => write_output(output, "differential flamegraph", &svg, &mut status),
        Err(e) => {
            eprintln!("error: differential flamegraph: {e}");
            if status == exit::OK {
                status = exit::IO_ERROR;
            }
        }
    }
    status
}

fn diff_files(before: &str, after: &str, output: &str) -> i32 {
    let read =
        |p: &str| std::fs::read_to_string(p).map_err(|e| eprintln!("error: cannot read {p}: {e}"));
    let (Ok(a), Ok(b)) = (read(before), read(after)) else {
        return exit::IO_ERROR;
    };
    let title = format!("ruff-prof diff: {before} → {after}");
    let mut status = exit::OK;
    match diff::render(&a, &b, &title) {
        Ok(svg) => write_output(output, "differential flamegraph", &svg, &mut status),
        Err(e) => {
            eprintln!("error: {e}");
            status = exit::IO_ERROR;
        }
    }
    status
}

/// Large arrays and dicts get huge-page mappings (see `big_alloc`).
#[global_allocator]
static ALLOC: ruff_core::runtime::big_alloc::BigAlloc = ruff_core::runtime::big_alloc::BigAlloc;

fn main() -> ExitCode {
    let matches = match cli::command().try_get_matches() {
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
    let cmd = match cli::parse(&matches) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return code(exit::USAGE);
        }
    };
    code(signal_status(match cmd {
        Cmd::Run {
            config,
            flamegraph,
            compare_no_jit: true,
            ..
        } => {
            install_sigint();
            compare_no_jit(&config, flamegraph.as_deref().unwrap_or("jit-diff.svg"))
        }
        Cmd::Run {
            config,
            flamegraph,
            annotate,
            ..
        } => {
            install_sigint();
            profile_to(
                &config,
                flamegraph.as_deref().map(|f| (f, Format::Flamegraph)),
                annotate,
            )
        }
        Cmd::Annotate { config } => {
            install_sigint();
            profile_to(&config, None, true)
        }
        Cmd::Record {
            config,
            output,
            format,
        } => {
            install_sigint();
            profile_to(&config, Some((&output, format)), false)
        }
        Cmd::Attach {
            config,
            output,
            annotate,
        } => {
            install_sigint();
            live::record(
                &config,
                output.as_ref().map(|(p, f)| (p.as_str(), *f)),
                annotate,
            )
        }
        Cmd::Top(config) => {
            install_sigint();
            live::top(&config)
        }
        Cmd::Dump { pid } => live::dump(pid),
        Cmd::Diff {
            before,
            after,
            output,
        } => diff_files(&before, &after, &output),
    }))
}
