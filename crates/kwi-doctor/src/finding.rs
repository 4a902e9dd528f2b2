//! What a diagnosis found: failed checks with what was observed and who refuses, passed checks.

use crate::catalogue::{Entry, Party, Severity, entry};

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The catalogue entry.
    pub entry: &'static Entry,
    /// What was fetched or read, and what was expected.
    pub observation: String,
    /// The chosen relying parties it breaks.
    pub breaks: Vec<Party>,
    /// What each of them says (their own text where kwi computes it, else the catalogue's).
    pub messages: Vec<(Party, String)>,
}

/// Everything a diagnosis found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The issuer checked.
    pub issuer: String,
    /// The relying parties checked for.
    pub parties: Vec<Party>,
    /// Failed checks, in the order they were made.
    pub findings: Vec<Finding>,
    /// Checks that passed, as one line each.
    pub passed: Vec<(&'static str, String)>,
    /// The IAM thumbprint of the jwks_uri host (SHA-1 of its top CA), when AWS is checked.
    pub thumbprint: Option<String>,
    /// Where the JWKS was fetched from.
    pub jwks_uri: Option<String>,
}

impl Report {
    /// Records a failed check for the chosen parties it breaks (nothing when it breaks none).
    pub fn fail(&mut self, id: &str, observation: impl Into<String>, parties: &[Party]) {
        self.fail_with(id, observation, parties, Vec::new());
    }

    /// [`Report::fail`] with the messages computed for each party.
    pub fn fail_with(
        &mut self,
        id: &str,
        observation: impl Into<String>,
        parties: &[Party],
        computed: Vec<(Party, String)>,
    ) {
        let Some(entry) = entry(id) else {
            return;
        };
        let breaks: Vec<Party> = self
            .parties
            .iter()
            .copied()
            .filter(|p| parties.contains(p) && entry.parties.contains(p))
            .collect();
        if breaks.is_empty() {
            return;
        }
        let observation = observation.into();
        if let Some(existing) = self.findings.iter_mut().find(|f| f.entry.id == id) {
            // The same check seen again (another party, the JWKS after the discovery
            // document): one finding, with every distinct observation.
            if !existing.observation.split("; ").any(|o| o == observation) {
                existing.observation.push_str("; ");
                existing.observation.push_str(&observation);
            }
            for p in breaks {
                if !existing.breaks.contains(&p) {
                    existing.breaks.push(p);
                }
            }
            for (p, m) in computed {
                if !existing.messages.iter().any(|(q, _)| *q == p) {
                    existing.messages.push((p, m));
                }
            }
            for (p, m) in entry.messages {
                if existing.breaks.contains(p) && !existing.messages.iter().any(|(q, _)| q == p) {
                    existing.messages.push((*p, (*m).to_string()));
                }
            }
            return;
        }
        let mut messages: Vec<(Party, String)> = computed
            .into_iter()
            .filter(|(p, _)| breaks.contains(p))
            .collect();
        for (p, m) in entry.messages {
            if breaks.contains(p) && !messages.iter().any(|(q, _)| q == p) {
                messages.push((*p, (*m).to_string()));
            }
        }
        self.findings.push(Finding {
            entry,
            observation,
            breaks,
            messages,
        });
    }

    /// Records a passed check.
    pub fn pass(&mut self, group: &'static str, what: impl Into<String>) {
        self.passed.push((group, what.into()));
    }

    /// Whether a chosen relying party would refuse something (warnings aside).
    pub fn has_failures(&self) -> bool {
        self.failures().next().is_some()
    }

    /// The findings a chosen relying party refuses.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.entry.severity == Severity::Refused)
    }

    /// The warnings: findings no relying party is known to refuse.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.entry.severity == Severity::Warning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(parties: &[Party]) -> Report {
        Report {
            parties: parties.to_vec(),
            ..Report::default()
        }
    }

    #[test]
    fn a_failure_is_reported_only_for_the_chosen_parties_it_breaks() {
        let mut r = report(&[Party::Vault]);
        r.fail("issuer.not-public", "127.0.0.1", &Party::ALL);
        assert!(!r.has_failures(), "Vault fetches from where it runs");
        let mut r = report(&[Party::Aws, Party::Vault]);
        r.fail("issuer.not-public", "127.0.0.1", &Party::ALL);
        assert_eq!(r.findings[0].breaks, vec![Party::Aws]);
        assert_eq!(r.findings[0].messages[0].0, Party::Aws);
    }

    #[test]
    fn the_same_check_from_two_parties_is_one_finding_with_both_messages() {
        let mut r = report(&[Party::Aws, Party::Azure]);
        r.fail_with(
            "token.audience",
            "aud x",
            &[Party::Aws],
            vec![(
                Party::Aws,
                "InvalidIdentityToken: Incorrect token audience".into(),
            )],
        );
        r.fail("token.audience", "aud x", &[Party::Azure]);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].observation, "aud x");
        r.fail("token.audience", "Entra: aud y", &[Party::Azure]);
        assert_eq!(r.findings[0].observation, "aud x; Entra: aud y");
        assert_eq!(r.findings[0].breaks, vec![Party::Aws, Party::Azure]);
        assert!(
            r.findings[0]
                .messages
                .iter()
                .any(|(p, m)| *p == Party::Azure && m.starts_with("AADSTS700212"))
        );
        r.fail("no.such-check", "x", &Party::ALL);
        assert_eq!(r.findings.len(), 1);
    }

    #[test]
    fn a_warning_is_reported_but_is_no_failure() {
        let mut r = report(&[Party::Vault]);
        r.fail("discovery.content-type", "text/html", &Party::ALL);
        assert!(!r.has_failures());
        assert_eq!(r.warnings().count(), 1);
        r.fail("jwks.empty", "no key", &Party::ALL);
        assert!(r.has_failures());
        assert_eq!(r.failures().count(), 1);
    }
}
