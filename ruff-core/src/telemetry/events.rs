//! The telemetry event schema (version `SCHEMA_VERSION`). Every record is
//! one JSON object per line: `{"v": 1, "event": "...", ...fields}`. Adding a
//! field is compatible; renaming or removing one bumps the version.

use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

/// A compilation unit: a function, or a loop of a function (named by its
/// index in the function's loop table and its header line).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Unit {
    /// `function` or `loop`.
    pub kind: &'static str,
    /// The function's name (`<main>` for top-level code).
    pub function: String,
    /// The function's declaration line.
    pub line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_index: Option<usize>,
    /// The loop header's line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_line: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
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
        reason: &'static str,
        expected: &'static str,
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
        #[serde(skip_serializing_if = "Option::is_none")]
        native_entries: Option<u64>,
        /// Loops: back edges, interpreted plus native.
        #[serde(skip_serializing_if = "Option::is_none")]
        iterations: Option<u64>,
        /// Loops: back edges taken in native code.
        #[serde(skip_serializing_if = "Option::is_none")]
        native_iterations: Option<u64>,
        compiled: bool,
        exits: u64,
    },
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::Hot { .. } => "hot",
            Event::CompileStarted { .. } => "compile_started",
            Event::CompileFinished { .. } => "compile_finished",
            Event::CompileRefused { .. } => "compile_refused",
            Event::Exit { .. } => "exit",
            Event::Blacklisted { .. } => "blacklisted",
            Event::Summary { .. } => "summary",
        }
    }
}
