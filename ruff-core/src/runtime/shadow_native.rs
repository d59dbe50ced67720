//! Native frames on the profiler's shadow stack without native code writing
//! a second stack: the sampler reads the frame records the JIT keeps for its
//! own error reports (`jit::ctx::Shadow`: prototype, instruction, VM frames
//! below) and merges them with the VM-pushed slots, as `jit::exits::
//! active_frames` does for error reports. A native call then costs the
//! profiler one store instead of a push and a pop.
//!
//! What this relies on, from the JIT: with a profiler attached, the live
//! native frames are records `1..=depth`, each with its prototype set
//! (written by its prologue, or by `jit::enter_loop` for OSR code), and
//! every record above them has none: a frame clears its record's
//! prototype on every return (`jit::lower::prof`), `enter_loop` clears
//! the OSR record. Native calls do not write `*top` (that would cost the
//! call; it is exact whenever Rust code runs), so the sampler uses it as a
//! starting point and finds the boundary from there. The record's `ip` is
//! one past the instruction the frame is at (stored by method code where
//! the line changes, and at entry — 0, the declaration line — unless the
//! function has a single line to show, see `jit::lower::prof`); `flags`
//! bit 31 marks OSR code, which stands for the VM frame below it (already
//! a slot, which has the line unless the OSR code is in a call: then its
//! record's `ip`, stored before every call, has it). Records are plain
//! memory written by the VM thread; the sampler reads each word with a
//! relaxed atomic load (a torn frame is possible, a torn word is not), and
//! a prototype key it does not know is skipped rather than dereferenced.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::shadow::{FrameSample, FuncId, Tier};

/// One JIT frame record as the sampler reads it (layout checked against
/// `jit::ctx::Shadow` by a test there).
#[repr(C)]
pub struct NativeRecord {
    /// The frame's `FuncProto` address: only a key here.
    pub proto: u64,
    pub ip: u32,
    pub flags: u32,
}

/// Set in `NativeRecord::flags` for OSR code.
pub const STANDS_FOR_VM_FRAME: u32 = 1 << 31;

/// Where the JIT's records are (fixed while the VM lives: `attach_native`
/// and `detach_native` bracket it).
#[derive(Clone, Copy, Debug)]
pub struct NativeFrames {
    /// Holds the address of the innermost live record (`records` if none).
    pub top: *const u64,
    /// `capacity` records; index 0 is unused.
    pub records: *const NativeRecord,
    pub capacity: usize,
}

// SAFETY: the pointers are only read (atomically) while the VM that owns
// them is attached; `ShadowStack` detaches it, under the same lock the
// sampler holds, before the VM frees them.
unsafe impl Send for NativeFrames {}

/// A compiled function, by its prototype's address.
pub(crate) struct NativeName {
    pub func: FuncId,
    /// Declaration line: before the frame's first call.
    pub line: u32,
    /// `FuncProto::lines`: the line of each instruction.
    pub lines: Box<[u32]>,
    /// All its calls and loops are on this line: the frame is always there
    /// (its code stores no instruction for the profiler).
    pub one_line: Option<u32>,
}

/// What the sampler needs to name native frames.
#[derive(Default)]
pub(crate) struct NativeState {
    pub frames: Option<NativeFrames>,
    pub names: HashMap<u64, NativeName>,
}

impl NativeState {
    /// The live native frame count (0 without a JIT attached): records
    /// `1..` up to the first with no prototype. `top` is only a hint
    /// here: native calls do not write it (see the module docs).
    pub fn depth(&self) -> usize {
        let Some(f) = self.frames else { return 0 };
        let proto = |i: usize| self.record(i).map_or(0, |r| r.0);
        // Start at `top` (exact whenever Rust code runs, and near the
        // innermost frame otherwise), then move to the boundary.
        // SAFETY: attached, see `NativeFrames`.
        let top = unsafe { AtomicU64::from_ptr(f.top as *mut u64) }.load(Ordering::Acquire);
        let last = f.capacity.saturating_sub(1);
        let mut d = ((top as usize).wrapping_sub(f.records as usize)
            / std::mem::size_of::<NativeRecord>())
        .min(last);
        while d > 0 && proto(d) == 0 {
            d -= 1;
        }
        while d < last && proto(d + 1) != 0 {
            d += 1;
        }
        d
    }

    /// Record `i` (1-based): (prototype key, ip, flags), or `None` past
    /// the records.
    fn record(&self, i: usize) -> Option<(u64, u32, u32)> {
        let f = self.frames?;
        if i == 0 || i >= f.capacity {
            return None;
        }
        // SAFETY: `i < capacity`, attached; every word is read atomically.
        Some(unsafe {
            let r = f.records.add(i) as *mut NativeRecord;
            (
                AtomicU64::from_ptr(&raw mut (*r).proto).load(Ordering::Relaxed),
                AtomicU32::from_ptr(&raw mut (*r).ip).load(Ordering::Relaxed),
                AtomicU32::from_ptr(&raw mut (*r).flags).load(Ordering::Relaxed),
            )
        })
    }

    /// The line a record's frame is at, if its function is known.
    fn line_of(&self, proto: u64, ip: u32) -> Option<(&NativeName, u32)> {
        let n = self.names.get(&proto)?;
        let line = match (n.one_line, (ip as usize).checked_sub(1)) {
            (Some(l), _) => l,
            (None, Some(i)) => n.lines.get(i).copied().unwrap_or(n.line),
            (None, None) => n.line,
        };
        Some((n, line))
    }

    /// Append native frame `i` (1-based) unless it is OSR code or unknown.
    pub fn push_frame(&self, i: usize, out: &mut Vec<FrameSample>) {
        let Some((proto, ip, flags)) = self.record(i) else {
            return;
        };
        if flags & STANDS_FOR_VM_FRAME != 0 {
            return;
        }
        if let Some((n, line)) = self.line_of(proto, ip) {
            out.push(FrameSample {
                func: n.func,
                tier: Tier::Native,
                line,
            });
        }
    }

    /// The line of OSR code whose record is `i`, from its instruction.
    pub fn osr_line(&self, i: usize) -> Option<u32> {
        let (proto, ip, flags) = self.record(i)?;
        if flags & STANDS_FOR_VM_FRAME == 0 {
            return None;
        }
        self.line_of(proto, ip).map(|(_, line)| line)
    }
}
