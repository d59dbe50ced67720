//! Latency benchmark on a 10,000-line file (`common::big_program`): the
//! medians of hover and of completion right after an edit (the edit's
//! re-analysis included), timed over stdio in the test client. It prints
//! the figures and asserts only that every answer came back: timings
//! depend on the machine and its load, so there are no thresholds here.
//!
//!   cargo test --release -p ruff-lsp --test latency -- --nocapture
//!
//! The figures of the last run are recorded in ruff-lsp/README.md.

mod common;

use std::time::Duration;

use common::{big_program, doc_pos, pos, Lsp};
use serde_json::json;

const URI: &str = "file:///tmp/latency-bench.ruff";
const RUNS: usize = 41;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[test]
fn hover_and_completion_after_an_edit_medians() {
    let text = big_program();
    let mut lsp = Lsp::spawn(&[]);
    lsp.initialize(json!({}));
    lsp.open(URI, &text);
    lsp.wait_notification("textDocument/publishDiagnostics", |p| p["uri"] == URI);

    let find = |needle: &str| {
        let at = text.find(needle).unwrap();
        let line = text[..at].matches('\n').count() as u32;
        let col = (at - text[..at].rfind('\n').map_or(0, |p| p + 1)) as u32;
        (line, col)
    };
    let (fl, fc) = find("f700(n, k)");
    let (al, ac) = find("acc += j * k\n    }\n    let p := P700");

    let hovers: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let (r, t) = lsp.timed_request("textDocument/hover", doc_pos(URI, fl, fc + 1));
            assert!(r["result"].is_object(), "{r}");
            t
        })
        .collect();

    // Each round: type one character after `acc += j * k` (a new version),
    // then ask for completion there; the answer needs the new analysis.
    let mut completions = Vec::new();
    for round in 0..RUNS {
        let version = 2 + round as i64;
        let col = ac + "acc += j * k".len() as u32;
        let (start, end, insert) = if round % 2 == 0 {
            (pos(al, col), pos(al, col), " ")
        } else {
            (pos(al, col), pos(al, col + 1), "")
        };
        lsp.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": version},
                   "contentChanges": [{"range": {"start": start, "end": end}, "text": insert}]}),
        );
        let (r, t) = lsp.timed_request("textDocument/completion", doc_pos(URI, al, ac + 2));
        assert!(r["result"].is_array() || r["result"].is_object(), "{r}");
        completions.push(t);
    }

    println!(
        "10,000-line file ({} lines, {} bytes), {RUNS} runs each",
        text.lines().count(),
        text.len()
    );
    println!(
        "  hover                       median {:>7.3} ms",
        ms(median(hovers))
    );
    println!(
        "  completion after an edit    median {:>7.3} ms",
        ms(median(completions))
    );
}
