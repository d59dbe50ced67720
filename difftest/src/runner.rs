//! Running a program in one mode, in this process, capturing exactly what
//! `ruff run` would print: standard output, standard error (the program's
//! `eprint`s, then the rendered uncaught error) and the exit code. This is
//! `ruff-core/src/main.rs`'s `run` with `Vec<u8>` writers.
//!
//! Every run compiles the source again: a `Compiled` program carries the
//! JIT's state (counters, type feedback, compiled code hang off each
//! `FuncProto`), so reusing one across modes would let one run tier up the
//! next. Compiling a generated program takes well under a millisecond.
//!
//! Call it on a thread with a large stack (see `worker`), as the CLI does.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Instant;

use ruff_core::diagnostics;
use ruff_core::driver::{self, exit, RunOutcome};

use crate::modes::Mode;

/// The file name errors are reported against.
pub const FILE_NAME: &str = "prog.ruff";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The process exit code `ruff run` would return.
    pub code: i32,
    /// The VM panicked (the CLI prints the panic and exits 4).
    pub panicked: bool,
    /// Wall time of the run (not compared).
    pub micros: u64,
}

impl Outcome {
    /// Same stdout, stderr and exit code (what the user sees).
    pub fn same(&self, other: &Outcome) -> bool {
        self.stdout == other.stdout && self.stderr == other.stderr && self.code == other.code
    }
}

#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

thread_local! {
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
}

/// Route panic messages of runs into the outcome instead of the process's
/// stderr. Call once per process, before any run.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if CAPTURING.with(Cell::get) {
            PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(info.to_string()));
        } else {
            default(info);
        }
    }));
}

/// Run `source` in `mode`.
pub fn run(source: &str, mode: Mode) -> Outcome {
    let start = Instant::now();
    let compiled = match driver::compile(source) {
        Ok(c) => c,
        Err(errors) => {
            return Outcome {
                stderr: diagnostics::render(FILE_NAME, source, &errors, false).into_bytes(),
                code: exit::STATIC_ERROR,
                micros: start.elapsed().as_micros() as u64,
                ..Outcome::default()
            };
        }
    };
    let out = Capture::default();
    let err = Capture::default();
    CAPTURING.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| {
        driver::run_compiled(
            &compiled,
            FILE_NAME,
            source,
            mode.options(),
            Box::new(out.clone()),
            Box::new(err.clone()),
        )
    }));
    CAPTURING.with(|c| c.set(false));
    let mut stderr = err.0.take();
    let (code, panicked) = match result {
        Ok(outcome) => {
            if let RunOutcome::Error(e) = &outcome {
                stderr.extend_from_slice(
                    driver::render_runtime_error(FILE_NAME, source, e).as_bytes(),
                );
            }
            (outcome.exit_code() & 0xff, false)
        }
        Err(_) => {
            let msg = PANIC_MESSAGE
                .with(|m| m.borrow_mut().take())
                .unwrap_or_else(|| "panic".into());
            stderr.extend_from_slice(format!("{msg}\nerror: the VM thread failed\n").as_bytes());
            (exit::RUNTIME_ERROR, true)
        }
    };
    Outcome {
        stdout: out.0.take(),
        stderr,
        code,
        panicked,
        micros: start.elapsed().as_micros() as u64,
    }
}
