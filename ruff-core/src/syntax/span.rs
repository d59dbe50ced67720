//! Byte ranges into the source text. Every AST node carries one; line/column
//! numbers are computed only at the edges (diagnostics, LSP) by `LineIndex`.

use std::fmt;

/// A half-open byte range `start..end` into the source text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset < self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Maps byte offsets to 1-based line and column numbers (columns count
/// Unicode scalar values; `utf16_col` gives the LSP flavour).
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the start of every line.
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        LineIndex { line_starts }
    }

    /// 0-based line of a byte offset.
    pub fn line0(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Byte offset where 0-based `line` starts (clamped to the last line).
    pub fn line_start(&self, line0: usize) -> u32 {
        self.line_starts[line0.min(self.line_starts.len() - 1)]
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based (line, column) with the column counted in characters.
    pub fn line_col(&self, text: &str, offset: u32) -> (usize, usize) {
        let line0 = self.line0(offset);
        let start = self.line_starts[line0] as usize;
        let end = (offset as usize).min(text.len());
        let col = text
            .get(start..end)
            .map_or(end - start, |s| s.chars().count());
        (line0 + 1, col + 1)
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: u32) -> usize {
        self.line0(offset) + 1
    }

    /// 0-based (line, UTF-16 column) as LSP wants it.
    pub fn utf16_position(&self, text: &str, offset: u32) -> (u32, u32) {
        let line0 = self.line0(offset);
        let start = self.line_starts[line0] as usize;
        let end = (offset as usize).min(text.len());
        let col: usize = text
            .get(start..end)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum());
        (line0 as u32, col as u32)
    }

    /// Byte offset of a 0-based (line, UTF-16 column) position; positions past
    /// the end of a line or of the text are clamped.
    pub fn offset_of_utf16(&self, text: &str, line0: u32, col16: u32) -> u32 {
        if line0 as usize >= self.line_starts.len() {
            return text.len() as u32;
        }
        let start = self.line_starts[line0 as usize] as usize;
        let mut units = 0u32;
        for (i, ch) in text[start..].char_indices() {
            if units >= col16 || ch == '\n' {
                return (start + i) as u32;
            }
            units += ch.len_utf16() as u32;
        }
        text.len() as u32
    }

    /// The text of the 1-based line containing `offset`, without its newline.
    pub fn line_text<'a>(&self, text: &'a str, offset: u32) -> &'a str {
        let line0 = self.line0(offset);
        let start = self.line_starts[line0] as usize;
        let end = self
            .line_starts
            .get(line0 + 1)
            .map_or(text.len(), |&e| e as usize);
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let text = "ab\nhé x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 3), (2, 1));
        // 'x' is after "hé " = 4 bytes
        assert_eq!(idx.line_col(text, 7), (2, 4));
        assert_eq!(idx.line_text(text, 4), "hé x");
    }

    #[test]
    fn utf16_round_trip() {
        let text = "a😀b\nc";
        let idx = LineIndex::new(text);
        let b = text.find('b').unwrap() as u32;
        assert_eq!(idx.utf16_position(text, b), (0, 3));
        assert_eq!(idx.offset_of_utf16(text, 0, 3), b);
        assert_eq!(idx.offset_of_utf16(text, 0, 99), 6);
        assert_eq!(idx.offset_of_utf16(text, 9, 0), text.len() as u32);
    }
}
