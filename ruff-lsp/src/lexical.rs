//! Text-level scanning for the features that must work while the user is
//! typing, when the text around the cursor does not parse yet (`p.` or
//! `push(a, `): where identifiers start, whether the cursor is in a comment
//! or a string, which call's parentheses enclose it, and where the comments
//! are (for folding). A small state machine over the bytes: comments,
//! strings with escapes and `${...}` interpolation, brackets and commas.

use ruff_core::syntax::Span;

/// Start of the identifier that ends at `offset` (== `offset` if none).
pub fn ident_start(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = offset.min(bytes.len());
    while i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        i -= 1;
    }
    i
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Code,
    Comment,
    Str,
}

/// An open `(` or `[` at the scan's end, with the commas seen inside it at
/// its own nesting level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Open {
    pub pos: usize,
    pub ch: u8,
    pub commas: usize,
}

pub struct ScanEnd {
    pub context: Context,
    pub opens: Vec<Open>,
}

enum Mode {
    Code { braces: u32 },
    Str { quote: u8 },
}

/// Scan `text[..end]`, reporting each comment's byte span (and whether it is
/// a block comment) to `on_comment`.
pub fn scan(text: &str, end: usize, mut on_comment: impl FnMut(Span, bool)) -> ScanEnd {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let mut modes = vec![Mode::Code { braces: 0 }];
    let mut opens: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < end {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match modes.last_mut() {
            Some(Mode::Code { braces }) => match b {
                b'#' | b'/' if b == b'#' || next == Some(b'/') => {
                    let stop = memchr_newline(bytes, i);
                    on_comment(Span::new(i as u32, stop as u32), false);
                    if stop >= end {
                        return ScanEnd {
                            context: Context::Comment,
                            opens,
                        };
                    }
                    i = stop;
                    continue;
                }
                b'/' if next == Some(b'*') => {
                    let stop = text[i + 2..]
                        .find("*/")
                        .map_or(bytes.len(), |p| i + 2 + p + 2);
                    on_comment(Span::new(i as u32, stop as u32), true);
                    if stop > end || (stop == end && !text[..stop].ends_with("*/")) {
                        return ScanEnd {
                            context: Context::Comment,
                            opens,
                        };
                    }
                    i = stop;
                    continue;
                }
                b'"' | b'\'' => modes.push(Mode::Str { quote: b }),
                b'{' => *braces += 1,
                b'}' => {
                    if *braces == 0 {
                        if modes.len() > 1 {
                            modes.pop();
                        }
                    } else {
                        *braces -= 1;
                    }
                }
                b'(' | b'[' => opens.push(Open {
                    pos: i,
                    ch: b,
                    commas: 0,
                }),
                b')' | b']' => {
                    opens.pop();
                }
                b',' => {
                    if let Some(o) = opens.last_mut() {
                        o.commas += 1;
                    }
                }
                _ => {}
            },
            Some(Mode::Str { quote }) => {
                let quote = *quote;
                match b {
                    b'\\' => i += 1,
                    b'\n' => {
                        // An unterminated string ends at the line end.
                        modes.pop();
                    }
                    b'$' if quote == b'"' && next == Some(b'{') => {
                        modes.push(Mode::Code { braces: 0 });
                        i += 1;
                    }
                    _ if b == quote => {
                        modes.pop();
                    }
                    _ => {}
                }
            }
            None => modes.push(Mode::Code { braces: 0 }),
        }
        i += 1;
    }
    let context = match modes.last() {
        Some(Mode::Str { .. }) => Context::Str,
        _ => Context::Code,
    };
    ScanEnd { context, opens }
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

pub fn in_comment_or_string(text: &str, offset: usize) -> bool {
    scan(text, offset, |_, _| {}).context != Context::Code
}

/// Every comment in the text: (span, is_block).
pub fn comments(text: &str) -> Vec<(Span, bool)> {
    let mut out = Vec::new();
    scan(text, text.len(), |s, block| out.push((s, block)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts() {
        let t = "x := \"a ${b} c\" # note\n/* block\n*/ y";
        let at = |s: &str| t.find(s).unwrap();
        assert!(!in_comment_or_string(t, at("x")));
        assert!(in_comment_or_string(t, at("a ")));
        assert!(!in_comment_or_string(t, at("b}")), "interpolation is code");
        assert!(in_comment_or_string(t, at(" c")));
        assert!(in_comment_or_string(t, at("note")));
        assert!(in_comment_or_string(t, at("block")));
        assert!(!in_comment_or_string(t, at(" y")));
        assert!(!in_comment_or_string(t, t.len()));
        assert_eq!(comments(t).len(), 2);
    }

    #[test]
    fn open_calls_and_commas() {
        let t = "f(a, g(\"x, y\", [1, 2]), ";
        let end = scan(t, t.len(), |_, _| {});
        assert_eq!(end.opens.len(), 1);
        assert_eq!(end.opens[0].pos, 1);
        assert_eq!(end.opens[0].commas, 2);
    }

    #[test]
    fn ident_starts() {
        assert_eq!(ident_start("p.na", 4), 2);
        assert_eq!(ident_start("p.", 2), 2);
        assert_eq!(ident_start("", 0), 0);
    }
}
