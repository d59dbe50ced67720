//! A tiny LSP client for the integration tests: spawns the built
//! `ruff-lsp`, frames JSON-RPC with Content-Length headers, answers the
//! server's own requests (refresh requests) with `null`, and keeps every
//! notification it receives so tests can look for them.

#![allow(dead_code)] // each test file uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Lsp {
    pub child: Child,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    rx: Receiver<Value>,
    /// Every notification and server request received so far, in order,
    /// and the responses no caller took.
    pub seen: Vec<Value>,
    next_id: i64,
}

fn write_frame(stdin: &Mutex<Option<ChildStdin>>, body: &[u8]) {
    let mut guard = stdin.lock().unwrap();
    if let Some(s) = guard.as_mut() {
        let _ = write!(s, "Content-Length: {}\r\n\r\n", body.len());
        let _ = s.write_all(body);
        let _ = s.flush();
    }
}

impl Lsp {
    pub fn spawn(envs: &[(&str, &str)]) -> Lsp {
        // RUFF_LSP_BIN (as for the client tests) runs another build, e.g.
        // to compare two servers' latency.
        let bin = std::env::var_os("RUFF_LSP_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_ruff-lsp").into());
        let mut cmd = Command::new(bin);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn ruff-lsp");
        let stdin = Arc::new(Mutex::new(child.stdin.take()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let replies = stdin.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let msg: Value = serde_json::from_slice(&body).expect("server sent valid JSON");
                if msg.get("method").is_some() && msg.get("id").is_some() {
                    let reply = json!({"jsonrpc": "2.0", "id": msg["id"], "result": null});
                    write_frame(&replies, reply.to_string().as_bytes());
                }
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
        Lsp {
            child,
            stdin,
            rx,
            seen: Vec::new(),
            next_id: 1,
        }
    }

    pub fn send_raw(&self, body: &[u8]) {
        write_frame(&self.stdin, body);
    }

    pub fn notify(&self, method: &str, params: Value) {
        let msg = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send_raw(msg.to_string().as_bytes());
    }

    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_raw(msg.to_string().as_bytes());
        id
    }

    /// Send a request and wait for its response (the whole response object).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.wait_for(
            |m| m.get("id") == Some(&json!(id)) && m.get("method").is_none(),
            TIMEOUT,
        )
        .unwrap_or_else(|| panic!("no response to {method}"))
    }

    /// Like `request`, returning how long the response took.
    pub fn timed_request(&mut self, method: &str, params: Value) -> (Value, Duration) {
        let start = Instant::now();
        let r = self.request(method, params);
        (r, start.elapsed())
    }

    /// The first not-yet-seen message matching `pred` (earlier messages are
    /// kept in `seen`, and so is the match unless it is a response).
    pub fn wait_for(&mut self, pred: impl Fn(&Value) -> bool, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(msg) => {
                    let hit = pred(&msg);
                    // A response goes to its caller only: copying a big one
                    // (a 1,200-item completion) would add to timed requests.
                    let response = msg.get("method").is_none();
                    if hit && response {
                        return Some(msg);
                    }
                    self.seen.push(msg);
                    if hit {
                        return self.seen.last().cloned();
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return None
                }
            }
        }
    }

    pub fn wait_notification(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(|m| m["method"] == method && pred(&m["params"]), TIMEOUT)
            .unwrap_or_else(|| panic!("no {method} notification"))
    }

    pub fn initialize(&mut self, init_options: Value) -> Value {
        let caps = json!({
            "textDocument": {
                "completion": {"completionItem": {"snippetSupport": true}},
                "publishDiagnostics": {"relatedInformation": true, "tagSupport": {"valueSet": [1, 2]}}
            },
            "workspace": {
                "inlayHint": {"refreshSupport": true},
                "codeLens": {"refreshSupport": true}
            }
        });
        let r = self.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": caps,
                   "initializationOptions": init_options}),
        );
        self.notify("initialized", json!({}));
        r
    }

    pub fn open(&self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "ruff", "version": 1, "text": text}}),
        );
    }

    /// Close stdin-less shutdown: `shutdown` + `exit`, keeping stdin open.
    pub fn shutdown_and_exit(&mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Resident memory of the server in KiB (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

pub fn doc_pos(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": pos(line, character)})
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ruff-lsp-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn file_uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

/// A realistic 10,000-line program: documented functions with loops and
/// calls, structs with methods, and top-level code using them.
pub fn big_program() -> String {
    let mut s = String::from("mut total := 0\n");
    let mut i = 0;
    while s.lines().count() < 10_000 {
        if i % 10 == 0 {
            s.push_str(&format!(
                "/// Point number {i}.\nstruct P{i} {{\n    x: float,\n    y: float = 0.0,\n    func norm(self) {{ return self.x * self.x + self.y * self.y }}\n}}\n"
            ));
        }
        s.push_str(&format!(
            "/// Sums a range, scaled.\nfunc f{i}(n, k) {{\n    mut acc := 0\n    for j in range(0, n) {{\n        acc += j * k\n    }}\n    let p := P{} {{ x: 1.5, y: 2.5 }}\n    return acc + p.norm()\n}}\ntotal += f{i}({i}, 2)\n",
            i - i % 10
        ));
        i += 1;
    }
    s
}
