//! The GCP profile: Google workload identity federation for self-hosted clusters, in the "direct"
//! injection mode of the community webhook (pfnet-research/gcp-workload-identity-federation-webhook):
//! an `external_account` credential configuration, carried in a pod annotation and mounted through
//! the downward API, pointing at a projected token; `GOOGLE_APPLICATION_CREDENTIALS` names it.

use serde::Serialize;

use crate::config::GcpConfig;
use crate::directory::Lookup;
use crate::go_syntax::parse_int;
use crate::injection::{ContainerRule, EnvVar, Injection, Mount, Volume};
use crate::pod::Pod;

const TOKEN_VOLUME: &str = "gcp-iam-token";
const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/sts.googleapis.com/serviceaccount";
const TOKEN_FILE: &str = "token";
const CONFIG_VOLUME: &str = "external-credential-config";
const CONFIG_MOUNT_PATH: &str = "/var/run/secrets/workload-identity";
const CONFIG_FILE: &str = "federation.json";
const MIN_EXPIRATION: i64 = 3600;
/// 0440: readable by the pod's fsGroup, as the community webhook mounts them.
const DEFAULT_MODE: u32 = 0o440;

/// The credential configuration file (AIP-4117), in the community webhook's field order.
#[derive(Serialize)]
struct ExternalAccount<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    audience: String,
    subject_token_type: &'static str,
    token_url: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account_impersonation_url: Option<String>,
    credential_source: CredentialSource<'a>,
}

#[derive(Serialize)]
struct CredentialSource<'a> {
    file: &'a str,
    format: Format,
}

#[derive(Serialize)]
struct Format {
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The GCP injection, or `None` when the ServiceAccount names no workload identity provider.
pub(crate) fn inject(
    pod: &Pod<'_>,
    config: &GcpConfig,
    lookup: &Lookup<'_>,
    notes: &mut Vec<String>,
) -> Option<Injection> {
    let prefix = &config.annotation_prefix;
    let sa = |name: &str| lookup.annotation(prefix, name);
    let provider = sa("workload-identity-provider")?;
    if !is_provider(provider) {
        notes.push(format!(
            "{prefix}/workload-identity-provider: {provider:?} is not projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER; not injected"
        ));
        return None;
    }
    if sa("injection-mode").is_some_and(|mode| !mode.eq_ignore_ascii_case("direct")) {
        notes.push(format!("{prefix}/injection-mode: kwi injects the credential file directly (no gcloud init container)"));
    }
    let email = sa("service-account-email").filter(|e| !e.is_empty());
    let audience = sa("audience").unwrap_or(&config.audience);
    let mut expiration = expiration(
        sa("token-expiration"),
        config.token_expiration,
        prefix,
        notes,
    );
    expiration = expiration_from_pod(pod, prefix, expiration, notes);
    let token_file = format!("{TOKEN_MOUNT_PATH}/{TOKEN_FILE}");
    let credentials = ExternalAccount {
        kind: "external_account",
        audience: format!("//iam.googleapis.com/{provider}"),
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        token_url: "https://sts.googleapis.com/v1/token",
        service_account_impersonation_url: email
            .map(|e| format!("https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/{e}:generateAccessToken")),
        credential_source: CredentialSource { file: &token_file, format: Format { kind: "text" } },
    };
    let annotation = format!("{prefix}/external-credentials-json");
    let json = serde_json::to_string(&credentials).ok()?;
    let mut env = vec![EnvVar::new(
        "GOOGLE_APPLICATION_CREDENTIALS",
        format!("{CONFIG_MOUNT_PATH}/{CONFIG_FILE}"),
    )];
    if !config.region.is_empty() {
        env.push(EnvVar::new(
            "CLOUDSDK_COMPUTE_REGION",
            config.region.as_str(),
        ));
    }
    if let Some(project) = email.and_then(project_of) {
        env.push(EnvVar::new("CLOUDSDK_CORE_PROJECT", project));
    }
    let skip_containers = pod.annotation_list(&format!("{prefix}/skip-containers"), ',');
    Some(Injection {
        volumes: vec![
            Volume::token(
                TOKEN_VOLUME,
                audience,
                expiration,
                TOKEN_FILE,
                Some(DEFAULT_MODE),
            ),
            Volume::annotation_file(CONFIG_VOLUME, CONFIG_FILE, &annotation, Some(DEFAULT_MODE)),
        ],
        labels: Vec::new(),
        annotations: vec![(annotation, json)],
        skip_containers,
        containers: ContainerRule::Missing {
            env,
            mounts: vec![
                Mount::read_only(TOKEN_VOLUME, TOKEN_MOUNT_PATH),
                Mount::read_only(CONFIG_VOLUME, CONFIG_MOUNT_PATH),
            ],
        },
    })
}

/// `projects/…/locations/…/workloadIdentityPools/…/providers/…`, each part non-empty.
fn is_provider(provider: &str) -> bool {
    let parts: Vec<&str> = provider.split('/').collect();
    parts.len() == 8
        && parts.iter().step_by(2).copied().eq([
            "projects",
            "locations",
            "workloadIdentityPools",
            "providers",
        ])
        && parts.iter().skip(1).step_by(2).all(|p| !p.is_empty())
}

/// The project of a Google service account email (`NAME@PROJECT.iam.gserviceaccount.com`).
fn project_of(email: &str) -> Option<&str> {
    email
        .split_once('@')?
        .1
        .strip_suffix(".iam.gserviceaccount.com")
        .filter(|p| !p.is_empty())
}

fn expiration(value: Option<&str>, default: i64, prefix: &str, notes: &mut Vec<String>) -> i64 {
    match value.map(|v| (v, parse_int(v))) {
        None => default.max(MIN_EXPIRATION),
        Some((_, Some(seconds))) => seconds.max(MIN_EXPIRATION),
        Some((raw, None)) => {
            notes.push(format!(
                "{prefix}/token-expiration: {raw:?} is not a number of seconds; ignored"
            ));
            default.max(MIN_EXPIRATION)
        }
    }
}

fn expiration_from_pod(pod: &Pod<'_>, prefix: &str, current: i64, notes: &mut Vec<String>) -> i64 {
    match pod.annotation(&format!("{prefix}/token-expiration")) {
        None => current,
        value => expiration(value, current, prefix, notes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_and_projects() {
        assert!(is_provider(
            "projects/123/locations/global/workloadIdentityPools/pool/providers/kwi"
        ));
        assert!(!is_provider(
            "projects/123/locations/global/workloadIdentityPools/pool"
        ));
        assert!(!is_provider(
            "projects//locations/global/workloadIdentityPools/pool/providers/kwi"
        ));
        assert_eq!(
            project_of("app@my-proj.iam.gserviceaccount.com"),
            Some("my-proj")
        );
        assert_eq!(project_of("someone@example.com"), None);
    }
}
