//! Folded stacks, the format of Brendan Gregg's `stackcollapse-*` tools that
//! flamegraph.pl, inferno and speedscope read: one line per distinct stack,
//! frames outermost first joined by `;`, a space, the sample count.
//!
//! `<main> (bench.ruff:14) [interpreted];fib (bench.ruff:6) [native] 812`
//!
//! A frame label never contains `;` (names and file names are sanitized in
//! `ProgramInfo`); spaces are fine because readers split at the last space.

use std::collections::BTreeMap;

use crate::profile::Profile;

/// The folded lines, sorted (so equal profiles give equal files).
pub fn lines(p: &Profile) -> Vec<String> {
    let mut folded: BTreeMap<String, u64> = BTreeMap::new();
    for (stack, n) in p.stacks() {
        let key = stack
            .iter()
            .map(|f| p.program.label(f))
            .collect::<Vec<_>>()
            .join(";");
        *folded.entry(key).or_default() += n;
    }
    folded
        .into_iter()
        .map(|(stack, n)| format!("{stack} {n}"))
        .collect()
}

pub fn render(p: &Profile) -> String {
    lines(p).into_iter().map(|l| l + "\n").collect()
}

/// `fib (bench.ruff:6) [native]` → `fib (bench.ruff:6)`: the same source
/// position whatever tier ran it, so two runs can be compared frame by frame.
pub fn strip_tier(frame: &str) -> &str {
    match frame.rfind(" [") {
        Some(i) if frame.ends_with(']') => &frame[..i],
        _ => frame,
    }
}

/// Folded text with tier tags removed, counts of stacks that become equal
/// added up.
pub fn without_tiers(text: &str) -> String {
    let mut folded: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines() {
        let Some((stack, n)) = line.trim_end().rsplit_once(' ') else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        let key = stack
            .split(';')
            .map(strip_tier)
            .collect::<Vec<_>>()
            .join(";");
        *folded.entry(key).or_default() += n;
    }
    folded
        .into_iter()
        .map(|(s, n)| format!("{s} {n}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::tests::{frame, sample_profile};
    use ruff_core::runtime::shadow::Tier;

    #[test]
    fn folded_lines_with_tiers() {
        let p = sample_profile(vec![
            (
                vec![frame(0, Tier::Interpreted, 7), frame(1, Tier::Native, 2)],
                3,
            ),
            (vec![frame(0, Tier::Interpreted, 5)], 1),
        ]);
        assert_eq!(
            lines(&p),
            vec![
                "<main> (t.ruff:5) [interpreted] 1",
                "<main> (t.ruff:7) [interpreted];f (t.ruff:2) [native] 3",
            ]
        );
    }

    #[test]
    fn tiers_stripped_and_merged() {
        let text = "a (t.ruff:1) [interpreted];f (t.ruff:2) [native] 3\n\
                    a (t.ruff:1) [interpreted];f (t.ruff:2) [interpreted] 2\n";
        assert_eq!(without_tiers(text), "a (t.ruff:1);f (t.ruff:2) 5\n");
    }
}
