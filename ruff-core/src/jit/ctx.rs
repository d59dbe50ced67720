//! The context block native code receives as its first argument. Native code
//! reads and writes a few fields at fixed offsets (`repr(C)`); everything
//! else goes through the helpers in `helpers.rs`.

use crate::bytecode::FuncProto;
use crate::runtime::error::RtError;
use crate::runtime::vm::Vm;

/// Two values returned in two registers (RAX:RDX on x86-64 System V), the
/// convention of every value-producing helper and of OSR code (compiled
/// functions return the payload and leave the tag in `JitCtx::ret_tag`):
/// a `tag` (see `tag`) and a payload (int, float bits or bool).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Ret2 {
    pub tag: u64,
    pub payload: u64,
}

/// The tags of `Ret2`.
pub mod tag {
    use crate::runtime::value::tag as value;
    // Scalars return with their value tags; the other tags are the
    // protocol's own and must not collide with them.
    pub const NULL: u64 = value::NULL as u64;
    pub const BOOL: u64 = value::BOOL as u64;
    pub const INT: u64 = value::INT as u64;
    pub const FLOAT: u64 = value::FLOAT as u64;
    /// A heap value, written by the callee into the VM stack slot it was
    /// given (for a function: the slot just below its frame base).
    pub const HEAP: u64 = 4;
    /// An error is pending in `JitCtx::pending`; propagate it.
    pub const ERROR: u64 = 5;
    /// An iteration has no next item.
    pub const DONE: u64 = 6;
    /// OSR code left native code; the payload is the instruction to resume at.
    pub const EXIT: u64 = 7;
    /// The generic entry's parameter guard failed: nothing ran.
    pub const NOT_ENTERED: u64 = 8;
    /// The callee's prologue found the recursion limit reached: nothing ran.
    pub const OVERFLOW: u64 = 9;
    /// A builtin function; the payload is its id (`helpers::put`).
    pub const BUILTIN: u64 = 10;
    const _: () = assert!(FLOAT < HEAP);
}

impl Ret2 {
    pub fn new(tag: u64, payload: u64) -> Ret2 {
        Ret2 { tag, payload }
    }
}

/// One native frame as the error reporter and profilers see it.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct Shadow {
    pub proto: *const FuncProto,
    /// One past the instruction being executed (like a VM frame's saved ip),
    /// stored before every helper call that may fail or call out.
    pub ip: u32,
    /// Number of VM frames below this native frame; bit 31 marks OSR code,
    /// which stands for the VM frame just below instead of adding a frame.
    /// Native code does not write it: `JitCtx::native_frames` fills it in
    /// from `JitCtx::ways_in`.
    pub vm_frames: u32,
}

/// A way into native code from Rust (`jit::call_native`): the native frames
/// above `depth` run with `vm_frames` VM frames below them (native→native
/// calls add none), and the first of them is OSR code if `osr`.
#[derive(Clone, Copy, Debug)]
pub struct WayIn {
    pub depth: u64,
    pub vm_frames: u32,
    pub osr: bool,
}

pub const OSR_BIT: u32 = 1 << 31;

#[repr(C)]
pub struct JitCtx {
    pub vm: *mut Vm,
    /// The top live native frame's shadow entry (`shadow + depth`; entry 0
    /// is unused, so `top == shadow` means no native frame).
    ///
    /// Native frames keep their own entry in a register and pass it to
    /// native callees as an argument, so native→native calls never write
    /// this field. It is exact whenever Rust code runs: native code stores
    /// its entry here before every helper call and exit, and `call_native`
    /// restores it when native code returns to Rust.
    pub top: *mut Shadow,
    /// A native frame whose caller's entry is at or above this may not be
    /// entered: `shadow + limit`, with `limit` = `max_depth` minus the VM
    /// frames below (see `set_limit`).
    pub shadow_limit: *mut Shadow,
    pub shadow: *mut Shadow,
    /// VM frames below the native frames entered last.
    pub vm_frames: u64,
    /// Bumped whenever a global holding a function is reassigned: direct
    /// native calls check it to know their callee is still bound.
    pub fn_epoch: u64,
    /// `--jit-stress-exits`: guards left before a forced exit.
    pub stress_left: u64,
    pub stress_every: u64,
    /// The tag of the value a compiled function returned: functions return
    /// only the payload in a register (see `module::NATIVE_CC`).
    pub ret_tag: u64,
    /// The error a helper or native callee reported with `tag::ERROR`.
    pub pending: Option<RtError>,
    /// Keeps the shadow stack's storage alive.
    pub shadow_store: Vec<Shadow>,
    /// The live ways into native code, innermost last.
    pub ways_in: Vec<WayIn>,
    /// How many of them entered OSR code: its native frame stands for a VM
    /// frame that is still on `Vm::frames`, so it adds nothing to the depth.
    pub osr_ways: u64,
}

/// Field offsets used by the code generator.
pub mod off {
    use super::{JitCtx, Shadow};
    use std::mem::{offset_of, size_of};

    pub const TOP: i32 = offset_of!(JitCtx, top) as i32;
    pub const SHADOW_LIMIT: i32 = offset_of!(JitCtx, shadow_limit) as i32;
    pub const SHADOW: i32 = offset_of!(JitCtx, shadow) as i32;
    pub const VM_FRAMES: i32 = offset_of!(JitCtx, vm_frames) as i32;
    pub const FN_EPOCH: i32 = offset_of!(JitCtx, fn_epoch) as i32;
    pub const STRESS_LEFT: i32 = offset_of!(JitCtx, stress_left) as i32;
    pub const STRESS_EVERY: i32 = offset_of!(JitCtx, stress_every) as i32;
    pub const RET_TAG: i32 = offset_of!(JitCtx, ret_tag) as i32;
    pub const SHADOW_SIZE: i64 = size_of::<Shadow>() as i64;
    pub const SHADOW_IP: i32 = offset_of!(Shadow, ip) as i32;
    pub const SHADOW_VM_FRAMES: i32 = offset_of!(Shadow, vm_frames) as i32;
}

impl JitCtx {
    pub fn new(max_depth: usize, stress_every: u64) -> Box<JitCtx> {
        let mut store = empty_entries(max_depth + 2);
        let shadow = store.as_mut_ptr();
        let mut c = Box::new(JitCtx {
            vm: std::ptr::null_mut(),
            top: shadow,
            shadow_limit: shadow,
            shadow,
            vm_frames: 0,
            fn_epoch: 0,
            stress_left: stress_every,
            stress_every,
            ret_tag: 0,
            pending: None,
            shadow_store: store,
            ways_in: Vec::new(),
            osr_ways: 0,
        });
        c.set_limit(max_depth as u64);
        c
    }

    /// Live native frames (the index of the top shadow entry).
    #[inline]
    pub fn depth(&self) -> u64 {
        (self.top as usize - self.shadow as usize) as u64 / off::SHADOW_SIZE as u64
    }

    #[inline]
    pub fn set_depth(&mut self, d: u64) {
        self.top = self.shadow.wrapping_add(d as usize);
    }

    /// How many native frames may be live (`max_depth` minus VM frames).
    #[inline]
    pub fn limit(&self) -> u64 {
        (self.shadow_limit as usize - self.shadow as usize) as u64 / off::SHADOW_SIZE as u64
    }

    #[inline]
    pub fn set_limit(&mut self, limit: u64) {
        // The store has `max_depth + 2` entries: the limit never points
        // past it (`limit <= max_depth`).
        let limit = (limit as usize).min(self.shadow_store.len() - 2);
        self.shadow_limit = self.shadow.wrapping_add(limit);
    }

    /// The live native frames, outermost first, with their `vm_frames`.
    pub fn native_frames(&self) -> Vec<Shadow> {
        let d = self.depth() as usize;
        let mut out = self.shadow_store[1..=d.min(self.shadow_store.len() - 1)].to_vec();
        let mut w = 0;
        for (k, s) in out.iter_mut().enumerate() {
            let depth = k as u64 + 1;
            while w + 1 < self.ways_in.len() && self.ways_in[w + 1].depth < depth {
                w += 1;
            }
            s.vm_frames = match self.ways_in.get(w) {
                Some(way) if way.osr && depth == way.depth + 1 => way.vm_frames | OSR_BIT,
                Some(way) => way.vm_frames,
                None => 0,
            };
        }
        out
    }
}

/// `n` empty shadow entries in zeroed memory. The allocator maps a block
/// this size lazily, so only the entries used are ever touched (writing
/// them all touched every page at each start-up).
fn empty_entries(n: usize) -> Vec<Shadow> {
    let layout = std::alloc::Layout::array::<Shadow>(n).expect("max_depth is bounded");
    assert!(layout.size() > 0, "at least one entry");
    // SAFETY: the size is not zero; all-zero bytes are a valid `Shadow`
    // (a null pointer and zeros, as `Shadow::default()`); the block comes
    // from the global allocator with the layout a `Vec<Shadow>` of
    // capacity `n` frees it with.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout).cast::<Shadow>();
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Vec::from_raw_parts(p, n, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_entries_are_default_entries() {
        let v = empty_entries(20_000);
        assert_eq!((v.len(), v.capacity()), (20_000, 20_000));
        assert!(v
            .iter()
            .all(|s| s.proto.is_null() && s.ip == 0 && s.vm_frames == 0));
    }

    #[test]
    fn offsets_match_layout() {
        let c = JitCtx::new(4, 0);
        let base = &*c as *const JitCtx as usize;
        assert_eq!(&c.top as *const _ as usize - base, off::TOP as usize);
        assert_eq!(
            &c.shadow_limit as *const _ as usize - base,
            off::SHADOW_LIMIT as usize
        );
        assert_eq!(&c.shadow as *const _ as usize - base, off::SHADOW as usize);
        assert_eq!(
            &c.vm_frames as *const _ as usize - base,
            off::VM_FRAMES as usize
        );
        assert_eq!(
            &c.fn_epoch as *const _ as usize - base,
            off::FN_EPOCH as usize
        );
        assert_eq!(
            &c.stress_left as *const _ as usize - base,
            off::STRESS_LEFT as usize
        );
        assert_eq!(
            &c.stress_every as *const _ as usize - base,
            off::STRESS_EVERY as usize
        );
        assert_eq!(
            &c.ret_tag as *const _ as usize - base,
            off::RET_TAG as usize
        );
        assert_eq!(std::mem::size_of::<Shadow>(), off::SHADOW_SIZE as usize);
    }

    #[test]
    fn depth_and_limit_round_trip() {
        let mut c = JitCtx::new(10, 0);
        assert_eq!((c.depth(), c.limit()), (0, 10));
        c.set_depth(3);
        c.set_limit(7);
        assert_eq!((c.depth(), c.limit()), (3, 7));
        c.set_limit(1000);
        assert_eq!(c.limit(), 10);
    }
}
