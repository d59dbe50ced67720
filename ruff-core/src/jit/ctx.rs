//! The context block native code receives as its first argument. Native code
//! reads and writes a few fields at fixed offsets (`repr(C)`); everything
//! else goes through the helpers in `helpers.rs`.

use crate::bytecode::FuncProto;
use crate::runtime::error::RtError;
use crate::runtime::vm::Vm;

/// Two values returned in two registers (RAX:RDX on x86-64 System V), the
/// convention of every value-producing helper and of native functions:
/// a `tag` (see `tag`) and a payload (int, float bits or bool).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Ret2 {
    pub tag: u64,
    pub payload: u64,
}

/// The tags of `Ret2`.
pub mod tag {
    pub const NULL: u64 = 0;
    pub const BOOL: u64 = 1;
    pub const INT: u64 = 2;
    pub const FLOAT: u64 = 3;
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
    pub vm_frames: u32,
}

pub const OSR_BIT: u32 = 1 << 31;

#[repr(C)]
pub struct JitCtx {
    pub vm: *mut Vm,
    /// Live native frames (index of the top shadow entry; entry 0 unused).
    pub depth: u64,
    /// `depth` may not reach this: `max_depth` minus the VM frames below.
    pub limit: u64,
    pub shadow: *mut Shadow,
    /// VM frames below the native frames entered last.
    pub vm_frames: u64,
    /// Bumped whenever a global holding a function is reassigned: direct
    /// native calls check it to know their callee is still bound.
    pub fn_epoch: u64,
    /// `--jit-stress-exits`: guards left before a forced exit.
    pub stress_left: u64,
    pub stress_every: u64,
    /// The error a helper or native callee reported with `tag::ERROR`.
    pub pending: Option<RtError>,
    /// Keeps the shadow stack's storage alive.
    pub shadow_store: Vec<Shadow>,
}

/// Field offsets used by the code generator.
pub mod off {
    pub const DEPTH: i32 = 8;
    pub const LIMIT: i32 = 16;
    pub const SHADOW: i32 = 24;
    pub const VM_FRAMES: i32 = 32;
    pub const FN_EPOCH: i32 = 40;
    pub const STRESS_LEFT: i32 = 48;
    pub const STRESS_EVERY: i32 = 56;
    pub const SHADOW_SIZE: i64 = 16;
    pub const SHADOW_IP: i32 = 8;
    pub const SHADOW_VM_FRAMES: i32 = 12;
}

impl JitCtx {
    pub fn new(max_depth: usize, stress_every: u64) -> Box<JitCtx> {
        let mut store = vec![Shadow::default(); max_depth + 2];
        let shadow = store.as_mut_ptr();
        Box::new(JitCtx {
            vm: std::ptr::null_mut(),
            depth: 0,
            limit: max_depth as u64,
            shadow,
            vm_frames: 0,
            fn_epoch: 0,
            stress_left: stress_every,
            stress_every,
            pending: None,
            shadow_store: store,
        })
    }

    /// The live native frames, outermost first.
    pub fn native_frames(&self) -> &[Shadow] {
        let d = self.depth as usize;
        &self.shadow_store[1..=d.min(self.shadow_store.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_layout() {
        let c = JitCtx::new(4, 0);
        let base = &*c as *const JitCtx as usize;
        assert_eq!(&c.depth as *const _ as usize - base, off::DEPTH as usize);
        assert_eq!(&c.limit as *const _ as usize - base, off::LIMIT as usize);
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
        assert_eq!(std::mem::size_of::<Shadow>(), off::SHADOW_SIZE as usize);
    }
}
