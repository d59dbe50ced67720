//! A panic in one handler must become an error reply, never a dead server.
//! tower-lsp-server polls handler futures inside its main serve loop, so an
//! unwinding panic there would take the whole process down. Every handler
//! body is wrapped in `guard`, which polls it under `catch_unwind`.
//! (Analysis runs in `spawn_blocking`, whose panics already arrive as a
//! `JoinError`; see `analysis::for_snapshot`.)

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_lsp_server::jsonrpc;

/// Polls the inner future, turning a panic into `Err(message)`.
struct CatchUnwind<'a, T> {
    inner: Pin<Box<dyn Future<Output = T> + Send + 'a>>,
}

impl<T> Future for CatchUnwind<'_, T> {
    type Output = Result<T, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // AssertUnwindSafe: after a panic the future is dropped, never polled
        // again, so no broken invariant inside it is observed.
        match catch_unwind(AssertUnwindSafe(|| self.inner.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Run a request handler; a panic becomes an `InternalError` reply.
pub async fn guard<'a, T>(
    method: &str,
    fut: impl Future<Output = jsonrpc::Result<T>> + Send + 'a,
) -> jsonrpc::Result<T> {
    match (CatchUnwind {
        inner: Box::pin(fut),
    })
    .await
    {
        Ok(result) => result,
        Err(msg) => {
            let mut err = jsonrpc::Error::internal_error();
            err.message = format!("internal error in {method}: {msg}").into();
            Err(err)
        }
    }
}

/// Run a notification handler; a panic is logged to stderr and dropped.
pub async fn guard_notification<'a>(method: &str, fut: impl Future<Output = ()> + Send + 'a) {
    if let Err(msg) = (CatchUnwind {
        inner: Box::pin(fut),
    })
    .await
    {
        eprintln!("ruff-lsp: internal error in {method}: {msg}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn panics_become_errors() {
        let r: jsonrpc::Result<()> = guard("test/panic", async { panic!("boom") }).await;
        let err = r.unwrap_err();
        assert_eq!(err.code, jsonrpc::ErrorCode::InternalError);
        assert!(err.message.contains("boom"), "{}", err.message);
        let ok = guard("test/ok", async { Ok(5) }).await;
        assert_eq!(ok.unwrap(), 5);
    }
}
