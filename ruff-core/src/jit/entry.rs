//! How Rust calls a compiled function's specialized entry.
//!
//! Specialized entries use the register-only `NATIVE_CC` (Cranelift's
//! `winch` convention: no callee-saved registers, one result in a
//! register), which Rust cannot call directly. On x86-64 Rust makes the
//! call itself with a few lines of inline assembly (`call_in_registers`)
//! when every argument travels in a register. Otherwise a small compiled
//! trampoline per shape of unboxed parameters makes it
//! (`CodeModule::trampoline`).
//!
//! Why not always a trampoline: compiling the first one is part of the
//! first function's compile in every process, when the code generator is
//! still cold (docs/decisions.md).

use super::ctx::{JitCtx, Ret2};

/// A compiled trampoline, shared by all functions with the same unboxed
/// parameter types (`CodeModule::trampoline`): it takes `(ctx, closure,
/// base, specialized entry, unboxed arguments)`.
pub type Trampoline = unsafe extern "C" fn(*mut JitCtx, u64, u64, *const u8, *const u64) -> Ret2;

#[derive(Clone, Copy)]
pub enum Entry {
    /// `call_in_registers` (x86-64 only). Bit `k` of `floats` is set when
    /// the `k`-th unboxed parameter is a float (worked out once, when the
    /// function is compiled, not at every call).
    Registers {
        floats: u16,
    },
    Trampoline(Trampoline),
}

impl Entry {
    /// `Entry::Registers` for unboxed parameters of these kinds (`true`
    /// for a float) if they all travel in registers, else `None`.
    pub fn in_registers(floats: impl Iterator<Item = bool>) -> Option<Entry> {
        if !cfg!(target_arch = "x86_64") {
            return None;
        }
        let (mut n_ints, mut n_floats, mut mask) = (0, 0, 0u16);
        for (k, float) in floats.enumerate() {
            if float {
                n_floats += 1;
                // (Shapes of more than ten parameters never fit.)
                mask |= 1 << k.min(15);
            } else {
                n_ints += 1;
            }
        }
        (n_ints <= INT_REGS && n_floats <= FLOAT_REGS).then_some(Entry::Registers { floats: mask })
    }

    /// Call the specialized entry `spec` with the bits of its unboxed
    /// arguments in parameter order.
    ///
    /// # Safety
    /// `self` was made for `spec`'s parameter types (`CodeModule::entry`),
    /// `unboxed` holds one value per unboxed parameter, and `ctx` is the
    /// VM's live context.
    pub unsafe fn call(
        self,
        ctx: *mut JitCtx,
        closure: u64,
        base: u64,
        spec: *const u8,
        unboxed: &[u64],
    ) -> Ret2 {
        match self {
            Entry::Registers { floats } => {
                let mut args = RegisterArgs::default();
                for (k, &bits) in unboxed.iter().enumerate() {
                    args.push(bits, floats >> k & 1 != 0);
                }
                // SAFETY: `Registers` was chosen for `spec`'s parameter
                // types, which `args` holds in order (see `call`'s contract).
                unsafe { call_in_registers(ctx, closure, base, spec, &args) }
            }
            // SAFETY: the trampoline was compiled for `spec`'s unboxed
            // parameter types, which `unboxed` holds (`call`'s contract).
            Entry::Trampoline(enter) => unsafe {
                enter(ctx, closure, base, spec, unboxed.as_ptr())
            },
        }
    }
}

/// Integer registers left for unboxed parameters after the four fixed
/// ones (context, closure, base, caller's shadow entry), and float ones.
const INT_REGS: usize = 2;
const FLOAT_REGS: usize = 8;

/// The unboxed arguments of a call, by register class, in parameter
/// order within each class (as the calling convention assigns them).
#[derive(Default)]
struct RegisterArgs {
    ints: [u64; INT_REGS],
    floats: [u64; FLOAT_REGS],
    n_ints: usize,
    n_floats: usize,
}

impl RegisterArgs {
    fn push(&mut self, bits: u64, float: bool) {
        // `Entry::Registers` is chosen only for shapes that fit.
        if float {
            self.floats[self.n_floats] = bits;
            self.n_floats += 1;
        } else {
            self.ints[self.n_ints] = bits;
            self.n_ints += 1;
        }
    }
}

/// Call the specialized entry `spec` with its unboxed arguments in
/// registers, as the `winch` convention on x86-64 passes them: integers
/// in rdi, rsi, rdx, rcx, r8, r9 and floats in xmm0–xmm7, each class in
/// order; the result in rax. The callee may change every register but
/// rsp and rbp (it keeps a frame pointer).
///
/// # Safety
/// `spec` is finalized code whose signature is `NATIVE_CC`
/// `(ctx, closure, base, top, unboxed...) -> i64` with the unboxed
/// parameters `args` holds, and `ctx` is the VM's live context.
#[cfg(target_arch = "x86_64")]
unsafe fn call_in_registers(
    ctx: *mut JitCtx,
    closure: u64,
    base: u64,
    spec: *const u8,
    args: &RegisterArgs,
) -> Ret2 {
    // SAFETY: `ctx` is the live context (the contract).
    let top = unsafe { (*ctx).top } as u64;
    let [i0, i1] = args.ints;
    let [f0, f1, f2, f3, f4, f5, f6, f7] = args.floats;
    let payload: u64;
    // SAFETY: see the function's contract. rbx cannot be named as a
    // clobber (LLVM reserves it), so it is saved on the stack, twice to
    // keep the stack 16-byte aligned for the call.
    unsafe {
        std::arch::asm!(
            "push rbx",
            "push rbx",
            "call {spec}",
            "pop rbx",
            "pop rbx",
            spec = in(reg) spec,
            in("rdi") ctx as u64,
            in("rsi") closure,
            in("rdx") base,
            in("rcx") top,
            in("r8") i0,
            in("r9") i1,
            in("xmm0") f0,
            in("xmm1") f1,
            in("xmm2") f2,
            in("xmm3") f3,
            in("xmm4") f4,
            in("xmm5") f5,
            in("xmm6") f6,
            in("xmm7") f7,
            lateout("rax") payload,
            out("r12") _,
            out("r13") _,
            out("r14") _,
            out("r15") _,
            clobber_abi("C"),
        );
    }
    Ret2 {
        // SAFETY: as above; the callee stored its result tag there.
        tag: unsafe { (*ctx).ret_tag },
        payload,
    }
}

/// # Safety
/// Never called: `Entry::Registers` is only chosen on x86-64.
#[cfg(not(target_arch = "x86_64"))]
unsafe fn call_in_registers(
    _ctx: *mut JitCtx,
    _closure: u64,
    _base: u64,
    _spec: *const u8,
    _args: &RegisterArgs,
) -> Ret2 {
    unreachable!("`Entry::in_registers` is `None` off x86-64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_that_travel_in_registers() {
        let fits = |floats: &[bool]| Entry::in_registers(floats.iter().copied()).is_some();
        let x86 = cfg!(target_arch = "x86_64");
        assert_eq!(fits(&[]), x86);
        assert_eq!(fits(&[false, true, false]), x86);
        assert_eq!(fits(&[true; 8]), x86);
        assert!(!fits(&[false; 3]), "a third int goes on the stack");
        assert!(!fits(&[true; 9]), "a ninth float goes on the stack");
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn float_positions_are_recorded_once() {
        let Some(Entry::Registers { floats }) =
            Entry::in_registers([false, true, false, true].into_iter())
        else {
            panic!("two ints and two floats fit in registers");
        };
        assert_eq!(floats, 0b1010);
    }

    #[test]
    fn arguments_are_sorted_by_register_class() {
        let mut args = RegisterArgs::default();
        for (bits, float) in [(1, false), (2, true), (3, false), (4, true)] {
            args.push(bits, float);
        }
        assert_eq!(args.ints, [1, 3]);
        assert_eq!(args.floats[..2], [2, 4]);
    }
}
