//! `auth/<mount>/login`: OpenBao's JWT login, check for check and message for message.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::LazyLock;

use kwi_jose::{KeySet, VaultRules, VerifyOptions};
use serde_json::{Map, Value};

use crate::go::fmt::{self as gofmt, Numbers};
use crate::{ApiError, JwtConfig, Role};

/// What a successful login grants.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginAuth {
    /// The role logged in with.
    pub role: String,
    /// The alias name (the user claim's value).
    pub user: String,
    /// Token metadata: `role` plus the claim mappings.
    pub metadata: Map<String, Value>,
    /// Group names from the groups claim.
    pub groups: Vec<String>,
    /// The token's policies.
    pub policies: Vec<String>,
    /// The role's own policies (without `default`).
    pub token_policies: Vec<String>,
    /// Lease duration in seconds.
    pub ttl: i64,
    /// Number of uses allowed (0: unlimited).
    pub num_uses: i64,
    /// `service` or `batch`.
    pub token_type: String,
}

/// Vault's default and maximum token TTL (`768h`).
pub(crate) const SYSTEM_TTL: i64 = 768 * 3600;

/// go-oidc's answer when no remote key verifies a token (after `error validating token: `).
const REMOTE_SIGNATURE_FAILED: &str =
    "error verifying token signature: failed to verify id token signature";

/// A claim by name, or by JSON pointer when it starts with `/` (OpenBao's `getClaim`).
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if name.starts_with('/') {
        let mut current: Option<&Value> = None;
        for (i, part) in name.split('/').skip(1).enumerate() {
            let part = pointer_token(part);
            current = if i == 0 {
                claims.get(&part)
            } else {
                match current {
                    // An array is indexed by a decimal number (`/groups/0`).
                    Some(Value::Array(items)) => part
                        .parse::<usize>()
                        .ok()
                        .filter(|_| part.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|i| items.get(i)),
                    other => other.and_then(|v| v.get(&part)),
                }
            };
        }
        return current;
    }
    claims.get(name)
}

/// go-oidc's check of a remote-key token's algorithm, made when it parses the token (before
/// the signature) against cap's full list; `jwt_supported_algs` is checked later, as for static
/// keys.
fn oidc_algorithm_error(alg: &str) -> Option<String> {
    const SUPPORTED: [&str; 10] = [
        "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA",
    ];
    if SUPPORTED.contains(&alg) {
        return None;
    }
    let quoted: Vec<String> = SUPPORTED.iter().map(|a| format!("{a:?}")).collect();
    Some(format!(
        "unexpected signature algorithm {alg:?}; expected [{}]",
        quoted.join(" ")
    ))
}

/// One reference token of a JSON pointer, unescaped (RFC 6901: `~1` is `/`, `~0` is `~`).
fn pointer_token(part: &str) -> String {
    part.replace("~1", "/").replace("~0", "~")
}

/// The top-level claim a claim name or JSON pointer starts from.
fn top_level_name(name: &str) -> String {
    match name.strip_prefix('/') {
        Some(pointer) => pointer_token(pointer.split('/').next().unwrap_or_default()),
        None => name.to_string(),
    }
}

/// OpenBao's `getClaim`: a claim by name or JSON pointer, with `aud` given as a string read as
/// a list of one. Null is absent (Go's `nil`). A number it returns is a `json.Number` of the
/// claim's integer part (see [`gofmt::claim_integer`]); numbers inside lists stay `float64`s.
fn get_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<Cow<'a, Value>> {
    let value = claim(claims, name).filter(|v| !v.is_null())?;
    match value {
        Value::String(s) if name == "aud" => {
            Some(Cow::Owned(Value::Array(vec![Value::String(s.clone())])))
        }
        other => Some(Cow::Borrowed(other)),
    }
}

/// One value of a bound claim check, with the Go type it has there.
enum Item<'a> {
    Text(&'a str),
    Bool(bool),
    /// A `json.Number`: the role's literal text, or a top-level claim's integer part.
    Number(String),
    /// A claim's `float64` inside a list, or a list or map: equal to nothing.
    Other,
}

fn expected_item(v: &Value) -> Item<'_> {
    match v {
        Value::String(s) => Item::Text(s),
        Value::Bool(b) => Item::Bool(*b),
        Value::Number(n) => Item::Number(n.to_string()),
        _ => Item::Other,
    }
}

/// ryanuber/go-glob: `*` matches any run of characters; nothing else is special.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn check_bound_claims(role: &Role, claims: &Map<String, Value>) -> Result<(), String> {
    let use_globs = role.bound_claims_type == "glob";
    for (name, expected) in role.bound_claims.iter().flatten() {
        let Some(actual) = get_claim(claims, name) else {
            return Err(format!("claim {name:?} is missing"));
        };
        let actual: Vec<Item<'_>> = match actual.as_ref() {
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Item::Text(s),
                    Value::Bool(b) => Item::Bool(*b),
                    _ => Item::Other,
                })
                .collect(),
            Value::String(s) => vec![Item::Text(s)],
            Value::Bool(b) => vec![Item::Bool(*b)],
            Value::Number(n) => vec![Item::Number(gofmt::claim_integer(n))],
            other => {
                return Err(format!(
                    "received claim is not a string, bool, int or list: {}",
                    gofmt::value(other, Numbers::Float)
                ));
            }
        };
        let expected: Vec<Item<'_>> = match expected {
            Value::Array(items) => items.iter().map(expected_item).collect(),
            Value::String(_) | Value::Bool(_) | Value::Number(_) => vec![expected_item(expected)],
            other => {
                return Err(format!(
                    "bound claim is not a string, bool, int or list: {}",
                    gofmt::value(other, Numbers::Text)
                ));
            }
        };
        let mut found = false;
        'search: for e in &expected {
            for a in &actual {
                let matched = if use_globs {
                    let Item::Text(pattern) = e else {
                        // OpenBao's message, with the format verb it misuses.
                        let (kind, text) = match e {
                            Item::Bool(b) => ("bool", b.to_string()),
                            Item::Number(n) => ("json.Number", n.clone()),
                            _ => ("[]interface {}", String::new()),
                        };
                        return Err(format!(
                            "received claim is not a glob string: %!e({kind}={text})xpVal"
                        ));
                    };
                    matches!(a, Item::Text(text) if glob(pattern, text))
                } else {
                    match (e, a) {
                        (Item::Text(e), Item::Text(a)) => e == a,
                        (Item::Bool(e), Item::Bool(a)) => e == a,
                        (Item::Number(e), Item::Number(a)) => e == a,
                        _ => false,
                    }
                };
                if matched {
                    found = true;
                    break 'search;
                }
            }
        }
        if !found {
            return Err(format!(
                "claim {name:?} does not match any associated bound claim values"
            ));
        }
    }
    Ok(())
}

/// The identity store's `validateMetadata` of an alias's metadata.
fn check_alias_metadata(metadata: &Map<String, Value>) -> Result<(), String> {
    if metadata.len() > 64 {
        return Err("metadata cannot contain more than 64 key/value pairs".into());
    }
    for (key, value) in metadata {
        let value = value.as_str().unwrap_or_default();
        let why = if key.is_empty() {
            "key cannot be blank".to_string()
        } else if !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=/+_-".contains(&b))
        {
            "key contains invalid characters".to_string()
        } else if key.len() > 128 {
            "key is too long (limit: 128 characters)".to_string()
        } else if key.starts_with("vault-") {
            "key prefix \"vault-\" is reserved for internal use".to_string()
        } else if value.len() > 512 {
            "value is too long (limit: 512 characters)".to_string()
        } else {
            continue;
        };
        return Err(format!(
            "failed to load metadata pair ({}, {}): {why}",
            gofmt::quote(key),
            gofmt::quote(value)
        ));
    }
    Ok(())
}

fn cidr_contains(cidr: &str, addr: IpAddr) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(net) = net.trim().parse::<IpAddr>() else {
        return false;
    };
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(n) & mask) == (u32::from(a) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(n) & mask) == (u128::from(a) & mask)
        }
        _ => false,
    }
}

/// What a login request says.
#[derive(Debug, Clone, Copy)]
pub struct LoginRequest<'a> {
    /// The `role` field (lower-cased), or the config's `default_role` when the field is empty
    /// (empty when both are).
    pub role_name: &'a str,
    /// The `jwt` field.
    pub jwt: &'a str,
    /// The client's address, for `token_bound_cidrs`.
    pub remote: Option<IpAddr>,
    /// The time of the request.
    pub now: i64,
}

/// Where a mount's keys come from: it changes how OpenBao reads and answers a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// PEMs in the config (`jwt_validation_pubkeys`): cap's static key set, every key tried
    /// whatever the token's kid.
    Static,
    /// A JWKS fetched from a URL (`jwks_url`, discovery, `jwks_pairs`): go-oidc's remote key
    /// set, keys chosen by kid, tokens parsed by go-oidc first.
    Remote,
}

/// Why a login failed. Decisions (refetching remote keys, the HTTP status) are taken on the
/// variant; OpenBao's exact wording is produced from it by [`LoginError::openbao_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginError {
    /// The mount has no config.
    NoConfig,
    /// No role was named and the config has no `default_role`.
    MissingRole,
    /// The named role does not exist.
    RoleNotFound {
        /// The role named.
        role: String,
    },
    /// The role is an OIDC (browser) role.
    OidcRole,
    /// The request has no `jwt`.
    MissingToken,
    /// The client's address is outside the role's `token_bound_cidrs`.
    AddressNotAllowed,
    /// With remote keys, no cached key verified the token's signature: the case where go-oidc
    /// (and so kwi, within its cooldown) fetches the keys again.
    NoKeyVerified,
    /// The token could not be read, or its signature or a claim was refused: OpenBao's text
    /// after `error validating token: `.
    InvalidToken {
        /// go-oidc's, cap's or go-jose's message.
        message: String,
    },
    /// No audience of the token is bound (OpenBao answers this one without a prefix).
    AudienceMismatch {
        /// cap's message.
        message: String,
    },
    /// The identity could not be made from the claims (user claim, mappings, groups).
    Identity {
        /// OpenBao's message.
        message: String,
    },
    /// A bound claim did not match: OpenBao's text after `error validating claims: `.
    ClaimMismatch {
        /// What did not match.
        message: String,
    },
    /// The identity store refused the alias: an empty user, or metadata it cannot hold
    /// (OpenBao answers 500).
    Alias {
        /// OpenBao's message.
        message: String,
    },
    /// The role's policies include `root`.
    RootPolicy,
}

impl LoginError {
    /// The HTTP status OpenBao answers this failure with.
    pub fn status(&self) -> u16 {
        match self {
            LoginError::AddressNotAllowed => 403,
            LoginError::Alias { .. } => 500,
            _ => 400,
        }
    }

    /// OpenBao's message for this failure, word for word.
    pub fn openbao_message(&self) -> String {
        match self {
            LoginError::NoConfig => "could not load configuration".into(),
            LoginError::MissingRole => "missing role".into(),
            LoginError::RoleNotFound { role } => format!("role {role:?} could not be found"),
            LoginError::OidcRole => "role with oidc role_type is not allowed".into(),
            LoginError::MissingToken => "missing token".into(),
            LoginError::AddressNotAllowed => "permission denied".into(),
            LoginError::NoKeyVerified => {
                format!("error validating token: {REMOTE_SIGNATURE_FAILED}")
            }
            LoginError::InvalidToken { message } => format!("error validating token: {message}"),
            LoginError::AudienceMismatch { message } | LoginError::Identity { message } => {
                message.clone()
            }
            LoginError::ClaimMismatch { message } => format!("error validating claims: {message}"),
            LoginError::Alias { message } => message.clone(),
            LoginError::RootPolicy => "auth methods cannot create root tokens".into(),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(error: LoginError) -> ApiError {
        ApiError {
            status: error.status(),
            errors: vec![error.openbao_message()],
        }
    }
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.openbao_message())
    }
}

impl std::error::Error for LoginError {}

/// Logs in with a JWT: OpenBao's `pathLogin` for `role_type: jwt`, in its steps: check the
/// request, validate the token, make the identity from its claims, check the bound claims,
/// compute the lease. `source` says where the keys came from.
pub fn login(
    config: Option<&JwtConfig>,
    keys: &KeySet,
    source: KeySource,
    role: Option<&Role>,
    request: &LoginRequest<'_>,
) -> Result<LoginAuth, LoginError> {
    let (config, role) = check_request(config, role, request)?;
    let rules = vault_rules(config, role);
    let verified = validate_token(keys, source, &rules, request.jwt, request.now)?;
    let needed = needed_claims(role);
    let needed: Vec<&str> = needed.iter().map(String::as_str).collect();
    let claims = &verified.claims.select(&needed);
    let identity = create_identity(role, claims, request.role_name)?;
    check_bound_claims(role, claims).map_err(|message| LoginError::ClaimMismatch { message })?;
    grant(role, request.role_name, identity)
}

/// What the request and the role must be before the token is looked at.
fn check_request<'a>(
    config: Option<&'a JwtConfig>,
    role: Option<&'a Role>,
    request: &LoginRequest<'_>,
) -> Result<(&'a JwtConfig, &'a Role), LoginError> {
    let Some(config) = config else {
        return Err(LoginError::NoConfig);
    };
    // The caller has already put the config's `default_role` in place of a missing role.
    if request.role_name.is_empty() {
        return Err(LoginError::MissingRole);
    }
    let Some(role) = role else {
        return Err(LoginError::RoleNotFound {
            role: request.role_name.to_string(),
        });
    };
    if role.role_type == "oidc" {
        return Err(LoginError::OidcRole);
    }
    if request.jwt.is_empty() {
        return Err(LoginError::MissingToken);
    }
    if !role.token_bound_cidrs.is_empty()
        && !request
            .remote
            .is_some_and(|ip| role.token_bound_cidrs.iter().any(|c| cidr_contains(c, ip)))
    {
        return Err(LoginError::AddressNotAllowed);
    }
    Ok((config, role))
}

/// Vault's acceptance rules for this config and role.
fn vault_rules(config: &JwtConfig, role: &Role) -> VaultRules {
    VaultRules {
        bound_issuer: Some(config.bound_issuer.clone()).filter(|s| !s.is_empty()),
        bound_subject: Some(role.bound_subject.clone()).filter(|s| !s.is_empty()),
        bound_audiences: role.bound_audiences.clone().unwrap_or_default(),
        clock_skew_leeway: role.clock_skew_leeway,
        expiration_leeway: role.expiration_leeway,
        not_before_leeway: role.not_before_leeway,
        supported_algorithms: config.algorithms(),
    }
}

/// Verifies the token's signature with the keys and its claims with the rules, failing with
/// OpenBao's answers (go-oidc's with remote keys, cap's with static ones).
fn validate_token(
    keys: &KeySet,
    source: KeySource,
    rules: &VaultRules,
    jwt: &str,
    now: i64,
) -> Result<kwi_jose::VerifiedToken, LoginError> {
    // Static keys are all tried whatever the kid (cap's static key set); remote keys are chosen
    // by kid (go-oidc), and a miss is "failed to verify id token signature".
    static STATIC_KEYS: LazyLock<VerifyOptions> =
        LazyLock::new(|| VaultRules::default().verify_options());
    static REMOTE_KEYS: LazyLock<VerifyOptions> = LazyLock::new(|| VerifyOptions {
        reading: kwi_jose::Reading::GoJose,
        ..VerifyOptions::default()
    });
    let options: &VerifyOptions = match source {
        KeySource::Remote => &REMOTE_KEYS,
        KeySource::Static => &STATIC_KEYS,
    };
    let malformed = |e: crate::go::jose::GoJoseError| malformed_token(source, e.to_string());
    let verified = match keys.verify(jwt, options) {
        Ok(verified) => Ok(verified),
        // A token the strict reading refuses is read again as go-jose reads it (white space
        // dropped, padding too for static keys, lenient base64url), so that malformed tokens
        // get OpenBao's answers. A token the strict reading accepts, go-jose reads the same.
        Err(first) => {
            let read = crate::go::jose::go_jose_compact(jwt, source == KeySource::Static)
                .map_err(malformed)?;
            let result = match read {
                Cow::Borrowed(_) => Err(first),
                Cow::Owned(ref text) => keys.verify(text, options),
            };
            result.map_err(|e| (e, read))
        }
    };
    let verified = verified.map_err(|(e, jwt)| signature_error(e, &jwt, source, rules))?;
    rules.validate(&verified, now).map_err(|e| match e {
        kwi_jose::TokenError::Vault(refusal @ kwi_jose::VaultRefusal::AudienceNotBound) => {
            LoginError::AudienceMismatch {
                message: refusal.to_string(),
            }
        }
        other => LoginError::InvalidToken {
            message: other.vault_message(),
        },
    })?;
    Ok(verified)
}

/// A token that cannot be parsed: with remote keys go-oidc parses it, and says so.
fn malformed_token(source: KeySource, message: String) -> LoginError {
    let oidc = match source {
        KeySource::Remote => "oidc: malformed jwt: ",
        KeySource::Static => "",
    };
    LoginError::InvalidToken {
        message: format!("error verifying token signature: {oidc}{message}"),
    }
}

/// OpenBao's answer to a token whose signature check failed.
fn signature_error(
    error: kwi_jose::TokenError,
    jwt: &str,
    source: KeySource,
    rules: &VaultRules,
) -> LoginError {
    match error {
        kwi_jose::TokenError::BadHeader(_)
            if let Some(refusal) = crate::go::jose::go_jose_header_error(jwt) =>
        {
            malformed_token(source, refusal.to_string())
        }
        kwi_jose::TokenError::BadSignature
        | kwi_jose::TokenError::UnknownKid { .. }
        | kwi_jose::TokenError::KeyTypeMismatch { .. }
        | kwi_jose::TokenError::AlgorithmNotAllowed { .. }
        | kwi_jose::TokenError::BadHeader(_)
        | kwi_jose::TokenError::Malformed(_)
            if source == KeySource::Remote =>
        {
            let alg = kwi_jose::peek_alg(jwt).unwrap_or_default();
            match oidc_algorithm_error(&alg) {
                Some(m) => malformed_token(source, m),
                None => LoginError::NoKeyVerified,
            }
        }
        // A claim of the wrong type fails go-jose's unmarshalling, which cap does after checking
        // the algorithm against `jwt_supported_algs`.
        kwi_jose::TokenError::InvalidClaim { .. }
            if !rules.supported_algorithms.is_empty()
                && !kwi_jose::peek_alg(jwt)
                    .and_then(|a| kwi_jose::Algorithm::from_name(&a))
                    .is_some_and(|a| rules.supported_algorithms.contains(&a)) =>
        {
            LoginError::InvalidToken {
                message:
                    "invalid algorithm (alg) header parameter: token signed with unexpected algorithm"
                        .into(),
            }
        }
        other => LoginError::InvalidToken {
            message: other.vault_message(),
        },
    }
}

/// The top-level claims the role looks at: only those are decoded.
fn needed_claims(role: &Role) -> Vec<String> {
    std::iter::once(role.user_claim.as_str())
        .chain(
            role.claim_mappings
                .iter()
                .flat_map(|m| m.keys())
                .map(String::as_str),
        )
        .chain(std::iter::once(role.groups_claim.as_str()).filter(|g| !g.is_empty()))
        .chain(
            role.bound_claims
                .iter()
                .flat_map(|m| m.keys())
                .map(String::as_str),
        )
        .map(top_level_name)
        .collect()
}

/// Who logged in: the alias name, the token metadata, the groups.
struct Identity {
    user: String,
    metadata: Map<String, Value>,
    groups: Vec<String>,
}

/// OpenBao's `createIdentity`: the user claim, the claim mappings, the groups.
fn create_identity(
    role: &Role,
    claims: &Map<String, Value>,
    role_name: &str,
) -> Result<Identity, LoginError> {
    let identity = |message: String| LoginError::Identity { message };
    let user_claim = if role.user_claim_json_pointer {
        get_claim(claims, &role.user_claim)
    } else {
        claims
            .get(&role.user_claim)
            .filter(|v| !v.is_null())
            .map(Cow::Borrowed)
    };
    let user = match user_claim.as_deref() {
        None => {
            return Err(identity(format!(
                "claim {:?} not found in token",
                role.user_claim
            )));
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(identity(format!(
                "claim {:?} could not be converted to string",
                role.user_claim
            )));
        }
    };
    let mut metadata = Map::new();
    for (source, target) in role.claim_mappings.iter().flatten() {
        let Some(value) = get_claim(claims, source) else {
            continue;
        };
        let Value::String(text) = value.as_ref() else {
            return Err(identity(format!(
                "error converting claim '{source}' to string"
            )));
        };
        metadata.insert(
            target.as_str().unwrap_or_default().to_string(),
            Value::String(text.clone()),
        );
    }
    metadata.insert("role".into(), Value::String(role_name.to_string()));
    let groups = groups(role, claims).map_err(identity)?;
    Ok(Identity {
        user,
        metadata,
        groups,
    })
}

/// The groups claim as a list of names (a single value counts as a list of one, as OpenBao
/// reads it).
fn groups(role: &Role, claims: &Map<String, Value>) -> Result<Vec<String>, String> {
    let mut groups = Vec::new();
    if role.groups_claim.is_empty() {
        return Ok(groups);
    }
    let Some(value) = get_claim(claims, &role.groups_claim) else {
        return Err(format!(
            "failed to fetch groups: {:?} claim not found in token",
            role.groups_claim
        ));
    };
    let items: Vec<&Value> = match value.as_ref() {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => {
            return Err(format!(
                "{:?} claim could not be converted to string list",
                role.groups_claim
            ));
        }
        single => vec![single],
    };
    let top_level = !value.is_array();
    for item in items {
        let Some(g) = item.as_str() else {
            let shown = match item {
                Value::Number(n) if top_level => gofmt::claim_integer(n),
                other => gofmt::value(other, Numbers::Float),
            };
            return Err(format!(
                "value {shown} in groups claim could not be parsed as string"
            ));
        };
        if !g.is_empty() {
            groups.push(g.to_string());
        }
    }
    Ok(groups)
}

/// Vault's `CalculateTTL`: the maximum is the system's, lowered by the role's maximum and
/// explicit maximum; a periodic token lives one period, others the role's TTL or the system
/// default, within that maximum.
fn lease_ttl(role: &Role) -> i64 {
    let mut max = SYSTEM_TTL;
    for limit in [role.token_max_ttl, role.token_explicit_max_ttl] {
        if limit > 0 && limit < max {
            max = limit;
        }
    }
    if role.token_period > 0 {
        role.token_period.min(max)
    } else if role.token_ttl > 0 {
        role.token_ttl.min(max)
    } else {
        SYSTEM_TTL.min(max)
    }
}

/// What the login grants, after the identity store's checks of the alias (OpenBao answers
/// those with a 500) and the root-policy rule.
fn grant(role: &Role, role_name: &str, identity: Identity) -> Result<LoginAuth, LoginError> {
    let Identity {
        user,
        metadata,
        groups,
    } = identity;
    let ttl = lease_ttl(role);
    if user.is_empty() {
        return Err(LoginError::Alias {
            message: "missing name in alias".into(),
        });
    }
    check_alias_metadata(&metadata).map_err(|m| LoginError::Alias {
        message: format!("invalid alias metadata: {m}"),
    })?;
    let policies = role.effective_policies();
    if policies.iter().any(|p| p == "root") {
        return Err(LoginError::RootPolicy);
    }
    Ok(LoginAuth {
        role: role_name.to_string(),
        user,
        metadata,
        groups,
        token_policies: policies.clone(),
        policies,
        ttl,
        num_uses: role.token_num_uses,
        token_type: if role.token_type.contains("batch") {
            "batch".into()
        } else {
            "service".into()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_login_error_renders_as_openbao_answers_it() {
        let text = |m: &str| m.to_string();
        let cases = [
            (
                LoginError::NoConfig,
                400,
                text("could not load configuration"),
            ),
            (LoginError::MissingRole, 400, text("missing role")),
            (
                LoginError::RoleNotFound { role: "app".into() },
                400,
                text("role \"app\" could not be found"),
            ),
            (
                LoginError::OidcRole,
                400,
                text("role with oidc role_type is not allowed"),
            ),
            (LoginError::MissingToken, 400, text("missing token")),
            (
                LoginError::AddressNotAllowed,
                403,
                text("permission denied"),
            ),
            (
                LoginError::NoKeyVerified,
                400,
                text(
                    "error validating token: error verifying token signature: failed to verify id token signature",
                ),
            ),
            (
                LoginError::InvalidToken {
                    message: "token is expired".into(),
                },
                400,
                text("error validating token: token is expired"),
            ),
            (
                LoginError::AudienceMismatch {
                    message: "audience claim found in JWT but no audiences bound to the role"
                        .into(),
                },
                400,
                text("audience claim found in JWT but no audiences bound to the role"),
            ),
            (
                LoginError::Identity {
                    message: "claim \"sub\" not found in token".into(),
                },
                400,
                text("claim \"sub\" not found in token"),
            ),
            (
                LoginError::ClaimMismatch {
                    message: "claim \"ns\" does not match any associated bound claim values".into(),
                },
                400,
                text(
                    "error validating claims: claim \"ns\" does not match any associated bound claim values",
                ),
            ),
            (
                LoginError::Alias {
                    message: "missing name in alias".into(),
                },
                500,
                text("missing name in alias"),
            ),
            (
                LoginError::RootPolicy,
                400,
                text("auth methods cannot create root tokens"),
            ),
        ];
        for (error, status, message) in cases {
            assert_eq!(error.status(), status, "{error:?}");
            assert_eq!(error.openbao_message(), message);
            let api = ApiError::from(error);
            assert_eq!((api.status, api.errors), (status, vec![message]));
        }
    }

    #[test]
    fn globs_as_go_glob() {
        assert!(glob(
            "system:serviceaccount:*:app",
            "system:serviceaccount:prod:app"
        ));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b", "ab-c"));
        assert!(!glob("abc", "abcd"));
        assert!(glob("*-prod", "web-prod"));
    }

    #[test]
    fn cidrs() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(cidr_contains("127.0.0.0/8", ip("127.0.0.1")));
        assert!(!cidr_contains("10.0.0.0/8", ip("127.0.0.1")));
        assert!(cidr_contains("127.0.0.1", ip("127.0.0.1")));
        assert!(cidr_contains("::1/128", ip("::1")));
    }

    #[test]
    fn json_pointer_claims() {
        let claims = serde_json::json!({"kubernetes.io": {"namespace": "prod"}, "a/b": 1});
        let claims = claims.as_object().unwrap();
        assert_eq!(
            claim(claims, "/kubernetes.io/namespace"),
            Some(&Value::from("prod"))
        );
        assert_eq!(claim(claims, "/a~1b"), Some(&Value::from(1)));
    }
}
