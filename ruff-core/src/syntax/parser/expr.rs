//! Expressions: precedence climbing for binary operators, then unary,
//! postfix and primary expressions.

use super::Parser;
use crate::diagnostics::codes;
use crate::syntax::ast::{ArrayItem, BinOp, DictItem, Expr, ExprKind, Ident, InterpPart, UnaryOp};
use crate::syntax::span::Span;
use crate::syntax::token::TokenKind;

/// Binary operators that take part in precedence climbing.
#[derive(Clone, Copy)]
enum Infix {
    Pipe,
    Bin(BinOp),
}

/// Operator and binding power; LANGUAGE.md §4, lowest first.
fn infix(kind: &TokenKind) -> Option<(Infix, u8)> {
    use TokenKind::*;
    Some(match kind {
        Pipe => (Infix::Pipe, 1),
        QuestionQuestion => (Infix::Bin(BinOp::Coalesce), 2),
        OrOr => (Infix::Bin(BinOp::Or), 3),
        AndAnd => (Infix::Bin(BinOp::And), 4),
        EqEq => (Infix::Bin(BinOp::Eq), 5),
        BangEq => (Infix::Bin(BinOp::Ne), 5),
        Lt => (Infix::Bin(BinOp::Lt), 6),
        Le => (Infix::Bin(BinOp::Le), 6),
        Gt => (Infix::Bin(BinOp::Gt), 6),
        Ge => (Infix::Bin(BinOp::Ge), 6),
        Plus => (Infix::Bin(BinOp::Add), 7),
        Minus => (Infix::Bin(BinOp::Sub), 7),
        Star => (Infix::Bin(BinOp::Mul), 8),
        Slash => (Infix::Bin(BinOp::Div), 8),
        Percent => (Infix::Bin(BinOp::Mod), 8),
        _ => return None,
    })
}

fn error_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Error,
        span,
    }
}

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Expr {
        self.binary(0)
    }

    /// An expression in the head of `if`/`while`/`for`/`match` or a guard,
    /// where `Name {` is the start of the block.
    pub(super) fn head_expr(&mut self) -> Expr {
        self.with_context(true, false, |p| p.expr())
    }

    /// An expression inside brackets: newlines are insignificant and struct
    /// literals are allowed again.
    fn group_expr(&mut self) -> Expr {
        self.with_context(false, true, |p| p.expr())
    }

    /// Parses operators with binding power >= `min_prec` (all left-associative).
    fn binary(&mut self, min_prec: u8) -> Expr {
        let mut lhs = self.unary();
        // Each operator applied here makes the tree one level deeper on the
        // left, so a long chain counts against the nesting limit.
        let mut links = 0;
        while let Some((op, prec)) = infix(self.kind()) {
            // `-` starting a line starts a new statement (see module docs).
            if prec < min_prec || (self.at(TokenKind::Minus) && self.at_line_start()) {
                break;
            }
            let op_span = self.bump().span;
            if !self.enter() {
                self.skip_expr();
                lhs = error_expr(self.span_from(lhs.span.start));
                break;
            }
            links += 1;
            let rhs = if self.operand_missing(op_span) {
                error_expr(Span::new(op_span.end, op_span.end))
            } else {
                self.binary(prec + 1)
            };
            let span = self.span_from(lhs.span.start);
            let kind = match op {
                Infix::Bin(op) => ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                // `x |> f(y)` is `f(x, y)`; `x |> f` is `f(x)`.
                Infix::Pipe => match rhs.kind {
                    ExprKind::Call {
                        callee,
                        mut args,
                        pipe: false,
                    } => {
                        args.insert(0, lhs);
                        ExprKind::Call {
                            callee,
                            args,
                            pipe: true,
                        }
                    }
                    kind => ExprKind::Call {
                        callee: Box::new(Expr {
                            kind,
                            span: rhs.span,
                        }),
                        args: vec![lhs],
                        pipe: true,
                    },
                },
            };
            lhs = Expr { kind, span };
        }
        self.depth -= links;
        lhs
    }

    fn unary(&mut self) -> Expr {
        if !self.enter() {
            let start = self.tok.span.start;
            self.skip_expr();
            return error_expr(self.span_from(start));
        }
        let start = self.tok.span.start;
        if self.in_group && self.at_new_statement() {
            // An unclosed bracket: leave the statement to the caller.
            self.error_expected("an expression");
            self.leave();
            return error_expr(self.here());
        }
        let op = match self.kind() {
            TokenKind::Bang => Some(UnaryOp::Not),
            TokenKind::Minus => Some(UnaryOp::Neg),
            _ => None,
        };
        let expr = match op {
            Some(UnaryOp::Neg)
                if matches!(self.nth(1).kind, TokenKind::Int(_) | TokenKind::Float(_)) =>
            {
                // A minus directly before a number literal folds into it, so
                // that `-9223372036854775808` is a valid int.
                self.bump();
                let lit = self.number(start, true);
                self.postfix(lit)
            }
            Some(op) => {
                self.bump();
                let operand = self.unary();
                Expr {
                    kind: ExprKind::Unary {
                        op,
                        expr: Box::new(operand),
                    },
                    span: self.span_from(start),
                }
            }
            None => {
                let primary = self.primary();
                self.postfix(primary)
            }
        };
        self.leave();
        expr
    }

    /// Consumes an int or float token, negated if `negative`; `start` is
    /// where the literal (including its minus sign) starts.
    pub(super) fn number(&mut self, start: u32, negative: bool) -> Expr {
        let tok = self.bump();
        let span = self.span_from(start);
        let kind = match tok.kind {
            TokenKind::Float(f) => ExprKind::Float(if negative { -f } else { f }),
            TokenKind::Int(v) if negative => ExprKind::Int(0i64.wrapping_sub_unsigned(v)),
            TokenKind::Int(v) => match i64::try_from(v) {
                Ok(v) => ExprKind::Int(v),
                Err(_) => {
                    self.error_at(
                        codes::LEX,
                        "integer literal is too large for a 64-bit integer",
                        tok.span,
                    );
                    ExprKind::Error
                }
            },
            _ => ExprKind::Error,
        };
        Expr { kind, span }
    }

    /// Calls, indexing and field access, applied left to right.
    fn postfix(&mut self, mut expr: Expr) -> Expr {
        let mut links = 0;
        loop {
            let applies = match self.kind() {
                // On a new line, `(` and `[` start a new statement.
                TokenKind::LParen | TokenKind::LBracket => !self.at_line_start(),
                TokenKind::Dot | TokenKind::QuestionDot => true,
                _ => false,
            };
            if !applies {
                break;
            }
            if !self.enter() {
                self.skip_expr();
                expr = error_expr(self.span_from(expr.span.start));
                break;
            }
            links += 1;
            let start = expr.span.start;
            let kind = match self.kind() {
                TokenKind::LParen => {
                    self.bump();
                    let args = self.with_context(false, true, |p| {
                        p.comma_list(TokenKind::RParen, "after the arguments", |p| Some(p.expr()))
                    });
                    ExprKind::Call {
                        callee: Box::new(expr),
                        args,
                        pipe: false,
                    }
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.group_expr();
                    self.expect(TokenKind::RBracket, "after the index");
                    ExprKind::Index {
                        object: Box::new(expr),
                        index: Box::new(index),
                    }
                }
                _ => {
                    let optional = self.bump().kind == TokenKind::QuestionDot;
                    let name = self.field_name(if optional { "?." } else { "." });
                    ExprKind::Field {
                        object: Box::new(expr),
                        name,
                        optional,
                    }
                }
            };
            expr = Expr {
                kind,
                span: self.span_from(start),
            };
        }
        self.depth -= links;
        expr
    }

    /// The name after `.` or `?.`. Keywords are allowed (`err.match` reads a
    /// dict key like any other). A missing name gives an empty one so that
    /// tools still see `obj.` as a field access on `obj`.
    fn field_name(&mut self, dot: &str) -> Ident {
        if self.at(TokenKind::Ident) || self.kind().is_keyword() {
            let tok = self.bump();
            return self.ident(tok.span);
        }
        self.error_expected(&format!("a field name after `{dot}`"));
        Ident {
            name: String::new(),
            span: self.here(),
        }
    }

    pub(super) fn ident(&self, span: Span) -> Ident {
        Ident {
            name: self.text(span).to_string(),
            span,
        }
    }

    /// `item, item, ...` up to `close`, which is consumed. Trailing commas are
    /// allowed. A missing comma is reported and parsing goes on as if it were
    /// there, as long as items keep consuming input. `item` returns `None`
    /// when it reported an error and consumed nothing useful.
    pub(super) fn comma_list<T>(
        &mut self,
        close: TokenKind,
        context: &str,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Vec<T> {
        let open_span = Span::new(self.prev_end.saturating_sub(1), self.prev_end);
        let mut items = Vec::new();
        let close_text = close.text().unwrap_or("");
        while !self.at(close.clone()) && !self.at(TokenKind::Eof) && !self.at_new_statement() {
            let before = self.tok.span.start;
            if let Some(it) = item(self) {
                items.push(it);
            }
            if self.eat(TokenKind::Comma) || self.at(close.clone()) {
                continue;
            }
            self.error_expected(&format!("`,` or `{close_text}` {context}"));
            let progressed = self.tok.span.start != before && !self.at_new_statement();
            let stuck = matches!(
                self.kind(),
                TokenKind::RParen
                    | TokenKind::RBracket
                    | TokenKind::RBrace
                    | TokenKind::Semi
                    | TokenKind::Eof
            );
            if !progressed || stuck {
                break;
            }
        }
        if !self.eat(close) {
            self.error_expected(&format!("`{close_text}` {context}"));
            self.label_last_error(open_span, "opened here");
        }
        items
    }

    pub(super) fn primary(&mut self) -> Expr {
        use TokenKind::*;
        let start = self.tok.span.start;
        match self.kind() {
            Int(_) | Float(_) => self.number(start, false),
            Str(_) | True | False | Null => {
                let tok = self.bump();
                let kind = match tok.kind {
                    Str(s) => ExprKind::Str(s),
                    True => ExprKind::Bool(true),
                    False => ExprKind::Bool(false),
                    _ => ExprKind::Null,
                };
                Expr {
                    kind,
                    span: tok.span,
                }
            }
            StrHead(_) => self.interpolation(),
            Ident => {
                let tok = self.bump();
                let name = self.ident(tok.span);
                if self.at(ColonColon) {
                    self.bump();
                    let kind = match self.name("a variant name after `::`") {
                        Some(variant) => ExprKind::Path {
                            enum_name: name,
                            variant,
                        },
                        None => ExprKind::Error,
                    };
                    return Expr {
                        kind,
                        span: self.span_from(start),
                    };
                }
                if self.struct_literal_ahead() {
                    return self.struct_literal(name);
                }
                Expr {
                    kind: ExprKind::Ident(name),
                    span: tok.span,
                }
            }
            // In a head, `{` is the block: `while {}` lacks its condition
            // rather than testing an empty dict.
            LBrace if self.no_struct => {
                self.error_expected("an expression");
                error_expr(self.here())
            }
            LParen | LBracket | LBrace => self.bracketed(),
            Func => {
                let func = self.func(false);
                Expr {
                    kind: ExprKind::Func(Box::new(func)),
                    span: self.span_from(start),
                }
            }
            TokenKind::Error => {
                // Already reported by the lexer.
                let tok = self.bump();
                error_expr(tok.span)
            }
            Reserved => {
                // `await x`, `spawn f()`: report once and skip the operand.
                let tok = self.bump();
                self.unsupported(tok.span);
                self.skip_expr();
                error_expr(self.span_from(start))
            }
            _ => {
                self.error_expected("an expression");
                error_expr(self.here())
            }
        }
    }

    /// `(expr)`, `[items]` or `{dict}`. Kept out of `primary` (and out of
    /// line) so that the frame recursion goes through stays small: these
    /// are the constructs that nest hundreds deep.
    #[inline(never)]
    fn bracketed(&mut self) -> Expr {
        use TokenKind::*;
        let open = self.bump();
        let start = open.span.start;
        let kind = match open.kind {
            LParen => {
                if self.at(RParen) {
                    self.error_expected("an expression inside `()`");
                    self.bump();
                    return error_expr(self.span_from(start));
                }
                let inner = self.group_expr();
                if !self.at(RParen) {
                    self.error_expected("`)` to close `(`");
                    self.label_last_error(open.span, "opened here");
                }
                self.eat(RParen);
                // The span includes the parentheses: diagnostics about
                // `(a + b)` should underline what the user wrote.
                inner.kind
            }
            LBracket => ExprKind::Array(self.with_context(false, true, |p| {
                p.comma_list(RBracket, "in the array", |p| {
                    Some(if p.eat(Ellipsis) {
                        ArrayItem::Spread(p.expr())
                    } else {
                        ArrayItem::Item(p.expr())
                    })
                })
            })),
            _ => ExprKind::Dict(self.with_context(false, true, |p| {
                p.comma_list(RBrace, "in the dict", |p| p.dict_item())
            })),
        };
        Expr {
            kind,
            span: self.span_from(start),
        }
    }

    fn dict_item(&mut self) -> Option<DictItem> {
        if self.eat(TokenKind::Ellipsis) {
            return Some(DictItem::Spread(self.expr()));
        }
        // `{name: v}` means the key "name", as in JavaScript.
        let key = if self.at(TokenKind::Ident) && self.nth(1).kind == TokenKind::Colon {
            let tok = self.bump();
            Expr {
                kind: ExprKind::Str(self.text(tok.span).to_string()),
                span: tok.span,
            }
        } else {
            self.expr()
        };
        if !self.expect(TokenKind::Colon, "after the dict key") {
            // `{"k" 1}`: take the value anyway if one follows, so the
            // missing `:` is the only error.
            let value_follows = !self.at_new_statement()
                && !matches!(
                    self.kind(),
                    TokenKind::Comma
                        | TokenKind::RBrace
                        | TokenKind::RParen
                        | TokenKind::RBracket
                        | TokenKind::Semi
                        | TokenKind::Eof
                );
            if !value_follows {
                return None;
            }
        }
        let value = self.expr();
        Some(DictItem::Pair(key, value))
    }

    /// After `Name`, a `{` on the same line opens a struct literal when it is
    /// followed by `}` or `field :` (or `field ,`/`field }`, so that the
    /// missing value is reported clearly). Anything else after `Name {` is
    /// not a struct literal, so an unrelated `x {` gets a plain syntax error.
    fn struct_literal_ahead(&mut self) -> bool {
        if self.no_struct || !self.at(TokenKind::LBrace) || self.tok.nl_before {
            return false;
        }
        match self.nth(1).kind {
            TokenKind::RBrace => true,
            TokenKind::Ident => matches!(
                self.nth(2).kind,
                TokenKind::Colon | TokenKind::Comma | TokenKind::RBrace
            ),
            _ => false,
        }
    }

    fn struct_literal(&mut self, name: Ident) -> Expr {
        let start = name.span.start;
        self.bump(); // `{`
        let fields = self.with_context(false, true, |p| {
            p.comma_list(TokenKind::RBrace, "in the struct literal", |p| {
                let field = p.name("a field name")?;
                if !p.expect(TokenKind::Colon, "after the field name") {
                    return None;
                }
                Some((field, p.expr()))
            })
        });
        Expr {
            kind: ExprKind::StructLit { name, fields },
            span: self.span_from(start),
        }
    }

    /// `"a ${x} b"`: the lexer gives `StrHead`, the tokens of `x`, then
    /// `StrMid`/`StrTail`.
    fn interpolation(&mut self) -> Expr {
        let start = self.tok.span.start;
        let mut parts = Vec::new();
        if let TokenKind::StrHead(text) = self.bump().kind {
            if !text.is_empty() {
                parts.push(InterpPart::Lit(text));
            }
        }
        loop {
            if matches!(self.kind(), TokenKind::StrMid(_) | TokenKind::StrTail(_)) {
                self.error_expected("an expression inside `${}`");
            } else {
                let expr = self.group_expr();
                parts.push(InterpPart::Expr(expr));
            }
            if !matches!(self.kind(), TokenKind::StrMid(_) | TokenKind::StrTail(_)) {
                self.error_expected("`}` to close `${`");
                self.skip_to_interpolation_end();
            }
            match self.kind() {
                TokenKind::StrMid(_) | TokenKind::StrTail(_) => {
                    let tail = matches!(self.kind(), TokenKind::StrTail(_));
                    if let TokenKind::StrMid(text) | TokenKind::StrTail(text) = self.bump().kind {
                        if !text.is_empty() {
                            parts.push(InterpPart::Lit(text));
                        }
                    }
                    if tail {
                        break;
                    }
                }
                _ => break, // end of file
            }
        }
        Expr {
            kind: ExprKind::Interp(parts),
            span: self.span_from(start),
        }
    }

    /// Skips to the `StrMid`/`StrTail` that ends the current `${...}`.
    fn skip_to_interpolation_end(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.kind() {
                TokenKind::Eof => return,
                TokenKind::StrHead(_) => depth += 1,
                TokenKind::StrMid(_) if depth == 0 => return,
                TokenKind::StrTail(_) => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.bump();
        }
    }
}
