//! Copy-on-write for collections, with a counter of the copies actually
//! made. Value semantics promise that a uniquely held collection is changed
//! in place; the counter lets a deterministic test prove it (no timing).

use std::cell::Cell;
use std::rc::Rc;

thread_local! {
    static COPIES: Cell<u64> = const { Cell::new(0) };
}

/// `Rc::make_mut`, counting the times it has to copy a shared value.
#[inline]
pub fn make_mut<T: Clone>(rc: &mut Rc<T>) -> &mut T {
    if Rc::strong_count(rc) != 1 || Rc::weak_count(rc) != 0 {
        note_copy();
    }
    Rc::make_mut(rc)
}

/// Record a copy made without `make_mut` (e.g. `a + b` of a shared string).
#[cold]
pub fn note_copy() {
    COPIES.with(|c| c.set(c.get() + 1));
}

/// Copies made so far on this thread.
pub fn copies() -> u64 {
    COPIES.with(Cell::get)
}
