//! The JIT's telemetry (JSON Lines, schema v1 in docs/telemetry.md), reduced
//! to what the summary shows per function and loop: compile count and time,
//! exits (deoptimizations) with their most frequent reason, refusals.
//!
//! It is read as plain JSON, not through ruff-core's event types, so the
//! profiler keeps working across compatible schema changes (added fields)
//! and reports a newer, incompatible version instead of misreading it.

use std::collections::HashMap;

use serde_json::Value;

/// How telemetry names a unit: a function by (name, declaration line), a
/// loop additionally by its index in the function's loop table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnitKey {
    pub function: String,
    pub line: u32,
    pub loop_index: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitStats {
    pub compiles: u64,
    pub compile_micros: u64,
    /// Exits from native code back to the interpreter.
    pub exits: u64,
    /// Per reason: the highest running count an exit event reported.
    pub exit_reasons: HashMap<String, u64>,
    /// The last refusal: (code, message).
    pub refused: Option<(String, String)>,
    /// The refusal's line (0: unknown).
    pub refused_line: u64,
    /// Exit sites: (line, reason, expected, observed) → highest count.
    pub sites: Vec<((u64, String, String, String), u64)>,
    pub blacklisted: bool,
    /// From the end-of-run `summary`: entries into native code (calls, or
    /// OSR entries for a loop); `None` when not counted (lean telemetry
    /// counts a loop's OSR entries but not a function's calls).
    pub native_entries: Option<u64>,
}

impl UnitStats {
    pub fn top_exit_reason(&self) -> Option<&str> {
        self.exit_reasons
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(r, _)| r.as_str())
    }
}

#[derive(Clone, Debug, Default)]
pub struct Telemetry {
    pub units: HashMap<UnitKey, UnitStats>,
    /// Events of a schema version this reader does not know.
    pub skipped: usize,
}

/// The schema version this reader understands.
pub const SCHEMA_VERSION: u64 = 1;

impl Telemetry {
    pub fn parse(text: &str) -> Telemetry {
        let mut t = Telemetry::default();
        // Exit events repeat per site at counts 1, 2, 4, 8...: keep each
        // site's highest count, then add sites up.
        let mut exit_sites: HashMap<(UnitKey, u64, String), u64> = HashMap::new();
        let mut summary_exits: HashMap<UnitKey, u64> = HashMap::new();
        let mut interrupts: HashMap<UnitKey, u64> = HashMap::new();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if v["v"].as_u64() != Some(SCHEMA_VERSION) {
                t.skipped += 1;
                continue;
            }
            let Some(key) = unit_key(&v["unit"]) else {
                continue;
            };
            let u64_of = |f: &str| v[f].as_u64().unwrap_or(0);
            let str_of = |f: &str| v[f].as_str().unwrap_or("").to_string();
            match v["event"].as_str().unwrap_or("") {
                "compile_finished" => {
                    let s = t.units.entry(key).or_default();
                    s.compiles += 1;
                    s.compile_micros += u64_of("micros");
                }
                "compile_refused" => {
                    let u = t.units.entry(key).or_default();
                    u.refused = Some((str_of("code"), str_of("message")));
                    u.refused_line = u64_of("line");
                }
                // A Ctrl-C, SIGTERM or `--duration` leaves native code
                // through an exit too, but that is no deoptimization.
                "exit" if v["reason"].as_str() == Some("interrupt") => {
                    *interrupts.entry(key).or_default() += 1;
                }
                "exit" => {
                    let reason = str_of("reason");
                    let detail = (
                        u64_of("line"),
                        reason.clone(),
                        str_of("expected"),
                        str_of("observed"),
                    );
                    let count = u64_of("count").max(1);
                    let u = t.units.entry(key.clone()).or_default();
                    match u.sites.iter_mut().find(|(d, _)| *d == detail) {
                        Some((_, n)) => *n = (*n).max(count),
                        None => u.sites.push((detail, count)),
                    }
                    let site = (key.clone(), u64_of("line"), reason.clone());
                    let count = u64_of("count").max(1);
                    let e = exit_sites.entry(site).or_default();
                    *e = (*e).max(count);
                    let s = t.units.entry(key).or_default();
                    let r = s.exit_reasons.entry(reason).or_default();
                    *r = (*r).max(count);
                }
                "blacklisted" => t.units.entry(key).or_default().blacklisted = true,
                "summary" => {
                    summary_exits.insert(key.clone(), u64_of("exits"));
                    t.units.entry(key).or_default().native_entries = v["native_entries"].as_u64();
                }
                _ => {}
            }
        }
        for ((key, _, _), n) in exit_sites {
            t.units.entry(key).or_default().exits += n;
        }
        // The end-of-run summary has the exact count when it is there.
        for (key, n) in summary_exits {
            let n = n.saturating_sub(interrupts.get(&key).copied().unwrap_or(0));
            let s = t.units.entry(key).or_default();
            s.exits = s.exits.max(n);
        }
        t
    }

    pub fn function(&self, name: &str, line: u32) -> Option<&UnitStats> {
        self.units.get(&UnitKey {
            function: name.to_string(),
            line,
            loop_index: None,
        })
    }

    pub fn loop_(&self, name: &str, line: u32, index: usize) -> Option<&UnitStats> {
        self.units.get(&UnitKey {
            function: name.to_string(),
            line,
            loop_index: Some(index),
        })
    }
}

fn unit_key(u: &Value) -> Option<UnitKey> {
    Some(UnitKey {
        function: u["function"].as_str()?.to_string(),
        line: u["line"].as_u64()? as u32,
        loop_index: match u["kind"].as_str()? {
            "loop" => Some(u["loop_index"].as_u64()? as usize),
            _ => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: &str = r#"{"v":1,"event":"hot","unit":{"kind":"function","function":"fib","line":1},"count":100}
{"v":1,"event":"compile_finished","unit":{"kind":"function","function":"fib","line":1},"micros":2593,"code_bytes":2547,"generic":false}
{"v":1,"event":"exit","unit":{"kind":"function","function":"fib","line":1},"line":4,"span":[1,2],"reason":"type-guard","expected":"int","observed":"float","count":1}
{"v":1,"event":"exit","unit":{"kind":"function","function":"fib","line":1},"line":4,"span":[1,2],"reason":"type-guard","expected":"int","observed":"float","count":2}
{"v":1,"event":"exit","unit":{"kind":"function","function":"fib","line":1},"line":5,"span":[1,2],"reason":"overflow","expected":"int","observed":"int","count":1}
{"v":1,"event":"compile_finished","unit":{"kind":"function","function":"fib","line":1},"micros":400,"code_bytes":2000,"generic":true}
{"v":1,"event":"compile_refused","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":12},"code":"unsupported-op: try","message":"try/except is not compiled","line":13,"span":[5,9]}
{"v":1,"event":"summary","unit":{"kind":"function","function":"fib","line":1},"entries":100,"native_entries":21791,"iterations":0,"native_iterations":0,"compiled":true,"exits":2}
{"v":2,"event":"compile_finished","unit":{"kind":"function","function":"g","line":9},"micros":1}
not json
"#;

    #[test]
    fn compiles_exits_and_refusals() {
        let t = Telemetry::parse(EVENTS);
        let fib = t.function("fib", 1).expect("fib");
        assert_eq!(fib.compiles, 2);
        assert_eq!(fib.compile_micros, 2993);
        assert_eq!(fib.exits, 3, "per-site counts beat a smaller summary");
        assert_eq!(fib.native_entries, Some(21791));
        assert_eq!(fib.top_exit_reason(), Some("type-guard"));
        let l = t.loop_("<main>", 1, 0).expect("loop");
        assert_eq!(
            l.refused.as_ref().map(|r| r.0.as_str()),
            Some("unsupported-op: try")
        );
        assert_eq!(t.skipped, 1);
        assert!(t.function("g", 9).is_none());
        assert_eq!(
            fib.sites[0],
            ((4, "type-guard".into(), "int".into(), "float".into()), 2)
        );
    }

    #[test]
    fn an_interrupt_is_not_a_deopt() {
        let t = Telemetry::parse(
            r#"{"v":1,"event":"exit","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0},"line":3,"span":[1,2],"reason":"interrupt","expected":"","observed":"","count":1}
{"v":1,"event":"summary","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0},"entries":1,"compiled":true,"exits":1}"#,
        );
        let l = t.loop_("<main>", 1, 0).expect("loop");
        assert_eq!(l.exits, 0);
        assert!(l.exit_reasons.is_empty());
    }
}
