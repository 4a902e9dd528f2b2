//! The minimal RFC 6902 patch: only `add` operations for what the pod lacks (`…/env/-`,
//! `…/volumeMounts/-`, the volumes, a label, an annotation, `fsGroup`), so every field of the pod
//! kwi does not touch, known to it or not, stays as the client wrote it.

use std::collections::BTreeMap;

use crate::injection::{ContainerState, Injection, Volume};
use crate::json_out::{self, WriteJson};
use crate::pod::{Container, Pod};

/// The patch being written: `[` and the operations so far, each
/// `{"op":"add","path":…,"value":…}` as serde_json would write it.
struct Patch {
    out: Vec<u8>,
    /// The path of the next operation (reused from one operation to the next).
    path: String,
}

impl Patch {
    /// An `add` of `value` at `self.path`.
    fn add(&mut self, value: &(impl WriteJson + ?Sized)) {
        self.out.push(if self.out.is_empty() { b'[' } else { b',' });
        self.out.extend_from_slice(b"{\"op\":\"add\",\"path\":");
        json_out::string(&mut self.out, &self.path);
        self.out.extend_from_slice(b",\"value\":");
        value.write_json(&mut self.out);
        self.out.push(b'}');
    }

    /// An `add` of `value` at `path`.
    fn add_at(&mut self, path: &str, value: &(impl WriteJson + ?Sized)) {
        self.path.clear();
        self.path.push_str(path);
        self.add(value);
    }

    /// The patch, empty when it has no operation.
    fn finish(mut self) -> Vec<u8> {
        if !self.out.is_empty() {
            self.out.push(b']');
        }
        self.out
    }
}

/// `{"fsGroup":N}`.
struct FsGroup(i64);

impl WriteJson for FsGroup {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"fsGroup\":");
        json_out::int(out, self.0);
        out.push(b'}');
    }
}

/// `metadata` with its labels and annotations, each left out when empty.
struct Metadata {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

impl WriteJson for Metadata {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        let mut first = true;
        for (field, map) in [("labels", &self.labels), ("annotations", &self.annotations)] {
            if map.is_empty() {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            json_out::key(out, field);
            map.write_json(out);
        }
        out.push(b'}');
    }
}

/// RFC 6901 escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The patch (JSON) for a pod given what each profile injects; empty when the pod already has it all.
pub(crate) fn build(pod: &Pod<'_>, injections: &[Injection], fs_group: Option<i64>) -> Vec<u8> {
    let mut patch = Patch {
        out: Vec::new(),
        path: String::new(),
    };
    if pod.spec.is_none() {
        return patch.finish();
    }
    let containers = pod.init_containers().len() + pod.containers().len();
    // About what a container gets from one profile: a few env vars and a mount.
    patch.out.reserve(512 + 800 * containers * injections.len());
    metadata_ops(pod, injections, &mut patch);
    volume_ops(pod, injections, &mut patch);
    container_ops(
        "initContainers",
        pod.init_containers(),
        injections,
        &mut patch,
    );
    container_ops("containers", pod.containers(), injections, &mut patch);
    if let Some(gid) = fs_group.filter(|_| !pod.has_fs_group()) {
        match pod.security_context() {
            None => patch.add_at("/spec/securityContext", &FsGroup(gid)),
            Some(_) => patch.add_at("/spec/securityContext/fsGroup", &gid),
        }
    }
    patch.finish()
}

/// Labels and annotations the pod does not already carry with the same value.
fn metadata_ops(pod: &Pod<'_>, injections: &[Injection], patch: &mut Patch) {
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
        patch.add_at(
            "/metadata",
            &Metadata {
                labels,
                annotations,
            },
        );
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
            patch.add_at(&format!("/metadata/{field}"), &map);
            continue;
        }
        for (key, value) in &map {
            patch.add_at(&format!("/metadata/{field}/{}", escape(key)), value);
        }
    }
}

/// The volumes no pod volume has the name of, in front of the pod's own (where upstream puts its).
fn volume_ops(pod: &Pod<'_>, injections: &[Injection], patch: &mut Patch) {
    let mut new: Vec<&Volume> = Vec::new();
    for volume in injections.iter().flat_map(|i| &i.volumes) {
        if !pod.has_volume(&volume.name) && !new.iter().any(|v| v.name == volume.name) {
            new.push(volume);
        }
    }
    if new.is_empty() {
        return;
    }
    if pod.volumes().is_none() {
        patch.add_at("/spec/volumes", new.as_slice());
        return;
    }
    for volume in new.into_iter().rev() {
        patch.add_at("/spec/volumes/0", volume);
    }
}

/// For each container, the env vars and mounts the profiles add, appended after the container's own.
fn container_ops<'p>(
    list: &str,
    containers: &'p [Container<'p>],
    injections: &[Injection],
    patch: &mut Patch,
) {
    let mut state = ContainerState::default();
    for (index, container) in containers.iter().enumerate() {
        state.reset(container);
        for injection in injections {
            if !injection
                .skip_containers
                .iter()
                .any(|name| name == container.name())
            {
                state.apply(&injection.containers);
            }
        }
        // `/spec/{list}/{index}/{field}`.
        let set_path = |patch: &mut Patch, field: &str| {
            let path = &mut patch.path;
            path.clear();
            path.push_str("/spec/");
            path.push_str(list);
            path.push('/');
            json_out::push_uint(path, index as u64);
            path.push('/');
            path.push_str(field);
        };
        if !state.added_env.is_empty() {
            if container.env.is_none() {
                set_path(patch, "env");
                patch.add(state.added_env.as_slice());
            } else {
                set_path(patch, "env/-");
                for var in &state.added_env {
                    patch.add(var);
                }
            }
        }
        if !state.added_mounts.is_empty() {
            if container.volume_mounts.is_none() {
                set_path(patch, "volumeMounts");
                patch.add(state.added_mounts.as_slice());
            } else {
                set_path(patch, "volumeMounts/-");
                for mount in &state.added_mounts {
                    patch.add(mount);
                }
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
