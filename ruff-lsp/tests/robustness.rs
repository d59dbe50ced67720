//! No input kills or deafens the server: programs that once crashed it, the
//! corpus and 1,000+ random mutations of it, 1,000 programs from the
//! project's program generator (`difftest::gen`),
//! every malformed frame kind followed by a valid request, cancellation of
//! queued and running work, and end of input while the server waits for the
//! client.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{doc_pos, pos, Lsp};
use serde_json::{json, Value};

/// The 4-line program that overflowed the server's stack on open (a method
/// that builds its own struct made the eligibility walk cyclic).
const STRUCT_CRASH: &str = "struct P {\n  x: int,\n  func f(self) { return P { x: 1 } }\n}\n";

fn corpus() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "ruff") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/programs");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let sources: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    assert!(
        sources.len() > 20,
        "corpus not found under {}",
        root.display()
    );
    sources
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "${",
    "/*",
    "//",
    "#",
    "\n",
    "func ",
    "struct S { x, func m(self) { return S { x: 1 } } }\n",
    "self.",
    "::",
    ".",
    ",",
    "let ",
    "mut ",
    ":= ",
    "= ",
    "try { ",
    "} except e { ",
    "match x { case ",
    "...",
    "return ",
    "for i in ",
    "while ",
    "loop ",
    "😀",
    "\u{0}",
    "P { x: 1 }",
    "é",
    "\r\n",
];

/// A random edit of a program: delete, duplicate, insert a fragment, or cut.
fn mutate(src: &str, rng: &mut Rng) -> String {
    let mut s = src.to_string();
    for _ in 0..1 + rng.below(4) {
        let boundaries: Vec<usize> = (0..=s.len()).filter(|i| s.is_char_boundary(*i)).collect();
        let a = boundaries[rng.below(boundaries.len())];
        let b = boundaries[rng.below(boundaries.len())];
        let (a, b) = (a.min(b), a.max(b));
        match rng.below(4) {
            0 => s.replace_range(a..b.min(a + 40), ""),
            1 => {
                let piece = s[a..b.min(a + 200)].to_string();
                s.insert_str(a, &piece);
            }
            2 => s.insert_str(a, FRAGMENTS[rng.below(FRAGMENTS.len())]),
            _ => s.truncate(b),
        }
    }
    s
}

/// Open each program in one server, ask for everything a client asks for
/// when a file is opened (and a few positions), then close it; the server
/// must answer every request without an internal error and stay alive.
fn open_all(sources: &[String]) {
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    for (n, src) in sources.iter().enumerate() {
        let uri = format!("file:///tmp/robust-{n}.ruff");
        lsp.open(&uri, src);
        let lines = src.lines().count().max(1) as u32;
        let doc = json!({"textDocument": {"uri": uri}});
        let range = json!({"textDocument": {"uri": uri}, "range": {"start": pos(0, 0), "end": pos(lines, 0)}});
        let mut requests = vec![
            ("textDocument/documentSymbol", doc.clone()),
            ("textDocument/semanticTokens/full", doc.clone()),
            ("textDocument/foldingRange", doc.clone()),
            ("textDocument/codeLens", doc.clone()),
            ("textDocument/inlayHint", range.clone()),
            ("textDocument/semanticTokens/range", range),
        ];
        for line in [0, lines / 2, lines.saturating_sub(1)] {
            for method in [
                "textDocument/hover",
                "textDocument/completion",
                "textDocument/signatureHelp",
                "textDocument/definition",
                "textDocument/prepareCallHierarchy",
                "textDocument/documentHighlight",
            ] {
                requests.push((method, doc_pos(&uri, line, 4)));
            }
        }
        for (method, params) in requests {
            let r = lsp.request(method, params);
            assert!(
                r.get("error").is_none(),
                "{method} on program #{n} failed: {r}\n--- program ---\n{src}"
            );
        }
        lsp.notify("textDocument/didClose", doc);
    }
    assert!(lsp.child.try_wait().unwrap().is_none(), "the server died");
}

#[test]
fn the_struct_method_program_opens_without_a_crash() {
    open_all(&[STRUCT_CRASH.to_string(), STRUCT_CRASH.replace('\n', " ")]);
}

#[test]
fn corpus_and_a_thousand_mutations_open_without_a_crash() {
    let corpus = corpus();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut programs = corpus.clone();
    while programs.len() < corpus.len() + 1000 {
        let base = &corpus[rng.below(corpus.len())];
        programs.push(mutate(base, &mut rng));
    }
    open_all(&programs);
}

/// 1,000 programs from the project's program generator (difftest's, the
/// one the JIT-correctness campaigns use), seeds 0..1000.
#[test]
fn a_thousand_generated_programs_open_without_a_crash() {
    let programs: Vec<String> = (0..1000)
        .map(|seed| difftest::printer::print_program(&difftest::gen::generate(seed)))
        .collect();
    open_all(&programs);
}

/// Send raw bytes to a fresh server; return every message it writes until
/// `want` answers arrive (or the timeout).
fn raw_session(stream: &[u8], want: usize) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruff-lsp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(stream).unwrap();
    stdin.flush().unwrap();
    let mut out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = out.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let _ = tx.send(buf.clone());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut messages = Vec::new();
    while Instant::now() < deadline && messages.len() < want {
        if let Ok(buf) = rx.recv_timeout(Duration::from_millis(100)) {
            messages = split_frames(&buf);
        }
    }
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    messages
}

fn split_frames(mut buf: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(h) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
        let header = std::str::from_utf8(&buf[..h]).unwrap();
        let len: usize = header
            .trim()
            .strip_prefix("Content-Length: ")
            .unwrap()
            .parse()
            .unwrap();
        if buf.len() < h + 4 + len {
            break;
        }
        out.push(serde_json::from_slice(&buf[h + 4..h + 4 + len]).unwrap());
        buf = &buf[h + 4 + len..];
    }
    out
}

fn framed(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

#[test]
fn every_malformed_frame_kind_is_answered_and_the_next_request_too() {
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
    let shutdown = r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#;
    let kinds: Vec<(&str, Vec<u8>)> = vec![
        (
            "missing Content-Length",
            format!("Content-Type: x\r\n\r\n{init}").into_bytes(),
        ),
        (
            "non-numeric",
            format!("Content-Length: abc\r\n\r\n{init}").into_bytes(),
        ),
        (
            "negative",
            format!("Content-Length: -12\r\n\r\n{init}").into_bytes(),
        ),
        (
            "over the limit",
            format!("Content-Length: 99999999999\r\n\r\n{init}").into_bytes(),
        ),
        (
            "larger than the body",
            format!("Content-Length: {}\r\n\r\n{init}", init.len() + 50).into_bytes(),
        ),
        (
            "smaller than the body",
            format!("Content-Length: {}\r\n\r\n{init}", init.len() - 10).into_bytes(),
        ),
        ("no header at all", b"hello there\r\n\r\n".to_vec()),
        ("body not JSON", framed("{this is not json")),
        ("JSON, not JSON-RPC", framed("[1, 2, 3]")),
    ];
    for (kind, bad) in kinds {
        let mut stream = bad;
        stream.extend_from_slice(&framed(init));
        stream.extend_from_slice(&framed(shutdown));
        let got = raw_session(&stream, 3);
        let errors: Vec<&Value> = got
            .iter()
            .filter(|m| m["id"].is_null() && m.get("error").is_some())
            .collect();
        assert!(!errors.is_empty(), "{kind}: no error reply in {got:?}");
        assert!(
            errors
                .iter()
                .all(|e| [-32700, -32600].contains(&e["error"]["code"].as_i64().unwrap())),
            "{kind}: {errors:?}"
        );
        assert!(
            got.iter()
                .any(|m| m["id"] == 1 && m["result"]["capabilities"].is_object()),
            "{kind}: the valid initialize after it got no answer: {got:?}"
        );
        assert!(
            got.iter().any(|m| m["id"] == 2),
            "{kind}: the request after that got no answer: {got:?}"
        );
    }
}

fn big_file() -> String {
    let mut s = String::new();
    for i in 0..3000 {
        s.push_str(&format!(
            "/// doc {i}\nfunc f{i}(a, b) {{\n  mut t := 0\n  for k in range(0, a) {{ t += k * b }}\n  return t\n}}\n"
        ));
    }
    s
}

#[test]
fn cancelled_requests_are_answered_with_request_cancelled() {
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    let uri = "file:///tmp/cancel.ruff";
    lsp.open(uri, &big_file());
    lsp.wait_notification("textDocument/publishDiagnostics", |p| p["uri"] == uri);
    // 2,000 expensive requests, then a cancel for each.
    let started = Instant::now();
    let ids: Vec<i64> = (0..2000)
        .map(|_| {
            lsp.send_request(
                "textDocument/semanticTokens/full",
                json!({"textDocument": {"uri": uri}}),
            )
        })
        .collect();
    for id in &ids {
        lsp.notify("$/cancelRequest", json!({"id": id}));
    }
    let (first, last) = (ids[0], ids[ids.len() - 1]);
    let mut answers = std::collections::HashMap::new();
    while answers.len() < ids.len() {
        let r = lsp
            .wait_for(
                |m| {
                    m.get("method").is_none()
                        && m["id"]
                            .as_i64()
                            .is_some_and(|i| (first..=last).contains(&i))
                },
                common::TIMEOUT,
            )
            .unwrap_or_else(|| panic!("only {} of 2000 answered", answers.len()));
        answers.insert(r["id"].as_i64().unwrap(), r);
    }
    let cancelled = answers
        .values()
        .filter(|r| r["error"]["code"] == -32800)
        .count();
    let took = started.elapsed();
    // At most the few requests handed to handlers before the cancels
    // arrived run to completion; the rest are answered -32800 unrun.
    assert!(cancelled >= 1900, "only {cancelled} of 2000 cancelled");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // Still serving.
    let r = lsp.request("textDocument/hover", doc_pos(uri, 1, 6));
    assert!(r.get("error").is_none(), "{r}");
}

#[test]
fn a_cancelled_long_run_returns_request_cancelled() {
    let dir = common::temp_dir("cancel-run");
    let file = dir.join("hang.ruff");
    std::fs::write(&file, "loop { }\n").unwrap();
    let script = dir.join("slow-ruff.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > \"{}/pid\"\nexec sleep 30\n",
            dir.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let uri = common::file_uri(&file);
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({"ruffPath": script.to_str().unwrap(), "insightTimeoutSeconds": 60}));
    lsp.open(&uri, "loop { }\n");
    let id = lsp.send_request(
        "workspace/executeCommand",
        json!({"command": "ruffLang.runWithJitInsight", "arguments": [{"uri": uri}]}),
    );
    // Wait until the program runs, then cancel.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dir.join("pid").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    lsp.notify("$/cancelRequest", json!({"id": id}));
    let r = lsp
        .wait_for(
            |m| m["id"] == id && m.get("method").is_none(),
            common::TIMEOUT,
        )
        .expect("an answer to the cancelled run");
    assert_eq!(r["error"]["code"], -32800, "{r}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The program was killed with the cancelled work.
    std::thread::sleep(Duration::from_millis(300));
    let pid = std::fs::read_to_string(dir.join("pid")).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z"),
        "still running: {stat}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn end_of_input_ends_the_server_even_while_it_waits_for_the_client() {
    // The client asks for a run with work-done progress, so the server asks
    // the client to create a progress token, and then the client dies
    // without answering.
    let dir = common::temp_dir("eof");
    let file = dir.join("p.ruff");
    std::fs::write(&file, "print(1)\n").unwrap();
    let uri = common::file_uri(&file);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruff-lsp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut chunk) {
            if n == 0 || tx.send(chunk[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let wait_for = |needle: &str, seen: &mut Vec<u8>| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !String::from_utf8_lossy(seen).contains(needle) && Instant::now() < deadline {
            if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(50)) {
                seen.extend_from_slice(&bytes);
            }
        }
        assert!(
            String::from_utf8_lossy(seen).contains(needle),
            "no {needle} in {}",
            String::from_utf8_lossy(seen)
        );
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"capabilities": {"window": {"workDoneProgress": true}},
                   "initializationOptions": {"ruffPath": "/bin/true"}}});
    stdin.write_all(&framed(&init.to_string())).unwrap();
    stdin.flush().unwrap();
    wait_for("capabilities", &mut seen);
    stdin
        .write_all(&framed(
            r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
        ))
        .unwrap();
    let run = json!({"jsonrpc": "2.0", "id": 2, "method": "workspace/executeCommand",
        "params": {"command": "ruffLang.runWithJitInsight", "arguments": [{"uri": uri}]}});
    stdin.write_all(&framed(&run.to_string())).unwrap();
    stdin.flush().unwrap();
    // Wait for the server's request to the client, then hang up.
    wait_for("window/workDoneProgress/create", &mut seen);
    drop(stdin);
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(1), "no shutdown was requested");
            break;
        }
        if started.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("the server is still running 5 s after end of input");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
