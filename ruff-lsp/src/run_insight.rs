//! Measured JIT insight: run the user's program with telemetry on, in a
//! child process, only when the user explicitly asks (the
//! `ruffLang.runWithJitInsight` command). Nothing else in the server ever
//! executes user code: opening, editing, hovering and hints only parse.
//!
//! The child gets no stdin (a program waiting for `input()` reads end of
//! input instead of hanging the editor), its output is captured with a size
//! cap, and it is killed when it outlives the timeout.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use std::pin::Pin;
use std::task::Poll;

use tokio::io::{AsyncRead, ReadBuf};
use tokio::process::Command;

/// Output kept per stream; the rest is drained and dropped so a chatty
/// program cannot exhaust the server's memory.
pub const OUTPUT_CAP: usize = 256 * 1024;

pub const COMMAND: &str = "ruffLang.runWithJitInsight";

#[derive(Debug)]
pub struct RunOutcome {
    pub elapsed: Duration,
    /// `None` when the program was killed at the timeout.
    pub status: Option<ExitStatus>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    /// The raw JSON Lines written by `--telemetry` (empty if none).
    pub telemetry: String,
}

/// The `ruff` executable: the configured path, else the one next to this
/// server's executable (same target dir / install dir), else `ruff` on PATH.
pub fn find_ruff(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(p.to_path_buf());
    }
    let exe_name = format!("ruff{}", std::env::consts::EXE_SUFFIX);
    if let Ok(me) = std::env::current_exe() {
        if let Some(dir) = me.parent() {
            let sibling = dir.join(&exe_name);
            if sibling.is_file() {
                return Some(sibling);
            }
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(&exe_name))
        .find(|p| p.is_file())
}

static RUN_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Run `ruff run --telemetry TMP FILE` with a timeout.
pub async fn run(ruff: &Path, file: &Path, timeout: Duration) -> std::io::Result<RunOutcome> {
    let telemetry_path = std::env::temp_dir().join(format!(
        "ruff-lsp-telemetry-{}-{}.jsonl",
        std::process::id(),
        RUN_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut cmd = Command::new(ruff);
    cmd.arg("run")
        .arg("--telemetry")
        .arg(&telemetry_path)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = file.parent().filter(|d| d.is_dir()) {
        cmd.current_dir(dir);
    }
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    let stdout = tokio::spawn(read_capped(child.stdout.take()));
    let stderr = tokio::spawn(read_capped(child.stderr.take()));
    let (status, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => (Some(status?), false),
        Err(_) => {
            // kill() sends SIGKILL and reaps the child.
            let _ = child.kill().await;
            (None, true)
        }
    };
    let elapsed = started.elapsed();
    let stdout = stdout.await.unwrap_or_default();
    let stderr = stderr.await.unwrap_or_default();
    let telemetry = tokio::task::spawn_blocking({
        let p = telemetry_path.clone();
        move || {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let _ = std::fs::remove_file(&p);
            text
        }
    })
    .await
    .unwrap_or_default();
    Ok(RunOutcome {
        elapsed,
        status,
        timed_out,
        stdout,
        stderr,
        telemetry,
    })
}

/// One read, without tokio's `io-util` extension traits (the crate keeps
/// tokio's feature set minimal).
async fn read_some(
    stream: &mut (impl AsyncRead + Unpin),
    buf: &mut [u8],
) -> std::io::Result<usize> {
    std::future::poll_fn(|cx| {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut *stream).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

async fn read_capped(stream: Option<impl AsyncRead + Unpin>) -> String {
    let Some(mut stream) = stream else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut dropped = 0usize;
    loop {
        match read_some(&mut stream, &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                dropped += n.saturating_sub(room);
            }
        }
    }
    let mut s = String::from_utf8_lossy(&kept).into_owned();
    if dropped > 0 {
        s.push_str(&format!("\n… ({dropped} more bytes not shown)"));
    }
    s
}
