//! Token kinds produced by the lexer and consumed by the parser.
//!
//! Newlines are not tokens: Ruff separates statements by newlines or `;`, but
//! only the parser knows where a newline ends a statement, so the lexer marks
//! each token with `nl_before` instead and the parser decides.

use super::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// `[A-Za-z_][A-Za-z0-9_]*` that is not a keyword; the name is the span's text.
    Ident,
    /// An integer literal. It is kept unsigned because `9223372036854775808`
    /// (one past `i64::MAX`) is valid when a unary minus folds into it; the
    /// parser rejects it anywhere else. Larger values are a lexer error.
    Int(u64),
    Float(f64),
    /// A string without interpolation, escapes already decoded.
    Str(String),
    /// `"text${` — the start of an interpolated string, up to the first `${`.
    StrHead(String),
    /// `}text${` — literal text between two interpolations.
    StrMid(String),
    /// `}text"` — the literal text after the last interpolation.
    StrTail(String),

    // Keywords.
    Func,
    Let,
    Mut,
    Const,
    If,
    Else,
    For,
    In,
    While,
    Loop,
    Return,
    Break,
    Continue,
    Match,
    Case,
    Try,
    Except,
    Throw,
    Struct,
    Enum,
    True,
    False,
    Null,
    /// `import from async await spawn test`: reserved, not supported yet.
    /// The keyword itself is the span's text.
    Reserved,

    // Operators and punctuation.
    /// `:=`
    ColonEq,
    /// `=`
    Eq,
    PlusEq,
    MinusEq,
    StarEq,
    SlashEq,
    PercentEq,
    /// `==`
    EqEq,
    /// `!=`
    BangEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    AndAnd,
    OrOr,
    /// `??`
    QuestionQuestion,
    /// `?.`
    QuestionDot,
    /// `|>`
    Pipe,
    /// `...`
    Ellipsis,
    Dot,
    /// `::`
    ColonColon,
    Colon,
    Comma,
    Semi,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    /// `->`
    Arrow,

    /// A character the lexer could not use. The lexer has already reported
    /// it, so the parser never reports a second error at this token.
    Error,
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// At least one newline separates this token from the previous one.
    pub nl_before: bool,
    /// The `///` doc comment lines directly before this token, joined with
    /// `\n`. Only `func`, `struct` and `enum` keywords make use of it.
    pub doc: Option<String>,
}

/// Keyword lookup for an identifier-shaped word.
pub fn keyword(word: &str) -> Option<TokenKind> {
    use TokenKind::*;
    Some(match word {
        "func" => Func,
        "let" => Let,
        "mut" => Mut,
        "const" => Const,
        "if" => If,
        "else" => Else,
        "for" => For,
        "in" => In,
        "while" => While,
        "loop" => Loop,
        "return" => Return,
        "break" => Break,
        "continue" => Continue,
        "match" => Match,
        "case" => Case,
        "try" => Try,
        "except" => Except,
        "throw" => Throw,
        "struct" => Struct,
        "enum" => Enum,
        "true" => True,
        "false" => False,
        "null" => Null,
        "import" | "from" | "async" | "await" | "spawn" | "test" => Reserved,
        _ => return None,
    })
}

impl TokenKind {
    /// The fixed spelling of a keyword or punctuation token, for messages.
    pub fn text(&self) -> Option<&'static str> {
        use TokenKind::*;
        Some(match self {
            Func => "func",
            Let => "let",
            Mut => "mut",
            Const => "const",
            If => "if",
            Else => "else",
            For => "for",
            In => "in",
            While => "while",
            Loop => "loop",
            Return => "return",
            Break => "break",
            Continue => "continue",
            Match => "match",
            Case => "case",
            Try => "try",
            Except => "except",
            Throw => "throw",
            Struct => "struct",
            Enum => "enum",
            True => "true",
            False => "false",
            Null => "null",
            ColonEq => ":=",
            Eq => "=",
            PlusEq => "+=",
            MinusEq => "-=",
            StarEq => "*=",
            SlashEq => "/=",
            PercentEq => "%=",
            EqEq => "==",
            BangEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            Bang => "!",
            AndAnd => "&&",
            OrOr => "||",
            QuestionQuestion => "??",
            QuestionDot => "?.",
            Pipe => "|>",
            Ellipsis => "...",
            Dot => ".",
            ColonColon => "::",
            Colon => ":",
            Comma => ",",
            Semi => ";",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Arrow => "->",
            Ident | Int(_) | Float(_) | Str(_) | StrHead(_) | StrMid(_) | StrTail(_) | Reserved
            | Error | Eof => return None,
        })
    }

    pub fn is_keyword(&self) -> bool {
        use TokenKind::*;
        matches!(
            self,
            Func | Let
                | Mut
                | Const
                | If
                | Else
                | For
                | In
                | While
                | Loop
                | Return
                | Break
                | Continue
                | Match
                | Case
                | Try
                | Except
                | Throw
                | Struct
                | Enum
                | True
                | False
                | Null
                | Reserved
        )
    }
}

impl Token {
    /// How the token is named in "found ..." parts of error messages.
    pub fn describe(&self, source: &str) -> String {
        let text = source.get(self.span.range()).unwrap_or("");
        match &self.kind {
            TokenKind::Ident => format!("identifier `{text}`"),
            TokenKind::Int(_) | TokenKind::Float(_) => format!("number `{text}`"),
            TokenKind::Str(_) | TokenKind::StrHead(_) => "a string".to_string(),
            TokenKind::StrMid(_) | TokenKind::StrTail(_) => "the rest of a string".to_string(),
            TokenKind::Reserved => format!("reserved keyword `{text}`"),
            TokenKind::Error => format!("`{text}`"),
            TokenKind::Eof => "end of file".to_string(),
            kind if kind.is_keyword() => format!("keyword `{text}`"),
            _ => format!("`{text}`"),
        }
    }
}
