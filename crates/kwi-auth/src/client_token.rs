//! Client tokens: self-contained, signed by kwi's own ES256 key, checked by signature alone, so
//! any number of replicas can issue and check them without shared state.

use std::path::Path;

use kwi_jose::{
    Curve, Key, KeySet, KeySpec, SigningKey, VerifyOptions, generate, kubernetes_kid, parse_keys,
    pem, pkcs8_der, random_uuid,
};
use serde_json::{Map, Value, json};

use crate::{ApiError, LoginAuth};

/// The issuer of kwi's client tokens unless `kwi serve --public-url` names one.
pub const CLIENT_TOKEN_ISSUER: &str = "kwi";

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
        use std::os::unix::fs::OpenOptionsExt;
        let path = dir.join("client-signing.pem");
        let key = if path.exists() {
            let bytes = std::fs::read(&path).map_err(io)?;
            parse_keys(&bytes)
                .map_err(io)?
                .into_iter()
                .next()
                .ok_or_else(|| io("empty key file"))?
        } else {
            std::fs::create_dir_all(dir).map_err(io)?;
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
        Ok((token, accessor))
    }

    /// Checks a client token and returns its lookup data (`auth/token/lookup-self`).
    pub fn lookup(&self, token: &str, now: i64) -> Result<Map<String, Value>, ApiError> {
        let verified = self
            .keys
            .verify(token, &VerifyOptions::default())
            .map_err(|_| ApiError::permission_denied())?;
        let c = verified.claims;
        if c.iss() != Some(self.issuer.as_str()) || c.exp.is_none_or(|exp| exp <= now) {
            return Err(ApiError::permission_denied());
        }
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
