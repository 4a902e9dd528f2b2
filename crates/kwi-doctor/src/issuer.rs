//! The issuer, checked link by link as relying parties walk it: its URL, the discovery
//! document, the JWKS. A broken link stops the walk there (what follows it cannot be seen).

use std::net::IpAddr;

use kwi_jose::Jwk;
use serde_json::Value;

use crate::catalogue::Party;
use crate::finding::Report;
use crate::observe::{CertProblem, Clients, Fetched};

/// What the walk hands on to the token checks.
#[derive(Debug, Default)]
pub struct Walked {
    /// The JWKS text, when it was fetched.
    pub jwks: Option<String>,
}

const ALL: &[Party] = &Party::ALL;

/// Whether a host is one a cloud service cannot reach: loopback, private, link-local,
/// cluster-internal names.
pub fn is_private_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => {
                v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || (v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
            }
            IpAddr::V6(v6) => {
                v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00
            }
        };
    }
    let name = host.to_ascii_lowercase();
    !name.contains('.')
        || [
            ".local",
            ".internal",
            ".svc",
            ".cluster.local",
            ".localdomain",
            ".localhost",
        ]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The URL checks, which need no network. Returns whether the walk can go on.
pub fn check_url(report: &mut Report, issuer: &str) -> Result<Option<reqwest::Url>, String> {
    let url = reqwest::Url::parse(issuer).map_err(|e| format!("--issuer {issuer}: {e}"))?;
    if url.scheme() != "https" {
        report.fail(
            "issuer.not-https",
            format!("--issuer {issuer}: scheme {:?}", url.scheme()),
            ALL,
        );
        return Ok(None);
    }
    if url.query().is_some() || url.fragment().is_some() {
        report.fail(
            "issuer.query-or-fragment",
            format!("--issuer {issuer}: has a query or a fragment"),
            ALL,
        );
        return Ok(None);
    }
    report.pass(
        "issuer URL",
        format!("{issuer} is https, without query or fragment"),
    );
    if issuer.ends_with('/') {
        report.fail(
            "issuer.trailing-slash",
            format!("--issuer {issuer} ends with \"/\""),
            ALL,
        );
    }
    let host = url.host_str().unwrap_or_default();
    if is_private_host(host) {
        report.fail(
            "issuer.not-public",
            format!("host {host} is loopback, private or cluster-internal"),
            ALL,
        );
    } else {
        report.pass("issuer URL", format!("host {host} is a public name"));
    }
    Ok(Some(url))
}

/// Names why the issuer's certificate is refused: its validity, its names, or else its CA.
async fn untrusted(report: &mut Report, issuer: &str, url: &str, detail: &str, now: i64) {
    let parsed = reqwest::Url::parse(issuer).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str())
        .unwrap_or_default();
    let port = parsed
        .as_ref()
        .and_then(reqwest::Url::port_or_known_default)
        .unwrap_or(443);
    let bare = host.trim_matches(['[', ']']);
    let leaf = crate::observe::peer_chain(bare, port)
        .await
        .ok()
        .and_then(|chain| chain.into_iter().next());
    let now = u64::try_from(now).unwrap_or(0);
    match leaf.and_then(|der| crate::observe::leaf_problem(&der, host, now)) {
        Some(CertProblem::OutsideValidity {
            not_before,
            not_after,
        }) => report.fail(
            "tls.expired",
            format!(
                "{url}: the certificate is valid from {} to {}, now is {}",
                kwi_jose::time::format_rfc3339(i64::try_from(not_before).unwrap_or(0)),
                kwi_jose::time::format_rfc3339(i64::try_from(not_after).unwrap_or(0)),
                kwi_jose::time::format_rfc3339(i64::try_from(now).unwrap_or(0))
            ),
            ALL,
        ),
        Some(CertProblem::WrongHost { names }) => report.fail(
            "tls.wrong-host",
            format!("{url}: the certificate names {names:?}, not {host}"),
            ALL,
        ),
        None => report.fail("issuer.tls-untrusted", format!("{url}: {detail}"), ALL),
    }
}

/// Fetches and checks the discovery document; returns its jwks_uri when the walk can go on.
async fn check_discovery(
    report: &mut Report,
    clients: &Clients,
    issuer: &str,
    ca_given: bool,
    now: i64,
) -> Option<String> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let text = match clients.get(&url).await {
        Fetched::Ok(text, took) => {
            if took.as_secs_f64() > 5.0 {
                report.fail(
                    "discovery.slow",
                    format!(
                        "{url} took {:.1} s (STS gives up after about 5 s)",
                        took.as_secs_f64()
                    ),
                    ALL,
                );
            }
            text
        }
        Fetched::Untrusted(detail) => {
            untrusted(report, issuer, &url, &detail, now).await;
            return None;
        }
        Fetched::Unreachable(detail) => {
            report.fail("issuer.unreachable", format!("{url}: {detail}"), ALL);
            return None;
        }
        Fetched::Status(status) => {
            report.fail(
                "discovery.http-status",
                format!("{url} answered {status}"),
                ALL,
            );
            return None;
        }
        Fetched::BadBody(detail) => {
            report.fail("discovery.not-json", detail, ALL);
            return None;
        }
    };
    report.pass(
        "TLS",
        format!(
            "{url}: certificate trusted{}",
            if ca_given { " (by --ca-file)" } else { "" }
        ),
    );
    if ca_given
        && matches!(
            kwi_auth::remote::get_document(&clients.public, &url).await,
            Err(kwi_auth::remote::FetchError::Unreachable(_))
        )
    {
        report.fail(
            "tls.private-ca",
            format!("{url}: trusted by --ca-file only, not by public roots"),
            ALL,
        );
    }
    let doc: Value = match serde_json::from_str(&text) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            report.fail(
                "discovery.not-json",
                format!("{url}: not a JSON object"),
                ALL,
            );
            return None;
        }
    };
    match doc.get("issuer").and_then(Value::as_str) {
        Some(found) if found == issuer => {
            report.pass("discovery", format!("issuer is {issuer}, exactly"));
        }
        found => report.fail(
            "discovery.issuer-mismatch",
            format!("{url}: issuer {found:?}, expected {issuer:?}"),
            ALL,
        ),
    }
    let Some(jwks_uri) = doc.get("jwks_uri").and_then(Value::as_str) else {
        report.fail(
            "discovery.jwks-uri-missing",
            format!("{url}: no jwks_uri"),
            ALL,
        );
        return None;
    };
    if !jwks_uri.starts_with("https://") {
        report.fail(
            "discovery.jwks-uri-not-https",
            format!("{url}: jwks_uri {jwks_uri}"),
            ALL,
        );
        return None;
    }
    report.pass("discovery", format!("jwks_uri is {jwks_uri}"));
    Some(jwks_uri.to_string())
}

/// Members of a JWK that hold private or secret material.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// The per-key checks of a JWKS.
fn check_keys(report: &mut Report, uri: &str, keys: &[Value]) {
    let mut usable: Vec<(Option<String>, kwi_jose::Key)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let kty = key.get("kty").and_then(Value::as_str).unwrap_or_default();
        if !matches!(kty, "RSA" | "EC" | "OKP" | "oct") {
            report.fail(
                "jwks.unknown-kty",
                format!("{uri}: key {i} has kty {kty:?}"),
                ALL,
            );
        }
        if PRIVATE_MEMBERS.iter().any(|m| key.get(*m).is_some()) {
            report.fail(
                "jwks.private-key",
                format!("{uri}: key {i} holds private members"),
                ALL,
            );
        }
        if key.get("x5c").is_some() || key.get("x5t").is_some() || key.get("x5t#S256").is_some() {
            report.fail("jwks.x5c", format!("{uri}: key {i} has x5c/x5t"), ALL);
        }
        if kty == "EC" {
            report.fail("jwks.ec-key", format!("{uri}: key {i} is an EC key"), ALL);
        }
        let Ok(jwk) = serde_json::from_value::<Jwk>(key.clone()) else {
            continue;
        };
        if let Ok(parsed) = jwk.to_key() {
            usable.push((
                jwk.kid.clone().filter(|k| !k.is_empty()),
                parsed.to_public(),
            ));
        }
    }
    for (i, (kid, key)) in usable.iter().enumerate() {
        let same_key_with_kid = usable
            .iter()
            .any(|(k, other)| k.is_some() && other.public() == key.public());
        match kid {
            None if !same_key_with_kid => report.fail(
                "jwks.missing-kid",
                format!("{uri}: usable key {i} has no kid"),
                ALL,
            ),
            Some(kid)
                if usable.iter().any(|(k, other)| {
                    k.as_ref() == Some(kid) && other.public() != key.public()
                }) =>
            {
                report.fail(
                    "jwks.duplicate-kid",
                    format!("{uri}: two different keys have kid {kid:?}"),
                    ALL,
                );
            }
            _ => {}
        }
    }
    if usable.is_empty() {
        report.fail("jwks.empty", format!("{uri}: no RSA or EC key"), ALL);
    } else {
        report.pass("JWKS", format!("{} usable key(s)", usable.len()));
    }
    if keys.len() > 100 {
        report.fail(
            "jwks.too-many-keys",
            format!("{uri}: {} keys", keys.len()),
            ALL,
        );
    }
}

/// Walks the issuer: URL, discovery, JWKS.
pub async fn walk(
    report: &mut Report,
    clients: &Clients,
    issuer: &str,
    ca_given: bool,
    now: i64,
) -> Result<Walked, String> {
    let mut walked = Walked::default();
    if check_url(report, issuer)?.is_none() {
        return Ok(walked);
    }
    let Some(uri) = check_discovery(report, clients, issuer, ca_given, now).await else {
        return Ok(walked);
    };
    report.jwks_uri = Some(uri.clone());
    let text = match clients.get(&uri).await {
        Fetched::Ok(text, _) => text,
        Fetched::Untrusted(detail) | Fetched::Unreachable(detail) => {
            report.fail("jwks.unreachable", format!("{uri}: {detail}"), ALL);
            return Ok(walked);
        }
        Fetched::Status(status) => {
            report.fail("jwks.http-status", format!("{uri} answered {status}"), ALL);
            return Ok(walked);
        }
        Fetched::BadBody(detail) => {
            report.fail("jwks.not-json", detail, ALL);
            return Ok(walked);
        }
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(doc)) => match doc.get("keys") {
            Some(Value::Array(keys)) => check_keys(report, &uri, keys),
            _ => {
                report.fail("jwks.not-json", format!("{uri}: no \"keys\" list"), ALL);
                return Ok(walked);
            }
        },
        _ => {
            report.fail("jwks.not-json", format!("{uri}: not a JSON object"), ALL);
            return Ok(walked);
        }
    }
    walked.jwks = Some(text);
    Ok(walked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_hosts() {
        for h in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "[::1]",
            "localhost",
            "oidc.kube-system.svc",
            "issuer.internal",
            "100.64.0.1",
        ] {
            assert!(is_private_host(h), "{h}");
        }
        for h in ["oidc.example.com", "8.8.8.8", "s3.amazonaws.com"] {
            assert!(!is_private_host(h), "{h}");
        }
    }
}
