//! Prometheus metrics, in the text exposition format, without a metrics framework: a few
//! counters and one histogram are all `kwi serve` needs. Labels only ever carry names that exist
//! in the store (mounts, roles), so a flood of made-up role names cannot grow them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kwi_http::metrics::{Family, escape_label, family};

/// Upper bounds of the login latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The counters of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    /// mount → role → count per outcome, looked up by `&str` so that counting allocates only
    /// the first time a (mount, role) is seen.
    logins: Mutex<BTreeMap<String, BTreeMap<String, [u64; OUTCOMES.len()]>>>,
    /// Logins per latency bucket (not cumulative).
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

/// The outcomes a login is counted under.
const OUTCOMES: [&str; 4] = ["success", "rejected", "denied", "error"];

/// How a login ended, as a label value.
pub fn outcome(status: u16) -> &'static str {
    match status {
        200 => "success",
        400 => "rejected",
        403 => "denied",
        _ => "error",
    }
}

impl Metrics {
    /// Counts one login and its latency. `role` is empty when the role does not exist.
    pub fn login(&self, mount: &str, role: &str, outcome: &'static str, took: Duration) {
        let index = OUTCOMES
            .iter()
            .position(|o| *o == outcome)
            .unwrap_or(OUTCOMES.len() - 1);
        if let Ok(mut map) = self.logins.lock() {
            if !map.contains_key(mount) {
                map.insert(mount.to_string(), BTreeMap::new());
            }
            if let Some(roles) = map.get_mut(mount) {
                match roles.get_mut(role) {
                    Some(counts) => counts[index] += 1,
                    None => {
                        let mut counts = [0; OUTCOMES.len()];
                        counts[index] = 1;
                        roles.insert(role.to_string(), counts);
                    }
                }
            }
        }
        let secs = took.as_secs_f64();
        // Counted in the first bucket that holds it; `render` adds them up.
        if let Some(i) = BUCKETS.iter().position(|&bound| secs <= bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// The text exposition, with the remote-key gauges the caller adds.
    pub fn render(&self, remote: &[(String, RemoteState)]) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "kwi_logins_total",
            Family::Counter,
            "Logins by mount, role and outcome.",
        );
        if let Ok(map) = self.logins.lock() {
            for (mount, roles) in map.iter() {
                for (role, counts) in roles {
                    for (outcome, n) in OUTCOMES.iter().zip(counts).filter(|(_, n)| **n > 0) {
                        let _ = writeln!(
                            out,
                            "kwi_logins_total{{mount=\"{}\",role=\"{}\",outcome=\"{outcome}\"}} {n}",
                            escape_label(mount),
                            escape_label(role)
                        );
                    }
                }
            }
        }
        family(
            &mut out,
            "kwi_login_duration_seconds",
            Family::Histogram,
            "Time to answer a login.",
        );
        let mut cumulative = 0;
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "kwi_login_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "kwi_login_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "kwi_login_duration_seconds_sum {sum}");
        let _ = writeln!(out, "kwi_login_duration_seconds_count {count}");
        family(
            &mut out,
            "kwi_jwks_fetches_total",
            Family::Counter,
            "Fetches of remote keys by mount and result.",
        );
        for (mount, state) in remote {
            let m = escape_label(mount);
            for (result, n) in [("ok", state.fetches_ok), ("failed", state.fetches_failed)] {
                let _ = writeln!(
                    out,
                    "kwi_jwks_fetches_total{{mount=\"{m}\",result=\"{result}\"}} {n}"
                );
            }
        }
        mount_gauge(
            &mut out,
            remote,
            (
                "kwi_jwks_keys",
                "Keys in the cache of a mount's remote keys.",
            ),
            |state| state.keys as u64,
        );
        mount_gauge(
            &mut out,
            remote,
            (
                "kwi_jwks_stale",
                "1 when the last fetch failed and older keys are in use.",
            ),
            |state| u64::from(state.last_error.is_some()),
        );
        out
    }
}

/// A gauge family with one value per mount of remote keys.
fn mount_gauge(
    out: &mut String,
    remote: &[(String, RemoteState)],
    (name, help): (&str, &str),
    value: impl Fn(&RemoteState) -> u64,
) {
    family(out, name, Family::Gauge, help);
    for (mount, state) in remote {
        let _ = writeln!(
            out,
            "{name}{{mount=\"{}\"}} {}",
            escape_label(mount),
            value(state)
        );
    }
}

/// The state of one mount's remote keys, for metrics and `sys/health`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteState {
    /// Keys cached.
    pub keys: usize,
    /// Successful fetches.
    pub fetches_ok: u64,
    /// Failed fetches.
    pub fetches_failed: u64,
    /// Why the last fetch failed, when it did.
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_never_hold_a_raw_control_character() {
        let escaped = escape_label("a\rb\nc\"d\\e\u{1b}[2J");
        assert!(!escaped.chars().any(char::is_control), "{escaped:?}");
        assert_eq!(escaped, "a\\\\u{d}b\\nc\\\"d\\\\e\\\\u{1b}[2J");
    }

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.login("jwt", "app", "success", Duration::from_micros(700));
        m.login("jwt", "app", "success", Duration::from_millis(20));
        m.login("jwt", "", "rejected", Duration::from_micros(100));
        let text = m.render(&[(
            "k8s/\"x\"".into(),
            RemoteState {
                keys: 2,
                fetches_ok: 3,
                fetches_failed: 1,
                last_error: Some("500".into()),
            },
        )]);
        assert!(
            text.contains("kwi_logins_total{mount=\"jwt\",role=\"app\",outcome=\"success\"} 2"),
            "{text}"
        );
        assert!(text.contains("kwi_logins_total{mount=\"jwt\",role=\"\",outcome=\"rejected\"} 1"));
        assert!(text.contains("kwi_login_duration_seconds_bucket{le=\"0.001\"} 2"));
        assert!(text.contains("kwi_login_duration_seconds_bucket{le=\"+Inf\"} 3"));
        assert!(text.contains("kwi_jwks_keys{mount=\"k8s/\\\"x\\\"\"} 2"));
        assert!(text.contains("kwi_jwks_stale{mount=\"k8s/\\\"x\\\"\"} 1"));
    }
}
