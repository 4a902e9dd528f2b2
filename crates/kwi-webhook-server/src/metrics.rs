//! Prometheus metrics, with upstream's names where it has them (`http_request_count`,
//! `pod_identity_webhook_pod_count`, `pod_identity_webhook_missing_sa_count`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use kwi_http::metrics::{Family, family};
use kwi_webhook::{Applied, AwsMethod};

/// The webhook's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    pods: Mutex<BTreeMap<&'static str, u64>>,
    missing_sa: AtomicU64,
    direct_gets: Mutex<BTreeMap<&'static str, u64>>,
    malformed: AtomicU64,
    service_accounts: AtomicU64,
}

impl Metrics {
    /// One HTTP request answered.
    pub fn request(&self, verb: &str, path: &str, code: u16) {
        // Only the webhook's own paths are labels: a scanner cannot grow the map.
        let path = match path {
            "/mutate" | "/healthz" | "/readyz" | "/metrics" => path,
            _ => "other",
        };
        let verb = match verb {
            "GET" | "POST" | "HEAD" => verb,
            _ => "other",
        };
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((verb.to_owned(), path.to_owned(), code))
                .or_default() += 1;
        }
    }

    /// A pod mutated by a profile (upstream's `method` label: sts_web_identity, container_credentials).
    pub fn pod(&self, applied: Applied) {
        let method = match applied {
            Applied::Aws(AwsMethod::WebIdentity) => "sts_web_identity",
            Applied::Aws(AwsMethod::ContainerCredentials) => "container_credentials",
            Applied::Azure => "azure",
            Applied::Gcp => "gcp",
            Applied::Vault => "vault",
        };
        if let Ok(mut m) = self.pods.lock() {
            *m.entry(method).or_default() += 1;
        }
    }

    /// A pod whose ServiceAccount was found neither in the cache nor by a direct GET.
    pub fn missing_service_account(&self) {
        self.missing_sa.fetch_add(1, Ordering::Relaxed);
    }

    /// A direct GET of a ServiceAccount, found or not.
    pub fn direct_get(&self, found: bool) {
        if let Ok(mut m) = self.direct_gets.lock() {
            *m.entry(if found { "found" } else { "not_found" })
                .or_default() += 1;
        }
    }

    /// An AdmissionReview kwi could not read.
    pub fn malformed(&self) {
        self.malformed.fetch_add(1, Ordering::Relaxed);
    }

    /// The number of cached ServiceAccounts.
    pub fn set_service_accounts(&self, n: usize) {
        self.service_accounts.store(n as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (label values are from fixed lists: nothing to escape).
    pub fn render(&self) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "http_request_count",
            Family::Counter,
            "Counter of requests broken out for each verb, path, and response code.",
        );
        if let Ok(m) = self.requests.lock() {
            for ((verb, path, code), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "http_request_count{{verb=\"{verb}\",path=\"{path}\",code=\"{code}\"}} {n}"
                );
            }
        }
        family(
            &mut out,
            "pod_identity_webhook_pod_count",
            Family::Counter,
            "Pods mutated, by method.",
        );
        if let Ok(m) = self.pods.lock() {
            for (method, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "pod_identity_webhook_pod_count{{method=\"{method}\"}} {n}"
                );
            }
        }
        family(
            &mut out,
            "pod_identity_webhook_missing_sa_count",
            Family::Counter,
            "Service account did not have the right annotations or was not found in the cache.",
        );
        let _ = writeln!(
            out,
            "pod_identity_webhook_missing_sa_count {}",
            self.missing_sa.load(Ordering::Relaxed)
        );
        family(
            &mut out,
            "kwi_webhook_direct_get_count",
            Family::Counter,
            "Direct GETs of ServiceAccounts missing from the cache.",
        );
        if let Ok(m) = self.direct_gets.lock() {
            for (result, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "kwi_webhook_direct_get_count{{result=\"{result}\"}} {n}"
                );
            }
        }
        family(
            &mut out,
            "kwi_webhook_malformed_review_count",
            Family::Counter,
            "AdmissionReviews kwi could not read (answered, pod admitted).",
        );
        let _ = writeln!(
            out,
            "kwi_webhook_malformed_review_count {}",
            self.malformed.load(Ordering::Relaxed)
        );
        family(
            &mut out,
            "kwi_webhook_service_accounts",
            Family::Gauge,
            "ServiceAccounts in the cache.",
        );
        let _ = writeln!(
            out,
            "kwi_webhook_service_accounts {}",
            self.service_accounts.load(Ordering::Relaxed)
        );
        out
    }
}
