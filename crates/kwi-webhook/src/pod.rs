//! The parts of a Pod the webhook reads. Everything else in the pod is skipped unread, which is
//! why no field kwi has never heard of can be lost: kwi patches, it never re-serialises.
//!
//! These serde types say what is read; `review_scan` reads the same members on its fast path, so a
//! member added here must be added there too (its tests compare the two readers on a review that
//! holds every member).

use std::borrow::Cow;
use std::collections::BTreeMap;

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A string map (labels, annotations, node selector); `null` reads as empty.
pub(crate) type StrMap<'a> = BTreeMap<Cow<'a, str>, Cow<'a, str>>;

/// A pod, as much of it as the mutation reads.
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self")]
pub(crate) struct Pod<'a> {
    #[serde(borrow, default)]
    pub metadata: Option<Metadata<'a>>,
    #[serde(borrow, default)]
    pub spec: Option<Spec<'a>>,
}

/// `metadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self")]
pub(crate) struct Metadata<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "generateName")]
    pub generate_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub labels: Option<StrMap<'a>>,
    #[serde(borrow, default)]
    pub annotations: Option<StrMap<'a>>,
}

/// `spec`.
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self")]
pub(crate) struct Spec<'a> {
    #[serde(borrow, default, rename = "serviceAccountName")]
    pub service_account_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "nodeSelector")]
    pub node_selector: Option<StrMap<'a>>,
    #[serde(borrow, default)]
    pub volumes: Option<Vec<Named<'a>>>,
    #[serde(borrow, default)]
    pub containers: Option<Vec<Container<'a>>>,
    #[serde(borrow, default, rename = "initContainers")]
    pub init_containers: Option<Vec<Container<'a>>>,
    #[serde(default, rename = "securityContext")]
    pub security_context: Option<PodSecurityContext>,
}

/// `spec.securityContext`: only whether `fsGroup` is set.
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self")]
pub(crate) struct PodSecurityContext {
    #[serde(default, rename = "fsGroup")]
    pub fs_group: Option<IgnoredAny>,
}

/// A container: its name, the names of its env vars and of its volume mounts.
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self")]
pub(crate) struct Container<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub env: Option<Vec<Named<'a>>>,
    #[serde(borrow, default, rename = "volumeMounts")]
    pub volume_mounts: Option<Vec<Named<'a>>>,
}

/// Any list element identified by `name` (volume, env var, volume mount).
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self")]
pub(crate) struct Named<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
}

/// Serde's derived structs also read JSON arrays (as tuples); a pod's objects must be JSON objects,
/// or kwi would patch members into an array. Each struct is read through this map-only visitor.
macro_rules! objects_only {
    ($ty:ident<$a:lifetime>, $what:literal) => {
        impl<'de: $a, $a> Deserialize<'de> for $ty<$a> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor<$a>(PhantomData<&$a ()>);
                impl<'de: $a, $a> Visitor<'de> for ObjectVisitor<$a> {
                    type Value = $ty<$a>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                        $ty::deserialize(MapAccessDeserializer::new(map))
                    }
                }
                deserializer.deserialize_map(ObjectVisitor(PhantomData))
            }
        }
    };
}

objects_only!(Pod<'a>, "a Pod object");
objects_only!(Metadata<'a>, "an ObjectMeta object");
objects_only!(Spec<'a>, "a PodSpec object");
objects_only!(Container<'a>, "a Container object");
objects_only!(Named<'a>, "an object with a name");

impl<'de> Deserialize<'de> for PodSecurityContext {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = PodSecurityContext;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a PodSecurityContext object")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                PodSecurityContext::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

impl Named<'_> {
    /// The name, "" when absent (as Go reads it).
    pub(crate) fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

impl<'a> Pod<'a> {
    /// A label's value.
    pub(crate) fn label(&self, key: &str) -> Option<&str> {
        self.metadata
            .as_ref()?
            .labels
            .as_ref()?
            .get(key)
            .map(|v| v.as_ref())
    }

    /// An annotation's value.
    pub(crate) fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata
            .as_ref()?
            .annotations
            .as_ref()?
            .get(key)
            .map(|v| v.as_ref())
    }

    /// A pod annotation holding a list (`skip-containers`): the names between separators, trimmed.
    pub(crate) fn annotation_list(&self, key: &str, separator: char) -> Vec<String> {
        self.annotation(key)
            .map(|list| {
                list.split(separator)
                    .map(|name| name.trim().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `metadata.labels` is a (possibly empty) object rather than absent or null.
    pub(crate) fn has_labels(&self) -> bool {
        self.metadata.as_ref().is_some_and(|m| m.labels.is_some())
    }

    /// Whether `metadata.annotations` is present.
    pub(crate) fn has_annotations(&self) -> bool {
        self.metadata
            .as_ref()
            .is_some_and(|m| m.annotations.is_some())
    }

    /// The pod's name, or its generateName (what a Deployment's pods have at admission).
    pub(crate) fn name_or_generate_name(&self) -> &str {
        let meta = self.metadata.as_ref();
        match meta
            .and_then(|m| m.name.as_deref())
            .filter(|n| !n.is_empty())
        {
            Some(name) => name,
            None => meta.and_then(|m| m.generate_name.as_deref()).unwrap_or(""),
        }
    }

    /// The pod's ServiceAccount; "default" when unset, as kube-apiserver's ServiceAccount
    /// admission plugin (which runs before webhooks) sets it.
    pub(crate) fn service_account_name(&self) -> &str {
        match self
            .spec
            .as_ref()
            .and_then(|s| s.service_account_name.as_deref())
        {
            Some(name) if !name.is_empty() => name,
            _ => "default",
        }
    }

    /// Whether the pod's node selector asks for Windows nodes (either os label).
    pub(crate) fn is_windows(&self) -> bool {
        let Some(selector) = self.spec.as_ref().and_then(|s| s.node_selector.as_ref()) else {
            return false;
        };
        ["beta.kubernetes.io/os", "kubernetes.io/os"]
            .iter()
            .any(|key| selector.get(*key).is_some_and(|os| os == "windows"))
    }

    /// Whether a pod volume already has this name.
    pub(crate) fn has_volume(&self, name: &str) -> bool {
        self.volumes()
            .is_some_and(|v| v.iter().any(|vol| vol.name() == name))
    }

    /// `spec.volumes`, when present.
    pub(crate) fn volumes(&self) -> Option<&[Named<'a>]> {
        self.spec.as_ref()?.volumes.as_deref()
    }

    /// `spec.containers` (empty when absent).
    pub(crate) fn containers(&self) -> &[Container<'a>] {
        self.spec
            .as_ref()
            .and_then(|s| s.containers.as_deref())
            .unwrap_or(&[])
    }

    /// `spec.initContainers` (empty when absent).
    pub(crate) fn init_containers(&self) -> &[Container<'a>] {
        self.spec
            .as_ref()
            .and_then(|s| s.init_containers.as_deref())
            .unwrap_or(&[])
    }

    /// Whether `spec.securityContext.fsGroup` is set.
    pub(crate) fn has_fs_group(&self) -> bool {
        self.security_context()
            .is_some_and(|c| c.fs_group.is_some())
    }

    /// `spec.securityContext`, when present.
    pub(crate) fn security_context(&self) -> Option<&PodSecurityContext> {
        self.spec.as_ref()?.security_context.as_ref()
    }
}

impl Container<'_> {
    /// The container's name, "" when absent.
    pub(crate) fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    /// Whether the container sets this env var.
    pub(crate) fn has_env(&self, name: &str) -> bool {
        self.env
            .as_ref()
            .is_some_and(|env| env.iter().any(|e| e.name() == name))
    }

    /// Whether the container mounts a volume of this name.
    pub(crate) fn has_mount(&self, volume: &str) -> bool {
        self.volume_mounts
            .as_ref()
            .is_some_and(|m| m.iter().any(|v| v.name() == volume))
    }
}
