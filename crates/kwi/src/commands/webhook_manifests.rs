//! `kwi webhook manifests`: the objects that run the webhook, as YAML for `kubectl apply -f -`.

use anyhow::{Context, Result, anyhow};
use kwi_webhook::{ManifestOptions, ManifestTls, manifests, service_dns_names};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use crate::cli::{WebhookManifestsArgs, WebhookOptions, WebhookProfileArg};
use crate::commands::webhook::webhook_config;
use crate::files::write_stdout;

const HEADER: &str = "\
# The kwi pod identity webhook (kwi webhook manifests).
# failurePolicy: Ignore — an outage of the webhook never blocks pod creation (kube-system's pods
# and the webhook's own included); a pod created meanwhile starts without its cloud identity and
# must be recreated. Choose Fail only with replicas spread over nodes and a PodDisruptionBudget
# (both below), and exclude kube-system with a namespaceSelector.
";

/// Runs `kwi webhook manifests`.
pub(super) fn run(args: WebhookManifestsArgs) -> Result<()> {
    // The flags are checked as `kwi webhook serve` will check them.
    webhook_config(&args.webhook)?;
    let tls = if args.self_signed {
        self_signed(&args.namespace)?
    } else {
        ManifestTls::CertManager
    };
    let options = ManifestOptions {
        namespace: args.namespace.clone(),
        image: args.image.clone(),
        replicas: args.replicas,
        tls,
        serve_args: {
            let mut serve = serve_args(&args.webhook);
            if args.watch_config_map {
                serve.extend([
                    "--watch-config-map".to_owned(),
                    format!("--namespace={}", args.namespace),
                ]);
            }
            serve
        },
        skip_label: format!(
            "{}/skip-pod-identity-webhook",
            args.webhook.annotation_prefix
        ),
    };
    let mut out = String::from(HEADER);
    for object in manifests(&options) {
        out.push_str("---\n");
        out.push_str(
            &serde_saphyr::to_string(&object).map_err(|e| anyhow!("cannot write YAML: {e}"))?,
        );
    }
    write_stdout(out.trim_end())
}

/// A CA (10 years) and a serving certificate for the Service's names (1 year), ECDSA P-256.
fn self_signed(namespace: &str) -> Result<ManifestTls> {
    let now = OffsetDateTime::now_utc();
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name
        .push(DnType::CommonName, "kwi-webhook CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = now - Duration::minutes(5);
    ca.not_after = now + Duration::days(3650);
    let ca_cert = ca
        .self_signed(&ca_key)
        .context("signing the CA certificate")?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().context("generating the serving key")?;
    let mut leaf = CertificateParams::new(service_dns_names(namespace))?;
    leaf.distinguished_name
        .push(DnType::CommonName, format!("kwi-webhook.{namespace}.svc"));
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = now - Duration::minutes(5);
    leaf.not_after = now + Duration::days(365);
    let cert = leaf
        .signed_by(&key, &issuer)
        .context("signing the serving certificate")?;
    Ok(ManifestTls::Provided {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// The `kwi webhook serve` flags that differ from their defaults.
fn serve_args(o: &WebhookOptions) -> Vec<String> {
    let mut args = Vec::new();
    let profiles: Vec<&str> = o
        .profiles
        .iter()
        .map(|p| match p {
            WebhookProfileArg::Aws => "aws",
            WebhookProfileArg::Azure => "azure",
            WebhookProfileArg::Gcp => "gcp",
            WebhookProfileArg::Vault => "vault",
        })
        .collect();
    if profiles != ["aws"] {
        args.push(format!("--profile={}", profiles.join(",")));
    }
    let expiration = o.token_expiration.to_string();
    let fs_group = o.fs_group.map(|g| g.to_string()).unwrap_or_default();
    let sts = if o.sts_regional_endpoint {
        "true"
    } else {
        "false"
    };
    let flags: [(&str, &str, &str); 20] = [
        (
            "annotation-prefix",
            &o.annotation_prefix,
            "eks.amazonaws.com",
        ),
        ("token-audience", &o.token_audience, "sts.amazonaws.com"),
        (
            "token-mount-path",
            &o.token_mount_path,
            "/var/run/secrets/eks.amazonaws.com/serviceaccount",
        ),
        ("token-expiration", &expiration, "86400"),
        ("aws-default-region", &o.aws_default_region, ""),
        ("sts-regional-endpoint", sts, "false"),
        (
            "container-credentials-config",
            o.container_credentials_config.as_deref().unwrap_or(""),
            "",
        ),
        (
            "container-credentials-audience",
            &o.container_credentials_audience,
            "pods.eks.amazonaws.com",
        ),
        (
            "container-credentials-token-mount-path",
            &o.container_credentials_token_mount_path,
            "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount",
        ),
        (
            "container-credentials-token-volume-name",
            &o.container_credentials_token_volume_name,
            "eks-pod-identity-token",
        ),
        (
            "container-credentials-token-path",
            &o.container_credentials_token_path,
            "eks-pod-identity-token",
        ),
        (
            "container-credentials-full-uri",
            &o.container_credentials_full_uri,
            "http://169.254.170.23/v1/credentials",
        ),
        ("fs-group", &fs_group, ""),
        (
            "azure-authority-host",
            &o.azure_authority_host,
            "https://login.microsoftonline.com/",
        ),
        ("azure-tenant-id", &o.azure_tenant_id, ""),
        (
            "gcp-token-audience",
            &o.gcp_token_audience,
            "sts.googleapis.com",
        ),
        ("gcp-region", &o.gcp_region, ""),
        ("vault-addr", &o.vault_addr, ""),
        ("vault-audience", &o.vault_audience, "vault"),
        ("vault-auth-mount", &o.vault_auth_mount, "jwt"),
    ];
    for (flag, value, default) in flags {
        if value != default {
            args.push(format!("--{flag}={value}"));
        }
    }
    args
}
