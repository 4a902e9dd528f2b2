//! The AWS profile: amazon-eks-pod-identity-webhook's decisions (pkg/handler, pkg/cache,
//! pkg/containercredentials), annotation for annotation, default for default.
//!
//! Precedence, as upstream: container credentials (the identities file) over web identity; the
//! ServiceAccount's annotations over the ConfigMap (`namespace/name`, then `*/name`) over the flags;
//! the pod's `token-expiration` annotation over all; never under 600 s.

use crate::config::{
    AwsConfig, DEFAULT_TOKEN_EXPIRATION, JITTERED_MIN_TOKEN_EXPIRATION, Jitter,
    MIN_TOKEN_EXPIRATION,
};
use crate::directory::Lookup;
use crate::go_syntax::{csv_first_record, join, parse_bool, parse_int};
use crate::injection::{ContainerRule, ContainerState, EnvRef, Injection, Mount, Volume};
use crate::pod::Pod;
use crate::service_account::ServiceAccount;

/// The label upstream puts on pods in container-credentials mode (not under the prefix).
const POD_IDENTITY_LABEL: &str = "eks.amazonaws.com/pod-identity";
const WEB_IDENTITY_VOLUME: &str = "aws-iam-token";
const WEB_IDENTITY_TOKEN: &str = "token";

/// Which of the two AWS methods a pod gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsMethod {
    /// `AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE` (IRSA).
    WebIdentity,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (EKS Pod Identity).
    ContainerCredentials,
}

/// A ServiceAccount's settings after upstream's cache has read them (`cache.Entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    role_arn: String,
    audience: String,
    use_regional_sts: bool,
    token_expiration: i64,
}

/// Upstream's per-container rule (`addEnvToContainer`).
#[derive(Debug, Clone)]
pub(crate) struct AwsContainerRule {
    method: AwsMethod,
    /// The role ARN (web identity) or the full URI (container credentials).
    credential: String,
    use_regional_sts: bool,
    region: String,
    token_file: String,
    mount: Mount,
}

/// The AWS injection for a pod, or `None` when its ServiceAccount has no role.
pub(crate) fn inject(
    pod: &Pod<'_>,
    config: &AwsConfig,
    lookup: &Lookup<'_>,
    request_uid: &str,
    notes: &mut Vec<String>,
) -> Option<(AwsMethod, Injection)> {
    let prefix = &config.annotation_prefix;
    let cc = &config.container_credentials;
    let (method, entry, paths) = if lookup.container_credentials {
        let (use_regional_sts, expiration) = common_configuration(config, lookup, notes);
        let mut expiration = pod_expiration(pod, prefix, expiration, notes);
        if expiration == DEFAULT_TOKEN_EXPIRATION {
            expiration = jittered(config.jitter, request_uid);
        }
        let entry = Entry {
            role_arn: cc.full_uri.clone(),
            audience: cc.audience.clone(),
            use_regional_sts,
            token_expiration: expiration,
        };
        (
            AwsMethod::ContainerCredentials,
            entry,
            [
                cc.volume_name.as_str(),
                cc.mount_path.as_str(),
                cc.token_path.as_str(),
            ],
        )
    } else {
        let mut entry = web_identity_entry(config, lookup, notes)?;
        entry.token_expiration = pod_expiration(pod, prefix, entry.token_expiration, notes);
        (
            AwsMethod::WebIdentity,
            entry,
            [
                WEB_IDENTITY_VOLUME,
                config.token_mount_path.as_str(),
                WEB_IDENTITY_TOKEN,
            ],
        )
    };
    Some((method, build(pod, config, method, entry, paths, notes)))
}

/// The injection for a method; `paths` is the volume name, its mount path and the token file name.
fn build(
    pod: &Pod<'_>,
    config: &AwsConfig,
    method: AwsMethod,
    entry: Entry,
    paths: [&str; 3],
    notes: &mut Vec<String>,
) -> Injection {
    let [volume_name, mount_path, token_path] = paths;
    let mut token_file = join(&[mount_path, token_path]);
    if pod.is_windows() {
        token_file = format!("C:{}", token_file.replace('/', "\\"));
    }
    let labels = match method {
        AwsMethod::ContainerCredentials => {
            vec![(POD_IDENTITY_LABEL.to_owned(), "enabled".to_owned())]
        }
        AwsMethod::WebIdentity => Vec::new(),
    };
    Injection {
        volumes: vec![Volume::token(
            volume_name,
            &entry.audience,
            entry.token_expiration,
            token_path,
            None,
        )],
        labels,
        annotations: Vec::new(),
        skip_containers: skip_containers(pod, &config.annotation_prefix, notes),
        containers: ContainerRule::Aws(AwsContainerRule {
            method,
            credential: entry.role_arn,
            use_regional_sts: entry.use_regional_sts,
            region: config.region.clone(),
            token_file,
            mount: Mount::read_only(volume_name, mount_path),
        }),
    }
}

/// `cache.Get`: the ServiceAccount's annotations when they name a role, else the ConfigMap.
fn web_identity_entry(
    config: &AwsConfig,
    lookup: &Lookup<'_>,
    notes: &mut Vec<String>,
) -> Option<Entry> {
    if let Some(sa) = lookup.service_account {
        let entry = service_account_entry(config, sa, notes);
        if !entry.role_arn.is_empty() {
            return Some(entry);
        }
    }
    let (cm, _) = lookup.config_map?;
    let entry = Entry {
        role_arn: cm.role_arn.clone(),
        // Upstream leaves the audience empty (kube-apiserver then uses its own API audience, which
        // STS refuses); kwi uses --token-audience.
        audience: if cm.audience.is_empty() {
            config.token_audience.clone()
        } else {
            cm.audience.clone()
        },
        use_regional_sts: cm.use_regional_sts,
        token_expiration: match cm.token_expiration {
            0 => config.token_expiration,
            seconds => seconds.max(MIN_TOKEN_EXPIRATION),
        },
    };
    (!entry.role_arn.is_empty()).then_some(entry)
}

/// `cache.addSA`: annotations over flags, invalid values ignored.
fn service_account_entry(
    config: &AwsConfig,
    sa: &ServiceAccount,
    notes: &mut Vec<String>,
) -> Entry {
    let prefix = &config.annotation_prefix;
    let key = |name: &str| format!("{prefix}/{name}");
    let role_arn = sa.annotation(&key("role-arn")).unwrap_or("").to_owned();
    if !role_arn.is_empty() && !is_role_arn(&role_arn) {
        notes.push(format!("ServiceAccount annotation {}: {role_arn:?} does not look like an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)", key("role-arn")));
    }
    let audience = sa
        .annotation(&key("audience"))
        .unwrap_or(&config.token_audience)
        .to_owned();
    let use_regional_sts = match sa.annotation(&key("sts-regional-endpoints")) {
        None => config.sts_regional_endpoint,
        Some(value) => parse_bool(value).unwrap_or_else(|| {
            notes.push(format!(
                "ServiceAccount annotation {}: {value:?} is not true or false; ignored",
                key("sts-regional-endpoints")
            ));
            config.sts_regional_endpoint
        }),
    };
    let token_expiration = match sa.annotation(&key("token-expiration")) {
        None => config.token_expiration,
        Some(value) => {
            match parse_int(value) {
                Some(seconds) => seconds.max(MIN_TOKEN_EXPIRATION),
                None => {
                    notes.push(format!("ServiceAccount annotation {}: {value:?} is not a number of seconds; ignored", key("token-expiration")));
                    config.token_expiration
                }
            }
        }
    };
    Entry {
        role_arn,
        audience,
        use_regional_sts,
        token_expiration,
    }
}

/// `cache.GetCommonConfigurations`: what container-credentials mode takes from the ServiceAccount
/// (found at all) or the exact ConfigMap entry, else (false, 86400).
fn common_configuration(
    config: &AwsConfig,
    lookup: &Lookup<'_>,
    notes: &mut Vec<String>,
) -> (bool, i64) {
    if let Some(sa) = lookup.service_account {
        let entry = service_account_entry(config, sa, notes);
        return (entry.use_regional_sts, entry.token_expiration);
    }
    match lookup.config_map {
        Some((cm, true)) => {
            let expiration = if cm.token_expiration == 0 {
                config.token_expiration
            } else {
                cm.token_expiration.max(MIN_TOKEN_EXPIRATION)
            };
            (cm.use_regional_sts, expiration)
        }
        _ => (false, DEFAULT_TOKEN_EXPIRATION),
    }
}

/// The pod's `token-expiration` annotation, when valid, over the ServiceAccount's value.
fn pod_expiration(pod: &Pod<'_>, prefix: &str, current: i64, notes: &mut Vec<String>) -> i64 {
    let key = format!("{prefix}/token-expiration");
    match pod.annotation(&key) {
        None => current,
        Some(value) => {
            match parse_int(value) {
                Some(seconds) => seconds.max(MIN_TOKEN_EXPIRATION),
                None => {
                    notes.push(format!("pod annotation {key}: {value:?} is not a number of seconds; using {current}"));
                    current
                }
            }
        }
    }
}

/// The pod's `skip-containers` annotation: the first CSV record (an unreadable one skips none).
fn skip_containers(pod: &Pod<'_>, prefix: &str, notes: &mut Vec<String>) -> Vec<String> {
    let key = format!("{prefix}/skip-containers");
    let Some(value) = pod.annotation(&key) else {
        return Vec::new();
    };
    csv_first_record(value).unwrap_or_else(|| {
        notes.push(format!(
            "pod annotation {key}: {value:?} is not a comma-separated list; no container skipped"
        ));
        Vec::new()
    })
}

/// Upstream draws uniformly from [79200, 86400]; kwi derives the draw from the request uid.
fn jittered(jitter: Jitter, request_uid: &str) -> i64 {
    let span = (DEFAULT_TOKEN_EXPIRATION - JITTERED_MIN_TOKEN_EXPIRATION + 1) as u64;
    let offset = match jitter {
        Jitter::Fixed(offset) => u64::from(offset) % span,
        Jitter::FromRequestUid => fnv1a(request_uid.as_bytes()) % span,
    };
    JITTERED_MIN_TOKEN_EXPIRATION + offset as i64
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Upstream's check (it only warns): `^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w-\/.@+=,]+$`.
fn is_role_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws") else {
        return false;
    };
    let Some((partition_tail, rest)) = rest.split_once(":iam::") else {
        return false;
    };
    let Some((account, name)) = rest.split_once(":role/") else {
        return false;
    };
    partition_tail
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "_-/.@+=,".contains(c))
}

impl AwsContainerRule {
    /// `addEnvToContainer`: nothing at all (not even the mount) when the container already has the
    /// method's variables, a region and the STS setting; otherwise each missing piece, in upstream's
    /// order: `AWS_STS_REGIONAL_ENDPOINTS`, `AWS_DEFAULT_REGION`, `AWS_REGION`, the method's two.
    pub(crate) fn apply<'r>(&'r self, state: &mut ContainerState<'_, 'r>) {
        let (first, second) = match self.method {
            AwsMethod::WebIdentity => ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"),
            AwsMethod::ContainerCredentials => (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            ),
        };
        let method_defined = state.has_env(first) || state.has_env(second);
        let region_defined = state.has_env("AWS_REGION") || state.has_env("AWS_DEFAULT_REGION");
        let sts_defined = state.has_env("AWS_STS_REGIONAL_ENDPOINTS");
        if method_defined && region_defined && sts_defined {
            return;
        }
        let env = |name, value| EnvRef { name, value };
        if !sts_defined && self.use_regional_sts {
            state
                .added_env
                .push(env("AWS_STS_REGIONAL_ENDPOINTS", "regional"));
        }
        if !region_defined && !self.region.is_empty() {
            state
                .added_env
                .push(env("AWS_DEFAULT_REGION", &self.region));
            state.added_env.push(env("AWS_REGION", &self.region));
        }
        if !method_defined {
            state.added_env.push(env(first, &self.credential));
            state.added_env.push(env(second, &self.token_file));
        }
        if !state.has_mount(&self.mount.name) {
            state.added_mounts.push(&self.mount);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_as_upstreams_regex() {
        assert!(is_role_arn("arn:aws:iam::111122223333:role/s3-reader"));
        assert!(is_role_arn(
            "arn:aws-cn:iam::111122223333:role/path/to/x@y+z=,"
        ));
        assert!(!is_role_arn("arn:aws:iam::11112222333:role/x"));
        assert!(!is_role_arn("arn:aws:iam::111122223333:user/x"));
        assert!(!is_role_arn("arn:aws:iam::111122223333:role/"));
        assert!(!is_role_arn("s3-reader"));
    }

    #[test]
    fn jitter_stays_within_upstreams_range() {
        assert_eq!(jittered(Jitter::Fixed(0), "x"), 79_200);
        assert_eq!(jittered(Jitter::Fixed(7200), "x"), 86_400);
        for uid in ["", "a", "705ab4f5-6393-11e8-b7cc-42010a800002", "zzzz"] {
            let seconds = jittered(Jitter::FromRequestUid, uid);
            assert!((79_200..=86_400).contains(&seconds), "{uid}: {seconds}");
            assert_eq!(seconds, jittered(Jitter::FromRequestUid, uid));
        }
    }
}
