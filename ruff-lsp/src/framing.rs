//! Cutting the client's byte stream into JSON-RPC message bodies
//! (`Content-Length` framing), surviving any malformed frame.
//!
//! A frame is a header block (`Name: value` lines ended by an empty line)
//! and a body of exactly `Content-Length` bytes. A frame whose length is
//! missing, not a number, negative, over `MAX_MESSAGE_BYTES`, or larger
//! than the body that actually follows it gets an error reply, and reading
//! *re-synchronises*: it skips to the next header.
//!
//! The re-synchronisation rule: a next header is the text
//! `Content-Length:` (any case), optional blanks, digits and a raw line
//! break. That text can never occur inside a valid JSON body, because JSON
//! strings cannot hold a raw line break and the words are not JSON outside
//! a string. So searching a body for it is safe: a match inside the bytes a
//! frame claims as its body means the frame's length was too large (the
//! next message has started), and reading resumes at the match.

/// Messages larger than this are refused (and skipped), so a hostile length
/// cannot make the server allocate without bound.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// A header block longer than this without its ending blank line is
/// garbage, not a header.
const MAX_HEADER_BYTES: usize = 8 * 1024;

/// What the deframer found.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// A message body (not yet checked to be JSON).
    Body(Vec<u8>),
    /// A framing error: the reply's message; reading has re-synchronised.
    Error(String),
}

#[derive(Default)]
pub struct Deframer {
    buf: Vec<u8>,
    /// Skipping to the next header after an error.
    resync: bool,
    /// How much of the current frame's body has been searched for a header
    /// (so a large body arriving in pieces is scanned once).
    checked: usize,
}

impl Deframer {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// After the body that `Item::Body` returned turned out not to be a
    /// JSON-RPC message: its length may have been wrong, so skip to the next
    /// header before reading on.
    pub fn resynchronise(&mut self) {
        self.resync = true;
    }

    /// The next complete item, or `None` until more bytes arrive.
    pub fn next_item(&mut self) -> Option<Item> {
        if self.resync {
            match find_header(&self.buf, 0) {
                Found::At(p) => {
                    self.buf.drain(..p);
                    self.resync = false;
                }
                Found::Partial(p) => {
                    self.buf.drain(..p);
                    return None;
                }
                Found::No => {
                    self.buf.clear();
                    return None;
                }
            }
        }
        let blank = self
            .buf
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
            .count();
        self.buf.drain(..blank);
        if self.buf.is_empty() {
            return None;
        }
        let Some(header_end) = header_end(&self.buf) else {
            if self.buf.len() > MAX_HEADER_BYTES {
                return Some(self.fail(self.buf.len(), "Parse error: no message header"));
            }
            return None;
        };
        let len = match content_length(&self.buf[..header_end]) {
            Ok(len) => len,
            // Drop one byte only: the real header of the next message
            // may follow junk on the same line (the tail of a body whose
            // length was too small).
            Err(why) => return Some(self.fail(1, &why)),
        };
        if len > MAX_MESSAGE_BYTES {
            return Some(self.fail(
                header_end,
                &format!("Invalid Request: message too large ({len} bytes)"),
            ));
        }
        // A next header inside the claimed body: the length is too large.
        let available = (self.buf.len() - header_end).min(len);
        let from = self.checked.saturating_sub(32);
        if let Found::At(p) = find_header(&self.buf[header_end..header_end + available], from) {
            self.checked = 0;
            self.buf.drain(..header_end + p);
            return Some(Item::Error(
                "Parse error: Content-Length is larger than the message".to_string(),
            ));
        }
        self.checked = available;
        if self.buf.len() - header_end < len {
            return None;
        }
        self.checked = 0;
        let body = self.buf[header_end..header_end + len].to_vec();
        self.buf.drain(..header_end + len);
        Some(Item::Body(body))
    }

    /// Drop `consumed` bytes, skip to the next header, and report `why`.
    fn fail(&mut self, consumed: usize, why: &str) -> Item {
        self.buf.drain(..consumed);
        self.resync = true;
        self.checked = 0;
        Item::Error(why.to_string())
    }
}

/// Offset just past the blank line that ends the header block.
fn header_end(buf: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &b) in buf.iter().enumerate() {
        if b == b'\n' {
            let line = &buf[line_start..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                return Some(i + 1);
            }
            line_start = i + 1;
        }
    }
    None
}

/// The `Content-Length` of a header block, or why it has none.
fn content_length(headers: &[u8]) -> Result<usize, String> {
    let text = String::from_utf8_lossy(headers);
    let mut length = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err("Parse error: malformed header line".to_string());
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("Parse error: invalid Content-Length {value:?}"))?,
            );
        }
    }
    length.ok_or_else(|| "Parse error: missing Content-Length header".to_string())
}

enum Found {
    At(usize),
    /// A header may start here but its end has not arrived yet.
    Partial(usize),
    No,
}

/// The first `Content-Length: <digits><line break>` at or after `from`.
fn find_header(buf: &[u8], from: usize) -> Found {
    const NAME: &[u8] = b"content-length:";
    let mut i = from;
    while i < buf.len() {
        let rest = &buf[i..];
        let n = rest.len().min(NAME.len());
        if !rest[..n].eq_ignore_ascii_case(&NAME[..n]) {
            i += 1;
            continue;
        }
        if n < NAME.len() {
            return Found::Partial(i);
        }
        let mut j = NAME.len();
        while rest.get(j).is_some_and(|b| *b == b' ' || *b == b'\t') {
            j += 1;
        }
        let digits = rest[j..].iter().take_while(|b| b.is_ascii_digit()).count();
        j += digits;
        if j < rest.len() && rest[j] == b'\r' {
            j += 1;
        }
        match rest.get(j) {
            None => return Found::Partial(i),
            Some(b'\n') if digits > 0 => return Found::At(i),
            Some(_) => i += 1,
        }
    }
    // Keep a possible start of a header split across reads.
    Found::No
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn items(input: &str) -> Vec<Item> {
        let mut d = Deframer::default();
        let mut out = Vec::new();
        // Byte by byte: every split point of the stream is exercised.
        for b in input.as_bytes() {
            d.push(&[*b]);
            while let Some(item) = d.next_item() {
                // As the transport does: a body that is not JSON may have
                // had a wrong length.
                if let Item::Body(body) = &item {
                    if serde_json::from_slice::<serde_json::Value>(body).is_err() {
                        d.resynchronise();
                    }
                }
                out.push(item);
            }
        }
        out
    }

    const OK: &str = r#"{"jsonrpc":"2.0","id":1,"method":"x"}"#;

    fn is_ok_body(i: &Item) -> bool {
        *i == Item::Body(OK.as_bytes().to_vec())
    }

    #[test]
    fn every_bad_length_is_answered_and_the_next_frame_is_read() {
        let bad = [
            format!("X-Other: 1\r\n\r\n{OK}"),
            format!("Content-Length: abc\r\n\r\n{OK}"),
            format!("Content-Length: -5\r\n\r\n{OK}"),
            format!("Content-Length: 99999999999999\r\n\r\n{OK}"),
            format!("Content-Length: {}\r\n\r\n{OK}", OK.len() + 40),
            format!("Content-Length: {}\r\n\r\n{OK}", OK.len() - 3),
            "garbage without any header at all\r\n\r\n".to_string(),
        ];
        for b in bad {
            let stream = format!("{b}{}", frame(OK));
            let got = items(&stream);
            let errors = got.iter().filter(|i| matches!(i, Item::Error(_))).count();
            let bodies: Vec<&Item> = got.iter().filter(|i| matches!(i, Item::Body(_))).collect();
            // A too-short length yields a (truncated) body that the caller
            // rejects as JSON; everything else is a framing error here.
            assert!(errors + bodies.len() >= 2, "{b:?}: {got:?}");
            assert!(is_ok_body(got.last().unwrap()), "{b:?}: {got:?}");
        }
    }

    #[test]
    fn a_truncated_body_rejected_by_the_caller_resynchronises() {
        let stream = format!("Content-Length: 10\r\n\r\n{OK}{}", frame(OK));
        let mut d = Deframer::default();
        d.push(stream.as_bytes());
        assert!(matches!(d.next_item(), Some(Item::Body(b)) if b.len() == 10));
        d.resynchronise();
        assert!(is_ok_body(&d.next_item().unwrap()));
        assert_eq!(d.next_item(), None);
    }

    #[test]
    fn headers_in_any_case_and_bare_newlines() {
        let stream = format!("content-length:{}\nContent-Type: x\n\n{OK}", OK.len());
        assert!(is_ok_body(&items(&stream)[0]));
    }

    #[test]
    fn a_header_text_inside_a_json_string_is_not_a_header() {
        let body = r#"{"jsonrpc":"2.0","method":"n","params":{"t":"Content-Length: 5\r\n"}}"#;
        let got = items(&frame(body));
        assert_eq!(got, vec![Item::Body(body.as_bytes().to_vec())]);
    }
}
