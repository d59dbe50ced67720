//! Why the JIT did not compile a function or loop: one table of reasons with
//! stable codes (shown in telemetry, the language server and the docs).

/// A reason to leave code to the interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `try`/`except` inside the compiled region.
    Try,
    /// Enum construction or `match` on enum variants.
    Enum,
    /// `...spread` in an array or dict literal.
    Spread,
    /// Array destructuring with a rest pattern.
    Destructure,
    /// The operand stack has different shapes where paths meet.
    StackShape,
    /// A jump outside the function.
    BadJump,
    /// Type inference did not settle.
    NoFixpoint,
    /// The loop is entered with values on the operand stack.
    LoopStack,
    /// Too many exits even without type speculation.
    Blacklisted,
    /// Cranelift rejected the generated code (a bug; reported, not fatal).
    Codegen,
    /// An inconsistency the compiler detected in itself (a bug).
    Internal,
}

impl Refusal {
    /// The stable code: `unsupported-op: NAME` for language features the JIT
    /// does not compile, a plain kebab-case word otherwise.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Try => "unsupported-op: try",
            Refusal::Enum => "unsupported-op: enum",
            Refusal::Spread => "unsupported-op: spread",
            Refusal::Destructure => "unsupported-op: rest-pattern",
            Refusal::StackShape => "stack-shape",
            Refusal::BadJump => "bad-jump",
            Refusal::NoFixpoint => "no-type-fixpoint",
            Refusal::LoopStack => "loop-stack",
            Refusal::Blacklisted => "blacklisted",
            Refusal::Codegen => "codegen-error",
            Refusal::Internal => "internal",
        }
    }

    /// A plain-language explanation.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Try => "try/except is not compiled; this code runs in the interpreter",
            Refusal::Enum => "enum values and enum patterns are not compiled yet",
            Refusal::Spread => "spread (`...`) in literals is not compiled yet",
            Refusal::Destructure => "rest patterns in destructuring are not compiled yet",
            Refusal::StackShape => "operand stack shapes differ at a join point",
            Refusal::BadJump => "a jump leaves the function",
            Refusal::NoFixpoint => "type inference did not converge",
            Refusal::LoopStack => "the loop is entered with a non-empty operand stack",
            Refusal::Blacklisted => "the code left native code too often and was blacklisted",
            Refusal::Codegen => "the code generator rejected this code",
            Refusal::Internal => "internal JIT inconsistency",
        }
    }
}
