//! Where a site is published: `file://DIR`, `s3://BUCKET[/PREFIX]`, `gs://BUCKET[/PREFIX]`,
//! `az://ACCOUNT/CONTAINER[/PREFIX]`, parsed once.

use std::path::PathBuf;

use crate::PublishError;

/// A publish destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A local folder (served by a web server of your own).
    Folder(PathBuf),
    /// An S3 bucket, objects under a prefix.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix without leading or trailing `/` (empty: the bucket's root).
        prefix: String,
    },
    /// A Google Cloud Storage bucket.
    Gcs {
        /// Bucket name.
        bucket: String,
        /// Object name prefix.
        prefix: String,
    },
    /// An Azure Blob Storage container.
    Azure {
        /// Storage account.
        account: String,
        /// Container.
        container: String,
        /// Blob name prefix.
        prefix: String,
    },
}

const FORMS: &str =
    "file://DIR, s3://BUCKET[/PREFIX], gs://BUCKET[/PREFIX] or az://ACCOUNT/CONTAINER[/PREFIX]";

/// Checks a key prefix: plain `/`-separated segments, no `.`/`..`, nothing a URL would change.
fn checked_prefix(url: &str, prefix: &str) -> Result<String, PublishError> {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return Ok(String::new());
    }
    for segment in prefix.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(PublishError::usage(format!(
                "{url}: the prefix has an empty, '.' or '..' segment"
            )));
        }
        if !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        {
            return Err(PublishError::usage(format!(
                "{url}: the prefix may hold letters, digits and -._~ only (it becomes part of the issuer URL)"
            )));
        }
    }
    Ok(prefix.to_string())
}

/// S3 and GCS bucket names: 3 to 63 lower-case letters, digits, '-' and '.', starting and
/// ending with a letter or digit.
fn checked_bucket(url: &str, bucket: &str) -> Result<String, PublishError> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !bucket.contains("..");
    if !ok {
        return Err(PublishError::usage(format!(
            "{url}: {bucket:?} is not a bucket name (3 to 63 lower-case letters, digits, '-' and '.')"
        )));
    }
    Ok(bucket.to_string())
}

/// Azure account (3-24 lower-case letters and digits) and container (3-63, also '-').
fn checked_azure(url: &str, account: &str, container: &str) -> Result<(), PublishError> {
    let account_ok = (3..=24).contains(&account.len())
        && account
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let container_ok = (3..=63).contains(&container.len())
        && container
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !container.starts_with('-')
        && !container.ends_with('-')
        && !container.contains("--");
    if !account_ok || !container_ok {
        return Err(PublishError::usage(format!(
            "{url}: give az://ACCOUNT/CONTAINER[/PREFIX] (account: 3 to 24 lower-case letters and digits; container: 3 to 63 lower-case letters, digits and single '-')"
        )));
    }
    Ok(())
}

impl Target {
    /// Parses a folder or bucket URL. Errors begin with the URL: the caller puts the name of
    /// the flag that gave it (`--to`, `--for-bucket`) before them.
    pub fn parse(url: &str) -> Result<Target, PublishError> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(PublishError::usage(format!("{url}: give one of {FORMS}")));
        };
        let (head, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        match scheme {
            "file" => {
                if rest.is_empty() {
                    return Err(PublishError::usage(format!(
                        "{url}: give the folder, e.g. file:///srv/issuer or file://site-out"
                    )));
                }
                Ok(Target::Folder(PathBuf::from(rest)))
            }
            "s3" => Ok(Target::S3 {
                bucket: checked_bucket(url, head)?,
                prefix: checked_prefix(url, prefix)?,
            }),
            "gs" => Ok(Target::Gcs {
                bucket: checked_bucket(url, head)?,
                prefix: checked_prefix(url, prefix)?,
            }),
            "az" => {
                let (container, prefix) = prefix.split_once('/').unwrap_or((prefix, ""));
                checked_azure(url, head, container)?;
                Ok(Target::Azure {
                    account: head.to_string(),
                    container: container.to_string(),
                    prefix: checked_prefix(url, prefix)?,
                })
            }
            _ => Err(PublishError::usage(format!(
                "{url}: unknown scheme {scheme:?}; give one of {FORMS}"
            ))),
        }
    }

    /// The key prefix inside the bucket or container (empty for a folder).
    pub fn prefix(&self) -> &str {
        match self {
            Target::Folder(_) => "",
            Target::S3 { prefix, .. }
            | Target::Gcs { prefix, .. }
            | Target::Azure { prefix, .. } => prefix,
        }
    }

    /// The object key of a site path.
    pub fn object_key(&self, path: &str) -> String {
        match self.prefix() {
            "" => path.to_string(),
            prefix => format!("{prefix}/{path}"),
        }
    }

    /// How an object is named in messages: `s3://bucket/prefix/path`.
    pub fn describe(&self, path: &str) -> String {
        match self {
            Target::Folder(dir) => dir.join(path).display().to_string(),
            Target::S3 { bucket, .. } => format!("s3://{bucket}/{}", self.object_key(path)),
            Target::Gcs { bucket, .. } => format!("gs://{bucket}/{}", self.object_key(path)),
            Target::Azure {
                account, container, ..
            } => format!("az://{account}/{container}/{}", self.object_key(path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        assert_eq!(
            Target::parse("s3://my-bucket/clusters/prod/").unwrap(),
            Target::S3 {
                bucket: "my-bucket".into(),
                prefix: "clusters/prod".into()
            }
        );
        assert_eq!(
            Target::parse("gs://b.example").unwrap(),
            Target::Gcs {
                bucket: "b.example".into(),
                prefix: String::new()
            }
        );
        let az = Target::parse("az://acct1/oidc/c1").unwrap();
        assert_eq!(az.describe("keys.json"), "az://acct1/oidc/c1/keys.json");
        assert_eq!(
            Target::parse("file:///srv/x").unwrap(),
            Target::Folder("/srv/x".into())
        );
    }

    #[test]
    fn each_bad_form_says_why() {
        for (url, words) in [
            ("bucket", "give one of"),
            ("http://x/y", "unknown scheme"),
            ("s3://UPPER", "not a bucket name"),
            ("s3://ab", "not a bucket name"),
            ("s3://b-1/a//b", "empty"),
            ("s3://b-1/a/../b", "'..'"),
            ("s3://b-1/a b", "letters, digits"),
            ("az://acct", "az://ACCOUNT/CONTAINER"),
            ("az://Acct/c1c", "az://ACCOUNT/CONTAINER"),
            ("file://", "give the folder"),
        ] {
            let err = Target::parse(url).unwrap_err();
            assert!(err.message.contains(words), "{url}: {err}");
        }
    }
}
