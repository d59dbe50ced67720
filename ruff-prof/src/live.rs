//! Commands on a running `ruff run` process (`--pid`): `record`/`run`/
//! `annotate` write the same profiles as for a program ruff-prof starts,
//! `top` shows the hottest functions refreshed every second (like
//! `py-spy top`), `dump` prints the current Ruff stack. See `attach` for
//! how the samples get here.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::time::{Duration, Instant};

use ruff_core::driver::exit;
use ruff_core::runtime::shadow::{FrameSample, FuncId, Tier};

use crate::attach::{pump, Attached, Collector, Ended};
use crate::cli::Format;
use crate::profile::{tier_index, Lines, Profile, ProgramInfo, NTIERS};

/// Attach failures exit with this status (the pid named no profilable
/// process).
pub const ATTACH_FAILED: i32 = exit::USAGE;

#[derive(Clone, Debug)]
pub struct PidConfig {
    pub pid: u32,
    pub rate_hz: u32,
    pub duration: Option<Duration>,
    pub lines: Lines,
}

fn connect(pid: u32, rate_hz: u32) -> Result<(Attached, ProgramInfo), String> {
    let a = Attached::connect(pid, rate_hz)?;
    let info = a.program_info()?;
    Ok((a, info))
}

fn ended_words(e: Ended, pid: u32) -> String {
    match e {
        Ended::Signalled => format!("stopped by signal; process {pid} keeps running"),
        Ended::Duration => format!("--duration reached; process {pid} keeps running"),
        Ended::TargetGone => format!("process {pid} exited"),
        Ended::Done => format!("done; process {pid} keeps running"),
    }
}

/// `record|run|annotate --pid`: sample until Ctrl-C, SIGTERM, `-d` or
/// the target's exit, then write `output` and print the summary.
pub fn record(cfg: &PidConfig, output: Option<(&str, Format)>, annotate: bool) -> i32 {
    let (mut a, mut info) = match connect(cfg.pid, cfg.rate_hz) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ATTACH_FAILED;
        }
    };
    info.lines = cfg.lines;
    eprintln!(
        "ruff-prof: attached to process {} ({}) at {} Hz; Ctrl-C to stop",
        cfg.pid, a.name, cfg.rate_hz
    );
    let mut col = Collector::default();
    let start = Instant::now();
    let (ended, lost) = pump(
        &mut a,
        Duration::from_millis(100),
        cfg.duration,
        |f, t| col.add(f, t),
        || true,
    );
    drop(a);
    eprintln!("ruff-prof: {}", ended_words(ended, cfg.pid));
    col.raw.elapsed = start.elapsed();
    col.raw.lost = lost;
    col.raw.duration_reached = ended == Ended::Duration;
    if col.raw.samples.is_empty() {
        eprintln!("error: no samples: the program ran no Ruff code while attached");
        return exit::RUNTIME_ERROR;
    }
    let p = Profile::new(info, col.raw, cfg.rate_hz);
    let telemetry = crate::telemetry::Telemetry::default();
    eprint!(
        "{}",
        crate::summary::render(&p, &crate::summary::Jit::On(&telemetry))
    );
    if annotate {
        eprint!("{}", crate::annotate::render(&p));
    }
    let mut status = exit::OK;
    if let Some((path, format)) = output {
        match crate::render(&p, format, None) {
            Ok(text) => crate::write_output(
                path,
                &format!("{format:?}").to_lowercase(),
                &text,
                &mut status,
            ),
            Err(e) => {
                eprintln!("error: {e}");
                status = exit::IO_ERROR;
            }
        }
    }
    status
}

/// `dump --pid`: the Ruff stack of the process now, innermost first.
pub fn dump(pid: u32) -> i32 {
    let (mut a, info) = match connect(pid, 1000) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ATTACH_FAILED;
        }
    };
    let mut last: Option<Vec<FrameSample>> = None;
    let (ended, _) = pump(
        &mut a,
        Duration::from_millis(10),
        Some(Duration::from_secs(3)),
        |f, _| last = Some(f.to_vec()),
        || true,
    );
    // The first sample is enough: stop at once.
    let name = a.name.clone();
    drop(a);
    let Some(frames) = last else {
        eprintln!(
            "error: no stack from process {pid}: {}",
            match ended {
                Ended::TargetGone => "it exited".to_string(),
                _ => "it ran no Ruff code".to_string(),
            }
        );
        return exit::RUNTIME_ERROR;
    };
    print!("{}", render_dump(pid, &name, &info, &frames));
    exit::OK
}

fn render_dump(pid: u32, name: &str, info: &ProgramInfo, frames: &[FrameSample]) -> String {
    let lines: Vec<&str> = info.source.lines().collect();
    let mut s = format!("Process {pid}: ruff run {name}\nRuff stack (innermost first):\n");
    for f in frames.iter().rev() {
        let _ = writeln!(s, "    {}", info.label(f));
        if f.func & ruff_core::runtime::shadow::BUILTIN_BIT == 0 {
            if let Some(text) = (f.line as usize).checked_sub(1).and_then(|i| lines.get(i)) {
                let _ = writeln!(s, "        {}", text.trim());
            }
        }
    }
    s
}

#[derive(Clone, Debug)]
pub struct TopConfig {
    pub pid: u32,
    pub rate_hz: u32,
    pub interval: Duration,
    /// Stop after this many refreshes.
    pub iterations: Option<u64>,
}

/// Per-function counts for `top`.
#[derive(Default, Clone)]
struct Row {
    own: u64,
    total: u64,
    own_by_tier: [u64; NTIERS],
}

#[derive(Default)]
struct Window {
    rows: HashMap<FuncId, Row>,
    samples: u64,
    by_tier: [u64; NTIERS],
}

impl Window {
    fn add(&mut self, frames: &[FrameSample]) {
        let Some(leaf) = frames.last() else { return };
        self.samples += 1;
        self.by_tier[tier_index(leaf.tier)] += 1;
        let mut seen: Vec<FuncId> = Vec::with_capacity(frames.len());
        for f in frames {
            if !seen.contains(&f.func) {
                seen.push(f.func);
                self.rows.entry(f.func).or_default().total += 1;
            }
        }
        let r = self.rows.entry(leaf.func).or_default();
        r.own += 1;
        r.own_by_tier[tier_index(leaf.tier)] += 1;
    }
}

const TIERS: [Tier; NTIERS] = [
    Tier::Interpreted,
    Tier::Native,
    Tier::Compiler,
    Tier::Runtime,
    Tier::Helper,
    Tier::System,
];

fn pct(n: u64, of: u64) -> f64 {
    100.0 * n as f64 / of.max(1) as f64
}

/// One screen of `top`.
fn render_top(
    cfg: &TopConfig,
    info: &ProgramInfo,
    recent: &Window,
    all: &Window,
    elapsed: Duration,
    refresh: u64,
    max_rows: usize,
) -> String {
    let secs = |n: u64| n as f64 / f64::from(cfg.rate_hz);
    let mut s = format!(
        "ruff-prof top: process {} ({}), {:.1} s, {} samples/s, refresh {refresh} (Ctrl-C to quit)\n",
        cfg.pid,
        info.file,
        elapsed.as_secs_f64(),
        (recent.samples as f64 / cfg.interval.as_secs_f64()).round()
    );
    let tiers: Vec<String> = TIERS
        .iter()
        .filter(|t| recent.by_tier[tier_index(**t)] > 0)
        .map(|t| {
            format!(
                "{} {:.0}%",
                t.name(),
                pct(recent.by_tier[tier_index(*t)], recent.samples)
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "last {:.0} s: {}\n",
        cfg.interval.as_secs_f64(),
        tiers.join(", ")
    );
    let _ = writeln!(
        s,
        "{:>7} {:>7} {:>9} {:>10}  {:<12} Function (file:line)",
        "%Own", "%Total", "OwnTime", "TotalTime", "Tier"
    );
    let mut ids: Vec<&FuncId> = all.rows.keys().collect();
    let key = |id: &FuncId| {
        let r = recent.rows.get(id).cloned().unwrap_or_default();
        let a = &all.rows[id];
        (r.own, r.total, a.own, a.total)
    };
    ids.sort_by(|x, y| key(y).cmp(&key(x)).then(x.cmp(y)));
    for id in ids.into_iter().take(max_rows) {
        let r = recent.rows.get(id).cloned().unwrap_or_default();
        let a = &all.rows[id];
        let tier = TIERS
            .iter()
            .max_by_key(|t| a.own_by_tier[tier_index(**t)])
            .filter(|_| a.own > 0)
            .map_or("", |t| t.name());
        let _ = writeln!(
            s,
            "{:>6.1}% {:>6.1}% {:>8.2}s {:>9.2}s  {:<12} {}",
            pct(r.own, recent.samples),
            pct(r.total, recent.samples),
            secs(a.own),
            secs(a.total),
            tier,
            info.func_label(*id)
        );
    }
    s
}

/// Terminal rows, if stdout is one.
fn terminal_rows() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills the struct.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        (libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_row > 0)
            .then_some(ws.ws_row as usize)
    }
}

/// `top --pid`: refresh a table of the hottest functions every interval
/// until Ctrl-C, the target's exit or `--iterations`.
pub fn top(cfg: &TopConfig) -> i32 {
    let (mut a, info) = match connect(cfg.pid, cfg.rate_hz) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ATTACH_FAILED;
        }
    };
    let tty = std::io::stdout().is_terminal();
    let mut all = Window::default();
    let mut recent = Window::default();
    let start = Instant::now();
    let mut refresh = 0u64;
    // Samples arrive between ticks: folded in at each tick.
    let pending = std::cell::RefCell::new(Vec::<Vec<FrameSample>>::new());
    let on_sample = |f: &[FrameSample], _t: u64| pending.borrow_mut().push(f.to_vec());
    let each_tick = || {
        let batch = std::mem::take(&mut *pending.borrow_mut());
        recent = Window::default();
        for f in &batch {
            all.add(f);
            recent.add(f);
        }
        refresh += 1;
        let rows = terminal_rows()
            .filter(|_| tty)
            .map_or(40, |r| r.saturating_sub(6));
        let screen = render_top(cfg, &info, &recent, &all, start.elapsed(), refresh, rows);
        let mut out = std::io::stdout().lock();
        let _ = if tty {
            write!(out, "\x1b[H\x1b[2J{screen}")
        } else {
            writeln!(out, "{screen}")
        };
        let _ = out.flush();
        cfg.iterations.is_none_or(|n| refresh < n)
    };
    let (ended, _) = pump(&mut a, cfg.interval, None, on_sample, each_tick);
    drop(a);
    eprintln!("ruff-prof: {}", ended_words(ended, cfg.pid));
    exit::OK
}
