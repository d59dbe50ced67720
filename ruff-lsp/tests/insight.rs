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

/// Line 3 (0-based 2) holds the loop; line 4 the deopt site.
fn program(sentinel: &Path) -> String {
    format!(
        "write_file(\"{}\", \"ran\")\nmut total := 0\nfor i in range(0, 100) {{\n    total += i * 2\n}}\nfunc hot(n) {{ return n * 2 }}\nfunc greet(n) {{ try {{ return n }} except e {{ return 0 }} }}\nprint(hot(total), greet(1))\n",
        sentinel.display()
    )
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

const TELEMETRY: &str = r#"cat > "$3" <<'JSONL'
{"event":"compile_finished","kind":"loop","line":3,"compile_us":400,"iterations_before_compile":1000}
{"event":"summary","kind":"loop","line":3,"native_pct":97}
{"event":"compile_refused","kind":"function","name":"hot","reason":"unsupported-op: demo"}
{"event":"deopt","line":4,"reason":"guard failed","expected":"int","observed":"float","count":12}
JSONL
echo "hello from the program"
echo "a warning on stderr" >&2
exit 0"#;

fn hints(lsp: &mut Lsp, uri: &str) -> Vec<(u32, String)> {
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

#[test]
fn static_insight_trust_and_measured_run() {
    let dir = temp_dir("insight");
    let sentinel = dir.join("program-ran");
    let file = dir.join("prog.ruff");
    let text = program(&sentinel);
    std::fs::write(&file, &text).unwrap();
    let ruff = fake_ruff(&dir, TELEMETRY);
    let uri = file_uri(&file);

    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({"jitHints": true, "ruffPath": ruff.to_str().unwrap()}));
    lsp.open(&uri, &text);
    let d = lsp.wait_notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str()
    });
    assert_eq!(d["params"]["diagnostics"], json!([]));

    // Everything a user does while editing: none of it may run the program.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": {"start": pos(1, 0), "end": pos(1, 0)}, "text": "# edited\n"}]}),
    );
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3},
               "contentChanges": [{"range": {"start": pos(1, 0), "end": pos(2, 0)}, "text": ""}]}),
    );
    lsp.wait_notification("textDocument/publishDiagnostics", |p| p["version"] == 3);
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
    assert_eq!(
        hints(&mut lsp, &uri),
        vec![(2, "⚡ JIT-eligible".to_string())]
    );
    let l = lenses(&mut lsp, &uri);
    assert_eq!(
        l,
        vec![
            (0, "▶ Run with JIT insight".to_string()),
            (5, "⚡ JIT-eligible".to_string()),
            (6, "not compiled: unsupported-op: try".to_string()),
        ]
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

    // The explicit command runs it.
    let r = lsp.request(
        "workspace/executeCommand",
        json!({"command": "ruffLang.runWithJitInsight", "arguments": [{"uri": uri}]}),
    );
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(r["result"]["exitCode"], 0);
    assert_eq!(r["result"]["timedOut"], false);
    assert_eq!(r["result"]["events"], 4);
    assert!(dir.join("ruff-invoked").exists());

    let logged: Vec<String> = lsp
        .seen
        .iter()
        .filter(|m| m["method"] == "window/logMessage")
        .map(|m| m["params"]["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        logged.iter().any(|m| m.contains("hello from the program")),
        "{logged:?}"
    );
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
    let deopt = lsp
        .seen
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .flat_map(|m| {
            m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|d| d["code"] == "jit-deopt")
        .expect("deopt diagnostic published");
    assert_eq!(deopt["severity"], 3, "12 deopts is a hot spot: information");
    assert_eq!(deopt["range"]["start"]["line"], 3);
    assert!(deopt["message"]
        .as_str()
        .unwrap()
        .contains("expected int, observed float"));

    assert_eq!(
        hints(&mut lsp, &uri),
        vec![(
            2,
            "⚡ native after 1,000 iterations · 97% native · 0.4 ms compile".to_string()
        )]
    );
    let l = lenses(&mut lsp, &uri);
    assert!(
        l.contains(&(
            5,
            "not compiled: unsupported-op: demo (measured)".to_string()
        )),
        "{l:?}"
    );
    assert!(
        l.iter().any(|(_, t)| t.starts_with("last run: ran in")),
        "{l:?}"
    );

    // An edit makes the measured facts stale: back to static hints.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4},
               "contentChanges": [{"range": {"start": pos(0, 0), "end": pos(0, 0)}, "text": "\n"}]}),
    );
    assert_eq!(
        hints(&mut lsp, &uri),
        vec![(3, "⚡ JIT-eligible".to_string())]
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
