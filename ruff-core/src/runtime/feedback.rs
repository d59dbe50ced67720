//! What the interpreter records about each function prototype, the way V8
//! hangs a feedback vector off a function: call and back-edge counters,
//! per-loop iteration counts, the kinds of values produced by the
//! instructions whose result type the compiler cannot infer (`Index`,
//! `GetField`, `LoadGlobal`, `LoadUpval`, `LoadCell`, `IterNext`, `Call`),
//! and the function each call site called. The interpreter writes it; the
//! JIT and telemetry read it. Compiled code and tiers belong to the JIT
//! (`jit::code_cache`).

use std::cell::{Cell, OnceCell};

use crate::bytecode::FuncProto;
use crate::runtime::value::{tag, Value};

/// Feedback bits: which kinds of values an instruction produced.
pub mod kind {
    use crate::runtime::value::tag;
    // One bit per scalar value tag, one for everything else.
    pub const NULL: u8 = 1 << tag::NULL;
    pub const BOOL: u8 = 1 << tag::BOOL;
    pub const INT: u8 = 1 << tag::INT;
    pub const FLOAT: u8 = 1 << tag::FLOAT;
    pub const OTHER: u8 = 1 << (tag::FLOAT + 1);
}

/// Number of feedback kinds (bit positions 0..KINDS of `kind`).
pub const KINDS: usize = tag::FLOAT as usize + 2;

#[inline]
pub fn kind_bit(v: &Value) -> u8 {
    match v {
        Value::Null => kind::NULL,
        Value::Bool(_) => kind::BOOL,
        Value::Int(_) => kind::INT,
        Value::Float(_) => kind::FLOAT,
        _ => kind::OTHER,
    }
}

/// Which function a call site called in the interpreter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallSite {
    /// Not executed yet.
    #[default]
    Unseen,
    /// Always this one (prototypes live as long as the program).
    One(*const FuncProto),
    /// Several functions.
    Many,
}

#[derive(Default)]
pub struct Feedback {
    /// Calls made through the interpreter.
    pub calls: Cell<u32>,
    /// Back edges taken in the interpreter (all loops of the function).
    pub backedges: Cell<u32>,
    /// Per instruction: `kind` bits of the values it produced.
    kinds: Box<[Cell<u8>]>,
    /// Per instruction and kind (indexed by the kind bit's position): how
    /// many values of that kind it produced in the interpreter, saturating.
    /// Kept only when a run's telemetry counts (`enable_counts`): counting
    /// costs the interpreter a few percent.
    kind_counts: OnceCell<Box<[[Cell<u32>; KINDS]]>>,
    /// Per instruction (calls): the function called there.
    targets: Box<[Cell<CallSite>]>,
    /// Per loop (index into `FuncProto::loops`).
    pub loops: Box<[LoopFeedback]>,
}

#[derive(Default)]
pub struct LoopFeedback {
    /// Back edges taken in the interpreter (counted only on the slow path,
    /// i.e. past the threshold or with telemetry on).
    pub iterations: Cell<u64>,
    /// Back edges taken in native code (counted only with telemetry on).
    pub native_iterations: Cell<u64>,
}

impl Feedback {
    pub fn new(code_len: usize, loops: usize) -> Feedback {
        Feedback {
            kinds: (0..code_len).map(|_| Cell::new(0)).collect(),
            targets: (0..code_len).map(|_| Cell::default()).collect(),
            loops: (0..loops).map(|_| LoopFeedback::default()).collect(),
            ..Feedback::default()
        }
    }

    /// Record the kind of value instruction `ip` produced.
    #[inline]
    pub fn note(&self, ip: usize, v: &Value) {
        if let Some(c) = self.kinds.get(ip) {
            let bit = kind_bit(v);
            c.set(c.get() | bit);
            if let Some(n) = self.kind_counts.get().and_then(|k| k.get(ip)) {
                let n = &n[bit.trailing_zeros() as usize % KINDS];
                n.set(n.get().saturating_add(1));
            }
        }
    }

    /// The `kind` bits instruction `ip` has produced.
    pub fn seen(&self, ip: usize) -> u8 {
        self.kinds.get(ip).map_or(0, Cell::get)
    }

    /// How many values of the kind `bit` (one `kind` constant) the
    /// instruction at `ip` produced in the interpreter (saturating).
    pub fn count(&self, ip: usize, bit: u8) -> u32 {
        self.kind_counts
            .get()
            .and_then(|k| k.get(ip))
            .map_or(0, |n| n[bit.trailing_zeros() as usize % KINDS].get())
    }

    /// Whether values are counted per kind (`enable_counts` was called).
    pub fn counting(&self) -> bool {
        self.kind_counts.get().is_some()
    }

    /// Start counting values per kind (for telemetry's `observed` events).
    pub fn enable_counts(&self) {
        let n = self.kinds.len();
        self.kind_counts
            .get_or_init(|| (0..n).map(|_| Default::default()).collect());
    }

    /// Record that the call at `ip` called function `p`.
    #[inline]
    pub fn note_target(&self, ip: usize, p: *const FuncProto) {
        if let Some(c) = self.targets.get(ip) {
            match c.get() {
                CallSite::Unseen => c.set(CallSite::One(p)),
                CallSite::One(t) if t != p => c.set(CallSite::Many),
                _ => {}
            }
        }
    }

    /// The one function the call at `ip` has called, if exactly one.
    pub fn target(&self, ip: usize) -> Option<*const FuncProto> {
        match self.targets.get(ip).map(Cell::get) {
            Some(CallSite::One(p)) => Some(p),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Feedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Feedback {{ calls: {} }}", self.calls.get())
    }
}
