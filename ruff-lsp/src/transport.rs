//! The stdio transport in front of tower-lsp-server. What it adds:
//!
//! 1. Malformed input never ends or deafens the server. tower-lsp-server
//!    decodes with tokio-util's `FramedRead`, which ends the message stream
//!    after the first decode error. Here a plain reader thread frames stdin
//!    itself (`framing`: answered framing errors, re-synchronisation at the
//!    next header), validates each message, and answers invalid ones
//!    directly (`-32700 Parse error` / `-32600 Invalid Request`), forwarding
//!    only well-formed JSON-RPC to tower.
//! 2. Cancellation that reaches queued work. tower cancels a request only
//!    when it reads the `$/cancelRequest`, which sits behind every message
//!    before it. Here at most `MAX_IN_FLIGHT` requests are handed to tower at
//!    a time (counted back down by the responses tower writes); the rest wait
//!    in the `Inbox`. A cancel for a waiting request removes it and answers
//!    `-32800 RequestCancelled` at once; a cancel for a request tower already
//!    has jumps the queue, so tower aborts the handler at its next await.
//! 3. `exit` ends the process even while the client keeps stdin open (the
//!    reader is a plain thread the process leaves behind), and end of input
//!    ends it even while a handler waits for a client that died (`eof`).
//!
//! The replies for invalid messages and tower's own output are written by one
//! writer thread, whole frames at a time, so they never interleave.

use std::collections::{HashSet, VecDeque};
use std::io::{Read, Write};
use std::pin::Pin;
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tower_lsp_server::jsonrpc;

use crate::framing::{Deframer, Item};

pub use crate::framing::MAX_MESSAGE_BYTES;

/// Requests handed to tower and not yet answered, at most. tower polls 4
/// handlers at once; a few more keep it busy without hiding queued requests
/// from cancellation.
pub const MAX_IN_FLIGHT: usize = 8;

enum Out {
    /// Bytes written by tower-lsp-server (whole or partial frames).
    Server(Vec<u8>),
    /// A complete frame composed here (an error reply).
    Frame(Vec<u8>),
    /// tower-lsp-server dropped its writer: flush and stop.
    Closed,
}

/// A validated message on its way to tower.
struct Incoming {
    frame: Vec<u8>,
    /// The request's id (as JSON text), if it is a request.
    request: Option<String>,
}

/// Messages read but not yet given to tower, and the requests tower has.
#[derive(Default)]
struct Inbox {
    queue: VecDeque<Incoming>,
    in_flight: HashSet<String>,
    eof: bool,
    waker: Option<Waker>,
}

type Shared = Arc<Mutex<Inbox>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Inbox> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inbox {
    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// tower's input: frames from the inbox, in order, paced by `MAX_IN_FLIGHT`.
pub struct ChannelReader {
    shared: Shared,
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
            let mut inbox = lock(&self.shared);
            let blocked = inbox
                .queue
                .front()
                .is_some_and(|m| m.request.is_some() && inbox.in_flight.len() >= MAX_IN_FLIGHT);
            let next = if blocked {
                None
            } else {
                inbox.queue.pop_front()
            };
            match next {
                Some(msg) => {
                    if let Some(id) = msg.request {
                        inbox.in_flight.insert(id);
                    }
                    drop(inbox);
                    self.buf = msg.frame;
                    self.pos = 0;
                }
                // End of input: report EOF (nothing filled).
                None if inbox.eof && inbox.queue.is_empty() => return Poll::Ready(Ok(())),
                None => {
                    inbox.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
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
    /// Notified once stdin has ended.
    pub eof: Arc<Notify>,
}

/// Start the reader and writer threads on the process's stdin/stdout.
pub fn stdio() -> Stdio {
    let shared = Shared::default();
    let (out_tx, out_rx) = std_mpsc::channel();
    let eof = Arc::new(Notify::new());
    let replies = out_tx.clone();
    let (inbox, at_eof) = (shared.clone(), eof.clone());
    std::thread::Builder::new()
        .name("lsp-stdin".into())
        .spawn(move || {
            read_loop(std::io::stdin().lock(), &inbox, &replies);
            at_eof.notify_one();
        })
        .expect("spawn the stdin reader thread");
    let outbox = shared.clone();
    let writer = std::thread::Builder::new()
        .name("lsp-stdout".into())
        .spawn(move || write_loop(&out_rx, &mut std::io::stdout().lock(), &outbox))
        .expect("spawn the stdout writer thread");
    Stdio {
        input: ChannelReader {
            shared,
            buf: Vec::new(),
            pos: 0,
        },
        output: ChannelWriter { tx: out_tx },
        writer,
        eof,
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

/// What a valid message is, as far as the transport cares.
#[derive(Debug, PartialEq)]
pub enum Kind {
    /// A request, with its id.
    Request(Value),
    /// `$/cancelRequest` for this id.
    Cancel(Value),
    Other,
}

/// A well-formed JSON-RPC message's kind, or the error reply for it (and
/// whether the body was not even JSON, i.e. its framing may be off).
pub fn validate(body: &[u8]) -> Result<Kind, (Vec<u8>, bool)> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let reply = error_frame(
            Value::Null,
            jsonrpc::ErrorCode::ParseError,
            &format!("Parse error: {e}"),
        );
        (reply, true)
    })?;
    let has_method = value.get("method").is_some_and(Value::is_string);
    if has_method && serde_json::from_value::<jsonrpc::Request>(value.clone()).is_ok() {
        let id = value.get("id").cloned();
        return Ok(match (id, value["method"].as_str()) {
            (Some(id), _) => Kind::Request(id),
            (None, Some("$/cancelRequest")) => match value["params"].get("id") {
                Some(id) => Kind::Cancel(id.clone()),
                None => Kind::Other,
            },
            _ => Kind::Other,
        });
    }
    if serde_json::from_value::<jsonrpc::Response>(value.clone()).is_ok() {
        return Ok(Kind::Other);
    }
    let id = match value.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => Value::Null,
    };
    let reply = error_frame(
        id,
        jsonrpc::ErrorCode::InvalidRequest,
        "Invalid Request: not a JSON-RPC 2.0 request, notification or response",
    );
    Err((reply, false))
}

/// Read, frame and queue messages until end of input.
fn read_loop(mut input: impl Read, shared: &Shared, replies: &std_mpsc::Sender<Out>) {
    let mut deframer = Deframer::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(item) = deframer.next_item() {
            match item {
                Item::Error(message) => {
                    let reply = error_frame(Value::Null, jsonrpc::ErrorCode::ParseError, &message);
                    let _ = replies.send(Out::Frame(reply));
                }
                Item::Body(body) => match validate(&body) {
                    Ok(kind) => deliver(shared, replies, body, kind),
                    Err((reply, not_json)) => {
                        if not_json {
                            deframer.resynchronise();
                        }
                        let _ = replies.send(Out::Frame(reply));
                    }
                },
            }
        }
        match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => deframer.push(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let mut inbox = lock(shared);
    inbox.eof = true;
    inbox.wake();
}

/// Queue a valid message for tower; a cancel for a request still queued
/// answers it here and drops it.
fn deliver(shared: &Shared, replies: &std_mpsc::Sender<Out>, body: Vec<u8>, kind: Kind) {
    let mut inbox = lock(shared);
    match kind {
        Kind::Cancel(id) => {
            let key = id.to_string();
            let queued = inbox
                .queue
                .iter()
                .position(|m| m.request.as_deref() == Some(key.as_str()));
            match queued {
                Some(i) => {
                    inbox.queue.remove(i);
                    let reply = error_frame(
                        id,
                        jsonrpc::ErrorCode::RequestCancelled,
                        "Request cancelled",
                    );
                    let _ = replies.send(Out::Frame(reply));
                }
                // tower has it (or it is done): tell tower first.
                None => inbox.queue.push_front(Incoming {
                    frame: frame(&body),
                    request: None,
                }),
            }
        }
        Kind::Request(id) => inbox.queue.push_back(Incoming {
            frame: frame(&body),
            request: Some(id.to_string()),
        }),
        Kind::Other => inbox.queue.push_back(Incoming {
            frame: frame(&body),
            request: None,
        }),
    }
    inbox.wake();
}

/// Write tower's frames and our error replies, each frame whole.
fn write_loop(rx: &std_mpsc::Receiver<Out>, out: &mut impl Write, shared: &Shared) {
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
                    answered(shared, &pending[..end]);
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

/// tower wrote a frame: if it answers a request, that request is no longer
/// in flight, and the next queued one may go.
fn answered(shared: &Shared, frame: &[u8]) {
    #[derive(serde::Deserialize)]
    struct Peek {
        id: Option<Value>,
        method: Option<serde::de::IgnoredAny>,
    }
    let Some(start) = frame.windows(4).position(|w| w == b"\r\n\r\n") else {
        return;
    };
    if let Ok(Peek {
        id: Some(id),
        method: None,
    }) = serde_json::from_slice::<Peek>(&frame[start + 4..])
    {
        let mut inbox = lock(shared);
        if inbox.in_flight.remove(&id.to_string()) {
            inbox.wake();
        }
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
        assert_eq!(
            validate(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#),
            Ok(Kind::Request(json!(1)))
        );
        assert_eq!(
            validate(br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"a"}}"#),
            Ok(Kind::Cancel(json!("a")))
        );
        assert_eq!(
            validate(br#"{"jsonrpc":"2.0","method":"n"}"#),
            Ok(Kind::Other)
        );
        assert_eq!(
            validate(br#"{"jsonrpc":"2.0","id":1,"result":null}"#),
            Ok(Kind::Other)
        );
        let (e, not_json) = validate(b"{oops").unwrap_err();
        assert!(not_json && String::from_utf8_lossy(&e).contains("-32700"));
        let (e, not_json) = validate(br#"{"id":7,"method":1}"#).unwrap_err();
        let s = String::from_utf8_lossy(&e);
        assert!(
            !not_json && s.contains("-32600") && s.contains("\"id\":7"),
            "{s}"
        );
    }

    #[test]
    fn reframes_partial_server_output_and_counts_answers() {
        let shared = Shared::default();
        lock(&shared).in_flight.insert("1".into());
        let a = frame(br#"{"jsonrpc":"2.0","id":1,"result":null}"#);
        let b = frame(br#"{"jsonrpc":"2.0","method":"m"}"#);
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
        write_loop(&rx, &mut out, &shared);
        let mut want = frame(b"{}");
        want.extend_from_slice(&both);
        assert_eq!(out, want, "our frame goes out first, tower's stay whole");
        assert!(
            lock(&shared).in_flight.is_empty(),
            "the response was counted"
        );
    }

    #[test]
    fn reader_answers_bad_frames_and_cancels_queued_requests() {
        let mut input = Vec::new();
        input.extend_from_slice(b"X-Nothing: 1\r\n\r\n");
        input.extend_from_slice(&frame(b"not json"));
        input.extend_from_slice(&frame(br#"{"jsonrpc":"2.0","id":5,"method":"slow"}"#));
        input.extend_from_slice(&frame(
            br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":5}}"#,
        ));
        input.extend_from_slice(&frame(br#"{"jsonrpc":"2.0","method":"ok"}"#));
        let shared = Shared::default();
        let (rtx, rrx) = std_mpsc::channel();
        read_loop(&input[..], &shared, &rtx);
        let inbox = lock(&shared);
        assert!(inbox.eof);
        let queued: Vec<String> = inbox
            .queue
            .iter()
            .map(|m| String::from_utf8_lossy(&m.frame).into_owned())
            .collect();
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert!(queued[0].contains("\"ok\""));
        let replies: Vec<String> = rrx
            .try_iter()
            .map(|o| match o {
                Out::Frame(f) => String::from_utf8_lossy(&f).into_owned(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(replies.len(), 3, "{replies:?}");
        assert!(replies[2].contains("-32800") && replies[2].contains("\"id\":5"));
    }
}
