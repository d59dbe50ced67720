//! The `ruffLang.runWithJitInsight` command: run the file with telemetry,
//! report the outcome, and keep the measurement for hints and hovers.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::{lsp_error, State};
use crate::analysis;
use crate::insight_view::Measured;
use crate::{run_insight, telemetry};

/// The `timeoutSeconds` argument of the run command (what editors/vscode
/// passes from `ruffLang.insight.timeoutSeconds`), if valid.
fn timeout_of(args: &[Value]) -> Option<Duration> {
    let secs = args.first()?.get("timeoutSeconds")?.as_f64()?;
    (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// The `ruffPath` argument of the run command (the interpreter the
/// editor's own setting resolves to; editors/vscode sends it), if any.
fn ruff_path_of(args: &[Value]) -> Option<std::path::PathBuf> {
    let p = args.first()?.get("ruffPath")?.as_str()?.trim();
    (!p.is_empty()).then(|| std::path::PathBuf::from(p))
}

/// The error line of a failed run's stderr (`error: ...`), else its first line.
fn error_line(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn uri_of(args: &[Value]) -> Option<Uri> {
    let v = args.first()?;
    let s = v
        .get("uri")
        .and_then(Value::as_str)
        .or_else(|| v.as_str())?;
    s.parse().ok()
}

impl State {
    pub(super) async fn run_with_insight(
        &self,
        args: &[Value],
        token: Option<ProgressToken>,
    ) -> Result<Option<Value>> {
        let uri = uri_of(args).ok_or_else(|| lsp_error("expected arguments [{\"uri\": ...}]"))?;
        let path = uri
            .to_file_path()
            .map(|p| p.into_owned())
            .filter(|p| p.is_file())
            .ok_or_else(|| lsp_error(format!("{} is not a file on disk", uri.as_str())))?;
        let settings = self.settings();
        let configured = ruff_path_of(args).or(settings.ruff_path.clone());
        let Some(ruff) = run_insight::find_ruff(configured.as_deref()) else {
            let msg = "Cannot run with JIT insight: the `ruff` executable was not found (set initializationOptions.ruffPath)";
            self.client.show_message(MessageType::ERROR, msg).await;
            return Err(lsp_error(msg));
        };
        if let Some(snap) = self.docs.snapshot(&uri) {
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            if on_disk != *snap.text {
                self.client
                    .log_message(
                        MessageType::WARNING,
                        "The file has unsaved changes: running the saved version.",
                    )
                    .await;
            }
        }
        self.client
            .log_message(
                MessageType::INFO,
                format!(
                    "Running {} run --telemetry <tmp> {}",
                    ruff.display(),
                    path.display()
                ),
            )
            .await;
        let timeout = timeout_of(args).unwrap_or(settings.insight_timeout);
        let progress = match self.progress_token(token).await {
            Some(t) => Some(
                self.client
                    .progress(t, "Run with JIT insight")
                    .with_message(format!(
                        "running {} (stopped after {} s)",
                        path.file_name()
                            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                        timeout.as_secs_f64()
                    ))
                    .begin()
                    .await,
            ),
            None => None,
        };
        let run = run_insight::run(&ruff, &path, timeout).await;
        if let Some(p) = progress {
            p.finish_with_message("done").await;
        }
        let outcome = match run {
            Ok(o) => o,
            Err(e) => {
                let msg = format!("Cannot start {}: {e}", ruff.display());
                self.client.show_message(MessageType::ERROR, &msg).await;
                return Err(lsp_error(msg));
            }
        };
        if !outcome.stdout.is_empty() {
            self.client
                .log_message(
                    MessageType::INFO,
                    format!("[program stdout]\n{}", outcome.stdout),
                )
                .await;
        }
        if !outcome.stderr.is_empty() {
            self.client
                .log_message(
                    MessageType::INFO,
                    format!("[program stderr]\n{}", outcome.stderr),
                )
                .await;
        }
        let ms = outcome.elapsed.as_millis();
        let t = telemetry::parse(&outcome.telemetry);
        let exit_code = outcome.status.and_then(|s| s.code());
        let failed = !outcome.timed_out && outcome.status.is_some_and(|s| !s.success());
        let compiled = t
            .units
            .iter()
            .filter(|u| u.summary.is_some_and(|s| s.compiled))
            .count();
        let jit = format!("{compiled} units compiled, {} exit sites", t.exits.len());
        let summary = if outcome.timed_out {
            format!("stopped after {} s (timeout); {jit}", timeout.as_secs_f64())
        } else if failed {
            let code =
                exit_code.map_or_else(|| "a signal".to_string(), |c| format!("exit code {c}"));
            format!(
                "failed after {ms} ms ({code}): {}; {jit}",
                error_line(&outcome.stderr)
            )
        } else if t.events == 0 {
            format!("ran in {ms} ms; no JIT events (JIT not available)")
        } else {
            format!("ran in {ms} ms; {jit}")
        };
        if outcome.timed_out {
            self.client
                .show_message(
                    MessageType::WARNING,
                    format!(
                        "{} did not finish within {} s and was stopped.",
                        path.display(),
                        timeout.as_secs_f64()
                    ),
                )
                .await;
        } else if failed {
            self.client
                .show_message(
                    MessageType::ERROR,
                    format!("Run with JIT insight: {summary}"),
                )
                .await;
        } else {
            self.client
                .show_message(
                    MessageType::INFO,
                    format!("Run with JIT insight: {summary}"),
                )
                .await;
        }
        let result = json!({
            "exitCode": exit_code,
            "timedOut": outcome.timed_out,
            "elapsedMs": ms as u64,
            "events": t.events,
            "summary": summary,
        });
        if let Some(snap) = self.docs.snapshot(&uri) {
            let measured = Arc::new(Measured {
                telemetry: t,
                summary,
            });
            self.measured
                .insert(uri.clone(), (snap.generation, measured));
            if let Ok(a) = analysis::for_snapshot(&snap).await {
                self.publish(&snap, &a).await;
            }
        }
        self.refresh_insight().await;
        Ok(Some(result))
    }
}
