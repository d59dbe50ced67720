//! Memory layout facts native code relies on to read and write collections
//! without a helper call (inline fast paths for `a[i]`, `a[i] := v`,
//! `a = push(a, v)` and `s.field`).
//!
//! `Value`'s own layout is guaranteed (`repr(u8)`: a `repr(C)` union of
//! `(u8 tag, fields...)` structs, tags in declaration order) and so are our
//! structs' field offsets (`offset_of!`). The standard library's `Rc`, `Vec`
//! and `RefCell` internals are not, so they are *probed* once at run time
//! from live objects; if a probe finds anything unexpected, `get()` returns
//! `None` and the JIT simply keeps using helpers.

use std::cell::RefCell;
use std::mem::{offset_of, size_of};
use std::rc::Rc;
use std::sync::OnceLock;

use crate::runtime::array::{kind, Array};
use crate::runtime::value::{Closure, StructObj, Value};
use crate::runtime::vm::Vm;

/// Tags of the heap variants (`repr(u8)` numbers variants in order).
/// Value tag bytes native code tests (`runtime::value::tag`, the one table).
pub use crate::runtime::value::tag as vtag;

/// Byte offsets. `rc_*` are from the pointer an `Rc` stores (its heap box),
/// `vec_*` from the start of a `Vec`.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub rc_strong: i32,
    pub rc_weak: i32,
    pub rc_value: i32,
    pub vec_ptr: i32,
    pub vec_len: i32,
    pub vec_cap: i32,
    /// An `Array`'s `Vec` (of either kind; the kind byte is at offset 0).
    pub arr_vec: i32,
    /// `Vm::stack`'s buffer pointer and length, from the `Vm`.
    pub vm_stack_ptr: i32,
    pub vm_stack_len: i32,
    /// `StructObj::def` (an `Rc` box pointer) and the fields' buffer pointer.
    pub struct_def: i32,
    pub struct_fields_ptr: i32,
    /// `Closure::proto` (an `Rc` box pointer) and `Closure::upvalues`'
    /// buffer pointer; a `RefCell<Value>`'s value.
    pub closure_proto: i32,
    pub closure_upvalues_ptr: i32,
    pub refcell_value: i32,
}

/// Offset of a `Value`'s immediate or pointer payload (`repr(u8)` layout).
pub const PAYLOAD: i32 = 8;
/// Offset of `Value::Bool`'s `bool` (right after the tag).
pub const BOOL_PAYLOAD: i32 = 1;
pub const VALUE_SIZE: i64 = 16;

/// The probed layout, or `None` if this build's std is laid out differently
/// from what the inline paths expect.
pub fn get() -> Option<Layout> {
    static L: OnceLock<Option<Layout>> = OnceLock::new();
    *L.get_or_init(probe)
}

/// The word at byte `off` of `p`.
///
/// # Safety
/// `p + off .. p + off + 8` is readable and initialized.
unsafe fn word(p: *const u8, off: usize) -> usize {
    // SAFETY: per the contract.
    unsafe { (p.add(off) as *const usize).read_unaligned() }
}

/// Byte offset of the word equal to `want` among the `n` words at `p`, if
/// exactly one matches.
///
/// # Safety
/// `n` words at `p` are readable and initialized.
unsafe fn find_word(p: *const u8, n: usize, want: usize) -> Option<i32> {
    let mut found = None;
    for i in 0..n {
        // SAFETY: per the contract.
        if unsafe { word(p, i * 8) } == want {
            if found.is_some() {
                return None;
            }
            found = Some((i * 8) as i32);
        }
    }
    found
}

fn probe() -> Option<Layout> {
    if size_of::<Value>() != 16
        || size_of::<Option<Value>>() != 16
        || size_of::<Vec<Value>>() != 24
        || size_of::<usize>() != 8
    {
        return None;
    }
    // `Option<Value>`: `Some` keeps the value at offset 0 (the niche is in
    // the tag byte), so a global's slot reads like a value.
    let opt = Some(Value::Int(7));
    if !std::ptr::eq(opt.as_ref()?, &opt as *const Option<Value> as *const Value) {
        return None;
    }
    // `Vec`: which word is the pointer, the length, the capacity.
    let mut v: Vec<Value> = Vec::with_capacity(5);
    v.push(Value::Null);
    v.push(Value::Null);
    let vp = &v as *const Vec<Value> as *const u8;
    // SAFETY: a `Vec` is three initialized words (size checked above).
    let (vec_ptr, vec_len, vec_cap) = unsafe {
        (
            find_word(vp, 3, v.as_ptr() as usize)?,
            find_word(vp, 3, v.len())?,
            find_word(vp, 3, v.capacity())?,
        )
    };
    // `Array`: the kind byte, then the `Vec` (the same layout for both
    // element types, checked).
    let arr_vec = array_vec_offset(Array::Values(v), kind::VALUES, (vec_ptr, vec_len, vec_cap))?;
    let bools = Array::Bools(Vec::with_capacity(7));
    if array_vec_offset(bools, kind::BOOLS, (vec_ptr, vec_len, vec_cap))? != arr_vec {
        return None;
    }
    // `Rc`: the heap box holds two counts and the value.
    let rc = Rc::new(Array::default());
    let extra = (rc.clone(), rc.clone());
    let boxp = Rc::into_raw(rc);
    // SAFETY: undone right away; only the pointer value is used.
    let rc = unsafe { Rc::from_raw(boxp) };
    let value_holder = Value::Array(rc.clone());
    // SAFETY: an `Array` value's payload word is the `Rc`'s box pointer.
    let raw = unsafe { word(&value_holder as *const Value as *const u8, PAYLOAD as usize) };
    drop(value_holder);
    let rc_value = (Rc::as_ptr(&rc) as usize).checked_sub(raw)? as i32;
    // SAFETY: the box starts with its counts, before the value.
    let (rc_strong, rc_weak) = unsafe {
        let strong = find_word(
            raw as *const u8,
            (rc_value / 8) as usize,
            Rc::strong_count(&rc),
        )?;
        // The weak count includes one for all strong references together.
        let weak = find_word(raw as *const u8, (rc_value / 8) as usize, 1)?;
        (strong, weak)
    };
    drop(extra);
    // `RefCell`: where the value sits.
    let cell = RefCell::new(Value::Null);
    let refcell_value = (cell.as_ptr() as usize - &cell as *const _ as usize) as i32;
    // `Box<[T]>` (a closure's upvalues): a (pointer, length) pair.
    let b: Box<[u64]> = vec![1, 2, 3].into_boxed_slice();
    let bp = &b as *const Box<[u64]> as *const u8;
    // SAFETY: a boxed slice is two initialized words.
    let bptr = unsafe { find_word(bp, 2, b.as_ptr() as usize)? };
    Some(Layout {
        rc_strong,
        rc_weak,
        rc_value,
        vec_ptr,
        vec_len,
        vec_cap,
        arr_vec,
        vm_stack_ptr: Vm::STACK_OFFSET as i32 + vec_ptr,
        vm_stack_len: Vm::STACK_OFFSET as i32 + vec_len,
        struct_def: offset_of!(StructObj, def) as i32,
        struct_fields_ptr: offset_of!(StructObj, fields) as i32 + vec_ptr,
        closure_proto: offset_of!(Closure, proto) as i32,
        closure_upvalues_ptr: offset_of!(Closure, upvalues) as i32 + bptr,
        refcell_value,
    })
}

/// Where `arr`'s `Vec` starts (offset 8, after the kind byte: `repr(u8)`),
/// checking that its kind byte is `want` and that the `Vec`'s words are
/// where `vec` (pointer, length, capacity offsets) says.
fn array_vec_offset(mut arr: Array, want: u8, vec: (i32, i32, i32)) -> Option<i32> {
    let (ptr, len, cap) = match &mut arr {
        Array::Values(v) => {
            v.push(Value::Null);
            (v.as_ptr() as usize, v.len(), v.capacity())
        }
        Array::Bools(b) => {
            b.extend([true, false]);
            (b.as_ptr() as usize, b.len(), b.capacity())
        }
    };
    if size_of::<Array>() != 32 || len == cap {
        return None;
    }
    let ap = &arr as *const Array as *const u8;
    // SAFETY: an `Array` is 32 initialized bytes (checked above): the kind
    // byte, padding, and the `Vec`'s three words.
    unsafe {
        if *ap != want {
            return None;
        }
        let at = 8;
        let ok = word(ap, (at + vec.0) as usize) == ptr
            && word(ap, (at + vec.1) as usize) == len
            && word(ap, (at + vec.2) as usize) == cap;
        ok.then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probes succeed on this build, and the offsets read real objects.
    #[test]
    fn probed_offsets_read_live_objects() {
        let l = get().expect("layout probes succeed");
        let items = vec![Value::Int(1), Value::Bool(true), Value::Int(3)];
        let arr = Rc::new(Array::Values(items));
        let v = Value::Array(arr.clone());
        let vp = &v as *const Value as *const u8;
        // SAFETY: reading the documented layout of live values.
        unsafe {
            assert_eq!(*vp, vtag::ARRAY);
            let boxp = word(vp, PAYLOAD as usize) as *const u8;
            assert_eq!(word(boxp, l.rc_strong as usize), 2);
            assert_eq!(word(boxp, l.rc_weak as usize), 1);
            assert_eq!(*boxp.add(l.rc_value as usize), kind::VALUES);
            let vecp = boxp.add((l.rc_value + l.arr_vec) as usize);
            assert_eq!(word(vecp, l.vec_len as usize), 3);
            assert!(word(vecp, l.vec_cap as usize) >= 3);
            let data = word(vecp, l.vec_ptr as usize) as *const u8;
            assert_eq!(*data.add(16), crate::runtime::value::tag::BOOL);
            assert_eq!(*data.add(16 + BOOL_PAYLOAD as usize), 1);
            assert_eq!(word(data, 32 + PAYLOAD as usize), 3);
        }
        let f = Value::Func(Rc::new(Closure {
            proto: Rc::new(crate::bytecode::FuncProto::default()),
            upvalues: Box::new([]),
        }));
        // SAFETY: the tag byte of a live value.
        assert_eq!(unsafe { *(&f as *const Value as *const u8) }, vtag::FUNC);
    }
}
