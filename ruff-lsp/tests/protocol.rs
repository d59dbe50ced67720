//! The server over stdio, as a client sees it: initialize, diagnostics on
//! open and change, malformed input, unknown methods, unopened documents,
//! out-of-range positions, panics, and `exit` while stdin stays open.

mod common;

use std::time::Duration;

use common::{doc_pos, pos, Lsp};
use serde_json::{json, Value};

const URI: &str = "file:///tmp/protocol-test.ruff";

fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn initialize_open_change_publishes_versioned_diagnostics() {
    let mut lsp = Lsp::spawn(&[]);
    let init = lsp.initialize(json!({}));
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert!(caps["semanticTokensProvider"]["legend"]["tokenTypes"].is_array());
    assert_eq!(caps["callHierarchyProvider"], true);
    assert_eq!(caps["semanticTokensProvider"]["range"], true);
    assert_eq!(caps["semanticTokensProvider"]["full"]["delta"], true);
    assert_eq!(
        caps["executeCommandProvider"]["commands"][0],
        "ruffLang.runWithJitInsight"
    );

    let text = "let a := 1\na = 2\nprint(zz)\nbreak\nfunc f(x) { return x\n  print(1) }\nf(1, 2)\n";
    lsp.open(URI, text);
    let d = lsp.wait_notification("textDocument/publishDiagnostics", |p| p["uri"] == URI);
    assert_eq!(d["params"]["version"], 1);
    let got = codes(&d["params"]);
    for want in ["W0002", "W0001", "E0006", "W0005", "W0004"] {
        assert!(got.contains(&want.to_string()), "missing {want} in {got:?}");
    }
    let diags = d["params"]["diagnostics"].as_array().unwrap();
    let brk = diags.iter().find(|x| x["code"] == "E0006").unwrap();
    assert_eq!(brk["range"], json!({"start": pos(3, 0), "end": pos(3, 5)}));
    assert_eq!(brk["severity"], 1);
    let unreachable = diags.iter().find(|x| x["code"] == "W0005").unwrap();
    assert_eq!(unreachable["tags"], json!([1]));
    assert_eq!(unreachable["severity"], 2);

    // Fix `a = 2` → `b := 2` with an incremental edit (replace "a =" ).
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2},
               "contentChanges": [{"range": {"start": pos(1, 0), "end": pos(1, 3)}, "text": "b :="}]}),
    );
    let d = lsp.wait_notification("textDocument/publishDiagnostics", |p| p["version"] == 2);
    assert!(!codes(&d["params"]).contains(&"W0002".to_string()));
}

#[test]
fn malformed_json_gets_an_error_and_the_server_survives() {
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    lsp.send_raw(b"{this is not json");
    let err = lsp
        .wait_for(
            |m| m.get("error").is_some() && m["id"].is_null(),
            common::TIMEOUT,
        )
        .expect("parse error reply");
    assert_eq!(err["error"]["code"], -32700);
    // A valid JSON value that is not a JSON-RPC message.
    lsp.send_raw(b"[1, 2, 3]");
    // Still serving.
    let r = lsp.request("textDocument/hover", doc_pos(URI, 0, 0));
    assert_eq!(r["result"], Value::Null);
}

#[test]
fn unknown_methods_are_method_not_found() {
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    let r = lsp.request("ruff/noSuchMethod", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    // The panic hook is hidden unless the test env var is set.
    let r = lsp.request("ruff/debugPanic", Value::Null);
    assert_eq!(r["error"]["code"], -32601);
    // Unknown notifications are ignored without a reply.
    lsp.notify("ruff/unknownNotification", json!({}));
    let r = lsp.request("textDocument/hover", doc_pos(URI, 0, 0));
    assert!(r.get("error").is_none());
}

#[test]
fn unopened_documents_and_out_of_range_positions() {
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    let other = "file:///tmp/never-opened.ruff";
    for method in [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/completion",
        "textDocument/signatureHelp",
        "textDocument/prepareRename",
    ] {
        let r = lsp.request(method, doc_pos(other, 3, 4));
        assert_eq!(r["result"], Value::Null, "{method}: {r}");
    }
    let r = lsp.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": other}}),
    );
    assert_eq!(r["result"], Value::Null);

    lsp.open(URI, "x := 1\nprint(x)\n");
    lsp.wait_notification("textDocument/publishDiagnostics", |p| p["uri"] == URI);
    for (line, ch) in [(0, 999), (999, 0), (u32::MAX, u32::MAX)] {
        let r = lsp.request("textDocument/hover", doc_pos(URI, line, ch));
        assert!(r.get("error").is_none(), "{r}");
        let r = lsp.request("textDocument/completion", doc_pos(URI, line, ch));
        assert!(r["result"].is_array(), "{r}");
    }
    // A change whose range lies past the end is clamped, not a crash.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2},
               "contentChanges": [{"range": {"start": pos(50, 3), "end": pos(60, 0)}, "text": "y := x\n"}]}),
    );
    let d = lsp.wait_notification("textDocument/publishDiagnostics", |p| p["version"] == 2);
    assert_eq!(d["params"]["diagnostics"], json!([]));
    let r = lsp.request("textDocument/hover", doc_pos(URI, 2, 0));
    assert!(
        r["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("mut y"),
        "{r}"
    );
}

#[test]
fn a_panicking_handler_becomes_an_error_reply() {
    let mut lsp = Lsp::spawn(&[("RUFF_LSP_TEST_PANIC", "1")]);
    lsp.initialize(json!({}));
    let r = lsp.request("ruff/debugPanic", Value::Null);
    assert_eq!(r["error"]["code"], -32603, "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("deliberate panic"));
    // The server is still alive and answering.
    lsp.open(URI, "x := 1\n");
    lsp.wait_notification("textDocument/publishDiagnostics", |p| p["uri"] == URI);
    let r = lsp.request("textDocument/hover", doc_pos(URI, 0, 0));
    assert!(r["result"]["contents"].is_object(), "{r}");
}

#[test]
fn exit_with_stdin_still_open_ends_the_process() {
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    lsp.shutdown_and_exit();
    let status = lsp
        .wait_exit(Duration::from_secs(5))
        .expect("process ended");
    assert_eq!(status.code(), Some(0));

    // Without `shutdown` first, the exit code is 1 (LSP spec).
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    lsp.notify("exit", Value::Null);
    let status = lsp
        .wait_exit(Duration::from_secs(5))
        .expect("process ended");
    assert_eq!(status.code(), Some(1));
}
