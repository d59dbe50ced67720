//! What surrounds the cursor while the user types, when the text there may
//! not parse yet (`p.` or `push(a, `): read from ruff-core's own tokens and
//! comments (`Lexer::tokenize_with_trivia`, kept in the `Analysis`), never
//! from a second lexer. Whether the cursor is in a comment or a string, the
//! identifier being typed, the name before a `.` or `::`, and the call whose
//! parentheses enclose the cursor.

use ruff_core::syntax::token::{keyword, Token, TokenKind};

use crate::analysis::Analysis;

/// Index of the first token that starts at or after `offset`.
fn first_at_or_after(tokens: &[Token], offset: u32) -> usize {
    tokens.partition_point(|t| t.span.start < offset)
}

fn is_string(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Str(_) | TokenKind::StrHead(_) | TokenKind::StrMid(_) | TokenKind::StrTail(_)
    )
}

fn is_word(a: &Analysis, t: &Token) -> bool {
    t.kind == TokenKind::Ident || keyword(a.slice(t.span)).is_some()
}

/// Inside a comment or a string literal's text (not an interpolation).
pub fn in_comment_or_string(a: &Analysis, offset: u32) -> bool {
    let text_len = a.text.len() as u32;
    let in_comment = a.comments.iter().any(|c| {
        // A line comment runs to its line end; an unterminated block
        // comment to the end of the file.
        c.span.start < offset
            && (offset < c.span.end
                || (offset == c.span.end && !a.slice(c.span).ends_with("*/"))
                || (offset == text_len
                    && c.span.end == text_len
                    && !a.slice(c.span).ends_with("*/")))
    });
    if in_comment {
        return true;
    }
    let i = first_at_or_after(&a.tokens, offset);
    let Some(t) = i.checked_sub(1).map(|j| &a.tokens[j]) else {
        return false;
    };
    if !is_string(&t.kind) || offset > t.span.end {
        return false;
    }
    if offset < t.span.end {
        return true;
    }
    // At its end: inside only if the string is still open (no closing
    // quote or `${` yet).
    let s = a.slice(t.span);
    let closed = match &t.kind {
        TokenKind::StrHead(_) | TokenKind::StrMid(_) => s.ends_with("${"),
        _ => s.len() >= 2 && (s.ends_with('"') || s.ends_with('\'')) && !s.ends_with("\\\""),
    };
    !closed
}

/// Start of the identifier (or keyword prefix) that ends at `offset`; equal
/// to `offset` if none does.
pub fn word_start(a: &Analysis, offset: u32) -> u32 {
    let i = first_at_or_after(&a.tokens, offset);
    match i.checked_sub(1).map(|j| &a.tokens[j]) {
        Some(t) if is_word(a, t) && t.span.end == offset => t.span.start,
        _ => offset,
    }
}

/// What comes right before the word at `word_start`: `name.` or `Name::`.
#[derive(Debug, PartialEq, Eq)]
pub enum Before<'a> {
    /// `receiver.` (the receiver's name, empty if not a plain name).
    Dot(&'a str, u32),
    /// `Name::`.
    Path(&'a str),
    Nothing,
}

pub fn before(a: &Analysis, word_start: u32) -> Before<'_> {
    let i = first_at_or_after(&a.tokens, word_start);
    let Some(sep) = i.checked_sub(1).map(|j| &a.tokens[j]) else {
        return Before::Nothing;
    };
    let name = i
        .checked_sub(2)
        .map(|j| &a.tokens[j])
        .filter(|t| t.kind == TokenKind::Ident && t.span.end == sep.span.start)
        .map_or("", |t| a.slice(t.span));
    match sep.kind {
        TokenKind::Dot | TokenKind::QuestionDot => Before::Dot(name, sep.span.start),
        TokenKind::ColonColon => Before::Path(name),
        _ => Before::Nothing,
    }
}

/// The innermost call whose `(` is open at `offset`: the callee name's
/// start and end, and the commas seen at the call's own nesting level.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenCall {
    pub name_start: u32,
    pub name_end: u32,
    pub commas: usize,
}

pub fn open_call(a: &Analysis, offset: u32) -> Option<OpenCall> {
    // (index of the opening token, commas) for each open bracket.
    let mut opens: Vec<(usize, usize)> = Vec::new();
    let end = first_at_or_after(&a.tokens, offset);
    for (i, t) in a.tokens[..end].iter().enumerate() {
        match t.kind {
            TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => opens.push((i, 0)),
            TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                opens.pop();
            }
            TokenKind::Comma => {
                if let Some(o) = opens.last_mut() {
                    o.1 += 1;
                }
            }
            _ => {}
        }
    }
    let &(i, commas) = opens
        .iter()
        .rev()
        .find(|(i, _)| a.tokens[*i].kind == TokenKind::LParen)?;
    let callee = a.tokens.get(i.checked_sub(1)?)?;
    (callee.kind == TokenKind::Ident).then_some(OpenCall {
        name_start: callee.span.start,
        name_end: callee.span.end,
        commas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    #[test]
    fn comments_and_strings_come_from_the_core_lexer() {
        let t = "x := \"a ${b} c\" # note\n/* block\n*/ y := \"line one\nline two\"\n";
        let a = analysis(t);
        let at = |s: &str| t.find(s).unwrap() as u32;
        assert!(!in_comment_or_string(&a, at("x")));
        assert!(in_comment_or_string(&a, at("a ")));
        assert!(!in_comment_or_string(&a, at("b}")), "interpolation is code");
        assert!(in_comment_or_string(&a, at(" c")));
        assert!(in_comment_or_string(&a, at("note")));
        assert!(in_comment_or_string(&a, at("block")));
        assert!(!in_comment_or_string(&a, at(" y")));
        // A multi-line string (which the old text scanner got wrong).
        assert!(in_comment_or_string(&a, at("line two")));
        assert!(!in_comment_or_string(&a, t.len() as u32));
    }

    #[test]
    fn words_receivers_and_open_calls() {
        let t = "p.na\nEnum::V\nf(a, g(\"x, y\", [1, 2]), ";
        let a = analysis(t);
        let end_na = t.find("na").unwrap() as u32 + 2;
        let ws = word_start(&a, end_na);
        assert_eq!(ws, end_na - 2);
        assert_eq!(before(&a, ws), Before::Dot("p", 1));
        let v = t.find("V").unwrap() as u32;
        assert_eq!(before(&a, word_start(&a, v + 1)), Before::Path("Enum"));
        let call = open_call(&a, t.len() as u32).unwrap();
        assert_eq!(&t[call.name_start as usize..call.name_end as usize], "f");
        assert_eq!(call.commas, 2);
    }
}
