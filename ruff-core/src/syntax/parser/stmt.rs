//! Statements, blocks and declarations (functions, structs, enums).

use super::Parser;
use crate::diagnostics::{codes, Diagnostic, Label};
use crate::syntax::ast::{
    AssignOp, Block, DeclKind, EnumDecl, Expr, ExprKind, FieldDecl, FuncDecl, Ident, MatchArm,
    Param, Pattern, PatternKind, Program, Stmt, StmtKind, StructDecl,
};
use crate::syntax::span::Span;
use crate::syntax::token::TokenKind;

fn assign_op(kind: &TokenKind) -> Option<AssignOp> {
    Some(match kind {
        TokenKind::ColonEq => AssignOp::Walrus,
        TokenKind::Eq => AssignOp::Assign,
        TokenKind::PlusEq => AssignOp::AddAssign,
        TokenKind::MinusEq => AssignOp::SubAssign,
        TokenKind::StarEq => AssignOp::MulAssign,
        TokenKind::SlashEq => AssignOp::DivAssign,
        TokenKind::PercentEq => AssignOp::ModAssign,
        _ => return None,
    })
}

/// Statements that end with a block need no newline or `;` after them, so
/// `if x { a() } b()` is accepted as in Rust.
fn ends_with_block(kind: &StmtKind) -> bool {
    matches!(
        kind,
        StmtKind::If { .. }
            | StmtKind::While { .. }
            | StmtKind::Loop { .. }
            | StmtKind::For { .. }
            | StmtKind::Try { .. }
            | StmtKind::Match { .. }
            | StmtKind::Func(_)
            | StmtKind::Struct(_)
            | StmtKind::Enum(_)
            | StmtKind::Unsupported { .. }
            | StmtKind::Error
    )
}

impl Parser<'_> {
    pub(super) fn program(&mut self) -> Program {
        Program {
            stmts: self.stmts(true),
        }
    }

    /// Statements up to a `}` (left for the caller) or the end of file.
    fn stmts(&mut self, top_level: bool) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        loop {
            while self.eat(TokenKind::Semi) {}
            match self.kind() {
                TokenKind::Eof => break,
                TokenKind::RBrace if !top_level => break,
                TokenKind::RBrace => {
                    self.error_at(codes::SYNTAX, "unmatched `}`", self.tok.span);
                    self.bump();
                    continue;
                }
                _ => {}
            }
            let before = self.tok.span.start;
            let stmt = self.stmt();
            let needs_end = !ends_with_block(&stmt.kind);
            stmts.push(stmt);
            if needs_end {
                self.stmt_end(false);
            }
            // Guarantee progress whatever went wrong.
            if self.tok.span.start == before && !self.at(TokenKind::Eof) {
                self.bump();
            }
        }
        stmts
    }

    /// After a statement: a newline, `;`, `}` or the end of file (and `case`
    /// after a one-statement match arm).
    fn stmt_end(&mut self, in_arm: bool) {
        match self.kind() {
            TokenKind::Semi => {
                self.bump();
            }
            TokenKind::Comma if in_arm => {
                self.bump();
            }
            TokenKind::Case if in_arm => {}
            TokenKind::RBrace | TokenKind::Eof => {}
            _ if self.tok.nl_before => {}
            _ => {
                self.error_expected("a new line or `;` after the statement");
                self.sync_stmt();
            }
        }
    }

    /// `{ stmts }`. `context` completes "expected `{` ...".
    pub(super) fn block(&mut self, context: &str) -> Block {
        let start = self.tok.span.start;
        if !self.at(TokenKind::LBrace) {
            self.error_expected(&format!("`{{` {context}"));
            if !self.tok.nl_before {
                self.sync_stmt();
            }
            return Block {
                stmts: Vec::new(),
                span: self.here(),
            };
        }
        if !self.enter() {
            self.skip_braces();
            return Block {
                stmts: Vec::new(),
                span: self.span_from(start),
            };
        }
        let open = self.bump().span;
        let stmts = self.with_context(false, false, |p| p.stmts(false));
        self.close_brace(open, "to close the block");
        self.leave();
        Block {
            stmts,
            span: self.span_from(start),
        }
    }

    /// Expects the `}` matching the `{` at `open`.
    fn close_brace(&mut self, open: Span, context: &str) {
        if self.eat(TokenKind::RBrace) {
            return;
        }
        let found = self.tok.describe(self.src);
        // Several blocks left open at the end of the file: one error with a
        // label per unclosed `{` reads better than one error each.
        if let Some(last) = self.errors.last_mut() {
            if last.span.start == self.tok.span.start && last.message.starts_with("expected `}`") {
                last.labels.push(Label {
                    span: open,
                    message: "unclosed `{` opened here".to_string(),
                });
                return;
            }
        }
        if self.tok.kind != TokenKind::Error {
            self.push_error(
                Diagnostic::error(
                    codes::SYNTAX,
                    format!("expected `}}` {context}, found {found}"),
                    self.tok.span,
                )
                .with_label(open, "unclosed `{` opened here"),
            );
        }
    }

    /// A name: an identifier, or a reserved keyword used as one (reported
    /// as unsupported but kept, so the rest of the statement still parses).
    pub(super) fn name(&mut self, what: &str) -> Option<Ident> {
        match self.kind() {
            TokenKind::Ident => {
                let tok = self.bump();
                Some(self.ident(tok.span))
            }
            TokenKind::Reserved => {
                let tok = self.bump();
                self.unsupported(tok.span);
                Some(self.ident(tok.span))
            }
            _ => {
                self.error_expected(what);
                None
            }
        }
    }

    fn stmt(&mut self) -> Stmt {
        use TokenKind::*;
        let start = self.tok.span.start;
        // `func name` declares; `func (` is a function expression statement.
        let func_decl = self.at(Func) && matches!(self.nth(1).kind, Ident | Reserved);
        let kind = match self.kind() {
            Let | Mut | Const => self.decl(),
            If => return self.if_stmt(),
            While => {
                self.bump();
                let cond = self.head_expr();
                let body = self.block("after the `while` condition");
                StmtKind::While { cond, body }
            }
            Loop => {
                self.bump();
                StmtKind::Loop {
                    body: self.block("after `loop`"),
                }
            }
            For => self.for_stmt(),
            Return => {
                self.bump();
                // The value must start on the same line as `return`.
                let bare = self.tok.nl_before || matches!(self.kind(), RBrace | Semi | Eof | Case);
                StmtKind::Return(if bare { None } else { Some(self.expr()) })
            }
            Break => {
                self.bump();
                StmtKind::Break
            }
            Continue => {
                self.bump();
                StmtKind::Continue
            }
            Throw => {
                self.bump();
                StmtKind::Throw(self.expr())
            }
            Try => self.try_stmt(),
            Match => self.match_stmt(),
            Func if func_decl => StmtKind::Func(self.func(true)),
            Struct => self.struct_decl(),
            Enum => self.enum_decl(),
            Reserved => {
                let tok = self.bump();
                self.unsupported(tok.span);
                self.sync_stmt();
                StmtKind::Unsupported {
                    keyword: self.text(tok.span).to_string(),
                }
            }
            Else | Case | Except => {
                let what = match self.kind() {
                    Else => "`else` without a matching `if`",
                    Case => "`case` outside of a `match`",
                    _ => "`except` without a matching `try`",
                };
                self.error_at(codes::SYNTAX, what, self.tok.span);
                self.bump();
                self.sync_stmt();
                StmtKind::Error
            }
            _ => self.expr_or_assign(),
        };
        Stmt {
            kind,
            span: self.span_from(start),
        }
    }

    /// Reports `a := b := 1` (any assignment operator after a complete
    /// assignment) and skips the rest.
    fn reject_chained_assignment(&mut self) {
        if assign_op(self.kind()).is_some() {
            self.push_error(
                Diagnostic::error(
                    codes::CHAINED_ASSIGNMENT,
                    "chained assignment is not allowed: an assignment is a statement, not a value",
                    self.tok.span,
                )
                .with_help("split it into one assignment per line"),
            );
            self.sync_stmt();
        }
    }

    /// The value after an assignment operator at `op`.
    fn value_after(&mut self, op: Span) -> Expr {
        if self.operand_missing(op) {
            return Expr {
                kind: ExprKind::Error,
                span: Span::new(op.end, op.end),
            };
        }
        self.expr()
    }

    fn expr_or_assign(&mut self) -> StmtKind {
        let target = self.expr();
        let Some(op) = assign_op(self.kind()) else {
            return StmtKind::Expr(target);
        };
        let op_span = self.bump().span;
        let value = self.value_after(op_span);
        self.reject_chained_assignment();
        let valid = match &target.kind {
            ExprKind::Ident(_) | ExprKind::Index { .. } => true,
            ExprKind::Field { optional, .. } => !optional,
            // Already reported where it failed to parse.
            ExprKind::Error => return StmtKind::Error,
            _ => false,
        };
        if !valid {
            self.push_error(
                Diagnostic::error(
                    codes::INVALID_ASSIGNMENT_TARGET,
                    "invalid assignment target: only a name, an index `a[i]` or a field `a.b` can be assigned",
                    target.span,
                ),
            );
            return StmtKind::Error;
        }
        StmtKind::Assign { target, op, value }
    }

    fn decl(&mut self) -> StmtKind {
        let kind = match self.bump().kind {
            TokenKind::Let => DeclKind::Let,
            TokenKind::Mut => DeclKind::Mut,
            _ => DeclKind::Const,
        };
        let Some(pattern) = self.bind_pattern() else {
            self.sync_stmt();
            return StmtKind::Error;
        };
        let op_span = self.tok.span;
        if !self.eat(TokenKind::ColonEq) {
            if self.at(TokenKind::Eq) {
                // Keep going: the intent is clear and the value may hold more errors.
                self.push_error(
                    Diagnostic::error(
                        codes::SYNTAX,
                        "expected `:=` in a declaration, found `=`",
                        self.tok.span,
                    )
                    .with_help("declarations bind with `:=`, as in `let x := 1`"),
                );
                self.bump();
            } else {
                self.error_expected("`:=` after the declared name");
                self.sync_stmt();
                return StmtKind::Error;
            }
        }
        let value = self.value_after(op_span);
        self.reject_chained_assignment();
        StmtKind::Decl {
            kind,
            pattern,
            value,
        }
    }

    fn if_stmt(&mut self) -> Stmt {
        let start = self.tok.span.start;
        self.bump();
        let cond = self.head_expr();
        let then_block = self.block("after the `if` condition");
        let else_branch = if self.at(TokenKind::Else) {
            let else_start = self.bump().span.start;
            let branch = if self.at(TokenKind::If) {
                // An `else if` chain nests in the tree, so it counts as nesting.
                if self.enter() {
                    let nested = self.if_stmt();
                    self.leave();
                    nested
                } else {
                    self.sync_stmt();
                    while self.eat(TokenKind::Else) {
                        self.sync_stmt();
                    }
                    Stmt {
                        kind: StmtKind::Error,
                        span: self.span_from(else_start),
                    }
                }
            } else {
                let block = self.block("after `else`");
                let span = block.span;
                Stmt {
                    kind: StmtKind::Block(block),
                    span,
                }
            };
            Some(Box::new(branch))
        } else {
            None
        };
        Stmt {
            kind: StmtKind::If {
                cond,
                then_block,
                else_branch,
            },
            span: self.span_from(start),
        }
    }

    fn for_stmt(&mut self) -> StmtKind {
        self.bump();
        let Some(pattern) = self.bind_pattern() else {
            self.sync_stmt();
            return StmtKind::Error;
        };
        if !self.expect(TokenKind::In, "after the loop variable") {
            self.sync_stmt();
            return StmtKind::Error;
        }
        let iterable = self.head_expr();
        let body = self.block("after the `for` iterable");
        StmtKind::For {
            pattern,
            iterable,
            body,
        }
    }

    fn try_stmt(&mut self) -> StmtKind {
        self.bump();
        let body = self.block("after `try`");
        if !self.at(TokenKind::Except) {
            self.error_expected("`except` after the `try` block");
            if !self.tok.nl_before {
                self.sync_stmt();
            }
            return StmtKind::Try {
                body,
                err_name: None,
                handler: Block {
                    stmts: Vec::new(),
                    span: self.here(),
                },
                except_span: self.here(),
            };
        }
        let except_span = self.bump().span;
        let err_name = if matches!(self.kind(), TokenKind::Ident | TokenKind::Reserved) {
            self.name("the error name")
        } else {
            None
        };
        let handler = self.block("after `except`");
        StmtKind::Try {
            body,
            err_name,
            handler,
            except_span,
        }
    }

    fn match_stmt(&mut self) -> StmtKind {
        self.bump();
        let scrutinee = self.head_expr();
        let mut arms = Vec::new();
        if !self.at(TokenKind::LBrace) {
            self.error_expected("`{` after the `match` value");
            if !self.tok.nl_before {
                self.sync_stmt();
            }
        } else if !self.enter() {
            self.skip_braces();
        } else {
            let open = self.bump().span;
            self.with_context(false, false, |p| loop {
                while p.eat(TokenKind::Comma) || p.eat(TokenKind::Semi) {}
                match p.kind() {
                    TokenKind::RBrace | TokenKind::Eof => break,
                    TokenKind::Case => arms.push(p.arm()),
                    _ => {
                        p.error_expected("`case` or `}` in `match`");
                        p.bump();
                        p.sync_stmt();
                    }
                }
            });
            self.close_brace(open, "to close the `match`");
            self.leave();
        }
        StmtKind::Match { scrutinee, arms }
    }

    /// `case PATTERN [if GUARD] [:] BODY`, BODY a block or one statement.
    fn arm(&mut self) -> MatchArm {
        let start = self.bump().span.start;
        let pattern = match self.pattern() {
            Some(p) => p,
            None => {
                // Skip the rest of the bad pattern up to the guard, `:` or
                // block; the arm stays in the tree as a wildcard (the error
                // keeps the program from running).
                let at = self.here();
                self.with_context(true, false, |p| p.skip_expr());
                Pattern {
                    kind: PatternKind::Wildcard,
                    span: at,
                }
            }
        };
        let guard = if self.eat(TokenKind::If) {
            Some(self.head_expr())
        } else {
            None
        };
        self.eat(TokenKind::Colon);
        let body = match self.kind() {
            TokenKind::LBrace => self.block(""),
            TokenKind::Case | TokenKind::RBrace | TokenKind::Eof => {
                self.error_expected("a block or a statement after the `case` pattern");
                Block {
                    stmts: Vec::new(),
                    span: self.here(),
                }
            }
            _ => {
                let stmt = self.stmt();
                if !ends_with_block(&stmt.kind) {
                    self.stmt_end(true);
                }
                let span = stmt.span;
                Block {
                    stmts: vec![stmt],
                    span,
                }
            }
        };
        MatchArm {
            pattern,
            guard,
            body,
            span: self.span_from(start),
        }
    }

    /// `func [name](params) [-> type] { body }`; `named` is false for a
    /// function expression, which must not have a name.
    pub(super) fn func(&mut self, named: bool) -> FuncDecl {
        let func_tok = self.bump();
        let start = func_tok.span.start;
        let name = if matches!(self.kind(), TokenKind::Ident | TokenKind::Reserved) {
            let name = self.name("a function name");
            if !named {
                if let Some(n) = &name {
                    self.error_at(
                        codes::SYNTAX,
                        "a function expression cannot have a name; write `name := func(...) { }` or declare it with `func name(...) { }`",
                        n.span,
                    );
                }
            }
            name
        } else {
            if named {
                self.error_expected("a function name after `func`");
            }
            None
        };
        let mut params = Vec::new();
        if self.expect(TokenKind::LParen, "to start the parameter list") {
            params = self.with_context(false, true, |p| {
                p.comma_list(TokenKind::RParen, "after the parameters", |p| {
                    let name = p.name("a parameter name")?;
                    let ty = if p.eat(TokenKind::Colon) {
                        p.type_ann()
                    } else {
                        None
                    };
                    Some(Param { name, ty })
                })
            });
        }
        let ret = if self.eat(TokenKind::Arrow) {
            self.type_ann()
        } else {
            None
        };
        let body = self.block("to start the function body");
        FuncDecl {
            name,
            params,
            ret,
            body,
            doc: func_tok.doc,
            span: self.span_from(start),
        }
    }

    fn struct_decl(&mut self) -> StmtKind {
        let tok = self.bump();
        let start = tok.span.start;
        let Some(name) = self.name("a struct name") else {
            self.sync_stmt();
            return StmtKind::Error;
        };
        let mut fields = Vec::new();
        let mut methods = Vec::new();
        if self.at(TokenKind::LBrace) {
            let open = self.bump().span;
            // Fields and methods in any order, separated by commas, `;` or newlines.
            loop {
                while self.eat(TokenKind::Comma) || self.eat(TokenKind::Semi) {}
                let before = self.tok.span.start;
                match self.kind() {
                    TokenKind::RBrace | TokenKind::Eof => break,
                    TokenKind::Func => {
                        let method = self.func(true);
                        methods.push(method);
                    }
                    TokenKind::Ident | TokenKind::Reserved => {
                        if let Some(field) = self.field_decl() {
                            fields.push(field);
                        }
                        if !matches!(
                            self.kind(),
                            TokenKind::Comma | TokenKind::Semi | TokenKind::RBrace | TokenKind::Eof
                        ) && !self.tok.nl_before
                        {
                            self.error_expected("`,` or a new line after the field");
                            self.bump();
                            self.sync_stmt();
                        }
                    }
                    _ => {
                        self.error_expected("a field or a method in the struct");
                        self.bump();
                        self.sync_stmt();
                    }
                }
                if self.tok.span.start == before && !self.at(TokenKind::Eof) {
                    self.bump();
                }
            }
            self.close_brace(open, "to close the struct");
        } else {
            self.error_expected("`{` after the struct name");
        }
        StmtKind::Struct(StructDecl {
            name,
            fields,
            methods,
            doc: tok.doc,
            span: self.span_from(start),
        })
    }

    /// `name [: type] [= default]`
    fn field_decl(&mut self) -> Option<FieldDecl> {
        let name = self.name("a field name")?;
        let ty = if self.eat(TokenKind::Colon) {
            self.type_ann()
        } else {
            None
        };
        let default: Option<Expr> = if self.eat(TokenKind::Eq) {
            Some(self.with_context(false, false, |p| p.expr()))
        } else {
            None
        };
        Some(FieldDecl { name, ty, default })
    }

    fn enum_decl(&mut self) -> StmtKind {
        let tok = self.bump();
        let start = tok.span.start;
        let Some(name) = self.name("an enum name") else {
            self.sync_stmt();
            return StmtKind::Error;
        };
        let mut variants = Vec::new();
        if self.at(TokenKind::LBrace) {
            let open = self.bump().span;
            loop {
                while self.eat(TokenKind::Comma) || self.eat(TokenKind::Semi) {}
                let before = self.tok.span.start;
                match self.kind() {
                    TokenKind::RBrace | TokenKind::Eof => break,
                    TokenKind::Ident | TokenKind::Reserved => {
                        if let Some(v) = self.name("a variant name") {
                            variants.push(v);
                        }
                        // A payload type `Circle(float)` is accepted and
                        // ignored: any variant may carry one value.
                        if self.at(TokenKind::LParen) {
                            self.bump();
                            self.with_context(false, true, |p| p.skip_expr());
                            self.expect(TokenKind::RParen, "after the variant's payload type");
                        }
                    }
                    _ => {
                        self.error_expected("a variant name in the enum");
                        self.bump();
                        self.sync_stmt();
                    }
                }
                if self.tok.span.start == before && !self.at(TokenKind::Eof) {
                    self.bump();
                }
            }
            self.close_brace(open, "to close the enum");
        } else {
            self.error_expected("`{` after the enum name");
        }
        StmtKind::Enum(EnumDecl {
            name,
            variants,
            doc: tok.doc,
            span: self.span_from(start),
        })
    }
}
