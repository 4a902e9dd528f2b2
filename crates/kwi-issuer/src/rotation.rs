//! Rotation of a cluster's signing key, as a pure state machine: the key ring and its policy in,
//! the next step and when it is due out. Time comes in as a parameter; the binary does the file
//! writes (keys, `signing.key`, `verify.pub`, the site) at its edge.
//!
//! A rotation is the three steps Kubernetes documents for its keys (verify with the new key,
//! sign with it, retire the tokens of the old one, drop the old key), the way kOps names them:
//! 1. **stage**: a new key is made and published (JWKS, `--service-account-key-file`), not
//!    signing yet, so every relying party learns it before it sees a token it signed;
//! 2. **promote**, once the new key has been published for `publish_lead`: it signs; the old
//!    key stays published as `previous`, since the tokens it signed are still in use;
//! 3. **retire**, `retire_after` later: the old key is no longer published, and its private
//!    half is deleted.
//!
//! The ring always has exactly one `active` key, at most one `next` and at most one `previous`.

use serde::{Deserialize, Serialize};

/// What a key of the ring does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    /// Published, not signing yet: waiting for relying parties to learn it.
    Next,
    /// Signs the cluster's tokens (and is published).
    Active,
    /// Signed before the last promotion: published until the tokens it signed are gone.
    Previous,
}

impl KeyRole {
    /// The word used in files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Next => "next",
            KeyRole::Active => "active",
            KeyRole::Previous => "previous",
        }
    }
}

/// One key of the ring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingKey {
    /// Its kid (kube-apiserver's), which also names its file `keys/<kid>.key`.
    pub kid: String,
    /// Its JWS algorithm (RS256, ES256, …).
    pub alg: String,
    /// What it does now.
    pub role: KeyRole,
    /// When it was made or adopted (seconds since 1970; RFC 3339 in the file).
    #[serde(with = "rfc3339")]
    pub created: i64,
    /// When it took its present role.
    #[serde(with = "rfc3339")]
    pub since: i64,
}

/// How long each phase lasts, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// How long a new key is published before it signs: the time every relying party (and every
    /// kube-apiserver) needs to learn it, caches included.
    pub publish_lead_seconds: i64,
    /// How long the old key stays published after the promotion: the longest lifetime of a token
    /// it signed that is still in use.
    pub retire_after_seconds: i64,
    /// How often `kwi rotate auto` starts a rotation (the age of the active key at its promotion).
    pub rotate_every_seconds: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            publish_lead_seconds: 24 * 3600,
            retire_after_seconds: 48 * 3600,
            rotate_every_seconds: 90 * 86_400,
        }
    }
}

/// The version of the key ring file this code writes and reads.
pub const KEYRING_VERSION: u32 = 1;

/// The key ring of one cluster: its issuer, its policy and its keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRing {
    /// The version of this file's format.
    pub version: u32,
    /// The issuer URL (`--service-account-issuer`).
    pub issuer: String,
    /// The JWKS URL the discovery document names, when it is not the default of `style`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// `kubernetes` or `eks`: which discovery document the site holds.
    pub style: String,
    /// The phase lengths.
    pub policy: Policy,
    /// The keys: the active one, and the next and previous ones when a rotation is under way.
    pub keys: Vec<RingKey>,
}

/// A step of a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Make a new key and publish it, not signing yet.
    Stage,
    /// Make the `next` key sign; the active key becomes `previous`.
    Promote {
        /// The kid of the key that will sign.
        kid: String,
    },
    /// Stop publishing the `previous` key and delete it.
    Retire {
        /// The kid of the key retired.
        kid: String,
    },
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Stage => f.write_str("stage a new key"),
            Step::Promote { kid } => write!(f, "promote key {kid} (it starts signing)"),
            Step::Retire { kid } => write!(f, "retire key {kid} (no longer published)"),
        }
    }
}

/// The step that comes next and when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What comes next.
    pub step: Step,
    /// When it is due by the policy (seconds since 1970). A stage is always allowed by hand
    /// (`kwi rotate next`); this is when `kwi rotate auto` does it.
    pub due: i64,
}

/// Why a key ring cannot be used or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    /// The file is of another version.
    #[error("key ring version {found} is not supported (this kwi reads version {KEYRING_VERSION})")]
    Version {
        /// The version found.
        found: u32,
    },
    /// Not exactly one active key.
    #[error("the key ring has {count} active keys; it must have exactly one")]
    ActiveCount {
        /// How many there are.
        count: usize,
    },
    /// More than one key in a role that takes one.
    #[error("the key ring has {count} keys in the role {role}; it takes at most one")]
    RoleCount {
        /// The role.
        role: &'static str,
        /// How many there are.
        count: usize,
    },
    /// Two keys with one kid.
    #[error("the key ring has two keys with kid {kid}")]
    DuplicateKid {
        /// The kid.
        kid: String,
    },
    /// A kid that cannot name a file.
    #[error("kid {kid:?} cannot name a key file (letters, digits, - and _ only)")]
    BadKid {
        /// The kid.
        kid: String,
    },
    /// A negative duration.
    #[error("{name} is negative ({value} s)")]
    NegativeDuration {
        /// The policy field.
        name: &'static str,
        /// Its value.
        value: i64,
    },
    /// A stage without the new key.
    #[error("a stage needs the new key's kid and algorithm")]
    NoNewKey,
    /// A step that is not the next one of this ring.
    #[error("cannot {step} now: the next step is to {expected}")]
    OutOfOrder {
        /// What was asked.
        step: Step,
        /// What comes next.
        expected: Step,
    },
}

/// Whether a kid can name a file: kube-apiserver's kids are base64url, and no other character
/// (`/`, `.`) may reach a path.
pub fn kid_is_file_name(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= 128
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl KeyRing {
    /// A ring whose only key is `active`, made or adopted at `now`.
    pub fn new(
        issuer: String,
        style: String,
        policy: Policy,
        kid: String,
        alg: String,
        now: i64,
    ) -> KeyRing {
        KeyRing {
            version: KEYRING_VERSION,
            issuer,
            jwks_uri: None,
            style,
            policy,
            keys: vec![RingKey {
                kid,
                alg,
                role: KeyRole::Active,
                created: now,
                since: now,
            }],
        }
    }

    /// Checks what a ring read from a file must hold: its version, one active key, at most one
    /// next and one previous, distinct kids that can name files, durations not negative.
    pub fn check(&self) -> Result<(), RotationError> {
        if self.version != KEYRING_VERSION {
            return Err(RotationError::Version {
                found: self.version,
            });
        }
        let count = |role| self.keys.iter().filter(|k| k.role == role).count();
        if count(KeyRole::Active) != 1 {
            return Err(RotationError::ActiveCount {
                count: count(KeyRole::Active),
            });
        }
        for role in [KeyRole::Next, KeyRole::Previous] {
            if count(role) > 1 {
                return Err(RotationError::RoleCount {
                    role: role.as_str(),
                    count: count(role),
                });
            }
        }
        for (i, key) in self.keys.iter().enumerate() {
            if !kid_is_file_name(&key.kid) {
                return Err(RotationError::BadKid {
                    kid: key.kid.clone(),
                });
            }
            if self.keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(RotationError::DuplicateKid {
                    kid: key.kid.clone(),
                });
            }
        }
        let p = &self.policy;
        for (name, value) in [
            ("publish_lead_seconds", p.publish_lead_seconds),
            ("retire_after_seconds", p.retire_after_seconds),
            ("rotate_every_seconds", p.rotate_every_seconds),
        ] {
            if value < 0 {
                return Err(RotationError::NegativeDuration { name, value });
            }
        }
        Ok(())
    }

    /// The key in a role, if any.
    pub fn key(&self, role: KeyRole) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.role == role)
    }

    /// The keys relying parties must know, signing key first: the active key, then the next and
    /// the previous ones.
    pub fn published(&self) -> Vec<&RingKey> {
        [KeyRole::Active, KeyRole::Next, KeyRole::Previous]
            .into_iter()
            .filter_map(|role| self.key(role))
            .collect()
    }

    /// The next step of the rotation and when the policy makes it due: retiring the previous key
    /// comes first, then promoting the next key, then staging a new one.
    pub fn plan(&self) -> Option<Plan> {
        let p = &self.policy;
        if let Some(previous) = self.key(KeyRole::Previous) {
            return Some(Plan {
                step: Step::Retire {
                    kid: previous.kid.clone(),
                },
                due: previous.since.saturating_add(p.retire_after_seconds),
            });
        }
        if let Some(next) = self.key(KeyRole::Next) {
            return Some(Plan {
                step: Step::Promote {
                    kid: next.kid.clone(),
                },
                due: next.since.saturating_add(p.publish_lead_seconds),
            });
        }
        let active = self.key(KeyRole::Active)?;
        // Staged early enough that the promotion falls when the active key is rotate_every old.
        let due = active
            .since
            .saturating_add(p.rotate_every_seconds)
            .saturating_sub(p.publish_lead_seconds);
        Some(Plan {
            step: Step::Stage,
            due: due.max(active.since),
        })
    }

    /// Applies `step` at `now`. A stage takes the new key's kid and algorithm. The step must be
    /// the one [`KeyRing::plan`] names; whether it is due is the caller's decision (`--force`).
    pub fn apply(
        &mut self,
        step: &Step,
        now: i64,
        new_key: Option<(String, String)>,
    ) -> Result<(), RotationError> {
        let expected = self.plan().map(|p| p.step);
        if expected.as_ref() != Some(step) {
            return Err(RotationError::OutOfOrder {
                step: step.clone(),
                expected: expected.unwrap_or(Step::Stage),
            });
        }
        match step {
            Step::Stage => {
                let Some((kid, alg)) = new_key else {
                    return Err(RotationError::NoNewKey);
                };
                if self.keys.iter().any(|k| k.kid == kid) {
                    return Err(RotationError::DuplicateKid { kid });
                }
                if !kid_is_file_name(&kid) {
                    return Err(RotationError::BadKid { kid });
                }
                self.keys.push(RingKey {
                    kid,
                    alg,
                    role: KeyRole::Next,
                    created: now,
                    since: now,
                });
            }
            Step::Promote { .. } => {
                for key in &mut self.keys {
                    let role = match key.role {
                        KeyRole::Active => KeyRole::Previous,
                        KeyRole::Next => KeyRole::Active,
                        KeyRole::Previous => continue,
                    };
                    key.role = role;
                    key.since = now;
                }
            }
            Step::Retire { kid } => self.keys.retain(|k| &k.kid != kid),
        }
        Ok(())
    }
}

/// Times as RFC 3339 text in the file, seconds since 1970 in memory.
mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(secs: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&kwi_jose::time::format_rfc3339(*secs))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        kwi_jose::time::parse_time(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    fn ring() -> KeyRing {
        let policy = Policy {
            publish_lead_seconds: 24 * HOUR,
            retire_after_seconds: 48 * HOUR,
            rotate_every_seconds: 90 * 24 * HOUR,
        };
        KeyRing::new(
            "https://oidc.example.com".into(),
            "kubernetes".into(),
            policy,
            "k1".into(),
            "RS256".into(),
            1_000_000,
        )
    }

    fn roles(ring: &KeyRing) -> Vec<(&str, KeyRole)> {
        ring.keys.iter().map(|k| (k.kid.as_str(), k.role)).collect()
    }

    #[test]
    fn a_rotation_is_stage_promote_retire_each_when_due() {
        let mut ring = ring();
        let t0 = 1_000_000;
        let plan = ring.plan().unwrap();
        assert_eq!(plan.step, Step::Stage);
        assert_eq!(plan.due, t0 + 90 * 24 * HOUR - 24 * HOUR);

        let t1 = plan.due;
        ring.apply(&Step::Stage, t1, Some(("k2".into(), "RS256".into())))
            .unwrap();
        assert_eq!(
            roles(&ring),
            [("k1", KeyRole::Active), ("k2", KeyRole::Next)]
        );
        let plan = ring.plan().unwrap();
        assert_eq!(plan.step, Step::Promote { kid: "k2".into() });
        assert_eq!(plan.due, t1 + 24 * HOUR);

        let t2 = plan.due;
        ring.apply(&plan.step, t2, None).unwrap();
        assert_eq!(
            roles(&ring),
            [("k1", KeyRole::Previous), ("k2", KeyRole::Active)]
        );
        assert_eq!(ring.published()[0].kid, "k2", "the signing key comes first");
        let plan = ring.plan().unwrap();
        assert_eq!(plan.step, Step::Retire { kid: "k1".into() });
        assert_eq!(plan.due, t2 + 48 * HOUR);

        ring.apply(&plan.step, plan.due, None).unwrap();
        assert_eq!(roles(&ring), [("k2", KeyRole::Active)]);
        // The next rotation is counted from the promotion.
        assert_eq!(ring.plan().unwrap().due, t2 + 89 * 24 * HOUR);
        ring.check().unwrap();
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let mut ring = ring();
        let err = ring
            .apply(&Step::Promote { kid: "k1".into() }, 0, None)
            .unwrap_err();
        assert_eq!(
            err,
            RotationError::OutOfOrder {
                step: Step::Promote { kid: "k1".into() },
                expected: Step::Stage
            }
        );
        ring.apply(&Step::Stage, 0, Some(("k2".into(), "ES256".into())))
            .unwrap();
        assert!(
            ring.apply(&Step::Stage, 0, Some(("k3".into(), "ES256".into())))
                .is_err()
        );
        assert!(
            ring.apply(&Step::Retire { kid: "k1".into() }, 0, None)
                .is_err()
        );
        assert_eq!(ring.keys.len(), 2, "a refused step changes nothing");
    }

    #[test]
    fn a_staged_kid_must_be_new_and_a_file_name() {
        let mut ring = ring();
        for kid in ["k1", "", "../x", "a/b", "a.b"] {
            assert!(
                ring.apply(&Step::Stage, 0, Some((kid.into(), "RS256".into())))
                    .is_err(),
                "{kid:?}"
            );
        }
        assert_eq!(ring.keys.len(), 1);
    }

    #[test]
    fn a_stage_is_never_due_before_the_active_key_started() {
        let mut ring = ring();
        ring.policy.rotate_every_seconds = HOUR;
        ring.policy.publish_lead_seconds = 24 * HOUR;
        assert_eq!(ring.plan().unwrap().due, 1_000_000);
    }

    #[test]
    fn check_refuses_broken_rings() {
        let good = ring();
        good.check().unwrap();
        let mut r = good.clone();
        r.version = 2;
        assert_eq!(r.check(), Err(RotationError::Version { found: 2 }));
        let mut r = good.clone();
        r.keys[0].role = KeyRole::Next;
        assert_eq!(r.check(), Err(RotationError::ActiveCount { count: 0 }));
        let mut r = good.clone();
        r.keys.push(r.keys[0].clone());
        assert_eq!(r.check(), Err(RotationError::ActiveCount { count: 2 }));
        let mut r = good.clone();
        let mut other = r.keys[0].clone();
        other.role = KeyRole::Next;
        r.keys.push(other);
        assert_eq!(
            r.check(),
            Err(RotationError::DuplicateKid { kid: "k1".into() })
        );
        let mut r = good.clone();
        r.keys[0].kid = "../../etc/passwd".into();
        assert!(matches!(r.check(), Err(RotationError::BadKid { .. })));
        let mut r = good.clone();
        r.policy.retire_after_seconds = -1;
        assert!(matches!(
            r.check(),
            Err(RotationError::NegativeDuration { .. })
        ));
        let mut r = good;
        for kid in ["a", "b"] {
            r.keys.push(RingKey {
                kid: kid.into(),
                alg: "RS256".into(),
                role: KeyRole::Previous,
                created: 0,
                since: 0,
            });
        }
        assert_eq!(
            r.check(),
            Err(RotationError::RoleCount {
                role: "previous",
                count: 2
            })
        );
    }

    #[test]
    fn the_file_round_trips_with_rfc3339_times() {
        let ring = ring();
        let text = serde_json::to_string_pretty(&ring).unwrap();
        assert!(text.contains("\"1970-01-12T13:46:40Z\""), "{text}");
        let back: KeyRing = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ring);
        let typo = text.replace("publish_lead_seconds", "publish_lead");
        assert!(serde_json::from_str::<KeyRing>(&typo).is_err());
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the steps and times, the ring keeps its invariants, and a key is never
            /// dropped while it is the signing key or before retire_after has passed since it
            /// stopped signing (when the steps are taken when due).
            #[test]
            fn invariants_hold_through_any_rotation(gaps in proptest::collection::vec(0i64..400 * 86_400, 1..40)) {
                let mut ring = ring();
                let mut now = 1_000_000;
                let mut n = 2;
                for gap in gaps {
                    now += gap;
                    let Some(plan) = ring.plan() else { break };
                    if plan.due > now {
                        continue;
                    }
                    let before = ring.clone();
                    let new_key = matches!(plan.step, Step::Stage).then(|| (format!("k{n}"), "RS256".to_string()));
                    n += 1;
                    ring.apply(&plan.step, now, new_key).unwrap();
                    ring.check().unwrap();
                    if let Step::Retire { kid } = &plan.step {
                        let gone = before.keys.iter().find(|k| &k.kid == kid).unwrap();
                        prop_assert_eq!(gone.role, KeyRole::Previous);
                        prop_assert!(now >= gone.since + ring.policy.retire_after_seconds);
                    }
                    if let Step::Promote { kid } = &plan.step {
                        let staged = before.keys.iter().find(|k| &k.kid == kid).unwrap();
                        prop_assert!(now >= staged.since + ring.policy.publish_lead_seconds);
                    }
                }
            }
        }
    }
}
