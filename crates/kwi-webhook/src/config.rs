//! The webhook's settings: upstream's flags, with upstream's defaults, and the other profiles'.

/// Upstream's minimum token lifetime (kube-apiserver refuses shorter projected tokens).
pub const MIN_TOKEN_EXPIRATION: i64 = 600;
/// Upstream's default token lifetime (24 h).
pub const DEFAULT_TOKEN_EXPIRATION: i64 = 86_400;
/// The lower end of the jitter upstream puts on the default lifetime in container-credentials mode.
pub(crate) const JITTERED_MIN_TOKEN_EXPIRATION: i64 = 79_200;

/// Which identity systems the webhook injects for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// amazon-eks-pod-identity-webhook: IRSA (web identity) and EKS Pod Identity (container credentials).
    Aws,
    /// Azure Workload Identity.
    Azure,
    /// Google workload identity federation (an `external_account` credential file).
    Gcp,
    /// A token for Vault's (or `kwi serve`'s) JWT auth method.
    Vault,
}

/// How the default token lifetime of container-credentials mode is spread, as upstream does, so that
/// pods started together do not all refresh together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// A lifetime between 79200 and 86400 s derived from the request's uid: spread over requests,
    /// and the same answer for the same request (the mutation stays a pure function).
    FromRequestUid,
    /// A fixed offset above 79200 s (0 is what upstream's tests use).
    Fixed(u16),
}

/// Container-credentials (EKS Pod Identity) settings: upstream's `--container-credentials-*` flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerCredentials {
    /// `--container-credentials-audience`.
    pub audience: String,
    /// `--container-credentials-token-mount-path`.
    pub mount_path: String,
    /// `--container-credentials-token-volume-name`.
    pub volume_name: String,
    /// `--container-credentials-token-path`.
    pub token_path: String,
    /// `--container-credentials-full-uri`.
    pub full_uri: String,
}

impl Default for ContainerCredentials {
    fn default() -> Self {
        Self {
            audience: "pods.eks.amazonaws.com".to_owned(),
            mount_path: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount".to_owned(),
            volume_name: "eks-pod-identity-token".to_owned(),
            token_path: "eks-pod-identity-token".to_owned(),
            full_uri: "http://169.254.170.23/v1/credentials".to_owned(),
        }
    }
}

/// The AWS profile: upstream's flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    /// `--annotation-prefix`.
    pub annotation_prefix: String,
    /// `--token-audience`.
    pub token_audience: String,
    /// `--token-mount-path`.
    pub token_mount_path: String,
    /// `--token-expiration` (already raised to at least 600).
    pub token_expiration: i64,
    /// `--aws-default-region` ("" for none).
    pub region: String,
    /// `--sts-regional-endpoint`.
    pub sts_regional_endpoint: bool,
    /// The container-credentials options.
    pub container_credentials: ContainerCredentials,
    /// How the default lifetime is jittered in container-credentials mode.
    pub jitter: Jitter,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            annotation_prefix: "eks.amazonaws.com".to_owned(),
            token_audience: "sts.amazonaws.com".to_owned(),
            token_mount_path: "/var/run/secrets/eks.amazonaws.com/serviceaccount".to_owned(),
            token_expiration: DEFAULT_TOKEN_EXPIRATION,
            region: String::new(),
            sts_regional_endpoint: false,
            container_credentials: ContainerCredentials::default(),
            jitter: Jitter::FromRequestUid,
        }
    }
}

/// The Azure profile's settings (the Azure webhook's config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureConfig {
    /// `AZURE_AUTHORITY_HOST` (the cloud's Entra ID endpoint).
    pub authority_host: String,
    /// The tenant used when a ServiceAccount has no `azure.workload.identity/tenant-id`.
    pub tenant_id: String,
    /// The token audience.
    pub audience: String,
}

impl Default for AzureConfig {
    fn default() -> Self {
        Self {
            authority_host: "https://login.microsoftonline.com/".to_owned(),
            tenant_id: String::new(),
            audience: "api://AzureADTokenExchange".to_owned(),
        }
    }
}

/// The GCP profile's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpConfig {
    /// The annotation domain (`cloud.google.com`).
    pub annotation_prefix: String,
    /// The default token audience (the community webhook's default).
    pub audience: String,
    /// The default token lifetime.
    pub token_expiration: i64,
    /// `CLOUDSDK_COMPUTE_REGION` ("" for none).
    pub region: String,
}

impl Default for GcpConfig {
    fn default() -> Self {
        Self {
            annotation_prefix: "cloud.google.com".to_owned(),
            audience: "sts.googleapis.com".to_owned(),
            token_expiration: DEFAULT_TOKEN_EXPIRATION,
            region: String::new(),
        }
    }
}

/// The Vault profile's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultConfig {
    /// The annotation domain.
    pub annotation_prefix: String,
    /// `VAULT_ADDR` when the ServiceAccount names none ("" for none).
    pub addr: String,
    /// The default token audience (the JWT role's `bound_audiences`).
    pub audience: String,
    /// The default auth mount.
    pub auth_mount: String,
    /// The default token lifetime.
    pub token_expiration: i64,
}

impl Default for VaultConfig {
    fn default() -> Self {
        Self {
            annotation_prefix: "vault.kwi.dev".to_owned(),
            addr: String::new(),
            audience: "vault".to_owned(),
            auth_mount: "jwt".to_owned(),
            token_expiration: 3600,
        }
    }
}

/// Everything that decides a mutation besides the pod and its ServiceAccount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The profiles injected, in this order.
    pub profiles: Vec<Profile>,
    /// AWS settings.
    pub aws: AwsConfig,
    /// Azure settings.
    pub azure: AzureConfig,
    /// GCP settings.
    pub gcp: GcpConfig,
    /// Vault settings.
    pub vault: VaultConfig,
    /// Opt-in: the `fsGroup` given to mutated pods that set none, so non-root containers can read
    /// the token (ServiceAccount or pod annotation `<aws prefix>/fs-group` overrides it).
    pub fs_group: Option<i64>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            profiles: vec![Profile::Aws],
            aws: AwsConfig::default(),
            azure: AzureConfig::default(),
            gcp: GcpConfig::default(),
            vault: VaultConfig::default(),
            fs_group: None,
        }
    }
}

impl WebhookConfig {
    /// The annotation key prefixes (`domain/`) the webhook reads on ServiceAccounts: a cache keeps
    /// only these.
    pub fn annotation_prefixes(&self) -> Vec<String> {
        vec![
            format!("{}/", self.aws.annotation_prefix),
            "azure.workload.identity/".to_owned(),
            format!("{}/", self.gcp.annotation_prefix),
            format!("{}/", self.vault.annotation_prefix),
            "kwi.dev/".to_owned(),
        ]
    }
}
