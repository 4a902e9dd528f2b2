//! The minimal RFC 6902 patch: only `add` operations for what the pod lacks (`…/env/-`,
//! `…/volumeMounts/-`, the volumes, a label, an annotation, `fsGroup`), so every field of the pod
//! kwi does not touch, known to it or not, stays as the client wrote it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::injection::{ContainerState, EnvVar, Injection, Mount, Volume};
use crate::pod::{Container, Pod};

/// One `add` operation.
#[derive(Debug, Serialize)]
pub(crate) struct Op {
    op: &'static str,
    path: String,
    value: Value,
}

/// The values kwi adds.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Value {
    Env(EnvVar),
    EnvList(Vec<EnvVar>),
    Mount(Mount),
    MountList(Vec<Mount>),
    Volume(Volume),
    VolumeList(Vec<Volume>),
    Str(String),
    Map(BTreeMap<String, String>),
    Int(i64),
    FsGroup {
        #[serde(rename = "fsGroup")]
        fs_group: i64,
    },
    Metadata {
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        labels: BTreeMap<String, String>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        annotations: BTreeMap<String, String>,
    },
}

fn add(path: String, value: Value) -> Op {
    Op {
        op: "add",
        path,
        value,
    }
}

/// RFC 6901 escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The patch for a pod given what each profile injects; empty when the pod already has it all.
pub(crate) fn build(pod: &Pod<'_>, injections: &[Injection], fs_group: Option<i64>) -> Vec<Op> {
    let mut ops = Vec::new();
    if pod.spec.is_none() {
        return ops;
    }
    metadata_ops(pod, injections, &mut ops);
    volume_ops(pod, injections, &mut ops);
    container_ops(
        "initContainers",
        pod.init_containers(),
        injections,
        &mut ops,
    );
    container_ops("containers", pod.containers(), injections, &mut ops);
    if let Some(gid) = fs_group.filter(|_| !pod.has_fs_group()) {
        match pod.security_context() {
            None => ops.push(add(
                "/spec/securityContext".to_owned(),
                Value::FsGroup { fs_group: gid },
            )),
            Some(_) => ops.push(add(
                "/spec/securityContext/fsGroup".to_owned(),
                Value::Int(gid),
            )),
        }
    }
    ops
}

/// Labels and annotations the pod does not already carry with the same value.
fn metadata_ops(pod: &Pod<'_>, injections: &[Injection], ops: &mut Vec<Op>) {
    let mut labels = BTreeMap::new();
    let mut annotations = BTreeMap::new();
    for injection in injections {
        for (key, value) in &injection.labels {
            if pod.label(key) != Some(value.as_str()) {
                labels.insert(key.clone(), value.clone());
            }
        }
        for (key, value) in &injection.annotations {
            if pod.annotation(key) != Some(value.as_str()) {
                annotations.insert(key.clone(), value.clone());
            }
        }
    }
    if labels.is_empty() && annotations.is_empty() {
        return;
    }
    if pod.metadata.is_none() {
        ops.push(add(
            "/metadata".to_owned(),
            Value::Metadata {
                labels,
                annotations,
            },
        ));
        return;
    }
    for (field, map, present) in [
        ("labels", labels, pod.has_labels()),
        ("annotations", annotations, pod.has_annotations()),
    ] {
        if map.is_empty() {
            continue;
        }
        if !present {
            ops.push(add(format!("/metadata/{field}"), Value::Map(map)));
            continue;
        }
        for (key, value) in map {
            ops.push(add(
                format!("/metadata/{field}/{}", escape(&key)),
                Value::Str(value),
            ));
        }
    }
}

/// The volumes no pod volume has the name of, in front of the pod's own (where upstream puts its).
fn volume_ops(pod: &Pod<'_>, injections: &[Injection], ops: &mut Vec<Op>) {
    let mut new: Vec<Volume> = Vec::new();
    for volume in injections.iter().flat_map(|i| &i.volumes) {
        if !pod.has_volume(&volume.name) && !new.iter().any(|v| v.name == volume.name) {
            new.push(volume.clone());
        }
    }
    if new.is_empty() {
        return;
    }
    if pod.volumes().is_none() {
        ops.push(add("/spec/volumes".to_owned(), Value::VolumeList(new)));
        return;
    }
    for volume in new.into_iter().rev() {
        ops.push(add("/spec/volumes/0".to_owned(), Value::Volume(volume)));
    }
}

/// For each container, the env vars and mounts the profiles add, appended after the container's own.
fn container_ops(
    list: &str,
    containers: &[Container<'_>],
    injections: &[Injection],
    ops: &mut Vec<Op>,
) {
    for (index, container) in containers.iter().enumerate() {
        let mut state = ContainerState {
            container: Some(container),
            ..ContainerState::default()
        };
        for injection in injections {
            if !injection
                .skip_containers
                .iter()
                .any(|name| name == container.name())
            {
                state.apply(&injection.containers);
            }
        }
        let base = format!("/spec/{list}/{index}");
        if !state.added_env.is_empty() {
            if container.env.is_none() {
                ops.push(add(format!("{base}/env"), Value::EnvList(state.added_env)));
            } else {
                ops.extend(
                    state
                        .added_env
                        .into_iter()
                        .map(|var| add(format!("{base}/env/-"), Value::Env(var))),
                );
            }
        }
        if !state.added_mounts.is_empty() {
            if container.volume_mounts.is_none() {
                ops.push(add(
                    format!("{base}/volumeMounts"),
                    Value::MountList(state.added_mounts),
                ));
            } else {
                ops.extend(
                    state
                        .added_mounts
                        .into_iter()
                        .map(|m| add(format!("{base}/volumeMounts/-"), Value::Mount(m))),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(
            escape("eks.amazonaws.com/pod-identity"),
            "eks.amazonaws.com~1pod-identity"
        );
        assert_eq!(escape("a~b/c"), "a~0b~1c");
    }
}
