//! Differential flamegraphs (inferno::differential): how two profiles of
//! the same program differ, e.g. without and with the JIT.
//!
//! Tier tags are removed first: a function that ran interpreted in one run
//! and native in the other is the same source position, and only then do
//! the two runs line up frame by frame. Counts are not normalized: at a
//! fixed sampling rate, samples are time, and the drop in time is what the
//! comparison is about. As in flamegraph.pl, widths are the second profile's
//! and the colour is the change: blue frames took less time in the second
//! profile, red ones more.

use std::io;

use inferno::differential;
use inferno::flamegraph::{self, Options};

use crate::collapsed;

/// Render `before` → `after` (both folded text) as a differential SVG.
pub fn render(before: &str, after: &str, title: &str) -> io::Result<String> {
    let before = collapsed::without_tiers(before);
    let after = collapsed::without_tiers(after);
    let mut folded = Vec::new();
    differential::from_readers(
        differential::Options {
            normalize: false,
            strip_hex: false,
        },
        before.as_bytes(),
        after.as_bytes(),
        &mut folded,
    )?;
    let total = |text: &str| -> u64 {
        text.lines()
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<u64>().ok())
            .sum()
    };
    let (b, a) = (total(&before), total(&after));
    let mut opt = Options::default();
    opt.title = title.to_string();
    opt.subtitle = Some(format!(
        "{} → {} samples ({}) · widths: second profile · blue: less time than in the first, red: more",
        ruff_core::driver::thousands(b as usize),
        ruff_core::driver::thousands(a as usize),
        change(b, a)
    ));
    opt.count_name = "samples".to_string();
    let mut out = Vec::new();
    flamegraph::from_reader(&mut opt, folded.as_slice(), &mut out)?;
    String::from_utf8(out).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// `-72.0%`.
pub fn change(before: u64, after: u64) -> String {
    if before == 0 {
        return "n/a".to_string();
    }
    format!(
        "{:+.1}%",
        100.0 * (after as f64 - before as f64) / before as f64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differential_svg() {
        let before = "<main> (t.ruff:9) [interpreted];fib (t.ruff:3) [interpreted] 100\n";
        let after = "<main> (t.ruff:9) [interpreted];fib (t.ruff:3) [native] 25\n";
        let svg = render(before, after, "diff").expect("svg");
        assert!(svg.contains("fib (t.ruff:3)"));
        assert!(svg.contains("100 → 25 samples (-75.0%)"));
        assert!(!svg.contains("[native]"));
    }
}
