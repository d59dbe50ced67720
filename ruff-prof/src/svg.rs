//! Flamegraph SVG through inferno, with one colour family per tier chosen
//! here rather than by one of inferno's palettes: interpreted frames are
//! blue, native (JIT) frames green, the JIT compiler purple and runtime
//! builtins grey. Every frame label is put in inferno's palette map with its
//! colour before rendering, so inferno never guesses one from the name.
//! Within a family the shade varies a little by function name (stable across
//! runs) so neighbouring functions stay distinguishable.
//!
//! Inferno has no legend, so one is inserted into its output: a `<g
//! id="legend">` of swatches and labels on the subtitle row, outside the
//! `#frames` element that inferno's script (search, zoom) works on.

use std::collections::HashMap;
use std::io;

use inferno::flamegraph::color::{Color, PaletteMap};
use inferno::flamegraph::{self, Options};
use ruff_core::runtime::shadow::Tier;

use crate::collapsed;
use crate::profile::{tier_index, Profile, TIERS};
use crate::telemetry::Telemetry;

/// The middle of each tier's family (also the legend swatch).
pub fn base_color(tier: Tier) -> Color {
    let (r, g, b) = match tier {
        Tier::Interpreted => (90, 160, 240),
        Tier::Native => (100, 200, 90),
        Tier::Helper => (235, 170, 60),
        Tier::Compiler => (175, 110, 225),
        Tier::Runtime => (175, 175, 175),
        Tier::System => (205, 95, 90),
    };
    Color { r, g, b }
}

/// A shade of the tier's family picked by the function's name: `t` in
/// [-1, 1] moves every channel together, so the hue (the tier) stays put.
pub fn frame_color(tier: Tier, function: &str) -> Color {
    let h = function.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let t = (h % 1001) as f64 / 500.0 - 1.0;
    let base = base_color(tier);
    let shift = |c: u8, span: f64| (f64::from(c) + t * span).clamp(0.0, 255.0) as u8;
    match tier {
        // Blue stays blue: red and green move, blue saturates.
        Tier::Interpreted => Color {
            r: shift(base.r, 20.0),
            g: shift(base.g, 25.0),
            b: shift(base.b, 12.0),
        },
        _ => Color {
            r: shift(base.r, 18.0),
            g: shift(base.g, 18.0),
            b: shift(base.b, 18.0),
        },
    }
}

/// The kind of time a tier stands for, as legends and summaries say it.
pub fn legend_label(tier: Tier) -> &'static str {
    match tier {
        Tier::Interpreted => "interpreter",
        Tier::Native => "JIT code",
        Tier::Helper => "helpers",
        Tier::Compiler => "JIT compiler",
        Tier::Runtime => "builtins",
        Tier::System => "libc/kernel",
    }
}

/// The tier a folded frame label carries (`... [native]`).
fn tier_of_label(label: &str) -> Option<Tier> {
    let tag = label.strip_suffix(']')?.rsplit_once(" [")?.1;
    TIERS.into_iter().find(|t| t.name() == tag)
}

/// The title: `ruff-prof: bench.ruff · 12,345 samples in 12.34 s (987 Hz
/// achieved of 1000)`: the rate the samples really came at.
pub fn title(p: &Profile) -> String {
    format!(
        "ruff-prof: {} · {} samples in {:.2} s ({})",
        p.program.file,
        ruff_core::driver::thousands(p.total() as usize),
        p.elapsed().as_secs_f64(),
        rate_text(p),
    )
}

/// `998 Hz` when the requested rate was achieved (within 5%), else
/// `7,612 Hz achieved of 20,000 requested`.
pub fn rate_text(p: &Profile) -> String {
    let achieved = p.achieved_hz();
    if (achieved - f64::from(p.rate_hz)).abs() <= 0.05 * f64::from(p.rate_hz) {
        format!("{achieved:.0} Hz")
    } else {
        format!(
            "{} Hz achieved of {} requested",
            ruff_core::driver::thousands(achieved.round() as usize),
            ruff_core::driver::thousands(p.rate_hz as usize)
        )
    }
}

/// Each kind's share of the samples (by the innermost frame), in `TIERS`
/// order.
pub fn shares(p: &Profile) -> Vec<(Tier, f64)> {
    let t = p.tier_totals();
    let total = p.total().max(1) as f64;
    TIERS
        .iter()
        .map(|&tier| (tier, 100.0 * t[tier_index(tier)] as f64 / total))
        .collect()
}

/// The split of time by kind (of the innermost frame):
/// `JIT code 2.1% · helpers 61.0% · interpreter 0.4% · ...`.
pub fn tier_line(p: &Profile) -> String {
    shares(p)
        .iter()
        .map(|(tier, pct)| format!("{} {pct:.1}%", legend_label(*tier)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Notes for frame tooltips, by the function name frames show: why the
/// JIT refused its code, where and why its native code exited.
pub fn jit_notes(p: &Profile, t: &Telemetry) -> HashMap<String, String> {
    let mut notes: HashMap<String, Vec<String>> = HashMap::new();
    for (key, st) in &t.units {
        let Some(fi) = p
            .program
            .functions
            .iter()
            .find(|f| f.name == key.function && f.line == key.line)
        else {
            continue;
        };
        let what = match key.loop_index {
            Some(i) => format!("loop {i}"),
            None => "function".to_string(),
        };
        let n = notes.entry(fi.display.clone()).or_default();
        if let Some((code, message)) = &st.refused {
            n.push(format!(
                "{what} not compiled (line {}): {message} [{code}]",
                st.refused_line
            ));
        }
        let mut sites = st.sites.clone();
        sites.sort_by_key(|b| std::cmp::Reverse(b.1));
        for ((line, reason, expected, observed), count) in sites.iter().take(4) {
            let types = if expected.is_empty() && observed.is_empty() {
                String::new()
            } else {
                format!(": expected {expected}, got {observed}")
            };
            n.push(format!(
                "deopt ×{count} at line {line} ({what}): {reason}{types}"
            ));
        }
    }
    notes
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, mut v)| {
            v.sort();
            (k, v.join("\n"))
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Append each function's notes to the tooltips of its frames
/// (`<title>name (file:line) [tier] (N samples, P%)</title>`).
fn add_notes(svg: &str, notes: &HashMap<String, String>) -> String {
    if notes.is_empty() {
        return svg.to_string();
    }
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(i) = rest.find("<title>") {
        let (head, tail) = rest.split_at(i + "<title>".len());
        out.push_str(head);
        let Some(j) = tail.find("</title>") else {
            rest = tail;
            break;
        };
        let title = &tail[..j];
        out.push_str(title);
        let name = title.split(" (").next().unwrap_or("");
        if let Some(n) = notes.get(&xml_escape_back(name)) {
            for line in n.split("\n") {
                out.push_str("&#10;");
                out.push_str(&xml_escape(line));
            }
        }
        rest = &tail[j..];
    }
    out.push_str(rest);
    out
}

fn xml_escape_back(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Render the profile as an interactive flamegraph SVG.
pub fn render(p: &Profile, notes: &HashMap<String, String>) -> io::Result<String> {
    let mut lines = collapsed::lines(p);
    if lines.is_empty() {
        // inferno refuses an empty profile; a program shorter than one
        // sampling interval still gets a (labelled) picture.
        lines.push("(no samples) 1".to_string());
    }
    let mut palette = PaletteMap::default();
    for line in &lines {
        let stack = line.rsplit_once(' ').map_or(line.as_str(), |(s, _)| s);
        for frame in stack.split(';') {
            let color = match tier_of_label(frame) {
                Some(tier) => frame_color(tier, collapsed::strip_tier(frame)),
                None => base_color(Tier::Runtime),
            };
            palette.insert(frame, color);
        }
    }
    let mut opt = Options::default();
    // The root frame inferno adds (titled "all", named "") is no tier:
    // neutral, lighter than the runtime grey.
    palette.insert(
        "",
        Color {
            r: 225,
            g: 225,
            b: 225,
        },
    );
    opt.title = title(p);
    // The subtitle row is the legend's (which gives each kind's share):
    // a blank subtitle keeps inferno's room for it, and nothing else is
    // drawn there, so they never overlap whatever the width.
    opt.subtitle = Some(" ".to_string());
    // Long labels are cut on the right: the function name stays.
    opt.text_truncate_direction = flamegraph::TextTruncateDirection::Right;
    opt.count_name = "samples".to_string();
    opt.name_type = "Frame:".to_string();
    opt.palette_map = Some(&mut palette);
    let mut out = Vec::new();
    flamegraph::from_lines(&mut opt, lines.iter().map(String::as_str), &mut out)?;
    let svg = String::from_utf8(out).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(add_notes(&insert_legend(&svg, 12, &shares(p)), notes))
}

/// The legend group, left-aligned on the subtitle row (the subtitle is
/// centred; the title row's left end is inferno's "Reset Zoom").
fn legend(font_size: usize, shares: &[(Tier, f64)]) -> String {
    let y = font_size * 4; // inferno's subtitle baseline
    let small = font_size - 2;
    // inferno's text is monospace, about 0.6 em per character; a little
    // more keeps the labels apart whatever font the browser picks.
    let char_w = small as f64 * 0.65;
    let mut x = 10.0;
    let mut g = String::from("<g id=\"legend\">");
    for &(tier, pct) in shares {
        let c = base_color(tier);
        let label = format!("{} {pct:.1}%", legend_label(tier));
        g.push_str(&format!(
            "<rect class=\"legend-{}\" x=\"{x:.0}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"rgb({},{},{})\" stroke=\"rgb(90,90,90)\" stroke-width=\"0.5\"/>",
            tier.name(),
            y - 8,
            c.r,
            c.g,
            c.b
        ));
        g.push_str(&format!(
            // A style, not an attribute: inferno's stylesheet sets the
            // size of every `text`, and CSS beats presentation attributes.
            "<text x=\"{:.0}\" y=\"{y}\" style=\"font-size:{small}px\">{label}</text>",
            x + 14.0
        ));
        x += 14.0 + label.len() as f64 * char_w + 10.0;
    }
    g.push_str("</g>");
    g
}

/// Put the legend before inferno's `#frames` element (so it is drawn under
/// nothing and the script never sees it).
pub fn insert_legend(svg: &str, font_size: usize, shares: &[(Tier, f64)]) -> String {
    let at = svg
        .find("<svg id=\"frames\"")
        .or_else(|| svg.rfind("</svg>"))
        .unwrap_or(svg.len());
    let mut out = String::with_capacity(svg.len() + 1024);
    out.push_str(&svg[..at]);
    out.push_str(&legend(font_size, shares));
    out.push_str(&svg[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_keep_their_hue() {
        for name in ["fib", "main", "<main>", "a_rather_long_function_name", "x"] {
            let c = frame_color(Tier::Interpreted, name);
            assert!(c.b > c.r + 60 && c.b > c.g + 30, "blue {c:?}");
            let c = frame_color(Tier::Native, name);
            assert!(c.g > c.r + 50 && c.g > c.b + 50, "green {c:?}");
            let c = frame_color(Tier::Runtime, name);
            assert!(c.r == c.g && c.g == c.b, "grey {c:?}");
            let c = frame_color(Tier::Compiler, name);
            assert!(c.r > c.g + 40 && c.b > c.g + 60, "purple {c:?}");
        }
    }

    #[test]
    fn tier_from_label() {
        assert_eq!(tier_of_label("f (t.ruff:1) [native]"), Some(Tier::Native));
        assert_eq!(
            tier_of_label("push (builtin) [runtime]"),
            Some(Tier::Runtime)
        );
        assert_eq!(tier_of_label("f (t.ruff:1)"), None);
    }
}
