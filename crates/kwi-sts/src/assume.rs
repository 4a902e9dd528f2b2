//! `AssumeRoleWithWebIdentity`, from the request's parameters to the credentials or STS's
//! error: parameters validated as STS's model constrains them, the token checked by
//! [`kwi_jose::StsRules`], the role's trust policy evaluated, the duration bounded.

use kwi_jose::{StsRules, sts_preview};

use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::{DURATION_OVER_MAX, StsError, StsErrorCode};
use crate::idp::KeySource;
use crate::trust_policy::{Decision, WebIdentityRequest};

/// The action this endpoint serves.
pub const ACTION: &str = "AssumeRoleWithWebIdentity";
/// The API version of STS.
pub const VERSION: &str = "2011-06-15";

/// The parameters of an `AssumeRoleWithWebIdentity` request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRequest {
    /// `RoleArn`.
    pub role_arn: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// `WebIdentityToken`.
    pub token: String,
    /// `DurationSeconds`, 3600 when absent.
    pub duration: u32,
}

/// What STS gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// `AssumedRoleUser.Arn`: `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: String,
    /// `AssumedRoleUser.AssumedRoleId`: `<role id>:<session>`.
    pub assumed_role_id: String,
    /// `SubjectFromWebIdentityToken`: the token's sub.
    pub subject: String,
    /// `Provider`: the token's iss.
    pub provider: String,
    /// `Audience`: the audience that matched a client ID.
    pub audience: String,
    /// `Credentials`.
    pub credentials: Credentials,
}

fn validation(errors: Vec<String>) -> StsError {
    let n = errors.len();
    StsError::new(
        StsErrorCode::ValidationError,
        format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            errors.join("; ")
        ),
    )
}

fn session_name_ok(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// Reads the form parameters (`Action`, `Version`, `RoleArn`, …) as STS does.
pub fn parse_request(params: &[(String, String)]) -> Result<AssumeRequest, StsError> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match get("Action") {
        Some(ACTION) => {}
        Some(other) => {
            return Err(StsError::new(
                StsErrorCode::InvalidAction,
                format!("Could not find operation {other} for version {VERSION}"),
            ));
        }
        None => {
            return Err(StsError::new(
                StsErrorCode::InvalidAction,
                "The action or operation requested is invalid. Verify that the action is typed correctly.",
            ));
        }
    }
    let mut errors = Vec::new();
    let role_arn = get("RoleArn");
    match role_arn {
        None => errors.push("Value null at 'roleArn' failed to satisfy constraint: Member must not be null".to_string()),
        Some(arn) if arn.chars().count() < 20 => errors.push(format!(
            "Value '{arn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
        )),
        Some(arn) if arn.chars().count() > 2048 => errors.push(
            "Value at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048".to_string(),
        ),
        Some(_) => {}
    }
    let session_name = get("RoleSessionName");
    match session_name {
        None => errors.push("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null".to_string()),
        Some(name) if !session_name_ok(name) => errors.push(format!(
            "Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )),
        Some(name) if name.len() < 2 => errors.push(format!(
            "Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"
        )),
        Some(name) if name.len() > 64 => errors.push(format!(
            "Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"
        )),
        Some(_) => {}
    }
    let token = get("WebIdentityToken");
    match token.map(|t| t.chars().count()) {
        None => errors.push("Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null".to_string()),
        Some(n) if n < kwi_jose::STS_MIN_TOKEN_SIZE => errors.push("Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4".to_string()),
        Some(n) if n > kwi_jose::STS_MAX_TOKEN_SIZE => errors.push("Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000".to_string()),
        Some(_) => {}
    }
    let duration = match get("DurationSeconds") {
        None => 3600,
        Some(text) => match text.parse::<i64>() {
            Ok(d) if d < 900 => {
                errors.push(format!("Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"));
                0
            }
            Ok(d) if d > 43200 => {
                errors.push(format!("Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"));
                0
            }
            Ok(d) => u32::try_from(d).unwrap_or(0),
            Err(_) => {
                return Err(StsError::new(
                    StsErrorCode::ValidationError,
                    format!(
                        "Value '{text}' for parameter DurationSeconds is invalid. It must be an integer."
                    ),
                ));
            }
        },
    };
    if get("ProviderId").is_some() {
        errors.push("ProviderId is for OAuth 2.0 providers (www.amazon.com, graph.facebook.com); do not give it for OpenID Connect ID tokens".to_string());
    }
    if !errors.is_empty() {
        return Err(validation(errors));
    }
    Ok(AssumeRequest {
        role_arn: role_arn.unwrap_or_default().to_string(),
        session_name: session_name.unwrap_or_default().to_string(),
        // A token file ends with a newline when written by an editor or `echo` (kubelet's do
        // not); the SDKs send the file as it is. kwi reads the token without it, as `kwi doctor`
        // and `kwi token verify` do.
        token: token.unwrap_or_default().trim_end().to_string(),
        duration,
    })
}

/// A stable role ID for a role ARN (`AROA` and 17 characters), as IAM gives each role one.
fn role_id(arn: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, arn.as_bytes());
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let tail: String = digest
        .as_ref()
        .iter()
        .take(17)
        .map(|b| alphabet[usize::from(b % 32)] as char)
        .collect();
    format!("AROA{tail}")
}

/// Answers one request: the token checked, the trust policy evaluated, credentials issued.
pub async fn assume_role(
    config: &Config,
    keys: &impl KeySource,
    request: &AssumeRequest,
    now: i64,
) -> Result<Issued, StsError> {
    let preview = sts_preview(&request.token).map_err(|r| StsError::from_refusal(&r))?;
    let iss = preview.iss.clone().unwrap_or_default();
    let Some(provider) = config.provider_for(&iss) else {
        return Err(StsError::from_refusal(
            &kwi_jose::StsRefusal::UnknownProvider { iss },
        ));
    };
    let rules = StsRules {
        provider_url: Some(provider.url.clone()),
        client_ids: Some(provider.client_ids.clone()),
    };
    rules
        .check_provider(&preview)
        .map_err(|r| StsError::from_refusal(&r))?;
    let key_set = keys
        .keys(provider, kwi_jose::peek_kid(&request.token).as_deref())
        .await?;
    let verified = rules
        .check(&request.token, &key_set, now)
        .map_err(|r| StsError::from_refusal(&r))?;
    if let (Some(max), Some(iat)) = (config.max_token_age, verified.claims.iat) {
        let age = now.saturating_sub(iat);
        if u64::try_from(age).is_ok_and(|age| age > max) {
            return Err(StsError::new(
                StsErrorCode::ExpiredTokenException,
                format!("Token too old: {age}"),
            ));
        }
    }
    let subject = verified.claims.sub().unwrap_or_default().to_string();
    let audience = rules.matched_audience(&verified.claims).unwrap_or_default();
    let Some(role) = config.role(&request.role_arn) else {
        return Err(StsError::access_denied());
    };
    let context =
        WebIdentityRequest::new(&config.account, &provider.prefix, &subject, Some(&audience));
    if role.trust_policy.evaluate(&context) != Decision::Allow {
        return Err(StsError::access_denied());
    }
    if request.duration > role.max_session_duration {
        return Err(StsError::new(
            StsErrorCode::ValidationError,
            DURATION_OVER_MAX,
        ));
    }
    let credentials = Credentials::generate(now + i64::from(request.duration))
        .map_err(|e| StsError::new(StsErrorCode::IdpCommunicationError, e))?;
    Ok(Issued {
        assumed_role_arn: format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            config.account, role.name, request.session_name
        ),
        assumed_role_id: format!("{}:{}", role_id(&role.arn), request.session_name),
        subject,
        provider: provider.url.clone(),
        audience,
        credentials,
    })
}
