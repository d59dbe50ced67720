//! The telemetry event schema (version `SCHEMA_VERSION`). Every record is
//! one JSON object per line: `{"v": 1, "event": "...", ...fields}`. Adding a
//! field is compatible; renaming or removing one bumps the version.

use serde::{Deserialize, Deserializer, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// A compilation unit: a function, or a loop of a function (named by its
/// index in the function's loop table and its header line).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Unit {
    /// `function` or `loop`.
    #[serde(deserialize_with = "interned")]
    pub kind: &'static str,
    /// The function's name (`<main>` for top-level code).
    pub function: String,
    /// The function's declaration line.
    pub line: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_index: Option<usize>,
    /// The loop header's line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_line: Option<u32>,
}

/// Readers (`ruff-lsp`, `ruff-prof`) deserialize each JSON line into this
/// type; the `v` field is ignored here (see `Record` in `sink`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A function reached the call threshold, or a loop the iteration threshold.
    Hot {
        unit: Unit,
        count: u64,
    },
    CompileStarted {
        unit: Unit,
        generic: bool,
    },
    CompileFinished {
        unit: Unit,
        micros: u64,
        code_bytes: usize,
        generic: bool,
    },
    /// The JIT will not compile this unit; the interpreter runs it.
    CompileRefused {
        unit: Unit,
        /// Stable reason code, e.g. `unsupported-op: try`.
        code: String,
        message: String,
        /// Line of the instruction that caused the refusal (0 if none).
        line: u32,
        /// Byte range of that instruction in the source.
        span: [u32; 2],
    },
    /// Native code left for the interpreter (a failed guard or check).
    /// Reported at the 1st, 2nd, 4th, 8th... exit of one site.
    Exit {
        unit: Unit,
        line: u32,
        span: [u32; 2],
        /// `type-guard`, `overflow`, `division-by-zero`, `unsupported`,
        /// `interrupt`, `stress`, `stack-limit`, `global-changed`.
        #[serde(deserialize_with = "interned")]
        reason: &'static str,
        #[serde(deserialize_with = "interned")]
        expected: &'static str,
        #[serde(deserialize_with = "interned")]
        observed: &'static str,
        count: u64,
    },
    /// Exited too often: recompiled without speculation, or given up.
    Blacklisted {
        unit: Unit,
        reason: String,
        exits: u64,
    },
    /// At the end of the run, per function or loop that ran. The counts
    /// native code keeps are `None` (left out) under lean telemetry
    /// (`JitTools::lean_telemetry`), which does not count them.
    Summary {
        unit: Unit,
        /// Functions: calls through the interpreter. Loops: 0.
        entries: u64,
        /// Functions: native code entries (from the VM or native callers).
        /// Loops: OSR entries (always counted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        native_entries: Option<u64>,
        /// Loops: back edges, interpreted plus native.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        iterations: Option<u64>,
        /// Loops: back edges taken in native code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        native_iterations: Option<u64>,
        compiled: bool,
        exits: u64,
    },
    /// At the end of the run, per instruction the interpreter records type
    /// feedback for (a read of a global, captured or outer variable, an
    /// index or field read, a `for` loop's next element, a call's result)
    /// and that ran: the kinds of values it produced (`int`, `float`,
    /// `bool`, `null`, `other`) and how many of each (interpreted
    /// executions only). Only with the JIT on (feedback exists for it).
    Observed {
        unit: Unit,
        line: u32,
        span: [u32; 2],
        types: Vec<String>,
        /// Parallel to `types`: how many values of each kind the
        /// instruction produced in the interpreter (saturating at 2^32-1).
        /// Empty under lean telemetry (which does not count) and absent
        /// in telemetry written before counts existed.
        #[serde(default)]
        counts: Vec<u64>,
    },
}

/// A `&'static str` read back from JSON. The schema's string fields that
/// are `&'static str` take values from small fixed sets (unit kinds, exit
/// reasons, type names); known values map to their static spelling, and
/// anything else is leaked once per distinct value (bounded by the set of
/// spellings a reader ever meets).
fn interned<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    Ok(intern(&s))
}

pub fn intern(s: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "function",
        "loop",
        "type-guard",
        "overflow",
        "division-by-zero",
        "unsupported",
        "interrupt",
        "stress",
        "stack-limit",
        "global-changed",
        "int",
        "float",
        "bool",
        "null",
        "any",
        "none",
        "other",
        "",
    ];
    if let Some(k) = KNOWN.iter().find(|k| **k == s) {
        return k;
    }
    static OTHERS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut others = OTHERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = others.iter().find(|k| **k == s) {
        return k;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    others.push(leaked);
    leaked
}

/// One line of a telemetry file: the schema version and the event.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub v: u32,
    pub event: Event,
}

impl Line {
    /// Parse one JSON line (`None` for anything that is not an event of a
    /// known kind; readers skip those, so newer writers stay readable).
    pub fn parse(line: &str) -> Option<Line> {
        let value: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
        let v = value.get("v")?.as_u64()? as u32;
        // An owned `Value` deserializes for any lifetime; the event's
        // `&'static str` fields are interned, not borrowed.
        let event = <Event as Deserialize<'static>>::deserialize(value).ok()?;
        Some(Line { v, event })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_back_as_written() {
        let unit = Unit {
            kind: "loop",
            function: "f".into(),
            line: 3,
            loop_index: Some(0),
            loop_line: Some(4),
        };
        let events = vec![
            Event::Hot {
                unit: unit.clone(),
                count: 1000,
            },
            Event::Exit {
                unit: unit.clone(),
                line: 5,
                span: [10, 12],
                reason: "type-guard",
                expected: "int",
                observed: "float",
                count: 4,
            },
            Event::Summary {
                unit: unit.clone(),
                entries: 0,
                native_entries: Some(1),
                iterations: None,
                native_iterations: None,
                compiled: true,
                exits: 2,
            },
            Event::Observed {
                unit,
                line: 5,
                span: [1, 2],
                types: vec!["int".into()],
                counts: vec![7],
            },
        ];
        for e in events {
            let json = serde_json::to_value(&e).unwrap();
            let mut obj = json.as_object().unwrap().clone();
            obj.insert("v".into(), SCHEMA_VERSION.into());
            let line = Line::parse(&serde_json::Value::Object(obj).to_string()).unwrap();
            assert_eq!(line.event, e);
        }
        assert!(Line::parse(r#"{"v":1,"event":"from_the_future"}"#).is_none());
        assert_eq!(intern("a-new-reason"), intern("a-new-reason"));
    }
}
