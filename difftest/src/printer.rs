//! Pretty-printing a `Program` as Ruff source.
//!
//! The output is unambiguous by construction: every binary operation is
//! parenthesised, negative literals and struct literals are in parentheses
//! (so `-` never joins a previous line and `Name {` never opens a block in an
//! `if` head), and multi-line constructs (blocks, lambdas) only appear where
//! a statement may span lines.

use std::fmt::Write;

use crate::ast::*;

pub fn print_program(p: &Program) -> String {
    let mut out = Printer::default();
    for item in &p.items {
        out.item(item);
    }
    out.block_body(&p.main);
    out.text
}

#[derive(Default)]
struct Printer {
    text: String,
    indent: usize,
}

impl Printer {
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.text.push_str("    ");
        }
        self.text.push_str(s);
        self.text.push('\n');
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Func(f) => self.func("func", f),
            Item::Struct(s) => {
                self.line(&format!("struct {} {{", s.name));
                self.indent += 1;
                for f in &s.fields {
                    match &f.default {
                        Some(d) => self.line(&format!("{} = {},", f.name, expr(d))),
                        None => self.line(&format!("{},", f.name)),
                    }
                }
                for m in &s.methods {
                    let mut params = Vec::new();
                    if m.takes_self {
                        params.push("self".to_string());
                    }
                    params.extend(m.params.iter().cloned());
                    self.line(&format!("func {}({}) {{", m.name, params.join(", ")));
                    self.indented(&m.body);
                    self.line("}");
                }
                self.indent -= 1;
                self.line("}");
            }
        }
    }

    fn func(&mut self, keyword: &str, f: &Func) {
        self.line(&format!("{keyword} {}({}) {{", f.name, f.params.join(", ")));
        self.indented(&f.body);
        self.line("}");
    }

    fn indented(&mut self, b: &Block) {
        self.indent += 1;
        self.block_body(b);
        self.indent -= 1;
    }

    fn block_body(&mut self, b: &Block) {
        for s in b {
            self.stmt(s);
        }
    }

    /// A value on the right of `:=`, `=` or `return`: lambdas span lines.
    fn value_line(&mut self, prefix: &str, e: &Expr) {
        if let Expr::Lambda(params, body) = e {
            self.line(&format!("{prefix}func({}) {{", params.join(", ")));
            self.indented(body);
            self.line("}");
        } else {
            self.line(&format!("{prefix}{}", expr(e)));
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Decl { kind, name, value } => {
                let kw = match kind {
                    DeclKind::Mut => "mut",
                    DeclKind::Let => "let",
                };
                self.value_line(&format!("{kw} {name} := "), value);
            }
            Stmt::Assign { target, op, value } => {
                let (t, plain) = match target {
                    Target::Var(n) => (n.clone(), "="),
                    Target::Index(n, i) => (format!("{n}[{}]", expr(i)), ":="),
                    Target::Field(n, f) => (format!("{n}.{f}"), ":="),
                };
                let op = match op {
                    AssignOp::Set => plain,
                    AssignOp::Add => "+=",
                    AssignOp::Sub => "-=",
                    AssignOp::Mul => "*=",
                    AssignOp::Div => "/=",
                    AssignOp::Mod => "%=",
                };
                self.value_line(&format!("{t} {op} "), value);
            }
            Stmt::Expr(e) => self.line(&expr(e)),
            Stmt::If { cond, then, els } => {
                self.line(&format!("if {} {{", expr(cond)));
                self.indented(then);
                let mut els = els.as_ref();
                // `else if` chains print flat.
                while let Some(b) = els {
                    if let [Stmt::If {
                        cond,
                        then,
                        els: next,
                    }] = b.as_slice()
                    {
                        self.line(&format!("}} else if {} {{", expr(cond)));
                        self.indented(then);
                        els = next.as_ref();
                    } else {
                        self.line("} else {");
                        self.indented(b);
                        els = None;
                    }
                }
                self.line("}");
            }
            Stmt::ForRange {
                var,
                start,
                end,
                body,
            } => {
                self.line(&format!(
                    "for {var} in range({}, {}) {{",
                    int(*start),
                    int(*end)
                ));
                self.indented(body);
                self.line("}");
            }
            Stmt::ForIn { var, iter, body } => {
                self.line(&format!("for {var} in {} {{", expr(iter)));
                self.indented(body);
                self.line("}");
            }
            Stmt::While {
                counter,
                limit,
                cond,
                body,
            } => {
                self.line(&format!("mut {counter} := 0"));
                match cond {
                    Some(c) => self.line(&format!("while {counter} < {limit} && {} {{", expr(c))),
                    None => self.line(&format!("while {counter} < {limit} {{")),
                }
                self.indent += 1;
                self.line(&format!("{counter} += 1"));
                self.indent -= 1;
                self.indented(body);
                self.line("}");
            }
            Stmt::Loop {
                counter,
                limit,
                body,
            } => {
                self.line(&format!("mut {counter} := 0"));
                self.line("loop {");
                self.indent += 1;
                self.line(&format!("{counter} += 1"));
                self.line(&format!("if {counter} > {limit} {{"));
                self.line("    break");
                self.line("}");
                self.indent -= 1;
                self.indented(body);
                self.line("}");
            }
            Stmt::Break => self.line("break"),
            Stmt::Continue => self.line("continue"),
            Stmt::Return(None) => self.line("return"),
            Stmt::Return(Some(e)) => self.value_line("return ", e),
            Stmt::Try { body, var, handler } => {
                self.line("try {");
                self.indented(body);
                self.line(&format!("}} except {var} {{"));
                self.indented(handler);
                self.line("}");
            }
            Stmt::Throw(e) => self.line(&format!("throw({})", expr(e))),
            Stmt::FuncDecl(f) => self.func("func", f),
        }
    }
}

fn int(i: i64) -> String {
    if i < 0 {
        format!("({i})")
    } else {
        i.to_string()
    }
}

fn float(f: f64) -> String {
    debug_assert!(f.is_finite(), "only finite float literals");
    // `{:?}` is the shortest text that round-trips and always has a `.` or
    // an exponent, so it reads back as a float.
    let s = format!("{f:?}");
    if f.is_sign_negative() {
        format!("({s})")
    } else {
        s
    }
}

fn escape(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

fn args(list: &[Expr]) -> String {
    list.iter().map(expr).collect::<Vec<_>>().join(", ")
}

pub fn expr(e: &Expr) -> String {
    match e {
        Expr::Int(i) => int(*i),
        Expr::Float(f) => float(*f),
        Expr::Str(s) => {
            let mut out = String::from("\"");
            escape(s, &mut out);
            out.push('"');
            out
        }
        Expr::Bool(b) => b.to_string(),
        Expr::Null => "null".into(),
        Expr::Var(n) => n.clone(),
        Expr::Bin(op, a, b) => format!("({} {} {})", expr(a), op.text(), expr(b)),
        Expr::Not(a) => format!("!{}", atom(a)),
        Expr::Neg(a) => format!("(-{})", atom(a)),
        Expr::Call(f, a) => format!("{}({})", atom(f), args(a)),
        Expr::Method(r, name, a) => format!("{}.{name}({})", atom(r), args(a)),
        Expr::Index(b, i) => format!("{}[{}]", atom(b), expr(i)),
        Expr::Field(b, f) => format!("{}.{f}", atom(b)),
        Expr::Array(items) => format!("[{}]", args(items)),
        Expr::Dict(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", expr(k), expr(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Expr::StructLit(name, fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|(f, v)| format!("{f}: {}", expr(v)))
                .collect();
            if parts.is_empty() {
                format!("({name} {{}})")
            } else {
                format!("({name} {{ {} }})", parts.join(", "))
            }
        }
        // Only ever the whole value of a statement (see `value_line`); kept
        // well-formed anyway.
        Expr::Lambda(params, body) => {
            let mut p = Printer::default();
            p.block_body(body);
            format!("func({}) {{\n{}}}", params.join(", "), p.text)
        }
        Expr::Interp(texts, parts) => {
            let mut out = String::from("\"");
            for (i, t) in texts.iter().enumerate() {
                escape(t, &mut out);
                if let Some(p) = parts.get(i) {
                    let _ = write!(out, "${{{}}}", expr(p));
                }
            }
            out.push('"');
            out
        }
    }
}

/// An operand of a postfix operator or of `!`: wrapped in parentheses unless
/// it already binds tighter.
fn atom(e: &Expr) -> String {
    match e {
        Expr::Var(_)
        | Expr::Call(..)
        | Expr::Method(..)
        | Expr::Index(..)
        | Expr::Field(..)
        | Expr::Array(_)
        | Expr::Str(_)
        | Expr::Interp(..)
        | Expr::Bool(_)
        | Expr::Null
        | Expr::Bin(..)
        | Expr::Neg(_)
        | Expr::StructLit(..) => expr(e),
        // Numbers too: `(5).len()`, not `5.len()`.
        _ => format!("({})", expr(e)),
    }
}
