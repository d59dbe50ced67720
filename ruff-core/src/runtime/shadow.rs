//! The shadow stack: a copy of the Ruff call stack (function, tier, line)
//! that a profiler's sampler thread can read while the VM runs. A sampler
//! cannot walk the VM's own frames (they hold `Rc`s) nor read native program
//! counters, so the interpreter records function entry and exit here, and
//! the current line at calls and loop back edges. Native JIT frames are not
//! pushed here: a sample merges in the frame records the JIT keeps anyway
//! (`shadow_native`), at the place each slot recorded (`Slot::below`).
//!
//! Every field is an atomic, so concurrent reads are well defined; a sample
//! taken while a frame is being pushed may see that frame half-written, which
//! a statistical profiler tolerates. When no profiler is attached the VM has
//! no shadow stack and each hook costs one predictable branch, and the JIT
//! emits no shadow-stack code at all.
//!
//! `depth` is the logical depth: it keeps counting past the capacity, and
//! frames beyond it are not recorded (a sample shows the outermost
//! `capacity` frames). Writes to a frame past the capacity go to one spare
//! slot that is never sampled, so native code (OSR code recording its
//! line in its VM frame's slot) can address a slot without a branch:
//! `slot = slots + min(index, capacity) * SIZE`.
//!
//! Native code writes `Slot::line` with a plain store at the offset in
//! `slot_off` (checked by a unit test). On x86-64 an aligned plain store *is*
//! a relaxed atomic store.

use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::shadow_code::CodeMap;
use super::shadow_native::{NativeFrames, NativeName, NativeState};

/// What kind of code a frame is executing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Tier {
    /// The bytecode interpreter.
    Interpreted = 0,
    /// Native code produced by the JIT.
    Native = 1,
    /// The JIT compiling a function or loop.
    Compiler = 2,
    /// A builtin (`print`, `push`, `sort`...).
    Runtime = 3,
    /// A runtime helper native code called (dict and array operations,
    /// reference counting...). The VM never pushes these: a sampler that
    /// reads the VM thread's program counter adds them (`shadow_code`).
    Helper = 4,
    /// The C library's allocator and string functions, or the kernel,
    /// as far as a sampler can tell from the program counter.
    System = 5,
}

impl Tier {
    pub fn from_u8(v: u8) -> Tier {
        match v {
            1 => Tier::Native,
            2 => Tier::Compiler,
            3 => Tier::Runtime,
            4 => Tier::Helper,
            5 => Tier::System,
            _ => Tier::Interpreted,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Interpreted => "interpreted",
            Tier::Native => "native",
            Tier::Compiler => "jit-compiler",
            Tier::Runtime => "runtime",
            Tier::Helper => "helper",
            Tier::System => "system",
        }
    }
}

/// Identifies a function in `FunctionTable` (or a builtin, see `BUILTIN_BIT`).
pub type FuncId = u32;

/// Set on a `FuncId` that names a builtin by registry index.
pub const BUILTIN_BIT: u32 = 1 << 31;

/// One frame. `repr(C)`: JIT code writes its line (offsets in
/// `slot_off`); 16 bytes so that an index becomes an offset with a shift.
#[derive(Default)]
#[repr(C, align(16))]
pub struct Slot {
    func: AtomicU32,
    line: AtomicU32,
    tier: AtomicU8,
    /// Native frames below this one (the JIT's depth when it was pushed):
    /// where a sample merges the JIT's frames in.
    below: AtomicU32,
}

/// Byte offsets of `Slot`'s fields and its size, for the JIT.
pub mod slot_off {
    pub const LINE: i32 = 4;
    pub const SIZE: i64 = 16;
}

/// One frame as a sampler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameSample {
    pub func: FuncId,
    pub tier: Tier,
    /// 1-based source line (0 when unknown).
    pub line: u32,
}

/// What JIT code needs to keep the shadow stack current: fixed addresses
/// (the stack is never resized or moved while an `Arc` holds it).
#[derive(Clone, Copy, Debug)]
pub struct NativeLayout {
    /// The `AtomicUsize` logical depth.
    pub depth: *const AtomicUsize,
    /// `capacity + 1` slots; the last one is the spare.
    pub slots: *const Slot,
    pub capacity: usize,
}

pub struct ShadowStack {
    /// `capacity` sampled slots plus the spare (see the module docs).
    slots: Box<[Slot]>,
    depth: AtomicUsize,
    /// Where the JIT keeps the address of its innermost frame record, read
    /// by `push` on the VM thread (`NO_NATIVE` when no JIT is attached)...
    native_top: AtomicPtr<u64>,
    /// ...and the address of record 0: the native depth is the distance.
    native_records: AtomicUsize,
    /// The JIT's frame records and names, for samples. The VM thread takes
    /// the lock only to attach, detach and name a compiled function.
    native: Mutex<NativeState>,
    /// Compiled code's addresses and lines, for samplers that read the VM
    /// thread's program counter (filled only with a profiler attached).
    code: Mutex<CodeMap>,
}

/// The native depth without a JIT.
static NO_NATIVE: u64 = 0;

impl ShadowStack {
    /// A shadow stack with room for `capacity` frames (deeper frames are
    /// counted but not recorded).
    pub fn new(capacity: usize) -> ShadowStack {
        ShadowStack {
            slots: (0..capacity.max(1) + 1).map(|_| Slot::default()).collect(),
            depth: AtomicUsize::new(0),
            native_top: AtomicPtr::new(&NO_NATIVE as *const u64 as *mut u64),
            native_records: AtomicUsize::new(0),
            native: Mutex::new(NativeState::default()),
            code: Mutex::new(CodeMap::default()),
        }
    }

    /// Frames a sample can show.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot of frame `d` (0-based), or the spare past the capacity.
    #[inline]
    fn slot(&self, d: usize) -> &Slot {
        &self.slots[d.min(self.capacity())]
    }

    /// Enter a frame.
    #[inline]
    pub fn push(&self, func: FuncId, tier: Tier, line: u32) {
        let d = self.depth.load(Ordering::Relaxed);
        let s = self.slot(d);
        s.func.store(func, Ordering::Relaxed);
        s.tier.store(tier as u8, Ordering::Relaxed);
        s.line.store(line, Ordering::Relaxed);
        // SAFETY: `NO_NATIVE` or the attached JIT's `top`, which this (the
        // VM's) thread writes, and which is exact whenever Rust code runs.
        let top = unsafe { *self.native_top.load(Ordering::Relaxed) };
        let records = self.native_records.load(Ordering::Relaxed);
        let below = (top as usize).wrapping_sub(records)
            / std::mem::size_of::<super::shadow_native::NativeRecord>();
        s.below.store(below as u32, Ordering::Relaxed);
        // Release: a sampler that sees the new depth sees the frame.
        self.depth.store(d + 1, Ordering::Release);
    }

    /// Enter a frame with `below` native frames under it given, not read
    /// from the JIT (rebuilding the stack of a program already running:
    /// `attach`).
    pub fn push_below(&self, func: FuncId, tier: Tier, line: u32, below: usize) {
        let d = self.depth.load(Ordering::Relaxed);
        let s = self.slot(d);
        s.func.store(func, Ordering::Relaxed);
        s.tier.store(tier as u8, Ordering::Relaxed);
        s.line.store(line, Ordering::Relaxed);
        s.below.store(below as u32, Ordering::Relaxed);
        self.depth.store(d + 1, Ordering::Release);
    }

    /// Leave the innermost frame.
    #[inline]
    pub fn pop(&self) {
        let d = self.depth.load(Ordering::Relaxed);
        self.depth.store(d.saturating_sub(1), Ordering::Release);
    }

    /// Pop frames until at most `depth` remain.
    pub fn truncate(&self, depth: usize) {
        let d = self.depth.load(Ordering::Relaxed);
        self.depth.store(d.min(depth), Ordering::Release);
    }

    /// Pop the `n` innermost frames (error unwinding drops `n` VM frames).
    pub fn pop_n(&self, n: usize) {
        let d = self.depth.load(Ordering::Relaxed);
        self.depth.store(d.saturating_sub(n), Ordering::Release);
    }

    /// Record the line the innermost frame is at.
    #[inline]
    pub fn set_line(&self, line: u32) {
        let d = self.depth.load(Ordering::Relaxed);
        if d > 0 {
            self.slot(d - 1).line.store(line, Ordering::Relaxed);
        }
    }

    /// Change the innermost frame's tier (e.g. entering native code).
    #[inline]
    pub fn set_tier(&self, tier: Tier) {
        let d = self.depth.load(Ordering::Relaxed);
        if d > 0 {
            self.slot(d - 1).tier.store(tier as u8, Ordering::Relaxed);
        }
    }

    /// The logical depth (may exceed the capacity).
    pub fn depth(&self) -> usize {
        self.depth.load(Ordering::Acquire)
    }

    /// Merge these native frame records into samples until
    /// `detach_native` (called before they are freed).
    pub fn attach_native(&self, frames: NativeFrames) {
        let mut n = self.native.lock().unwrap_or_else(|e| e.into_inner());
        n.frames = Some(frames);
        self.native_records
            .store(frames.records as usize, Ordering::Relaxed);
        self.native_top
            .store(frames.top as *mut u64, Ordering::Relaxed);
    }

    pub fn detach_native(&self) {
        let mut n = self.native.lock().unwrap_or_else(|e| e.into_inner());
        n.frames = None;
        self.native_top
            .store(&NO_NATIVE as *const u64 as *mut u64, Ordering::Relaxed);
        self.native_records.store(0, Ordering::Relaxed);
    }

    /// Name the native frames whose record holds `key` (a compiled
    /// function's prototype address): `func`, declared at `line`, always at
    /// `one_line` if given, else at `lines[ip - 1]` (the line of each
    /// instruction, `ip` from the record).
    pub fn name_native(
        &self,
        key: u64,
        func: FuncId,
        line: u32,
        one_line: Option<u32>,
        lines: &[u32],
    ) {
        let mut n = self.native.lock().unwrap_or_else(|e| e.into_inner());
        n.names.entry(key).or_insert_with(|| NativeName {
            func,
            line,
            lines: match one_line {
                Some(_) => Box::new([]),
                None => lines.into(),
            },
            one_line,
        });
    }

    /// The addresses JIT code writes to.
    pub fn native_layout(&self) -> NativeLayout {
        NativeLayout {
            depth: &self.depth,
            slots: self.slots.as_ptr(),
            capacity: self.capacity(),
        }
    }

    /// Copy the current stack, outermost first (for a sampler thread):
    /// each slot preceded by the native frames below it not yet shown, and
    /// the native frames above the last slot at the end.
    pub fn sample(&self, out: &mut Vec<FrameSample>) {
        let native = self.native.lock().unwrap_or_else(|e| e.into_inner());
        self.sample_with(&native, out);
    }

    /// `sample`, unless the VM thread holds the lock (it is naming a
    /// compiled function): for a sampler that has stopped the VM thread,
    /// which would wait for it forever. Returns whether it sampled.
    pub fn try_sample(&self, out: &mut Vec<FrameSample>) -> bool {
        match self.native.try_lock() {
            Ok(native) => {
                self.sample_with(&native, out);
                true
            }
            Err(std::sync::TryLockError::Poisoned(e)) => {
                self.sample_with(&e.into_inner(), out);
                true
            }
            Err(std::sync::TryLockError::WouldBlock) => false,
        }
    }

    /// Record where a compiled unit of `func` is, with its code's source
    /// locations (`shadow_code`).
    pub fn register_code(
        &self,
        start: usize,
        len: usize,
        func: FuncId,
        lines: &[u32],
        locs: Vec<(u32, u32, u32)>,
    ) {
        let mut c = self.code.lock().unwrap_or_else(|e| e.into_inner());
        c.add(start, len, func, lines, locs);
    }

    /// Look at the code map, unless the VM thread holds it (see
    /// `try_sample`).
    pub fn try_with_code<R>(&self, f: impl FnOnce(&CodeMap) -> R) -> Option<R> {
        match self.code.try_lock() {
            Ok(c) => Some(f(&c)),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(f(&e.into_inner())),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    fn sample_with(&self, native: &NativeState, out: &mut Vec<FrameSample>) {
        out.clear();
        let d = self.depth.load(Ordering::Acquire).min(self.capacity());
        let nd = native.depth();
        let mut next = 1;
        for (k, s) in self.slots[..d].iter().enumerate() {
            let below = (s.below.load(Ordering::Relaxed) as usize).min(nd);
            while next <= below {
                native.push_frame(next, out);
                next += 1;
            }
            let tier = Tier::from_u8(s.tier.load(Ordering::Relaxed));
            let mut line = s.line.load(Ordering::Relaxed);
            // OSR code (a native VM frame, its record just above the
            // native frames below it) in a call: at its record's
            // instruction, which it stores before every call.
            if tier == Tier::Native && (k + 1 < d || nd > below + 1) {
                if let Some(l) = native.osr_line(below + 1) {
                    line = l;
                }
            }
            out.push(FrameSample {
                func: s.func.load(Ordering::Relaxed),
                tier,
                line,
            });
        }
        // Native frames deeper than the capacity are not shown, as slots.
        while next <= nd && out.len() < self.capacity() {
            native.push_frame(next, out);
            next += 1;
        }
    }
}

/// Names of the functions a `FuncId` can refer to, built by the compiler.
#[derive(Clone, Debug, Default)]
pub struct FunctionTable {
    /// (name, 1-based declaration line), indexed by `FuncId`.
    pub functions: Vec<(String, u32)>,
}

impl FunctionTable {
    /// `function` name for an id (builtins by their registry name).
    pub fn name(&self, id: FuncId) -> String {
        if id & BUILTIN_BIT != 0 {
            let idx = (id & !BUILTIN_BIT) as usize;
            return super::builtins::REGISTRY
                .get(idx)
                .map_or_else(|| "<builtin>".to_string(), |d| d.name.to_string());
        }
        self.functions
            .get(id as usize)
            .map_or_else(|| "<unknown>".to_string(), |f| f.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pop_sample() {
        let s = ShadowStack::new(2);
        s.push(0, Tier::Interpreted, 1);
        s.push(1, Tier::Native, 5);
        s.set_line(6);
        s.push(2, Tier::Runtime, 0); // beyond capacity: counted, not recorded
        let mut out = Vec::new();
        s.sample(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1],
            FrameSample {
                func: 1,
                tier: Tier::Native,
                line: 6
            }
        );
        s.pop();
        s.pop();
        s.sample(&mut out);
        assert_eq!(out.len(), 1);
        s.truncate(0);
        assert_eq!(s.depth(), 0);
    }

    #[test]
    fn deeper_than_capacity_counts_and_recovers() {
        let s = ShadowStack::new(2);
        for f in 0..5 {
            s.push(f, Tier::Native, f);
        }
        assert_eq!(s.depth(), 5);
        s.set_line(99); // lands in the spare slot
        let mut out = Vec::new();
        s.sample(&mut out);
        assert_eq!(out.iter().map(|f| f.func).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(out[1].line, 1);
        s.pop_n(3);
        s.set_line(7);
        s.sample(&mut out);
        assert_eq!(out[1].line, 7);
    }

    /// Native frames come from the JIT's records, merged where each slot
    /// recorded the native depth below it; OSR records and unknown
    /// prototypes are left out; a function with one line shows it
    /// whatever its record's instruction.
    #[test]
    fn native_records_merge_below_the_slots_pushed_above_them() {
        use crate::runtime::shadow_native::{NativeFrames, NativeRecord, STANDS_FOR_VM_FRAME};
        let rec = |proto, ip, flags| NativeRecord { proto, ip, flags };
        let records = [
            rec(0, 0, 0), // index 0 is unused
            rec(0xf, 2, 0),
            rec(0xf, 0, 0),
            rec(0x9, 1, STANDS_FOR_VM_FRAME),
            rec(0x1, 7, 0),
            rec(0xbad, 1, 0),
        ];
        // `top` holds the address of the innermost record.
        let at =
            |d: usize| records.as_ptr() as u64 + (d * std::mem::size_of::<NativeRecord>()) as u64;
        let depth = std::sync::atomic::AtomicU64::new(at(0));
        let s = ShadowStack::new(16);
        s.name_native(0xf, 5, 10, None, &[10, 11, 12]);
        s.name_native(0x1, 6, 20, Some(21), &[20, 21]);
        s.attach_native(NativeFrames {
            top: depth.as_ptr(),
            records: records.as_ptr(),
            capacity: records.len(),
        });
        s.push(0, Tier::Interpreted, 1); // below: 0
        depth.store(at(2), Ordering::Relaxed);
        s.push(1, Tier::Runtime, 0); // below: 2
        depth.store(at(5), Ordering::Relaxed);
        let mut out = Vec::new();
        s.sample(&mut out);
        let f = |func, tier, line| FrameSample { func, tier, line };
        assert_eq!(
            out,
            [
                f(0, Tier::Interpreted, 1),
                f(5, Tier::Native, 11), // ip 2: instruction 1's line
                f(5, Tier::Native, 10), // ip 0: the declaration line
                f(1, Tier::Runtime, 0),
                f(6, Tier::Native, 21),
            ]
        );
        s.detach_native();
        s.sample(&mut out);
        assert_eq!(out.len(), 2);
    }

    /// JIT code writes slots at these offsets (see `slot_off`).
    #[test]
    fn slot_layout_matches_the_offsets() {
        let s = Slot::default();
        let base = &s as *const Slot as usize;
        assert_eq!(&s.line as *const _ as usize - base, slot_off::LINE as usize);
        assert_eq!(std::mem::size_of::<Slot>(), slot_off::SIZE as usize);
        assert_eq!(std::mem::size_of::<AtomicUsize>(), 8);
        let st = ShadowStack::new(3);
        let l = st.native_layout();
        assert_eq!(l.capacity, 3);
        // SAFETY: the spare slot is inside the allocation.
        let spare = unsafe { l.slots.add(l.capacity) };
        assert!(std::ptr::eq(spare, &st.slots[3]));
    }
}
