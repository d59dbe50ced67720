//! Bytecode: the instruction set, function prototypes and the disassembler.

pub mod disasm;
pub mod opcode;

use std::rc::Rc;

pub use opcode::Op;

use crate::runtime::value::{StructDef, Value};
use crate::syntax::Span;

/// How a closure obtains upvalue `i` when it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// The cell in the enclosing frame's local slot.
    Local(u16),
    /// The enclosing closure's own upvalue.
    Upval(u16),
}

/// The variable a `StorePath` writes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarRef {
    Local(u16),
    Cell(u16),
    Upval(u16),
    Global(u32),
}

/// `var[k1]..[kn] := v`: `field_mask` bit i set means key i is a field name
/// (`.name`), else an index (`[expr]`).
#[derive(Clone, Debug, PartialEq)]
pub struct PathDesc {
    pub var: VarRef,
    pub name: Rc<str>,
    pub depth: u8,
    pub field_mask: u32,
}

/// What an `UpdateVar` does with the variable's value.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateKind {
    /// `var OP operand` with one of `+ - * / %`.
    Arith(char),
    /// `builtin(var, ...)`; `argc` counts the variable.
    Builtin { id: u16, argc: u8 },
    /// `var.name(...)`; a builtin method, or a struct's own method (then the
    /// variable keeps its value during the call).
    Method { name: Rc<str>, argc: u8 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct VarUpdate {
    pub var: VarRef,
    pub name: Rc<str>,
    pub kind: UpdateKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoopKind {
    While,
    Loop,
    For,
}

/// One loop of a function. The JIT, telemetry, profiler and language server
/// all name a loop by its index in `FuncProto::loops` and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopInfo {
    pub kind: LoopKind,
    /// First instruction of the loop condition/iteration step (the target of
    /// the back edge).
    pub header: u32,
    /// First instruction after the loop.
    pub exit: u32,
    /// The whole loop statement.
    pub span: Span,
    /// The loop's header line (`while cond {`), for hints.
    pub header_span: Span,
    /// 1-based line of `header_span` (telemetry names loops by it).
    pub header_line: u32,
}

/// A compiled function.
#[derive(Debug, Default)]
pub struct FuncProto {
    pub name: Rc<str>,
    /// Number of declared parameters (excluding a method's receiver).
    pub arity: u8,
    /// A method: slot 0 is the receiver, parameters follow.
    pub is_method: bool,
    /// Locals including parameters and hidden temporaries.
    pub num_slots: u16,
    pub code: Vec<Op>,
    /// Source span of each instruction (same length as `code`).
    pub spans: Vec<Span>,
    /// 1-based source line of each instruction (same length as `code`), so
    /// the shadow-stack hooks at calls and back edges record a line with
    /// one load instead of a binary search over line starts.
    pub lines: Vec<u32>,
    pub consts: Vec<Value>,
    pub protos: Vec<Rc<FuncProto>>,
    pub structs: Vec<Rc<StructDef>>,
    pub captures: Vec<Capture>,
    pub paths: Vec<PathDesc>,
    pub updates: Vec<VarUpdate>,
    pub loops: Vec<LoopInfo>,
    /// Span of the declaration (name for named functions).
    pub span: Span,
    /// 1-based line of the declaration.
    pub line: u32,
    /// What the interpreter observed running it (counters, types, call
    /// targets); the JIT's own state is in its code cache, by `id`.
    pub feedback: crate::runtime::feedback::Feedback,
    /// Index in the program's `FunctionTable` (profilers name frames by it).
    pub id: u32,
}
