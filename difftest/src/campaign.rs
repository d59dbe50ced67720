//! The campaign: seeds handed out to `jobs` threads, each driving its own
//! worker process; a mismatching seed is investigated (every mode run on
//! its own, so a crash or hang names its mode), shrunk, reported and
//! optionally saved. Progress (programs per second, mismatches) is printed
//! as it goes.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ast::Program;
use crate::finding::{classify, Finding, Kind, Run};
use crate::modes::Mode;
use crate::pool::{Failure, SeedStatus, Worker};
use crate::printer::print_program;
use crate::runner::Outcome;
use crate::shrink::{self, Budget};

#[derive(Clone, Debug)]
pub struct Config {
    pub seeds: std::ops::Range<u64>,
    pub modes: Vec<Mode>,
    pub jobs: usize,
    pub shrink: bool,
    /// Shrink at most this many findings (the others are listed by seed).
    pub shrink_limit: usize,
    pub shrink_budget: Budget,
    /// Write findings here (corpus format) besides printing them.
    pub save: Option<PathBuf>,
    /// Name saved findings `PREFIX_seed_N`.
    pub save_prefix: String,
    /// Per seed, all modes.
    pub timeout: Duration,
    pub progress_every: Duration,
}

#[derive(Default)]
pub struct Summary {
    pub programs: u64,
    pub mismatches: u64,
    pub by_kind: BTreeMap<Kind, u64>,
    pub by_mode: BTreeMap<String, u64>,
    /// One line per mismatching seed.
    pub lines: Vec<String>,
    /// Reports of shrunk findings.
    pub reports: Vec<String>,
    /// Generated programs that do not compile or make the interpreter
    /// panic: bugs of the generator or of the interpreter.
    pub broken: Vec<String>,
    pub elapsed: Duration,
    /// CPU time of this process and its workers.
    pub cpu: Duration,
    pub off_micros: u64,
    pub total_micros: u64,
}

struct Shared<'a> {
    cfg: &'a Config,
    next: AtomicU64,
    done: AtomicU64,
    mismatches: AtomicU64,
    shrunk: AtomicUsize,
    summary: Mutex<Summary>,
    /// Shrunk program text → the seed that first gave it.
    seen: Mutex<HashMap<String, u64>>,
    out: Mutex<()>,
}

pub fn run(cfg: &Config) -> Summary {
    let start = Instant::now();
    let shared = Shared {
        cfg,
        next: AtomicU64::new(cfg.seeds.start),
        done: AtomicU64::new(0),
        mismatches: AtomicU64::new(0),
        shrunk: AtomicUsize::new(0),
        summary: Mutex::new(Summary::default()),
        seen: Mutex::new(HashMap::new()),
        out: Mutex::new(()),
    };
    let finished = AtomicBool::new(false);
    let total = cfg.seeds.end.saturating_sub(cfg.seeds.start);
    std::thread::scope(|s| {
        for _ in 0..cfg.jobs.max(1) {
            s.spawn(|| job(&shared));
        }
        s.spawn(|| {
            let mut last = Instant::now();
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if last.elapsed() >= cfg.progress_every && !finished.load(Ordering::Relaxed) {
                    last = Instant::now();
                    let done = shared.done.load(Ordering::Relaxed);
                    let secs = start.elapsed().as_secs_f64();
                    say(
                        &shared,
                        &format!(
                            "[{secs:.0} s] {done}/{total} programs, {:.1} programs/s, {} mismatches",
                            done as f64 / secs.max(1e-9),
                            shared.mismatches.load(Ordering::Relaxed)
                        ),
                    );
                }
            }
        });
        // The jobs end when the seeds run out; then stop the progress thread.
        while shared.done.load(Ordering::Relaxed) < total {
            std::thread::sleep(Duration::from_millis(50));
        }
        finished.store(true, Ordering::Relaxed);
    });
    let mut summary = shared.summary.into_inner().expect("summary");
    summary.elapsed = start.elapsed();
    summary.cpu = cpu_time();
    summary
}

fn say(shared: &Shared, text: &str) {
    let _g = shared.out.lock().expect("stdout");
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{text}");
    let _ = o.flush();
}

fn job(shared: &Shared) {
    let cfg = shared.cfg;
    let mut worker = Worker::new(&cfg.modes);
    loop {
        let seed = shared.next.fetch_add(1, Ordering::Relaxed);
        if seed >= cfg.seeds.end {
            return;
        }
        let reply = worker.seed(seed, cfg.timeout);
        {
            let mut sum = shared.summary.lock().expect("summary");
            sum.programs += 1;
            if let Ok(r) = &reply {
                sum.off_micros += r.off_micros;
                sum.total_micros += r.total_micros;
            }
        }
        match reply {
            Ok(r) if r.status == SeedStatus::Ok => {}
            Ok(r) if matches!(r.status, SeedStatus::Invalid | SeedStatus::OffPanic) => {
                let what = if r.status == SeedStatus::Invalid {
                    "does not compile (generator bug)"
                } else {
                    "makes the interpreter panic"
                };
                let line =
                    format!("seed {seed}: the program {what}; see `difftest --print {seed}`");
                say(shared, &line);
                shared.summary.lock().expect("summary").broken.push(line);
            }
            // A mismatch, a crash or a hang: look closer, mode by mode,
            // in a fresh worker if this one died.
            Ok(_) => investigate_seed(shared, &mut worker, seed, "a mismatch"),
            Err(Failure::TimedOut) => investigate_seed(
                shared,
                &mut worker,
                seed,
                "a time-out of all modes together (a slow program on a loaded machine)",
            ),
            Err(Failure::Crashed(_)) => {
                investigate_seed(shared, &mut worker, seed, "a worker crash")
            }
        }
        shared.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// `reported` says what the all-modes run reported, for when running the modes
/// one by one shows no difference.
fn investigate_seed(shared: &Shared, worker: &mut Worker, seed: u64, reported: &str) {
    let cfg = shared.cfg;
    let program = crate::generate(seed);
    let Some(first) = run_all(worker, &print_program(&program), cfg) else {
        let line = format!("seed {seed}: --jit=off itself crashed or hung");
        say(shared, &line);
        shared.summary.lock().expect("summary").broken.push(line);
        return;
    };
    let (off, differing) = first;
    if differing.is_empty() {
        let line = format!("seed {seed}: {reported} that did not reproduce mode by mode");
        say(shared, &line);
        shared.summary.lock().expect("summary").lines.push(line);
        return;
    }
    shared.mismatches.fetch_add(1, Ordering::Relaxed);
    let kind = differing
        .iter()
        .map(|(_, _, k)| *k)
        .min()
        .expect("non-empty");
    let modes: Vec<String> = differing.iter().map(|(m, _, _)| m.name()).collect();
    {
        let mut sum = shared.summary.lock().expect("summary");
        sum.mismatches += 1;
        *sum.by_kind.entry(kind).or_default() += 1;
        for m in &modes {
            *sum.by_mode.entry(m.clone()).or_default() += 1;
        }
    }
    let headline = format!(
        "seed {seed}: {} mismatch in {}",
        kind.name(),
        modes.join(", ")
    );
    let may_shrink = cfg.shrink && shared.shrunk.fetch_add(1, Ordering::Relaxed) < cfg.shrink_limit;
    if !may_shrink {
        let line = format!("{headline} (not shrunk; `difftest --seeds {seed}` shrinks it)");
        say(shared, &line);
        shared.summary.lock().expect("summary").lines.push(line);
        return;
    }
    say(shared, &format!("{headline}: shrinking..."));
    let lines_before = print_program(&program).lines().count();
    let (shrunk, tries) = shrink_finding(worker, program, &off, &differing, cfg);
    let body = crate::rename::canonical(&print_program(&shrunk));
    if let Some(first_seed) = shared.seen.lock().expect("seen").get(&body).copied() {
        let line = format!("{headline}: shrinks to the same program as seed {first_seed}");
        say(shared, &line);
        shared.summary.lock().expect("summary").lines.push(line);
        return;
    }
    shared.seen.lock().expect("seen").insert(body.clone(), seed);
    let finding = finish(worker, Some(seed), &body, lines_before, cfg).unwrap_or_else(|| {
        // The shrunk program stopped mismatching when run again
        // (flaky): keep the original.
        Finding {
            seed: Some(seed),
            kind,
            source: print_program(&crate::generate(seed)),
            original_lines: lines_before,
            off: off.clone(),
            differing: differing.iter().map(|(m, r, _)| (*m, r.clone())).collect(),
        }
    });
    let mut report = finding.report();
    report.push_str(&format!("(shrunk in {tries} runs)\n"));
    if let Some(dir) = &cfg.save {
        let name = format!("{}{}", cfg.save_prefix, finding.name());
        match finding.save(dir, &name) {
            Ok(_) => report.push_str(&format!("saved as {}\n", dir.join(&name).display())),
            Err(e) => report.push_str(&format!("could not save into {}: {e}\n", dir.display())),
        }
    }
    say(shared, &report);
    let mut sum = shared.summary.lock().expect("summary");
    sum.lines.push(format!(
        "{headline}: shrunk to {} lines",
        finding.source.lines().count()
    ));
    sum.reports.push(report);
}

/// The modes that differ from `off`, with their runs and kinds.
pub type Differences = Vec<(Mode, Run, Kind)>;

/// Run `source` in `off`, then in each mode on its own. `None` if `off`
/// itself fails; otherwise the `off` outcome and each differing mode with
/// its run and kind.
pub fn run_all(worker: &mut Worker, source: &str, cfg: &Config) -> Option<(Outcome, Differences)> {
    let off = worker.run(source, &[Mode::Off], cfg.timeout).ok()?;
    let off = off.into_iter().next()?.1;
    if off.panicked {
        return None;
    }
    let mut differing = Vec::new();
    for &m in &cfg.modes {
        let run = match worker.run(source, &[m], cfg.timeout) {
            Ok(mut o) => Run::Done(o.pop().expect("one outcome").1),
            Err(f) => Run::Failed(f),
        };
        if let Some(k) = classify(&off, &run) {
            differing.push((m, run, k));
        }
    }
    Some((off, differing))
}

/// Shrink while the most severe mismatch persists in its first mode.
fn shrink_finding(
    worker: &mut Worker,
    program: Program,
    off: &Outcome,
    differing: &[(Mode, Run, Kind)],
    cfg: &Config,
) -> (Program, usize) {
    let kind = differing
        .iter()
        .map(|(_, _, k)| *k)
        .min()
        .expect("non-empty");
    // Shrink against the mode that compiles soonest: its programs need no
    // long loops to show the bug, so they shrink further.
    let soonest = |m: Mode| match m {
        Mode::Always => 0,
        Mode::Threshold(n) => n,
        Mode::Stress(n) => 100 + n,
        Mode::On | Mode::Off => 1000,
    };
    let mode = differing
        .iter()
        .filter(|(_, _, k)| *k == kind)
        .map(|(m, _, _)| *m)
        .min_by_key(|m| soonest(*m))
        .expect("present");
    let off_code = off.code;
    // A candidate must stay quick with --jit=off.
    let off_limit = Duration::from_micros(off.micros.saturating_mul(20)) + Duration::from_secs(1);
    let jit_timeout = match kind {
        Kind::Hang => cfg.timeout.min(off_limit * 5),
        _ => cfg.timeout,
    };
    let mut test = |cand: &Program| -> bool {
        let text = print_program(cand);
        let Ok(o) = worker.run(&text, &[Mode::Off], off_limit) else {
            return false;
        };
        let off = &o[0].1;
        if off.panicked || off.code != off_code || Duration::from_micros(off.micros) > off_limit {
            return false;
        }
        let run = match worker.run(&text, &[mode], jit_timeout) {
            Ok(mut o) => Run::Done(o.pop().expect("one outcome").1),
            Err(f) => Run::Failed(f),
        };
        classify(off, &run) == Some(kind)
    };
    let s = shrink::shrink(program, &mut test, cfg.shrink_budget);
    (s.program, s.tries)
}

/// Run the final program (with a header comment naming the mismatch) in
/// every mode and make the finding; `None` if it no longer mismatches.
pub fn finish(
    worker: &mut Worker,
    seed: Option<u64>,
    body: &str,
    original_lines: usize,
    cfg: &Config,
) -> Option<Finding> {
    let (_, differing) = run_all(worker, body, cfg)?;
    if differing.is_empty() {
        return None;
    }
    let kind = differing
        .iter()
        .map(|(_, _, k)| *k)
        .min()
        .expect("non-empty");
    let modes: Vec<String> = differing.iter().map(|(m, _, _)| m.name()).collect();
    let origin = match seed {
        Some(s) => format!("difftest (seed {s})"),
        None => "difftest".into(),
    };
    let header = format!(
        "# Found by {origin}, shrunk: a {} mismatch with the JIT.\n\
         # Differs from --jit=off in: {}\n\
         # (tN: --jit-threshold N; stressN: --jit-threshold 1 --jit-stress-exits N)\n",
        kind.name(),
        modes.join(", "),
    );
    let source = format!("{header}{body}");
    let (off, differing) = run_all(worker, &source, cfg)?;
    if differing.is_empty() {
        return None;
    }
    let kind = differing
        .iter()
        .map(|(_, _, k)| *k)
        .min()
        .expect("non-empty");
    Some(Finding {
        seed,
        kind,
        source,
        original_lines,
        off,
        differing: differing.into_iter().map(|(m, r, _)| (m, r)).collect(),
    })
}

/// User + system time of this process and its finished children.
fn cpu_time() -> Duration {
    let mut total = Duration::ZERO;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: getrusage writes into the zeroed struct we pass.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut u) } == 0 {
            for t in [u.ru_utime, u.ru_stime] {
                total +=
                    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
            }
        }
    }
    total
}

impl Summary {
    pub fn render(&self, cfg: &Config) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let mut r = format!(
            "difftest: {} programs in {:.1} s ({:.1} programs/s, {} modes besides off, {} jobs), {} mismatches\n",
            self.programs,
            secs,
            self.programs as f64 / secs,
            cfg.modes.len(),
            cfg.jobs,
            self.mismatches
        );
        if self.programs > 0 {
            let per = |micros: u64| micros as f64 / self.programs as f64 / 1000.0;
            let cpu_ms = self.cpu.as_secs_f64() * 1000.0 / self.programs as f64;
            r.push_str(&format!(
                "  per program: {:.1} ms CPU in all ({:.1} programs/s per core); wall time of --jit=off {:.1} ms, of all modes {:.1} ms\n",
                cpu_ms,
                1000.0 / cpu_ms.max(1e-9),
                per(self.off_micros),
                per(self.total_micros)
            ));
        }
        if !self.by_kind.is_empty() {
            let k: Vec<String> = self
                .by_kind
                .iter()
                .map(|(k, n)| format!("{} {n}", k.name()))
                .collect();
            r.push_str(&format!("  by kind: {}\n", k.join(", ")));
            let m: Vec<String> = self
                .by_mode
                .iter()
                .map(|(m, n)| format!("{m} {n}"))
                .collect();
            r.push_str(&format!("  by mode: {}\n", m.join(", ")));
        }
        for l in &self.broken {
            r.push_str(&format!("  {l}\n"));
        }
        r
    }

    /// Only mismatches fail a campaign: a program that `--jit=off` cannot
    /// finish within the timeout is the generator's limit (too slow under
    /// load), reported but not a JIT bug.
    pub fn failed(&self) -> bool {
        self.mismatches > 0
    }
}
