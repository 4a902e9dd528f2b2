//! IAM role trust policies, as IAM evaluates them for `sts:AssumeRoleWithWebIdentity`: the
//! JSON a user pastes from the console or Terraform, read once into typed statements, then
//! evaluated against a request (pure: no I/O, no clock).
//!
//! What IAM documents and this follows: an explicit `Deny` wins over any `Allow`; a statement
//! applies when its principal, action and every condition match; within a condition block the
//! operators are ANDed, within an operator the keys are ANDed, and the values of one key are
//! ORed; condition key names are case-insensitive; `StringLike` takes `*` and `?`; a key
//! missing from the request makes a positive operator false and a negated one (`StringNot…`)
//! true; the `…IfExists` form is true when the key is missing; `Null` tests presence;
//! `ForAnyValue:`/`ForAllValues:` qualify multi-valued keys.

use serde_json::Value;

/// The action a web identity token asks for.
pub const ASSUME_ROLE_WITH_WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

/// A trust policy that cannot be read, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trust policy: {0}")]
pub struct PolicyError(String);

fn bad(message: impl Into<String>) -> PolicyError {
    PolicyError(message.into())
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// The string operators IAM has (and `Null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    Null,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        Some(match name {
            "StringEquals" => Operator::StringEquals,
            "StringNotEquals" => Operator::StringNotEquals,
            "StringEqualsIgnoreCase" => Operator::StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => Operator::StringNotEqualsIgnoreCase,
            "StringLike" => Operator::StringLike,
            "StringNotLike" => Operator::StringNotLike,
            "Null" => Operator::Null,
            _ => return None,
        })
    }

    fn negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringNotLike
        )
    }

    /// Whether one request value matches one policy value, for the positive form.
    fn matches(self, value: &str, pattern: &str) -> bool {
        match self {
            Operator::StringEquals | Operator::StringNotEquals => value == pattern,
            Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase => {
                value.to_lowercase() == pattern.to_lowercase()
            }
            Operator::StringLike | Operator::StringNotLike => glob(pattern, value),
            Operator::Null => false,
        }
    }
}

/// `ForAnyValue:` / `ForAllValues:`, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    Single,
    AnyValue,
    AllValues,
}

/// One key of one operator: `"StringEquals": {"oidc.example.com:sub": ["a", "b"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    operator: Operator,
    qualifier: SetQualifier,
    if_exists: bool,
    /// Lower-cased: IAM's condition keys are case-insensitive.
    key: String,
    values: Vec<String>,
}

/// One statement of a trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    effect: Effect,
    /// `None`: `"Principal": "*"` (anyone).
    federated: Option<Vec<String>>,
    actions: Vec<String>,
    conditions: Vec<Condition>,
}

/// A role's trust policy, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    statements: Vec<Statement>,
}

/// The request a trust policy is evaluated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentityRequest {
    /// The ARN of the OIDC provider the token's issuer is (`arn:aws:iam::<account>:oidc-provider/<host/path>`).
    pub provider_arn: String,
    /// The request's condition keys with their values (`oidc.example.com:sub` → the token's sub).
    pub keys: Vec<(String, Vec<String>)>,
}

impl WebIdentityRequest {
    /// The request of a token from provider `prefix` (the provider URL without `https://`):
    /// `<prefix>:sub` and `<prefix>:aud` (the audience that matched a client ID), as IAM sets them.
    pub fn new(account: &str, prefix: &str, sub: &str, aud: Option<&str>) -> WebIdentityRequest {
        let mut keys = vec![(format!("{prefix}:sub"), vec![sub.to_string()])];
        if let Some(aud) = aud {
            keys.push((format!("{prefix}:aud"), vec![aud.to_string()]));
        }
        WebIdentityRequest {
            provider_arn: format!("arn:aws:iam::{account}:oidc-provider/{prefix}"),
            keys,
        }
    }

    fn values(&self, key: &str) -> Option<&[String]> {
        self.keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }
}

/// What a trust policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A statement allows it and none denies it.
    Allow,
    /// No statement allows it.
    ImplicitDeny,
    /// A `Deny` statement matches it.
    ExplicitDeny,
}

/// `*` any run of characters, `?` any one character; everything else literal, case-sensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A string or a list of strings (IAM also takes numbers and booleans as condition values).
fn strings(value: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(bad(format!("{what} must be a string or a list of strings"))),
    };
    match value {
        Value::Array(list) => list.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

fn parse_operator(name: &str) -> Result<(Operator, SetQualifier, bool), PolicyError> {
    let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (SetQualifier::AnyValue, rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (SetQualifier::AllValues, rest)
    } else {
        (SetQualifier::Single, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) if base != "Null" => (base, true),
        _ => (rest, false),
    };
    let operator = Operator::parse(base).ok_or_else(|| {
        bad(format!(
            "condition operator {name:?} is not one kwi evaluates (StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike, their IfExists forms, Null)"
        ))
    })?;
    Ok((operator, qualifier, if_exists))
}

fn parse_conditions(block: &Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = block else {
        return Err(bad("\"Condition\" must be an object of operators"));
    };
    let mut conditions = Vec::new();
    for (name, keys) in operators {
        let (operator, qualifier, if_exists) = parse_operator(name)?;
        let Value::Object(keys) = keys else {
            return Err(bad(format!("condition {name:?} must be an object of keys")));
        };
        for (key, values) in keys {
            conditions.push(Condition {
                operator,
                qualifier,
                if_exists,
                key: key.to_lowercase(),
                values: strings(values, &format!("the values of {key:?}"))?,
            });
        }
    }
    Ok(conditions)
}

fn parse_principal(principal: &Value) -> Result<Option<Vec<String>>, PolicyError> {
    match principal {
        Value::String(s) if s == "*" => Ok(None),
        Value::Object(map) => {
            let mut federated = Vec::new();
            for (kind, value) in map {
                let list = strings(value, &format!("\"Principal\".{kind:?}"))?;
                if kind == "Federated" {
                    federated.extend(list);
                }
            }
            Ok(Some(federated))
        }
        _ => Err(bad(
            "\"Principal\" must be \"*\" or an object such as {\"Federated\": \"arn:aws:iam::<account>:oidc-provider/<host>\"}",
        )),
    }
}

fn parse_statement(statement: &Value, index: usize) -> Result<Statement, PolicyError> {
    let Value::Object(s) = statement else {
        return Err(bad(format!("statement {index} is not an object")));
    };
    for unsupported in ["NotPrincipal", "NotAction", "NotResource"] {
        if s.contains_key(unsupported) {
            return Err(bad(format!(
                "statement {index}: {unsupported:?} is not evaluated by kwi; write the statement with \"Principal\" and \"Action\""
            )));
        }
    }
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => {
            return Err(bad(format!(
                "statement {index}: \"Effect\" must be \"Allow\" or \"Deny\""
            )));
        }
    };
    let federated = match s.get("Principal") {
        Some(p) => parse_principal(p)?,
        None => return Err(bad(format!("statement {index} has no \"Principal\""))),
    };
    let actions = match s.get("Action") {
        Some(a) => strings(a, "\"Action\"")?,
        None => return Err(bad(format!("statement {index} has no \"Action\""))),
    };
    let conditions = match s.get("Condition") {
        Some(c) => parse_conditions(c)?,
        None => Vec::new(),
    };
    Ok(Statement {
        effect,
        federated,
        actions,
        conditions,
    })
}

impl TrustPolicy {
    /// Reads a trust policy document (JSON).
    pub fn parse(json: &str) -> Result<TrustPolicy, PolicyError> {
        let document: Value =
            serde_json::from_str(json).map_err(|e| bad(format!("not JSON: {e}")))?;
        let statements = match document.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err(bad("no \"Statement\" (an object or a list of objects)")),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| parse_statement(s, i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustPolicy { statements })
    }

    /// Evaluates the policy for `sts:AssumeRoleWithWebIdentity` by the request's provider.
    pub fn evaluate(&self, request: &WebIdentityRequest) -> Decision {
        let mut allowed = false;
        for statement in &self.statements {
            if !statement.applies(request) {
                continue;
            }
            match statement.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

impl Statement {
    fn applies(&self, request: &WebIdentityRequest) -> bool {
        let principal = match &self.federated {
            None => true,
            Some(list) => list.iter().any(|p| p == &request.provider_arn),
        };
        let action = self.actions.iter().any(|a| {
            glob(
                &a.to_ascii_lowercase(),
                &ASSUME_ROLE_WITH_WEB_IDENTITY.to_ascii_lowercase(),
            )
        });
        principal && action && self.conditions.iter().all(|c| c.holds(request))
    }
}

impl Condition {
    fn holds(&self, request: &WebIdentityRequest) -> bool {
        let present = request.values(&self.key).filter(|v| !v.is_empty());
        if self.operator == Operator::Null {
            let want_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return present.is_none() == want_absent;
        }
        let Some(values) = present else {
            return self.if_exists
                || self.operator.negated()
                || self.qualifier == SetQualifier::AllValues;
        };
        let matches_any = |v: &String| self.values.iter().any(|p| self.operator.matches(v, p));
        let positive = match self.qualifier {
            SetQualifier::AllValues => values.iter().all(matches_any),
            SetQualifier::Single | SetQualifier::AnyValue => values.iter().any(matches_any),
        };
        positive != self.operator.negated()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "111122223333";
    const PREFIX: &str = "oidc.example.com";

    fn request(sub: &str, aud: Option<&str>) -> WebIdentityRequest {
        WebIdentityRequest::new(ACCOUNT, PREFIX, sub, aud)
    }

    fn policy(condition: &str) -> TrustPolicy {
        TrustPolicy::parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{condition}}}]}}"#
        ))
        .unwrap()
    }

    const APP: &str = "system:serviceaccount:default:app";

    #[test]
    fn the_issue_example_allows_exactly_its_subject_and_audience() {
        let p = policy(
            r#"{"StringEquals":{"oidc.example.com:sub":"system:serviceaccount:default:app","oidc.example.com:aud":"sts.amazonaws.com"}}"#,
        );
        assert_eq!(
            p.evaluate(&request(APP, Some("sts.amazonaws.com"))),
            Decision::Allow
        );
        assert_eq!(
            p.evaluate(&request(
                "system:serviceaccount:default:other",
                Some("sts.amazonaws.com")
            )),
            Decision::ImplicitDeny
        );
        assert_eq!(
            p.evaluate(&request(APP, Some("other"))),
            Decision::ImplicitDeny
        );
        assert_eq!(p.evaluate(&request(APP, None)), Decision::ImplicitDeny);
        let mut other_provider = request(APP, Some("sts.amazonaws.com"));
        other_provider.provider_arn =
            "arn:aws:iam::111122223333:oidc-provider/oidc.example.org".into();
        assert_eq!(p.evaluate(&other_provider), Decision::ImplicitDeny);
    }

    #[test]
    fn values_are_ored_keys_anded_and_key_names_case_insensitive() {
        let p = policy(r#"{"StringEquals":{"OIDC.example.com:SUB":["a","b"]}}"#);
        assert_eq!(p.evaluate(&request("a", None)), Decision::Allow);
        assert_eq!(p.evaluate(&request("b", None)), Decision::Allow);
        assert_eq!(p.evaluate(&request("A", None)), Decision::ImplicitDeny);
        let p = policy(r#"{"StringEqualsIgnoreCase":{"oidc.example.com:sub":"A"}}"#);
        assert_eq!(p.evaluate(&request("a", None)), Decision::Allow);
    }

    #[test]
    fn string_like_wildcards() {
        let p =
            policy(r#"{"StringLike":{"oidc.example.com:sub":"system:serviceaccount:team-?:*"}}"#);
        assert_eq!(
            p.evaluate(&request("system:serviceaccount:team-a:x", None)),
            Decision::Allow
        );
        assert_eq!(
            p.evaluate(&request("system:serviceaccount:team-ab:x", None)),
            Decision::ImplicitDeny
        );
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b", "aXbY"));
    }

    #[test]
    fn missing_keys_and_if_exists() {
        // A positive operator on a missing key is false; its IfExists form true.
        let p = policy(r#"{"StringEquals":{"oidc.example.com:aud":"sts.amazonaws.com"}}"#);
        assert_eq!(p.evaluate(&request(APP, None)), Decision::ImplicitDeny);
        let p = policy(r#"{"StringEqualsIfExists":{"oidc.example.com:aud":"sts.amazonaws.com"}}"#);
        assert_eq!(p.evaluate(&request(APP, None)), Decision::Allow);
        assert_eq!(p.evaluate(&request(APP, Some("x"))), Decision::ImplicitDeny);
        // A negated operator on a missing key is true.
        let p = policy(r#"{"StringNotEquals":{"oidc.example.com:aud":"x"}}"#);
        assert_eq!(p.evaluate(&request(APP, None)), Decision::Allow);
        assert_eq!(p.evaluate(&request(APP, Some("x"))), Decision::ImplicitDeny);
        let p = policy(r#"{"StringNotLikeIfExists":{"oidc.example.com:sub":"*:kube-system:*"}}"#);
        assert_eq!(
            p.evaluate(&request("system:serviceaccount:kube-system:x", None)),
            Decision::ImplicitDeny
        );
        assert_eq!(p.evaluate(&request(APP, None)), Decision::Allow);
        let p = policy(r#"{"Null":{"oidc.example.com:aud":"false"}}"#);
        assert_eq!(p.evaluate(&request(APP, None)), Decision::ImplicitDeny);
        assert_eq!(p.evaluate(&request(APP, Some("x"))), Decision::Allow);
    }

    #[test]
    fn explicit_deny_wins_and_actions_match_with_wildcards() {
        let p = TrustPolicy::parse(
            r#"{"Statement":[
              {"Effect":"Allow","Principal":{"Federated":["arn:aws:iam::111122223333:oidc-provider/oidc.example.com"]},"Action":["sts:AssumeRole*"]},
              {"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringLike":{"oidc.example.com:sub":"*:blocked"}}}]}"#,
        )
        .unwrap();
        assert_eq!(p.evaluate(&request("ns:ok", None)), Decision::Allow);
        assert_eq!(
            p.evaluate(&request("ns:blocked", None)),
            Decision::ExplicitDeny
        );
        let p = TrustPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com"},"Action":"sts:AssumeRole"}}"#,
        )
        .unwrap();
        assert_eq!(p.evaluate(&request(APP, None)), Decision::ImplicitDeny);
    }

    #[test]
    fn unreadable_policies_say_why() {
        for (json, says) in [
            ("{", "not JSON"),
            (r#"{"Version":"2012-10-17"}"#, "Statement"),
            (
                r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"*"}]}"#,
                "Effect",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"DateGreaterThan":{}}}]}"#,
                "DateGreaterThan",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","NotPrincipal":"*","Action":"*"}]}"#,
                "NotPrincipal",
            ),
        ] {
            let e = TrustPolicy::parse(json).unwrap_err().to_string();
            assert!(e.contains(says), "{json}: {e}");
        }
    }
}
