//! Conversions between byte offsets (what ruff-core speaks) and LSP positions
//! (0-based line, UTF-16 code unit column). Every conversion clamps: clients
//! do send positions past the end of a line or of the file, and a language
//! server must answer those, not panic.

use ruff_core::syntax::{LineIndex, Span};
use tower_lsp_server::ls_types::{Position, Range};

/// Byte offset of an LSP position in `text`. A line past the end clamps to
/// the end of the text; a column past the end of a line clamps to the end
/// of that line (before `\r\n`); a column inside a surrogate pair rounds
/// up to the next character boundary.
pub fn offset(text: &str, index: &LineIndex, pos: Position) -> u32 {
    if pos.line as usize >= index.line_count() {
        return text.len() as u32;
    }
    let line_start = index.line_start(pos.line as usize) as usize;
    let line_end = line_end(text, index, pos.line as usize);
    let mut units = 0u32;
    for (i, ch) in text[line_start..line_end].char_indices() {
        if units >= pos.character {
            return (line_start + i) as u32;
        }
        units += ch.len_utf16() as u32;
    }
    line_end as u32
}

/// Byte offset of the end of 0-based `line`, excluding its `\n` or `\r\n`.
fn line_end(text: &str, index: &LineIndex, line: usize) -> usize {
    let end = if line + 1 < index.line_count() {
        index.line_start(line + 1) as usize - 1
    } else {
        text.len()
    };
    let bytes = text.as_bytes();
    if end > 0
        && end <= bytes.len()
        && end > index.line_start(line) as usize
        && bytes[end - 1] == b'\r'
    {
        end - 1
    } else {
        end
    }
}

/// LSP position of a byte offset (clamped to the text, and moved back to a
/// character boundary if it points inside a multi-byte character).
pub fn position(text: &str, index: &LineIndex, offset: u32) -> Position {
    let mut offset = (offset as usize).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let (line, character) = index.utf16_position(text, offset as u32);
    Position { line, character }
}

pub fn range(text: &str, index: &LineIndex, span: Span) -> Range {
    Range {
        start: position(text, index, span.start),
        end: position(text, index, span.end.max(span.start)),
    }
}

/// The byte span of an LSP range (start and end each clamped; a reversed
/// range is made empty at its start).
pub fn span(text: &str, index: &LineIndex, range: Range) -> Span {
    let start = offset(text, index, range.start);
    let end = offset(text, index, range.end).max(start);
    Span::new(start, end)
}

/// The position just past the last character of 0-based `line` (clamped).
pub fn end_of_line(text: &str, index: &LineIndex, line: usize) -> Position {
    let line = line.min(index.line_count() - 1);
    position(text, index, line_end(text, index, line) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn ascii_round_trip() {
        let text = "ab\ncd\n";
        let idx = LineIndex::new(text);
        assert_eq!(offset(text, &idx, pos(1, 1)), 4);
        assert_eq!(position(text, &idx, 4), pos(1, 1));
    }

    #[test]
    fn emoji_counts_two_utf16_units() {
        let text = "x := \"😀\" + y\n";
        let idx = LineIndex::new(text);
        let y = text.find('y').unwrap() as u32;
        // x, space, :, =, space, ", 😀 (2 units), ", space, +, space → 12
        assert_eq!(position(text, &idx, y), pos(0, 12));
        assert_eq!(offset(text, &idx, pos(0, 12)), y);
    }

    #[test]
    fn position_inside_surrogate_pair_rounds_up() {
        let text = "😀a";
        let idx = LineIndex::new(text);
        assert_eq!(offset(text, &idx, pos(0, 1)), 4);
    }

    #[test]
    fn two_byte_and_three_byte_chars() {
        let text = "é€z";
        let idx = LineIndex::new(text);
        // é: 2 bytes / 1 unit, €: 3 bytes / 1 unit.
        assert_eq!(offset(text, &idx, pos(0, 2)), 5);
        assert_eq!(position(text, &idx, 5), pos(0, 2));
    }

    #[test]
    fn clamps_out_of_range_positions() {
        let text = "ab\r\ncd";
        let idx = LineIndex::new(text);
        assert_eq!(offset(text, &idx, pos(0, 99)), 2, "before the \\r\\n");
        assert_eq!(offset(text, &idx, pos(7, 3)), text.len() as u32);
        assert_eq!(position(text, &idx, 999), pos(1, 2));
        assert_eq!(end_of_line(text, &idx, 0), pos(0, 2));
        assert_eq!(end_of_line(text, &idx, 50), pos(1, 2));
    }

    #[test]
    fn offset_inside_multibyte_char_moves_back() {
        let text = "é";
        let idx = LineIndex::new(text);
        assert_eq!(position(text, &idx, 1), pos(0, 0));
    }

    #[test]
    fn empty_text() {
        let text = "";
        let idx = LineIndex::new(text);
        assert_eq!(offset(text, &idx, pos(0, 5)), 0);
        assert_eq!(position(text, &idx, 0), pos(0, 0));
    }
}
