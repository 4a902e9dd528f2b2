//! The S3 bucket policy that makes exactly the issuer's two objects publicly readable (S3 has
//! disabled ACLs on new buckets since April 2023; a policy is how public read is granted now).

use serde_json::{Value, json};

use crate::PublishError;
use crate::hash::sha256_hex;

/// Every statement kwi writes has a Sid starting with this; one statement per key prefix.
pub const POLICY_SID_PREFIX: &str = "KwiIssuerRead";

/// The AWS partition of a region, for ARNs.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The Sid of the statement for one key prefix (several clusters can share a bucket).
pub(crate) fn statement_sid(prefix: &str) -> String {
    if prefix.is_empty() {
        POLICY_SID_PREFIX.to_string()
    } else {
        format!(
            "{POLICY_SID_PREFIX}{}",
            &sha256_hex(prefix.as_bytes())[..12]
        )
    }
}

/// The statement granting anonymous `s3:GetObject` on exactly the given object keys.
pub fn issuer_policy_statement(region: &str, bucket: &str, prefix: &str, keys: &[String]) -> Value {
    let arn = partition(region);
    let resources: Vec<String> = keys
        .iter()
        .map(|k| format!("arn:{arn}:s3:::{bucket}/{k}"))
        .collect();
    json!({
        "Sid": statement_sid(prefix),
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": resources,
    })
}

/// The bucket policy with kwi's statement put in (replacing the one with the same Sid, keeping
/// every other statement), and whether that changes the policy.
pub fn merge_policy(
    existing: Option<&str>,
    statement: Value,
) -> Result<(String, bool), PublishError> {
    let mut policy: Value = match existing {
        None => json!({"Version": "2012-10-17", "Statement": []}),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            PublishError::unavailable(format!("the bucket's policy is not JSON ({e})"))
        })?,
    };
    let Some(object) = policy.as_object_mut() else {
        return Err(PublishError::unavailable(
            "the bucket's policy is not a JSON object",
        ));
    };
    let sid = statement.get("Sid").cloned();
    let mut statements = match object.remove("Statement") {
        Some(Value::Array(list)) => list,
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    if statements.contains(&statement) {
        object.insert("Statement".into(), Value::Array(statements));
        return Ok((policy.to_string(), false));
    }
    statements.retain(|s| s.get("Sid") != sid.as_ref());
    statements.push(statement);
    object.insert("Statement".into(), Value::Array(statements));
    object
        .entry("Version")
        .or_insert_with(|| Value::from("2012-10-17"));
    Ok((policy.to_string(), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec![
            "c1/keys.json".into(),
            "c1/.well-known/openid-configuration".into(),
        ]
    }

    #[test]
    fn grants_exactly_the_two_objects() {
        let s = issuer_policy_statement("us-west-2", "b-1", "c1", &keys());
        assert_eq!(
            s["Resource"],
            json!([
                "arn:aws:s3:::b-1/c1/keys.json",
                "arn:aws:s3:::b-1/c1/.well-known/openid-configuration"
            ])
        );
        assert_eq!(s["Principal"], "*");
        assert_eq!(s["Action"], "s3:GetObject");
        let cn = issuer_policy_statement("cn-north-1", "b-1", "", &keys());
        assert!(
            cn["Resource"][0]
                .as_str()
                .unwrap()
                .starts_with("arn:aws-cn:s3:::")
        );
        assert_eq!(cn["Sid"], POLICY_SID_PREFIX);
        assert_ne!(s["Sid"], cn["Sid"]);
    }

    #[test]
    fn keeps_other_statements_and_is_idempotent() {
        let other = r#"{"Version":"2012-10-17","Statement":{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b-1/*"}}"#;
        let ours = issuer_policy_statement("us-west-2", "b-1", "c1", &keys());
        let (merged, changed) = merge_policy(Some(other), ours.clone()).unwrap();
        assert!(changed);
        let value: Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(value["Statement"].as_array().unwrap().len(), 2);
        assert_eq!(value["Statement"][0]["Sid"], "Theirs");
        let (again, changed) = merge_policy(Some(&merged), ours).unwrap();
        assert!(!changed);
        assert_eq!(again, merged);
        // A new key set for the same prefix replaces kwi's statement instead of adding one.
        let moved = issuer_policy_statement("us-west-2", "b-1", "c1", &["c1/jwks".to_string()]);
        let (replaced, changed) = merge_policy(Some(&merged), moved).unwrap();
        assert!(changed);
        let value: Value = serde_json::from_str(&replaced).unwrap();
        assert_eq!(value["Statement"].as_array().unwrap().len(), 2);
    }
}
