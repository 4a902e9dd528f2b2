//! Token claims, typed once: the registered claims of RFC 7519 and the `kubernetes.io` claims of
//! projected and legacy service-account tokens.
//!
//! Claims are read right after the signature check has filled the instruction cache with
//! aws-lc's code, so what costs is how much code the reading touches, more than how many
//! instructions it runs: the readers below are kept out of line (one copy each) and every error
//! is built in a cold function, away from the path a valid token takes (bench/RESULTS.md).

use serde_json::{Map, Value};

use crate::json_error::{JsonError, JsonKind};
use crate::json_scan::{Document, JsonNum, MAX_DOCUMENT, ScanResult, Scanner, Text, Texts};
use crate::key_set::Reading;
use crate::token_error::{ClaimProblem, TokenError};

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

/// The `aud` values: up to [`Audience::INLINE`] in place (a token has one or two), more in a
/// `Vec`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Audience {
    Inline([Text; Audience::INLINE], usize),
    Many(Vec<Text>),
}

impl Audience {
    const INLINE: usize = 3;

    fn push(&mut self, text: Text) {
        match self {
            Audience::Inline(items, len) if *len < Audience::INLINE => {
                items[*len] = text;
                *len += 1;
            }
            Audience::Inline(items, _) => {
                let mut many = items.to_vec();
                many.push(text);
                *self = Audience::Many(many);
            }
            Audience::Many(items) => items.push(text),
        }
    }

    fn as_slice(&self) -> &[Text] {
        match self {
            Audience::Inline(items, len) => items.get(..*len).unwrap_or_default(),
            Audience::Many(items) => items,
        }
    }
}

impl Default for Audience {
    fn default() -> Audience {
        Audience::Inline([Text::EMPTY; Audience::INLINE], 0)
    }
}

/// A token's claims: the registered ones typed once, every one available raw.
#[derive(Clone)]
pub struct Claims {
    json: Document,
    identity: Option<IdentityText>,
    iss: Option<Text>,
    sub: Option<Text>,
    aud: Option<Audience>,
    jti: Option<Text>,
    /// `exp`, seconds since the epoch.
    pub exp: Option<i64>,
    /// `nbf`, seconds since the epoch.
    pub nbf: Option<i64>,
    /// `iat`, seconds since the epoch.
    pub iat: Option<i64>,
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss())
            .field("sub", &self.sub())
            .field("aud", &self.aud_list())
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("jti", &self.jti())
            .field("identity", &self.service_account())
            .field("json", &self.json.json())
            .finish()
    }
}

impl PartialEq for Claims {
    fn eq(&self, other: &Claims) -> bool {
        self.raw() == other.raw()
    }
}

/// A claims object that is not valid JSON.
#[cold]
#[inline(never)]
fn bad_claims(e: JsonError) -> TokenError {
    TokenError::BadClaims(e)
}

#[cold]
#[inline(never)]
fn invalid(claim: &str, reason: ClaimProblem) -> TokenError {
    TokenError::InvalidClaim {
        claim: claim.to_string(),
        reason,
    }
}

/// What a claim was when it was not what the claim needs: noted while reading, turned into an
/// error once the whole object is known to be valid JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Is(JsonKind),
    /// A number beyond the range of dates.
    OutOfRange,
}

/// The claims whose type is checked, in the order their errors are reported.
mod slot {
    pub(super) const ISS: usize = 0;
    /// `kubernetes.io` itself (not an object).
    pub(super) const KUBERNETES: usize = 1;
    pub(super) const NAMESPACE: usize = 2;
    /// `serviceaccount`, `pod`, `node`, `secret`: the object, its name, its uid.
    pub(super) const fn reference(i: usize, part: usize) -> usize {
        3 + 3 * i + part
    }
    pub(super) const WARN_AFTER: usize = 15;
    /// The legacy claims, in `LEGACY_CLAIMS` order.
    pub(super) const LEGACY: usize = 16;
    pub(super) const SUB: usize = 20;
    pub(super) const AUD: usize = 21;
    pub(super) const EXP: usize = 22;
    pub(super) const NBF: usize = 23;
    pub(super) const IAT: usize = 24;
    pub(super) const JTI: usize = 25;
    pub(super) const COUNT: usize = 26;
}

const REF_NAMES: [&str; 4] = ["serviceaccount", "pod", "node", "secret"];
const REF_CLAIMS: [&str; 4] = [
    "kubernetes.io.serviceaccount",
    "kubernetes.io.pod",
    "kubernetes.io.node",
    "kubernetes.io.secret",
];

const LEGACY_CLAIMS: [&str; 4] = [
    legacy::NAMESPACE,
    legacy::SECRET_NAME,
    legacy::SERVICE_ACCOUNT_NAME,
    legacy::SERVICE_ACCOUNT_UID,
];

/// The claims that are typed, as read (every other one is only checked and skipped).
#[derive(Default)]
struct Read {
    iss: Option<Text>,
    sub: Option<Text>,
    jti: Option<Text>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    /// `kubernetes.io` is there (of any type).
    kubernetes: bool,
    namespace: Option<Text>,
    refs: [Option<RefText>; 4],
    warn_after: Option<i64>,
    legacy: [Option<Text>; 4],
    /// The legacy namespace claim is there (of any type).
    legacy_namespace: bool,
    wrong: [Option<Found>; slot::COUNT],
    any_wrong: bool,
    texts: Texts,
    /// Strict, or as go-jose reads (dates beyond the range converted as Go does, not refused).
    reading: Reading,
}

impl Read {
    fn found(&mut self, slot: usize, found: Found) {
        self.wrong[slot] = Some(found);
        self.any_wrong = true;
    }

    /// A value that must be a string.
    #[inline(never)]
    fn text(&mut self, s: &mut Scanner<'_>, slot: usize) -> ScanResult<Option<Text>> {
        match s.next_kind()? {
            JsonKind::String => Ok(Some(self.texts.add(&s.string()?))),
            kind => {
                s.skip()?;
                self.found(slot, Found::Is(kind));
                Ok(None)
            }
        }
    }

    /// A NumericDate (RFC 7519 §2): a JSON number of seconds. Fractions are truncated and
    /// `null` is no date, as go-jose (kube-apiserver, Vault) reads them; strings and numbers
    /// beyond the range of dates are refused.
    #[inline(never)]
    fn date(&mut self, s: &mut Scanner<'_>, slot: usize) -> ScanResult<Option<i64>> {
        const LIMIT: f64 = crate::time::LAST_DATE as f64;
        let kind = s.next_kind()?;
        if kind == JsonKind::Null {
            s.skip()?;
            return Ok(None);
        }
        if kind != JsonKind::Number {
            s.skip()?;
            self.found(slot, Found::Is(kind));
            return Ok(None);
        }
        let date = match s.number()? {
            JsonNum::Int(i) if (i as f64).abs() <= LIMIT => Some(i),
            JsonNum::Float(f) if f.is_finite() && f.abs() <= LIMIT => Some(f.trunc() as i64),
            // go-jose's `NumericDate(f)`: Go's conversion on amd64 gives the minimum int64 for a
            // float64 out of range.
            JsonNum::Int(i) if self.reading == Reading::GoJose => Some(i),
            JsonNum::Float(f) if self.reading == Reading::GoJose => Some({
                const TWO_63: f64 = -(i64::MIN as f64);
                if f.is_finite() && (-TWO_63..TWO_63).contains(&f) {
                    f.trunc() as i64
                } else {
                    i64::MIN
                }
            }),
            _ => None,
        };
        if date.is_none() {
            self.found(slot, Found::OutOfRange);
        }
        Ok(date)
    }

    /// `aud`: a string, or a list of strings.
    fn audience(&mut self, s: &mut Scanner<'_>) -> ScanResult<()> {
        match s.next_kind()? {
            JsonKind::String => {
                let mut one = Audience::default();
                one.push(self.texts.add(&s.string()?));
                self.aud = Some(one);
            }
            JsonKind::Array => {
                let mut items = Audience::default();
                let mut all_strings = true;
                s.array(|s| {
                    if s.next_kind()? == JsonKind::String {
                        items.push(self.texts.add(&s.string()?));
                    } else {
                        all_strings = false;
                        s.skip()?;
                    }
                    Ok(())
                })?;
                if all_strings {
                    self.aud = Some(items);
                } else {
                    self.found(slot::AUD, Found::Is(JsonKind::Array));
                }
            }
            kind => {
                s.skip()?;
                self.found(slot::AUD, Found::Is(kind));
            }
        }
        Ok(())
    }

    /// A `{name, uid}` member of `kubernetes.io`.
    #[inline(never)]
    fn reference(&mut self, s: &mut Scanner<'_>, i: usize) -> ScanResult<()> {
        let kind = s.next_kind()?;
        if kind != JsonKind::Object {
            s.skip()?;
            self.found(slot::reference(i, 0), Found::Is(kind));
            return Ok(());
        }
        let mut out = RefText {
            name: Text::EMPTY,
            uid: Text::EMPTY,
        };
        s.object(|s, name| {
            if name.is("name") {
                if let Some(t) = self.text(s, slot::reference(i, 1))? {
                    out.name = t;
                }
            } else if name.is("uid") {
                if let Some(t) = self.text(s, slot::reference(i, 2))? {
                    out.uid = t;
                }
            } else {
                s.skip()?;
            }
            Ok(())
        })?;
        self.refs[i] = Some(out);
        Ok(())
    }

    #[inline(never)]
    fn kubernetes(&mut self, s: &mut Scanner<'_>) -> ScanResult<()> {
        self.kubernetes = true;
        let kind = s.next_kind()?;
        if kind != JsonKind::Object {
            s.skip()?;
            self.found(slot::KUBERNETES, Found::Is(kind));
            return Ok(());
        }
        s.object(|s, name| {
            if name.is("namespace") {
                self.namespace = self.text(s, slot::NAMESPACE)?;
            } else if name.is("warnafter") {
                self.warn_after = self.date(s, slot::WARN_AFTER)?;
            } else if let Some(i) = REF_NAMES.iter().position(|r| name.is(r)) {
                self.reference(s, i)?;
            } else {
                s.skip()?;
            }
            Ok(())
        })
    }

    /// Reads the claims object.
    #[inline(never)]
    fn claims(&mut self, json: &str) -> ScanResult<()> {
        let mut s = Scanner::from_text(json);
        s.object(|s, name| {
            match &*name.text() {
                "iss" => self.iss = self.text(s, slot::ISS)?,
                "sub" => self.sub = self.text(s, slot::SUB)?,
                "jti" => self.jti = self.text(s, slot::JTI)?,
                "exp" => self.exp = self.date(s, slot::EXP)?,
                "nbf" => self.nbf = self.date(s, slot::NBF)?,
                "iat" => self.iat = self.date(s, slot::IAT)?,
                "aud" => self.audience(s)?,
                "kubernetes.io" => self.kubernetes(s)?,
                other => match LEGACY_CLAIMS.iter().position(|c| *c == other) {
                    Some(i) => {
                        self.legacy_namespace |= i == 0;
                        self.legacy[i] = self.text(s, slot::LEGACY + i)?;
                    }
                    None => s.skip()?,
                },
            }
            Ok(())
        })?;
        s.end()
    }

    /// The first claim of the wrong type, in the order they are checked: `iss`, then the
    /// identity (`kubernetes.io`, or the legacy claims when they make the identity), then
    /// `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`.
    #[cold]
    #[inline(never)]
    fn first_wrong(&self, legacy_identity: bool) -> Option<TokenError> {
        if self.reading == Reading::GoJose {
            // encoding/json decoding go-jose's Claims from the claims re-encoded with sorted
            // names: a custom unmarshaller's error (aud, exp, iat, nbf) stops it at once; a
            // plain type error (iss, jti, sub) is kept, the first one, until the end.
            return [
                slot::AUD,
                slot::EXP,
                slot::IAT,
                slot::NBF,
                slot::ISS,
                slot::JTI,
                slot::SUB,
            ]
            .into_iter()
            .find_map(|slot| self.wrong[slot].map(|found| wrong_type(slot, found)));
        }
        // `kubernetes.io`'s slots are numbered in their order; the legacy identity reads the
        // namespace, the service account's name and uid, then the secret's name.
        let identity: Vec<usize> = if self.kubernetes {
            (slot::KUBERNETES..=slot::WARN_AFTER).collect()
        } else if legacy_identity {
            [0, 2, 3, 1].iter().map(|i| slot::LEGACY + i).collect()
        } else {
            Vec::new()
        };
        std::iter::once(slot::ISS)
            .chain(identity)
            .chain([
                slot::SUB,
                slot::AUD,
                slot::EXP,
                slot::NBF,
                slot::IAT,
                slot::JTI,
            ])
            .find_map(|slot| self.wrong[slot].map(|found| wrong_type(slot, found)))
    }
}

/// The error for a claim of the wrong type.
#[cold]
#[inline(never)]
fn wrong_type(at: usize, found: Found) -> TokenError {
    let kind = match found {
        Found::Is(kind) => kind,
        Found::OutOfRange => JsonKind::Number,
    };
    let string = |name: &str| invalid(name, ClaimProblem::NotString(kind));
    let date = |name: &str| match found {
        Found::OutOfRange => invalid(name, ClaimProblem::DateOutOfRange),
        Found::Is(kind) => invalid(name, ClaimProblem::NotDate(kind)),
    };
    let member = |name: &str, member| {
        invalid(
            name,
            ClaimProblem::MemberNotString {
                member,
                found: kind,
            },
        )
    };
    match at {
        slot::ISS => string("iss"),
        slot::SUB => string("sub"),
        slot::JTI => string("jti"),
        slot::AUD => invalid("aud", ClaimProblem::NotAudience(kind)),
        slot::EXP => date("exp"),
        slot::NBF => date("nbf"),
        slot::IAT => date("iat"),
        slot::KUBERNETES => invalid("kubernetes.io", ClaimProblem::NotObject(kind)),
        slot::NAMESPACE => member("kubernetes.io", "namespace"),
        slot::WARN_AFTER => date("kubernetes.io.warnafter"),
        _ if at >= slot::LEGACY => string(LEGACY_CLAIMS[at - slot::LEGACY]),
        _ => {
            let (i, part) = (
                (at - slot::reference(0, 0)) / 3,
                (at - slot::reference(0, 0)) % 3,
            );
            match part {
                0 => invalid(REF_CLAIMS[i], ClaimProblem::NotObject(kind)),
                1 => member(REF_CLAIMS[i], "name"),
                _ => member(REF_CLAIMS[i], "uid"),
            }
        }
    }
}

impl Claims {
    /// Reads a claims object strictly (a JSON object, no member name twice at any depth) and
    /// types the registered and Kubernetes claims.
    pub fn parse(json: &[u8]) -> Result<Claims, TokenError> {
        Claims::parse_owned(json.to_vec())
    }

    /// [`Claims::parse`] without copying the bytes.
    pub fn parse_owned(json: Vec<u8>) -> Result<Claims, TokenError> {
        Claims::parse_with(json, Reading::Strict)
    }

    /// [`Claims::parse_owned`], read as `reading` says.
    pub(crate) fn parse_with(json: Vec<u8>, reading: Reading) -> Result<Claims, TokenError> {
        if json.len() > MAX_DOCUMENT {
            return Err(bad_claims(JsonError::TooLarge));
        }
        let json = String::from_utf8(json).map_err(|e| {
            bad_claims(JsonError::NotUtf8 {
                at: e.utf8_error().valid_up_to(),
            })
        })?;
        let mut read = Read {
            texts: Texts::new(&json),
            reading,
            ..Read::default()
        };
        read.claims(&json).map_err(bad_claims)?;
        // From here on, texts are read from the document that holds their decoded copies too.
        let json = std::mem::take(&mut read.texts).finish(json);
        let legacy_iss = read
            .iss
            .as_ref()
            .is_some_and(|t| t.get(&json) == LEGACY_ISSUER);
        let legacy_identity = !read.kubernetes && (legacy_iss || read.legacy_namespace);
        if read.any_wrong
            && let Some(error) = read.first_wrong(legacy_identity)
        {
            return Err(error);
        }
        let identity = if read.kubernetes {
            let [serviceaccount, pod, node, secret] = read.refs;
            Some(IdentityText {
                namespace: read.namespace.unwrap_or(Text::EMPTY),
                service_account: serviceaccount.unwrap_or(RefText {
                    name: Text::EMPTY,
                    uid: Text::EMPTY,
                }),
                pod,
                node,
                secret,
                warn_after: read.warn_after,
                legacy: false,
            })
        } else if legacy_identity {
            let [namespace, secret_name, sa_name, sa_uid] = read.legacy;
            Some(IdentityText {
                namespace: namespace.unwrap_or(Text::EMPTY),
                service_account: RefText {
                    name: sa_name.unwrap_or(Text::EMPTY),
                    uid: sa_uid.unwrap_or(Text::EMPTY),
                },
                pod: None,
                node: None,
                secret: Some(RefText {
                    name: secret_name.unwrap_or(Text::EMPTY),
                    uid: Text::EMPTY,
                }),
                warn_after: None,
                legacy: true,
            })
        } else {
            None
        };
        Ok(Claims {
            json,
            identity,
            iss: read.iss,
            sub: read.sub,
            aud: read.aud,
            exp: read.exp,
            nbf: read.nbf,
            iat: read.iat,
            jti: read.jti,
        })
    }

    /// Types the claims of an already decoded object.
    pub fn from_map(raw: Map<String, Value>) -> Result<Claims, TokenError> {
        // A `Value` always encodes (string keys, finite numbers): its `Display` cannot fail.
        let raw = Value::Object(raw);
        let claims = Claims::parse_owned(raw.to_string().into_bytes())?;
        if let Value::Object(raw) = raw {
            claims.json.set_raw(raw);
        }
        Ok(claims)
    }

    /// Every claim as decoded (parsed on first use).
    pub fn raw(&self) -> &Map<String, Value> {
        self.json.raw()
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
        if let Some(raw) = self.json.raw_if_parsed() {
            return names
                .iter()
                .filter_map(|&n| raw.get(n).map(|v| (n.to_string(), v.clone())))
                .collect();
        }
        let mut out = Map::new();
        let json = self.json.json();
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
            .map(|list| list.as_slice().iter().map(|t| t.get(&self.json)))
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

/// Namespace and name of a service account's subject, `system:serviceaccount:NS:NAME`
/// (neither empty, the name without `:`); `None` for any other subject.
pub fn service_account_subject(sub: &str) -> Option<(&str, &str)> {
    let rest = sub.strip_prefix("system:serviceaccount:")?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
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
