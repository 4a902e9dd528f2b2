//! Entra's federated identity credentials (FICs), checked as Entra matches a presented token
//! against them: a credential whose `issuer` is the token's `iss` and whose `subject` is its
//! `sub`, both compared byte for byte (case-sensitive), then the token's `aud` among that
//! credential's `audiences`. The credentials are read as `az identity federated-credential
//! show|list` and `az ad app federated-credential show|list` print them (one object, or a list).

use serde_json::Value;

use crate::catalogue::Party;
use crate::finding::Report;

/// Longest credential file read (20 credentials of at most ~2 kB each fit many times).
pub const MAX_CREDENTIAL_FILE: usize = 1024 * 1024;

/// One federated identity credential, the fields Entra matches on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedCredential {
    /// Its name, for the report.
    pub name: Option<String>,
    /// `issuer`.
    pub issuer: String,
    /// `subject`.
    pub subject: String,
    /// `audiences` (Entra takes one; `api://AzureADTokenExchange` usually).
    pub audiences: Vec<String>,
}

/// Why a credential file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Not JSON, or not an object or a list of objects.
    #[error(
        "not a federated credential: expected the JSON that `az identity federated-credential show` prints (an object with issuer, subject, audiences) or a list of them: {0}"
    )]
    NotJson(String),
    /// A credential lacks a field.
    #[error("credential {index}: no {field} (az prints issuer, subject and audiences)")]
    Missing {
        /// Its place in the list.
        index: usize,
        /// The field.
        field: &'static str,
    },
    /// A flexible credential (claims matching expression): not checked.
    #[error(
        "credential {0}: a flexible federated credential (claimsMatchingExpression) is not checked by kwi doctor; give one with a subject"
    )]
    Flexible(usize),
    /// No credential at all.
    #[error("no federated credential in the list")]
    Empty,
}

fn read_one(index: usize, value: &Value) -> Result<FederatedCredential, CredentialError> {
    let Value::Object(members) = value else {
        return Err(CredentialError::NotJson(format!(
            "item {index} is not an object"
        )));
    };
    let text = |name: &str, described: &'static str| {
        members
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(CredentialError::Missing {
                index,
                field: described,
            })
    };
    if members.get("subject").is_none_or(Value::is_null)
        && members.contains_key("claimsMatchingExpression")
    {
        return Err(CredentialError::Flexible(index));
    }
    let audiences = match members.get("audiences") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => {
            return Err(CredentialError::Missing {
                index,
                field: "\"audiences\" list",
            });
        }
    };
    Ok(FederatedCredential {
        name: members
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string),
        issuer: text("issuer", "\"issuer\" string")?,
        subject: text("subject", "\"subject\" string")?,
        audiences,
    })
}

/// Reads the credentials of `az … federated-credential show` (one) or `list` (several).
pub fn read_credentials(text: &str) -> Result<Vec<FederatedCredential>, CredentialError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| CredentialError::NotJson(e.to_string()))?;
    let credentials = match &value {
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| read_one(i, v))
            .collect::<Result<Vec<_>, _>>()?,
        other => vec![read_one(0, other)?],
    };
    if credentials.is_empty() {
        return Err(CredentialError::Empty);
    }
    Ok(credentials)
}

/// Entra's answer when no credential matches (its text, with the token's values).
fn no_match(code: &str, what: &str, value: &str) -> String {
    format!(
        "{code}: No matching federated identity record found for presented assertion {what} '{value}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
    )
}

/// Without a token: each credential's issuer must be the issuer URL, byte for byte.
pub fn check_issuers(report: &mut Report, credentials: &[FederatedCredential], issuer: &str) {
    for c in credentials {
        let name = c.name.as_deref().unwrap_or("(unnamed)");
        if c.issuer == issuer {
            report.pass(
                "Entra",
                format!("federated credential {name}: issuer is {issuer}, exactly"),
            );
        } else {
            report.fail(
                "entra.credential-issuer",
                format!(
                    "federated credential {name}: issuer {:?}, the issuer URL is {issuer:?}",
                    c.issuer
                ),
                &[Party::Azure],
            );
        }
    }
}

/// The token's claims Entra matches, as strings (`aud` may be a list).
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// `iss`.
    pub iss: &'a str,
    /// `sub`.
    pub sub: &'a str,
    /// `aud`, every value.
    pub aud: &'a [String],
}

/// Matches a token against the credentials as Entra does; records the refusal, or returns the
/// credential it matched.
pub fn match_token<'c>(
    report: &mut Report,
    credentials: &'c [FederatedCredential],
    token: Presented<'_>,
) -> Option<&'c FederatedCredential> {
    let azure = [Party::Azure];
    let by_issuer: Vec<&FederatedCredential> = credentials
        .iter()
        .filter(|c| c.issuer == token.iss)
        .collect();
    if by_issuer.is_empty() {
        report.fail_with(
            "token.issuer",
            format!(
                "Entra: iss {:?}, the federated credentials' issuers are {:?}",
                token.iss,
                credentials.iter().map(|c| &c.issuer).collect::<Vec<_>>()
            ),
            &azure,
            vec![(Party::Azure, no_match("AADSTS700211", "issuer", token.iss))],
        );
        return None;
    }
    let Some(matched) = by_issuer.iter().find(|c| c.subject == token.sub) else {
        let case_only = by_issuer
            .iter()
            .any(|c| c.subject.eq_ignore_ascii_case(token.sub));
        report.fail_with(
            "entra.subject",
            format!(
                "Entra: sub {:?}, the credentials for this issuer have subject {:?}{}",
                token.sub,
                by_issuer.iter().map(|c| &c.subject).collect::<Vec<_>>(),
                if case_only {
                    " (they differ in case only: Entra compares case-sensitively)"
                } else {
                    ""
                }
            ),
            &azure,
            vec![(
                Party::Azure,
                format!(
                    "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '{}'. Assertion Subject: '{}'. Assertion Audience: '{}'.",
                    token.iss,
                    token.sub,
                    token.aud.join(",")
                ),
            )],
        );
        return None;
    };
    if !token.aud.iter().any(|a| matched.audiences.contains(a)) {
        report.fail_with(
            "token.audience",
            format!(
                "Entra: aud {:?}, the federated credential's audiences are {:?}",
                token.aud, matched.audiences
            ),
            &azure,
            vec![(
                Party::Azure,
                no_match("AADSTS700212", "audience", &token.aud.join(",")),
            )],
        );
        return None;
    }
    Some(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_az_prints() {
        let one = r#"{"audiences":["api://AzureADTokenExchange"],"id":"/subscriptions/x","issuer":"https://oidc.example.com","name":"app","resourceGroup":"rg","subject":"system:serviceaccount:default:app","type":"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"}"#;
        let read = read_credentials(one).unwrap();
        assert_eq!(read[0].subject, "system:serviceaccount:default:app");
        assert_eq!(read[0].audiences, vec!["api://AzureADTokenExchange"]);
        let list = format!("[{one},{one}]");
        assert_eq!(read_credentials(&list).unwrap().len(), 2);
        assert_eq!(read_credentials("[]").unwrap_err(), CredentialError::Empty);
        assert!(matches!(
            read_credentials("{\"issuer\":\"x\"}").unwrap_err(),
            CredentialError::Missing { .. }
        ));
        assert_eq!(
            read_credentials(r#"{"issuer":"x","audiences":[],"claimsMatchingExpression":{}}"#)
                .unwrap_err(),
            CredentialError::Flexible(0)
        );
        assert!(matches!(
            read_credentials("not json").unwrap_err(),
            CredentialError::NotJson(_)
        ));
    }

    fn report() -> Report {
        Report {
            parties: vec![Party::Azure],
            ..Report::default()
        }
    }

    #[test]
    fn matches_as_entra_does() {
        let creds = vec![FederatedCredential {
            name: None,
            issuer: "https://i".into(),
            subject: "system:serviceaccount:default:app".into(),
            audiences: vec!["api://AzureADTokenExchange".into()],
        }];
        let aud = vec!["api://AzureADTokenExchange".to_string()];
        let token = |sub| Presented {
            iss: "https://i",
            sub,
            aud: &aud,
        };
        let mut r = report();
        assert!(match_token(&mut r, &creds, token("system:serviceaccount:default:app")).is_some());
        assert!(!r.has_failures());
        let mut r = report();
        assert!(match_token(&mut r, &creds, token("system:serviceaccount:Default:app")).is_none());
        assert_eq!(r.findings[0].entry.id, "entra.subject");
        assert!(r.findings[0].observation.contains("case only"));
        assert!(r.findings[0].messages[0].1.starts_with("AADSTS70021: "));
        let other = vec!["sts.amazonaws.com".to_string()];
        let mut r = report();
        let wrong_aud = Presented {
            iss: "https://i",
            sub: "system:serviceaccount:default:app",
            aud: &other,
        };
        assert!(match_token(&mut r, &creds, wrong_aud).is_none());
        assert_eq!(r.findings[0].entry.id, "token.audience");
        let mut r = report();
        let wrong_iss = Presented {
            iss: "https://i/",
            ..token("x")
        };
        assert!(match_token(&mut r, &creds, wrong_iss).is_none());
        assert!(r.findings[0].messages[0].1.starts_with("AADSTS700211: "));
    }
}
