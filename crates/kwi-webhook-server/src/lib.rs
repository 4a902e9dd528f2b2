//! kwi-webhook-server: `kwi webhook serve`. The ServiceAccount cache (kube metadata watches, the
//! `pod-identity-webhook` ConfigMap, a bounded direct GET on a miss) and the HTTPS endpoints
//! around the pure mutation of `kwi-webhook`. The only kwi crate that depends on `kube`.
#![forbid(unsafe_code)]

mod cache;
mod metrics;
mod server;

pub use cache::{Cache, DIRECT_GET_DEADLINE, Resolved};
pub use metrics::Metrics;
pub use server::{MAX_BODY, Webhook, answer, router};
