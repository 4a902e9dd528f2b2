//! AWS shared config files, as the AWS CLI reads them for a profile: static keys from
//! `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`) and the region from `~/.aws/config`
//! (or `AWS_CONFIG_FILE`). object_store's chain has no profiles; kwi fills the keys in before it
//! when the environment names none. A profile that assumes a role with the keys of a
//! `source_profile` is followed (`aws_assume_role`); SSO, `credential_process`,
//! `credential_source`, MFA and chains of roles are not: the error says so.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::PublishError;

/// The `key = value` lines of one `[section]` of an INI file (`None`: no such section).
pub(crate) fn ini_section(text: &str, section: &str) -> Option<BTreeMap<String, String>> {
    let mut inside = false;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            if inside {
                found.get_or_insert_with(BTreeMap::new);
            }
            continue;
        }
        if let (true, Some((key, value))) = (inside, line.split_once('=')) {
            found
                .get_or_insert_with(BTreeMap::new)
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    found
}

/// The config file's section of a profile: `[default]`, or `[profile NAME]`.
fn config_section(name: &str) -> String {
    if name == "default" {
        "default".to_string()
    } else {
        format!("profile {name}")
    }
}

/// Static credentials and region of a profile, or the role it assumes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    pub key_id: Option<String>,
    pub secret: Option<String>,
    pub token: Option<String>,
    pub region: Option<String>,
    /// `role_arn` with `source_profile`: the role to assume with the source profile's keys.
    pub assume: Option<RoleProfile>,
}

/// A profile's `role_arn` and what `sts:AssumeRole` is called with.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RoleProfile {
    /// The profile's name (for messages).
    pub profile: String,
    /// `role_arn`.
    pub role_arn: String,
    /// `role_session_name` (default `kwi-<seconds since 1970>`).
    pub session_name: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `duration_seconds`.
    pub duration_seconds: Option<String>,
    /// The source profile's static keys: (key id, secret, session token).
    pub source_keys: (String, String, Option<String>),
}

/// The keys of `[name]` in the shared credentials file, or of the config file's profile section.
fn static_keys(
    credentials: Option<&str>,
    config: Option<&str>,
    name: &str,
) -> Option<(String, String, Option<String>)> {
    let section = credentials
        .and_then(|text| ini_section(text, name))
        .filter(|v| v.contains_key("aws_access_key_id"))
        .or_else(|| {
            let section = config_section(name);
            config.and_then(|text| ini_section(text, &section))
        })?;
    Some((
        section.get("aws_access_key_id")?.clone(),
        section.get("aws_secret_access_key")?.clone(),
        section.get("aws_session_token").cloned(),
    ))
}

/// The role a config profile assumes, with its source profile's keys; or why kwi cannot follow it.
fn role_profile(
    name: &str,
    values: &BTreeMap<String, String>,
    credentials: Option<&str>,
    config: &str,
) -> Result<RoleProfile, PublishError> {
    let export = format!(
        "export its credentials first: eval \"$(aws configure export-credentials --profile {name} --format env)\""
    );
    let unsupported = [
        "credential_source",
        "mfa_serial",
        "web_identity_token_file",
        "sso_session",
        "sso_start_url",
        "credential_process",
    ];
    if let Some(key) = unsupported.iter().find(|k| values.contains_key(**k)) {
        return Err(PublishError::usage(format!(
            "AWS_PROFILE={name}: the profile's {key} is not followed by kwi; {export}"
        )));
    }
    let role_arn = values.get("role_arn").cloned().unwrap_or_default();
    let Some(source) = values.get("source_profile") else {
        return Err(PublishError::usage(format!(
            "AWS_PROFILE={name}: role_arn without source_profile; {export}"
        )));
    };
    let source_section = config_section(source);
    if ini_section(config, &source_section).is_some_and(|v| v.contains_key("role_arn"))
        && source != name
    {
        return Err(PublishError::usage(format!(
            "AWS_PROFILE={name}: its source profile {source} assumes a role too (a chain kwi does not follow); {export}"
        )));
    }
    let source_keys = static_keys(credentials, Some(config), source).ok_or_else(|| {
        PublishError::usage(format!(
            "AWS_PROFILE={name}: its source profile {source} has no aws_access_key_id and aws_secret_access_key"
        ))
    })?;
    Ok(RoleProfile {
        profile: name.to_string(),
        role_arn,
        session_name: values.get("role_session_name").cloned(),
        external_id: values.get("external_id").cloned(),
        duration_seconds: values.get("duration_seconds").cloned(),
        source_keys,
    })
}

fn home_file(env: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(default)))
}

/// Whether the environment holds credentials of its own (keys, web identity, container
/// credentials), which come before any profile.
fn env_has_credentials() -> bool {
    let env_has = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    env_has("AWS_ACCESS_KEY_ID")
        || env_has("AWS_WEB_IDENTITY_TOKEN_FILE")
        || env_has("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || env_has("AWS_CONTAINER_CREDENTIALS_FULL_URI")
}

/// The profile `AWS_PROFILE` (or `default`) names, when the environment holds no credentials
/// of its own (keys, web identity, container credentials).
pub(crate) fn profile_from_files() -> Result<Profile, PublishError> {
    let named = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let name = named.clone().unwrap_or_else(|| "default".into());
    let mut profile = Profile::default();
    let credentials_text = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
        .and_then(|p| std::fs::read_to_string(p).ok());
    if let Some(config) =
        home_file("AWS_CONFIG_FILE", ".aws/config").and_then(|p| std::fs::read_to_string(p).ok())
    {
        let section = config_section(&name);
        if let Some(values) = ini_section(&config, &section) {
            profile.region = values.get("region").cloned();
            let follows = |k: &str| {
                matches!(
                    k,
                    "role_arn" | "sso_session" | "sso_start_url" | "credential_process"
                )
            };
            // Credentials in the environment come first, as in the AWS CLI's chain.
            if named.is_some() && values.keys().any(|k| follows(k)) && !env_has_credentials() {
                profile.assume = Some(role_profile(
                    &name,
                    &values,
                    credentials_text.as_deref(),
                    &config,
                )?);
                return Ok(profile);
            }
        }
    }
    if env_has_credentials() {
        return Ok(profile);
    }
    let credentials = credentials_text.and_then(|text| ini_section(&text, &name));
    match credentials {
        Some(values) => {
            profile.key_id = values.get("aws_access_key_id").cloned();
            profile.secret = values.get("aws_secret_access_key").cloned();
            profile.token = values.get("aws_session_token").cloned();
        }
        None if named.is_some() => {
            return Err(PublishError::usage(format!(
                "AWS_PROFILE={name}: no [{name}] section with keys in the shared credentials file (~/.aws/credentials or AWS_SHARED_CREDENTIALS_FILE)"
            )));
        }
        None => {}
    }
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_section() {
        let text = "# c\n[default]\naws_access_key_id = AK\n\n[prod]\nAWS_Secret_Access_Key=S = x\n; c\n[other]\nx=1\n";
        let prod = ini_section(text, "prod").unwrap();
        assert_eq!(prod.get("aws_secret_access_key").unwrap(), "S = x");
        assert_eq!(
            ini_section(text, "default")
                .unwrap()
                .get("aws_access_key_id")
                .unwrap(),
            "AK"
        );
        assert!(ini_section(text, "missing").is_none());
        assert!(ini_section("[empty]\n", "empty").unwrap().is_empty());
    }
}
