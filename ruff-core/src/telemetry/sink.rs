//! Where telemetry events go: nowhere (the default: one predictable branch),
//! a JSON Lines file or stderr, and always `tracing` events under the target
//! `ruff_core::jit` (free unless a subscriber enables them, e.g.
//! `RUFF_LOG=ruff_core::jit=debug`).

use std::io::Write;

use super::events::{Event, SCHEMA_VERSION};

pub trait Sink {
    fn event(&mut self, e: &Event);
}

/// One JSON object per line.
pub struct JsonLinesSink {
    out: Box<dyn Write>,
}

impl JsonLinesSink {
    /// `-` is stderr; anything else a file (appended to: the CLI truncates it).
    pub fn open(target: &str) -> std::io::Result<JsonLinesSink> {
        let out: Box<dyn Write> = if target == "-" {
            Box::new(std::io::stderr())
        } else {
            Box::new(std::io::BufWriter::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(target)?,
            ))
        };
        Ok(JsonLinesSink { out })
    }
}

#[derive(serde::Serialize)]
struct Record<'a> {
    v: u32,
    #[serde(flatten)]
    event: &'a Event,
}

impl Sink for JsonLinesSink {
    fn event(&mut self, e: &Event) {
        let rec = Record {
            v: SCHEMA_VERSION,
            event: e,
        };
        if let Ok(line) = serde_json::to_string(&rec) {
            let _ = writeln!(self.out, "{line}");
        }
    }
}

impl Drop for JsonLinesSink {
    fn drop(&mut self) {
        let _ = self.out.flush();
    }
}

/// The VM's telemetry: an optional sink plus tracing.
#[derive(Default)]
pub struct Telemetry {
    sink: Option<Box<dyn Sink>>,
}

impl Telemetry {
    pub fn new(sink: Option<Box<dyn Sink>>) -> Telemetry {
        Telemetry { sink }
    }

    /// Whether anyone records events (counting costs a little; skip it if not).
    pub fn enabled(&self) -> bool {
        self.sink.is_some()
    }

    pub fn emit(&mut self, e: Event) {
        if tracing::enabled!(target: "ruff_core::jit", tracing::Level::DEBUG) {
            tracing::debug!(target: "ruff_core::jit", "{}", describe(&e));
        }
        if let Some(s) = &mut self.sink {
            s.event(&e);
        }
    }

    pub fn flush(&mut self) {
        self.sink = None;
    }
}

/// A readable one-line rendering for the tracing log.
fn describe(e: &Event) -> String {
    // Counts lean telemetry does not keep (see `Event::Summary`).
    let count = |n: &Option<u64>| n.map_or_else(|| "not counted".to_string(), |n| n.to_string());
    let unit = |u: &super::Unit| match u.loop_line {
        Some(l) => format!("loop at line {l} in {}", u.function),
        None => format!("function {} (line {})", u.function, u.line),
    };
    match e {
        Event::Hot { unit: u, count } => format!("hot: {} after {count}", unit(u)),
        Event::CompileStarted { unit: u, generic } => {
            format!("compile {}{}", unit(u), if *generic { " (generic)" } else { "" })
        }
        Event::CompileFinished { unit: u, micros, code_bytes, .. } => {
            format!("compiled {} in {micros} µs, {code_bytes} bytes", unit(u))
        }
        Event::CompileRefused { unit: u, code, message, line, .. } => {
            format!("refused {}: [{code}] {message} (line {line})", unit(u))
        }
        Event::Exit { unit: u, line, reason, expected, observed, count, .. } => format!(
            "exit from {} at line {line}: {reason} (expected {expected}, observed {observed}), #{count}",
            unit(u)
        ),
        Event::Blacklisted { unit: u, reason, exits } => {
            format!("blacklisted {}: {reason} after {exits} exits", unit(u))
        }
        Event::Observed { unit: u, line, types, .. } => {
            format!("observed in {} at line {line}: {}", unit(u), types.join(", "))
        }
        Event::Summary { unit: u, entries, native_entries, iterations, native_iterations, compiled, exits } => format!(
            "summary {}: entries {entries}, native entries {}, iterations {} ({} native), compiled {compiled}, exits {exits}",
            unit(u),
            count(native_entries),
            count(iterations),
            count(native_iterations)
        ),
    }
}
