//! A recursive call's pure paths, inlined at the call site: the base case
//! of `fib` (`if n < 2 { return n }`) costs a compare instead of a call.
//!
//! From the callee's entry, native code follows the callee's instructions
//! as long as they compute only with unboxed values: constants, the
//! arguments and other locals, arithmetic, comparisons and forward
//! branches. A path that reaches `Return` is the call's result, without a
//! frame. A path that meets anything else — a global, a call, a heap value,
//! a back edge, an overflow, a division by zero — makes the real call
//! instead. Nothing on the way had an effect, so the callee simply runs
//! from its start: its errors, exits and stack traces are its own. The one
//! thing a caller cannot see without the frame is the recursion limit, so
//! the inlined paths check it first, as the callee's prologue would.
//!
//! Only calls of the function being compiled are inlined: its analysis is
//! at hand (`Unit::an`, for the very parameter types of the call).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types as t, Block, BlockArg, InstBuilder, MemFlagsData as MemFlags};

use crate::bytecode::{FuncProto, Op};
use crate::runtime::value::Value;

use super::super::ctx::off;
use super::super::types::Ty;
use super::{Lower, Sv};

/// Instructions walked at most along one path, and over all paths of one
/// call site: pure paths worth inlining are short (a base case).
const PATH_BUDGET: usize = 24;
const TOTAL_BUDGET: usize = 64;

/// Whether `op` can be part of a pure path (given unboxed operands, which
/// the walk checks as it goes).
fn is_pure(proto: &FuncProto, ip: usize) -> bool {
    match proto.code[ip] {
        Op::Const(k) => matches!(
            proto.consts[k as usize],
            Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null
        ),
        Op::Jump(t) | Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => t as usize > ip,
        Op::Int(_)
        | Op::Null
        | Op::True
        | Op::False
        | Op::LoadLocal(_)
        | Op::StoreLocal(_)
        | Op::Pop
        | Op::Dup
        | Op::Add
        | Op::Sub
        | Op::Mul
        | Op::Div
        | Op::Mod
        | Op::Neg
        | Op::Not
        | Op::ToBool
        | Op::Eq
        | Op::Ne
        | Op::Lt
        | Op::Le
        | Op::Gt
        | Op::Ge
        | Op::Return => true,
        _ => false,
    }
}

/// Whether a path of pure instructions leads from `proto`'s entry to a
/// `Return` within the budget (forward jumps only, so the walk ends).
fn has_pure_return(proto: &FuncProto) -> bool {
    let mut seen = vec![false; proto.code.len()];
    let mut todo = vec![(0usize, 0usize)];
    while let Some((ip, steps)) = todo.pop() {
        if steps >= PATH_BUDGET || ip >= proto.code.len() || seen[ip] || !is_pure(proto, ip) {
            continue;
        }
        seen[ip] = true;
        match proto.code[ip] {
            Op::Return => return true,
            Op::Jump(t) => todo.push((t as usize, steps + 1)),
            Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                todo.push((t as usize, steps + 1));
                todo.push((ip + 1, steps + 1));
            }
            _ => todo.push((ip + 1, steps + 1)),
        }
    }
    false
}

/// Where a pure path is: its operand stack and the callee's locals
/// (`None`: not unboxed, so reading it leaves the path).
#[derive(Clone)]
struct PathState {
    ip: usize,
    stack: Vec<Sv>,
    locals: Vec<Option<Sv>>,
    left: usize,
}

impl Lower<'_, '_> {
    /// At a direct call of the function being compiled, with the call's
    /// arguments `args`: emit the callee's pure paths. Paths that return a
    /// value of type `expected` jump to `join` with it; the others, and a
    /// call that would pass the recursion limit, continue in the new
    /// current block, which makes the call.
    pub(super) fn inline_pure_paths(&mut self, args: &[Sv], expected: Ty, join: Block) {
        let proto = self.u.proto;
        if !expected.is_unboxed() || !has_pure_return(proto) {
            return;
        }
        let call = self.b.create_block();
        let body = self.b.create_block();
        // The callee's prologue would check the limit with this frame as
        // its caller (`method_body`).
        let limit = self
            .b
            .ins()
            .load(t::I64, MemFlags::trusted(), self.cx, off::SHADOW_LIMIT);
        let over = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, self.shadow, limit);
        self.b.ins().brif(over, call, &[], body, &[]);
        self.b.switch_to_block(body);
        if self.u.telemetry {
            self.bump(&self.u.stats.native_entries as *const _ as usize);
        }
        let mut locals = vec![None; proto.num_slots as usize];
        for (local, arg) in locals.iter_mut().zip(args) {
            if matches!(arg, Sv::I(_) | Sv::F(_) | Sv::B(_) | Sv::Null) {
                *local = Some(*arg);
            }
        }
        let outer = std::mem::take(&mut self.stack);
        let outer_bail = self.bail.replace(call);
        let mut budget = TOTAL_BUDGET;
        let start = PathState {
            ip: 0,
            stack: Vec::new(),
            locals,
            left: PATH_BUDGET,
        };
        self.pure_path(start, expected, join, &mut budget);
        self.bail = outer_bail;
        self.stack = outer;
        self.b.switch_to_block(call);
    }

    /// Emit one pure path from `st` (and the paths it branches to); every
    /// path ends in a jump to `join` or to the bail-out block.
    fn pure_path(&mut self, mut st: PathState, expected: Ty, join: Block, budget: &mut usize) {
        let proto = self.u.proto;
        let bail = self.bail.expect("set by inline_pure_paths");
        self.stack = std::mem::take(&mut st.stack);
        loop {
            let ip = st.ip;
            if *budget == 0 || st.left == 0 || !is_pure(proto, ip) {
                self.b.ins().jump(bail, &[]);
                return;
            }
            *budget -= 1;
            st.left -= 1;
            let unboxed = |sv: &Sv| matches!(sv, Sv::I(_) | Sv::F(_) | Sv::B(_) | Sv::Null);
            let numeric = |sv: &Sv| matches!(sv, Sv::I(_) | Sv::F(_));
            let n = self.stack.len();
            let top_two =
                |pred: &dyn Fn(&Sv) -> bool, s: &[Sv]| n >= 2 && s[n - 2..].iter().all(pred);
            let op = proto.code[ip];
            let falls_through = match op {
                Op::Int(_) | Op::Const(_) | Op::Null | Op::True | Op::False => {
                    // The same constants as the unit's own code (`ops.rs`).
                    self.op(ip).unwrap_or(false)
                }
                Op::LoadLocal(s) => match st.locals[s as usize] {
                    Some(sv) => {
                        self.stack.push(sv);
                        true
                    }
                    None => false,
                },
                Op::StoreLocal(s) => match self.stack.pop() {
                    Some(sv) if unboxed(&sv) => {
                        st.locals[s as usize] = Some(sv);
                        true
                    }
                    _ => false,
                },
                Op::Pop => self.stack.pop().is_some_and(|sv| unboxed(&sv)),
                Op::Dup => match self.stack.last().copied() {
                    Some(sv) if unboxed(&sv) => {
                        self.stack.push(sv);
                        true
                    }
                    _ => false,
                },
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod
                    if top_two(&numeric, &self.stack) =>
                {
                    // Overflow and division by zero go to `bail`.
                    self.inline_arith(ip, op, Vec::new()).unwrap_or(false)
                }
                Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge
                    if top_two(&unboxed, &self.stack) =>
                {
                    self.compare(ip, op).unwrap_or(false)
                }
                Op::Neg | Op::Not | Op::ToBool if self.stack.last().is_some_and(&unboxed) => {
                    self.op(ip).unwrap_or(false)
                }
                Op::Jump(t) => {
                    st.ip = t as usize;
                    continue;
                }
                Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                    let Some(c) = self.stack.pop().filter(|sv| unboxed(sv)) else {
                        self.b.ins().jump(bail, &[]);
                        return;
                    };
                    let truth = self.truth(c);
                    let (taken, next) = (self.b.create_block(), self.b.create_block());
                    if matches!(op, Op::JumpIfTrue(_)) {
                        self.b.ins().brif(truth, taken, &[], next, &[]);
                    } else {
                        self.b.ins().brif(truth, next, &[], taken, &[]);
                    }
                    let here = self.stack.clone();
                    let other = PathState {
                        ip: t as usize,
                        stack: here.clone(),
                        locals: st.locals.clone(),
                        left: st.left,
                    };
                    self.b.switch_to_block(taken);
                    self.pure_path(other, expected, join, budget);
                    self.b.switch_to_block(next);
                    self.stack = here;
                    true
                }
                Op::Return => {
                    match (expected, self.stack.pop()) {
                        (Ty::Int, Some(Sv::I(v)))
                        | (Ty::Float, Some(Sv::F(v)))
                        | (Ty::Bool, Some(Sv::B(v))) => {
                            self.b.ins().jump(join, &[BlockArg::Value(v)]);
                        }
                        // Another type than the call site expects: the
                        // real call's result check handles it.
                        _ => {
                            self.b.ins().jump(bail, &[]);
                        }
                    }
                    return;
                }
                _ => false,
            };
            if !falls_through {
                // The instruction left the path (`bail`) or was not pure
                // with these operands.
                if !self.block_ended() {
                    self.b.ins().jump(bail, &[]);
                }
                return;
            }
            st.ip += 1;
        }
    }

    /// Whether the current block ends in a terminator already.
    fn block_ended(&self) -> bool {
        let func = &self.b.func;
        self.b
            .current_block()
            .and_then(|blk| func.layout.last_inst(blk))
            .is_some_and(|i| func.dfg.insts[i].opcode().is_terminator())
    }
}
