//! The terminal summary printed (to stderr) after every run: a table of the
//! hottest functions and loops and a one-line verdict.
//!
//! Sample columns come from the profile; compile and deopt columns from the
//! JIT's telemetry. Without a JIT the compile columns say `0` (nothing was
//! compiled) and the ones that need telemetry say `—`.

use std::fmt::Write as _;

use ruff_core::driver::thousands;
use ruff_core::runtime::shadow::Tier;

use crate::profile::{tier_index, Counts, Profile};
use crate::telemetry::{Telemetry, UnitStats};

/// What the run could tell about the JIT.
pub enum Jit<'a> {
    /// This build has no JIT (or the VM cannot be asked to use one).
    Unavailable,
    /// `--jit=off`.
    Off,
    /// The JIT ran; its telemetry.
    On(&'a Telemetry),
}

/// How many rows of each kind the table shows.
const MAX_FUNCTIONS: usize = 12;
const MAX_LOOPS: usize = 8;

struct Row {
    label: String,
    counts: Counts,
    /// `None`: a builtin (nothing to compile).
    stats: Option<Option<UnitStats>>,
}

pub fn render(p: &Profile, jit: &Jit<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{}\n{}",
        crate::svg::title(p),
        crate::svg::tier_line(p)
    );
    if let Some((user, sys)) = p.cpu {
        let all = (user + sys).as_secs_f64().max(1e-9);
        let _ = writeln!(
            s,
            "VM thread CPU: {:.2} s user, {:.2} s kernel ({:.0}% kernel: page faults, system calls; \
             counted in the kinds above, where the code that caused it runs)",
            user.as_secs_f64(),
            sys.as_secs_f64(),
            100.0 * sys.as_secs_f64() / all
        );
    }
    if p.raw.missed > 0 {
        let _ = writeln!(
            s,
            "  ({} sampling deadlines missed: the machine was busy)",
            thousands(p.raw.missed as usize)
        );
    }
    if p.total() == 0 {
        let _ = writeln!(
            s,
            "no samples: the program ran for less than one sampling interval"
        );
        return s;
    }
    let telemetry = match jit {
        Jit::On(t) => Some(*t),
        _ => None,
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut funcs: Vec<_> = p.function_counts().into_iter().collect();
    funcs.sort_by(|a, b| b.1.total.cmp(&a.1.total).then(a.0.cmp(&b.0)));
    for (id, counts) in funcs.into_iter().take(MAX_FUNCTIONS) {
        let stats = p.program.func(id).map(|fi| {
            telemetry
                .and_then(|t| t.function(&fi.name, fi.line))
                .cloned()
        });
        rows.push(Row {
            label: p.program.func_label(id),
            counts,
            stats,
        });
    }
    let mut loops: Vec<_> = p.loop_counts().into_iter().collect();
    loops.sort_by(|a, b| b.1.total.cmp(&a.1.total).then(a.0.cmp(&b.0)));
    let mut hottest_interpreted: Option<(String, u64, Option<UnitStats>)> = None;
    for (i, ((func, index), counts)) in loops.into_iter().enumerate() {
        let Some(fi) = p.program.func(func) else {
            continue;
        };
        let Some(l) = fi.loops.iter().find(|l| l.index == index) else {
            continue;
        };
        let label = format!("{} ({}:{})", fi.name, p.program.file, l.header);
        let stats = telemetry
            .and_then(|t| t.loop_(&fi.name, fi.line, index))
            .cloned();
        // Time spent in the loop's own interpreted code, not in what it
        // calls (an outer loop in `<main>` encloses everything).
        let interp = counts.self_by_tier[tier_index(Tier::Interpreted)];
        if interp > hottest_interpreted.as_ref().map_or(0, |h| h.1) {
            hottest_interpreted = Some((label.clone(), interp, stats.clone()));
        }
        if i < MAX_LOOPS {
            rows.push(Row {
                label: format!("loop {label}"),
                counts,
                stats: Some(stats),
            });
        }
    }
    table(&mut s, p, &rows, jit);
    let _ = writeln!(s, "{}", verdict(p, jit, &rows, hottest_interpreted));
    for r in &rows {
        // Native code the samples missed although the unit is visible: the
        // JIT marks native frames, so this means its native runs were all
        // shorter than the sampling interval (or a JIT without the marking).
        if let Some(Some(st)) = &r.stats {
            let visible = r.counts.total >= 5 && r.counts.total * 20 >= p.total();
            // Lean telemetry (ruff-prof's) does not count a function's
            // native calls: that it was compiled is what is known.
            let ran = match st.native_entries {
                Some(n) if n > 0 => Some(format!(
                    "entered native code {} times",
                    thousands(n as usize)
                )),
                None if st.compiles > 0 => Some("was compiled".to_string()),
                _ => None,
            };
            if let (true, 0, Some(ran)) = (visible, r.counts.by_tier[tier_index(Tier::Native)], ran)
            {
                let _ = writeln!(
                    s,
                    "note: {} {ran}, but no sample saw a native frame: \
                     its native runs were too short to sample",
                    r.label,
                );
            }
        }
    }
    s
}

fn pct(n: u64, of: u64) -> String {
    format!("{:.1}", 100.0 * n as f64 / of.max(1) as f64)
}

fn table(s: &mut String, p: &Profile, rows: &[Row], jit: &Jit<'_>) {
    let _ = writeln!(
        s,
        "{:>8} {:>6} {:>6} {:>7} {:>7} {:>8} {:>10} {:>6}  {:<18} function / loop",
        "samples",
        "total%",
        "self%",
        "interp%",
        "native%",
        "compiles",
        "compile ms",
        "deopts",
        "top deopt reason"
    );
    let total = p.total();
    for r in rows {
        let c = &r.counts;
        let (compiles, ms, deopts, reason) = match (&r.stats, jit) {
            (None, _) => ("—".into(), "—".into(), "—".into(), "—".into()),
            (Some(_), Jit::Unavailable | Jit::Off) => {
                ("0".into(), "—".into(), "—".into(), "—".into())
            }
            (Some(st), Jit::On(_)) => {
                let st = st.clone().unwrap_or_default();
                (
                    st.compiles.to_string(),
                    if st.compiles > 0 {
                        format!("{:.2}", st.compile_micros as f64 / 1000.0)
                    } else {
                        "—".into()
                    },
                    st.exits.to_string(),
                    st.top_exit_reason().unwrap_or("—").to_string(),
                )
            }
        };
        // A builtin is runtime code by definition: no tier split.
        let split = |t: Tier| match r.stats {
            None => "—".to_string(),
            Some(_) => pct(c.by_tier[tier_index(t)], c.total),
        };
        let _ = writeln!(
            s,
            "{:>8} {:>6} {:>6} {:>7} {:>7} {:>8} {:>10} {:>6}  {:<18} {}",
            thousands(c.total as usize),
            pct(c.total, total),
            pct(c.self_, total),
            split(Tier::Interpreted),
            split(Tier::Native),
            compiles,
            ms,
            deopts,
            reason,
            r.label
        );
    }
}

/// "83% of time in native code; hottest interpreted loop: parse (bench.ruff:41),
/// not compiled: <reason>".
fn verdict(
    p: &Profile,
    jit: &Jit<'_>,
    rows: &[Row],
    hottest_interpreted: Option<(String, u64, Option<UnitStats>)>,
) -> String {
    let tiers = p.tier_totals();
    let share = |t: Tier| 100.0 * tiers[tier_index(t)] as f64 / p.total().max(1) as f64;
    // Time in compiled code: JIT code itself, the helpers it calls, and
    // the C library those call (a `system` frame on a helper).
    let helpers = p.leaf_counts(Tier::Helper);
    let in_helpers: u64 = helpers.iter().map(|h| h.1).sum();
    let helper_pct = 100.0 * in_helpers as f64 / p.total().max(1) as f64;
    let jit_pct = share(Tier::Native);
    let hottest_fn = rows
        .iter()
        .filter(|r| !r.label.starts_with("loop ") && !r.label.starts_with("<main>"))
        .max_by_key(|r| r.counts.self_)
        .map(|r| format!("{} ({}% self)", r.label, pct(r.counts.self_, p.total())));
    match jit {
        Jit::Unavailable | Jit::Off => {
            let why = if matches!(jit, Jit::Off) {
                "JIT disabled"
            } else {
                "JIT not available"
            };
            let mut v = format!("verdict: 0% native ({why})");
            if let Some((label, n, _)) = hottest_interpreted {
                let _ = write!(v, "; hottest loop: {label} ({}% self)", pct(n, p.total()));
            }
            if let Some(f) = hottest_fn {
                let _ = write!(v, "; hottest function: {f}");
            }
            v
        }
        Jit::On(_) => {
            let top: Vec<String> = helpers
                .iter()
                .take(3)
                .filter(|h| h.1 * 100 >= p.total())
                .map(|h| format!("{} {}%", h.0, pct(h.1, p.total())))
                .collect();
            let mut v = format!(
                "verdict: {:.0}% of time in compiled code: {jit_pct:.0}% in JIT code itself, \
                 {helper_pct:.0}% in runtime helpers it calls",
                jit_pct + helper_pct
            );
            if !top.is_empty() {
                let _ = write!(v, " ({})", top.join(", "));
            }
            let interp = share(Tier::Interpreted);
            let _ = write!(v, "; {interp:.0}% interpreted");
            if let Some((label, n, stats)) = hottest_interpreted {
                let why = match &stats {
                    Some(UnitStats {
                        refused: Some((code, message)),
                        ..
                    }) => format!("not compiled: {message} [{code}]"),
                    Some(st) if st.blacklisted => format!(
                        "blacklisted after {} exits ({})",
                        st.exits,
                        st.top_exit_reason().unwrap_or("exits")
                    ),
                    Some(st) if st.compiles > 0 && st.exits > 0 => format!(
                        "compiled, but {} exits back to the interpreter ({})",
                        st.exits,
                        st.top_exit_reason().unwrap_or("?")
                    ),
                    Some(st) if st.compiles > 0 => {
                        "compiled; its interpreted samples are from before that (warm-up)"
                            .to_string()
                    }
                    _ => "not compiled (never became hot enough, or runs inside an interpreted function)".to_string(),
                };
                let _ = write!(
                    v,
                    "; hottest interpreted loop: {label} ({}% self), {why}",
                    pct(n, p.total())
                );
            } else if let Some(f) = hottest_fn {
                let _ = write!(v, "; hottest function: {f}");
            }
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::tests::{frame, sample_profile};

    fn profile() -> Profile {
        sample_profile(vec![
            (
                vec![frame(0, Tier::Interpreted, 7), frame(1, Tier::Native, 2)],
                6,
            ),
            (vec![frame(0, Tier::Interpreted, 7)], 4),
        ])
    }

    #[test]
    fn without_jit() {
        let s = render(&profile(), &Jit::Unavailable);
        assert!(s.contains("verdict: 0% native (JIT not available)"), "{s}");
        assert!(
            s.contains("hottest loop: <main> (t.ruff:6) (40.0% self)"),
            "{s}"
        );
        assert!(s.contains("f (t.ruff:1)"), "{s}");
    }

    #[test]
    fn with_telemetry() {
        let t = Telemetry::parse(
            r#"{"v":1,"event":"compile_finished","unit":{"kind":"function","function":"f","line":1},"micros":1500}
{"v":1,"event":"exit","unit":{"kind":"function","function":"f","line":1},"line":2,"reason":"overflow","count":4}
{"v":1,"event":"compile_refused","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":1},"code":"unsupported-op: try","message":"try/except inside the loop"}"#,
        );
        let s = render(&profile(), &Jit::On(&t));
        assert!(
            s.contains("verdict: 60% of time in compiled code: 60% in JIT code itself, 0% in runtime helpers"),
            "{s}"
        );
        assert!(
            s.contains("not compiled: try/except inside the loop [unsupported-op: try]"),
            "{s}"
        );
        assert!(!s.contains("note: "), "{s}");
        let f_row = s
            .lines()
            .find(|l| l.ends_with(" f (t.ruff:1)"))
            .expect("row");
        assert!(
            f_row.contains("1.50") && f_row.contains("overflow"),
            "{f_row}"
        );
    }

    #[test]
    fn native_time_the_samples_cannot_see() {
        let t = Telemetry::parse(
            r#"{"v":1,"event":"compile_finished","unit":{"kind":"function","function":"f","line":1},"micros":900}
{"v":1,"event":"summary","unit":{"kind":"function","function":"f","line":1},"entries":100,"native_entries":5000,"exits":0}"#,
        );
        let p = sample_profile(vec![(
            vec![
                frame(0, Tier::Interpreted, 7),
                frame(1, Tier::Interpreted, 2),
            ],
            10,
        )]);
        let s = render(&p, &Jit::On(&t));
        assert!(
            s.contains("note: f (t.ruff:1) entered native code 5,000 times"),
            "{s}"
        );
    }

    /// Lean telemetry (ruff-prof's own) has no native call counts.
    #[test]
    fn native_time_the_samples_cannot_see_lean() {
        let t = Telemetry::parse(
            r#"{"v":1,"event":"compile_finished","unit":{"kind":"function","function":"f","line":1},"micros":900}
{"v":1,"event":"summary","unit":{"kind":"function","function":"f","line":1},"entries":100,"compiled":true,"exits":0}"#,
        );
        let p = sample_profile(vec![(
            vec![
                frame(0, Tier::Interpreted, 7),
                frame(1, Tier::Interpreted, 2),
            ],
            10,
        )]);
        let s = render(&p, &Jit::On(&t));
        assert!(
            s.contains("note: f (t.ruff:1) was compiled, but no sample saw a native frame"),
            "{s}"
        );
    }
}
