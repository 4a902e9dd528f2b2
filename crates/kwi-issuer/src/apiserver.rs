//! The kube-apiserver flags that make a cluster sign service-account tokens for an issuer, and
//! the traps that break clusters when they are set by hand.

use kwi_jose::{Format, Key};

use crate::discovery::check_jwks_uri;
use crate::{IssuerError, IssuerUrl};

/// How to print the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlagsFormat {
    /// `--name=value`, one per line.
    #[default]
    Flags,
    /// A kubeadm `ClusterConfiguration` (v1beta4) snippet.
    Kubeadm,
    /// A k3s `config.yaml` snippet.
    K3s,
}

/// A key file as the user named it, with what kwi found in it.
#[derive(Debug, Clone)]
pub struct KeyFile {
    /// The path as given (kube-apiserver will open this path).
    pub path: String,
    /// The keys found in it, with their formats.
    pub keys: Vec<(Key, Format)>,
}

/// The service-account settings of kube-apiserver.
#[derive(Debug, Clone)]
pub struct ApiserverFlags {
    /// `--service-account-issuer`.
    pub issuer: IssuerUrl,
    /// `--service-account-signing-key-file`.
    pub signing_key: KeyFile,
    /// `--service-account-key-file`, repeated; the signing key file when empty.
    pub verification_keys: Vec<KeyFile>,
    /// `--api-audiences`.
    pub audiences: Vec<String>,
    /// `--service-account-jwks-uri`.
    pub jwks_uri: Option<String>,
}

/// The audience the EKS pod identity webhook requests for AWS STS.
const STS_AUDIENCE: &str = "sts.amazonaws.com";

impl ApiserverFlags {
    /// Checks what would stop kube-apiserver from starting.
    pub fn check(&self) -> Result<(), IssuerError> {
        if let Some(uri) = &self.jwks_uri {
            check_jwks_uri(uri)?;
        }
        // A line break in a value would start another flag (`--audience $'x\n--authorization-mode=AlwaysAllow'`).
        let bad = |flag, value: &str, rule| IssuerError::BadFlag {
            flag,
            value: value.to_string(),
            rule,
        };
        for audience in &self.audiences {
            if audience.trim().is_empty() {
                return Err(bad("--audience", audience, "is empty"));
            }
            if audience.chars().any(char::is_control) {
                return Err(bad(
                    "--audience",
                    audience,
                    "holds a control character (a line break?)",
                ));
            }
        }
        for file in std::iter::once(&self.signing_key).chain(&self.verification_keys) {
            if file.path.chars().any(char::is_control) {
                return Err(bad(
                    "key file",
                    &file.path,
                    "holds a control character (a line break?)",
                ));
            }
        }
        Ok(())
    }

    fn key_files(&self) -> Vec<&KeyFile> {
        if self.verification_keys.is_empty() {
            vec![&self.signing_key]
        } else {
            self.verification_keys.iter().collect()
        }
    }

    /// The flags as (name, value) pairs, in the order kube-apiserver documents them.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        let mut args = vec![
            ("service-account-issuer", self.issuer.to_string()),
            (
                "service-account-signing-key-file",
                self.signing_key.path.clone(),
            ),
        ];
        for file in self.key_files() {
            args.push(("service-account-key-file", file.path.clone()));
        }
        if !self.audiences.is_empty() {
            args.push(("api-audiences", self.audiences.join(",")));
        }
        if let Some(uri) = &self.jwks_uri {
            args.push(("service-account-jwks-uri", uri.clone()));
        }
        args
    }

    /// The flags in the requested form.
    pub fn render(&self, format: FlagsFormat) -> String {
        // A JSON string value always encodes: its `Display` cannot fail.
        let quote = |s: &str| serde_json::Value::from(s).to_string();
        let mut out = String::new();
        match format {
            FlagsFormat::Flags => {
                for (name, value) in self.args() {
                    out.push_str(&format!("--{name}={value}\n"));
                }
            }
            FlagsFormat::Kubeadm => {
                out.push_str("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n");
                for (name, value) in self.args() {
                    out.push_str(&format!(
                        "    - name: {name}\n      value: {}\n",
                        quote(&value)
                    ));
                }
            }
            FlagsFormat::K3s => {
                out.push_str("kube-apiserver-arg:\n");
                for (name, value) in self.args() {
                    out.push_str(&format!("  - {}\n", quote(&format!("{name}={value}"))));
                }
            }
        }
        out
    }

    /// What would break the cluster's service-account tokens outright (a signing key
    /// kube-apiserver cannot sign with, or tokens it would itself reject), each with its fix.
    pub fn errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        self.warn_signing_key(&mut errors);
        if let Some(unverified) = self.unverified_signing_key() {
            errors.push(unverified);
        }
        errors
    }

    /// What will make the cluster misbehave or is worth knowing, each with its fix (advice
    /// starts with "note: ").
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        self.warn_key_files(&mut warnings);
        self.warn_audiences(&mut warnings);
        for path in std::iter::once(&self.signing_key.path)
            .chain(self.verification_keys.iter().map(|f| &f.path))
        {
            if !path.starts_with('/') {
                warnings.push(format!(
                    "{path}: a relative path is resolved in kube-apiserver's working directory; give the absolute path on the control-plane node (e.g. /etc/kubernetes/pki/sa.key)"
                ));
            }
        }
        warnings
    }

    fn warn_signing_key(&self, warnings: &mut Vec<String>) {
        let file = &self.signing_key;
        match file.keys.as_slice() {
            [(key, format)] => {
                if !key.is_private() {
                    warnings.push(format!(
                        "{}: this is a {}, but --service-account-signing-key-file needs the private key",
                        file.path,
                        key.describe()
                    ));
                } else if !key.public().kubernetes_supported() {
                    warnings.push(format!(
                        "{}: kube-apiserver cannot sign with an {}; generate an RSA or ECDSA key: kwi keys generate --out sa.key",
                        file.path,
                        key.describe()
                    ));
                } else if !matches!(format, Format::Pem("PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY")) {
                    warnings.push(format!(
                        "{}: kube-apiserver reads signing keys only as PEM PKCS#8, PKCS#1 or SEC1, and this is {}; run: kwi keys convert {} --to pkcs8 -o {}",
                        file.path,
                        format.describe(),
                        file.path,
                        sibling_file(&file.path, "pem")
                    ));
                }
            }
            keys => warnings.push(format!(
                "{}: holds {} keys; --service-account-signing-key-file must hold exactly one private key",
                file.path,
                keys.len()
            )),
        }
    }

    fn warn_key_files(&self, warnings: &mut Vec<String>) {
        let files = self.key_files();
        for file in &files {
            for (key, format) in &file.keys {
                if !format.kube_apiserver_reads() {
                    let (label, fix) = match format {
                        Format::Pem("RSA PUBLIC KEY") => ("PKCS#1 \"RSA PUBLIC KEY\"", "spki"),
                        _ => ("", "spki"),
                    };
                    let what = if label.is_empty() {
                        format.describe()
                    } else {
                        label.to_string()
                    };
                    warnings.push(format!(
                        "{}: {what}: kube-apiserver reads only SPKI \"PUBLIC KEY\" (or private key and certificate PEM) and will ignore this key; run: kwi keys convert {} --to {fix} -o {}",
                        file.path,
                        file.path,
                        sibling_file(&file.path, "pem")
                    ));
                } else if !key.public().kubernetes_supported() {
                    warnings.push(format!(
                        "{}: kube-apiserver cannot use an {}",
                        file.path,
                        key.describe()
                    ));
                }
            }
        }
        if let [(signing, _)] = self.signing_key.keys.as_slice() {
            let distinct = files
                .iter()
                .flat_map(|f| &f.keys)
                .filter(|(k, _)| k.public() != signing.public())
                .count();
            if distinct == 0 {
                warnings.push(
                    "note: only the signing key verifies tokens. When you rotate it, keep the old public key as another --key until every token it signed has expired, or running pods lose their identity".to_string(),
                );
            }
        }
    }

    fn unverified_signing_key(&self) -> Option<String> {
        let [(signing, _)] = self.signing_key.keys.as_slice() else {
            return None;
        };
        let verified = self
            .key_files()
            .iter()
            .flat_map(|f| &f.keys)
            .any(|(k, format)| k.public() == signing.public() && format.kube_apiserver_reads());
        (!verified).then(|| {
            format!(
                "the public half of {} is in no --key file that kube-apiserver can read: tokens it signs will be rejected by the cluster itself; add --key with its public key (kwi keys convert {} --to spki --public -o {})",
                self.signing_key.path,
                self.signing_key.path,
                sibling_file(&self.signing_key.path, "pub")
            )
        })
    }

    fn warn_audiences(&self, warnings: &mut Vec<String>) {
        if self.audiences.is_empty() {
            return;
        }
        if self.audiences.iter().any(|a| a == STS_AUDIENCE) {
            warnings.push(format!(
                "--api-audiences has {STS_AUDIENCE}: every pod's default token would then carry it and be accepted by AWS as well as by your API server; leave it out of --audience and let the pod identity webhook request it (its --token-audience)"
            ));
        }
        let in_cluster = [
            self.issuer.as_str(),
            "https://kubernetes.default.svc",
            "https://kubernetes.default.svc.cluster.local",
            "kubernetes.default.svc",
        ];
        if !self
            .audiences
            .iter()
            .any(|a| in_cluster.contains(&a.as_str()))
        {
            warnings.push(format!(
                "--api-audiences replaces the default (the issuer URL, {0}): tokens already issued for it, and clients that ask for the in-cluster audience, will be rejected by the API server; keep one in the list, e.g. --audience {0}",
                self.issuer
            ));
        }
    }
}

/// A file name for a converted copy of `path`, to suggest in a hint: `path` with its extension
/// replaced by `extension` (`sa.key` -> `sa.pub`), or with `extension` appended when that would
/// name `path` itself, so that following a hint never overwrites the input.
pub fn sibling_file(path: &str, extension: &str) -> String {
    let p = std::path::Path::new(path);
    let replaced = p.with_extension(extension);
    if replaced == p {
        format!("{path}.{extension}")
    } else {
        replaced.display().to_string()
    }
}
