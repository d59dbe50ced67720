//! JIT insight over stdio: static hints and lenses, the configuration
//! switch, the run-with-insight command (with a stand-in `ruff` so the
//! telemetry is known), its timeout, and trust: nothing runs user code
//! except the explicit command.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{doc_pos, file_uri, pos, temp_dir, Lsp};
use serde_json::{json, Value};

/// 0-based lines: 2 the 100,000-iteration loop; 5 `hot`; 6 `greet` (its
/// `try` is refused); 7 `work` (called once, its loop runs by OSR); 8 the
/// struct with a method (`f` on line 9); 13 a loop whose variable turns from
/// int to float.
fn program(sentinel: &Path) -> String {
    format!(
        "write_file(\"{}\", \"ran\")\nmut total := 0\nfor i in range(0, 100000) {{\n    total += i * 2\n}}\nfunc hot(n) {{ return n * 2 }}\nfunc greet(n) {{ try {{ return n }} except e {{ return 0 }} }}\nfunc work() {{ mut s := 0; for j in range(0, 50000) {{ s += j }}; return s }}\nstruct P {{ x: int,\n  func f(self) {{ mut s := 0; for k in range(0, 5000) {{ s += k }}; return P {{ x: s }} }}\n}}\nmut x := 0\nmut h := 0\nfor k in range(0, 3000) {{ if k == 2000 {{ x = 0.5 }} x = x + 1; h = hot(k) }}\nprint(hot(total), greet(1), work(), P {{ x: 1 }}.f().x, x, h)\n",
        sentinel.display()
    )
}

/// The real `ruff` built next to this `ruff-lsp` (scripts/test.sh builds
/// every binary first).
fn real_ruff() -> PathBuf {
    let me = PathBuf::from(env!("CARGO_BIN_EXE_ruff-lsp"));
    let ruff = me.with_file_name("ruff");
    assert!(
        ruff.is_file(),
        "{} is missing: build it first (cargo build --release -p ruff-core)",
        ruff.display()
    );
    ruff
}

/// A stand-in for `ruff run --telemetry FILE PROGRAM` that records that it
/// ran, writes known telemetry and some output.
fn fake_ruff(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("fake-ruff.sh");
    let script = format!(
        "#!/bin/sh\n# args: run --telemetry TMP FILE\ntouch \"{}/ruff-invoked\"\necho $$ > \"{}/pid\"\n{body}\n",
        dir.display(),
        dir.display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs the real `ruff` and keeps a copy of the telemetry it wrote, so the
/// test checks the server's figures against the very events it read.
fn wrapped_real_ruff(dir: &Path) -> PathBuf {
    fake_ruff(
        dir,
        &format!(
            "\"{}\" \"$@\"\nstatus=$?\ncp \"$3\" \"{}/telemetry.jsonl\"\necho \"a warning on stderr\" >&2\nexit $status",
            real_ruff().display(),
            dir.display()
        ),
    )
}

/// The events of a telemetry file, as JSON.
fn events(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("telemetry.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn summary(events: &[Value], pred: impl Fn(&Value) -> bool) -> &Value {
    events
        .iter()
        .find(|e| e["event"] == "summary" && pred(&e["unit"]))
        .unwrap_or_else(|| panic!("no such summary in {events:#?}"))
}

/// `native_iterations / iterations` as the server formats it.
fn pct(s: &Value) -> String {
    let p = 100.0 * s["native_iterations"].as_f64().unwrap() / s["iterations"].as_f64().unwrap();
    let r = p.round();
    let r = if r >= 100.0 && p < 100.0 { 99.0 } else { r };
    format!("{}%", r as u64)
}

fn hints(lsp: &mut Lsp, uri: &str) -> Vec<(u32, String)> {
    hints_full(lsp, uri)
        .into_iter()
        .map(|(l, s, _)| (l, s))
        .collect()
}

/// (line, label, tooltip).
fn hints_full(lsp: &mut Lsp, uri: &str) -> Vec<(u32, String, String)> {
    let r = lsp.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": {"start": pos(0, 0), "end": pos(100, 0)}}),
    );
    r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["position"]["line"].as_u64().unwrap() as u32,
                h["label"].as_str().unwrap().to_string(),
                h["tooltip"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn lenses(lsp: &mut Lsp, uri: &str) -> Vec<(u32, String)> {
    let r = lsp.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri}}),
    );
    r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["command"]["command"], "ruffLang.runWithJitInsight");
            (
                l["range"]["start"]["line"].as_u64().unwrap() as u32,
                l["command"]["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn published(lsp: &Lsp, code: &str) -> Vec<Value> {
    let last = lsp
        .seen
        .iter()
        .rev()
        .find(|m| m["method"] == "textDocument/publishDiagnostics")
        .expect("diagnostics published");
    last["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .cloned()
        .collect()
}

#[test]
fn static_insight_trust_and_measured_run() {
    let dir = temp_dir("insight");
    let sentinel = dir.join("program-ran");
    let file = dir.join("prog.ruff");
    let text = program(&sentinel);
    std::fs::write(&file, &text).unwrap();
    let ruff = wrapped_real_ruff(&dir);
    let uri = file_uri(&file);

    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({"jitHints": true, "ruffPath": ruff.to_str().unwrap()}));
    lsp.open(&uri, &text);
    lsp.wait_notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str()
    });
    // The one static refusal: `try`, underlined, with what to change.
    let refused = published(&lsp, "jit-refused");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["severity"], 4, "hint");
    let try_col = text.lines().nth(6).unwrap().find("try").unwrap() as u64;
    assert_eq!(refused[0]["range"]["start"], pos(6, try_col as u32));
    let msg = refused[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("try/except") && msg.contains("To compile it"),
        "{msg}"
    );

    // Everything a user does while editing: none of it may run the program.
    for (method, params) in [
        ("textDocument/hover", doc_pos(&uri, 0, 2)),
        ("textDocument/completion", doc_pos(&uri, 3, 4)),
        (
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": uri}}),
        ),
        (
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        ),
    ] {
        let r = lsp.request(method, params);
        assert!(r.get("error").is_none(), "{method}: {r}");
    }
    assert!(hints(&mut lsp, &uri).contains(&(2, "⚡ JIT-eligible".to_string())));
    let l = lenses(&mut lsp, &uri);
    assert!(
        l.contains(&(0, "▶ Run with JIT insight".to_string())),
        "{l:?}"
    );
    assert!(l.contains(&(5, "⚡ JIT-eligible".to_string())), "{l:?}");
    assert!(
        l.iter().any(|(line, t)| *line == 6
            && t.starts_with("Not compiled by the JIT (unsupported-op: try)")),
        "{l:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !sentinel.exists(),
        "the program ran without the run command"
    );
    assert!(
        !dir.join("ruff-invoked").exists(),
        "ruff was invoked without the run command"
    );

    // The explicit command runs it (the real `ruff`).
    let r = lsp.request(
        "workspace/executeCommand",
        json!({"command": "ruffLang.runWithJitInsight", "arguments": [{"uri": uri}]}),
    );
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(r["result"]["exitCode"], 0, "{r}");
    assert_eq!(r["result"]["timedOut"], false);
    assert!(sentinel.exists());
    let ev = events(&dir);
    assert_eq!(r["result"]["events"], ev.len());

    let logged: Vec<String> = lsp
        .seen
        .iter()
        .filter(|m| m["method"] == "window/logMessage")
        .map(|m| m["params"]["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        logged.iter().any(|m| m.contains("a warning on stderr")),
        "{logged:?}"
    );
    let seen_methods: Vec<&str> = lsp
        .seen
        .iter()
        .filter_map(|m| m["method"].as_str())
        .collect();
    assert!(
        seen_methods.contains(&"workspace/inlayHint/refresh"),
        "{seen_methods:?}"
    );
    assert!(
        seen_methods.contains(&"workspace/codeLens/refresh"),
        "{seen_methods:?}"
    );

    // Loops: the share is native_iterations / iterations of the summary.
    let big = summary(&ev, |u| u["loop_line"] == 3);
    assert_eq!(big["iterations"], 100_000);
    let h = hints_full(&mut lsp, &uri);
    let (_, label, tooltip) = h.iter().find(|(l, _, _)| *l == 2).unwrap();
    assert_eq!(label, &format!("⚡ {} native", pct(big)), "{h:?}");
    assert!(
        label.chars().count() <= 16,
        "short enough not to be cut: {label}"
    );
    assert!(
        tooltip.contains(&format!(
            "{} of 100,000 iterations ran natively",
            thousands(big["native_iterations"].as_u64().unwrap())
        )),
        "{tooltip}"
    );

    let l = lenses(&mut lsp, &uri);
    let lens = |line: u32| {
        l.iter()
            .find(|(x, _)| *x == line)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no lens on line {line}: {l:?}"))
    };
    // A function compiled as a whole: its native entries, as counted.
    let hot = summary(&ev, |u| u["function"] == "hot" && u["kind"] == "function");
    assert!(hot["compiled"].as_bool().unwrap());
    assert!(
        lens(5).contains(&format!(
            "{} native entries",
            thousands(hot["native_entries"].as_u64().unwrap())
        )),
        "{}",
        lens(5)
    );
    // A function run once whose loop went native by OSR shows that loop.
    let work_loop = summary(&ev, |u| u["function"] == "work" && u["kind"] == "loop");
    assert!(
        lens(7).contains(&format!(
            "its loop at line 8 ran {} native (OSR)",
            pct(work_loop)
        )),
        "{}",
        lens(7)
    );
    // The method: whatever the telemetry says about `f` and its loop.
    let method_loop = summary(&ev, |u| u["function"] == "f" && u["kind"] == "loop");
    assert!(
        lens(9).contains(&format!("ran {} native (OSR)", pct(method_loop))),
        "{}",
        lens(9)
    );
    assert!(
        l.iter().any(|(_, t)| t.starts_with("last run: ran in")),
        "{l:?}"
    );
    // Every exit site of the run is a diagnostic with its guard's types and
    // the unit's exact exit count.
    let exits: Vec<&Value> = ev.iter().filter(|e| e["event"] == "exit").collect();
    let shown = published(&lsp, "jit-deopt");
    for e in &exits {
        let d = shown
            .iter()
            .find(|d| d["range"]["start"]["line"] == e["line"].as_u64().unwrap() - 1)
            .unwrap_or_else(|| panic!("exit {e} not shown in {shown:?}"));
        let m = d["message"].as_str().unwrap();
        assert!(m.contains(e["reason"].as_str().unwrap()), "{m}");
        if e["reason"] == "type-guard" {
            assert!(
                m.contains(&format!(
                    "expected {}, observed {}",
                    e["expected"].as_str().unwrap(),
                    e["observed"].as_str().unwrap()
                )),
                "{m}"
            );
        } else {
            assert!(!m.contains("expected none"), "{m}");
        }
        let total = summary(&ev, |u| *u == e["unit"])["exits"].as_u64().unwrap();
        assert!(
            m.contains(&format!("{} exits in this", thousands(total))),
            "{m}"
        );
    }
    // Hover on a global read in a loop shows the kinds observed at run time.
    let observed: Vec<&Value> = ev.iter().filter(|e| e["event"] == "observed").collect();
    assert!(!observed.is_empty(), "the run exported type feedback");
    let x_line = text.lines().nth(13).unwrap();
    let x_col = x_line.find("x + 1").unwrap() as u32;
    let r = lsp.request("textDocument/hover", doc_pos(&uri, 13, x_col));
    let hover = r["result"]["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let x_start = text.lines().take(13).map(|l| l.len() + 1).sum::<usize>() as u64 + x_col as u64;
    // The reads of the variable `x` (a one-byte identifier `x`, not a
    // field `.x`).
    let bytes = text.as_bytes();
    let x_reads: Vec<u64> = (0..bytes.len())
        .filter(|&i| {
            bytes[i] == b'x'
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.'))
                && !bytes
                    .get(i + 1)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        })
        .map(|i| i as u64)
        .collect();
    assert!(x_reads.contains(&x_start));
    let want: Vec<String> = observed
        .iter()
        .filter(|e| {
            x_reads.contains(&e["span"][0].as_u64().unwrap())
                && e["span"][1].as_u64().unwrap() == e["span"][0].as_u64().unwrap() + 1
        })
        .flat_map(|e| {
            e["types"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        !want.is_empty(),
        "feedback recorded for the read of x: {observed:?}"
    );
    for t in &want {
        assert!(hover.contains(t), "{t} missing from {hover}");
    }
    assert!(hover.contains("Observed at run time"), "{hover}");
    // With counts: each kind's share of the reads' interpreted executions.
    let total: u64 = observed
        .iter()
        .filter(|e| {
            x_reads.contains(&e["span"][0].as_u64().unwrap())
                && e["span"][1].as_u64().unwrap() == e["span"][0].as_u64().unwrap() + 1
        })
        .flat_map(|e| e["counts"].as_array().unwrap().iter())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert!(total > 0, "counts exported: {observed:?}");
    assert!(
        hover.contains(&format!("of {} interpreted executions", thousands(total))),
        "{hover}"
    );

    // An edit makes the measured facts stale: back to static hints.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4},
               "contentChanges": [{"range": {"start": pos(0, 0), "end": pos(0, 0)}, "text": "\n"}]}),
    );
    assert!(hints(&mut lsp, &uri).contains(&(3, "⚡ JIT-eligible".to_string())));
    let _ = std::fs::remove_dir_all(&dir);
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn a_failed_run_says_so_with_the_error() {
    let dir = temp_dir("failed");
    let file = dir.join("fail.ruff");
    let text = "func f(a) { return a / 0 }\nprint(f(1))\n";
    std::fs::write(&file, text).unwrap();
    let uri = file_uri(&file);
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({"ruffPath": real_ruff().to_str().unwrap()}));
    lsp.open(&uri, text);
    let r = lsp.request(
        "workspace/executeCommand",
        json!({"command": "ruffLang.runWithJitInsight", "arguments": [{"uri": uri}]}),
    );
    assert_ne!(r["result"]["exitCode"], 0, "{r}");
    let summary = r["result"]["summary"].as_str().unwrap();
    assert!(summary.starts_with("failed"), "{summary}");
    assert!(summary.contains("Division by zero"), "{summary}");
    let l = lenses(&mut lsp, &uri);
    assert!(
        l.iter().any(|(_, t)| t.starts_with("last run: failed")),
        "{l:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_timeout_argument_of_the_command_is_honoured() {
    // ruffLang.insight.timeoutSeconds reaches the server as the command's
    // `timeoutSeconds` argument; it wins over the server's own setting.
    let dir = temp_dir("timeout-arg");
    let file = dir.join("hang.ruff");
    std::fs::write(&file, "loop { }\n").unwrap();
    let ruff = fake_ruff(&dir, "exec sleep 30");
    let uri = file_uri(&file);
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({"ruffPath": ruff.to_str().unwrap(), "insightTimeoutSeconds": 60}));
    lsp.open(&uri, "loop { }\n");
    let started = Instant::now();
    let r = lsp.request(
        "workspace/executeCommand",
        json!({"command": "ruffLang.runWithJitInsight", "arguments": [{"uri": uri, "timeoutSeconds": 1}]}),
    );
    assert_eq!(r["result"]["timedOut"], true, "{r}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hanging_program_is_killed_at_the_timeout() {
    let dir = temp_dir("timeout");
    let file = dir.join("hang.ruff");
    std::fs::write(&file, "loop { }\n").unwrap();
    let ruff = fake_ruff(&dir, "echo started\nexec sleep 30");
    let uri = file_uri(&file);
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({"ruffPath": ruff.to_str().unwrap(), "insightTimeoutSeconds": 1}));
    lsp.open(&uri, "loop { }\n");
    let started = Instant::now();
    let r = lsp.request(
        "workspace/executeCommand",
        json!({"command": "ruffLang.runWithJitInsight", "arguments": [{"uri": uri}]}),
    );
    let took = started.elapsed();
    assert_eq!(r["result"]["timedOut"], true, "{r}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let shown: Vec<&Value> = lsp
        .seen
        .iter()
        .filter(|m| m["method"] == "window/showMessage")
        .collect();
    assert!(
        shown.iter().any(|m| m["params"]["type"] == 2
            && m["params"]["message"]
                .as_str()
                .unwrap()
                .contains("did not finish within 1 s")),
        "{shown:?}"
    );
    let pid = std::fs::read_to_string(dir.join("pid")).unwrap();
    let alive = Path::new(&format!("/proc/{}", pid.trim())).exists();
    assert!(!alive, "the program is still running");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn jit_hints_setting_turns_static_insight_off_and_on() {
    let uri = "file:///tmp/hints-setting.ruff";
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({"jitHints": false}));
    lsp.open(uri, "func f(n) { return n }\nwhile true { break }\n");
    lsp.wait_notification("textDocument/publishDiagnostics", |p| p["uri"] == uri);
    assert!(hints(&mut lsp, uri).is_empty());
    assert_eq!(
        lenses(&mut lsp, uri),
        vec![(0, "▶ Run with JIT insight".to_string())]
    );
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"ruffLang": {"jitHints": {"enabled": true}}}}),
    );
    lsp.wait_for(
        |m| m["method"] == "workspace/inlayHint/refresh",
        common::TIMEOUT,
    )
    .expect("inlay hint refresh after the setting changed");
    assert_eq!(
        hints(&mut lsp, uri),
        vec![(1, "⚡ JIT-eligible".to_string())]
    );
    assert_eq!(lenses(&mut lsp, uri).len(), 2);
    // Refusals are JIT hints too: shown only while the setting is on.
    lsp.open(
        "file:///tmp/hints-try.ruff",
        "func g() { try { } except e { } }\n",
    );
    let d = lsp.wait_notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == "file:///tmp/hints-try.ruff"
    });
    assert!(d["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["code"] == "jit-refused"));
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"jitHints": false}}),
    );
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": "file:///tmp/hints-try.ruff", "version": 2},
               "contentChanges": [{"text": "func g() { try { } except e { } }\n\n"}]}),
    );
    let d = lsp.wait_notification("textDocument/publishDiagnostics", |p| p["version"] == 2);
    assert!(!d["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["code"] == "jit-refused"));
}

#[test]
fn run_command_errors_are_replies_not_crashes() {
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({"ruffPath": "/nonexistent/ruff"}));
    for args in [
        json!([]),
        json!([{"uri": "file:///no/such/file.ruff"}]),
        json!(["not a uri"]),
    ] {
        let r = lsp.request(
            "workspace/executeCommand",
            json!({"command": "ruffLang.runWithJitInsight", "arguments": args}),
        );
        assert!(r.get("error").is_some(), "{r}");
    }
    let dir = temp_dir("noruff");
    let file = dir.join("x.ruff");
    std::fs::write(&file, "print(1)\n").unwrap();
    let r = lsp.request(
        "workspace/executeCommand",
        json!({"command": "ruffLang.runWithJitInsight", "arguments": [{"uri": file_uri(&file)}]}),
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Cannot start"),
        "{r}"
    );
    let r = lsp.request(
        "workspace/executeCommand",
        json!({"command": "other.command", "arguments": []}),
    );
    assert!(r.get("error").is_some());
    let _ = std::fs::remove_dir_all(&dir);
}
