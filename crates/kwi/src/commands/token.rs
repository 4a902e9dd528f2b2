//! `kwi token mint|inspect|verify`.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Result, anyhow, bail};
use kwi_jose::time::{format_duration, format_rfc3339, parse_duration, parse_time};
use kwi_jose::{
    Claims, KUBERNETES_ALGORITHMS, KUBERNETES_LEEWAY, Key, KeySet, KidMethod, KubernetesRules,
    LegacyClaims, MintError, ObjectRef, ProjectedClaims, ServiceAccountIdentity, SigningKey,
    StsLeeway, StsRules, TokenError, VaultRules, VerifiedToken, VerifyOptions, decode_unverified,
    random_uuid,
};
use serde_json::{Map, Value, json};

use super::note_unsupported_by_kubernetes;
use crate::Rejected;
use crate::cli::{InspectArgs, MintArgs, ProfileArg, VerifyArgs};
use crate::files::{self, display_name};

/// Longest token input read; the verifier's own limit (16 KiB) then applies.
const MAX_TOKEN_INPUT: usize = 1024 * 1024;

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The token from the argument: `-` is standard input, an existing file is read, text with the
/// two dots of a JWT is the token itself, anything else is a missing file.
pub(crate) fn read_token(arg: &str) -> Result<String> {
    let path = std::path::Path::new(arg);
    let bytes = if path.is_dir() {
        bail!("{arg}: is a directory; give the token file inside it");
    } else if arg == "-" || path.exists() {
        // Files, but also pipes and devices: `kwi token inspect <(kubectl create token app)`.
        files::read_input(arg)?
    } else if arg.matches('.').count() >= 2 {
        arg.as_bytes().to_vec()
    } else {
        // `token.jwt`, a file name mistyped or missing, is not read as a broken token.
        bail!("{arg}: no such file, and not a token (a JWT has three parts separated by dots)");
    };
    if bytes.len() > MAX_TOKEN_INPUT {
        bail!(
            "{}: larger than 1 MiB; this is not a token",
            display_name(arg)
        );
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow!("{}: the token is not text (UTF-8)", display_name(arg)))?;
    let token = text.trim().to_string();
    if token.is_empty() {
        bail!("{}: empty: no token", display_name(arg));
    }
    Ok(token)
}

fn time_arg(value: Option<&str>, default: i64, flag: &str) -> Result<i64> {
    value.map_or(Ok(default), |v| {
        parse_time(v).map_err(|e| anyhow!("{flag}: {e}"))
    })
}

fn signing_key(path: &str) -> Result<Key> {
    let keys = files::read_keys(path)?;
    match keys.as_slice() {
        [(key, _)] if key.is_private() => Ok(key.clone()),
        [(key, _)] => bail!(
            "{path}: this is a {}; minting needs the private key",
            key.describe()
        ),
        _ => bail!(
            "{path}: holds {} keys; give a file with one private key",
            keys.len()
        ),
    }
}

/// Namespace and name from `system:serviceaccount:NS:NAME`.
fn split_subject(sub: &str) -> Option<(String, String)> {
    kwi_jose::service_account_subject(sub).map(|(ns, name)| (ns.to_string(), name.to_string()))
}

/// A `{name, uid}` reference when both flags are given.
fn object_ref(name: &Option<String>, uid: &Option<String>) -> Option<ObjectRef> {
    match (name, uid) {
        (Some(name), Some(uid)) => Some(ObjectRef {
            name: name.clone(),
            uid: uid.clone(),
        }),
        _ => None,
    }
}

/// The flag a minting error is about.
fn mint_flag(error: &MintError) -> &'static str {
    match error {
        MintError::EmptyIssuer => "--issuer",
        MintError::DateOutOfRange { claim: "nbf", .. } | MintError::ValidNever { .. } => {
            "--not-before"
        }
        MintError::DateOutOfRange { .. } => "--issued-at",
        _ => "--ttl",
    }
}

pub(super) fn mint(args: MintArgs) -> Result<()> {
    let key = signing_key(&args.key)?;
    let ttl = parse_duration(&args.ttl).map_err(|e| anyhow!("--ttl: {e}"))?;
    let iat = time_arg(args.issued_at.as_deref(), now(), "--issued-at")?;
    let nbf = time_arg(args.not_before.as_deref(), iat, "--not-before")?;
    let kid = match args.kid.as_deref() {
        None => Some(KidMethod::Kubernetes.kid(&key)?),
        Some("none") => None,
        Some(value) => Some(value.to_string()),
    };
    let account = match (&args.sub, &args.namespace, &args.service_account) {
        (Some(sub), _, _) => split_subject(sub),
        (None, Some(ns), Some(name)) => Some((ns.clone(), name.clone())),
        _ => None,
    };
    let sub = match (&args.sub, &account) {
        (Some(sub), _) => sub.clone(),
        (None, Some((ns, name))) => format!("system:serviceaccount:{ns}:{name}"),
        (None, None) => {
            bail!("say who the token is for: --namespace NS --service-account NAME, or --sub SUB")
        }
    };
    let sa_uid = match &args.sa_uid {
        Some(uid) => uid.clone(),
        None => random_uuid()?,
    };
    let claims = if args.legacy {
        let Some((ns, name)) = &account else {
            bail!(
                "a legacy token is for a service account: give --namespace and --service-account"
            );
        };
        let secret = args
            .secret_name
            .clone()
            .unwrap_or_else(|| format!("{name}-token"));
        let service_account = ObjectRef {
            name: name.clone(),
            uid: sa_uid,
        };
        LegacyClaims::new(ns, service_account, &secret).to_json()
    } else {
        let jti = match &args.jti {
            Some(jti) => jti.clone(),
            None => random_uuid()?,
        };
        let identity = account.as_ref().map(|(ns, name)| ServiceAccountIdentity {
            namespace: ns.clone(),
            service_account: ObjectRef {
                name: name.clone(),
                uid: sa_uid.clone(),
            },
            pod: object_ref(&args.pod_name, &args.pod_uid),
            node: object_ref(&args.node_name, &args.node_uid),
            ..ServiceAccountIdentity::default()
        });
        let issuer = args.issuer.clone().unwrap_or_default();
        ProjectedClaims::new(
            &issuer,
            &sub,
            &args.audiences,
            iat,
            nbf,
            ttl,
            &jti,
            identity,
        )
        .map_err(|e| anyhow!("{}: {e}", mint_flag(&e)))?
        .to_json()
    };
    let signer = SigningKey::new(&key, None, kid)?;
    let token = signer.sign(&serde_json::to_vec(&claims)?)?;
    files::emit(
        args.output.as_deref(),
        format!("{token}\n").as_bytes(),
        true,
    )?;
    let expiry = if args.legacy {
        "never expires (legacy)".to_string()
    } else {
        let exp = iat.saturating_add(ttl);
        let verb = if exp < now() { "expired" } else { "expires" };
        format!("{verb} {} ({})", format_rfc3339(exp), relative(exp, now()))
    };
    eprintln!(
        "kwi: minted a {} token for {sub}, {expiry}, {} kid {}",
        if args.legacy { "legacy" } else { "projected" },
        signer.algorithm(),
        signer.kid().unwrap_or("(none)")
    );
    note_unsupported_by_kubernetes(std::slice::from_ref(&key));
    Ok(())
}

fn relative(t: i64, now: i64) -> String {
    if t == now {
        "now".to_string()
    } else if t > now {
        format!("in {}", format_duration(t - now))
    } else {
        format!("{} ago", format_duration(now - t))
    }
}

/// What a careful reader should notice about a token, verified or not.
fn warnings(header_kid: Option<&str>, claims: &Claims, now: i64) -> Vec<String> {
    let mut w = Vec::new();
    if header_kid.is_none() {
        w.push(
            "no kid: verifiers must try every key (clusters before 1.16 sign like this)"
                .to_string(),
        );
    }
    if claims.is_legacy() {
        w.push(
            "legacy secret-based token: no audience, never expires; prefer projected tokens"
                .to_string(),
        );
    } else {
        if claims.aud().is_none_or(|a| a.len() == 0) {
            w.push("no aud: any relying party would accept it".to_string());
        }
        match claims.exp {
            None => w.push("no exp: the token never expires".to_string()),
            Some(exp) if exp < now => w.push(format!("expired {}", relative(exp, now))),
            _ => {}
        }
    }
    if let Some(nbf) = claims.nbf.filter(|&nbf| nbf > now) {
        w.push(format!("not valid yet: nbf is {}", relative(nbf, now)));
    }
    if let Some(identity) = claims.service_account()
        && let Some(warn_after) = identity.warn_after.filter(|&t| t < now)
    {
        w.push(format!(
            "warnafter passed {}: kube-apiserver now logs each use (the token relies on extended expiry)",
            relative(warn_after, now)
        ));
    }
    w
}

/// Text from a token, safe to print on a terminal (line breaks escaped too, so that an
/// unverified token cannot forge a line such as `valid:`).
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    crate::printable(text, false)
}

fn describe_identity(identity: &ServiceAccountIdentity) -> String {
    let mut parts = vec![
        format!("namespace {}", identity.namespace),
        format!("service account {}", identity.service_account.name),
    ];
    if let Some(pod) = &identity.pod {
        parts.push(format!("pod {}", pod.name));
    }
    if let Some(node) = &identity.node {
        parts.push(format!("node {}", node.name));
    }
    if identity.legacy
        && let Some(secret) = &identity.secret
    {
        parts.push(format!("secret {}", secret.name));
    }
    printable(&parts.join(", ")).into_owned()
}

fn claim_lines(claims: &Map<String, Value>, now: i64) -> String {
    let mut out = String::new();
    for (name, value) in claims {
        let shown = match (name.as_str(), value.as_i64()) {
            ("exp" | "iat" | "nbf", Some(t)) => {
                format!("{t}  {} ({})", format_rfc3339(t), relative(t, now))
            }
            _ => match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        };
        let (name, shown) = (printable(name), printable(&shown));
        out.push_str(&format!("  {name:<14} {shown}\n"));
    }
    out
}

pub(super) fn inspect(args: InspectArgs) -> Result<()> {
    let raw = read_token(&args.token)?;
    let token = decode_unverified(&raw, MAX_TOKEN_INPUT)
        .map_err(|e| anyhow!("{}: {e}", display_name(&args.token)))?;
    let now = now();
    let claims = Claims::from_map(token.claims.clone()).ok();
    let warnings = claims
        .as_ref()
        .map(|c| warnings(token.header.kid(), c, now))
        .unwrap_or_default();
    if args.json {
        let out = json!({
            "header": token.header.raw(),
            "claims": token.claims,
            "warnings": warnings,
            "verified": false,
        });
        return files::emit(
            None,
            format!("{}\n", serde_json::to_string_pretty(&out)?).as_bytes(),
            false,
        );
    }
    let mut out = String::from(
        "NOT VERIFIED: this shows what the token says, not whether it is genuine (kwi token verify).\n",
    );
    out.push_str("header\n");
    out.push_str(&claim_lines(token.header.raw(), now));
    out.push_str("claims\n");
    out.push_str(&claim_lines(&token.claims, now));
    if let Some(identity) = claims.as_ref().and_then(Claims::service_account) {
        out.push_str(&format!("identity\n  {}\n", describe_identity(&identity)));
    }
    for warning in &warnings {
        out.push_str(&format!("warning: {}\n", printable(warning)));
    }
    files::emit(None, out.as_bytes(), false)
}

/// The trusted keys for `verify`, and the issuer a discovery document named.
fn load_key_set(args: &VerifyArgs) -> Result<(KeySet, Option<String>)> {
    if let Some(url) = &args.issuer_url {
        let (jwks, issuer) = crate::fetch::issuer_jwks(url, args.ca_file.as_deref())?;
        let keys = kwi_jose::Jwks::parse(&jwks)
            .and_then(|j| j.to_keys())
            .map_err(|e| anyhow!("{url}: JWKS: {e}"))?;
        return Ok((KeySet::with_kubernetes_kids(&keys)?, Some(issuer)));
    }
    if let Some(url) = &args.jwks_url {
        let jwks = crate::fetch::get_document(url, args.ca_file.as_deref())?;
        let keys = kwi_jose::Jwks::parse(&jwks)
            .and_then(|j| j.to_keys())
            .map_err(|e| anyhow!("{url}: {e}"))?;
        return Ok((KeySet::with_kubernetes_kids(&keys)?, None));
    }
    let mut paths = args.keys.clone();
    paths.extend(args.jwks.clone());
    let keys: Vec<Key> = files::read_all_keys(&paths)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    Ok((KeySet::with_kubernetes_kids(&keys)?, None))
}

fn check(
    args: &VerifyArgs,
    keys: &KeySet,
    discovered_issuer: Option<String>,
    token: &str,
    now: i64,
    leeway: Option<i64>,
) -> Result<VerifiedToken, TokenError> {
    let issuers = args.issuer.clone().or(discovered_issuer);
    let audiences = (!args.audiences.is_empty()).then(|| args.audiences.clone());
    let verified = match args.profile {
        ProfileArg::Kubernetes => {
            let options = VerifyOptions {
                algorithms: KUBERNETES_ALGORITHMS.to_vec(),
                ..VerifyOptions::default()
            };
            let verified = keys.verify(token, &options)?;
            KubernetesRules {
                issuers: issuers.map(|i| vec![i]),
                audiences,
                allow_legacy: args.allow_legacy,
            }
            .validate_with_leeway(
                &verified.claims,
                now,
                leeway.unwrap_or(KUBERNETES_LEEWAY),
            )?;
            verified
        }
        ProfileArg::Sts => StsRules {
            provider_url: issuers,
            client_ids: audiences,
        }
        // STS's own checks, shared with `kwi sts serve` and `kwi doctor`; the message is all
        // that is kept of the refusal.
        .check_with_leeway(
            token,
            keys,
            now,
            leeway.map_or_else(StsLeeway::default, |l| StsLeeway {
                expiry: l,
                future: l,
            }),
        )
        .map_err(|refusal| TokenError::Rejected(refusal.to_string()))?,
        ProfileArg::Vault => {
            let rules = VaultRules {
                bound_issuer: issuers,
                bound_subject: args.subject.clone(),
                bound_audiences: args.audiences.clone(),
                clock_skew_leeway: leeway.unwrap_or(0),
                ..VaultRules::default()
            };
            let verified = keys.verify(token, &rules.verify_options())?;
            rules.validate(&verified, now)?;
            verified
        }
    };
    if let Some(expected) = &args.subject
        && verified.claims.sub() != Some(expected.as_str())
    {
        return Err(TokenError::SubjectMismatch {
            found: verified.claims.sub().unwrap_or_default().to_string(),
            expected: expected.clone(),
        });
    }
    Ok(verified)
}

pub(super) fn verify(args: VerifyArgs) -> Result<()> {
    let token = read_token(&args.token)?;
    let (keys, discovered_issuer) = load_key_set(&args)?;
    let now = time_arg(args.at.as_deref(), now(), "--at")?;
    let leeway = match args.leeway.as_deref() {
        None => None,
        Some("-1") => Some(-1),
        Some(text) => Some(parse_duration(text).map_err(|e| anyhow!("--leeway: {e}"))?),
    };
    let unchecked: Vec<&str> = [
        (
            args.issuer.is_none() && args.issuer_url.is_none(),
            "iss (give --iss)",
        ),
        (args.audiences.is_empty(), "aud (give --aud)"),
    ]
    .into_iter()
    .filter_map(|(missing, what)| missing.then_some(what))
    .collect();
    match check(&args, &keys, discovered_issuer, &token, now, leeway) {
        Ok(verified) => report_valid(&args, &verified, &unchecked, now),
        Err(error) => {
            let mut reason = error.to_string();
            if args.profile == ProfileArg::Vault && error.vault_message() != reason {
                reason.push_str(&format!(
                    " [OpenBao: \"error validating token: {}\"]",
                    error.vault_message()
                ));
            }
            if args.json {
                let out = json!({"valid": false, "error": reason});
                files::emit(
                    None,
                    format!("{}\n", serde_json::to_string_pretty(&out)?).as_bytes(),
                    false,
                )?;
            }
            Err(Rejected(format!("token rejected: {reason}")).into())
        }
    }
}

fn report_valid(
    args: &VerifyArgs,
    verified: &VerifiedToken,
    unchecked: &[&str],
    now: i64,
) -> Result<()> {
    let claims = &verified.claims;
    let identity = claims.service_account();
    if args.json {
        let out = json!({
            "valid": true,
            "header": verified.header.raw(),
            "claims": claims.raw(),
            "identity": identity.as_ref().map(|i| json!({
                "namespace": i.namespace,
                "serviceaccount": i.service_account.name,
                "pod": i.pod.as_ref().map(|p| p.name.clone()),
                "node": i.node.as_ref().map(|n| n.name.clone()),
                "legacy": i.legacy,
            })),
            "unchecked": unchecked,
        });
        return files::emit(
            None,
            format!("{}\n", serde_json::to_string_pretty(&out)?).as_bytes(),
            false,
        );
    }
    let mut out = format!("valid: {}\n", printable(claims.sub().unwrap_or("(no sub)")));
    if let Some(identity) = &identity {
        out.push_str(&format!("  {}\n", describe_identity(identity)));
    }
    if let Some(iss) = claims.iss() {
        out.push_str(&format!("  issuer {}\n", printable(iss)));
    }
    if let Some(aud) = claims.aud_list() {
        out.push_str(&format!("  audience {}\n", printable(&aud.join(", "))));
    }
    match claims.exp {
        Some(exp) => out.push_str(&format!(
            "  expires {} ({})\n",
            format_rfc3339(exp),
            relative(exp, now)
        )),
        None => out.push_str("  never expires\n"),
    }
    out.push_str(&format!(
        "  signed {} by kid {}\n",
        verified.header.alg(),
        verified.header.kid().unwrap_or("(none)")
    ));
    files::emit(None, out.as_bytes(), false)?;
    if !unchecked.is_empty() {
        eprintln!("kwi: note: not checked: {}", unchecked.join(", "));
    }
    Ok(())
}
