//! Token claims, typed once: the registered claims of RFC 7519 and the `kubernetes.io` claims of
//! projected and legacy service-account tokens.
//!
//! Claims are read right after the signature check has filled the instruction cache with
//! aws-lc's code, so what costs is how much code the reading touches, more than how many
//! instructions it runs: the readers below are kept out of line (one copy each) and every error
//! is built in a cold function, away from the path a valid token takes (bench/RESULTS.md).

use serde_json::{Map, Value};

use crate::json_scan::Text;
use crate::token_error::TokenError;

/// The issuer of legacy, secret-based service-account tokens.
pub const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";

/// Claim names of legacy tokens (Kubernetes `legacyPrivateClaims`).
pub mod legacy {
    /// Namespace of the service account.
    pub const NAMESPACE: &str = "kubernetes.io/serviceaccount/namespace";
    /// Name of the Secret that held the token.
    pub const SECRET_NAME: &str = "kubernetes.io/serviceaccount/secret.name";
    /// Name of the service account.
    pub const SERVICE_ACCOUNT_NAME: &str = "kubernetes.io/serviceaccount/service-account.name";
    /// UID of the service account.
    pub const SERVICE_ACCOUNT_UID: &str = "kubernetes.io/serviceaccount/service-account.uid";
}

/// A name and UID pair (`serviceaccount`, `pod`, `node`, `secret`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectRef {
    /// The object's name.
    pub name: String,
    /// The object's UID.
    pub uid: String,
}

/// Who a service-account token says it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceAccountIdentity {
    /// Namespace.
    pub namespace: String,
    /// Service account.
    pub service_account: ObjectRef,
    /// Pod the token is bound to.
    pub pod: Option<ObjectRef>,
    /// Node the pod runs on.
    pub node: Option<ObjectRef>,
    /// Secret the token is bound to (legacy tokens, and tokens bound to a Secret).
    pub secret: Option<ObjectRef>,
    /// After this time kube-apiserver warns about the token's use (extended expiry).
    pub warn_after: Option<i64>,
    /// A secret-based token (iss `kubernetes/serviceaccount`, no expiry).
    pub legacy: bool,
}

/// A `{name, uid}` pair as read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RefText {
    name: Text,
    uid: Text,
}

/// The service-account identity as read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IdentityText {
    namespace: Text,
    service_account: RefText,
    pod: Option<RefText>,
    node: Option<RefText>,
    secret: Option<RefText>,
    warn_after: Option<i64>,
    legacy: bool,
}

/// The service account a token names, borrowed from its claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceAccountRef<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Service account name.
    pub name: &'a str,
    /// Service account UID.
    pub uid: &'a str,
}

/// A token's claims: the registered ones typed once, every one available raw.
#[derive(Debug, Clone)]
pub struct Claims {
    json: Box<str>,
    raw: std::sync::OnceLock<Map<String, Value>>,
    identity: Option<IdentityText>,
    iss: Option<Text>,
    sub: Option<Text>,
    aud: Option<Vec<Text>>,
    jti: Option<Text>,
    /// `exp`, seconds since the epoch.
    pub exp: Option<i64>,
    /// `nbf`, seconds since the epoch.
    pub nbf: Option<i64>,
    /// `iat`, seconds since the epoch.
    pub iat: Option<i64>,
}

impl PartialEq for Claims {
    fn eq(&self, other: &Claims) -> bool {
        self.raw() == other.raw()
    }
}

/// A claims object that is not valid JSON (the scanner's message, worded for the claims).
#[cold]
#[inline(never)]
fn bad_claims(e: &str) -> TokenError {
    TokenError::BadClaims(format!("the claims {e}"))
}

#[cold]
#[inline(never)]
fn invalid(claim: &str, reason: impl Into<String>) -> TokenError {
    TokenError::InvalidClaim {
        claim: claim.to_string(),
        reason: reason.into(),
    }
}

/// One claim value as read: scalars kept, anything else only walked (duplicates refused).
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Str(Text),
    Int(i64),
    Float(f64),
    Other(&'static str),
}

impl Scalar {
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Str(_) => "a string",
            Scalar::Int(_) | Scalar::Float(_) => "a number",
            Scalar::Other(kind) => kind,
        }
    }
}

/// `aud`: a string, or a list of strings.
#[derive(Debug, Clone, PartialEq)]
enum AudienceValue {
    One(Text),
    Many(Vec<Text>),
    /// Neither (a number, an object, a list with something else than strings…).
    Other,
}

/// A `{name, uid}` member of `kubernetes.io`, or what was found instead.
#[derive(Debug, Clone, Default, PartialEq)]
struct RefValue {
    is_object: bool,
    name: Option<Scalar>,
    uid: Option<Scalar>,
}

/// The `kubernetes.io` claim as read.
#[derive(Debug, Clone, Default, PartialEq)]
struct KubernetesValue {
    is_object: bool,
    namespace: Option<Scalar>,
    refs: [Option<RefValue>; 4],
    warn_after: Option<Scalar>,
}

const REF_NAMES: [&str; 4] = ["serviceaccount", "pod", "node", "secret"];
const REF_CLAIMS: [&str; 4] = [
    "kubernetes.io.serviceaccount",
    "kubernetes.io.pod",
    "kubernetes.io.node",
    "kubernetes.io.secret",
];

/// The claims that are typed; every other one is only checked and skipped.
#[derive(Default)]
struct Known {
    strings: [Option<Scalar>; 3], // iss, sub, jti
    aud: Option<AudienceValue>,
    dates: [Option<Scalar>; 3], // exp, nbf, iat
    kubernetes: Option<KubernetesValue>,
    legacy: [Option<Scalar>; 4],
}

use crate::json_scan::{JsonNum, Kind, ScanResult, Scanner};

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "a string",
        Kind::Number => "a number",
        Kind::Bool => "a boolean",
        Kind::Null => "null",
        Kind::Array => "an array",
        Kind::Object => "an object",
    }
}

fn read_scalar(s: &mut Scanner<'_>) -> ScanResult<Scalar> {
    Ok(match s.next_kind()? {
        Kind::String => Scalar::Str(Text::of(&s.string()?)),
        Kind::Number => match s.number()? {
            JsonNum::Int(i) => Scalar::Int(i),
            JsonNum::Float(f) => Scalar::Float(f),
        },
        other => {
            s.skip()?;
            Scalar::Other(kind_name(other))
        }
    })
}

fn read_audience(s: &mut Scanner<'_>) -> ScanResult<AudienceValue> {
    Ok(match s.next_kind()? {
        Kind::String => AudienceValue::One(Text::of(&s.string()?)),
        Kind::Array => {
            let mut items = Vec::with_capacity(2);
            let mut all_strings = true;
            s.array(|s| {
                if s.next_kind()? == Kind::String {
                    items.push(Text::of(&s.string()?));
                } else {
                    all_strings = false;
                    s.skip()?;
                }
                Ok(())
            })?;
            if all_strings {
                AudienceValue::Many(items)
            } else {
                AudienceValue::Other
            }
        }
        _ => {
            s.skip()?;
            AudienceValue::Other
        }
    })
}

#[inline(never)]
fn read_ref(s: &mut Scanner<'_>) -> ScanResult<RefValue> {
    if s.next_kind()? != Kind::Object {
        s.skip()?;
        return Ok(RefValue::default());
    }
    let mut out = RefValue {
        is_object: true,
        ..RefValue::default()
    };
    s.object(|s, name| {
        if name.is("name") {
            out.name = Some(read_scalar(s)?);
        } else if name.is("uid") {
            out.uid = Some(read_scalar(s)?);
        } else {
            s.skip()?;
        }
        Ok(())
    })?;
    Ok(out)
}

/// Reads `kubernetes.io` into `out` (filled in place: the value is large to move).
#[inline(never)]
fn read_kubernetes(s: &mut Scanner<'_>, out: &mut KubernetesValue) -> ScanResult<()> {
    if s.next_kind()? != Kind::Object {
        return s.skip();
    }
    out.is_object = true;
    s.object(|s, name| {
        if name.is("namespace") {
            out.namespace = Some(read_scalar(s)?);
        } else if name.is("warnafter") {
            out.warn_after = Some(read_scalar(s)?);
        } else if let Some(i) = REF_NAMES.iter().position(|r| name.is(r)) {
            out.refs[i] = Some(read_ref(s)?);
        } else {
            s.skip()?;
        }
        Ok(())
    })
}

const LEGACY_CLAIMS: [&str; 4] = [
    legacy::NAMESPACE,
    legacy::SECRET_NAME,
    legacy::SERVICE_ACCOUNT_NAME,
    legacy::SERVICE_ACCOUNT_UID,
];

/// Reads the claims into `known` (filled in place: the value is large to move).
#[inline(never)]
fn read_known(json: &str, known: &mut Known) -> ScanResult<()> {
    let mut s = Scanner::from_text(json);
    s.object(|s, name| {
        match &*name.text() {
            "iss" => known.strings[0] = Some(read_scalar(s)?),
            "sub" => known.strings[1] = Some(read_scalar(s)?),
            "jti" => known.strings[2] = Some(read_scalar(s)?),
            "exp" => known.dates[0] = Some(read_scalar(s)?),
            "nbf" => known.dates[1] = Some(read_scalar(s)?),
            "iat" => known.dates[2] = Some(read_scalar(s)?),
            "aud" => known.aud = Some(read_audience(s)?),
            "kubernetes.io" => {
                read_kubernetes(s, known.kubernetes.get_or_insert_default())?;
            }
            other => match LEGACY_CLAIMS.iter().position(|c| *c == other) {
                Some(i) => known.legacy[i] = Some(read_scalar(s)?),
                None => s.skip()?,
            },
        }
        Ok(())
    })?;
    s.end()
}

#[inline(never)]
fn string_of(value: Option<Scalar>, name: &str) -> Result<Option<Text>, TokenError> {
    match value {
        None => Ok(None),
        Some(Scalar::Str(s)) => Ok(Some(s)),
        Some(other) => Err(invalid(
            name,
            format!("must be a string, not {}", other.kind()),
        )),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds. Fractions are truncated, as go-jose
/// (kube-apiserver, Vault) does; strings and numbers beyond the range of dates are refused.
#[inline(never)]
fn date_of(value: Option<&Scalar>, name: &str) -> Result<Option<i64>, TokenError> {
    const LIMIT: f64 = 253_402_300_799.0; // 9999-12-31T23:59:59Z
    match value {
        None => Ok(None),
        Some(Scalar::Int(i)) if (*i as f64).abs() <= LIMIT => Ok(Some(*i)),
        Some(Scalar::Float(f)) if f.is_finite() && f.abs() <= LIMIT => Ok(Some(f.trunc() as i64)),
        Some(Scalar::Int(_) | Scalar::Float(_)) => {
            Err(invalid(name, "is beyond the range of dates"))
        }
        Some(Scalar::Str(_)) => Err(invalid(
            name,
            "must be a number of seconds (NumericDate), not a string",
        )),
        Some(other) => Err(invalid(
            name,
            format!(
                "must be a number of seconds (NumericDate), not {}",
                other.kind()
            ),
        )),
    }
}

#[inline(never)]
fn audience_of(value: Option<AudienceValue>) -> Result<Option<Vec<Text>>, TokenError> {
    match value {
        None => Ok(None),
        Some(AudienceValue::One(s)) => Ok(Some(vec![s])),
        Some(AudienceValue::Many(items)) => Ok(Some(items)),
        Some(AudienceValue::Other) => {
            Err(invalid("aud", "must be a string or an array of strings"))
        }
    }
}

fn ref_of(value: Option<RefValue>, claim: &str) -> Result<Option<RefText>, TokenError> {
    let Some(value) = value else { return Ok(None) };
    if !value.is_object {
        return Err(invalid(claim, "must be an object"));
    }
    let field = |v: Option<Scalar>, name: &str| match v {
        None => Ok(Text::EMPTY),
        Some(Scalar::Str(s)) => Ok(s),
        Some(_) => Err(invalid(claim, format!("member {name:?} must be a string"))),
    };
    Ok(Some(RefText {
        name: field(value.name, "name")?,
        uid: field(value.uid, "uid")?,
    }))
}

#[inline(never)]
fn kubernetes_identity(k8s: KubernetesValue) -> Result<IdentityText, TokenError> {
    let claim = "kubernetes.io";
    if !k8s.is_object {
        return Err(invalid(claim, "must be an object"));
    }
    let namespace = match k8s.namespace {
        Some(Scalar::Str(s)) => s,
        Some(_) => return Err(invalid(claim, "member \"namespace\" must be a string")),
        None => Text::EMPTY,
    };
    let [serviceaccount, pod, node, secret] = k8s.refs;
    Ok(IdentityText {
        namespace,
        service_account: ref_of(serviceaccount, REF_CLAIMS[0])?.unwrap_or(RefText {
            name: Text::EMPTY,
            uid: Text::EMPTY,
        }),
        pod: ref_of(pod, REF_CLAIMS[1])?,
        node: ref_of(node, REF_CLAIMS[2])?,
        secret: ref_of(secret, REF_CLAIMS[3])?,
        warn_after: date_of(k8s.warn_after.as_ref(), "kubernetes.io.warnafter")?,
        legacy: false,
    })
}

impl Claims {
    /// Reads a claims object strictly (a JSON object, no member name twice at any depth) and
    /// types the registered and Kubernetes claims.
    pub fn parse(json: &[u8]) -> Result<Claims, TokenError> {
        Claims::parse_owned(json.to_vec())
    }

    /// [`Claims::parse`] without copying the bytes.
    pub fn parse_owned(json: Vec<u8>) -> Result<Claims, TokenError> {
        let json = String::from_utf8(json).map_err(|_| bad_claims("are not UTF-8"))?;
        let mut known = Known::default();
        read_known(&json, &mut known).map_err(|e| bad_claims(&e))?;
        let Known {
            strings: [iss, sub, jti],
            aud,
            dates: [exp, nbf, iat],
            kubernetes,
            legacy: [namespace, secret_name, sa_name, sa_uid],
        } = known;
        let iss = string_of(iss, "iss")?;
        let legacy_iss = iss.as_ref().is_some_and(|t| t.get(&json) == LEGACY_ISSUER);
        let identity = match kubernetes {
            Some(k8s) => Some(kubernetes_identity(k8s)?),
            None if legacy_iss || namespace.is_some() => {
                let get = |v: Option<Scalar>, name: &str| {
                    string_of(v, name).map(|t| t.unwrap_or(Text::EMPTY))
                };
                Some(IdentityText {
                    namespace: get(namespace, legacy::NAMESPACE)?,
                    service_account: RefText {
                        name: get(sa_name, legacy::SERVICE_ACCOUNT_NAME)?,
                        uid: get(sa_uid, legacy::SERVICE_ACCOUNT_UID)?,
                    },
                    pod: None,
                    node: None,
                    secret: Some(RefText {
                        name: get(secret_name, legacy::SECRET_NAME)?,
                        uid: Text::EMPTY,
                    }),
                    warn_after: None,
                    legacy: true,
                })
            }
            None => None,
        };
        Ok(Claims {
            json: json.into_boxed_str(),
            raw: std::sync::OnceLock::new(),
            identity,
            iss,
            sub: string_of(sub, "sub")?,
            aud: audience_of(aud)?,
            exp: date_of(exp.as_ref(), "exp")?,
            nbf: date_of(nbf.as_ref(), "nbf")?,
            iat: date_of(iat.as_ref(), "iat")?,
            jti: string_of(jti, "jti")?,
        })
    }

    /// Types the claims of an already decoded object.
    pub fn from_map(raw: Map<String, Value>) -> Result<Claims, TokenError> {
        let json = serde_json::to_vec(&raw).map_err(|e| TokenError::BadClaims(e.to_string()))?;
        let claims = Claims::parse(&json)?;
        let _ = claims.raw.set(raw);
        Ok(claims)
    }

    /// Every claim as decoded (parsed on first use).
    pub fn raw(&self) -> &Map<String, Value> {
        self.raw.get_or_init(|| {
            crate::strict_json::parse_object(self.json.as_bytes()).unwrap_or_default()
        })
    }

    /// One claim as decoded.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw().get(name)
    }

    /// The named claims (top-level members) as decoded, the others skipped without being
    /// built: what a relying party that looks at a few claims needs, for less than [`raw`].
    ///
    /// [`raw`]: Claims::raw
    pub fn select(&self, names: &[&str]) -> Map<String, Value> {
        if let Some(raw) = self.raw.get() {
            return names
                .iter()
                .filter_map(|&n| raw.get(n).map(|v| (n.to_string(), v.clone())))
                .collect();
        }
        let mut out = Map::new();
        let json: &str = &self.json;
        let mut s = Scanner::from_text(json);
        // The claims were read strictly when parsed: this walk cannot fail.
        let _ = s.object(|s, name| {
            let decoded = name.text();
            if !names.contains(&&*decoded) {
                return s.skip();
            }
            let start = s.position();
            s.skip()?;
            let value = json
                .get(start..s.position())
                .and_then(|text| serde_json::from_str::<Value>(text).ok());
            if let Some(value) = value {
                out.insert(decoded.into_owned(), value);
            }
            Ok(())
        });
        out
    }

    /// `iss`.
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_ref().map(|t| t.get(&self.json))
    }

    /// `sub`.
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_ref().map(|t| t.get(&self.json))
    }

    /// `jti`.
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_ref().map(|t| t.get(&self.json))
    }

    /// `aud`, always as a list (a single string is a list of one); `None` when absent.
    pub fn aud(&self) -> Option<impl ExactSizeIterator<Item = &str> + Clone + '_> {
        self.aud
            .as_ref()
            .map(|list| list.iter().map(|t| t.get(&self.json)))
    }

    /// `aud` as owned strings, for messages and output.
    pub fn aud_list(&self) -> Option<Vec<String>> {
        self.aud().map(|list| list.map(str::to_string).collect())
    }

    /// Whether this is a legacy, secret-based token.
    pub fn is_legacy(&self) -> bool {
        self.iss() == Some(LEGACY_ISSUER)
    }

    /// The service-account identity, from the `kubernetes.io` claim or the legacy flat claims;
    /// `None` for tokens that are not service-account tokens.
    pub fn service_account(&self) -> Option<ServiceAccountIdentity> {
        let json = &self.json;
        let object = |r: &RefText| ObjectRef {
            name: r.name.get(json).to_string(),
            uid: r.uid.get(json).to_string(),
        };
        self.identity.as_ref().map(|id| ServiceAccountIdentity {
            namespace: id.namespace.get(json).to_string(),
            service_account: object(&id.service_account),
            pod: id.pod.as_ref().map(object),
            node: id.node.as_ref().map(object),
            secret: id.secret.as_ref().map(object),
            warn_after: id.warn_after,
            legacy: id.legacy,
        })
    }

    /// The service account the token names, without copying anything.
    pub fn service_account_ref(&self) -> Option<ServiceAccountRef<'_>> {
        self.identity.as_ref().map(|id| ServiceAccountRef {
            namespace: id.namespace.get(&self.json),
            name: id.service_account.name.get(&self.json),
            uid: id.service_account.uid.get(&self.json),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn select_reads_only_the_named_claims_as_raw_does() {
        let json = br#"{"sub":"a\"b","n":1.5,"big":18446744073709551616,"o":{"x":[1,{"y":null}]},"\u0073k":"escaped name","t":true}"#;
        let claims = Claims::parse(json).unwrap();
        let names = ["sub", "o", "sk", "big", "missing"];
        let selected = claims.select(&names);
        let raw = claims.raw();
        let expected: Map<String, Value> = names
            .iter()
            .filter_map(|&n| raw.get(n).map(|v| (n.to_string(), v.clone())))
            .collect();
        assert_eq!(selected.len(), 4);
        assert_eq!(selected, expected);
        // Once raw() has run, select() reads from it: the same answer.
        assert_eq!(claims.select(&names), expected);
    }

    proptest! {
        #[test]
        fn select_agrees_with_raw(
            v in proptest::collection::btree_map("[a-d]{1,2}", prop_oneof![
                any::<i64>().prop_map(Value::from),
                (-1e300f64..1e300).prop_map(Value::from),
                "\\PC{0,8}".prop_map(Value::from),
                any::<bool>().prop_map(Value::from),
                Just(Value::Null),
                proptest::collection::vec(any::<u32>().prop_map(Value::from), 0..3).prop_map(Value::from),
            ], 0..8),
            names in proptest::collection::vec("[a-d]{1,2}", 0..4),
        ) {
            let json = serde_json::to_vec(&v).unwrap();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let fresh = Claims::parse(&json).unwrap();
            let selected = fresh.select(&names);
            let expected: Map<String, Value> = names
                .iter()
                .filter_map(|&n| fresh.raw().get(n).map(|v| (n.to_string(), v.clone())))
                .collect();
            prop_assert_eq!(selected, expected);
        }
    }
}
