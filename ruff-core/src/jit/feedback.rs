//! What the interpreter records for the JIT, per function prototype: call and
//! back-edge counters, and cheap type feedback (a bit set of the value kinds
//! seen) for the instructions whose result type the compiler cannot infer
//! (`Index`, `GetField`, `LoadGlobal`, `LoadUpval`, `LoadCell`, `IterNext`,
//! `Call`). Also where the compiled code of the function and its loops hangs.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::runtime::value::Value;

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

/// Where a prototype stands with the JIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tier {
    /// Interpreted; may be compiled when hot.
    #[default]
    Cold,
    /// Compiled with type speculation.
    Compiled,
    /// Exited too often: the next compile is generic (no speculation).
    WantsGeneric,
    /// Compiled without speculation.
    CompiledGeneric,
    /// Never compile again (refused, or exits even without speculation).
    Blacklisted,
}

/// OSR code's entry: `(ctx, closure, base, entry values) -> (tag,
/// payload)`; the entry values are the payloads of the loop's
/// `EntryCheck`s, in order, checked by `jit::enter_loop`.
pub type GenericEntry =
    unsafe extern "C" fn(*mut super::ctx::JitCtx, u64, u64, *const u64) -> super::ctx::Ret2;

#[derive(Default)]
pub struct ProtoJit {
    /// Calls made through the interpreter.
    pub calls: Cell<u32>,
    /// Back edges taken in the interpreter (all loops of the function).
    pub backedges: Cell<u32>,
    /// Per instruction: `kind` bits of the values it produced.
    pub feedback: Box<[Cell<u8>]>,
    pub tier: Cell<Tier>,
    /// The method-JIT code, if compiled (the same as `code`, read without
    /// a borrow on every interpreted call; compiled code is never freed).
    pub entry: Cell<Option<*const super::CompiledFn>>,
    pub code: RefCell<Option<Rc<super::CompiledFn>>>,
    /// Per loop (index into `FuncProto::loops`): OSR state.
    pub loops: Box<[LoopJit]>,
    /// Per instruction (calls): the function the interpreter saw called
    /// there — 0 none yet, 1 several, else its `*const FuncProto` (protos
    /// live as long as the program).
    pub targets: Box<[Cell<usize>]>,
    /// Methods: whether the code never writes `self` (0 = not computed
    /// yet, 1 = keeps it, 2 = writes it); see `jit::keeps_self`.
    pub keeps_self: Cell<u8>,
}

#[derive(Default)]
pub struct LoopJit {
    /// Back edges taken in the interpreter (counted only on the slow path,
    /// i.e. past the threshold or with telemetry on).
    pub iterations: Cell<u64>,
    /// Back edges taken in native code (counted only with telemetry on).
    pub native_iterations: Cell<u64>,
    pub tier: Cell<Tier>,
    pub osr: RefCell<Option<Rc<super::CompiledLoop>>>,
}

impl ProtoJit {
    pub fn new(code_len: usize, loops: usize) -> ProtoJit {
        ProtoJit {
            feedback: (0..code_len).map(|_| Cell::new(0)).collect(),
            loops: (0..loops).map(|_| LoopJit::default()).collect(),
            targets: (0..code_len).map(|_| Cell::new(0)).collect(),
            ..ProtoJit::default()
        }
    }

    /// Record the kind of value instruction `ip` produced.
    #[inline]
    pub fn note(&self, ip: usize, v: &Value) {
        if let Some(c) = self.feedback.get(ip) {
            c.set(c.get() | kind_bit(v));
        }
    }

    /// Record that the call at `ip` called function `p`.
    #[inline]
    pub fn note_target(&self, ip: usize, p: *const crate::bytecode::FuncProto) {
        if let Some(c) = self.targets.get(ip) {
            match c.get() {
                0 => c.set(p as usize),
                t if t != p as usize => c.set(1),
                _ => {}
            }
        }
    }

    /// The one function the call at `ip` has called, if exactly one.
    pub fn target(&self, ip: usize) -> Option<*const crate::bytecode::FuncProto> {
        match self.targets.get(ip).map_or(0, Cell::get) {
            0 | 1 => None,
            p => Some(p as *const _),
        }
    }

    pub fn seen(&self, ip: usize) -> u8 {
        self.feedback.get(ip).map_or(0, Cell::get)
    }
}

impl std::fmt::Debug for ProtoJit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ProtoJit {{ calls: {}, tier: {:?} }}",
            self.calls.get(),
            self.tier.get()
        )
    }
}
