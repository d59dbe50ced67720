//! Source text → tokens.
//!
//! The lexer is pulled one token at a time by the parser (`next_token`)
//! rather than producing a vector up front: a 64 MiB file of one-byte tokens
//! would otherwise need gigabytes of token storage.
//!
//! Interpolated strings are split into several tokens so that the expression
//! inside `${...}` is lexed (and later parsed) in place, with real file
//! offsets: `"a${x}b${y}c"` becomes `StrHead("a") Ident StrMid("b") Ident
//! StrTail("c")`. A stack remembers, for each open `${`, how many `{` were
//! opened inside it, so the `}` that closes the interpolation is told apart
//! from the `}` of a dict literal inside it (`"${ {"a": 1}["a"] }"`).
//!
//! The lexer never fails: problems are recorded as `codes::LEX` diagnostics
//! and lexing continues.
//!
//! Decisions where LANGUAGE.md is silent:
//! - Strings may span lines (the newline is part of the string; `\r\n` is
//!   read as `\n`). An unterminated string is reported at its opening quote
//!   and, for recovery, ends at its first line break rather than swallowing
//!   the rest of the file.
//! - `////...` is a plain comment (a separator line); only `///` starts a
//!   doc comment, and one space after it is dropped.
//! - A UTF-8 byte order mark at the start of the file is skipped.
//! - Integer literals are decimal only; `_` may appear anywhere after the
//!   first digit.
//!
//! Trivia mode (`Lexer::with_trivia`, `tokenize_with_trivia`) also keeps
//! every comment's span and kind, for tools that show or fold comments (the
//! language server); the tokens are the same either way.

use super::parser::MAX_ERRORS;
use super::span::Span;
use super::token::{keyword, Token, TokenKind};
use crate::diagnostics::{codes, Diagnostic};

/// A comment kept by the trivia mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The whole comment, markers included (a line comment ends before its
    /// newline).
    pub span: Span,
    pub kind: CommentKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentKind {
    /// `#` or `//` (including `////` separators).
    Line,
    /// `///`.
    Doc,
    /// `/* ... */` (an unterminated one runs to the end of the text).
    Block,
}

pub struct Lexer<'src> {
    src: &'src str,
    bytes: &'src [u8],
    pos: usize,
    /// One entry per `${` not yet closed: (number of unclosed `{` opened
    /// inside it, offset of the `${`).
    interp: Vec<(u32, u32)>,
    /// `///` lines seen since the last token.
    doc: Option<String>,
    errors: Vec<Diagnostic>,
    /// Comments seen so far, when in trivia mode.
    trivia: Option<Vec<Comment>>,
}

impl<'src> Lexer<'src> {
    pub fn new(src: &'src str) -> Lexer<'src> {
        // A UTF-8 byte order mark is not part of the program.
        let pos = if src.starts_with('\u{feff}') { 3 } else { 0 };
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos,
            interp: Vec::new(),
            doc: None,
            errors: Vec::new(),
            trivia: None,
        }
    }

    /// A lexer that also keeps the comments (`into_trivia`).
    pub fn with_trivia(src: &'src str) -> Lexer<'src> {
        let mut lexer = Lexer::new(src);
        lexer.trivia = Some(Vec::new());
        lexer
    }

    /// The comments kept so far (empty unless made `with_trivia`).
    pub fn take_trivia(&mut self) -> Vec<Comment> {
        self.trivia.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Lex a whole text keeping its comments: (tokens, comments, errors).
    pub fn tokenize_with_trivia(src: &str) -> (Vec<Token>, Vec<Comment>, Vec<Diagnostic>) {
        let mut lexer = Lexer::with_trivia(src);
        let mut tokens = Vec::new();
        loop {
            let tok = lexer.next_token();
            let eof = tok.kind == TokenKind::Eof;
            tokens.push(tok);
            if eof {
                let comments = lexer.take_trivia();
                return (tokens, comments, lexer.errors);
            }
        }
    }

    fn keep(&mut self, start: usize, kind: CommentKind) {
        let mut end = self.pos;
        if kind != CommentKind::Block && end > start && self.bytes[end - 1] == b'\r' {
            end -= 1;
        }
        if let Some(t) = &mut self.trivia {
            t.push(Comment {
                span: Span::new(start as u32, end as u32),
                kind,
            });
        }
    }

    /// The lexical errors found so far.
    pub fn into_errors(self) -> Vec<Diagnostic> {
        self.errors
    }

    /// Lex a whole text (used by tests and tools that want a token list).
    pub fn tokenize(src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
        let mut lexer = Lexer::new(src);
        let mut tokens = Vec::new();
        loop {
            let tok = lexer.next_token();
            let eof = tok.kind == TokenKind::Eof;
            tokens.push(tok);
            if eof {
                return (tokens, lexer.errors);
            }
        }
    }

    fn error(&mut self, message: impl Into<String>, start: usize, end: usize) {
        if self.errors.len() >= MAX_ERRORS {
            return;
        }
        self.errors.push(Diagnostic::error(
            codes::LEX,
            message,
            Span::new(start as u32, end as u32),
        ));
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.bytes.get(self.pos + ahead).copied().unwrap_or(0)
    }

    /// Returns the next token; after the end of the text, `Eof` forever.
    pub fn next_token(&mut self) -> Token {
        let nl_before = self.skip_trivia();
        let start = self.pos;
        let kind = if start >= self.bytes.len() {
            self.report_unclosed_interpolations();
            TokenKind::Eof
        } else {
            self.lex_token()
        };
        Token {
            kind,
            span: Span::new(start as u32, self.pos as u32),
            nl_before,
            doc: self.doc.take(),
        }
    }

    fn report_unclosed_interpolations(&mut self) {
        while let Some((_, at)) = self.interp.pop() {
            let at = at as usize;
            self.error("unterminated string interpolation `${`", at, at + 2);
        }
    }

    /// Skips whitespace and comments, collecting `///` doc lines. Returns
    /// whether a newline was crossed.
    fn skip_trivia(&mut self) -> bool {
        let mut newline = false;
        loop {
            match self.peek(0) {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    newline = true;
                    self.pos += 1;
                }
                b'#' => {
                    let start = self.pos;
                    self.skip_line();
                    self.keep(start, CommentKind::Line);
                }
                b'/' if self.peek(1) == b'/' => {
                    let start = self.pos;
                    // `///` is a doc comment, but `////...` is a plain comment
                    // (a separator line), as in Rust.
                    if self.peek(2) == b'/' && self.peek(3) != b'/' {
                        let text_start = self.pos + 3;
                        self.skip_line();
                        let line = &self.src[text_start..self.pos];
                        let line = line.strip_suffix('\r').unwrap_or(line);
                        let line = line.strip_prefix(' ').unwrap_or(line);
                        match &mut self.doc {
                            Some(doc) => {
                                doc.push('\n');
                                doc.push_str(line);
                            }
                            None => self.doc = Some(line.to_string()),
                        }
                        self.keep(start, CommentKind::Doc);
                    } else {
                        self.skip_line();
                        self.keep(start, CommentKind::Line);
                    }
                }
                b'/' if self.peek(1) == b'*' => {
                    let start = self.pos;
                    match self.src[start + 2..].find("*/") {
                        Some(len) => {
                            let end = start + 2 + len + 2;
                            newline |= self.src[start..end].contains('\n');
                            self.pos = end;
                        }
                        None => {
                            self.error("unterminated block comment", start, start + 2);
                            self.pos = self.bytes.len();
                        }
                    }
                    self.keep(start, CommentKind::Block);
                }
                _ => return newline,
            }
        }
    }

    fn skip_line(&mut self) {
        match self.src[self.pos..].find('\n') {
            Some(n) => self.pos += n,
            None => self.pos = self.bytes.len(),
        }
    }

    fn lex_token(&mut self) -> TokenKind {
        use TokenKind::*;
        let c = self.peek(0);
        let start = self.pos;
        if c == b'.' && self.peek(1) == b'.' && self.peek(2) == b'.' {
            self.pos += 3;
            return Ellipsis;
        }
        // Two-byte operators before their one-byte prefixes.
        let kind = match &[c, self.peek(1)] {
            b":=" => ColonEq,
            b"::" => ColonColon,
            b"+=" => PlusEq,
            b"-=" => MinusEq,
            b"*=" => StarEq,
            b"/=" => SlashEq,
            b"%=" => PercentEq,
            b"==" => EqEq,
            b"!=" => BangEq,
            b"<=" => Le,
            b">=" => Ge,
            b"&&" => AndAnd,
            b"||" => OrOr,
            b"??" => QuestionQuestion,
            b"?." => QuestionDot,
            b"|>" => Pipe,
            b"->" => Arrow,
            _ => Error,
        };
        if kind != Error {
            self.pos += 2;
            return kind;
        }
        let single = match c {
            b'=' => Some(Eq),
            b'<' => Some(Lt),
            b'>' => Some(Gt),
            b'+' => Some(Plus),
            b'-' => Some(Minus),
            b'*' => Some(Star),
            b'/' => Some(Slash),
            b'%' => Some(Percent),
            b'!' => Some(Bang),
            b'.' => Some(Dot),
            b':' => Some(Colon),
            b',' => Some(Comma),
            b';' => Some(Semi),
            b'(' => Some(LParen),
            b')' => Some(RParen),
            b'[' => Some(LBracket),
            b']' => Some(RBracket),
            b'{' => {
                if let Some((depth, _)) = self.interp.last_mut() {
                    *depth += 1;
                }
                Some(LBrace)
            }
            b'}' => match self.interp.last_mut() {
                Some((0, _)) => {
                    // This `}` closes a `${`: the string resumes.
                    self.interp.pop();
                    self.pos += 1;
                    return self.string(b'"', start, true);
                }
                Some((depth, _)) => {
                    *depth -= 1;
                    Some(RBrace)
                }
                None => Some(RBrace),
            },
            _ => None,
        };
        if let Some(kind) = single {
            self.pos += 1;
            return kind;
        }
        match c {
            b'0'..=b'9' => self.number(),
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while matches!(self.peek(0), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') {
                    self.pos += 1;
                }
                keyword(&self.src[start..self.pos]).unwrap_or(Ident)
            }
            b'"' | b'\'' => {
                self.pos += 1;
                self.string(c, start, false)
            }
            _ => {
                let ch = self.src[start..].chars().next().unwrap_or('\u{fffd}');
                self.pos += ch.len_utf8();
                let hint = match ch {
                    '|' => "; did you mean `||` or `|>`?",
                    '&' => "; did you mean `&&`?",
                    '?' => "; did you mean `??` or `?.`?",
                    _ => "",
                };
                self.error(
                    format!("unexpected character `{}`{hint}", ch.escape_debug()),
                    start,
                    self.pos,
                );
                Error
            }
        }
    }

    fn number(&mut self) -> TokenKind {
        let start = self.pos;
        let digits = |lx: &mut Lexer| {
            while matches!(lx.peek(0), b'0'..=b'9' | b'_') {
                lx.pos += 1;
            }
        };
        digits(self);
        let mut is_float = false;
        if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
            is_float = true;
            self.pos += 1;
            digits(self);
        }
        if matches!(self.peek(0), b'e' | b'E') {
            let sign = usize::from(matches!(self.peek(1), b'+' | b'-'));
            if self.peek(1 + sign).is_ascii_digit() {
                is_float = true;
                self.pos += 1 + sign;
                digits(self);
            }
        }
        let text: String = self.src[start..self.pos]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        if is_float {
            // Rust's parser accepts every shape produced above.
            return TokenKind::Float(text.parse().unwrap_or(f64::NAN));
        }
        match text.parse::<u64>() {
            Ok(v) if v <= i64::MAX as u64 + 1 => TokenKind::Int(v),
            _ => {
                self.error(
                    "integer literal is too large for a 64-bit integer",
                    start,
                    self.pos,
                );
                // An `Error` token: the parser makes it an error node without
                // reporting it a second time.
                TokenKind::Error
            }
        }
    }

    /// Lexes string text up to the closing quote or a `${`. `pos` is just
    /// after the opening quote (or after the `}` closing an interpolation,
    /// when `resumed`).
    fn string(&mut self, quote: u8, start: usize, resumed: bool) -> TokenKind {
        let mut out = String::new();
        // Where the first line break inside the string is (offset, length of
        // `out` there): an unterminated string ends there instead of
        // swallowing the rest of the file.
        let mut first_newline = None;
        loop {
            // Copy a run of ordinary text in one go.
            let run_start = self.pos;
            while self.pos < self.bytes.len()
                && !matches!(
                    self.bytes[self.pos],
                    b'\\' | b'$' | b'\r' | b'\n' | b'"' | b'\''
                )
            {
                self.pos += 1;
            }
            out.push_str(&self.src[run_start..self.pos]);
            if self.pos >= self.bytes.len() {
                // Point at the opening quote: the rest of the file is not a
                // useful thing to underline.
                self.error("unterminated string literal", start, start + 1);
                if let Some((pos, len)) = first_newline {
                    self.pos = pos;
                    out.truncate(len);
                }
                return if resumed {
                    TokenKind::StrTail(out)
                } else {
                    TokenKind::Str(out)
                };
            }
            let c = self.bytes[self.pos];
            match c {
                _ if c == quote => {
                    self.pos += 1;
                    return if resumed {
                        TokenKind::StrTail(out)
                    } else {
                        TokenKind::Str(out)
                    };
                }
                b'$' if quote == b'"' && self.peek(1) == b'{' => {
                    self.interp.push((0, self.pos as u32));
                    self.pos += 2;
                    return if resumed {
                        TokenKind::StrMid(out)
                    } else {
                        TokenKind::StrHead(out)
                    };
                }
                b'\n' | b'\r' if c == b'\n' || self.peek(1) == b'\n' => {
                    // Strings may span lines. Keep their contents independent
                    // of the file's line endings.
                    first_newline.get_or_insert((self.pos, out.len()));
                    out.push('\n');
                    self.pos += if c == b'\r' { 2 } else { 1 };
                }
                b'\\' => self.escape(&mut out),
                _ => {
                    out.push(c as char);
                    self.pos += 1;
                }
            }
        }
    }

    /// Decodes one escape sequence; `pos` is at the backslash.
    fn escape(&mut self, out: &mut String) {
        let start = self.pos;
        self.pos += 1;
        let Some(ch) = self.src[self.pos..].chars().next() else {
            return; // the string loop reports the unterminated string
        };
        self.pos += ch.len_utf8();
        let decoded = match ch {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '\\' => '\\',
            '"' => '"',
            '\'' => '\'',
            '0' => '\0',
            '$' => '$',
            'u' => return self.unicode_escape(start, out),
            other => {
                self.error(
                    format!("unknown escape sequence `\\{}`", other.escape_debug()),
                    start,
                    self.pos,
                );
                out.push(other);
                return;
            }
        };
        out.push(decoded);
    }

    /// `\u{1F600}`: one to six hex digits naming a Unicode scalar value.
    fn unicode_escape(&mut self, start: usize, out: &mut String) {
        if self.peek(0) != b'{' {
            self.error("expected `{` after `\\u`", start, self.pos);
            return;
        }
        self.pos += 1;
        let digits_start = self.pos;
        while self.peek(0).is_ascii_hexdigit() {
            self.pos += 1;
        }
        let digits = &self.src[digits_start..self.pos];
        if self.peek(0) != b'}' {
            self.error("unterminated unicode escape: expected `}`", start, self.pos);
            return;
        }
        self.pos += 1;
        let value = if (1..=6).contains(&digits.len()) {
            u32::from_str_radix(digits, 16)
                .ok()
                .and_then(char::from_u32)
        } else {
            None
        };
        match value {
            Some(ch) => out.push(ch),
            None => self.error(
                format!("invalid unicode escape `\\u{{{digits}}}`"),
                start,
                self.pos,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let (toks, errors) = Lexer::tokenize(src);
        assert!(errors.is_empty(), "{errors:?}");
        toks.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn trivia_mode_keeps_comments_and_the_same_tokens() {
        let src = "a # c\r\n// c\n/* x\n */ b /* y */ c\n/// one\n//// no\nfunc \"# not\" /* open";
        let (plain, _) = Lexer::tokenize(src);
        let (toks, comments, _) = Lexer::tokenize_with_trivia(src);
        assert_eq!(plain, toks);
        let got: Vec<(&str, CommentKind)> = comments
            .iter()
            .map(|c| (&src[c.span.range()], c.kind))
            .collect();
        use CommentKind::*;
        assert_eq!(
            got,
            vec![
                ("# c", Line),
                ("// c", Line),
                ("/* x\n */", Block),
                ("/* y */", Block),
                ("/// one", Doc),
                ("//// no", Line),
                ("/* open", Block)
            ]
        );
    }

    #[test]
    fn operators() {
        assert_eq!(
            kinds(":= = += -= *= /= %= == != < <= > >= + - * / % ! && || ?? ?. |> ... . :: : , ( ) [ ] { } ->"),
            vec![
                ColonEq, Eq, PlusEq, MinusEq, StarEq, SlashEq, PercentEq, EqEq, BangEq, Lt, Le,
                Gt, Ge, Plus, Minus, Star, Slash, Percent, Bang, AndAnd, OrOr, QuestionQuestion,
                QuestionDot, Pipe, Ellipsis, Dot, ColonColon, Colon, Comma, Semi, LParen, RParen,
                LBracket, RBracket, LBrace, RBrace, Arrow, Eof
            ]
            .into_iter()
            .filter(|k| *k != Semi)
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1_000_000 1.5 1e3 2.5e-3 9223372036854775808 0"),
            vec![
                Int(1_000_000),
                Float(1.5),
                Float(1000.0),
                Float(0.0025),
                Int(9223372036854775808),
                Int(0),
                Eof
            ]
        );
        let (_, errors) = Lexer::tokenize("9223372036854775809");
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            kinds(r#""a\n\t\r\\\"\'\0\$\u{1F600}" 'x${y}'"#),
            vec![Str("a\n\t\r\\\"'\0$😀".into()), Str("x${y}".into()), Eof]
        );
        let (_, errors) = Lexer::tokenize(r#""\q" "\u{110000}""#);
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn interpolation_nests() {
        assert_eq!(
            kinds(r#""a${d["k"]}b${ {"x": 1}["x"] }""#),
            vec![
                StrHead("a".into()),
                Ident,
                LBracket,
                Str("k".into()),
                RBracket,
                StrMid("b".into()),
                LBrace,
                Str("x".into()),
                Colon,
                Int(1),
                RBrace,
                LBracket,
                Str("x".into()),
                RBracket,
                StrTail("".into()),
                Eof
            ]
        );
    }

    #[test]
    fn comments_newlines_and_docs() {
        let (toks, errors) = Lexer::tokenize(
            "a # c\r\n// c\n/* x\n */ b /* y */ c\n/// one\n///  two\n//// no\nfunc",
        );
        assert!(errors.is_empty());
        let flags: Vec<bool> = toks.iter().map(|t| t.nl_before).collect();
        // a, b, c, func, end of file
        assert_eq!(flags, vec![false, true, false, true, false]);
        assert_eq!(toks[3].doc.as_deref(), Some("one\n two"));
        let (_, errors) = Lexer::tokenize("/* never closed");
        assert_eq!(errors.len(), 1);
    }
}
