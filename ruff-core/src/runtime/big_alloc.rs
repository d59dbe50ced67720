//! The global allocator of Ruff's binaries: the system allocator, except
//! that blocks of `BIG` bytes or more are their own mappings backed by
//! transparent huge pages where the kernel offers them.
//!
//! Why: a program's large arrays and dicts are memory it touches for the
//! first time, and every first touch of a 4 KiB page is a page fault, which
//! is slow under a VM's nested paging (docs/decisions.md). With
//! `MADV_HUGEPAGE` one fault maps 2 MiB. The
//! kernel decides: with transparent huge pages off (`never`) the advice is
//! ignored and these blocks behave as glibc's own large blocks (which are
//! separate mappings too, from 128 KiB up).
//!
//! Growing a big block uses `mremap`, which moves page mappings instead of
//! copying bytes, as glibc does for its mapped blocks. The size of a block
//! decides where it lives: `GlobalAlloc` passes the layout it was
//! allocated with to `dealloc` and `realloc`, so the choice is consistent.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks from this size up get their own huge-page mapping.
const BIG: usize = 4 << 20;
const PAGE: usize = 4096;

/// See the module documentation.
pub struct BigAlloc;

fn is_big(l: Layout) -> bool {
    l.size() >= BIG && l.align() <= PAGE
}

fn pages(size: usize) -> usize {
    size.div_ceil(PAGE) * PAGE
}

/// A fresh zeroed mapping of `size` bytes advised to use huge pages, or
/// null.
///
/// # Safety
/// None beyond the caller owning the mapping it gets (unmap it once).
unsafe fn map(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping has no preconditions.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            pages(size),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    // SAFETY: `p` is the mapping just made; the advice only affects how
    // the kernel backs it (and failing is harmless).
    unsafe { libc::madvise(p, pages(size), libc::MADV_HUGEPAGE) };
    p.cast()
}

/// Have every thread allocate from glibc's main arena. Call before the
/// process starts its first thread.
///
/// Why: the VM runs on its own thread, and glibc gives a second thread a
/// fresh arena of its own, which it grows a page or so at a time with an
/// `mprotect` call each (the main arena grows 128 KiB at a time with
/// `brk`). With the main arena `while_sum` makes 9 `mprotect` calls
/// instead of 23, and the first JIT compile of a process took 10–14%
/// less time (benchmarks/README.md). The VM thread is the only one that
/// allocates much, so one arena costs no lock contention.
pub fn use_main_arena_only() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a tuning parameter; failure is harmless.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

// SAFETY: big blocks are whole mappings (page-aligned, which satisfies any
// `align <= PAGE`), freed and resized only as mappings; everything else is
// the system allocator's.
unsafe impl GlobalAlloc for BigAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if is_big(l) {
            // SAFETY: no preconditions.
            unsafe { map(l.size()) }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { System.alloc(l) }
        }
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if is_big(l) {
            // SAFETY: fresh anonymous mappings are zeroed.
            unsafe { map(l.size()) }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { System.alloc_zeroed(l) }
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if is_big(l) {
            // SAFETY: `p` is a mapping of this size (`alloc`/`realloc`).
            unsafe { libc::munmap(p.cast(), pages(l.size())) };
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { System.dealloc(p, l) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract: `new_size` with `l.align()` is a
        // valid layout.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, l.align()) };
        match (is_big(l), is_big(new)) {
            (false, false) => {
                // SAFETY: the caller's contract, passed on.
                unsafe { System.realloc(p, l, new_size) }
            }
            (true, true) => {
                // SAFETY: `p` is a mapping of `l.size()` bytes; the kernel
                // moves it if it cannot grow in place.
                let q = unsafe {
                    libc::mremap(
                        p.cast(),
                        pages(l.size()),
                        pages(new_size),
                        libc::MREMAP_MAYMOVE,
                    )
                };
                if q == libc::MAP_FAILED {
                    return std::ptr::null_mut();
                }
                q.cast()
            }
            _ => {
                // Crossing the threshold: a new block in the other place.
                // SAFETY: `new` is valid (above).
                let q = unsafe { self.alloc(new) };
                if !q.is_null() {
                    // SAFETY: both blocks hold at least the smaller size.
                    unsafe {
                        std::ptr::copy_nonoverlapping(p, q, l.size().min(new_size));
                        self.dealloc(p, l);
                    }
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_blocks_grow_shrink_and_keep_their_bytes() {
        let a = BigAlloc;
        let small = Layout::from_size_align(1000, 8).unwrap();
        let big = Layout::from_size_align(BIG + 123, 64).unwrap();
        // SAFETY: each block is used within its layout and freed once.
        unsafe {
            let p = a.alloc(small);
            p.write_bytes(7, 1000);
            // small -> big -> bigger -> small
            let q = a.realloc(p, small, big.size());
            assert_eq!(*q.add(999), 7);
            q.add(big.size() - 1).write(9);
            assert_eq!(q as usize % 64, 0);
            let bigger = Layout::from_size_align(3 * BIG, 64).unwrap();
            let r = a.realloc(q, big, bigger.size());
            assert_eq!((*r.add(999), *r.add(big.size() - 1)), (7, 9));
            let s = a.realloc(r, bigger, 500);
            assert_eq!(*s.add(499), 7);
            a.dealloc(s, Layout::from_size_align(500, 64).unwrap());
            let z = a.alloc_zeroed(big);
            assert!((0..big.size()).step_by(4096).all(|i| *z.add(i) == 0));
            a.dealloc(z, big);
        }
    }
}
