//! The mutation as a pure function: an AdmissionReview and what is known about the pod's
//! ServiceAccount in, the AdmissionReview response out. No I/O, no clock, no randomness.

use crate::aws::{self, AwsMethod};
use crate::config::{Profile, WebhookConfig};
use crate::directory::{Directory, Lookup};
use crate::error::ReviewError;
use crate::go_syntax::parse_int;
use crate::injection::Injection;
use crate::patch;
use crate::pod::Pod;
use crate::review::{self, Parsed, Rejection, ReviewVersion, Target};
use crate::{azure, gcp, vault};

/// The annotation (pod, else ServiceAccount) that sets the `fsGroup` of a mutated pod that has
/// none, so a non-root container can read its token; `"none"` turns a `--fs-group` default off.
pub const FS_GROUP_ANNOTATION: &str = "kwi.dev/fs-group";

/// What a profile did to a pod (upstream's `pod_identity_webhook_pod_count` method label, and more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// AWS, by one of its two methods.
    Aws(AwsMethod),
    /// Azure Workload Identity.
    Azure,
    /// Google workload identity federation.
    Gcp,
    /// Vault JWT login.
    Vault,
}

/// The answer to one AdmissionReview.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// The AdmissionReview response to send back (JSON).
    pub review: Vec<u8>,
    /// The JSON patch it carries (empty when the pod is admitted unchanged).
    pub patch: Vec<u8>,
    /// The profiles that applied to the pod.
    pub applied: Vec<Applied>,
    /// Annotation values kwi could not use, also returned to the client as warnings.
    pub notes: Vec<String>,
    /// What was wrong with the request, when it could not be read.
    pub error: Option<ReviewError>,
}

impl From<Rejection> for Mutation {
    fn from(rejection: Rejection) -> Self {
        let message = rejection.error.to_string();
        let review = review::response(rejection.version, &rejection.uid, None, Some(&message), &[]);
        Self {
            review,
            patch: Vec::new(),
            applied: Vec::new(),
            notes: Vec::new(),
            error: Some(rejection.error),
        }
    }
}

/// A parsed AdmissionReview request, ready to be mutated once its ServiceAccount is looked up.
#[derive(Debug)]
pub struct AdmissionRequest<'a> {
    parsed: Parsed<'a>,
}

impl<'a> AdmissionRequest<'a> {
    /// Reads an AdmissionReview; a request that cannot be read is a `Rejection`, which still
    /// answers (`Mutation::from`): allowed, unmutated, with a `status.message` saying why.
    pub fn parse(body: &'a [u8]) -> Result<Self, Rejection> {
        review::parse(body).map(|parsed| Self { parsed })
    }

    /// The request's version.
    pub fn version(&self) -> ReviewVersion {
        self.parsed.version
    }

    /// The request's uid.
    pub fn uid(&self) -> &str {
        &self.parsed.uid
    }

    /// The namespace and ServiceAccount of the pod to mutate; `None` when nothing is to be mutated
    /// (not a pod creation, or the pod opts out).
    pub fn subject(&self) -> Option<(&str, &str)> {
        match &self.parsed.target {
            Target::Pod(pod) => Some((&self.parsed.namespace, pod.service_account_name())),
            Target::PassThrough(_) => None,
        }
    }

    /// The pod's name, or its generateName (for logs); `None` when the request is not a pod creation.
    pub fn pod_name(&self) -> Option<&str> {
        match &self.parsed.target {
            Target::Pod(pod) => Some(pod.name_or_generate_name()),
            Target::PassThrough(_) => None,
        }
    }

    /// The answer, given what is known about the pod's ServiceAccount.
    pub fn mutate(&self, config: &WebhookConfig, lookup: &Lookup<'_>) -> Mutation {
        let (version, uid) = (self.parsed.version, self.parsed.uid.as_ref());
        let pod = match &self.parsed.target {
            Target::Pod(pod) => pod,
            Target::PassThrough(reason) => {
                return unchanged(version, uid, Some(reason), Vec::new(), Vec::new());
            }
        };
        let skip_label = format!("{}/skip-pod-identity-webhook", config.aws.annotation_prefix);
        if pod.label(&skip_label).is_some() {
            return unchanged(
                version,
                uid,
                Some(&format!("not mutated: the pod has the {skip_label} label")),
                Vec::new(),
                Vec::new(),
            );
        }
        let mut notes = Vec::new();
        let mut applied = Vec::new();
        let mut injections: Vec<Injection> = Vec::new();
        for profile in &config.profiles {
            let injection = match profile {
                Profile::Aws => aws::inject(pod, &config.aws, lookup, uid, &mut notes)
                    .map(|(method, i)| (Applied::Aws(method), i)),
                Profile::Azure => azure::inject(pod, &config.azure, lookup, &mut notes)
                    .map(|i| (Applied::Azure, i)),
                Profile::Gcp => {
                    gcp::inject(pod, &config.gcp, lookup, &mut notes).map(|i| (Applied::Gcp, i))
                }
                Profile::Vault => vault::inject(pod, &config.vault, lookup, &mut notes)
                    .map(|i| (Applied::Vault, i)),
            };
            if let Some((what, injection)) = injection {
                applied.push(what);
                injections.push(injection);
            }
        }
        if injections.is_empty() {
            return unchanged(version, uid, None, applied, notes);
        }
        let fs_group = fs_group(pod, config, lookup, &mut notes);
        let patch = patch::build(pod, &injections, fs_group);
        if patch.is_empty() {
            return unchanged(version, uid, None, applied, notes);
        }
        let review = review::response(version, uid, Some(&patch), None, &warnings(&notes));
        Mutation {
            review,
            patch,
            applied,
            notes,
            error: None,
        }
    }
}

/// Parses, looks the ServiceAccount up in `directory`, and mutates: the whole webhook for one
/// request when everything is in memory.
pub fn mutate(body: &[u8], config: &WebhookConfig, directory: &Directory) -> Mutation {
    match AdmissionRequest::parse(body) {
        Err(rejection) => rejection.into(),
        Ok(request) => {
            let lookup = request
                .subject()
                .map(|(ns, sa)| directory.lookup(ns, sa))
                .unwrap_or_default();
            request.mutate(config, &lookup)
        }
    }
}

fn unchanged(
    version: ReviewVersion,
    uid: &str,
    message: Option<&str>,
    applied: Vec<Applied>,
    notes: Vec<String>,
) -> Mutation {
    let review = review::response(version, uid, None, message, &warnings(&notes));
    Mutation {
        review,
        patch: Vec::new(),
        applied,
        notes,
        error: None,
    }
}

fn warnings(notes: &[String]) -> Vec<String> {
    notes.iter().map(|n| format!("kwi webhook: {n}")).collect()
}

/// The pod's annotation, else its ServiceAccount's, else `--fs-group`.
fn fs_group(
    pod: &Pod<'_>,
    config: &WebhookConfig,
    lookup: &Lookup<'_>,
    notes: &mut Vec<String>,
) -> Option<i64> {
    let from_sa = lookup
        .service_account
        .and_then(|sa| sa.annotation(FS_GROUP_ANNOTATION));
    let Some(value) = pod.annotation(FS_GROUP_ANNOTATION).or(from_sa) else {
        return config.fs_group;
    };
    if value.eq_ignore_ascii_case("none") {
        return None;
    }
    match parse_int(value).filter(|gid| *gid >= 0) {
        Some(gid) => Some(gid),
        None => {
            notes.push(format!(
                "{FS_GROUP_ANNOTATION}: {value:?} is not a group id (or \"none\"); ignored"
            ));
            config.fs_group
        }
    }
}
