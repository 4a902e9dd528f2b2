//! AWS shared config files, as the AWS CLI reads them for a profile: static keys from
//! `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`) and the region from `~/.aws/config`
//! (or `AWS_CONFIG_FILE`). object_store's chain has no profiles; kwi fills the keys in before it
//! when the environment names none. Profiles that assume a role, use SSO or run a process are
//! not followed: the error says so.

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

/// Static credentials and region of a profile.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    pub key_id: Option<String>,
    pub secret: Option<String>,
    pub token: Option<String>,
    pub region: Option<String>,
}

fn home_file(env: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(default)))
}

/// The profile `AWS_PROFILE` (or `default`) names, when the environment holds no credentials
/// of its own (keys, web identity, container credentials).
pub(crate) fn profile_from_files() -> Result<Profile, PublishError> {
    let env_has = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let named = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let name = named.clone().unwrap_or_else(|| "default".into());
    let mut profile = Profile::default();
    if let Some(config) =
        home_file("AWS_CONFIG_FILE", ".aws/config").and_then(|p| std::fs::read_to_string(p).ok())
    {
        let section = if name == "default" {
            "default".to_string()
        } else {
            format!("profile {name}")
        };
        if let Some(values) = ini_section(&config, &section) {
            profile.region = values.get("region").cloned();
            if named.is_some()
                && values.keys().any(|k| {
                    matches!(
                        k.as_str(),
                        "role_arn" | "sso_session" | "sso_start_url" | "credential_process"
                    )
                })
            {
                return Err(PublishError::usage(format!(
                    "AWS_PROFILE={name}: the profile assumes a role, uses SSO or runs a process, which kwi does not follow; export its credentials first: eval \"$(aws configure export-credentials --profile {name} --format env)\""
                )));
            }
        }
    }
    let from_env = env_has("AWS_ACCESS_KEY_ID")
        || env_has("AWS_WEB_IDENTITY_TOKEN_FILE")
        || env_has("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || env_has("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if from_env {
        return Ok(profile);
    }
    let credentials = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| ini_section(&text, &name));
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
