//! Reading the JIT telemetry that `ruff run --telemetry FILE` writes, through
//! ruff-core's own event types (`ruff_core::telemetry::{Line, Event}`), and
//! reducing it to facts per function and loop. Every figure here is computed
//! as docs/telemetry.md ("Reading the figures") defines it; nothing is
//! estimated:
//!
//! - a loop's native share is `native_iterations / iterations` of its
//!   `summary` (both count back edges; `iterations` includes the native ones);
//! - a function has no share: `entries` (calls through the interpreter) and
//!   `native_entries` (entries into native code, from the interpreter or
//!   from native callers) overlap, so both counts are shown as they are;
//! - an exit site's count is the largest `count` reported for it (sites are
//!   reported at their 1st, 2nd, 4th... exit, so the true count is at least
//!   that and less than twice it: shown as "at least N"); the unit's exact
//!   total is its `summary.exits`.

use ruff_core::syntax::Span;
use ruff_core::telemetry::{Event, Line, Unit};

/// Compile time of one compilation.
#[derive(Clone, Debug, PartialEq)]
pub struct Compile {
    pub generic: bool,
    pub micros: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub code: String,
    pub message: String,
    pub span: Span,
}

/// The end-of-run `summary` of a unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub entries: u64,
    pub native_entries: Option<u64>,
    pub iterations: Option<u64>,
    pub native_iterations: Option<u64>,
    pub compiled: bool,
    pub exits: u64,
}

/// Everything measured about one function or loop.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitFacts {
    pub unit: Unit,
    /// The `hot` event's count: calls or back edges before it was compiled.
    pub hot_after: Option<u64>,
    pub compiles: Vec<Compile>,
    pub refused: Option<Refusal>,
    /// `blacklisted`: (reason, exits).
    pub blacklisted: Option<(String, u64)>,
    pub summary: Option<Summary>,
}

impl UnitFacts {
    pub fn is_loop(&self) -> bool {
        self.unit.loop_index.is_some()
    }

    /// Loops: `native_iterations / iterations` in percent (docs/telemetry.md).
    pub fn native_pct(&self) -> Option<f64> {
        let s = self.summary?;
        let (all, native) = (s.iterations?, s.native_iterations?);
        (self.is_loop() && all > 0).then(|| 100.0 * native as f64 / all as f64)
    }

    pub fn compile_micros(&self) -> u64 {
        self.compiles.iter().map(|c| c.micros).sum()
    }

    pub fn recompiled_generic(&self) -> bool {
        self.compiles.iter().any(|c| c.generic)
    }
}

/// A place where native code left for the interpreter.
#[derive(Clone, Debug, PartialEq)]
pub struct ExitSite {
    pub unit: Unit,
    pub line: u32,
    pub span: Span,
    pub reason: String,
    pub expected: String,
    pub observed: String,
    /// The largest count reported: the site exited at least this often.
    pub at_least: u64,
}

/// Kinds of values an instruction produced in the interpreter.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    pub span: Span,
    pub types: Vec<String>,
    /// Parallel to `types` (empty in telemetry without counts).
    pub counts: Vec<u64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Telemetry {
    pub units: Vec<UnitFacts>,
    pub exits: Vec<ExitSite>,
    pub observed: Vec<Observed>,
    /// Events read.
    pub events: usize,
    /// Lines that were not events of a known kind (skipped).
    pub skipped: usize,
}

fn span_of(s: [u32; 2]) -> Span {
    Span::new(s[0], s[1].max(s[0]))
}

pub fn parse(jsonl: &str) -> Telemetry {
    let mut t = Telemetry::default();
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let Some(Line { event, .. }) = Line::parse(line) else {
            t.skipped += 1;
            continue;
        };
        t.events += 1;
        match event {
            Event::Hot { unit, count } => t.unit(unit).hot_after = Some(count),
            Event::CompileStarted { .. } => {}
            Event::CompileFinished {
                unit,
                micros,
                generic,
                ..
            } => t.unit(unit).compiles.push(Compile { generic, micros }),
            Event::CompileRefused {
                unit,
                code,
                message,
                span,
                ..
            } => {
                t.unit(unit).refused = Some(Refusal {
                    code,
                    message,
                    span: span_of(span),
                })
            }
            Event::Blacklisted {
                unit,
                reason,
                exits,
            } => t.unit(unit).blacklisted = Some((reason, exits)),
            Event::Summary {
                unit,
                entries,
                native_entries,
                iterations,
                native_iterations,
                compiled,
                exits,
            } => {
                t.unit(unit).summary = Some(Summary {
                    entries,
                    native_entries,
                    iterations,
                    native_iterations,
                    compiled,
                    exits,
                })
            }
            Event::Exit {
                unit,
                line,
                span,
                reason,
                expected,
                observed,
                count,
            } => {
                let span = span_of(span);
                match t
                    .exits
                    .iter_mut()
                    .find(|e| e.unit == unit && e.span == span && e.reason == reason)
                {
                    Some(e) => e.at_least = e.at_least.max(count),
                    None => t.exits.push(ExitSite {
                        unit,
                        line,
                        span,
                        reason: reason.to_string(),
                        expected: expected.to_string(),
                        observed: observed.to_string(),
                        at_least: count,
                    }),
                }
            }
            Event::Observed {
                span,
                types,
                counts,
                ..
            } => t.observed.push(Observed {
                span: span_of(span),
                types,
                counts,
            }),
        }
    }
    t
}

impl Telemetry {
    fn unit(&mut self, unit: Unit) -> &mut UnitFacts {
        let i = match self.units.iter().position(|u| u.unit == unit) {
            Some(i) => i,
            None => {
                self.units.push(UnitFacts {
                    unit,
                    hot_after: None,
                    compiles: Vec::new(),
                    refused: None,
                    blacklisted: None,
                    summary: None,
                });
                self.units.len() - 1
            }
        };
        &mut self.units[i]
    }

    /// A function (by name and declaration line).
    pub fn function(&self, name: &str, line: u32) -> Option<&UnitFacts> {
        self.units
            .iter()
            .find(|u| !u.is_loop() && u.unit.function == name && u.unit.line == line)
    }

    /// A loop by its header line.
    pub fn loop_at(&self, header_line: u32) -> Option<&UnitFacts> {
        self.units
            .iter()
            .find(|u| u.is_loop() && u.unit.loop_line == Some(header_line))
    }

    /// The loops of a function (by name and declaration line).
    pub fn loops_of<'a>(&'a self, name: &'a str, line: u32) -> impl Iterator<Item = &'a UnitFacts> {
        self.units
            .iter()
            .filter(move |u| u.is_loop() && u.unit.function == name && u.unit.line == line)
    }

    /// The exact number of exits of a unit (its summary), if known.
    pub fn unit_exits(&self, unit: &Unit) -> Option<u64> {
        self.units
            .iter()
            .find(|u| &u.unit == unit)
            .and_then(|u| u.summary)
            .map(|s| s.exits)
    }

    /// What became of a unit that exited: recompiled generic, blacklisted.
    pub fn fate(&self, unit: &Unit) -> Option<String> {
        let u = self.units.iter().find(|u| &u.unit == unit)?;
        match (&u.blacklisted, u.recompiled_generic()) {
            (Some((reason, exits)), _) => Some(format!(
                "blacklisted after {} exits ({reason}): runs in the interpreter from then on",
                thousands(*exits)
            )),
            (None, true) => Some("recompiled without type speculation (generic)".to_string()),
            (None, false) => None,
        }
    }
}

pub fn fmt_ms(micros: u64) -> String {
    let ms = micros as f64 / 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{}", ms.round() as u64)
    }
}

/// A percentage that never rounds a partial share up to 100 or down to 0.
pub fn fmt_pct(p: f64) -> String {
    let r = p.round();
    let r = if r >= 100.0 && p < 100.0 {
        99.0
    } else if r <= 0.0 && p > 0.0 {
        1.0
    } else {
        r
    };
    format!("{}%", r as u64)
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = r#"{"v":1,"event":"hot","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"count":1000}
{"v":1,"event":"compile_finished","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"micros":412,"code_bytes":900,"generic":false}
{"v":1,"event":"exit","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"line":3,"span":[30,35],"reason":"type-guard","expected":"int","observed":"float","count":1}
{"v":1,"event":"exit","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"line":3,"span":[30,35],"reason":"type-guard","expected":"int","observed":"float","count":4}
{"v":1,"event":"summary","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"entries":0,"native_entries":1,"iterations":100000,"native_iterations":99000,"compiled":true,"exits":5}
{"v":1,"event":"a_future_event"}
not json"#;

    #[test]
    fn loop_share_is_native_iterations_over_iterations() {
        let t = parse(RUN);
        assert_eq!(t.events, 5);
        assert_eq!(t.skipped, 2);
        let l = t.loop_at(2).unwrap();
        // 99,000 of 100,000 back edges native: 99%, not 99/(100+99).
        assert_eq!(l.native_pct(), Some(99.0));
        assert_eq!(l.hot_after, Some(1000));
        assert_eq!(l.compile_micros(), 412);
        assert_eq!(t.exits.len(), 1);
        assert_eq!(t.exits[0].at_least, 4);
        assert_eq!(t.unit_exits(&t.exits[0].unit), Some(5));
    }

    #[test]
    fn formatting() {
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(fmt_pct(99.6), "99%");
        assert_eq!(fmt_pct(0.2), "1%");
        assert_eq!(fmt_pct(100.0), "100%");
        assert_eq!(fmt_ms(412), "0.4");
    }
}
