//! Client tokens: self-contained, signed by kwi's own ES256 key, checked by signature alone, so
//! any number of replicas can issue and check them without shared state.

use std::path::Path;

use kwi_jose::{
    Claims, Curve, Key, KeySet, KeySpec, SigningKey, VerifyOptions, generate, kubernetes_kid,
    parse_keys, pem, pkcs8_der, random_uuid,
};
use serde_json::{Map, Value, json};

use crate::{ApiError, LoginAuth};

/// The issuer of kwi's client tokens unless `kwi serve --public-url` names one.
pub(crate) const CLIENT_TOKEN_ISSUER: &str = "kwi";

/// The claims of a client token (members sorted, as they always were).
#[derive(serde::Serialize)]
struct ClientClaims<'a> {
    aud: [&'a str; 1],
    exp: i64,
    iat: i64,
    iss: &'a str,
    jti: &'a str,
    meta: &'a Map<String, Value>,
    nbf: i64,
    num_uses: i64,
    path: &'a str,
    policies: &'a [String],
    role: &'a str,
    sub: &'a str,
    r#type: &'a str,
}

/// What renewing a client token answers.
#[derive(Debug)]
pub struct Renewal {
    /// The token itself (unchanged: a signed token cannot be extended).
    pub client_token: String,
    /// Its accessor (`jti`).
    pub accessor: String,
    /// The seconds it has left.
    pub lease_duration: i64,
    /// Vault's warning when more time was asked for than the token has left.
    pub warning: Option<String>,
    /// Its policies.
    pub policies: Vec<String>,
    /// Its metadata.
    pub metadata: Map<String, Value>,
    /// Its remaining uses (0: unlimited).
    pub num_uses: i64,
    /// `service`.
    pub token_type: String,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
}

/// kwi's signing key and the key set that checks its tokens.
pub struct ClientTokens {
    key: Key,
    signer: SigningKey,
    keys: KeySet,
    issuer: String,
}

impl std::fmt::Debug for ClientTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTokens")
            .field("kid", &self.signer.kid())
            .finish()
    }
}

fn io(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

impl ClientTokens {
    /// Loads the signing key from `dir/client-signing.pem`, creating it (mode 0600) on first run.
    pub fn load_or_create(dir: &Path) -> Result<ClientTokens, ApiError> {
        use std::io::Write;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let path = dir.join("client-signing.pem");
        let key = if path.exists() {
            let bytes = std::fs::read(&path).map_err(io)?;
            parse_keys(&bytes)
                .map_err(io)?
                .into_iter()
                .next()
                .ok_or_else(|| io("empty key file"))?
        } else {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io)?;
            let key = generate(KeySpec::Ec(Curve::P256)).map_err(io)?;
            let text = pem::encode("PRIVATE KEY", &pkcs8_der(&key).map_err(io)?);
            let tmp = dir.join(".client-signing.pem.tmp");
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(io)?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(io)?;
            std::fs::rename(&tmp, &path).map_err(io)?;
            key
        };
        ClientTokens::new(key)
    }

    /// Client tokens signed by this key.
    pub fn new(key: Key) -> Result<ClientTokens, ApiError> {
        let kid = kubernetes_kid(&key).map_err(io)?;
        let signer = SigningKey::new(&key, None, Some(kid)).map_err(io)?;
        let keys = KeySet::with_kubernetes_kids(&[key.to_public()]).map_err(io)?;
        Ok(ClientTokens {
            key,
            signer,
            keys,
            issuer: CLIENT_TOKEN_ISSUER.to_string(),
        })
    }

    /// Client tokens with this `iss` (kwi's public URL, so that OIDC discovery works for them).
    #[must_use]
    pub fn with_issuer(mut self, issuer: &str) -> ClientTokens {
        self.issuer = issuer.to_string();
        self
    }

    /// The `iss` of the client tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public key that checks client tokens.
    pub fn public_key(&self) -> Key {
        self.key.to_public()
    }

    /// The kid of the signing key.
    pub fn kid(&self) -> String {
        self.signer.kid().unwrap_or_default().to_string()
    }

    /// Issues a client token for a login; returns the token and its accessor.
    pub fn issue(
        &self,
        auth: &LoginAuth,
        mount: &str,
        now: i64,
    ) -> Result<(String, String), ApiError> {
        let accessor = random_uuid().map_err(io)?;
        let path = format!("auth/{mount}/login");
        let claims = ClientClaims {
            aud: ["kwi"],
            exp: now + auth.ttl,
            iat: now,
            iss: &self.issuer,
            jti: &accessor,
            meta: &auth.metadata,
            nbf: now,
            num_uses: auth.num_uses,
            path: &path,
            policies: &auth.policies,
            role: &auth.role,
            sub: &auth.user,
            r#type: &auth.token_type,
        };
        let json = serde_json::to_vec(&claims).map_err(io)?;
        let token = self.signer.sign(&json).map_err(io)?;
        // One encoding per token: the low-S form, the only one `lookup` accepts.
        let token = kwi_jose::low_s::p256_low_s(&token)
            .ok_or_else(|| io("the client token is not ES256"))?;
        Ok((token, accessor))
    }

    /// The claims of a client token kwi issued that is still valid; `permission denied`
    /// for anything else.
    pub fn check(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        // (r, n − s) verifies too; kwi issued only the low-S form.
        if !kwi_jose::low_s::p256_is_low_s(token) {
            return Err(ApiError::permission_denied());
        }
        let verified = self
            .keys
            .verify(token, &VerifyOptions::default())
            .map_err(|_| ApiError::permission_denied())?;
        let c = verified.claims;
        if c.iss() != Some(self.issuer.as_str()) || c.exp.is_none_or(|exp| exp <= now) {
            return Err(ApiError::permission_denied());
        }
        Ok(c)
    }

    /// Renews a client token (`auth/token/renew-self`, `auth/token/renew`). A signed token
    /// cannot be given a longer life, so the answer is Vault's for a token at its maximum TTL:
    /// the time it has left, with Vault's warning when more was asked for (the token's own
    /// TTL, or `increment`). Lifetime watchers then log in again before it runs out. `c` are
    /// the token's claims, as [`ClientTokens::check`] returned them.
    pub fn renew(
        &self,
        token: &str,
        c: &Claims,
        increment: Option<i64>,
        now: i64,
    ) -> Result<Renewal, ApiError> {
        let raw = c.raw();
        let token_type = raw
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("service")
            .to_string();
        if token_type == "batch" {
            return Err(ApiError::bad_request("lease is not renewable"));
        }
        let (iat, exp) = (c.iat.unwrap_or_default(), c.exp.unwrap_or_default());
        let left = exp - now;
        let asked = increment.filter(|&i| i > 0).unwrap_or(exp - iat);
        let warning = (asked > left).then(|| {
            format!(
                "TTL of {:?} exceeded the effective max_ttl of {:?}; TTL value is capped accordingly",
                crate::go::time::short_duration(asked),
                crate::go::time::short_duration(left)
            )
        });
        let strings = |name: &str| -> Vec<String> {
            raw.get(name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Renewal {
            client_token: token.to_string(),
            accessor: c.jti().unwrap_or_default().to_string(),
            lease_duration: left,
            warning,
            policies: strings("policies"),
            metadata: raw
                .get("meta")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            num_uses: raw.get("num_uses").and_then(Value::as_i64).unwrap_or(0),
            token_type,
            expires_at: exp,
        })
    }

    /// Checks a client token and returns its lookup data (`auth/token/lookup-self`).
    pub fn lookup(&self, token: &str, now: i64) -> Result<Map<String, Value>, ApiError> {
        let c = self.check(token, now)?;
        let raw = c.raw();
        let (iat, exp) = (c.iat.unwrap_or_default(), c.exp.unwrap_or_default());
        let mut data = Map::new();
        data.insert("accessor".into(), json!(c.jti()));
        data.insert("creation_time".into(), json!(iat));
        data.insert("creation_ttl".into(), json!(exp - iat));
        data.insert(
            "display_name".into(),
            json!(format!("jwt-{}", c.sub().unwrap_or_default())),
        );
        data.insert("entity_id".into(), json!(""));
        data.insert(
            "expire_time".into(),
            json!(kwi_jose::time::format_rfc3339(exp)),
        );
        data.insert("explicit_max_ttl".into(), json!(0));
        data.insert("id".into(), json!(token));
        data.insert(
            "issue_time".into(),
            json!(kwi_jose::time::format_rfc3339(iat)),
        );
        data.insert(
            "meta".into(),
            raw.get("meta").cloned().unwrap_or(Value::Null),
        );
        data.insert(
            "num_uses".into(),
            raw.get("num_uses").cloned().unwrap_or(json!(0)),
        );
        data.insert("orphan".into(), json!(true));
        data.insert(
            "path".into(),
            raw.get("path").cloned().unwrap_or(Value::Null),
        );
        data.insert(
            "policies".into(),
            raw.get("policies").cloned().unwrap_or(json!([])),
        );
        data.insert("renewable".into(), json!(true));
        data.insert("ttl".into(), json!(exp - now));
        data.insert(
            "type".into(),
            raw.get("type").cloned().unwrap_or(json!("service")),
        );
        Ok(data)
    }
}
