//! Scale: a 10,000-line file (every request answered, with a result) and
//! 1,000 rapid edits (no crash, the last version wins, bounded memory).
//! Run with `--nocapture` to see the measured latencies; they are printed,
//! not asserted (timings depend on the machine and its load), and the
//! README records a run's figures.

mod common;

use std::time::{Duration, Instant};

use common::{big_program, doc_pos, pos, Lsp};
use serde_json::{json, Value};

const URI: &str = "file:///tmp/scale-test.ruff";

/// The two tests would compete for the machine's two cores (and other
/// engineers' builds already do): run them one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn line_of(text: &str, needle: &str) -> (u32, u32) {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() as u32;
    let col = (at - text[..at].rfind('\n').map_or(0, |p| p + 1)) as u32;
    (line, col)
}

#[test]
fn every_request_on_a_10000_line_file_is_answered() {
    let _serial = serial();
    let text = big_program();
    let lines = text.lines().count();
    assert!(lines >= 10_000);
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    let opened = Instant::now();
    lsp.open(URI, &text);
    let d = lsp.wait_notification("textDocument/publishDiagnostics", |p| p["uri"] == URI);
    let analysis = opened.elapsed();
    assert_eq!(
        d["params"]["diagnostics"],
        json!([]),
        "the program is clean"
    );

    let (fl, fc) = line_of(&text, "f700(n, k)");
    let (ul, uc) = line_of(&text, "total += f700(");
    let (al, ac) = line_of(&text, "acc += j");
    let end_line = lines as u32 - 1;
    let requests: Vec<(&str, Value)> = vec![
        ("textDocument/hover", doc_pos(URI, fl, fc + 1)),
        ("textDocument/definition", doc_pos(URI, ul, uc + 10)),
        (
            "textDocument/references",
            json!({"textDocument": {"uri": URI}, "position": pos(fl, fc + 1), "context": {"includeDeclaration": true}}),
        ),
        ("textDocument/completion", doc_pos(URI, al, ac)),
        ("textDocument/signatureHelp", doc_pos(URI, ul, uc + 14)),
        ("textDocument/prepareRename", doc_pos(URI, fl, fc + 1)),
        (
            "textDocument/rename",
            json!({"textDocument": {"uri": URI}, "position": pos(0, 5), "newName": "grand_total"}),
        ),
        (
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": URI}}),
        ),
        (
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": URI}}),
        ),
        (
            "textDocument/foldingRange",
            json!({"textDocument": {"uri": URI}}),
        ),
        (
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": URI}, "range": {"start": pos(0, 0), "end": pos(end_line, 0)}}),
        ),
        (
            "textDocument/codeLens",
            json!({"textDocument": {"uri": URI}}),
        ),
    ];
    println!("10,000-line file ({lines} lines, {} bytes)", text.len());
    println!(
        "  open → diagnostics published: {:.1} ms",
        analysis.as_secs_f64() * 1e3
    );
    let mut worst = Duration::ZERO;
    for (method, params) in &requests {
        // Median of 5 runs, and the maximum.
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let (r, t) = lsp.timed_request(method, params.clone());
                assert!(r.get("error").is_none(), "{method}: {r}");
                assert!(!r["result"].is_null(), "{method} returned null");
                t
            })
            .collect();
        times.sort();
        let max = *times.last().unwrap();
        worst = worst.max(max);
        println!(
            "  {method:<36} median {:>6.2} ms   max {:>6.2} ms",
            times[2].as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    }
    // The first request after an edit includes re-analysis of the new text.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2},
               "contentChanges": [{"range": {"start": pos(al, ac), "end": pos(al, ac + 3)}, "text": "acc"}]}),
    );
    let (r, t) = lsp.timed_request("textDocument/hover", doc_pos(URI, fl, fc + 1));
    assert!(r["result"].is_object());
    println!(
        "  hover right after an edit (re-analysis) {:>6.2} ms",
        t.as_secs_f64() * 1e3
    );
    println!("  worst request: {:.2} ms", worst.as_secs_f64() * 1e3);
}

#[test]
fn a_thousand_rapid_edits() {
    let _serial = serial();
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    let base = big_program();
    lsp.open(URI, &base);
    lsp.wait_notification("textDocument/publishDiagnostics", |p| p["uri"] == URI);
    let rss_before = lsp.rss_kib();
    // Type 1,000 characters at the end of the first line, one edit each,
    // as fast as the pipe takes them; emoji exercise surrogate pairs.
    let mut col = "mut total := 0".encode_utf16().count() as u32;
    for i in 0..1000 {
        let ch = if i % 2 == 0 { " " } else { "😀" };
        lsp.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": i + 2},
                   "contentChanges": [{"range": {"start": pos(0, col), "end": pos(0, col)}, "text": ch}]}),
        );
        col += ch.encode_utf16().count() as u32;
    }
    // Replace the typed text by a comment marker with one ranged edit.
    let start = "mut total := 0".len() as u32;
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 1002},
               "contentChanges": [{"range": {"start": pos(0, start), "end": pos(0, col)}, "text": " # ok"}]}),
    );
    let d = lsp.wait_notification("textDocument/publishDiagnostics", |p| p["version"] == 1002);
    assert_eq!(
        d["params"]["diagnostics"],
        json!([]),
        "text is back to a clean program"
    );
    // No diagnostics for superseded versions after the last one.
    std::thread::sleep(Duration::from_millis(300));
    lsp.wait_for(|_| false, Duration::from_millis(50));
    let versions: Vec<i64> = lsp
        .seen
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .filter_map(|m| m["params"]["version"].as_i64())
        .collect();
    let last = *versions.last().unwrap();
    assert_eq!(last, 1002, "published versions: {versions:?}");
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "versions only grow: {versions:?}"
    );
    println!(
        "1,000 edits: {} diagnostics publications (debounced)",
        versions.len()
    );
    let r = lsp.request("textDocument/hover", doc_pos(URI, 0, 5));
    assert!(r["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("mut total"));
    if let (Some(before), Some(after)) = (rss_before, lsp.rss_kib()) {
        println!("RSS before edits {before} KiB, after {after} KiB");
        assert!(
            after < before + 200 * 1024,
            "memory grew from {before} to {after} KiB"
        );
    }
}
