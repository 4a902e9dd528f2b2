//! kwi-http: what every kwi server shares.
//!
//! The connection loop (HTTP/1.1 with deadlines for headers, stalled writes and the TLS
//! handshake, a cap on connections, a graceful stop), TLS whose certificate is reloaded when its
//! files change, request bodies read into one bounded buffer, file watching for reloads,
//! JSON log lines written in batches, and the Prometheus text format of `/metrics`.
#![forbid(unsafe_code)]

pub mod body;
mod catch_panic;
pub mod log;
pub mod metrics;
mod server;
mod tls;
pub mod watch;
mod write_deadline;

pub use body::{BodyError, read_body};
pub use catch_panic::panic_text;
pub use server::{GRACE, HEADER_TIMEOUT, MAX_CONNECTIONS, serve, serve_with};
pub use tls::{Tls, TlsError};
