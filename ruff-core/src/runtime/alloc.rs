//! The process allocator for the `ruff` and `ruff-prof` binaries: the system
//! allocator, except that big blocks are their own `mmap` mapping and grow
//! with `mremap`.
//!
//! Why: a program that builds a 2M-element array or dict grows blocks of
//! tens of megabytes by doubling. glibc's `realloc` of such a block copied
//! it when its mapping could not grow in place; `mremap` moves page tables
//! instead of bytes.
//!
//! Transparent huge pages (`MADV_HUGEPAGE` on these mappings) were tried
//! and dropped: alone they made sieve and hash_map 20–40% faster, but in
//! the benchmark runner, where each run follows CPython's, clearing the
//! 2 MiB pages made the same runs 2–3× slower on this machine.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this big are mapped directly.
const BIG: usize = 4 << 20;
const PAGE: usize = 4096;

/// `#[global_allocator] static A: RuffAlloc = RuffAlloc;` in a binary.
///
/// Big blocks are their own `mmap` mapping and grow with `mremap`, which
/// moves page tables instead of copying bytes. Everything
/// else, and any block with an alignment above a page, is `System`'s.
/// `dealloc`/`realloc` get the block's layout back from the caller, so the
/// size alone tells which allocator owns a block.
pub struct RuffAlloc;

fn is_big(layout: &Layout) -> bool {
    layout.size() >= BIG && layout.align() <= PAGE
}

unsafe impl GlobalAlloc for RuffAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_big(&layout) {
            return map_big(layout.size());
        }
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_big(&layout) {
            return map_big(layout.size()); // fresh anonymous memory is zero
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_big(&layout) {
            unsafe { libc::munmap(ptr.cast(), layout.size()) };
            return;
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY (all arms): `ptr` was allocated by `self` with `layout`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_big(&layout), is_big(&new_layout)) {
            (false, false) => unsafe { System.realloc(ptr, layout, new_size) },
            (true, true) => {
                let p = unsafe {
                    libc::mremap(ptr.cast(), layout.size(), new_size, libc::MREMAP_MAYMOVE)
                };
                if p == libc::MAP_FAILED {
                    std::ptr::null_mut()
                } else {
                    p.cast()
                }
            }
            _ => {
                // Crossing the threshold: allocate, copy, free.
                let q = unsafe { self.alloc(new_layout) };
                if !q.is_null() {
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, q, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                q
            }
        }
    }
}

/// A fresh mapping of `size` bytes, or null.
#[cold]
fn map_big(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping has no preconditions.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return std::ptr::null_mut();
        }
        p.cast()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_and_small_blocks_round_trip() {
        let a = RuffAlloc;
        for size in [16, BIG / 2 + 1, BIG, 3 * BIG + 123] {
            let layout = Layout::from_size_align(size, 16).unwrap();
            unsafe {
                let p = a.alloc_zeroed(layout);
                assert!(!p.is_null());
                assert_eq!(*p.add(size - 1), 0);
                *p.add(size - 1) = 7;
                let q = a.realloc(p, layout, size * 2);
                assert_eq!(*q.add(size - 1), 7);
                a.dealloc(q, Layout::from_size_align(size * 2, 16).unwrap());
            }
        }
    }
}
