//! A token checked as each chosen relying party checks it: AWS with kwi-jose's `StsRules` (the
//! implementation `kwi sts serve` uses, with STS's messages from kwi-sts), Vault with
//! `VaultRules` and a role's defaults, Entra and Google with their documented rules.

use kwi_jose::{
    KeySet, StsRefusal, StsRules, TokenError, VaultRules, VerifyOptions, decode_unverified,
};
use kwi_sts::StsError;

use crate::catalogue::Party;
use crate::finding::Report;

/// Entra's longest token lifetime, "1.01:00:00".
const ENTRA_MAX_LIFETIME: i64 = 25 * 3600;

/// What the token checks need.
#[derive(Debug, Clone, Copy)]
pub struct TokenInput<'a> {
    /// The token.
    pub token: &'a str,
    /// The issuer URL.
    pub issuer: &'a str,
    /// `--aud`, overriding each party's usual audience.
    pub aud: Option<&'a str>,
    /// The time of the check.
    pub now: i64,
    /// Entra's federated identity credentials, when given.
    pub azure_credentials: &'a [crate::entra::FederatedCredential],
    /// Google's pool provider, as far as it was given.
    pub gcp: &'a crate::google::GoogleProvider,
}

fn sts_id(refusal: &StsRefusal) -> &'static str {
    match refusal {
        StsRefusal::TokenLength { .. } => "token.too-long",
        StsRefusal::NotAJwt(_) => "token.unreadable",
        StsRefusal::UnknownProvider { .. } => "token.issuer",
        StsRefusal::IncorrectAudience { .. } => "token.audience",
        StsRefusal::Algorithm { .. } => "token.algorithm",
        StsRefusal::KeyNotFound { .. } => "token.kid-not-published",
        StsRefusal::BadSignature { .. } => "token.bad-signature",
        StsRefusal::Expired { .. } => "token.expired",
        StsRefusal::NotYetValid { .. } => "token.not-yet-valid",
        _ => "token.claims",
    }
}

fn check_aws(report: &mut Report, input: TokenInput<'_>, keys: &KeySet) {
    let aud = input
        .aud
        .or(Party::Aws.default_audience())
        .unwrap_or_default();
    let rules = StsRules {
        provider_url: Some(input.issuer.trim_end_matches('/').to_string()),
        client_ids: Some(vec![aud.to_string()]),
    };
    match rules.check(input.token, keys, input.now) {
        Ok(_) => report.pass("token", format!("AWS STS accepts it (audience {aud})")),
        Err(refusal) => {
            let message = StsError::from_refusal(&refusal).to_string();
            report.fail_with(
                sts_id(&refusal),
                format!("STS: {refusal}"),
                &[Party::Aws],
                vec![(Party::Aws, message)],
            );
        }
    }
}

/// The signature as a JWKS verifier sees it (Entra, Google): an unknown kid, or no key verifies.
fn signature(keys: &KeySet, token: &str) -> Result<kwi_jose::VerifiedToken, &'static str> {
    keys.verify(token, &VerifyOptions::default())
        .map_err(|e| match e {
            TokenError::UnknownKid { .. } => "token.kid-not-published",
            TokenError::BadSignature | TokenError::KeyTypeMismatch { .. } => "token.bad-signature",
            TokenError::AlgorithmNotAllowed { .. } => "token.algorithm",
            _ => "token.unreadable",
        })
}

fn check_vault(report: &mut Report, input: TokenInput<'_>, keys: &KeySet) {
    let kid = kwi_jose::peek_kid(input.token);
    let audiences: Vec<String> = match input.aud {
        Some(a) => vec![a.to_string()],
        None => decode_unverified(input.token, usize::MAX)
            .ok()
            .and_then(|t| match t.claims.get("aud") {
                Some(serde_json::Value::String(a)) => Some(vec![a.clone()]),
                Some(serde_json::Value::Array(list)) => Some(
                    list.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default(),
    };
    let rules = VaultRules {
        bound_issuer: Some(input.issuer.to_string()),
        bound_audiences: audiences.clone(),
        ..VaultRules::default()
    };
    let verified = match keys.verify(input.token, &rules.verify_options()) {
        Ok(v) => v,
        Err(e) => {
            let id = match (&e, kid) {
                (TokenError::Malformed(_) | TokenError::BadHeader(_), _) => "token.unreadable",
                (_, Some(kid)) if !keys.has_kid(&kid) => "token.kid-not-published",
                _ => "token.bad-signature",
            };
            vault_refused(report, id, &e);
            return;
        }
    };
    let Err(e) = rules.validate(&verified, input.now) else {
        report.pass(
            "token",
            "Vault accepts it (a role with bound_audiences, default leeways)",
        );
        return;
    };
    // Which rule refused, read from the claims in cap's order (iss, aud, times).
    let claims = &verified.claims;
    let aud_matches = claims
        .aud()
        .is_some_and(|mut a| a.any(|x| audiences.iter().any(|b| b == x)));
    let id = if claims.iss() != Some(input.issuer) {
        "token.issuer"
    } else if !audiences.is_empty() && !aud_matches {
        "token.audience"
    } else if claims.exp.is_some_and(|exp| exp <= input.now) {
        "token.expired"
    } else {
        "token.not-yet-valid"
    };
    vault_refused(report, id, &e);
}

/// Records a Vault refusal with OpenBao's message.
fn vault_refused(report: &mut Report, id: &str, e: &TokenError) {
    let message = format!("error validating token: {}", e.vault_message());
    report.fail_with(
        id,
        format!("Vault: {e}"),
        &[Party::Vault],
        vec![(Party::Vault, message)],
    );
}

fn check_cloud(report: &mut Report, party: Party, input: TokenInput<'_>, keys: &KeySet) {
    let verified = match signature(keys, input.token) {
        Ok(v) => v,
        Err(id) => {
            report.fail(
                id,
                format!("{}: the token's signature", party.name()),
                &[party],
            );
            return;
        }
    };
    let claims = &verified.claims;
    let alg = verified.header.alg().to_string();
    if party == Party::Azure && !alg.starts_with("RS") {
        report.fail_with(
            "token.algorithm",
            format!("Entra: the token is signed with {alg}"),
            &[party],
            vec![(party, format!("AADSTS5002738: Invalid JWT token. '{alg}' is not a supported signature algorithm"))],
        );
        return;
    }
    if party == Party::Azure && !input.azure_credentials.is_empty() {
        let aud = claims.aud_list().unwrap_or_default();
        let presented = crate::entra::Presented {
            iss: claims.iss().unwrap_or_default(),
            sub: claims.sub().unwrap_or_default(),
            aud: &aud,
        };
        if crate::entra::match_token(report, input.azure_credentials, presented).is_none() {
            return;
        }
    } else if claims.iss() != Some(input.issuer) {
        report.fail(
            "token.issuer",
            format!("{}: iss {:?}", party.name(), claims.iss()),
            &[party],
        );
        return;
    }
    let matched_by_credential = party == Party::Azure && !input.azure_credentials.is_empty();
    let google_audiences = (party == Party::Gcp)
        .then(|| input.gcp.accepted_audiences())
        .flatten();
    if let Some(accepted) = google_audiences {
        let aud = claims.aud_list().unwrap_or_default();
        if !aud.iter().any(|a| accepted.contains(a)) {
            report.fail_with(
                "token.audience",
                format!("Google: aud {aud:?}, the provider accepts {accepted:?}"),
                &[party],
                vec![(party, crate::google::audience_message(&aud))],
            );
            return;
        }
    } else if let Some(aud) = input.aud.or(party.default_audience())
        && !matched_by_credential
        && !claims.aud().is_some_and(|mut a| a.any(|x| x == aud))
    {
        report.fail(
            "token.audience",
            format!(
                "{}: aud {:?}, expected {aud}",
                party.name(),
                claims.aud_list().unwrap_or_default()
            ),
            &[party],
        );
        return;
    }
    if claims.exp.is_none_or(|exp| exp <= input.now) {
        report.fail(
            "token.expired",
            format!("{}: exp {:?}, now {}", party.name(), claims.exp, input.now),
            &[party],
        );
        return;
    }
    if party == Party::Gcp && !crate::google::check_token(report, &verified, input.now) {
        return;
    }
    if party == Party::Azure {
        let lifetime = claims.iat.map(|iat| claims.exp.unwrap_or(iat) - iat);
        if lifetime.is_none_or(|l| l > ENTRA_MAX_LIFETIME) {
            report.fail(
                "token.lifetime",
                format!("Entra: lifetime {lifetime:?} s (at most 25 h, iat required)"),
                &[party],
            );
            return;
        }
    }
    if party == Party::Gcp
        && !crate::google::check_subject(report, claims.sub().unwrap_or_default())
    {
        return;
    }
    report.pass("token", format!("{} accepts it", party.title()));
}

/// Checks the token for each chosen party.
pub fn check_token(report: &mut Report, input: TokenInput<'_>, jwks: Option<&str>) {
    let keys = jwks
        .and_then(|j| kwi_sts::idp::key_set(j).ok())
        .unwrap_or_else(KeySet::empty);
    for party in report.parties.clone() {
        match party {
            Party::Aws => check_aws(report, input, &keys),
            Party::Vault => check_vault(report, input, &keys),
            Party::Azure | Party::Gcp => check_cloud(report, party, input, &keys),
        }
    }
}
