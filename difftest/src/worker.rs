//! The child side of the campaign: `difftest --worker --modes LIST` reads
//! requests on stdin and answers on stdout, one at a time, running programs
//! in-process (`runner`) on a thread with the CLI's 512 MiB stack. A JIT
//! crash or hang kills only this process; the parent (`pool`) notices and
//! reports it.
//!
//! Wire format (text headers, raw payloads):
//!
//! ```text
//! > seed SEED
//! < seed SEED STATUS OFF_MICROS TOTAL_MICROS MODES
//!   STATUS: ok | diff (MODES lists the modes that differ from off, comma-
//!   separated) | invalid (does not compile) | offpanic (the interpreter
//!   panicked); MODES is `-` when empty
//! > run MODES NBYTES
//! > <NBYTES of source>
//! < outcomes N
//! < MODE CODE PANICKED MICROS STDOUT_LEN STDERR_LEN   (N times, each
//! < <stdout bytes><stderr bytes>                        followed by its bytes)
//! ```

use std::io::{BufRead, Read, Write};

use crate::modes::Mode;
use crate::printer::print_program;
use crate::runner::{self, Outcome};

/// Address-space cap of a worker. The generator bounds most growth but not
/// all (two strings built from each other can double every iteration): such
/// a program then fails an allocation here, and is reported as "--jit=off
/// itself crashed", instead of two workers pushing the machine into swap.
const MEMORY_CAP: u64 = 6 << 30;

/// Serve requests until stdin closes. Returns the process exit code.
pub fn serve(modes: Vec<Mode>) -> i32 {
    runner::install_panic_hook();
    let cap = libc::rlimit {
        rlim_cur: MEMORY_CAP,
        rlim_max: MEMORY_CAP,
    };
    // SAFETY: setrlimit only reads the struct passed by reference.
    unsafe { libc::setrlimit(libc::RLIMIT_AS, &cap) };
    let t = std::thread::Builder::new()
        .name("ruff-vm".into())
        .stack_size(512 << 20)
        .spawn(move || serve_loop(&modes));
    match t.map(|t| t.join()) {
        Ok(Ok(Ok(()))) => 0,
        _ => 1,
    }
}

fn serve_loop(modes: &[Mode]) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["seed", seed] => {
                let seed: u64 = seed.parse().map_err(bad)?;
                let source = print_program(&crate::generate(seed));
                let reply = check_seed(&source, modes);
                writeln!(out, "seed {seed} {reply}")?;
            }
            ["run", list, len] => {
                let run_modes = parse_modes(list)?;
                let len: usize = len.parse().map_err(bad)?;
                let mut buf = vec![0; len];
                input.read_exact(&mut buf)?;
                let source = String::from_utf8(buf).map_err(bad)?;
                let outcomes: Vec<(Mode, Outcome)> = run_modes
                    .into_iter()
                    .map(|m| (m, runner::run(&source, m)))
                    .collect();
                write_outcomes(&mut out, &outcomes)?;
            }
            _ => return Err(bad(format!("bad request {line:?}"))),
        }
        out.flush()?;
    }
}

/// `STATUS OFF_MICROS TOTAL_MICROS MODES` for a generated program.
fn check_seed(source: &str, modes: &[Mode]) -> String {
    let off = runner::run(source, Mode::Off);
    if off.code == ruff_core::driver::exit::STATIC_ERROR {
        return format!("invalid {} {} -", off.micros, off.micros);
    }
    if off.panicked {
        return format!("offpanic {} {} -", off.micros, off.micros);
    }
    let mut total = off.micros;
    let mut differing = Vec::new();
    for &m in modes {
        let o = runner::run(source, m);
        total += o.micros;
        if !o.same(&off) || o.panicked {
            differing.push(m.name());
        }
    }
    let status = if differing.is_empty() { "ok" } else { "diff" };
    let list = if differing.is_empty() {
        "-".to_string()
    } else {
        differing.join(",")
    };
    format!("{status} {} {total} {list}", off.micros)
}

fn bad(e: impl ToString) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

pub fn parse_modes(list: &str) -> std::io::Result<Vec<Mode>> {
    list.split(',')
        .map(|m| Mode::parse(m).map_err(bad))
        .collect()
}

pub fn write_outcomes(out: &mut impl Write, outcomes: &[(Mode, Outcome)]) -> std::io::Result<()> {
    writeln!(out, "outcomes {}", outcomes.len())?;
    for (m, o) in outcomes {
        writeln!(
            out,
            "{} {} {} {} {} {}",
            m.name(),
            o.code,
            o.panicked as u8,
            o.micros,
            o.stdout.len(),
            o.stderr.len()
        )?;
        out.write_all(&o.stdout)?;
        out.write_all(&o.stderr)?;
    }
    Ok(())
}

/// Read the `N` outcomes announced by an `outcomes N` header.
pub fn read_outcomes(input: &mut impl BufRead, n: usize) -> std::io::Result<Vec<(Mode, Outcome)>> {
    let mut res = Vec::new();
    let mut line = String::new();
    for _ in 0..n {
        line.clear();
        input.read_line(&mut line)?;
        let w: Vec<&str> = line.split_whitespace().collect();
        let [m, code, panicked, micros, out_len, err_len] = w.as_slice() else {
            return Err(bad(format!("bad outcome header {line:?}")));
        };
        let mode = Mode::parse(m).map_err(bad)?;
        let mut stdout = vec![0; out_len.parse().map_err(bad)?];
        input.read_exact(&mut stdout)?;
        let mut stderr = vec![0; err_len.parse().map_err(bad)?];
        input.read_exact(&mut stderr)?;
        res.push((
            mode,
            Outcome {
                stdout,
                stderr,
                code: code.parse().map_err(bad)?,
                panicked: *panicked == "1",
                micros: micros.parse().map_err(bad)?,
            },
        ));
    }
    Ok(res)
}
