//! The instruction set. This enum is the spec of the VM: one line per opcode
//! giving its operands and stack effect (`[before] -> [after]`, top rightmost).
//! Jump targets are absolute instruction indices.
//!
//! Superinstructions are not opcodes: the dispatch loop runs
//! `LoadLocal(int); Int(k); Add|Sub|compare [; JumpIfFalse]` as one step
//! when the local holds an int and nothing overflows
//! (`runtime/vm/fused.rs`), with exactly the effect of the instructions
//! it replaces; the bytecode (which the JIT and the disassembler read) is
//! unchanged, and a jump into the middle of such a sequence runs the
//! ordinary instructions. The `unfused` feature turns them off; why they
//! are not opcodes is in docs/decisions.md ("Measurements behind code").

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `[] -> [consts[k]]`
    Const(u32),
    /// `[] -> [int n]`
    Int(i32),
    /// `[] -> [null]`
    Null,
    /// `[] -> [true]`
    True,
    /// `[] -> [false]`
    False,
    /// `[a] -> []`
    Pop,
    /// `[a] -> [a, a]`
    Dup,

    /// `[] -> [slot]`
    LoadLocal(u16),
    /// `[v] -> []`, slot := v
    StoreLocal(u16),
    /// `[v] -> []`, slot := a fresh cell holding v (a captured variable's
    /// declaration; a fresh cell per loop iteration).
    StoreNewCell(u16),
    /// `[] -> [*slot]` where the slot holds a cell.
    LoadCell(u16),
    /// `[v] -> []`, *slot := v where the slot holds a cell.
    StoreCell(u16),
    /// `[] -> [*upvalues[i]]`
    LoadUpval(u16),
    /// `[v] -> []`, *upvalues[i] := v
    StoreUpval(u16),
    /// `[] -> [globals[i]]`; `Undefined variable` if never assigned.
    LoadGlobal(u32),
    /// `[v] -> []`, globals[i] := v
    StoreGlobal(u32),
    /// `[operands] -> [result]`: `var OP operand` or `f(var, operands)` as
    /// `updates[i]` describes, with the variable's value taken out of the
    /// variable while the operation runs, so a uniquely held collection is
    /// changed in place (`a = push(a, x)`, `s += "x"`). On error the value is
    /// put back. The compiler stores the result into the variable next.
    UpdateVar(u32),
    /// `[] -> [builtin id]`
    LoadBuiltin(u16),

    /// `[a, b] -> [a + b]` (numbers, strings, arrays; checked int overflow)
    Add,
    /// `[a, b] -> [a - b]`
    Sub,
    /// `[a, b] -> [a * b]`
    Mul,
    /// `[a, b] -> [a / b]` (ints truncate toward zero)
    Div,
    /// `[a, b] -> [a % b]` (sign of the left operand)
    Mod,
    /// `[a] -> [-a]`
    Neg,
    /// `[a] -> [!truthy(a)]`
    Not,
    /// `[a] -> [truthy(a)]`
    ToBool,
    /// `[a, b] -> [a == b]` (deep)
    Eq,
    /// `[a, b] -> [a != b]`
    Ne,
    /// `[a, b] -> [a < b]` (numbers or strings)
    Lt,
    /// `[a, b] -> [a <= b]`
    Le,
    /// `[a, b] -> [a > b]`
    Gt,
    /// `[a, b] -> [a >= b]`
    Ge,

    /// `[] -> []`, ip := target
    Jump(u32),
    /// `[c] -> []`, jump if `c` is falsey
    JumpIfFalse(u32),
    /// `[c] -> []`, jump if `c` is truthy
    JumpIfTrue(u32),
    /// `[a] -> [a]` and jump if `a` is not null, else `[a] -> []` (for `??`, `?.`)
    JumpIfNotNull(u32),
    /// `[] -> []`, ip := target: a loop's back edge. Counted by the tier-up
    /// policy; `target` is the loop header.
    Loop(u32),

    /// `[f, a1..an] -> [result]`
    Call(u8),
    /// `[recv, a1..an] -> [result]`: `recv.name(args)` where `consts[k]` is
    /// the name: a struct method, else a builtin method (m), else a dict entry.
    CallMethod(u32, u8),
    /// Like `CallMethod` but the receiver is a variable or path the compiler
    /// can write back to: `[recv, a1..an] -> [result, new_recv, changed]`.
    /// `changed` is true when a `self` method produced a new receiver.
    CallMethodWb(u32, u8),
    /// `[v] -> []`, return v to the caller.
    Return,
    /// `[] -> [closure]` for `protos[i]`, capturing as its `captures` say.
    Closure(u32),

    /// `[a1..an] -> [array]`
    MakeArray(u32),
    /// `[array, v] -> [array + [v]]`
    ArrayPush,
    /// `[array, other] -> [array + other]` (spread; `other` must be an array)
    ArrayExtend,
    /// `[k1, v1, .. kn, vn] -> [dict]`
    MakeDict(u32),
    /// `[dict, k, v] -> [dict]` with `dict[k] := v`
    DictInsert,
    /// `[dict, other] -> [dict]` with other's entries copied in (spread)
    DictExtend,
    /// `[f1..fn] -> [struct]` for `structs[i]`, fields in declaration order.
    MakeStruct(u32),
    /// `[payload] -> [enum]` from the enum template `consts[k]`.
    MakeEnum(u32),
    /// `[e] -> [payload or null]`
    EnumPayload,
    /// `[v] -> [bool]`: is `v` the enum variant of template `consts[k]`?
    IsVariant(u32),
    /// `[obj, key] -> [obj[key]]`
    Index,
    /// `[obj] -> [obj.name]` with `consts[k]` the name (struct field, dict
    /// entry, error field).
    GetField(u32),
    /// `[array] -> [array[n..]]` (rest patterns)
    SliceFrom(u32),
    /// `[v, k1..kn] -> []`: `var[k1]..[kn] := v` in place, as `paths[i]`
    /// describes (which variable, which keys are field names).
    StorePath(u32),
    /// `[v1..vn] -> [string]`: concatenation of their `to_string` forms.
    Concat(u32),

    /// `[iterable] -> []`: slots `s`, `s+1` := the collection and a cursor.
    IterPrep(u16),
    /// `[] -> [next item]`, or jump to `exit` when the iteration is done.
    IterNext(u16, u32),
    /// `[start, end, step] -> []`: slots `s..s+3` := current, end, step.
    RangePrep(u16),
    /// `[] -> [current]` and advance, or jump to `exit` when done.
    RangeNext(u16, u32),

    /// `[] -> []`: errors until the matching `TryEnd` go to `handler`, with
    /// the error value pushed.
    TryBegin(u32),
    /// `[] -> []`: leave the innermost `try`.
    TryEnd,
    /// `[v] -> !`: throw v.
    Throw,
    /// `[] -> !`: raise the runtime error whose message is `consts[k]`.
    Fail(u32),
}

/// What an instruction does to the operand stack: `pops` entries, then
/// `pushes` entries (for the path that falls through to the next
/// instruction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackEffect {
    pub pops: usize,
    pub pushes: usize,
}

impl Op {
    /// Where control may go other than the next instruction: a jump, a
    /// loop's back edge, the end of an iteration. (`TryBegin`'s handler is
    /// `handler`: errors reach it, not branches.)
    pub fn jump_target(self) -> Option<usize> {
        match self {
            Op::Jump(t)
            | Op::Loop(t)
            | Op::JumpIfFalse(t)
            | Op::JumpIfTrue(t)
            | Op::JumpIfNotNull(t)
            | Op::IterNext(_, t)
            | Op::RangeNext(_, t) => Some(t as usize),
            _ => None,
        }
    }

    /// `TryBegin`'s handler.
    pub fn handler(self) -> Option<usize> {
        match self {
            Op::TryBegin(t) => Some(t as usize),
            _ => None,
        }
    }

    /// The same instruction going to `target` instead (for a jump, an
    /// iteration's exit or a handler; others are returned unchanged).
    pub fn with_target(self, target: u32) -> Op {
        match self {
            Op::Jump(_) => Op::Jump(target),
            Op::Loop(_) => Op::Loop(target),
            Op::JumpIfFalse(_) => Op::JumpIfFalse(target),
            Op::JumpIfTrue(_) => Op::JumpIfTrue(target),
            Op::JumpIfNotNull(_) => Op::JumpIfNotNull(target),
            Op::TryBegin(_) => Op::TryBegin(target),
            Op::IterNext(s, _) => Op::IterNext(s, target),
            Op::RangeNext(s, _) => Op::RangeNext(s, target),
            other => other,
        }
    }

    /// Never falls through to the next instruction.
    pub fn ends_block(self) -> bool {
        matches!(
            self,
            Op::Jump(_) | Op::Loop(_) | Op::Return | Op::Throw | Op::Fail(_)
        )
    }

    /// Calls a Ruff function, a method or a builtin.
    pub fn is_call(self) -> bool {
        matches!(
            self,
            Op::Call(_) | Op::CallMethod(..) | Op::CallMethodWb(..)
        )
    }

    /// The interpreter records the type of the value it produces (type
    /// feedback the JIT specializes on, `runtime::feedback`).
    pub fn records_feedback(self) -> bool {
        matches!(
            self,
            Op::LoadCell(_)
                | Op::LoadUpval(_)
                | Op::LoadGlobal(_)
                | Op::Index
                | Op::GetField(_)
                | Op::Call(_)
                | Op::CallMethod(..)
                | Op::CallMethodWb(..)
                | Op::IterNext(..)
        )
    }

    /// The stack effect written in this enum's doc lines; `UpdateVar` and
    /// `StorePath` read their operand counts from `proto`.
    pub fn stack_effect(self, proto: &super::FuncProto) -> StackEffect {
        let e = |pops: usize, pushes: usize| StackEffect { pops, pushes };
        match self {
            Op::Const(_) | Op::Int(_) | Op::Null | Op::True | Op::False => e(0, 1),
            Op::Pop => e(1, 0),
            Op::Dup => e(1, 2),
            Op::LoadLocal(_)
            | Op::LoadCell(_)
            | Op::LoadUpval(_)
            | Op::LoadGlobal(_)
            | Op::LoadBuiltin(_)
            | Op::Closure(_) => e(0, 1),
            Op::StoreLocal(_)
            | Op::StoreNewCell(_)
            | Op::StoreCell(_)
            | Op::StoreUpval(_)
            | Op::StoreGlobal(_) => e(1, 0),
            Op::UpdateVar(u) => {
                let n = match &proto.updates[u as usize].kind {
                    super::UpdateKind::Arith(_) => 1,
                    super::UpdateKind::Builtin { argc, .. }
                    | super::UpdateKind::Method { argc, .. } => (*argc as usize).saturating_sub(1),
                };
                e(n, 1)
            }
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => e(2, 1),
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => e(2, 1),
            Op::Neg | Op::Not | Op::ToBool => e(1, 1),
            Op::Jump(_) | Op::Loop(_) => e(0, 0),
            Op::JumpIfFalse(_) | Op::JumpIfTrue(_) => e(1, 0),
            // Falls through with the null popped (jumps keeping it).
            Op::JumpIfNotNull(_) => e(1, 0),
            Op::Call(n) => e(n as usize + 1, 1),
            Op::CallMethod(_, n) => e(n as usize + 1, 1),
            Op::CallMethodWb(_, n) => e(n as usize + 1, 3),
            Op::Return | Op::Throw => e(1, 0),
            Op::MakeArray(n) => e(n as usize, 1),
            Op::MakeDict(n) => e(2 * n as usize, 1),
            Op::ArrayPush | Op::ArrayExtend | Op::DictExtend => e(2, 1),
            Op::DictInsert => e(3, 1),
            Op::MakeStruct(i) => e(proto.structs[i as usize].fields.len(), 1),
            Op::MakeEnum(_) | Op::EnumPayload | Op::IsVariant(_) => e(1, 1),
            Op::Index => e(2, 1),
            Op::GetField(_) | Op::SliceFrom(_) => e(1, 1),
            Op::StorePath(p) => e(proto.paths[p as usize].depth as usize + 1, 0),
            Op::Concat(n) => e(n as usize, 1),
            Op::IterPrep(_) => e(1, 0),
            Op::RangePrep(_) => e(3, 0),
            Op::IterNext(..) | Op::RangeNext(..) => e(0, 1),
            Op::TryBegin(_) | Op::TryEnd | Op::Fail(_) => e(0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn op_is_small() {
        assert!(std::mem::size_of::<super::Op>() <= 8);
    }
}
