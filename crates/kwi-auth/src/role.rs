//! `auth/<mount>/role/<name>`: who may log in and what token they get.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{ApiError, fields};

/// A role of `role_type` `jwt`, with OpenBao's fields and defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Role {
    pub role_type: String,
    pub bound_audiences: Vec<String>,
    pub bound_subject: String,
    pub bound_claims: Map<String, Value>,
    pub bound_claims_type: String,
    pub claim_mappings: Map<String, Value>,
    pub user_claim: String,
    pub user_claim_json_pointer: bool,
    pub groups_claim: String,
    pub clock_skew_leeway: i64,
    pub expiration_leeway: i64,
    pub not_before_leeway: i64,
    pub token_ttl: i64,
    pub token_max_ttl: i64,
    pub token_explicit_max_ttl: i64,
    pub token_period: i64,
    pub token_policies: Vec<String>,
    pub token_no_default_policy: bool,
    pub token_type: String,
    pub token_num_uses: i64,
    pub token_bound_cidrs: Vec<String>,
}

impl Role {
    /// Applies a role write to the existing role (or a new one), as Vault's create-or-update does.
    pub fn from_request(
        existing: Option<&Role>,
        body: &Map<String, Value>,
    ) -> Result<Role, ApiError> {
        let mut role = existing.cloned().unwrap_or_else(|| Role {
            role_type: "oidc".into(),
            bound_claims_type: "string".into(),
            token_type: "default".into(),
            ..Role::default()
        });
        if let Some(t) = fields::string(body, "role_type")? {
            role.role_type = t;
        }
        match role.role_type.as_str() {
            "jwt" => {}
            "oidc" => {
                return Err(ApiError::bad_request(
                    "kwi serves role_type \"jwt\" only: OIDC roles (browser logins) are not supported; set role_type=jwt",
                ));
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "invalid 'role_type': {other}"
                )));
            }
        }
        macro_rules! set {
            ($field:ident, $value:expr) => {
                if let Some(v) = $value {
                    role.$field = v;
                }
            };
        }
        set!(bound_audiences, fields::list(body, "bound_audiences")?);
        set!(bound_subject, fields::string(body, "bound_subject")?);
        set!(bound_claims, fields::map(body, "bound_claims")?);
        set!(
            bound_claims_type,
            fields::string(body, "bound_claims_type")?
        );
        set!(claim_mappings, fields::map(body, "claim_mappings")?);
        set!(user_claim, fields::string(body, "user_claim")?);
        set!(
            user_claim_json_pointer,
            fields::boolean(body, "user_claim_json_pointer")?
        );
        set!(groups_claim, fields::string(body, "groups_claim")?);
        set!(
            clock_skew_leeway,
            fields::duration(body, "clock_skew_leeway", true)?
        );
        set!(
            expiration_leeway,
            fields::duration(body, "expiration_leeway", true)?
        );
        set!(
            not_before_leeway,
            fields::duration(body, "not_before_leeway", true)?
        );
        // The deprecated names apply when the new ones are not given.
        set!(token_ttl, fields::duration(body, "ttl", false)?);
        set!(token_ttl, fields::duration(body, "token_ttl", false)?);
        set!(token_max_ttl, fields::duration(body, "max_ttl", false)?);
        set!(
            token_max_ttl,
            fields::duration(body, "token_max_ttl", false)?
        );
        set!(
            token_explicit_max_ttl,
            fields::duration(body, "token_explicit_max_ttl", false)?
        );
        set!(token_period, fields::duration(body, "token_period", false)?);
        set!(token_policies, fields::list(body, "policies")?);
        set!(token_policies, fields::list(body, "token_policies")?);
        set!(
            token_no_default_policy,
            fields::boolean(body, "token_no_default_policy")?
        );
        set!(token_type, fields::string(body, "token_type")?);
        if role.token_type.is_empty() {
            role.token_type = "default".into();
        }
        set!(token_num_uses, fields::integer(body, "token_num_uses")?);
        if role.token_num_uses < 0 {
            return Err(ApiError::bad_request("'token_num_uses' cannot be negative"));
        }
        set!(token_bound_cidrs, fields::list(body, "token_bound_cidrs")?);
        // The deprecated name counts only when the current one is not given.
        if !body.contains_key("token_bound_cidrs") {
            set!(token_bound_cidrs, fields::list(body, "bound_cidrs")?);
        }

        if !matches!(role.bound_claims_type.as_str(), "string" | "glob") {
            return Err(ApiError::bad_request(format!(
                "invalid 'bound_claims_type': {}",
                role.bound_claims_type
            )));
        }
        if !matches!(role.token_type.as_str(), "default" | "service" | "batch") {
            return Err(ApiError::bad_request(format!(
                "invalid 'token_type' value {:?}",
                role.token_type
            )));
        }
        if role.token_type == "batch" && role.token_num_uses > 0 {
            return Err(ApiError::bad_request(
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count",
            ));
        }
        if role.token_type == "batch" && role.token_period > 0 {
            return Err(ApiError::bad_request(
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens",
            ));
        }
        if role.token_period > crate::login::SYSTEM_TTL {
            return Err(ApiError::bad_request(format!(
                "'period' of '\"{}\"' is greater than the backend's maximum lease TTL of '\"{}\"'",
                go_duration(role.token_period),
                go_duration(crate::login::SYSTEM_TTL)
            )));
        }
        for cidr in &role.token_bound_cidrs {
            if !valid_cidr(cidr) {
                return Err(ApiError::bad_request(format!(
                    "error parsing address {cidr:?}: Unable to convert {cidr:?} to an IPv4 or IPv6 address, or a UNIX Socket"
                )));
            }
        }
        if role.token_max_ttl > 0 && role.token_ttl > role.token_max_ttl {
            return Err(ApiError::bad_request(
                "ttl should not be greater than max ttl",
            ));
        }
        // OpenBao checks the mappings before the user claim: strings, not `role` (reserved for
        // the role's name in the metadata), each target once.
        let mut targets = std::collections::HashSet::new();
        for (claim, target) in &role.claim_mappings {
            let Value::String(target) = target else {
                return Err(ApiError::bad_request(format!(
                    "claim_mappings: the value for {claim:?} is not a string"
                )));
            };
            if target == "role" {
                return Err(ApiError::bad_request(format!(
                    "metadata key {target:?} is reserved and may not be a mapping destination"
                )));
            }
            if !targets.insert(target.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "multiple keys are mapped to metadata key {target:?}"
                )));
            }
        }
        if role.user_claim.is_empty() {
            return Err(ApiError::bad_request(
                "a user claim must be defined on the role",
            ));
        }
        if role.bound_audiences.is_empty()
            && role.bound_subject.is_empty()
            && role.bound_claims.is_empty()
            && role.token_bound_cidrs.is_empty()
        {
            return Err(ApiError::bad_request(
                "must have at least one bound constraint when creating/updating a role",
            ));
        }
        for (claim, value) in &role.bound_claims {
            let ok = match value {
                Value::String(_) | Value::Bool(_) | Value::Number(_) => true,
                Value::Array(items) => items
                    .iter()
                    .all(|i| matches!(i, Value::String(_) | Value::Bool(_) | Value::Number(_))),
                _ => false,
            };
            if !ok {
                return Err(ApiError::bad_request(format!(
                    "bound claim is not a string, bool, int or list: {claim}"
                )));
            }
        }
        Ok(role)
    }

    /// The policies of tokens this role issues, as the token store reports them: the role's,
    /// plus `default` unless `token_no_default_policy`, sorted and without repeats.
    pub fn effective_policies(&self) -> Vec<String> {
        // Vault's SanitizePolicies: lower-cased, `default` added, sorted, no repeats.
        let mut policies: Vec<String> = self
            .token_policies
            .iter()
            .map(|p| p.to_lowercase())
            .collect();
        if !self.token_no_default_policy && !policies.iter().any(|p| p == "default") {
            policies.push("default".into());
        }
        policies.sort();
        policies.dedup();
        policies
    }

    /// The `data` of a role read, member for member as OpenBao's.
    pub fn to_response(&self) -> Value {
        let map_or_null = |m: &Map<String, Value>| {
            if m.is_empty() {
                Value::Null
            } else {
                Value::Object(m.clone())
            }
        };
        json!({
            "allowed_redirect_uris": null,
            "bound_audiences": self.bound_audiences,
            "bound_claims": map_or_null(&self.bound_claims),
            "bound_claims_type": self.bound_claims_type,
            "bound_subject": self.bound_subject,
            "callback_mode": "client",
            "claim_mappings": map_or_null(&self.claim_mappings),
            "clock_skew_leeway": self.clock_skew_leeway,
            "expiration_leeway": self.expiration_leeway,
            "groups_claim": self.groups_claim,
            "max_age": 0,
            "not_before_leeway": self.not_before_leeway,
            "oauth2_metadata": null,
            "oidc_disable_confirmation": false,
            "oidc_scopes": null,
            "policies": self.token_policies,
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
            "ttl": self.token_ttl,
            "user_claim": self.user_claim,
            "user_claim_json_pointer": self.user_claim_json_pointer,
            "verbose_oidc_logging": false,
        })
    }
}

/// Go's `time.Duration.String()` for whole seconds: `1000h0m0s`, `5m0s`, `30s`.
fn go_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// An address or network `token_bound_cidrs` takes: `10.0.0.0/8`, `127.0.0.1`, `::1/128`.
fn valid_cidr(cidr: &str) -> bool {
    let (address, bits) = match cidr.split_once('/') {
        Some((address, bits)) => (address, Some(bits)),
        None => (cidr, None),
    };
    if address.parse::<std::net::IpAddr>().is_err() {
        return false;
    }
    // The prefix length is not bounded here: OpenBao takes `10.0.0.0/33` too.
    bits.is_none_or(|b| !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit()))
}
