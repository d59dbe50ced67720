//! Reading the JIT telemetry that `ruff run --telemetry FILE` writes (JSON
//! Lines). The schema is not final, so parsing is lenient: unknown lines and
//! fields are ignored, several spellings of a field are accepted, and a
//! location may be a `line`, a `span` object (`{start, end}` byte offsets
//! or `{line}`), or a function `name`. What the server shows is assembled
//! from whatever is present.

use serde_json::Value;

/// A location as the telemetry gives it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Where {
    pub name: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// Byte offsets into the file that ran.
    pub span: Option<(u32, u32)>,
    /// `function` or `loop`, when the event says.
    pub kind: Option<String>,
}

/// Everything measured about one function or loop.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry {
    pub at: Where,
    pub compiled: bool,
    pub refused: Option<String>,
    pub native_pct: Option<f64>,
    pub compile_us: Option<f64>,
    pub iterations_before_compile: Option<u64>,
}

impl Entry {
    /// `⚡ native after 1,000 iterations · 97% native · 0.4 ms compile`.
    pub fn label(&self) -> String {
        if let Some(reason) = &self.refused {
            if !self.compiled {
                return format!("not compiled: {reason} (measured)");
            }
        }
        let mut parts = Vec::new();
        match self.iterations_before_compile {
            Some(n) => parts.push(format!("⚡ native after {} iterations", thousands(n))),
            None if self.compiled => parts.push("⚡ native".to_string()),
            None => parts.push("interpreted".to_string()),
        }
        if let Some(p) = self.native_pct {
            parts.push(format!("{}% native", p.round() as i64));
        }
        if let Some(us) = self.compile_us {
            parts.push(format!("{} ms compile", fmt_ms(us / 1000.0)));
        }
        parts.join(" · ")
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deopt {
    pub at: Where,
    pub message: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Telemetry {
    pub entries: Vec<Entry>,
    pub deopts: Vec<Deopt>,
    /// JSON objects read (malformed lines are skipped, not counted).
    pub events: usize,
}

pub fn parse(jsonl: &str) -> Telemetry {
    let mut t = Telemetry::default();
    for line in jsonl.lines() {
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line.trim()) else {
            continue;
        };
        t.events += 1;
        let v = Value::Object(obj);
        let event = str_field(&v, &["event", "type", "kind_of_event"]).unwrap_or_default();
        if let Some(unit) = v.get("unit") {
            schema_v1(&mut t, &event, unit, &v);
            continue;
        }
        let at = location(&v);
        match event.as_str() {
            "deopt" | "deoptimized" | "guard_failed" | "side_exit" => {
                let message = deopt_message(&v, &event);
                let count = num_field(&v, &["count", "times"]).map_or(1, |n| n as u64);
                t.deopts.push(Deopt { at, message, count });
            }
            _ => {
                let entry = entry_for(&mut t.entries, at);
                match event.as_str() {
                    "compile_finished" | "compiled" => entry.compiled = true,
                    "compile_refused" | "refused" | "blacklisted" => {
                        entry.refused = str_field(&v, &["reason", "code", "message"])
                            .or_else(|| Some(event.clone()));
                    }
                    _ => {}
                }
                if let Some(n) = num_field(&v, &["native_pct", "native_percent"]) {
                    entry.native_pct = Some(n);
                    entry.compiled |= n > 0.0;
                }
                if let Some(n) = num_field(&v, &["compile_us", "duration_us", "compile_time_us"]) {
                    entry.compile_us = Some(n);
                }
                if let Some(n) = num_field(
                    &v,
                    &["iterations_before_compile", "iterations", "hot_after"],
                ) {
                    entry.iterations_before_compile = Some(n as u64);
                }
            }
        }
    }
    t.entries.retain(|e| e.at != Where::default());
    t
}

/// The entry for a location, merging events about the same place.
/// An event of `ruff run --telemetry` schema version 1 (docs/telemetry.md):
/// every event names its function or loop in `unit`.
fn schema_v1(t: &mut Telemetry, event: &str, unit: &Value, v: &Value) {
    let kind = str_field(unit, &["kind"]);
    let name = str_field(unit, &["function"]);
    let fn_line = num_field(unit, &["line"]).map(|n| n as u32);
    let loop_line = num_field(unit, &["loop_line"]).map(|n| n as u32);
    let at = Where {
        name: name.clone(),
        line: loop_line.or(fn_line),
        span: None,
        kind,
    };
    if event == "exit" {
        // Reported at the exit site, not at the unit.
        let site = Where {
            name,
            line: num_field(v, &["line"]).map(|n| n as u32),
            span: span_field(v),
            kind: None,
        };
        let mut message = format!(
            "JIT exit to the interpreter: {}",
            str_field(v, &["reason"]).unwrap_or_else(|| "guard".to_string())
        );
        if let (Some(e), Some(o)) = (str_field(v, &["expected"]), str_field(v, &["observed"])) {
            message.push_str(&format!(" (expected {e}, observed {o})"));
        }
        let count = num_field(v, &["count"]).map_or(1, |n| n as u64);
        match t.deopts.iter_mut().find(|d| d.at == site) {
            Some(d) => d.count = d.count.max(count),
            None => t.deopts.push(Deopt {
                at: site,
                message,
                count,
            }),
        }
        return;
    }
    let entry = entry_for(&mut t.entries, at);
    match event {
        "hot" => entry.iterations_before_compile = num_field(v, &["count"]).map(|n| n as u64),
        "compile_finished" => {
            entry.compiled = true;
            entry.compile_us = num_field(v, &["micros"]);
        }
        "compile_refused" => entry.refused = str_field(v, &["code"]),
        "blacklisted" => entry.refused = Some("blacklisted".to_string()),
        "summary" => {
            let (interp, native) = if entry.at.kind.as_deref() == Some("loop") {
                (
                    num_field(v, &["iterations"]),
                    num_field(v, &["native_iterations"]),
                )
            } else {
                (
                    num_field(v, &["entries"]),
                    num_field(v, &["native_entries"]),
                )
            };
            if let (Some(i), Some(n)) = (interp, native) {
                if i + n > 0.0 {
                    entry.native_pct = Some(100.0 * n / (i + n));
                }
            }
            if v.get("compiled").and_then(Value::as_bool) == Some(true) {
                entry.compiled = true;
            }
        }
        _ => {}
    }
}

fn span_field(v: &Value) -> Option<(u32, u32)> {
    let a = v.get("span")?.as_array()?;
    Some((a.first()?.as_u64()? as u32, a.get(1)?.as_u64()? as u32))
}

fn entry_for(entries: &mut Vec<Entry>, at: Where) -> &mut Entry {
    let same = |e: &Entry| {
        (at.span.is_some() && e.at.span == at.span)
            || (at.line.is_some()
                && e.at.line == at.line
                && (at.name.is_none() || e.at.name == at.name))
            || (at.line.is_none() && at.span.is_none() && at.name.is_some() && e.at.name == at.name)
    };
    match entries.iter().position(same) {
        Some(i) => {
            let e = &mut entries[i];
            e.at.name = e.at.name.take().or(at.name);
            e.at.line = e.at.line.or(at.line);
            e.at.span = e.at.span.or(at.span);
            e.at.kind = e.at.kind.take().or(at.kind);
            e
        }
        None => {
            entries.push(Entry {
                at,
                ..Entry::default()
            });
            entries.last_mut().expect("just pushed")
        }
    }
}

fn deopt_message(v: &Value, event: &str) -> String {
    let reason = str_field(v, &["reason", "message", "guard"]);
    let expected = str_field(v, &["expected"]);
    let observed = str_field(v, &["observed", "actual", "got"]);
    let mut msg = format!("JIT {}", event.replace('_', " "));
    if let Some(r) = reason {
        msg.push_str(": ");
        msg.push_str(&r);
    }
    if let (Some(e), Some(o)) = (expected, observed) {
        msg.push_str(&format!(" (expected {e}, observed {o})"));
    }
    msg
}

fn location(v: &Value) -> Where {
    let mut at = Where {
        name: str_field(v, &["name", "function", "func"]),
        line: num_field(v, &["line"]).map(|n| n as u32),
        span: None,
        kind: str_field(v, &["kind", "unit"]),
    };
    if let Some(span) = v.get("span") {
        match span {
            Value::Object(_) => {
                let start = num_field(span, &["start", "lo"]);
                let end = num_field(span, &["end", "hi"]);
                if let (Some(s), Some(e)) = (start, end) {
                    at.span = Some((s as u32, e as u32));
                }
                if at.line.is_none() {
                    at.line = num_field(span, &["line", "start_line"]).map(|n| n as u32);
                }
            }
            Value::Array(a) if a.len() == 2 => {
                if let (Some(s), Some(e)) = (a[0].as_u64(), a[1].as_u64()) {
                    at.span = Some((s as u32, e as u32));
                }
            }
            _ => {}
        }
    }
    at
}

fn str_field(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn num_field(v: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').parse().ok(),
        _ => None,
    })
}

fn fmt_ms(ms: f64) -> String {
    if ms >= 10.0 {
        format!("{ms:.0}")
    } else if ms >= 0.1 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// `1000` → `1,000`.
pub fn thousands(n: u64) -> String {
    ruff_core::driver::thousands(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_v1_events_from_ruff_run() {
        let jsonl = r#"{"v":1,"event":"hot","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"count":1000}
{"v":1,"event":"compile_finished","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"micros":400,"code_bytes":1344,"generic":false}
{"v":1,"event":"exit","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"line":3,"span":[30,35],"reason":"type guard","expected":"int","observed":"float","count":2}
{"v":1,"event":"summary","unit":{"kind":"loop","function":"<main>","line":1,"loop_index":0,"loop_line":2},"entries":1,"native_entries":1,"iterations":1000,"native_iterations":99000,"compiled":true,"exits":2}
{"v":1,"event":"compile_refused","unit":{"kind":"function","function":"risky","line":5},"code":"unsupported-op: try","message":"m","line":6,"span":[50,53]}
"#;
        let t = parse(jsonl);
        let lp = t.entries.iter().find(|e| e.at.line == Some(2)).unwrap();
        assert_eq!(
            lp.label(),
            "⚡ native after 1,000 iterations · 99% native · 0.4 ms compile"
        );
        let f = t.entries.iter().find(|e| e.at.line == Some(5)).unwrap();
        assert_eq!(f.label(), "not compiled: unsupported-op: try (measured)");
        assert_eq!(t.deopts.len(), 1);
        assert_eq!(t.deopts[0].at.line, Some(3));
        assert!(t.deopts[0].message.contains("expected int, observed float"));
    }

    #[test]
    fn merges_events_per_location_and_formats_labels() {
        let jsonl = r#"
{"event":"hot","name":"fib","line":3,"kind":"function"}
{"event":"compile_finished","name":"fib","line":3,"compile_us":412,"iterations_before_compile":1000}
not json at all
{"event":"summary","name":"fib","line":3,"native_pct":97.2}
{"event":"compile_refused","span":{"start":40,"end":90},"reason":"unsupported-op: try"}
{"event":"deopt","line":7,"reason":"guard failed","expected":"int","observed":"float","count":12}
"#;
        let t = parse(jsonl);
        assert_eq!(t.events, 5);
        assert_eq!(t.entries.len(), 2);
        assert_eq!(
            t.entries[0].label(),
            "⚡ native after 1,000 iterations · 97% native · 0.4 ms compile"
        );
        assert_eq!(
            t.entries[1].label(),
            "not compiled: unsupported-op: try (measured)"
        );
        assert_eq!(t.entries[1].at.span, Some((40, 90)));
        assert_eq!(t.deopts.len(), 1);
        assert_eq!(t.deopts[0].count, 12);
        assert_eq!(
            t.deopts[0].message,
            "JIT deopt: guard failed (expected int, observed float)"
        );
    }

    #[test]
    fn empty_and_garbage_input() {
        assert_eq!(parse(""), Telemetry::default());
        assert_eq!(parse("[1,2]\n\"x\"\n{bad").events, 0);
    }
}
