//! Tokens → syntax tree: a hand-written recursive-descent parser with
//! precedence climbing for binary operators.
//!
//! Invariants (see also `syntax/mod.rs`):
//! - `parse` never panics and always returns a tree. Every error is recorded
//!   as a `Diagnostic` and parsing resumes at the next statement boundary
//!   (`sync_stmt`); what could not be parsed becomes `StmtKind::Error` /
//!   `ExprKind::Error`.
//! - Every loop in the parser either consumes a token or exits, so parsing
//!   is linear in the number of tokens.
//! - Recursion is bounded: every construct that nests (expressions, blocks,
//!   patterns, and the left-leaning chains `a + b + c`, `a.b.c`, `else if`)
//!   goes through `enter`, which reports `nesting too deep` past
//!   `MAX_NESTING`. So the tree depth is bounded too, and the compiler's
//!   recursive walks (and even `Drop`) cannot overflow the stack.
//!
//! Newlines: Ruff has no statement terminator besides newline and `;`. The
//! lexer flags every token that starts a new line (`nl_before`) and the
//! parser uses the flag in three places only:
//! - after a statement, the next token must be on a new line, or be `;`,
//!   `}` or the end of file;
//! - a token that could itself begin a statement — `(`, `[` and `-` — on a
//!   new line begins a new statement rather than continuing the expression
//!   (`f\n(x)` is two statements, not a call; `a\n[1]` is not an index;
//!   `a\n-1` is not a subtraction), as in Go and Lua. Every other operator
//!   continues the expression whether it ends the line (`a +\n b`) or starts
//!   the next one (`xs\n  |> map(f)`, `obj\n  .method()`);
//! - `return` takes a value only if it starts on the same line.
//!
//! Inside `(...)`, `[...]`, `{...}` literals and `${...}` (`in_group`)
//! newlines mean nothing, as in Python.

mod expr;
mod pattern;
mod stmt;

use std::collections::VecDeque;

use super::ast::Program;
use super::lexer::{Comment, Lexer};
use super::span::Span;
use super::token::{Token, TokenKind};
use super::{Parsed, MAX_NESTING, MAX_SOURCE_BYTES};
use crate::diagnostics::{codes, Diagnostic, Label};

/// At most this many diagnostics are reported per file. Parsing goes on
/// (the tree stays complete), but a 64 MiB file of garbage must not
/// allocate a diagnostic per byte, and nobody reads the thousandth error.
pub const MAX_ERRORS: usize = 1000;

pub fn parse(source: &str) -> Parsed {
    if source.len() > MAX_SOURCE_BYTES {
        return Parsed {
            program: Program::default(),
            errors: vec![Diagnostic::error(
                codes::LIMIT,
                format!(
                    "source file is too large ({} bytes; the limit is {} bytes)",
                    source.len(),
                    MAX_SOURCE_BYTES
                ),
                Span::new(0, 0),
            )],
        };
    }
    let mut parser = Parser::new(source, Lexer::new(source), false);
    let program = parser.program();
    parser.finish(program).0
}

/// `parse`, plus every token and comment of the source exactly as
/// `Lexer::tokenize_with_trivia` gives them, from the same single lexing
/// pass (the language server needs both for every edit).
pub fn parse_with_trivia(source: &str) -> (Parsed, Vec<Token>, Vec<Comment>) {
    if source.len() > MAX_SOURCE_BYTES {
        let eof = Token {
            kind: TokenKind::Eof,
            span: Span::new(0, 0),
            nl_before: false,
            doc: None,
        };
        return (parse(source), vec![eof], Vec::new());
    }
    let mut parser = Parser::new(source, Lexer::with_trivia(source), true);
    let program = parser.program();
    // The parser stops at the end of file, so every token was pulled.
    let comments = parser.lexer.take_trivia();
    let (parsed, tokens) = parser.finish(program);
    (parsed, tokens, comments)
}

pub(crate) struct Parser<'src> {
    src: &'src str,
    lexer: Lexer<'src>,
    /// The current token.
    tok: Token,
    /// Tokens after `tok` already pulled from the lexer (lookahead).
    ahead: VecDeque<Token>,
    /// End offset of the last consumed token, used to close node spans.
    prev_end: u32,
    errors: Vec<Diagnostic>,
    /// Current nesting depth, compared with `MAX_NESTING`.
    depth: usize,
    /// `nesting too deep` is reported once per file: one report is enough to
    /// understand the problem, and a generated file could trigger thousands.
    limit_reported: bool,
    /// In the head of `if`/`while`/`for`/`match` and in a match guard, where
    /// `Name {` opens the block instead of starting a struct literal.
    no_struct: bool,
    /// Inside brackets of an expression, where newlines are insignificant.
    in_group: bool,
    /// Every token pulled from the lexer, in order (`parse_with_trivia`).
    record: Option<Vec<Token>>,
}

impl<'src> Parser<'src> {
    fn new(src: &'src str, mut lexer: Lexer<'src>, record: bool) -> Parser<'src> {
        let tok = lexer.next_token();
        Parser {
            src,
            record: record.then(|| vec![tok.clone()]),
            lexer,
            tok,
            ahead: VecDeque::new(),
            prev_end: 0,
            errors: Vec::new(),
            depth: 0,
            limit_reported: false,
            no_struct: false,
            in_group: false,
        }
    }

    /// The next token from the lexer (after any lookahead).
    fn pull(&mut self) -> Token {
        let t = self.lexer.next_token();
        if let Some(r) = &mut self.record {
            r.push(t.clone());
        }
        t
    }

    fn finish(self, program: Program) -> (Parsed, Vec<Token>) {
        let mut errors = self.lexer.into_errors();
        errors.extend(self.errors);
        // Lexer and parser errors interleave; present them in file order.
        errors.sort_by_key(|d| d.span.start);
        if errors.len() >= MAX_ERRORS {
            errors.truncate(MAX_ERRORS);
            let at = errors.last().map_or(Span::default(), |d| d.span);
            errors.push(Diagnostic::error(
                codes::LIMIT,
                format!("too many errors; only the first {MAX_ERRORS} are shown"),
                at,
            ));
        }
        (Parsed { program, errors }, self.record.unwrap_or_default())
    }

    // ----- token access -----

    fn kind(&self) -> &TokenKind {
        &self.tok.kind
    }

    fn at(&self, kind: TokenKind) -> bool {
        self.tok.kind == kind
    }

    /// The token `n` positions ahead (`nth(0)` is the current one).
    fn nth(&mut self, n: usize) -> &Token {
        if n == 0 {
            return &self.tok;
        }
        while self.ahead.len() < n {
            let t = self.pull();
            self.ahead.push_back(t);
        }
        &self.ahead[n - 1]
    }

    fn bump(&mut self) -> Token {
        let next = match self.ahead.pop_front() {
            Some(t) => t,
            None => self.pull(),
        };
        let tok = std::mem::replace(&mut self.tok, next);
        if tok.kind != TokenKind::Eof {
            self.prev_end = tok.span.end;
        }
        tok
    }

    fn eat(&mut self, kind: TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes `kind` or reports "expected `kind` CONTEXT, found ...".
    fn expect(&mut self, kind: TokenKind, context: &str) -> bool {
        if self.at(kind.clone()) {
            self.bump();
            return true;
        }
        let what = kind.text().unwrap_or("token");
        self.error_expected(&format!("`{what}` {context}"));
        false
    }

    /// The current token starts a new line outside brackets.
    fn at_line_start(&self) -> bool {
        self.tok.nl_before && !self.in_group
    }

    fn text(&self, span: Span) -> &'src str {
        self.src.get(span.range()).unwrap_or("")
    }

    /// Span from `start` to the end of the last consumed token.
    fn span_from(&self, start: u32) -> Span {
        Span::new(start, self.prev_end.max(start))
    }

    /// An empty span at the current token, for nodes made of nothing.
    fn here(&self) -> Span {
        Span::new(self.tok.span.start, self.tok.span.start)
    }

    // ----- errors -----

    fn error_at(&mut self, code: &'static str, message: impl Into<String>, span: Span) {
        // One error per position: after a missing `)` the caller's "expected
        // `,`" and the statement's "expected newline" would all point at the
        // same token and say nothing new.
        if self
            .errors
            .last()
            .is_some_and(|e| e.span.start == span.start)
        {
            return;
        }
        self.push_error(Diagnostic::error(code, message, span));
    }

    fn push_error(&mut self, diagnostic: Diagnostic) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(diagnostic);
        }
    }

    /// "expected WHAT, found TOKEN" at the current token.
    fn error_expected(&mut self, what: &str) {
        if self.tok.kind == TokenKind::Error {
            return; // the lexer already reported this character
        }
        let found = self.tok.describe(self.src);
        self.error_at(
            codes::SYNTAX,
            format!("expected {what}, found {found}"),
            self.tok.span,
        );
    }

    /// Adds a secondary label to the error just reported at the current
    /// token (e.g. where an unclosed bracket was opened).
    fn label_last_error(&mut self, span: Span, message: &str) {
        let at = self.tok.span.start;
        if let Some(e) = self.errors.last_mut() {
            if e.span.start == at && e.labels.is_empty() {
                e.labels.push(Label {
                    span,
                    message: message.to_string(),
                });
            }
        }
    }

    fn unsupported(&mut self, span: Span) {
        let keyword = self.text(span);
        self.error_at(
            codes::UNSUPPORTED,
            format!("`{keyword}` is not supported yet"),
            span,
        );
    }

    // ----- nesting limit -----

    /// Enters one nesting level; false (after reporting) when too deep.
    fn enter(&mut self) -> bool {
        if self.depth >= MAX_NESTING {
            if !self.limit_reported {
                self.limit_reported = true;
                self.error_at(
                    codes::LIMIT,
                    format!("nesting too deep (the limit is {MAX_NESTING} levels)"),
                    self.tok.span,
                );
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ----- recovery -----

    /// The current token starts a line and can only begin a new statement:
    /// a statement keyword, `case`, `func name`, or `name` followed by an
    /// assignment operator. No expression continues with such a token, so
    /// recovery uses it to close brackets left open (`f(a` then `x := 1` on
    /// the next line) instead of swallowing the rest of the file.
    fn at_new_statement(&mut self) -> bool {
        use TokenKind::*;
        if !self.tok.nl_before {
            return false;
        }
        match self.kind() {
            Let | Mut | Const | If | While | For | Loop | Return | Break | Continue | Struct
            | Enum | Match | Try | Throw | Case => true,
            Func => self.nth(1).kind == Ident,
            Ident => matches!(
                self.nth(1).kind,
                ColonEq | Eq | PlusEq | MinusEq | StarEq | SlashEq | PercentEq
            ),
            _ => false,
        }
    }

    /// Reports a missing operand when the token after the operator at
    /// `op` (`+`, `:=`, ...) is the start of the next statement: `a := 1 +`
    /// at the end of a line would otherwise take the next line's target as
    /// its operand.
    fn operand_missing(&mut self, op: Span) -> bool {
        if !self.at_new_statement() {
            return false;
        }
        let op_text = self.text(op);
        self.error_at(
            codes::SYNTAX,
            format!("expected an expression after `{op_text}` at the end of the line"),
            op,
        );
        true
    }

    /// Skips to the end of the current statement: a newline, `;` or `}`
    /// outside any brackets opened while skipping, or the end of file.
    /// Stray `)` and `]` are skipped; a `}` is left for the enclosing block.
    /// A line that can only start a statement ends the skip even inside
    /// brackets, which were then left unclosed.
    fn sync_stmt(&mut self) {
        let mut depth = 0usize;
        loop {
            use TokenKind::*;
            if self.at_new_statement() {
                return;
            }
            match self.kind() {
                Eof => return,
                LParen | LBracket | LBrace | StrHead(_) => depth += 1,
                RBrace if depth == 0 => return,
                RParen | RBracket | RBrace | StrTail(_) => depth = depth.saturating_sub(1),
                Semi if depth == 0 => return,
                _ if depth == 0 && self.tok.nl_before => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Skips the rest of an expression without parsing it (used past the
    /// nesting limit and after an unsupported keyword): stops before a
    /// closing bracket, `,`, `;` or `:` that is not inside brackets opened
    /// while skipping, at a new line, and at `{` in a no-struct head (that is
    /// the block).
    fn skip_expr(&mut self) {
        let mut depth = 0usize;
        loop {
            use TokenKind::*;
            if self.at_new_statement() {
                return;
            }
            match self.kind() {
                Eof => return,
                LBrace if depth == 0 && self.no_struct => return,
                LParen | LBracket | LBrace | StrHead(_) => depth += 1,
                RParen | RBracket | RBrace | StrTail(_) => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                StrMid(_) | Comma | Semi | Colon if depth == 0 => return,
                _ if depth == 0 && self.at_line_start() => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Skips a balanced `{ ... }` group (the current token must be `{`).
    fn skip_braces(&mut self) {
        if !self.at(TokenKind::LBrace) {
            return;
        }
        let mut depth = 0usize;
        loop {
            match self.kind() {
                TokenKind::Eof => return,
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => {
                    depth -= 1;
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                _ => {}
            }
            if depth == 0 {
                return;
            }
            self.bump();
        }
    }

    /// Runs `f` with the struct-literal and newline context replaced, and
    /// restores it afterwards.
    fn with_context<T>(
        &mut self,
        no_struct: bool,
        in_group: bool,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let saved = (self.no_struct, self.in_group);
        self.no_struct = no_struct;
        self.in_group = in_group;
        let out = f(self);
        (self.no_struct, self.in_group) = saved;
        out
    }
}
