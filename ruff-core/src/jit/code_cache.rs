//! The JIT's code cache: per function prototype (by `FuncProto::id`), where
//! it stands (its `Tier`), its compiled code and its loops' OSR code. What
//! the interpreter observed lives apart, in `runtime::feedback`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::bytecode::{FuncProto, Op, VarRef};

use super::ctx::{JitCtx, Ret2};
use super::entry::Entry;
use super::exits::ExitInfo;
use super::slot_ref::SlotOrGlobal;
use super::types::Ty;

/// Where a function or loop stands with the JIT.
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

/// Whether a method's code ever writes `self` (see `ProtoCode::keeps_self`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum SelfWrites {
    #[default]
    NotComputed,
    Never,
    Sometimes,
}

/// A compiled function.
pub struct CompiledFn {
    /// Specialized entry: `(ctx, closure, base, caller's shadow entry,
    /// unboxed params...)`, in `module::NATIVE_CC`.
    pub spec: *const u8,
    pub spec_id: cranelift_module::FuncId,
    /// How Rust calls `spec` (see `entry`).
    pub enter: Entry,
    /// Per parameter slot: its type (`Any` params stay boxed in their slot).
    pub params: Vec<Ty>,
    pub ret: Ty,
    pub stats: Rc<UnitStats>,
    /// Exit descriptors referenced by address from the code.
    pub exits: Vec<Box<ExitInfo>>,
}

/// OSR code's entry: `(ctx, closure, base, entry values) -> (tag,
/// payload)`; the entry values are the payloads of the loop's
/// `EntryCheck`s, in order, checked by `jit::enter_loop`.
pub type GenericEntry = unsafe extern "C" fn(*mut JitCtx, u64, u64, *const u64) -> Ret2;

/// A loop compiled for on-stack replacement.
pub struct CompiledLoop {
    pub entry: GenericEntry,
    /// What the code assumes of the frame's slots and promoted globals
    /// when it is entered (checked in Rust by `enter_loop`).
    pub checks: Vec<EntryCheck>,
    pub stats: Rc<UnitStats>,
    pub exits: Vec<Box<ExitInfo>>,
}

/// An OSR entry guard: the value at `src` must have tag `tag`. Checking
/// in Rust, and passing the payloads in an array, keeps a call per typed
/// local out of the native code (its entry was most of a small loop's IR).
#[derive(Clone, Copy, Debug)]
pub struct EntryCheck {
    pub src: SlotOrGlobal,
    pub tag: u64,
}

/// Run-time counters of one compiled unit.
pub struct UnitStats {
    pub proto: Rc<FuncProto>,
    pub loop_index: Option<usize>,
    pub exits: Cell<u64>,
    /// Native entries, counted only when telemetry is on (by native code
    /// for functions, by `enter_loop` for OSR).
    pub native_entries: Cell<u64>,
    pub generic: bool,
}

/// The JIT's state of one prototype.
#[derive(Default)]
pub struct ProtoCode {
    pub tier: Cell<Tier>,
    /// The method-JIT code, if compiled (the same as `code`, read without
    /// a borrow on every interpreted call; compiled code is never freed).
    pub entry: Cell<Option<*const CompiledFn>>,
    pub code: RefCell<Option<Rc<CompiledFn>>>,
    /// Per loop (index into `FuncProto::loops`): OSR state.
    pub loops: Box<[LoopCode]>,
    self_writes: Cell<SelfWrites>,
}

#[derive(Default)]
pub struct LoopCode {
    pub tier: Cell<Tier>,
    pub osr: RefCell<Option<Rc<CompiledLoop>>>,
}

impl ProtoCode {
    fn new(proto: &FuncProto) -> ProtoCode {
        ProtoCode {
            loops: (0..proto.loops.len())
                .map(|_| LoopCode::default())
                .collect(),
            ..ProtoCode::default()
        }
    }

    /// A method that never assigns `self` (nor captures it): calling it
    /// can never change the receiver, so a write-back call has nothing to
    /// write. Computed once per prototype.
    pub fn keeps_self(&self, proto: &FuncProto) -> bool {
        if self.self_writes.get() == SelfWrites::NotComputed {
            let self_var = |v: VarRef| matches!(v, VarRef::Local(0));
            let writes = proto.code.iter().any(|op| match *op {
                Op::StoreLocal(0) | Op::StoreNewCell(0) | Op::StoreCell(0) => true,
                Op::UpdateVar(u) => self_var(proto.updates[u as usize].var),
                Op::StorePath(p) => self_var(proto.paths[p as usize].var),
                _ => false,
            });
            self.self_writes.set(if writes {
                SelfWrites::Sometimes
            } else {
                SelfWrites::Never
            });
        }
        self.self_writes.get() == SelfWrites::Never
    }
}

/// Every prototype's `ProtoCode`, indexed by `FuncProto::id` (ids are dense
/// and fixed when the program is compiled).
#[derive(Default)]
pub struct CodeCache {
    protos: Box<[ProtoCode]>,
}

impl CodeCache {
    pub fn new(protos: &[Option<Rc<FuncProto>>]) -> CodeCache {
        CodeCache {
            protos: protos
                .iter()
                .map(|p| p.as_deref().map_or_else(ProtoCode::default, ProtoCode::new))
                .collect(),
        }
    }

    #[inline]
    pub fn of(&self, proto: &FuncProto) -> &ProtoCode {
        &self.protos[proto.id as usize]
    }
}
