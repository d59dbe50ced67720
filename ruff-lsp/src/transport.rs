//! The stdio transport in front of tower-lsp-server. Two reasons it exists:
//!
//! 1. Malformed input must not end the server. tower-lsp-server decodes with
//!    tokio-util's `FramedRead`, which ends the message stream after the first
//!    decode error, so one bad message would silently stop the server. Here a
//!    blocking reader thread frames stdin itself, validates each message, and
//!    answers invalid ones directly (`-32700 Parse error` / `-32600 Invalid
//!    Request`), forwarding only well-formed JSON-RPC to tower.
//! 2. `exit` must end the process even while the client keeps stdin open. The
//!    reader is a plain thread that the process simply leaves behind at exit,
//!    instead of a tokio blocking task the runtime would wait for.
//!
//! The replies for invalid messages and tower's own output are written by one
//! writer thread, whole frames at a time, so they never interleave.

use std::io::{BufRead, Read, Write};
use std::pin::Pin;
use std::sync::mpsc as std_mpsc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc;

/// Messages larger than this are skipped (and answered with an error), so a
/// hostile length cannot make the server allocate without bound.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

enum Out {
    /// Bytes written by tower-lsp-server (whole or partial frames).
    Server(Vec<u8>),
    /// A complete frame composed here (an error reply).
    Frame(Vec<u8>),
    /// tower-lsp-server dropped its writer: flush and stop.
    Closed,
}

/// tower's input: validated frames from the reader thread.
pub struct ChannelReader {
    rx: mpsc::Receiver<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.pos >= self.buf.len() {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(frame)) => {
                    self.buf = frame;
                    self.pos = 0;
                }
                // End of input: report EOF (nothing filled).
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = out.remaining().min(self.buf.len() - self.pos);
        let start = self.pos;
        out.put_slice(&self.buf[start..start + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

/// tower's output: forwarded to the writer thread.
pub struct ChannelWriter {
    tx: std_mpsc::Sender<Out>,
}

impl AsyncWrite for ChannelWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.tx.send(Out::Server(buf.to_vec())) {
            Ok(()) => Poll::Ready(Ok(buf.len())),
            Err(_) => Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.tx.send(Out::Closed);
    }
}

pub struct Stdio {
    pub input: ChannelReader,
    pub output: ChannelWriter,
    /// Join after the server stops, so its last replies reach stdout.
    pub writer: JoinHandle<()>,
}

/// Start the reader and writer threads on the process's stdin/stdout.
pub fn stdio() -> Stdio {
    let (in_tx, in_rx) = mpsc::channel(64);
    let (out_tx, out_rx) = std_mpsc::channel();
    let replies = out_tx.clone();
    std::thread::Builder::new()
        .name("lsp-stdin".into())
        .spawn(move || read_loop(std::io::stdin().lock(), &in_tx, &replies))
        .expect("spawn the stdin reader thread");
    let writer = std::thread::Builder::new()
        .name("lsp-stdout".into())
        .spawn(move || write_loop(&out_rx, &mut std::io::stdout().lock()))
        .expect("spawn the stdout writer thread");
    Stdio {
        input: ChannelReader {
            rx: in_rx,
            buf: Vec::new(),
            pos: 0,
        },
        output: ChannelWriter { tx: out_tx },
        writer,
    }
}

pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    f.extend_from_slice(body);
    f
}

fn error_frame(id: Value, code: jsonrpc::ErrorCode, message: &str) -> Vec<u8> {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code.code(), "message": message},
    });
    frame(body.to_string().as_bytes())
}

/// A well-formed JSON-RPC message, or the error reply for it.
pub fn validate(body: &[u8]) -> Result<(), Vec<u8>> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        error_frame(
            Value::Null,
            jsonrpc::ErrorCode::ParseError,
            &format!("Parse error: {e}"),
        )
    })?;
    let is_request = serde_json::from_value::<jsonrpc::Request>(value.clone()).is_ok();
    if is_request || serde_json::from_value::<jsonrpc::Response>(value.clone()).is_ok() {
        return Ok(());
    }
    let id = match value.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => Value::Null,
    };
    Err(error_frame(
        id,
        jsonrpc::ErrorCode::InvalidRequest,
        "Invalid Request: not a JSON-RPC 2.0 request, notification or response",
    ))
}

/// Read frames until end of input. Headers are parsed leniently (any case,
/// `\n` or `\r\n`); a header block without a usable Content-Length is
/// answered with a parse error and skipped.
fn read_loop(
    mut input: impl BufRead,
    to_server: &mpsc::Sender<Vec<u8>>,
    replies: &std_mpsc::Sender<Out>,
) {
    loop {
        let mut length: Option<Result<usize, ()>> = None;
        let mut saw_header = false;
        loop {
            let mut line = String::new();
            match input.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if saw_header {
                    break;
                }
                continue; // stray blank lines between messages
            }
            saw_header = true;
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = Some(value.trim().parse().map_err(|_| ()));
                }
            }
        }
        let len = match length {
            Some(Ok(len)) => len,
            _ => {
                let reply = error_frame(
                    Value::Null,
                    jsonrpc::ErrorCode::ParseError,
                    "Parse error: missing or invalid Content-Length header",
                );
                let _ = replies.send(Out::Frame(reply));
                continue;
            }
        };
        if len > MAX_MESSAGE_BYTES {
            let skipped = std::io::copy(&mut (&mut input).take(len as u64), &mut std::io::sink());
            let reply = error_frame(
                Value::Null,
                jsonrpc::ErrorCode::InvalidRequest,
                "Invalid Request: message too large",
            );
            let _ = replies.send(Out::Frame(reply));
            if skipped.map_or(true, |n| n < len as u64) {
                return;
            }
            continue;
        }
        let mut body = vec![0; len];
        if input.read_exact(&mut body).is_err() {
            return;
        }
        match validate(&body) {
            Ok(()) => {
                if to_server.blocking_send(frame(&body)).is_err() {
                    return; // the server stopped
                }
            }
            Err(reply) => {
                let _ = replies.send(Out::Frame(reply));
            }
        }
    }
}

/// Write tower's frames and our error replies, each frame whole.
fn write_loop(rx: &std_mpsc::Receiver<Out>, out: &mut impl Write) {
    let mut pending: Vec<u8> = Vec::new();
    while let Ok(msg) = rx.recv() {
        match msg {
            Out::Frame(f) => {
                let _ = out.write_all(&f);
            }
            Out::Server(bytes) => {
                pending.extend_from_slice(&bytes);
                while let Some(end) = complete_frame_len(&pending) {
                    let _ = out.write_all(&pending[..end]);
                    pending.drain(..end);
                }
            }
            Out::Closed => {
                let _ = out.write_all(&pending);
                let _ = out.flush();
                return;
            }
        }
        let _ = out.flush();
    }
}

/// Length of the first complete frame in `buf` (headers + body), if any.
fn complete_frame_len(buf: &[u8]) -> Option<usize> {
    let header_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let headers = std::str::from_utf8(&buf[..header_end]).ok()?;
    let len: usize = headers.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })?;
    (buf.len() >= header_end + len).then_some(header_end + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(validate(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#).is_ok());
        assert!(validate(br#"{"jsonrpc":"2.0","method":"n"}"#).is_ok());
        assert!(validate(br#"{"jsonrpc":"2.0","id":1,"result":null}"#).is_ok());
        let e = validate(b"{oops").unwrap_err();
        assert!(String::from_utf8_lossy(&e).contains("-32700"));
        let e = validate(br#"{"id":7,"method":1}"#).unwrap_err();
        let s = String::from_utf8_lossy(&e);
        assert!(s.contains("-32600") && s.contains("\"id\":7"), "{s}");
    }

    #[test]
    fn reframes_partial_server_output() {
        let a = frame(b"{\"a\":1}");
        let b = frame(b"{\"b\":2}");
        let mut both = a.clone();
        both.extend_from_slice(&b);
        assert_eq!(complete_frame_len(&both), Some(a.len()));
        assert_eq!(complete_frame_len(&a[..a.len() - 1]), None);
        let (tx, rx) = std_mpsc::channel();
        tx.send(Out::Server(both[..5].to_vec())).unwrap();
        tx.send(Out::Frame(frame(b"{}"))).unwrap();
        tx.send(Out::Server(both[5..].to_vec())).unwrap();
        tx.send(Out::Closed).unwrap();
        let mut out = Vec::new();
        write_loop(&rx, &mut out);
        let mut want = frame(b"{}");
        want.extend_from_slice(&both);
        assert_eq!(out, want, "our frame goes out first, tower's stay whole");
    }

    #[test]
    fn reader_skips_bad_headers_and_bodies() {
        let mut input = Vec::new();
        input.extend_from_slice(b"X-Nothing: 1\r\n\r\n");
        input.extend_from_slice(&frame(b"not json"));
        input.extend_from_slice(&frame(br#"{"jsonrpc":"2.0","method":"ok"}"#));
        let (tx, mut rx) = mpsc::channel(8);
        let (rtx, rrx) = std_mpsc::channel();
        read_loop(&input[..], &tx, &rtx);
        drop(tx);
        let forwarded = rx.blocking_recv().unwrap();
        assert!(String::from_utf8_lossy(&forwarded).contains("\"ok\""));
        assert!(rx.blocking_recv().is_none());
        assert_eq!(rrx.try_iter().count(), 2, "two error replies");
    }
}
