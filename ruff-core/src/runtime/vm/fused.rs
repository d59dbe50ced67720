//! Superinstructions chosen at run time (`fused_int`).

use crate::bytecode::Op;

/// What a fused `LoadLocal; Int(k); op [; JumpIfFalse]` did.
pub(super) enum Fused {
    /// Push this int and skip this many instructions after the `LoadLocal`.
    Push(i64, usize),
    /// Push this bool and skip this many instructions.
    PushBool(bool, usize),
    /// A comparison decided the `JumpIfFalse` after it: continue here.
    Jump(usize),
}

/// A superinstruction chosen at run time: the bytecode is unchanged (the
/// JIT reads it), but when `LoadLocal` of an int `x` is followed by `Int(k)`
/// and `+`, `-` or a comparison (and, for a comparison, `JumpIfFalse`),
/// the dispatch loop runs them as one step. `None`: not that shape, or the
/// arithmetic overflows (the ordinary instructions then raise the error).
/// Jumps into the middle of such a sequence are unaffected: they run the
/// ordinary instructions.
///
/// # Safety
/// `code` is a function's code, which ends in `Return`, and `ip` is the
/// index after a `LoadLocal`; so `code[ip]` exists, and so does the
/// instruction after any instruction other than `Return`.
#[inline(always)]
pub(super) unsafe fn fused_int(code: *const Op, ip: usize, x: i64) -> Option<Fused> {
    // SAFETY: per the contract: `LoadLocal` is not `Return`.
    let Op::Int(k) = (unsafe { *code.add(ip) }) else {
        return None;
    };
    let k = k as i64;
    // SAFETY: `Int` is not `Return`.
    let op = unsafe { *code.add(ip + 1) };
    let cmp = match op {
        Op::Add => return x.checked_add(k).map(|r| Fused::Push(r, 2)),
        Op::Sub => return x.checked_sub(k).map(|r| Fused::Push(r, 2)),
        Op::Lt => x < k,
        Op::Le => x <= k,
        Op::Gt => x > k,
        Op::Ge => x >= k,
        _ => return None,
    };
    // SAFETY: a comparison is not `Return`.
    Some(match unsafe { *code.add(ip + 2) } {
        Op::JumpIfFalse(t) if !cmp => Fused::Jump(t as usize),
        Op::JumpIfFalse(_) => Fused::Jump(ip + 3),
        _ => Fused::PushBool(cmp, 2),
    })
}
