//! Selection range, read from ruff-core's tokens: the token under the
//! cursor, then each enclosing bracket pair (`()`, `[]`, `{}`) first by its
//! contents and then with the brackets, then the whole document.

use ruff_core::syntax::token::TokenKind as T;
use ruff_core::syntax::Span;
use tower_lsp_server::ls_types::SelectionRange;

use crate::analysis::Analysis;
use crate::positions;

pub fn selection(a: &Analysis, offset: u32) -> SelectionRange {
    let mut spans: Vec<Span> = Vec::new();
    if let Some(t) = a
        .tokens
        .iter()
        .find(|t| t.span.start <= offset && offset <= t.span.end && t.span.end > t.span.start)
    {
        spans.push(t.span);
    }
    // Bracket pairs enclosing the cursor, innermost first.
    let mut open: Vec<u32> = Vec::new();
    let mut enclosing: Vec<Span> = Vec::new();
    for t in &a.tokens {
        match t.kind {
            T::LParen | T::LBracket | T::LBrace => open.push(t.span.start),
            T::RParen | T::RBracket | T::RBrace => {
                if let Some(start) = open.pop() {
                    if start < offset && offset <= t.span.start {
                        enclosing.push(Span::new(start, t.span.end));
                    }
                }
            }
            _ => {}
        }
    }
    for s in enclosing {
        let inner = Span::new(s.start + 1, s.end - 1);
        let inner = trim(&a.text, inner);
        for cand in [inner, s] {
            if spans
                .last()
                .is_none_or(|l| cand.start <= l.start && l.end <= cand.end && cand != *l)
            {
                spans.push(cand);
            }
        }
    }
    spans.push(Span::new(0, a.text.len() as u32));
    let mut range: Option<SelectionRange> = None;
    for s in spans.into_iter().rev() {
        range = Some(SelectionRange {
            range: positions::range(&a.text, &a.lines, s),
            parent: range.map(Box::new),
        });
    }
    range.expect("the whole document is always there")
}

fn trim(text: &str, s: Span) -> Span {
    let body = &text[s.start as usize..s.end as usize];
    let lead = body.len() - body.trim_start().len();
    let trail = body.len() - body.trim_end().len();
    if lead + trail >= body.len() {
        return s;
    }
    Span::new(s.start + lead as u32, s.end - trail as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    #[test]
    fn token_then_brackets_then_document() {
        let src = "print(max(a1, 2))\n";
        let a = analysis(src);
        let mut r = Some(selection(&a, 11));
        let mut got = Vec::new();
        while let Some(x) = r {
            got.push((
                x.range.start.character,
                x.range.end.character,
                x.range.end.line,
            ));
            r = x.parent.map(|b| *b);
        }
        assert_eq!(
            got,
            vec![
                (10, 12, 0),
                (10, 15, 0),
                (9, 16, 0),
                (6, 16, 0),
                (5, 17, 0),
                (0, 0, 1)
            ]
        );
    }
}
