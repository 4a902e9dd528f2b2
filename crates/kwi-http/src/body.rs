//! Reading a request body into one buffer whose size is bounded by the body limit, whatever the
//! client's write pattern.
//!
//! Collecting hyper's frames (as `axum::body::to_bytes` does) keeps every frame alive until the
//! end, and each frame is a slice of the connection's read buffer: a body written one byte at a
//! time leaves a million one-byte frames each pinning a buffer allocation, over a gigabyte for a
//! 1 MB body. Copying each frame into one buffer as it arrives drops the frame at once, so hyper
//! reuses its read buffer and the cost is the body itself.

use std::time::Duration;

use http_body_util::BodyExt;

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is (or announces itself as) longer than the limit.
    #[error("request body larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The connection ended before the body did, or its chunked encoding is broken.
    #[error("the request body could not be read (incomplete or malformed)")]
    Incomplete,
    /// The body did not arrive in time.
    #[error("request body not received within {} s", .0.as_secs())]
    TimedOut(Duration),
}

/// Reads the whole body, at most `limit` bytes, within `timeout`. A `Content-Length` over the
/// limit is refused before anything is read.
pub async fn read_body<B>(body: B, limit: usize, timeout: Duration) -> Result<Vec<u8>, BodyError>
where
    B: http_body::Body + Unpin,
{
    let announced = body.size_hint().exact();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let capacity = announced.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    match tokio::time::timeout(timeout, collect(body, limit, capacity)).await {
        Ok(result) => result,
        Err(_) => Err(BodyError::TimedOut(timeout)),
    }
}

async fn collect<B>(mut body: B, limit: usize, capacity: usize) -> Result<Vec<u8>, BodyError>
where
    B: http_body::Body + Unpin,
{
    let mut out = Vec::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Incomplete)?;
        if let Ok(data) = frame.into_data() {
            use bytes::Buf;
            let mut data = data;
            while data.has_remaining() {
                let chunk = data.chunk();
                if out.len() + chunk.len() > limit {
                    return Err(BodyError::TooLarge { limit });
                }
                out.extend_from_slice(chunk);
                let n = chunk.len();
                data.advance(n);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use http_body::Frame;
    use http_body_util::Full;

    use super::*;

    /// A body that arrives as the given frames, one per poll, as a slow client's do.
    struct Frames(VecDeque<&'static [u8]>);

    impl http_body::Body for Frames {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(
                self.0
                    .pop_front()
                    .map(|part| Ok(Frame::data(Bytes::from_static(part)))),
            )
        }
    }

    fn frames(part: &'static [u8], count: usize) -> Frames {
        Frames(std::iter::repeat_n(part, count).collect())
    }

    #[tokio::test]
    async fn many_small_frames_make_one_body() {
        let body = read_body(frames(b"a", 1000), 1024, Duration::from_secs(5)).await;
        assert_eq!(body, Ok(vec![b'a'; 1000]));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_while_it_arrives() {
        let body = read_body(frames(b"abcd", 300), 1024, Duration::from_secs(5)).await;
        assert_eq!(body, Err(BodyError::TooLarge { limit: 1024 }));
    }

    #[tokio::test]
    async fn an_announced_length_over_the_limit_is_refused_before_reading() {
        let body = Full::new(Bytes::from(vec![0u8; 2048]));
        let result = read_body(body, 1024, Duration::from_secs(5)).await;
        assert_eq!(result, Err(BodyError::TooLarge { limit: 1024 }));
    }

    #[tokio::test]
    async fn a_body_at_the_limit_is_read() {
        let body = Full::new(Bytes::from(vec![7u8; 1024]));
        let result = read_body(body, 1024, Duration::from_secs(5)).await;
        assert_eq!(result.map(|b| b.len()), Ok(1024));
    }
}
