//! The one table of runtime helpers native code may call, in the spirit of
//! LuaJIT's `IRCALLDEF`: each helper is declared once, with its Rust
//! function, its signature and what calling it may do. The macro checks each
//! declared signature against the Rust function when the crate is built (a
//! helper whose parameters change no longer compiles here), and lowering
//! calls helpers only by `Helper`, so every call site gets the declared
//! signature and the declared side effects (`Lower::call`).

use cranelift_codegen::ir::{types, Type};

use super::ctx::{JitCtx, Ret2};
use super::{exits, helpers as h};

/// What calling a helper may do besides returning its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effects {
    /// May run Ruff code or rebind a global: direct calls must check the
    /// binding epoch again afterwards.
    pub reenters: bool,
    /// May leave a heap value in one of the frame's slots (`release` must
    /// run on the way out).
    pub dirties: bool,
    /// May look at the native frames (an error, an exit, a call into the
    /// VM): `JitCtx::top` must name this frame before the call.
    pub sees_frames: bool,
}

/// The effects named in the table.
const PURE: Effects = Effects {
    reenters: false,
    dirties: false,
    sees_frames: false,
};
const SLOTS: Effects = Effects {
    dirties: true,
    sees_frames: true,
    ..PURE
};
const RUNS: Effects = Effects {
    reenters: true,
    ..SLOTS
};
const WRITES: Effects = Effects {
    sees_frames: false,
    ..SLOTS
};

/// A parameter or result as native code passes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// The `*mut JitCtx` every call passes first.
    Ctx,
    U64,
    I64,
    F64,
}

/// What a helper returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    Unit,
    U64,
    F64,
    /// `(tag, payload)` in two registers (`ctx::Ret2`).
    Tagged,
}

impl Arg {
    pub fn cl_type(self) -> Type {
        match self {
            Arg::F64 => types::F64,
            Arg::Ctx | Arg::U64 | Arg::I64 => types::I64,
        }
    }
}

impl Ret {
    pub fn cl_types(self) -> &'static [Type] {
        match self {
            Ret::Unit => &[],
            Ret::U64 => &[types::I64],
            Ret::F64 => &[types::F64],
            Ret::Tagged => &[types::I64, types::I64],
        }
    }
}

macro_rules! rust_ty {
    (Ctx) => { *mut JitCtx };
    (U64) => { u64 };
    (I64) => { i64 };
    (F64) => { f64 };
    (Unit) => { () };
    (Tagged) => { Ret2 };
}

macro_rules! helper_table {
    ($($name:ident = $f:path, $text:literal, ($($a:ident),*) -> $r:ident, $fx:ident;)*) => {
        /// A runtime helper native code may call.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Helper {
            $($name,)*
        }

        impl Helper {
            /// Every helper, in table order.
            pub const ALL: &'static [Helper] = &[$(Helper::$name,)*];

            /// The helper's name, as profilers and logs show it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Helper::$name => $text,)*
                }
            }

            /// The address native code calls.
            pub fn addr(self) -> usize {
                match self {
                    $(Helper::$name => {
                        // The declared signature, checked against the
                        // Rust function at build time.
                        let f: unsafe extern "C" fn($(rust_ty!($a)),*) -> rust_ty!($r) = $f;
                        f as usize
                    })*
                }
            }

            pub fn params(self) -> &'static [Arg] {
                match self {
                    $(Helper::$name => &[$(Arg::$a),*],)*
                }
            }

            pub fn ret(self) -> Ret {
                match self {
                    $(Helper::$name => Ret::$r,)*
                }
            }

            pub fn effects(self) -> Effects {
                match self {
                    $(Helper::$name => $fx,)*
                }
            }
        }
    };
}

helper_table! {
    // Values between registers and frame slots.
    Put = h::put, "put", (Ctx, I64, U64, U64) -> Unit, WRITES;
    Get = h::get, "get", (Ctx, I64) -> Tagged, SLOTS;
    BoxConst = h::box_const, "box_const", (Ctx, U64, U64) -> Unit, SLOTS;
    CopySlot = h::copy_slot, "copy_slot", (Ctx, U64, U64) -> Tagged, SLOTS;
    MoveSlot = h::move_slot, "move_slot", (Ctx, U64, U64) -> Tagged, SLOTS;
    DropSlot = h::drop_slot, "rc drop", (Ctx, U64) -> Unit, SLOTS;
    Release = h::release, "release frame", (Ctx, U64, U64) -> Unit, PURE;
    // Variables.
    LoadGlobal = h::load_global, "load_global", (Ctx, U64, U64) -> Tagged, SLOTS;
    StoreGlobal = h::store_global, "store_global", (Ctx, U64, U64) -> Unit, RUNS;
    LoadCell = h::load_cell, "load_cell", (Ctx, U64, U64) -> Tagged, SLOTS;
    StoreCell = h::store_cell, "store_cell", (Ctx, U64, U64, U64) -> Unit, SLOTS;
    LoadUpval = h::load_upval, "load_upval", (Ctx, U64, U64, U64) -> Tagged, SLOTS;
    StoreUpval = h::store_upval, "store_upval", (Ctx, U64, U64, U64) -> Unit, SLOTS;
    UpdateVar = h::update_var, "update_var", (Ctx, U64, U64, U64, U64) -> Tagged, RUNS;
    // Operators.
    Binop = h::binop, "binop", (Ctx, U64, U64) -> Tagged, SLOTS;
    Unop = h::unop, "unop", (Ctx, U64, U64) -> Tagged, SLOTS;
    IsNull = h::is_null, "is_null", (Ctx, U64) -> U64, SLOTS;
    Fmod = h::fmod, "fmod", (F64, F64) -> F64, PURE;
    // Calls.
    Call = h::call, "call", (Ctx, U64, U64) -> Tagged, RUNS;
    CallMethod = h::call_method, "call_method", (Ctx, U64, U64, U64, U64) -> Tagged, RUNS;
    MakeClosure = h::make_closure, "make_closure", (Ctx, U64, U64, U64, U64) -> Tagged, SLOTS;
    // Collections and objects.
    Index = h::index, "index", (Ctx, U64) -> Tagged, SLOTS;
    IndexInt = h::index_int, "index_int", (Ctx, U64, I64) -> Tagged, SLOTS;
    IndexVar = h::index_var, "index_var", (Ctx, I64, I64, U64) -> Tagged, SLOTS;
    GetField = h::get_field, "get_field", (Ctx, U64, U64) -> Tagged, SLOTS;
    StorePath = h::store_path, "store_path", (Ctx, U64, U64, U64, U64) -> Tagged, RUNS;
    StoreIndexInt = h::store_index_int, "store_index_int",
        (Ctx, U64, U64, U64, I64, U64, U64, U64) -> Tagged, RUNS;
    MakeArray = h::make_array, "make_array", (Ctx, U64, U64) -> Tagged, SLOTS;
    MakeDict = h::make_dict, "make_dict", (Ctx, U64, U64) -> Tagged, SLOTS;
    MakeStruct = h::make_struct, "make_struct", (Ctx, U64, U64) -> Tagged, SLOTS;
    ArrayPush = h::array_push, "array_push", (Ctx, U64) -> Tagged, SLOTS;
    DictInsert = h::dict_insert, "dict_set", (Ctx, U64) -> Tagged, SLOTS;
    Concat = h::concat, "concat", (Ctx, U64, U64) -> Tagged, SLOTS;
    IterPrep = h::iter_prep, "iter_prep", (Ctx, U64, U64) -> Tagged, SLOTS;
    IterNext = h::iter_next, "iter_next", (Ctx, U64, U64) -> Tagged, SLOTS;
    // Leaving native code.
    Resume = exits::resume, "exit", (Ctx, U64, U64, U64, U64) -> Tagged, RUNS;
    OsrExit = exits::osr_exit, "osr exit", (Ctx, U64, U64, U64) -> Tagged, RUNS;
    OsrError = exits::osr_error, "osr error", (Ctx, U64) -> Tagged, RUNS;
}

/// The helper whose code starts at `addr`, if any (profilers name samples
/// with it).
pub fn by_addr(addr: usize) -> Option<Helper> {
    Helper::ALL.iter().copied().find(|h| h.addr() == addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_helper_passes_the_context_first_or_not_at_all() {
        for h in Helper::ALL {
            let ctx_at: Vec<usize> = h
                .params()
                .iter()
                .enumerate()
                .filter(|(_, a)| **a == Arg::Ctx)
                .map(|(i, _)| i)
                .collect();
            assert!(ctx_at.is_empty() || ctx_at == [0], "{h:?}");
            assert_eq!(by_addr(h.addr()), Some(*h), "{h:?}: addresses are distinct");
        }
    }
}
