//! The Azure profile: Azure Workload Identity's contract (Azure/azure-workload-identity,
//! `pkg/webhook`): pods labelled `azure.workload.identity/use: "true"` get the client and tenant of
//! their ServiceAccount's annotations and a token for `api://AzureADTokenExchange`.

use crate::config::AzureConfig;
use crate::directory::Lookup;
use crate::go_syntax::parse_int;
use crate::injection::{EnvVar, Injection, Mount, Volume};
use crate::pod::Pod;

const DOMAIN: &str = "azure.workload.identity";
const VOLUME: &str = "azure-identity-token";
const MOUNT_PATH: &str = "/var/run/secrets/azure/tokens";
const TOKEN_FILE: &str = "azure-identity-token";
const MIN_EXPIRATION: i64 = 3600;
const MAX_EXPIRATION: i64 = 86_400;

/// The Azure injection, or `None` when the pod does not carry the `use` label.
pub(crate) fn inject(
    pod: &Pod<'_>,
    config: &AzureConfig,
    lookup: &Lookup<'_>,
    notes: &mut Vec<String>,
) -> Option<Injection> {
    if pod.label(&format!("{DOMAIN}/use")) != Some("true") {
        return None;
    }
    let sa = |name: &str| lookup.annotation(DOMAIN, name);
    let client_id = sa("client-id").unwrap_or("");
    let tenant_id = sa("tenant-id").unwrap_or(&config.tenant_id);
    let expiration = expiration(pod, sa("service-account-token-expiration"), notes);
    let env = [
        ("AZURE_CLIENT_ID", client_id),
        ("AZURE_TENANT_ID", tenant_id),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            &format!("{MOUNT_PATH}/{TOKEN_FILE}"),
        ),
        ("AZURE_AUTHORITY_HOST", &config.authority_host),
    ]
    .into_iter()
    // As the Azure webhook: a variable with no value is not set.
    .filter(|(_, value)| !value.is_empty())
    .map(|(name, value)| EnvVar::new(name, value))
    .collect();
    let skip_containers = pod.annotation_list(&format!("{DOMAIN}/skip-containers"), ';');
    let volume = Volume::token(VOLUME, &config.audience, expiration, TOKEN_FILE, None);
    Some(Injection::token(
        volume,
        Mount::read_only(VOLUME, MOUNT_PATH),
        env,
        skip_containers,
    ))
}

/// The pod's annotation, else the ServiceAccount's, else 3600; the Azure webhook refuses the pod
/// when the value is unreadable or outside 3600–86400, kwi uses the nearest valid value instead.
fn expiration(pod: &Pod<'_>, service_account: Option<&str>, notes: &mut Vec<String>) -> i64 {
    let key = format!("{DOMAIN}/service-account-token-expiration");
    let Some(value) = pod
        .annotation(&key)
        .filter(|v| !v.is_empty())
        .or(service_account.filter(|v| !v.is_empty()))
    else {
        return MIN_EXPIRATION;
    };
    match parse_int(value) {
        Some(seconds) if (MIN_EXPIRATION..=MAX_EXPIRATION).contains(&seconds) => seconds,
        Some(seconds) => {
            let clamped = seconds.clamp(MIN_EXPIRATION, MAX_EXPIRATION);
            notes.push(format!(
                "{key}: {seconds} is outside 3600-86400; using {clamped}"
            ));
            clamped
        }
        None => {
            notes.push(format!(
                "{key}: {value:?} is not a number of seconds; using 3600"
            ));
            MIN_EXPIRATION
        }
    }
}
