//! `ruff-prof annotate` / `run --annotate`: the program's source with each
//! line's share of the samples and the kinds of time spent on it, as
//! LuaJIT's `-jp=a` prints it.
//!
//! A sample belongs to the line of its innermost Ruff frame (helpers,
//! builtins and C library code a line calls are that line's time; JIT code
//! is at the line of the instruction it was compiled from, see `pc`); the
//! kinds are those of the innermost frame. Lines with no sample show no
//! share; runs of such lines far from any hot line are elided.

use std::fmt::Write as _;

use ruff_core::runtime::shadow::Tier;

use crate::profile::{tier_index, Profile, NTIERS, TIERS};
use crate::svg::legend_label;

/// Samples per source line: (line, total, per kind).
pub fn line_counts(p: &Profile) -> Vec<(u32, u64, [u64; NTIERS])> {
    let mut by_line: std::collections::BTreeMap<u32, (u64, [u64; NTIERS])> = Default::default();
    for (stack, n) in p.stacks() {
        let Some(leaf) = stack.last() else { continue };
        let Some(ruff) = stack
            .iter()
            .rev()
            .find(|f| p.program.func(f.func).is_some() && f.line > 0)
        else {
            continue;
        };
        let e = by_line.entry(ruff.line).or_default();
        e.0 += n;
        e.1[tier_index(leaf.tier)] += n;
    }
    by_line.into_iter().map(|(l, (n, k))| (l, n, k)).collect()
}

/// The kinds of a line's samples, largest first: `JIT code 97% · helpers 3%`.
fn kinds(total: u64, k: &[u64; NTIERS]) -> String {
    let mut v: Vec<(Tier, u64)> = TIERS
        .iter()
        .map(|&t| (t, k[tier_index(t)]))
        .filter(|&(_, n)| n > 0)
        .collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1));
    v.iter()
        .map(|(t, n)| {
            format!(
                "{} {:.0}%",
                legend_label(*t),
                100.0 * *n as f64 / total as f64
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn render(p: &Profile) -> String {
    let mut s = String::new();
    let total = p.total();
    let _ = writeln!(
        s,
        "\n{} · share of samples by line (with what the time was spent in)",
        crate::svg::title(p)
    );
    if total == 0 {
        let _ = writeln!(s, "no samples");
        return s;
    }
    let counts = line_counts(p);
    let hot: std::collections::HashMap<u32, (u64, [u64; NTIERS])> =
        counts.iter().map(|&(l, n, k)| (l, (n, k))).collect();
    let near_hot = |line: u32| (line.saturating_sub(2)..=line + 2).any(|l| hot.contains_key(&l));
    let width = p.program.source.lines().count().to_string().len();
    let mut elided = false;
    for (i, text) in p.program.source.lines().enumerate() {
        let line = i as u32 + 1;
        if !near_hot(line) {
            if !elided {
                let _ = writeln!(s, "{:>7}  {:>w$} ⋮", "", "", w = width);
                elided = true;
            }
            continue;
        }
        elided = false;
        let (share, what) = match hot.get(&line) {
            Some((n, k)) => (
                format!("{:>6.1}%", 100.0 * *n as f64 / total as f64),
                kinds(*n, k),
            ),
            None => (String::new(), String::new()),
        };
        let _ = writeln!(s, "{share:>7}  {line:>width$} | {text:<50}  {what}");
    }
    s
}
