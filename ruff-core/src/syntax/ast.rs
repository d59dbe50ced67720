//! The syntax tree. Every node carries the byte `Span` it was parsed from.
//! The parser never fails: unparseable regions become `StmtKind::Error` /
//! `ExprKind::Error` nodes and the errors are reported alongside the tree.

use super::span::Span;

/// A whole `.ruff` file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    pub stmts: Vec<Stmt>,
}

/// An identifier occurrence (a use or a declaration) with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `{ stmt* }`; `span` covers the braces.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclKind {
    Let,
    Mut,
    Const,
}

/// The operator of an assignment statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssignOp {
    /// `target := value`: updates the nearest visible binding, else declares a
    /// new mutable one (only when the target is a plain name).
    Walrus,
    /// `target = value`: the binding must already exist.
    Assign,
    AddAssign,
    SubAssign,
    MulAssign,
    DivAssign,
    ModAssign,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (usually a call).
    Expr(Expr),
    /// `let|mut|const pattern := value`.
    Decl {
        kind: DeclKind,
        pattern: BindPattern,
        value: Expr,
    },
    /// `target := value`, `target = value`, `target op= value`. The target is
    /// an `Ident`, `Index` or `Field` expression (the parser reports others).
    Assign {
        target: Expr,
        op: AssignOp,
        value: Expr,
    },
    /// `if cond { } else if cond { } else { }`; `else_branch` is either a
    /// `Block` or another `If` statement.
    If {
        cond: Expr,
        then_block: Block,
        else_branch: Option<Box<Stmt>>,
    },
    /// Used for a plain `else { ... }` as the `else_branch` of an `If`.
    Block(Block),
    While {
        cond: Expr,
        body: Block,
    },
    Loop {
        body: Block,
    },
    /// `for pattern in iterable { }`; the pattern is a name or an array
    /// pattern such as `[i, x]`.
    For {
        pattern: BindPattern,
        iterable: Expr,
        body: Block,
    },
    Return(Option<Expr>),
    Break,
    Continue,
    /// `throw expr` (usually written `throw(expr)`).
    Throw(Expr),
    /// `try { } except name { }` (the name is optional).
    Try {
        body: Block,
        err_name: Option<Ident>,
        handler: Block,
        /// Span of the `except` keyword (for diagnostics).
        except_span: Span,
    },
    Match {
        scrutinee: Expr,
        arms: Vec<MatchArm>,
    },
    Func(FuncDecl),
    Struct(StructDecl),
    Enum(EnumDecl),
    /// A reserved but unsupported construct (`import`, `async`, `spawn`,
    /// `test`, ...). The parser has already reported it.
    Unsupported {
        keyword: String,
    },
    /// A statement that could not be parsed (the error is in `Parsed::errors`).
    Error,
}

/// A binding pattern on the left of `let`/`mut`/`const` or after `for`.
#[derive(Clone, Debug, PartialEq)]
pub enum BindPattern {
    Name(Ident),
    /// `[a, b, ...rest]`; elements may nest.
    Array {
        items: Vec<BindPattern>,
        rest: Option<Ident>,
        span: Span,
    },
    /// `{x, y}` reads `d["x"]`, `d["y"]` (or struct fields).
    Dict {
        keys: Vec<Ident>,
        span: Span,
    },
}

impl BindPattern {
    pub fn span(&self) -> Span {
        match self {
            BindPattern::Name(id) => id.span,
            BindPattern::Array { span, .. } | BindPattern::Dict { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    /// The arm body; a single statement after `:` is wrapped in a block.
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    /// `_`
    Wildcard,
    /// A bare identifier other than `None`/`Ok`/`Err`/`Some`: binds anything.
    Binding(Ident),
    /// An int, float (possibly negative), string, bool or null literal;
    /// compared with `==`.
    Literal(Expr),
    /// `Ok(p)`, `Err(p)`, `Some(p)`, `None`, `Color::Red`, `Shape::Circle(p)`.
    /// `enum_name` is `None` for the built-in constructors.
    Variant {
        enum_name: Option<Ident>,
        variant: Ident,
        payload: Option<Box<Pattern>>,
    },
}

/// A type annotation; parsed, kept as text, checked only where cheap.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeAnn {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: Option<TypeAnn>,
}

/// `func name(params) -> ret { body }` or an anonymous `func(params) { }`.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDecl {
    pub name: Option<Ident>,
    pub params: Vec<Param>,
    pub ret: Option<TypeAnn>,
    pub body: Block,
    /// The `///` doc comment lines directly above, joined with `\n`.
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: Option<TypeAnn>,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StructDecl {
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub methods: Vec<FuncDecl>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    pub name: Ident,
    pub variants: Vec<Ident>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `&&` (short-circuit, gives a bool)
    And,
    /// `||` (short-circuit, gives a bool)
    Or,
    /// `??`
    Coalesce,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Coalesce => "??",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
}

/// An element of an array literal.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayItem {
    Item(Expr),
    /// `...expr`
    Spread(Expr),
}

/// An entry of a dict literal. A bare identifier key (`{a: 1}`) means the
/// string `"a"`, as in JavaScript; the parser turns it into a `Str` key.
#[derive(Clone, Debug, PartialEq)]
pub enum DictItem {
    Pair(Expr, Expr),
    /// `...expr`
    Spread(Expr),
}

/// A piece of an interpolated string `"a ${expr} b"`.
#[derive(Clone, Debug, PartialEq)]
pub enum InterpPart {
    Lit(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Str(String),
    /// A double-quoted string containing `${...}`.
    Interp(Vec<InterpPart>),
    Bool(bool),
    Null,
    Ident(Ident),
    Array(Vec<ArrayItem>),
    Dict(Vec<DictItem>),
    /// `Name { field: value, ... }`
    StructLit {
        name: Ident,
        fields: Vec<(Ident, Expr)>,
    },
    /// `Enum::Variant` (a call of it supplies the payload).
    Path {
        enum_name: Ident,
        variant: Ident,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `callee(args)`; a call whose callee is a `Field` is a method call.
    /// `x |> f(y)` is parsed as `Call { callee: f, args: [x, y] }` with
    /// `pipe: true`.
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
        pipe: bool,
    },
    Index {
        object: Box<Expr>,
        index: Box<Expr>,
    },
    /// `object.name`, or `object?.name` when `optional`.
    Field {
        object: Box<Expr>,
        name: Ident,
        optional: bool,
    },
    /// An anonymous function `func(params) { body }`.
    Func(Box<FuncDecl>),
    /// An expression that could not be parsed.
    Error,
}
