//! What a mismatch is (`Kind`), how it is reported, and how it is kept: as
//! a corpus program (`NAME.ruff` with `NAME.stdout`, `NAME.stderr`,
//! `NAME.exit` holding what `--jit=off` prints, see tests/programs/README.md)
//! plus `NAME.txt` with both outputs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::modes::Mode;
use crate::pool::Failure;
use crate::runner::Outcome;

/// The kind of a mismatch, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The process died (signal, abort).
    Crash,
    /// No answer within the timeout.
    Hang,
    /// A Rust panic in the VM or JIT.
    Panic,
    /// Different exit codes (an error that should not happen, or one that
    /// disappeared).
    ExitCode,
    /// Same exit code, different standard output.
    Stdout,
    /// Same exit code and output, different error text.
    Stderr,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Crash => "crash",
            Kind::Hang => "hang",
            Kind::Panic => "panic",
            Kind::ExitCode => "exit code",
            Kind::Stdout => "stdout",
            Kind::Stderr => "stderr",
        }
    }
}

/// How a run in some mode ended.
#[derive(Clone, Debug)]
pub enum Run {
    Done(Outcome),
    Failed(Failure),
}

/// How `jit` differs from the reference `off`, if it does.
pub fn classify(off: &Outcome, jit: &Run) -> Option<Kind> {
    match jit {
        Run::Failed(Failure::Crashed(_)) => Some(Kind::Crash),
        Run::Failed(Failure::TimedOut) => Some(Kind::Hang),
        Run::Done(o) if o.panicked => Some(Kind::Panic),
        Run::Done(o) if o.code != off.code => Some(Kind::ExitCode),
        Run::Done(o) if o.stdout != off.stdout => Some(Kind::Stdout),
        Run::Done(o) if o.stderr != off.stderr => Some(Kind::Stderr),
        Run::Done(_) => None,
    }
}

pub struct Finding {
    /// The generator seed, or `None` for a checked file.
    pub seed: Option<u64>,
    pub kind: Kind,
    /// The program as saved (header comment included).
    pub source: String,
    /// Lines of the program before shrinking.
    pub original_lines: usize,
    pub off: Outcome,
    /// Every mode that differs, with its run.
    pub differing: Vec<(Mode, Run)>,
}

impl Finding {
    pub fn name(&self) -> String {
        match self.seed {
            Some(s) => format!("seed_{s}"),
            None => "checked".into(),
        }
    }

    pub fn modes(&self) -> String {
        self.differing
            .iter()
            .map(|(m, _)| m.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A readable report: the program, then each output.
    pub fn report(&self) -> String {
        let mut r = String::new();
        let lines = self.source.lines().count();
        let _ = writeln!(
            r,
            "=== {}: {} mismatch in {} ({} lines, from {}) ===",
            self.name(),
            self.kind.name(),
            self.modes(),
            lines,
            self.original_lines
        );
        r.push_str(&self.source);
        let _ = writeln!(r, "--- off ({}): exit {}", Mode::Off.flags(), self.off.code);
        r.push_str(&show(&self.off));
        // Modes with identical results are shown once.
        let mut shown: Vec<(&Run, Vec<Mode>)> = Vec::new();
        for (m, run) in &self.differing {
            match shown.iter_mut().find(|(r, _)| same_run(r, run)) {
                Some((_, ms)) => ms.push(*m),
                None => shown.push((run, vec![*m])),
            }
        }
        for (run, ms) in shown {
            let names: Vec<String> = ms
                .iter()
                .map(|m| format!("{} ({})", m.name(), m.flags()))
                .collect();
            match run {
                Run::Done(o) => {
                    let _ = writeln!(r, "--- {}: exit {}", names.join(", "), o.code);
                    r.push_str(&show(o));
                    if let Some(d) = first_difference(&self.off.stdout, &o.stdout) {
                        let _ = writeln!(r, "    first difference in stdout: {d}");
                    }
                }
                Run::Failed(f) => {
                    let _ = writeln!(r, "--- {}: {f:?}", names.join(", "));
                }
            }
        }
        r
    }

    /// Write the corpus files and the report into `dir` under `name`.
    pub fn save(&self, dir: &Path, name: &str) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        let mut put = |ext: &str, data: &[u8]| -> std::io::Result<()> {
            let p = dir.join(format!("{name}.{ext}"));
            std::fs::write(&p, data)?;
            written.push(p);
            Ok(())
        };
        put("ruff", self.source.as_bytes())?;
        put("stdout", &self.off.stdout)?;
        if self.off.code != 0 {
            put("exit", format!("{}\n", self.off.code).as_bytes())?;
            // The error line only: the corpus checks stderr lines as
            // substrings, and the location depends on the file name.
            let first = String::from_utf8_lossy(&self.off.stderr)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            if !first.is_empty() {
                put("stderr", format!("{first}\n").as_bytes())?;
            }
        }
        put("txt", self.report().as_bytes())?;
        Ok(written)
    }
}

fn same_run(a: &Run, b: &Run) -> bool {
    match (a, b) {
        (Run::Done(x), Run::Done(y)) => x.same(y) && x.panicked == y.panicked,
        (Run::Failed(x), Run::Failed(y)) => x == y,
        _ => false,
    }
}

/// Standard output and error of a run, indented, long outputs cut.
fn show(o: &Outcome) -> String {
    let mut r = String::new();
    for (label, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        if text.is_empty() {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        let _ = writeln!(r, "  [{label}, {} lines]", lines.len());
        const MAX: usize = 40;
        for l in lines.iter().take(MAX) {
            let cut: String = l.chars().take(200).collect();
            let _ = writeln!(r, "  | {cut}");
        }
        if lines.len() > MAX {
            let _ = writeln!(r, "  | ... {} more lines", lines.len() - MAX);
        }
    }
    r
}

/// `line N: "expected" vs "got"` for the first differing line.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<String> {
    if a == b {
        return None;
    }
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i), lb.get(i));
        if x != y {
            let cut = |s: Option<&&str>| match s {
                Some(s) => format!("{:?}", s.chars().take(120).collect::<String>()),
                None => "(end of output)".into(),
            };
            return Some(format!("line {}: off {} vs jit {}", i + 1, cut(x), cut(y)));
        }
    }
    Some("trailing newline".into())
}
