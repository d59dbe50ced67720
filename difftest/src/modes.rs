//! The JIT modes a program runs in, named as on the command line.
//!
//! | name | `ruff run` flags |
//! |---|---|
//! | `off` | `--jit=off` (the reference: the interpreter defines the semantics) |
//! | `on` | (none: default tiering, 100 calls / 1000 iterations) |
//! | `always` | `--jit=always` |
//! | `tN` | `--jit-threshold N` |
//! | `stressN` | `--jit-threshold 1 --jit-stress-exits N` (a forced guard exit every N guards) |

use ruff_core::jit::{JitMode, JitTools};
use ruff_core::runtime::vm::VmOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Off,
    On,
    Always,
    Threshold(u32),
    Stress(u32),
}

/// The default matrix: every mode of issue 22.
pub const DEFAULT_MODES: &str = "on,always,t1,t7,stress1,stress2,stress3,stress7";

impl Mode {
    pub fn parse(s: &str) -> Result<Mode, String> {
        let num = |rest: &str| -> Result<u32, String> {
            rest.parse::<u32>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| format!("bad mode {s:?}: expected a number >= 1 after the name"))
        };
        match s {
            "off" => Ok(Mode::Off),
            "on" | "default" => Ok(Mode::On),
            "always" => Ok(Mode::Always),
            _ => {
                if let Some(rest) = s.strip_prefix("stress") {
                    Ok(Mode::Stress(num(rest)?))
                } else if let Some(rest) = s.strip_prefix('t') {
                    Ok(Mode::Threshold(num(rest)?))
                } else {
                    Err(format!("unknown mode {s:?} (off, on, always, tN, stressN)"))
                }
            }
        }
    }

    /// A comma-separated list; `off` (the reference) is implied.
    pub fn parse_list(s: &str) -> Result<Vec<Mode>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let m = Mode::parse(part)?;
            if m != Mode::Off && !out.contains(&m) {
                out.push(m);
            }
        }
        if out.is_empty() {
            return Err("no JIT mode to compare with off".into());
        }
        Ok(out)
    }

    pub fn name(self) -> String {
        match self {
            Mode::Off => "off".into(),
            Mode::On => "on".into(),
            Mode::Always => "always".into(),
            Mode::Threshold(n) => format!("t{n}"),
            Mode::Stress(n) => format!("stress{n}"),
        }
    }

    /// The `ruff run` flags that reproduce this mode.
    pub fn flags(self) -> String {
        match self {
            Mode::Off => "--jit=off".into(),
            Mode::On => "(default)".into(),
            Mode::Always => "--jit=always".into(),
            Mode::Threshold(n) => format!("--jit-threshold {n}"),
            Mode::Stress(n) => format!("--jit-threshold 1 --jit-stress-exits {n}"),
        }
    }

    /// The VM options `ruff run` builds for these flags (see
    /// `ruff-core/src/main.rs`), except `exit_after_run`: a run in this
    /// process must free its memory.
    pub fn options(self) -> VmOptions {
        let (jit, threshold, stress) = match self {
            Mode::Off => (JitMode::Off, None, 0),
            Mode::On => (JitMode::On, None, 0),
            Mode::Always => (JitMode::Always, None, 0),
            Mode::Threshold(n) => (JitMode::On, Some(n), 0),
            Mode::Stress(n) => (JitMode::On, Some(1), n),
        };
        VmOptions {
            max_depth: 10_000,
            args: Vec::new(),
            jit,
            jit_threshold: threshold,
            jit_tools: JitTools {
                stress_exits: stress,
                ..JitTools::default()
            },
            exit_after_run: false,
            ..VmOptions::default()
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}
