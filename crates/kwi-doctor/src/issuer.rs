//! The issuer, checked link by link as relying parties walk it: its URL, the discovery
//! document, the JWKS. A broken link stops the walk there (what follows it cannot be seen).

use std::net::IpAddr;

use kwi_jose::Jwk;
use serde_json::Value;

use crate::catalogue::Party;
use crate::finding::Report;
use crate::observe::{CertProblem, Clients, Fetched, Page};

/// What the walk hands on to the token checks.
#[derive(Debug, Default)]
pub struct Walked {
    /// The JWKS text, when it was fetched.
    pub jwks: Option<String>,
}

const ALL: &[Party] = &Party::ALL;

/// Whether an address is one a cloud service cannot reach: loopback, private, link-local,
/// unspecified, carrier-grade NAT, IPv6 unique-local.
pub fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private_address(IpAddr::V4(v4)))
        }
    }
}

/// Whether a host is, by itself, one a cloud service cannot reach: a private address, or a
/// name under a cluster-internal or local suffix. Other names are judged by what they resolve
/// to ([`check_dns`]).
pub fn is_private_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return is_private_address(ip);
    }
    let name = host.to_ascii_lowercase();
    let name = name.trim_end_matches('.');
    [
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

/// What the issuer's host name resolves to, as a relying party on the internet would see it:
/// no address stops the walk; private addresses only break the cloud parties. Returns whether
/// the walk can go on.
pub async fn check_dns(report: &mut Report, host: &str, port: u16) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() || is_private_host(host) {
        return true;
    }
    let lookup = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::net::lookup_host((bare, port)),
    )
    .await;
    let addresses: Vec<IpAddr> = match lookup {
        Ok(Ok(found)) => {
            let mut ips: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            ips.sort();
            ips.dedup();
            ips
        }
        Ok(Err(e)) => {
            report.fail("dns.no-such-host", format!("{bare}: {e}"), ALL);
            return false;
        }
        Err(_) => {
            report.fail(
                "dns.no-such-host",
                format!("{bare}: no answer within 10 s"),
                ALL,
            );
            return false;
        }
    };
    if addresses.is_empty() {
        report.fail("dns.no-such-host", format!("{bare}: no address"), ALL);
        return false;
    }
    let shown = addresses
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if addresses.iter().all(|ip| is_private_address(*ip)) {
        report.fail(
            "dns.private-address",
            format!("{bare} resolves to {shown} only: loopback, private or link-local"),
            ALL,
        );
    } else {
        report.pass("DNS", format!("{bare} resolves to {shown}"));
    }
    true
}

/// The URL checks, which need no network. Returns whether the walk can go on.
pub fn check_url(report: &mut Report, issuer: &str) -> Result<Option<reqwest::Url>, String> {
    let url = reqwest::Url::parse(issuer).map_err(|e| format!("--issuer {issuer}: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" => report.fail(
            "issuer.not-https",
            format!("--issuer {issuer}: scheme \"http\" (walked over http anyway)"),
            ALL,
        ),
        other => {
            report.fail(
                "issuer.not-https",
                format!("--issuer {issuer}: scheme {other:?}"),
                ALL,
            );
            return Ok(None);
        }
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
        format!("{issuer} is {}, without query or fragment", url.scheme()),
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
        Fetched::Ok(page) => {
            if page.took.as_secs_f64() > 5.0 {
                report.fail(
                    "discovery.slow",
                    format!(
                        "{url} took {:.1} s (STS gives up after about 5 s)",
                        page.took.as_secs_f64()
                    ),
                    ALL,
                );
            }
            check_page(report, Document::Discovery, &url, &page);
            page.body
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
        Fetched::TooManyRedirects(chain) => {
            report.fail("fetch.too-many-redirects", chain_text(&url, &chain), ALL);
            return None;
        }
    };
    let plain_http = url.starts_with("http://");
    if !plain_http {
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
    let walkable =
        jwks_uri.starts_with("https://") || (plain_http && jwks_uri.starts_with("http://"));
    if !walkable {
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

/// Which document a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Document {
    Discovery,
    Jwks,
}

/// The redirect chain of a fetch, for a person: `url → 302 next → 301 last`.
fn chain_text(url: &str, chain: &[(u16, String)]) -> String {
    let mut text = format!("GET {url}");
    for (status, next) in chain {
        text.push_str(&format!(" → {status} {next}"));
    }
    text
}

/// The media type of a Content-Type header, lower case, without parameters.
fn media_type(content_type: Option<&str>) -> String {
    content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// What every fetched document is checked for: redirects on the way, its content type.
fn check_page(report: &mut Report, document: Document, url: &str, page: &Page) {
    if !page.redirects.is_empty() {
        report.fail(
            "fetch.redirect",
            format!("{} → 200", chain_text(url, &page.redirects)),
            ALL,
        );
    }
    let media = media_type(page.content_type.as_deref());
    let (id, accepted): (&str, &[&str]) = match document {
        Document::Discovery => ("discovery.content-type", &["application/json"]),
        Document::Jwks => (
            "jwks.content-type",
            &["application/json", "application/jwk-set+json"],
        ),
    };
    if accepted.contains(&media.as_str()) {
        report.pass("HTTP", format!("{url}: Content-Type {media}"));
    } else {
        report.fail(
            id,
            format!(
                "{url}: Content-Type {:?}, expected {}",
                page.content_type.as_deref().unwrap_or("(none)"),
                accepted.join(" or ")
            ),
            ALL,
        );
    }
}

/// A day: a JWKS cached longer outlives a rotation's usual lead time.
const LONGEST_MAX_AGE: u64 = 86_400;

/// The JWKS's caching headers, read as `kwi sts` reads them (a relying party's cache, or one in
/// front of the issuer).
fn check_caching(report: &mut Report, url: &str, page: &Page) {
    use kwi_sts::key_cache::Caching;
    let seen = format!(
        "{url}: Cache-Control {:?}{}",
        page.cache_control.as_deref().unwrap_or("(none)"),
        page.pragma
            .as_deref()
            .map(|p| format!(", Pragma {p:?}"))
            .unwrap_or_default()
    );
    match Caching::from_headers(page.cache_control.as_deref(), page.pragma.as_deref()) {
        Caching::NoCache => report.fail("jwks.no-cache", seen, ALL),
        Caching::MaxAge(age) if age > LONGEST_MAX_AGE => {
            report.fail("jwks.long-max-age", seen, ALL);
        }
        _ => report.pass("HTTP", seen),
    }
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
    let Some(url) = check_url(report, issuer)? else {
        return Ok(walked);
    };
    let host = url.host_str().unwrap_or_default().to_string();
    if !check_dns(report, &host, url.port_or_known_default().unwrap_or(443)).await {
        return Ok(walked);
    }
    let Some(uri) = check_discovery(report, clients, issuer, ca_given, now).await else {
        return Ok(walked);
    };
    report.jwks_uri = Some(uri.clone());
    if let Ok(jwks_url) = reqwest::Url::parse(&uri)
        && let Some(jwks_host) = jwks_url.host_str()
        && jwks_host != host
    {
        if is_private_host(jwks_host) {
            report.fail(
                "issuer.not-public",
                format!("jwks_uri host {jwks_host} is loopback, private or cluster-internal"),
                ALL,
            );
        }
        let port = jwks_url.port_or_known_default().unwrap_or(443);
        if !check_dns(report, jwks_host, port).await {
            return Ok(walked);
        }
    }
    let text = match clients.get(&uri).await {
        Fetched::Ok(page) => {
            check_page(report, Document::Jwks, &uri, &page);
            check_caching(report, &uri, &page);
            page.body
        }
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
        Fetched::TooManyRedirects(chain) => {
            report.fail("fetch.too-many-redirects", chain_text(&uri, &chain), ALL);
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
            "oidc.kube-system.svc",
            "[fe80::1]",
            "[::ffff:10.0.0.1]",
            "issuer.localhost.",
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
