//! `kwi webhook mutate`: the webhook's answer to one AdmissionReview, offline.

use anyhow::{Result, anyhow, bail};
use kwi_webhook::{
    AwsConfig, AzureConfig, ConfigMapEntries, ContainerCredentials, Directory, GcpConfig,
    Identities, Jitter, MIN_TOKEN_EXPIRATION, Profile, ServiceAccount, VaultConfig, WebhookConfig,
    mutate,
};
use serde_json::{Value, json};

use crate::cli::{WebhookMutateArgs, WebhookOptions, WebhookProfileArg};
use crate::files::{display_name, read_input, write_stdout};
use crate::kube_objects::{parse_objects, read_objects};

/// The uid of the review `kwi webhook mutate` wraps a bare Pod in.
const WRAPPED_UID: &str = "kwi-webhook-mutate";

/// Runs `kwi webhook mutate`.
pub(super) fn mutate_command(args: WebhookMutateArgs) -> Result<()> {
    let config = webhook_config(&args.webhook)?;
    let mut directory = Directory::default();
    for path in &args.service_accounts {
        for object in read_objects(path)? {
            let sa: ServiceAccount = serde_json::from_value(object)
                .map_err(|e| anyhow!("{}: not a ServiceAccount: {e}", display_name(path)))?;
            directory.insert(sa);
        }
    }
    if let Some(path) = &args.config_map {
        directory.config_map = read_config_map(path)?;
    }
    if let Some(path) = &args.webhook.container_credentials_config {
        let data = read_input(path)?;
        directory.identities =
            Identities::parse(&data).map_err(|e| anyhow!("{}: {e}", display_name(path)))?;
    }
    let body = review_body(&args.input)?;
    let mutation = mutate(&body, &config, &directory);
    for note in &mutation.notes {
        eprintln!("kwi: warning: {}", crate::printable(note, false));
    }
    if args.patch {
        let patch: Value = if mutation.patch.is_empty() {
            json!([])
        } else {
            serde_json::from_slice(&mutation.patch)?
        };
        write_stdout(&serde_json::to_string_pretty(&patch)?)?;
    } else {
        write_stdout(&String::from_utf8_lossy(&mutation.review))?;
    }
    match mutation.error {
        Some(error) => bail!("{}: {error}", display_name(&args.input)),
        None => Ok(()),
    }
}

/// The request body: the file's AdmissionReview as it is when it is JSON (the bytes the server
/// would get), re-serialised from YAML, or a review wrapped around a Pod.
fn review_body(path: &str) -> Result<Vec<u8>> {
    let data = read_input(path)?;
    let objects = match parse_objects(&data) {
        Ok(objects) => objects,
        // Not even YAML: the webhook's own message says what is wrong with it.
        Err(_) => return Ok(data),
    };
    let [object] = objects.as_slice() else {
        bail!(
            "{}: holds {} documents; give one AdmissionReview or Pod",
            display_name(path),
            objects.len()
        );
    };
    if object.get("kind").and_then(Value::as_str) != Some("Pod") {
        return match serde_json::from_slice::<Value>(&data) {
            Ok(_) => Ok(data),
            Err(_) => Ok(serde_json::to_vec(object)?),
        };
    }
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let review = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": WRAPPED_UID,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": namespace,
            "operation": "CREATE",
            "object": object,
        }
    });
    Ok(serde_json::to_vec(&review)?)
}

/// The `pod-identity-webhook` ConfigMap: an object with `data.config`, or the config JSON itself.
fn read_config_map(path: &str) -> Result<ConfigMapEntries> {
    let name = display_name(path);
    let objects = read_objects(path)?;
    let [object] = objects.as_slice() else {
        bail!(
            "{name}: holds {} documents; give the pod-identity-webhook ConfigMap",
            objects.len()
        );
    };
    let config = match object.get("kind").and_then(Value::as_str) {
        Some("ConfigMap") => object["data"]["config"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{name}: the ConfigMap has no data.config"))?,
        _ => serde_json::to_string(object)?,
    };
    ConfigMapEntries::parse(&config).map_err(|e| anyhow!("{name}: {e}"))
}

/// The library's configuration from the command line's flags.
pub(super) fn webhook_config(options: &WebhookOptions) -> Result<WebhookConfig> {
    let mut profiles = Vec::new();
    for profile in &options.profiles {
        let profile = match profile {
            WebhookProfileArg::Aws => Profile::Aws,
            WebhookProfileArg::Azure => Profile::Azure,
            WebhookProfileArg::Gcp => Profile::Gcp,
            WebhookProfileArg::Vault => Profile::Vault,
        };
        if !profiles.contains(&profile) {
            profiles.push(profile);
        }
    }
    let aws = AwsConfig {
        annotation_prefix: options.annotation_prefix.clone(),
        token_audience: options.token_audience.clone(),
        token_mount_path: options.token_mount_path.clone(),
        // As upstream: a shorter lifetime is raised to kube-apiserver's minimum.
        token_expiration: options.token_expiration.max(MIN_TOKEN_EXPIRATION),
        region: options.aws_default_region.clone(),
        sts_regional_endpoint: options.sts_regional_endpoint,
        container_credentials: ContainerCredentials {
            audience: options.container_credentials_audience.clone(),
            mount_path: options.container_credentials_token_mount_path.clone(),
            volume_name: options.container_credentials_token_volume_name.clone(),
            token_path: options.container_credentials_token_path.clone(),
            full_uri: options.container_credentials_full_uri.clone(),
        },
        jitter: Jitter::FromRequestUid,
    };
    if aws.annotation_prefix.is_empty() || aws.annotation_prefix.contains('/') {
        bail!(
            "--annotation-prefix {:?}: give a DNS domain such as eks.amazonaws.com",
            aws.annotation_prefix
        );
    }
    Ok(WebhookConfig {
        profiles,
        aws,
        azure: AzureConfig {
            authority_host: options.azure_authority_host.clone(),
            tenant_id: options.azure_tenant_id.clone(),
            ..AzureConfig::default()
        },
        gcp: GcpConfig {
            audience: options.gcp_token_audience.clone(),
            region: options.gcp_region.clone(),
            ..GcpConfig::default()
        },
        vault: VaultConfig {
            addr: options.vault_addr.clone(),
            audience: options.vault_audience.clone(),
            auth_mount: options.vault_auth_mount.clone(),
            ..VaultConfig::default()
        },
        fs_group: options.fs_group.map(i64::from),
    })
}
