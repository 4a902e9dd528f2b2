//! `sts:AssumeRole` for a profile with `role_arn` and `source_profile`, as the AWS CLI does it:
//! a SigV4-signed `POST` to STS (regional when a region is known, `AWS_ENDPOINT_URL_STS` or
//! `AWS_ENDPOINT_URL` when set) with the source profile's keys; the temporary credentials it
//! answers sign the uploads.

use object_store::aws::{AwsAuthorizer, AwsCredential};
use object_store::client::HttpRequestBody;
use serde::Deserialize;

use crate::PublishError;
use crate::aws_profile::RoleProfile;

/// Temporary credentials of the assumed role.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Assumed {
    pub key_id: String,
    pub secret: String,
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResponse {
    assume_role_result: AssumeRoleResult,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResult {
    credentials: Credentials,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorResponse {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The STS endpoint and the region requests to it are signed for.
fn endpoint(region: Option<&str>) -> (String, String) {
    let configured = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
    let signing_region = region.unwrap_or("us-east-1").to_string();
    let url = match (configured, region) {
        (Some(url), _) => url.trim_end_matches('/').to_string(),
        (None, Some(region)) => format!("https://sts.{region}.amazonaws.com"),
        (None, None) => "https://sts.amazonaws.com".to_string(),
    };
    (url, signing_region)
}

/// The form body of the call.
fn body(role: &RoleProfile, now: u64) -> String {
    let session = role
        .session_name
        .clone()
        .unwrap_or_else(|| format!("kwi-{now}"));
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", "AssumeRole")
        .append_pair("Version", "2011-06-15")
        .append_pair("RoleArn", &role.role_arn)
        .append_pair("RoleSessionName", &session);
    if let Some(id) = &role.external_id {
        form.append_pair("ExternalId", id);
    }
    if let Some(duration) = &role.duration_seconds {
        form.append_pair("DurationSeconds", duration);
    }
    form.finish()
}

/// Calls `sts:AssumeRole` for the profile.
pub(crate) async fn assume_role(
    role: &RoleProfile,
    region: Option<&str>,
    http: &reqwest::Client,
) -> Result<Assumed, PublishError> {
    let (url, signing_region) = endpoint(region);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let (key_id, secret_key, token) = role.source_keys.clone();
    let credential = AwsCredential {
        key_id,
        secret_key,
        token,
    };
    let who = format!(
        "AWS_PROFILE={}: sts:AssumeRole on {}",
        role.profile, role.role_arn
    );
    let mut request = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("{url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(HttpRequestBody::from(body(role, now).into_bytes()))
        .map_err(|e| PublishError::usage(format!("{who}: {url}: {e}")))?;
    AwsAuthorizer::new(&credential, "sts", &signing_region)
        .try_authorize(&mut request, None)
        .map_err(|e| PublishError::unavailable(format!("{who}: cannot sign the request: {e}")))?;
    let response = crate::signed_request::send(http, request, "STS").await?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| PublishError::unavailable(format!("{who}: {url}: {e}")))?;
    if status != 200 {
        let error: ErrorResponse = quick_xml::de::from_str(&text).unwrap_or_default();
        let message = format!(
            "{who} failed: HTTP {status} {} {}",
            error.error.code, error.error.message
        );
        return Err(match status {
            400..=499 => PublishError::refused(message.trim_end().to_string()),
            _ => PublishError::unavailable(message.trim_end().to_string()),
        });
    }
    let answer: AssumeRoleResponse = quick_xml::de::from_str(&text).map_err(|e| {
        PublishError::unavailable(format!(
            "{who}: STS answered what is not an AssumeRole response: {e}"
        ))
    })?;
    let c = answer.assume_role_result.credentials;
    Ok(Assumed {
        key_id: c.access_key_id,
        secret: c.secret_access_key,
        token: c.session_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_escapes_what_is_not_unreserved() {
        let role = RoleProfile {
            profile: "p".into(),
            role_arn: "arn:aws:iam::111122223333:role/a b".into(),
            session_name: None,
            external_id: Some("x&y=z".into()),
            duration_seconds: Some("900".into()),
            source_keys: ("AK".into(), "S".into(), None),
        };
        assert_eq!(
            body(&role, 7),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fa+b&RoleSessionName=kwi-7&ExternalId=x%26y%3Dz&DurationSeconds=900"
        );
    }

    #[test]
    fn reads_sts_answers() {
        let ok = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2026-12-06T12:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>a</Arn><AssumedRoleId>i</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>";
        let answer: AssumeRoleResponse = quick_xml::de::from_str(ok).unwrap();
        assert_eq!(answer.assume_role_result.credentials.access_key_id, "ASIA1");
        let err = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error><RequestId>r</RequestId></ErrorResponse>";
        let error: ErrorResponse = quick_xml::de::from_str(err).unwrap();
        assert_eq!(error.error.code, "AccessDenied");
        assert!(quick_xml::de::from_str::<AssumeRoleResponse>("<x/>").is_err());
    }
}
