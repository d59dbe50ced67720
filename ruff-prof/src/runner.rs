//! Run a program in-process under the sampler: the VM on its own big-stack
//! thread (as `ruff run` does), the sampler on another, both reading one
//! shadow stack.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use ruff_core::diagnostics;
use ruff_core::driver::{self, exit, RunOutcome};
use ruff_core::runtime::shadow::ShadowStack;
use ruff_core::runtime::vm::VmOptions;

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
    let sampler = match Sampler::start(
        shadow,
        SamplerConfig {
            rate_hz: config.rate_hz,
            duration: config.duration,
        },
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the sampler thread: {e}");
            return nothing(exit::RUNTIME_ERROR);
        }
    };
    let path = config.file.clone();
    // The compiled program holds `Rc`s, so it is compiled, run and described
    // (ProgramInfo) on the VM thread; only plain data comes back.
    let worker = std::thread::Builder::new()
        .name("ruff-vm".into())
        .stack_size(512 << 20)
        .spawn(move || {
            let compiled = match driver::compile(&source) {
                Ok(c) => c,
                Err(errors) => {
                    let color = std::io::stderr().is_terminal();
                    eprint!("{}", diagnostics::render(&path, &source, &errors, color));
                    return (exit::STATIC_ERROR, None);
                }
            };
            let info = ProgramInfo::new(&path, &source, &compiled);
            // Not `stdout().lock()`: the VM (and its writer) is left to
            // the OS after the run (`exit_after_run`), and a lock it held
            // would never be released (`--compare-no-jit` runs twice).
            let out = Box::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout(),
            ));
            let err = Box::new(std::io::stderr());
            let outcome = driver::run_compiled(&compiled, &path, &source, options, out, err);
            if let RunOutcome::Error(e) = &outcome {
                eprint!("{}", driver::render_runtime_error(&path, &source, e));
            }
            (outcome.exit_code(), Some(info))
        });
    let joined = worker.map(|w| w.join());
    let raw = sampler.finish();
    let (exit_code, info) = match joined {
        Ok(Ok(r)) => r,
        _ => {
            eprintln!("error: the VM thread failed");
            (exit::RUNTIME_ERROR, None)
        }
    };
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
        profile: info.map(|info| Profile::new(info, raw, config.rate_hz)),
        jit_available,
        telemetry,
    }
}

/// A per-process counter, so two runs (`--compare-no-jit`) never share a file.
fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
