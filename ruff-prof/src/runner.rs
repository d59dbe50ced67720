//! Run a program in-process under the sampler: the VM on its own big-stack
//! thread (as `ruff run` does), the sampler on another, both reading one
//! shadow stack.

use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ruff_core::diagnostics;
use ruff_core::driver::{self, exit, RunOutcome};
use ruff_core::runtime::shadow::ShadowStack;
use ruff_core::runtime::vm::VmOptions;

use crate::machine::VmThread;
use crate::profile::{Profile, ProgramInfo};
use crate::sampler::{Sampler, SamplerConfig};
use crate::telemetry::Telemetry;

#[derive(Clone, Debug)]
pub struct RunConfig {
    pub file: String,
    pub args: Vec<String>,
    pub rate_hz: u32,
    pub duration: Option<Duration>,
    /// `off`, `on` or `always` (see `ruff run --jit`).
    pub jit: String,
    pub max_depth: usize,
    /// What line frames show (`--function`, `--nolineno`).
    pub lines: crate::profile::Lines,
    /// `-o -`: the profile goes to stdout, the program's output to stderr.
    pub program_stdout_to_stderr: bool,
}

pub struct RunResult {
    /// The program's exit status (`ruff run`'s codes).
    pub exit_code: i32,
    /// `None` when nothing ran (unreadable file, static errors).
    pub profile: Option<Profile>,
    /// Whether this build could run the program under the JIT.
    pub jit_available: bool,
    /// The JIT's events for this run, when it ran.
    pub telemetry: Option<Telemetry>,
}

/// Ask the VM for the JIT mode (`ruff run --jit`'s values) and for its
/// lean telemetry as JSON Lines in `telemetry_file`, which the summary reads back
/// for compile counts, times, exits and refusals. Returns whether the VM has
/// a JIT (the summary says "JIT not available" otherwise).
fn configure_jit(options: &mut VmOptions, mode: &str, telemetry_file: &str) -> bool {
    use ruff_core::jit::JitMode;
    options.jit = match mode {
        "off" => JitMode::Off,
        "always" => JitMode::Always,
        _ => JitMode::On,
    };
    options.jit_tools.telemetry = Some(telemetry_file.to_string());
    // As under `ruff run`: JIT code named in /tmp/perf-PID.map for `perf`.
    options.jit_tools.perf_map = std::env::var_os("RUFF_PERF_MAP").is_some_and(|v| v == "1");
    // Events only: the samples measure native vs interpreted time, and
    // counting every native call and back edge would slow the program
    // (docs/telemetry.md, "lean telemetry").
    options.jit_tools.lean_telemetry = true;
    true
}

fn read_source(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{path} is not valid UTF-8"))
}

pub fn run(config: &RunConfig) -> RunResult {
    let nothing = |exit_code| RunResult {
        exit_code,
        profile: None,
        jit_available: false,
        telemetry: None,
    };
    let source = match read_source(&config.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return nothing(exit::IO_ERROR);
        }
    };
    // Builtins that call back into Ruff (map, sort with a key...) nest a
    // runtime frame per level: room for both, and a margin.
    let shadow = Arc::new(ShadowStack::new(config.max_depth * 2 + 64));
    let telemetry_file = std::env::temp_dir()
        .join(format!(
            "ruff-prof-{}-{}.jsonl",
            std::process::id(),
            unique()
        ))
        .to_string_lossy()
        .into_owned();
    let mut options = VmOptions {
        max_depth: config.max_depth,
        args: config.args.clone(),
        shadow: Some(shadow.clone()),
        // ruff-prof ends soon after the run, as `ruff run` does: leave the
        // program's memory to the OS rather than free it value by value
        // (measured: freeing array_sum's 10-million-element array was +10%
        // of its run). The JIT's frame records stay valid for the sampler.
        exit_after_run: true,
        ..VmOptions::default()
    };
    let jit_available = configure_jit(&mut options, &config.jit, &telemetry_file);
    let vm_thread = Arc::new(OnceLock::new());
    let sampler = match Sampler::start(
        shadow,
        SamplerConfig {
            rate_hz: config.rate_hz,
            duration: config.duration,
        },
        vm_thread.clone(),
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the sampler thread: {e}");
            return nothing(exit::RUNTIME_ERROR);
        }
    };
    let path = config.file.clone();
    let lines = config.lines;
    let to_stderr = config.program_stdout_to_stderr;
    // The compiled program holds `Rc`s, so it is compiled, run and described
    // (ProgramInfo) on the VM thread; only plain data comes back.
    let worker = std::thread::Builder::new()
        .name("ruff-vm".into())
        .stack_size(512 << 20)
        .spawn(move || {
            let _ = vm_thread.set(VmThread::current());
            let compiled = match driver::compile(&source) {
                Ok(c) => c,
                Err(errors) => {
                    let color = std::io::stderr().is_terminal();
                    eprint!("{}", diagnostics::render(&path, &source, &errors, color));
                    return (exit::STATIC_ERROR, None);
                }
            };
            let mut info = ProgramInfo::new(&path, &source, &compiled);
            info.lines = lines;
            // Not `stdout().lock()`: the VM (and its writer) is left to
            // the OS after the run (`exit_after_run`), and a lock it held
            // would never be released (`--compare-no-jit` runs twice).
            let out: Box<dyn std::io::Write> = if to_stderr {
                Box::new(std::io::stderr())
            } else {
                Box::new(std::io::BufWriter::with_capacity(
                    1 << 16,
                    std::io::stdout(),
                ))
            };
            let err = Box::new(std::io::stderr());
            let outcome = driver::run_compiled(&compiled, &path, &source, options, out, err);
            let cpu = thread_cpu();
            if let RunOutcome::Error(e) = &outcome {
                eprint!("{}", driver::render_runtime_error(&path, &source, e));
            }
            (outcome.exit_code(), Some((info, cpu)))
        });
    let joined = worker.map(|w| w.join());
    let raw = sampler.finish();
    let (mut exit_code, info) = match joined {
        Ok(Ok(r)) => r,
        _ => {
            eprintln!("error: the VM thread failed");
            (exit::RUNTIME_ERROR, None)
        }
    };
    if raw.duration_reached && exit_code == exit::INTERRUPTED {
        // Stopped because `--duration` said so: a run as asked.
        eprintln!(
            "ruff-prof: stopped the program after --duration {:.3} s",
            config.duration.unwrap_or_default().as_secs_f64()
        );
        exit_code = exit::OK;
    }
    let telemetry = if jit_available {
        // No file: nothing became hot, so the JIT had nothing to say.
        let text = std::fs::read_to_string(&telemetry_file).unwrap_or_default();
        let _ = std::fs::remove_file(&telemetry_file);
        Some(Telemetry::parse(&text))
    } else {
        None
    };
    RunResult {
        exit_code,
        profile: info.map(|(info, cpu)| {
            let mut p = Profile::new(info, raw, config.rate_hz);
            p.cpu = cpu;
            p
        }),
        jit_available,
        telemetry,
    }
}

/// The calling thread's CPU time so far: (user, kernel).
fn thread_cpu() -> Option<(Duration, Duration)> {
    // SAFETY: getrusage fills the struct.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        (libc::getrusage(libc::RUSAGE_THREAD, &mut ru) == 0).then_some(ru)
    }?;
    let d = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Some((d(ru.ru_utime), d(ru.ru_stime)))
}

/// A per-process counter, so two runs (`--compare-no-jit`) never share a file.
fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
