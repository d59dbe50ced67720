//! The structured form of a generated program. The generator builds it, the
//! printer turns it into Ruff source, and the shrinker edits it (removes
//! statements, unwraps blocks, simplifies expressions) without ever having
//! to parse text.
//!
//! Loops are bounded by construction: `for` runs over a literal range or a
//! finite collection, and `while` / `loop` carry their own iteration counter
//! (declared, incremented and tested by the printer, never a separate
//! statement the shrinker could remove), so every program terminates.

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Functions and structs, printed first.
    pub items: Vec<Item>,
    /// The top-level statements.
    pub main: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Func(Func),
    Struct(StructDef),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Func {
    pub name: String,
    pub params: Vec<String>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StructDef {
    pub name: String,
    pub fields: Vec<Field>,
    pub methods: Vec<Method>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    pub name: String,
    /// The first parameter is `self` (the method may write fields).
    pub takes_self: bool,
    pub params: Vec<String>,
    pub body: Block,
}

pub type Block = Vec<Stmt>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Mut,
    Let,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `x = e` for a variable, `x[i] := e` / `x.f := e` otherwise.
    Set,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Var(String),
    /// `name[index]`
    Index(String, Expr),
    /// `name.field` (`self.field` in methods)
    Field(String, String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    Decl {
        kind: DeclKind,
        name: String,
        value: Expr,
    },
    Assign {
        target: Target,
        op: AssignOp,
        value: Expr,
    },
    Expr(Expr),
    If {
        cond: Expr,
        then: Block,
        els: Option<Block>,
    },
    /// `for var in range(start, end) { body }`
    ForRange {
        var: String,
        start: i64,
        end: i64,
        body: Block,
    },
    /// `for var in iter { body }` over an array, dict or string.
    ForIn {
        var: String,
        iter: Expr,
        body: Block,
    },
    /// `mut counter := 0` / `while counter < limit && cond { counter += 1 ... }`
    While {
        counter: String,
        limit: u32,
        cond: Option<Expr>,
        body: Block,
    },
    /// `mut counter := 0` / `loop { counter += 1; if counter > limit { break } ... }`
    Loop {
        counter: String,
        limit: u32,
        body: Block,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    Try {
        body: Block,
        var: String,
        handler: Block,
    },
    Throw(Expr),
    /// A named function declared inside a block (a closure over its
    /// enclosing locals).
    FuncDecl(Func),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    And,
    Or,
    Coalesce,
}

impl BinOp {
    pub fn text(self) -> &'static str {
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

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Var(String),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    /// `callee(args)`
    Call(Box<Expr>, Vec<Expr>),
    /// `receiver.name(args)`
    Method(Box<Expr>, String, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Field(Box<Expr>, String),
    Array(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    /// `(Name { field: value, ... })`
    StructLit(String, Vec<(String, Expr)>),
    /// `func(params) { body }`; printed on several lines, so the generator
    /// only places it as the whole value of a declaration, assignment or
    /// `return`.
    Lambda(Vec<String>, Block),
    /// `"text${a}text${b}"`: literal text pieces around interpolations.
    Interp(Vec<String>, Vec<Expr>),
}

impl Expr {
    pub fn var(name: &str) -> Expr {
        Expr::Var(name.to_string())
    }

    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Bin(op, Box::new(a), Box::new(b))
    }

    pub fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call(Box::new(Expr::var(name)), args)
    }

    pub fn method(recv: Expr, name: &str, args: Vec<Expr>) -> Expr {
        Expr::Method(Box::new(recv), name.to_string(), args)
    }

    pub fn index(base: Expr, idx: Expr) -> Expr {
        Expr::Index(Box::new(base), Box::new(idx))
    }

    pub fn field(base: Expr, name: &str) -> Expr {
        Expr::Field(Box::new(base), name.to_string())
    }

    pub fn str(s: &str) -> Expr {
        Expr::Str(s.to_string())
    }

    pub fn logical_not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }
}

impl Stmt {
    pub fn print(args: Vec<Expr>) -> Stmt {
        Stmt::Expr(Expr::call("print", args))
    }

    pub fn decl(name: &str, value: Expr) -> Stmt {
        Stmt::Decl {
            kind: DeclKind::Mut,
            name: name.to_string(),
            value,
        }
    }

    pub fn set(name: &str, value: Expr) -> Stmt {
        Stmt::Assign {
            target: Target::Var(name.to_string()),
            op: AssignOp::Set,
            value,
        }
    }

    pub fn op_set(name: &str, op: AssignOp, value: Expr) -> Stmt {
        Stmt::Assign {
            target: Target::Var(name.to_string()),
            op,
            value,
        }
    }

    pub fn if_then(cond: Expr, then: Block) -> Stmt {
        Stmt::If {
            cond,
            then,
            els: None,
        }
    }
}
