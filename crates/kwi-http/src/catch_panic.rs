//! A request whose handler panics gets a 500 answer and a log line instead of a dropped
//! connection: no input may take a request down without an answer, whatever bug it reaches
//! (a storage engine that panics on a corrupted page, say).

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};

/// The answer to a request whose handler panicked.
pub(crate) fn internal_error() -> Response<Body> {
    let mut response = Response::new(Body::from(
        "{\"errors\":[\"internal error: the request could not be completed; see the server's log\"]}\n",
    ));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The message a panic carried (`panic!("…")` or a `String` payload), or "" for others.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Runs `inner`; if polling it panics, answers [`internal_error`] and logs the panic.
pub(crate) struct CatchPanic<F> {
    inner: Option<Pin<Box<F>>>,
}

impl<F> CatchPanic<F> {
    pub(crate) fn new(inner: F) -> CatchPanic<F> {
        CatchPanic {
            inner: Some(Box::pin(inner)),
        }
    }
}

impl<F, E> Future for CatchPanic<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(Ok(internal_error()));
        };
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                this.inner = None;
                let what = panic_text(payload.as_ref());
                crate::log::event("error", "a request handler panicked", &[("panic", &what)]);
                Poll::Ready(Ok(internal_error()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500() {
        let handler = async {
            if std::hint::black_box(true) {
                std::panic::resume_unwind(Box::new("corrupted page"));
            }
            Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
        };
        let answer = CatchPanic::new(handler).await;
        assert!(matches!(answer, Ok(r) if r.status() == StatusCode::INTERNAL_SERVER_ERROR));
    }

    #[tokio::test]
    async fn a_handler_that_answers_is_passed_through() {
        let handler = async { Ok::<_, std::convert::Infallible>(Response::new(Body::from("ok"))) };
        let answer = CatchPanic::new(handler).await;
        assert!(matches!(answer, Ok(r) if r.status() == StatusCode::OK));
    }
}
