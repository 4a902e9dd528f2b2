//! `auth/<mount>/role/<name>`: who may log in and what token they get.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ApiError;
use crate::go::fmt::{self as gofmt, Numbers};
use crate::go::time::go_duration;
use crate::openbao::weak_decode;

/// A role of `role_type` `jwt`, with OpenBao's fields and defaults. The deprecated `policies`,
/// `bound_cidrs`, `num_uses`, `ttl`, `max_ttl` and `period` are kept apart, as OpenBao keeps
/// them, because a role read shows them only when they were set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Role {
    /// `jwt` (kwi refuses `oidc`).
    pub role_type: String,
    /// `None` until set (read as `null`).
    pub bound_audiences: Option<Vec<String>>,
    /// The `sub` a token must have (empty: any).
    pub bound_subject: String,
    /// `None` when never set or set to null (read as `null`), else the map (`{}` included).
    pub bound_claims: Option<Map<String, Value>>,
    /// `string` (exact values) or `glob` (`*` wildcards) for `bound_claims`.
    pub bound_claims_type: String,
    /// Claim name (or JSON pointer) → metadata key, every value a string.
    pub claim_mappings: Option<Map<String, Value>>,
    /// The claim that names the user (the alias).
    pub user_claim: String,
    /// Whether `user_claim` is a JSON pointer (`/a/b`).
    pub user_claim_json_pointer: bool,
    /// The claim holding group names (empty: none).
    pub groups_claim: String,
    /// Seconds of clock skew allowed on `iat`, `nbf`, `exp` (-1: none).
    pub clock_skew_leeway: i64,
    /// Seconds of leeway on `exp` (-1: none).
    pub expiration_leeway: i64,
    /// Seconds of leeway on `nbf` (-1: none).
    pub not_before_leeway: i64,
    /// Seconds a client token lives (0: the system default).
    pub token_ttl: i64,
    /// Most seconds a client token may live (0: the system maximum).
    pub token_max_ttl: i64,
    /// A hard cap on a client token's life (0: none).
    pub token_explicit_max_ttl: i64,
    /// A periodic token's period in seconds (0: not periodic).
    pub token_period: i64,
    /// The client token's policies.
    pub token_policies: Vec<String>,
    /// Whether `default` is left out of the policies.
    pub token_no_default_policy: bool,
    /// `default`, `service` or `batch`.
    pub token_type: String,
    /// How many uses a client token has (0: unlimited).
    pub token_num_uses: i64,
    /// Normalized as OpenBao prints them (`127.0.0.1/32` is `127.0.0.1`).
    pub token_bound_cidrs: Vec<String>,
    /// Deprecated `policies` as written (shown only when set).
    pub policies: Vec<String>,
    /// Deprecated `bound_cidrs` as written.
    pub bound_cidrs: Vec<String>,
    /// Deprecated `num_uses` as written.
    pub num_uses: i64,
    /// Deprecated `ttl` as written.
    pub ttl: i64,
    /// Deprecated `max_ttl` as written.
    pub max_ttl: i64,
    /// Deprecated `period` as written.
    pub period: i64,
}

/// OpenBao's warning when a role's `token_max_ttl` is over the system maximum.
const MAX_TTL_WARNING: &str = "token max ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated";

/// Every role field with its framework type, so that all are converted (and a bad one refused)
/// before any is used, as Vault's framework validates a request first.
const SCHEMA: &[(&str, Kind)] = &[
    ("role_type", Kind::String),
    ("bound_audiences", Kind::List),
    ("bound_subject", Kind::String),
    ("bound_claims", Kind::Map),
    ("bound_claims_type", Kind::String),
    ("claim_mappings", Kind::KvPairs),
    ("user_claim", Kind::String),
    ("user_claim_json_pointer", Kind::Bool),
    ("groups_claim", Kind::String),
    ("clock_skew_leeway", Kind::SignedDuration),
    ("expiration_leeway", Kind::SignedDuration),
    ("not_before_leeway", Kind::SignedDuration),
    ("token_ttl", Kind::Duration),
    ("token_max_ttl", Kind::Duration),
    ("token_explicit_max_ttl", Kind::Duration),
    ("token_period", Kind::Duration),
    ("token_policies", Kind::List),
    ("token_no_default_policy", Kind::Bool),
    ("token_type", Kind::String),
    ("token_num_uses", Kind::Int),
    ("token_bound_cidrs", Kind::List),
    ("policies", Kind::List),
    ("bound_cidrs", Kind::List),
    ("num_uses", Kind::Int),
    ("ttl", Kind::Duration),
    ("max_ttl", Kind::Duration),
    ("period", Kind::Duration),
];

#[derive(Clone, Copy)]
enum Kind {
    String,
    Bool,
    Int,
    Duration,
    SignedDuration,
    List,
    Map,
    KvPairs,
}

fn validate(body: &Map<String, Value>) -> Result<(), ApiError> {
    for name in body.keys() {
        let Some((_, kind)) = SCHEMA.iter().find(|(n, _)| n == name) else {
            continue;
        };
        match kind {
            Kind::String => weak_decode::string(body, name).map(drop),
            Kind::Bool => weak_decode::boolean(body, name).map(drop),
            Kind::Int => weak_decode::integer(body, name).map(drop),
            Kind::Duration => weak_decode::duration(body, name, false).map(drop),
            Kind::SignedDuration => weak_decode::duration(body, name, true).map(drop),
            Kind::List => weak_decode::list(body, name).map(drop),
            Kind::Map => weak_decode::map(body, name).map(drop),
            Kind::KvPairs => weak_decode::kv_pairs(body, name).map(drop),
        }?;
    }
    Ok(())
}

/// tokenutil's `UpgradeValue`: the deprecated field counts when the current one is not given
/// (and then sets both); when both are given the deprecated one takes the current one's value;
/// when only the current one is given the deprecated one is cleared.
fn upgrade<T: Clone + Default>(
    new_given: bool,
    old: Option<T>,
    old_value: &mut T,
    new_value: &mut T,
) {
    match (new_given, old) {
        (false, Some(v)) => {
            *old_value = v;
            *new_value = old_value.clone();
        }
        (false, None) => {}
        (true, Some(_)) => *old_value = new_value.clone(),
        (true, None) => *old_value = T::default(),
    }
}

/// OpenBao's `policyutil.SanitizePolicies`: trimmed, lower-cased, empty names dropped, `root`
/// alone if present, `default` added when asked, sorted without repeats.
pub(crate) fn sanitize_policies(policies: &[String], add_default: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(policies.len() + 1);
    let mut default_found = false;
    for p in policies {
        let p = p.trim().to_lowercase();
        if p.is_empty() {
            continue;
        }
        if p == "root" {
            out = vec![p];
            default_found = true;
            break;
        }
        default_found |= p == "default";
        out.push(p);
    }
    if add_default && (out.is_empty() || !default_found) {
        out.push("default".into());
    }
    out.sort();
    out.dedup();
    out
}

/// go-sockaddr's reading of a bound CIDR, printed as OpenBao prints it back: an IPv4 or IPv6
/// address or network (`/32` and `/128` dropped), else, for text holding a `/` or starting with
/// `.`, a UNIX socket (which OpenBao prints quoted twice and never matches a client).
fn sock_addr(text: &str) -> Option<String> {
    use std::net::{IpAddr, SocketAddr};
    // An address with a port (go-sockaddr resolves numeric ones): printed back with it.
    if let Ok(with_port) = text.parse::<SocketAddr>() {
        return Some(match (with_port.ip(), with_port.port()) {
            (IpAddr::V6(v6), _) if v6.to_ipv4_mapped().is_some() => return None,
            (ip, 0) => ip.to_string(),
            _ => with_port.to_string(),
        });
    }
    let (address, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let address = address
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(address);
    // Go's dtoi: decimal digits, leading zeros allowed, large values saturating.
    let bits = match prefix {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u32>().unwrap_or(u32::MAX))
        }
        Some(_) => Some(u32::MAX),
    };
    let parsed = address.parse::<IpAddr>().ok().and_then(|ip| match ip {
        IpAddr::V4(v4) => match bits {
            None | Some(32) => Some(v4.to_string()),
            Some(b) if b < 32 => Some(format!("{v4}/{b}")),
            _ => None,
        },
        IpAddr::V6(v6) => {
            let full = bits.unwrap_or(128);
            if full > 128 {
                return None;
            }
            // An IPv4-mapped address is read as IPv4, its prefix too.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return match full {
                    128 => Some(v4.to_string()),
                    b if b >= 96 => Some(format!("{v4}/{}", b - 96)),
                    b => Some(format!("{v6}/{b}")),
                };
            }
            Some(if full == 128 {
                v6.to_string()
            } else {
                format!("{v6}/{full}")
            })
        }
    });
    if parsed.is_some() {
        return parsed;
    }
    (text.len() > 1 && (text.starts_with(['.', '/']) || text.contains('/')))
        .then(|| crate::go::fmt::quote(&crate::go::fmt::quote(text)))
}

fn parse_addrs(items: &[String]) -> Result<Vec<String>, ApiError> {
    items
        .iter()
        .map(|a| {
            sock_addr(a).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "error parsing address {a:?}: Unable to convert {a:?} to an IPv4 or IPv6 address, or a UNIX Socket"
                ))
            })
        })
        .collect()
}

impl Role {
    /// Applies a role write to the existing role (or a new one), as OpenBao's
    /// `pathRoleCreateUpdate` does, check for check in its order. Returns the role and the
    /// warnings to answer with.
    pub fn from_request(
        existing: Option<&Role>,
        body: &Map<String, Value>,
    ) -> Result<(Role, Vec<String>), ApiError> {
        validate(body)?;
        let mut role = existing.cloned().unwrap_or_else(|| Role {
            bound_claims_type: "string".into(),
            token_type: "default".into(),
            ..Role::default()
        });
        if existing.is_some() {
            role.requote_sockets();
        }
        role.apply_role_type(body)?;
        role.apply_token_fields(body)?;
        role.apply_deprecated_fields(body)?;
        role.apply_bounds(body)?;
        role.apply_claims(body)?;
        let warnings = role.check_whole()?;
        Ok((role, warnings))
    }

    /// OpenBao saves a UNIX-socket "address" (text with a `/` that is no IP network) quoted
    /// once more at every write of the role: so does kwi, so that reads stay equal, but only up
    /// to 256 bytes (each quoting doubles the backslashes: OpenBao's grows without end).
    fn requote_sockets(&mut self) {
        for cidr in self
            .token_bound_cidrs
            .iter_mut()
            .chain(self.bound_cidrs.iter_mut())
        {
            if cidr.starts_with('"') && cidr.len() <= 256 {
                *cidr = gofmt::quote(cidr);
            }
        }
    }

    /// `role_type`: an update without one makes the role an OIDC one, as in OpenBao.
    fn apply_role_type(&mut self, body: &Map<String, Value>) -> Result<(), ApiError> {
        let role_type = weak_decode::string(body, "role_type")?
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "oidc".into());
        if role_type != "jwt" && role_type != "oidc" {
            return Err(ApiError::bad_request(format!(
                "invalid 'role_type': {role_type}"
            )));
        }
        self.role_type = role_type;

        Ok(())
    }

    /// tokenutil's `ParseTokenFields`, with its checks.
    fn apply_token_fields(&mut self, body: &Map<String, Value>) -> Result<(), ApiError> {
        if let Some(cidrs) = weak_decode::list(body, "token_bound_cidrs")? {
            self.token_bound_cidrs = parse_addrs(&cidrs)?;
        }
        if let Some(v) = weak_decode::duration(body, "token_explicit_max_ttl", false)? {
            self.token_explicit_max_ttl = v;
        }
        if let Some(v) = weak_decode::duration(body, "token_max_ttl", false)? {
            self.token_max_ttl = v;
        }
        if let Some(v) = weak_decode::boolean(body, "token_no_default_policy")? {
            self.token_no_default_policy = v;
        }
        if let Some(v) = weak_decode::duration(body, "token_period", false)? {
            self.token_period = v;
        }
        if let Some(v) = weak_decode::list(body, "token_policies")? {
            self.token_policies = v;
        }
        if let Some(t) = weak_decode::string(body, "token_type")? {
            self.token_type = match t.as_str() {
                "" | "default" => "default".into(),
                "service" | "batch" => t,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "invalid 'token_type' value {t:?}"
                    )));
                }
            };
        }
        if let Some(v) = weak_decode::integer(body, "token_num_uses")? {
            self.token_num_uses = v;
        }
        if self.token_num_uses < 0 {
            return Err(ApiError::bad_request("'token_num_uses' cannot be negative"));
        }
        if self.token_type == "batch" && self.token_period != 0 {
            return Err(ApiError::bad_request(
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens",
            ));
        }
        if self.token_type == "batch" && self.token_num_uses != 0 {
            return Err(ApiError::bad_request(
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count",
            ));
        }
        if let Some(v) = weak_decode::duration(body, "token_ttl", false)? {
            self.token_ttl = v;
        }
        if self.token_ttl > 0 && self.token_max_ttl > 0 && self.token_ttl > self.token_max_ttl {
            return Err(ApiError::bad_request(
                "'token_ttl' cannot be greater than 'token_max_ttl'",
            ));
        }

        Ok(())
    }

    /// The deprecated names (`policies`, `bound_cidrs`, `num_uses`, `ttl`, `max_ttl`,
    /// `period`), upgraded to the current ones as OpenBao does.
    fn apply_deprecated_fields(&mut self, body: &Map<String, Value>) -> Result<(), ApiError> {
        let given = |f: &str| body.contains_key(f);
        let policies = weak_decode::list(body, "policies")?.map(|p| sanitize_policies(&p, false));
        upgrade(
            given("token_policies"),
            policies,
            &mut self.policies,
            &mut self.token_policies,
        );
        // The deprecated addresses are parsed only when the current field is not given.
        let bound_cidrs = match weak_decode::list(body, "bound_cidrs")? {
            Some(c) if !given("token_bound_cidrs") => Some(parse_addrs(&c)?),
            Some(_) => Some(Vec::new()),
            None => None,
        };
        upgrade(
            given("token_bound_cidrs"),
            bound_cidrs,
            &mut self.bound_cidrs,
            &mut self.token_bound_cidrs,
        );
        upgrade(
            given("token_num_uses"),
            weak_decode::integer(body, "num_uses")?,
            &mut self.num_uses,
            &mut self.token_num_uses,
        );
        // A null duration counts as not given, for the current name too.
        let duration_given = |f: &str| body.get(f).is_some_and(|v| !v.is_null());
        upgrade(
            duration_given("token_ttl"),
            weak_decode::duration(body, "ttl", false)?,
            &mut self.ttl,
            &mut self.token_ttl,
        );
        upgrade(
            duration_given("token_max_ttl"),
            weak_decode::duration(body, "max_ttl", false)?,
            &mut self.max_ttl,
            &mut self.token_max_ttl,
        );
        upgrade(
            duration_given("token_period"),
            weak_decode::duration(body, "period", false)?,
            &mut self.period,
            &mut self.token_period,
        );
        if self.token_period > crate::login::SYSTEM_TTL {
            return Err(ApiError::bad_request(format!(
                "'period' of '\"{}\"' is greater than the backend's maximum lease TTL of '\"{}\"'",
                go_duration(self.token_period),
                go_duration(crate::login::SYSTEM_TTL)
            )));
        }

        Ok(())
    }

    /// The leeways and the bound constraints (audiences, subject, claims).
    fn apply_bounds(&mut self, body: &Map<String, Value>) -> Result<(), ApiError> {
        if let Some(v) = weak_decode::duration(body, "expiration_leeway", true)? {
            self.expiration_leeway = v;
        }
        if let Some(v) = weak_decode::duration(body, "not_before_leeway", true)? {
            self.not_before_leeway = v;
        }
        if let Some(v) = weak_decode::duration(body, "clock_skew_leeway", true)? {
            self.clock_skew_leeway = v;
        }
        if let Some(v) = weak_decode::list(body, "bound_audiences")? {
            self.bound_audiences = Some(v);
        }
        if let Some(v) = weak_decode::string(body, "bound_subject")? {
            self.bound_subject = v;
        }
        // Not given means the default, even on an update, as in OpenBao.
        let claims_type =
            weak_decode::string(body, "bound_claims_type")?.unwrap_or_else(|| "string".into());
        if claims_type != "string" && claims_type != "glob" {
            return Err(ApiError::bad_request(format!(
                "invalid 'bound_claims_type': {claims_type}"
            )));
        }
        self.bound_claims_type = claims_type;
        if let Some(claims) = weak_decode::map(body, "bound_claims")? {
            if self.bound_claims_type == "glob" {
                for value in claims.iter().flat_map(|m| m.values()) {
                    let items: Vec<&Value> = match value {
                        Value::Array(items) => items.iter().collect(),
                        Value::String(_) | Value::Bool(_) | Value::Number(_) => vec![value],
                        other => {
                            return Err(ApiError::bad_request(format!(
                                "claim is not a string or list: {}",
                                gofmt::value(other, Numbers::Text)
                            )));
                        }
                    };
                    if let Some(item) = items.iter().find(|i| !i.is_string()) {
                        return Err(ApiError::bad_request(format!(
                            "claim is not a string: {}",
                            gofmt::value(item, Numbers::Text)
                        )));
                    }
                }
            }
            self.bound_claims = claims;
        }
        Ok(())
    }

    /// The claims the identity is made of: mappings, user claim, groups claim.
    fn apply_claims(&mut self, body: &Map<String, Value>) -> Result<(), ApiError> {
        if let Some(mappings) = weak_decode::kv_pairs(body, "claim_mappings")? {
            let mut targets = std::collections::HashSet::new();
            for target in mappings.iter().flat_map(|m| m.values()) {
                let target = target.as_str().unwrap_or_default();
                if target == "role" {
                    return Err(ApiError::bad_request(format!(
                        "metadata key {target:?} is reserved and may not be a mapping destination"
                    )));
                }
                if !targets.insert(target) {
                    return Err(ApiError::bad_request(format!(
                        "multiple keys are mapped to metadata key {target:?}"
                    )));
                }
            }
            self.claim_mappings = mappings;
        }
        if let Some(v) = weak_decode::string(body, "user_claim")? {
            self.user_claim = v;
        }
        if self.user_claim.is_empty() {
            return Err(ApiError::bad_request(
                "a user claim must be defined on the role",
            ));
        }
        if let Some(v) = weak_decode::boolean(body, "user_claim_json_pointer")? {
            self.user_claim_json_pointer = v;
        }
        if let Some(v) = weak_decode::string(body, "groups_claim")? {
            self.groups_claim = v;
        }
        Ok(())
    }

    /// The checks on the whole role once every field is applied; the warnings to answer with.
    fn check_whole(&self) -> Result<Vec<String>, ApiError> {
        // OpenBao refuses an OIDC role without redirect URIs here; kwi refuses every OIDC self.
        if self.role_type == "oidc" {
            return Err(ApiError::bad_request(
                "kwi serves role_type \"jwt\" only: OIDC roles (browser logins) are not supported; set role_type=jwt",
            ));
        }
        if self.bound_audiences.as_ref().is_none_or(Vec::is_empty)
            && self.token_bound_cidrs.is_empty()
            && self.bound_subject.is_empty()
            && self.bound_claims.as_ref().is_none_or(Map::is_empty)
        {
            return Err(ApiError::bad_request(
                "must have at least one bound constraint when creating/updating a role",
            ));
        }
        if self.token_max_ttl > 0 && self.token_ttl > self.token_max_ttl {
            return Err(ApiError::bad_request(
                "ttl should not be greater than max ttl",
            ));
        }
        let mut warnings = Vec::new();
        if self.token_max_ttl > crate::login::SYSTEM_TTL {
            warnings.push(MAX_TTL_WARNING.to_string());
        }
        Ok(warnings)
    }

    /// The policies of tokens this role issues, as the token store reports them: the role's,
    /// plus `default` unless `token_no_default_policy`, sanitized as Vault does.
    pub fn effective_policies(&self) -> Vec<String> {
        sanitize_policies(&self.token_policies, !self.token_no_default_policy)
    }

    /// The `data` of a role read, member for member as OpenBao's.
    pub fn to_response(&self) -> Value {
        let mut data = json!({
            "allowed_redirect_uris": null,
            "bound_audiences": self.bound_audiences,
            "bound_claims": self.bound_claims,
            "bound_claims_type": self.bound_claims_type,
            "bound_subject": self.bound_subject,
            "callback_mode": "client",
            "claim_mappings": self.claim_mappings,
            "clock_skew_leeway": self.clock_skew_leeway,
            "expiration_leeway": self.expiration_leeway,
            "groups_claim": self.groups_claim,
            "max_age": 0,
            "not_before_leeway": self.not_before_leeway,
            "oauth2_metadata": null,
            "oidc_disable_confirmation": false,
            "oidc_scopes": null,
            "role_type": self.role_type,
            "token_bound_cidrs": self.token_bound_cidrs,
            "token_explicit_max_ttl": self.token_explicit_max_ttl,
            "token_max_ttl": self.token_max_ttl,
            "token_no_default_policy": self.token_no_default_policy,
            "token_num_uses": self.token_num_uses,
            "token_period": self.token_period,
            "token_policies": self.token_policies,
            "token_policies_template_claims": false,
            "token_strictly_bind_ip": false,
            "token_ttl": self.token_ttl,
            "token_type": self.token_type,
            "user_claim": self.user_claim,
            "user_claim_json_pointer": self.user_claim_json_pointer,
            "verbose_oidc_logging": false,
        });
        // The deprecated fields appear only when set, as in OpenBao.
        if let Some(extra) = data.as_object_mut() {
            if !self.policies.is_empty() {
                extra.insert("policies".into(), json!(self.token_policies));
            }
            if !self.bound_cidrs.is_empty() {
                extra.insert("bound_cidrs".into(), json!(self.token_bound_cidrs));
            }
            for (name, value) in [
                ("ttl", self.ttl),
                ("max_ttl", self.max_ttl),
                ("period", self.period),
                ("num_uses", self.num_uses),
            ] {
                if value > 0 {
                    extra.insert(name.into(), json!(value));
                }
            }
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(existing: Option<&Role>, body: Value) -> Result<(Role, Vec<String>), ApiError> {
        Role::from_request(existing, body.as_object().unwrap())
    }

    const BASE: fn() -> Value =
        || json!({"role_type": "jwt", "user_claim": "sub", "bound_subject": "s"});

    fn with(extra: Value) -> Value {
        let mut b = BASE();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    }

    #[test]
    fn deprecated_fields_upgrade_as_tokenutil_does() {
        // `policies` alone: sanitized, copied to token_policies, shown by a read.
        let (r, _) = write(None, with(json!({"policies": "Ops, dev,,ops"}))).unwrap();
        assert_eq!(r.token_policies, ["dev", "ops"]);
        let read = r.to_response();
        assert_eq!(read["policies"], json!(["dev", "ops"]));
        assert!(read.get("ttl").is_none() && read.get("bound_cidrs").is_none());
        // `token_policies` alone: kept as written, `policies` not shown.
        let (r, _) = write(None, with(json!({"token_policies": ["A", ""]}))).unwrap();
        assert_eq!(r.token_policies, ["A", ""]);
        assert!(r.to_response().get("policies").is_none());
        // Both: the current one wins and the deprecated one shows it.
        let (r, _) = write(None, with(json!({"ttl": 60, "token_ttl": 90}))).unwrap();
        assert_eq!(
            (r.token_ttl, r.to_response()["ttl"].clone()),
            (90, json!(90))
        );
        // The deprecated one is cleared when only the current one is written.
        let (r2, _) = write(Some(&r), with(json!({"token_ttl": 30}))).unwrap();
        assert!(r2.to_response().get("ttl").is_none());
        // A negative deprecated num_uses passes (the check is on token_num_uses, made first).
        let (r, _) = write(None, with(json!({"num_uses": -3}))).unwrap();
        assert_eq!(r.token_num_uses, -3);
    }

    #[test]
    fn checks_in_openbao_order() {
        let e = |b: Value| write(None, b).unwrap_err().errors.join("");
        assert_eq!(
            e(with(json!({"token_ttl": 90, "token_max_ttl": 60}))),
            "'token_ttl' cannot be greater than 'token_max_ttl'"
        );
        assert_eq!(
            e(with(json!({"ttl": 90, "max_ttl": 60}))),
            "ttl should not be greater than max ttl"
        );
        assert_eq!(
            e(with(
                json!({"bound_claims_type": "glob", "bound_claims": {"a": 7}})
            )),
            "claim is not a string: 7"
        );
        assert_eq!(
            e(with(
                json!({"bound_claims_type": "glob", "bound_claims": {"a": {"b": 1}}})
            )),
            "claim is not a string or list: map[b:1]"
        );
        // String-typed bound claims take anything at write time (refused at login).
        assert!(write(None, with(json!({"bound_claims": {"a": null}}))).is_ok());
        // Without a role type a write makes an OIDC role, which kwi refuses.
        assert!(
            e(json!({"user_claim": "sub", "bound_subject": "s"}))
                .contains("role_type \"jwt\" only")
        );
        let (_, warnings) = write(None, with(json!({"token_max_ttl": "800h"}))).unwrap();
        assert_eq!(warnings, [MAX_TTL_WARNING]);
    }

    #[test]
    fn bound_cidrs_as_openbao_prints_them() {
        for (given, shown) in [
            ("127.0.0.1/32", "127.0.0.1"),
            ("::1/128", "::1"),
            ("10.1.2.3/8", "10.1.2.3/8"),
            ("::ffff:1.2.3.4", "1.2.3.4"),
            ("FE80::1", "fe80::1"),
            ("1.2.3.4/032", "1.2.3.4"),
            ("[::1]", "::1"),
            ("10.0.0.0/33", "\"\\\"10.0.0.0/33\\\"\""),
            ("::1/0128", "::1"),
            ("1.2.3.4:80", "1.2.3.4:80"),
            ("[::1]:80", "[::1]:80"),
            ("10.0.0.1/00008", "10.0.0.1/8"),
        ] {
            assert_eq!(sock_addr(given).as_deref(), Some(shown), "{given}");
        }
        assert_eq!(sock_addr("abc"), None);
        assert_eq!(sock_addr(""), None);
    }

    /// Every field given every shape of JSON value, nested too: an answer, never a panic.
    #[test]
    fn any_body_gets_an_answer() {
        let shapes = [
            json!(null),
            json!(true),
            json!(-7.5),
            json!(18446744073709551615u64),
            json!(""),
            json!("a=b,=c, 10.0.0.0/8 ,0x7fffffffffffffff,-1h,1e400"),
            json!([]),
            json!([null, 1, "x", [["y"]], {"k": {"k": [1]}}]),
            json!({}),
            json!({"a": [null, {"b": 1.5}], "c": "glob*"}),
            json!([{"a": "b"}, null, [{"c": 1}]]),
        ];
        for (field, _) in SCHEMA {
            for shape in &shapes {
                let mut body = BASE();
                body[*field] = shape.clone();
                if let Ok((role, _)) = write(None, body.clone()) {
                    let _ = role.to_response();
                    let _ = write(Some(&role), body);
                }
            }
        }
    }

    #[test]
    fn a_socket_like_cidr_stops_growing() {
        let (mut role, _) = write(None, with(json!({"token_bound_cidrs": "/tmp/x"}))).unwrap();
        for _ in 0..40 {
            role = write(Some(&role), BASE()).unwrap().0;
        }
        assert!(
            role.token_bound_cidrs[0].len() < 1024,
            "{}",
            role.token_bound_cidrs[0].len()
        );
    }

    #[test]
    fn policies_sanitized_as_vault() {
        let p = |v: &[&str], d| {
            sanitize_policies(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), d)
        };
        assert_eq!(p(&["B", " a ", "", "b"], true), ["a", "b", "default"]);
        assert_eq!(p(&["dev", "root"], true), ["root"]);
        assert_eq!(p(&[], false), Vec::<String>::new());
    }
}
