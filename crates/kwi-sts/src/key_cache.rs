//! The providers' keys kept between requests: a JWKS is kept as long as its `Cache-Control`
//! says (at most a day; an hour, kube-apiserver's own `max-age`, when it says nothing; not at
//! all for `no-store`, `no-cache`, `max-age=0` or `Pragma: no-cache`, which AWS support says
//! makes STS fetch it on every call), and fetched again when a token names a kid it lacks, at
//! most once per [`REFETCH_COOLDOWN`] per provider, one fetch at a time (a flood of forged kids
//! cannot make kwi hammer an issuer). IAM's own cache lifetime is not documented.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kwi_jose::KeySet;

use crate::error::StsError;

/// At most one fetch per provider on an unknown kid per this interval.
pub const REFETCH_COOLDOWN: Duration = kwi_auth::remote::REFETCH_COOLDOWN;
/// How long a JWKS is kept when its headers say nothing.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// The longest a JWKS is kept, whatever its headers say.
pub const LONGEST_LIFETIME: Duration = Duration::from_secs(86_400);

/// What a JWKS's caching headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// `no-store`, `no-cache`, `max-age=0` or `Pragma: no-cache`: not to be kept.
    NoCache,
    /// `max-age` in seconds.
    MaxAge(u64),
    /// Nothing said.
    Unspecified,
}

impl Caching {
    /// Reads `Cache-Control` and `Pragma`.
    pub fn from_headers(cache_control: Option<&str>, pragma: Option<&str>) -> Caching {
        let mut max_age = None;
        let mut no_cache = pragma.is_some_and(|p| p.to_ascii_lowercase().contains("no-cache"));
        for directive in cache_control.unwrap_or_default().split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            match directive.split_once('=') {
                Some(("max-age", value)) => max_age = value.trim_matches('"').parse::<u64>().ok(),
                None if directive == "no-store" || directive == "no-cache" => no_cache = true,
                _ => {}
            }
        }
        match (no_cache, max_age) {
            (true, _) | (false, Some(0)) => Caching::NoCache,
            (false, Some(age)) => Caching::MaxAge(age),
            (false, None) => Caching::Unspecified,
        }
    }

    /// How long kwi keeps a JWKS that said this.
    pub fn lifetime(self) -> Duration {
        match self {
            Caching::NoCache => Duration::ZERO,
            Caching::MaxAge(age) => Duration::from_secs(age).min(LONGEST_LIFETIME),
            Caching::Unspecified => DEFAULT_LIFETIME,
        }
    }
}

#[derive(Debug, Default)]
struct Entry {
    keys: Option<Arc<KeySet>>,
    fetched: Option<Instant>,
    lifetime: Duration,
    /// The last fetch made for an unknown kid (the cooldown counts from it).
    last_refetch: Option<Instant>,
}

/// The kept keys of each provider (one entry per configured provider URL).
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Entry>>>>,
}

impl KeyCache {
    fn slot(&self, provider: &str) -> Arc<tokio::sync::Mutex<Entry>> {
        let mut entries = match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        entries.entry(provider.to_string()).or_default().clone()
    }

    /// The keys of `provider` for a token naming `kid`: the kept ones when they are fresh and
    /// know the kid (or the kid is unknown but an unknown kid already made a fetch within the
    /// cooldown), else what `fetch` gets (keys and how long to keep them). A failed fetch keeps
    /// nothing new.
    pub async fn keys<F, Fut>(
        &self,
        provider: &str,
        kid: Option<&str>,
        now: Instant,
        fetch: F,
    ) -> Result<Arc<KeySet>, StsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(KeySet, Caching), StsError>>,
    {
        let slot = self.slot(provider);
        let mut entry = slot.lock().await;
        let mut refetch = false;
        if let (Some(keys), Some(fetched)) = (&entry.keys, entry.fetched) {
            let fresh = now.saturating_duration_since(fetched) < entry.lifetime;
            let known = kid.is_none_or(|k| keys.has_kid(k));
            let cooling = entry
                .last_refetch
                .is_some_and(|t| now.saturating_duration_since(t) < REFETCH_COOLDOWN);
            if fresh && (known || cooling) {
                return Ok(keys.clone());
            }
            refetch = fresh;
        }
        if refetch {
            entry.last_refetch = Some(now);
        }
        let (keys, caching) = fetch().await?;
        let keys = Arc::new(keys);
        entry.keys = Some(keys.clone());
        entry.fetched = Some(now);
        entry.lifetime = caching.lifetime();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn caching_headers_as_sts_reads_them() {
        use Caching::*;
        for (cc, pragma, expected) in [
            (Some("public, max-age=3600"), None, MaxAge(3600)),
            (Some("no-store"), None, NoCache),
            (Some("public, max-age=0"), None, NoCache),
            (None, Some("no-cache"), NoCache),
            (Some("max-age=\"60\""), None, MaxAge(60)),
            (None, None, Unspecified),
            (Some("public"), None, Unspecified),
        ] {
            assert_eq!(
                Caching::from_headers(cc, pragma),
                expected,
                "{cc:?} {pragma:?}"
            );
        }
        assert_eq!(MaxAge(10 * 86_400).lifetime(), LONGEST_LIFETIME);
        assert_eq!(Unspecified.lifetime(), DEFAULT_LIFETIME);
    }

    fn key_set(kid: &str) -> KeySet {
        let key = kwi_jose::generate(kwi_jose::KeySpec::Ed25519)
            .unwrap()
            .to_public();
        KeySet::new(vec![(key, Some(kid.to_string()))]).unwrap()
    }

    #[tokio::test]
    async fn kept_until_an_unknown_kid_then_fetched_at_most_once_per_cooldown() {
        let cache = KeyCache::default();
        let fetches = AtomicUsize::new(0);
        let fetch = |kid: &'static str, caching| {
            let fetches = &fetches;
            move || async move {
                fetches.fetch_add(1, Ordering::SeqCst);
                Ok((key_set(kid), caching))
            }
        };
        let t0 = Instant::now();
        let got = cache
            .keys("p", Some("a"), t0, fetch("a", Caching::Unspecified))
            .await
            .unwrap();
        assert!(got.has_kid("a"));
        // known kid: kept
        cache
            .keys(
                "p",
                Some("a"),
                t0 + Duration::from_secs(1),
                fetch("a", Caching::Unspecified),
            )
            .await
            .unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // an unknown kid: fetched again at once, the new kid seen
        let got = cache
            .keys(
                "p",
                Some("b"),
                t0 + Duration::from_secs(2),
                fetch("b", Caching::Unspecified),
            )
            .await
            .unwrap();
        assert!(got.has_kid("b"));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // another unknown kid within the cooldown of that fetch: kept, no fetch
        let later = t0 + Duration::from_secs(3);
        let got = cache
            .keys("p", Some("c"), later, fetch("c", Caching::Unspecified))
            .await
            .unwrap();
        assert!(!got.has_kid("c"));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // a flood of unknown kids within the cooldown: no fetch
        for i in 0..100 {
            let kid: &'static str = if i % 2 == 0 { "x" } else { "y" };
            cache
                .keys("p", Some(kid), later, fetch("b", Caching::Unspecified))
                .await
                .unwrap();
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // past its lifetime: fetched again even for a known kid
        cache
            .keys(
                "p",
                Some("b"),
                later + DEFAULT_LIFETIME,
                fetch("b", Caching::NoCache),
            )
            .await
            .unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
        // no-cache: every request fetches
        cache
            .keys(
                "p",
                Some("b"),
                later + DEFAULT_LIFETIME,
                fetch("b", Caching::NoCache),
            )
            .await
            .unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_failed_fetch_is_the_answer_and_keeps_nothing() {
        let cache = KeyCache::default();
        let failed = cache
            .keys("p", Some("a"), Instant::now(), || async {
                Err(StsError::new(
                    crate::error::StsErrorCode::IdpCommunicationError,
                    "down",
                ))
            })
            .await;
        assert!(failed.is_err());
        let got = cache
            .keys("p", Some("a"), Instant::now(), || async {
                Ok((key_set("a"), Caching::Unspecified))
            })
            .await
            .unwrap();
        assert!(got.has_kid("a"));
    }
}
