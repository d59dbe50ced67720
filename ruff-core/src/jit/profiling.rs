//! The JIT's own frame records (`ctx::Shadow`, kept for error reports) as a
//! profiler's sampler reads them (`runtime::shadow_native`): native calls
//! then write nothing for the profiler, whose samples merge these records
//! with the VM's shadow-stack slots.

use super::ctx::{JitCtx, Shadow};
use crate::runtime::shadow_native::{NativeFrames, NativeRecord};

impl JitCtx {
    /// Where the records are: fixed while this context lives (the store is
    /// allocated once, the context is boxed).
    pub(crate) fn profiler_view(&self) -> NativeFrames {
        NativeFrames {
            top: &self.top as *const *mut Shadow as *const u64,
            records: self.shadow as *const Shadow as *const NativeRecord,
            capacity: self.shadow_store.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ctx::OSR_BIT;
    use crate::runtime::shadow_native::STANDS_FOR_VM_FRAME;
    use std::mem::{offset_of, size_of};

    /// The sampler reads `Shadow` as a `NativeRecord`.
    #[test]
    fn records_read_as_the_sampler_expects() {
        assert_eq!(size_of::<Shadow>(), size_of::<NativeRecord>());
        assert_eq!(offset_of!(Shadow, proto), offset_of!(NativeRecord, proto));
        assert_eq!(offset_of!(Shadow, ip), offset_of!(NativeRecord, ip));
        assert_eq!(
            offset_of!(Shadow, vm_frames),
            offset_of!(NativeRecord, flags)
        );
        assert_eq!(OSR_BIT, STANDS_FOR_VM_FRAME);
        let c = JitCtx::new(4, 0);
        let v = c.profiler_view();
        assert_eq!(v.capacity, 6);
        assert_eq!(v.top as usize, &c.top as *const _ as usize);
    }
}
