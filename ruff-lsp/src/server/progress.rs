//! Work-done progress (`$/progress`): for a run, and for an analysis that
//! turns out slow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tower_lsp_server::ls_types::*;

use super::State;

/// An analysis that has not finished after this long gets work-done
/// progress.
const SLOW_ANALYSIS: Duration = Duration::from_millis(300);

static PROGRESS_COUNTER: AtomicU64 = AtomicU64::new(0);

impl State {
    /// Work-done progress for a long operation: the client's token if it
    /// sent one, else a server-created one if the client supports that.
    pub(super) async fn progress_token(
        &self,
        given: Option<ProgressToken>,
    ) -> Option<ProgressToken> {
        if given.is_some() {
            return given;
        }
        if !self.caps().work_done_progress {
            return None;
        }
        let n = PROGRESS_COUNTER.fetch_add(1, Ordering::Relaxed);
        let token = ProgressToken::String(format!("ruff-lsp/{n}"));
        self.client
            .send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                token: token.clone(),
            })
            .await
            .ok()
            .map(|()| token)
    }

    /// Await `work`; if it takes longer than `SLOW_ANALYSIS`, show
    /// work-done progress ("Analysing NAME") until it ends.
    pub(super) async fn with_progress_if_slow<T>(
        &self,
        uri: &Uri,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let mut work = std::pin::pin!(work);
        tokio::select! {
            done = &mut work => return done,
            () = tokio::time::sleep(SLOW_ANALYSIS) => {}
        }
        let name = uri
            .to_file_path()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| uri.as_str().to_string());
        // The work does not wait for the client to create the token: a
        // client slow to answer gets no progress, not late diagnostics.
        let mut token = std::pin::pin!(self.progress_token(None));
        let token = tokio::select! {
            done = &mut work => return done,
            t = &mut token => t,
        };
        let progress = match token {
            Some(t) => Some(
                self.client
                    .progress(t, "Analysing")
                    .with_message(name)
                    .begin()
                    .await,
            ),
            None => None,
        };
        let done = work.await;
        if let Some(p) = progress {
            p.finish().await;
        }
        done
    }
}
