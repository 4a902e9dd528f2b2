//! What one profile adds to a pod, before it is turned into a patch: volumes, labels,
//! annotations, and per container the env vars and volume mounts it lacks.

use serde::Serialize;

use crate::json_out::{self, WriteJson};
use crate::pod::Container;

/// An env var (`{"name", "value"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EnvVar {
    pub name: String,
    pub value: String,
}

impl EnvVar {
    pub(crate) fn new(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            value: value.into(),
        }
    }
}

/// An env var added to a container, borrowed from the rule that adds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EnvRef<'r> {
    pub name: &'r str,
    pub value: &'r str,
}

impl<'r> From<&'r EnvVar> for EnvRef<'r> {
    fn from(var: &'r EnvVar) -> Self {
        Self {
            name: &var.name,
            value: &var.value,
        }
    }
}

/// A read-only volume mount, serialised in upstream's field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Mount {
    pub name: String,
    #[serde(rename = "readOnly")]
    pub read_only: bool,
    #[serde(rename = "mountPath")]
    pub mount_path: String,
}

impl Mount {
    pub(crate) fn read_only(name: &str, mount_path: &str) -> Self {
        Self {
            name: name.to_owned(),
            read_only: true,
            mount_path: mount_path.to_owned(),
        }
    }
}

/// A volume the webhook adds: a projected service-account token, or a file from a pod annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Volume {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projected: Option<Projected>,
    #[serde(rename = "downwardAPI", skip_serializing_if = "Option::is_none")]
    pub downward_api: Option<DownwardApi>,
}

/// `projected` with one `serviceAccountToken` source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Projected {
    pub sources: [TokenSource; 1],
    #[serde(rename = "defaultMode", skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<u32>,
}

/// `{"serviceAccountToken": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TokenSource {
    #[serde(rename = "serviceAccountToken")]
    pub token: TokenProjection,
}

/// `serviceAccountToken`: audience (omitted when empty, as Go's omitempty), lifetime, file name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TokenProjection {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub audience: String,
    #[serde(rename = "expirationSeconds")]
    pub expiration_seconds: i64,
    pub path: String,
}

/// `downwardAPI` with one file holding a pod annotation's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DownwardApi {
    pub items: [DownwardItem; 1],
    #[serde(rename = "defaultMode", skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<u32>,
}

/// One downward API file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DownwardItem {
    pub path: String,
    #[serde(rename = "fieldRef")]
    pub field_ref: FieldRef,
}

/// `fieldRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FieldRef {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    #[serde(rename = "fieldPath")]
    pub field_path: String,
}

impl Volume {
    /// A projected service-account token volume.
    pub(crate) fn token(
        name: &str,
        audience: &str,
        expiration_seconds: i64,
        path: &str,
        default_mode: Option<u32>,
    ) -> Self {
        let token = TokenProjection {
            audience: audience.to_owned(),
            expiration_seconds,
            path: path.to_owned(),
        };
        Self {
            name: name.to_owned(),
            projected: Some(Projected {
                sources: [TokenSource { token }],
                default_mode,
            }),
            downward_api: None,
        }
    }

    /// A downward API volume whose one file holds the value of a pod annotation.
    pub(crate) fn annotation_file(
        name: &str,
        file: &str,
        annotation: &str,
        default_mode: Option<u32>,
    ) -> Self {
        let field_ref = FieldRef {
            api_version: "v1",
            field_path: format!("metadata.annotations['{annotation}']"),
        };
        Self {
            name: name.to_owned(),
            projected: None,
            downward_api: Some(DownwardApi {
                items: [DownwardItem {
                    path: file.to_owned(),
                    field_ref,
                }],
                default_mode,
            }),
        }
    }
}

/// How a profile decides what one container gets.
#[derive(Debug, Clone)]
pub(crate) enum ContainerRule {
    /// Upstream AWS's rule (see `aws::container_additions`).
    Aws(crate::aws::AwsContainerRule),
    /// Each env var the container lacks, each mount whose volume it does not mount yet.
    Missing {
        env: Vec<EnvVar>,
        mounts: Vec<Mount>,
    },
}

/// What one profile adds to one pod.
#[derive(Debug, Clone)]
pub(crate) struct Injection {
    pub volumes: Vec<Volume>,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    pub skip_containers: Vec<String>,
    pub containers: ContainerRule,
}

impl Injection {
    /// One projected token volume, mounted in every container that lacks it, with the env vars
    /// each container lacks.
    pub(crate) fn token(
        volume: Volume,
        mount: Mount,
        env: Vec<EnvVar>,
        skip_containers: Vec<String>,
    ) -> Self {
        Self {
            volumes: vec![volume],
            labels: Vec::new(),
            annotations: Vec::new(),
            skip_containers,
            containers: ContainerRule::Missing {
                env,
                mounts: vec![mount],
            },
        }
    }
}

/// The env var names and mounted volume names a container has, including what earlier profiles
/// of the same mutation add, so that no profile overwrites another's or the pod's. What is added
/// is borrowed from the profiles' rules (`'r`).
#[derive(Debug, Default)]
pub(crate) struct ContainerState<'p, 'r> {
    pub container: Option<&'p Container<'p>>,
    pub added_env: Vec<EnvRef<'r>>,
    pub added_mounts: Vec<&'r Mount>,
}

impl<'p, 'r> ContainerState<'p, 'r> {
    /// Starts over for another container, keeping the allocations.
    pub(crate) fn reset(&mut self, container: &'p Container<'p>) {
        self.container = Some(container);
        self.added_env.clear();
        self.added_mounts.clear();
    }

    pub(crate) fn has_env(&self, name: &str) -> bool {
        self.container.is_some_and(|c| c.has_env(name))
            || self.added_env.iter().any(|e| e.name == name)
    }

    pub(crate) fn has_mount(&self, volume: &str) -> bool {
        self.container.is_some_and(|c| c.has_mount(volume))
            || self.added_mounts.iter().any(|m| m.name == volume)
    }

    /// Applies one profile's rule to this container.
    pub(crate) fn apply(&mut self, rule: &'r ContainerRule) {
        match rule {
            ContainerRule::Aws(aws) => aws.apply(self),
            ContainerRule::Missing { env, mounts } => {
                for var in env {
                    if !self.has_env(&var.name) {
                        self.added_env.push(var.into());
                    }
                }
                for mount in mounts {
                    if !self.has_mount(&mount.name) {
                        self.added_mounts.push(mount);
                    }
                }
            }
        }
    }
}

// The values kwi adds, written as serde_json writes their `Serialize` (tested below).

impl WriteJson for EnvRef<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"name\":");
        json_out::string(out, self.name);
        out.extend_from_slice(b",\"value\":");
        json_out::string(out, self.value);
        out.push(b'}');
    }
}

impl WriteJson for EnvVar {
    fn write_json(&self, out: &mut Vec<u8>) {
        EnvRef::from(self).write_json(out);
    }
}

impl WriteJson for Mount {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"name\":");
        json_out::string(out, &self.name);
        out.extend_from_slice(match self.read_only {
            true => b",\"readOnly\":true,\"mountPath\":",
            false => b",\"readOnly\":false,\"mountPath\":",
        });
        json_out::string(out, &self.mount_path);
        out.push(b'}');
    }
}

/// `,"defaultMode":N` when set.
fn default_mode(out: &mut Vec<u8>, mode: Option<u32>) {
    if let Some(mode) = mode {
        out.extend_from_slice(b",\"defaultMode\":");
        json_out::uint(out, u64::from(mode));
    }
}

impl WriteJson for Volume {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"name\":");
        json_out::string(out, &self.name);
        if let Some(projected) = &self.projected {
            let [TokenSource { token }] = &projected.sources;
            out.extend_from_slice(b",\"projected\":{\"sources\":[{\"serviceAccountToken\":{");
            if !token.audience.is_empty() {
                out.extend_from_slice(b"\"audience\":");
                json_out::string(out, &token.audience);
                out.push(b',');
            }
            out.extend_from_slice(b"\"expirationSeconds\":");
            json_out::int(out, token.expiration_seconds);
            out.extend_from_slice(b",\"path\":");
            json_out::string(out, &token.path);
            out.extend_from_slice(b"}}]");
            default_mode(out, projected.default_mode);
            out.push(b'}');
        }
        if let Some(downward) = &self.downward_api {
            let [DownwardItem { path, field_ref }] = &downward.items;
            out.extend_from_slice(b",\"downwardAPI\":{\"items\":[{\"path\":");
            json_out::string(out, path);
            out.extend_from_slice(b",\"fieldRef\":{\"apiVersion\":");
            json_out::string(out, field_ref.api_version);
            out.extend_from_slice(b",\"fieldPath\":");
            json_out::string(out, &field_ref.field_path);
            out.extend_from_slice(b"}}]");
            default_mode(out, downward.default_mode);
            out.push(b'}');
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_serde<T: WriteJson + Serialize>(value: &T) {
        let mut written = Vec::new();
        value.write_json(&mut written);
        let serde = serde_json::to_vec(value).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&serde)
        );
    }

    #[test]
    fn added_values_are_written_as_serde_json_writes_them() {
        let odd = "a\"b\\c\n\u{1}é/~";
        for (name, value) in [("AWS_REGION", "eu-west-1"), (odd, odd), ("", "")] {
            same_as_serde(&EnvVar::new(name, value));
        }
        for (name, path) in [("aws-iam-token", "/var/run/x"), (odd, odd)] {
            same_as_serde(&Mount::read_only(name, path));
            same_as_serde(&Mount {
                read_only: false,
                ..Mount::read_only(name, path)
            });
        }
        for mode in [None, Some(0o400), Some(u32::MAX)] {
            for audience in ["", "sts.amazonaws.com", odd] {
                same_as_serde(&Volume::token(odd, audience, 86_400, "token", mode));
                same_as_serde(&Volume::token("v", audience, -1, odd, mode));
            }
            same_as_serde(&Volume::annotation_file("v", "f", "a/b", mode));
            same_as_serde(&Volume::annotation_file(odd, odd, odd, mode));
            let both = Volume {
                downward_api: Volume::annotation_file("v", "f", "a", mode).downward_api,
                ..Volume::token("v", "aud", 600, "token", mode)
            };
            same_as_serde(&both);
        }
    }
}
