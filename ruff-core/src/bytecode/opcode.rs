//! The instruction set. This enum is the spec of the VM: one line per opcode
//! giving its operands and stack effect (`[before] -> [after]`, top rightmost).
//! Jump targets are absolute instruction indices.

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

#[cfg(test)]
mod tests {
    #[test]
    fn op_is_small() {
        assert!(std::mem::size_of::<super::Op>() <= 8);
    }
}
