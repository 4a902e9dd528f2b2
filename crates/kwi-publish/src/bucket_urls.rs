//! The public HTTPS URLs at which a bucket's objects are read anonymously: the issuer URLs a
//! bucket can be.

use crate::{PublishError, Target};

/// How the bucket appears in an S3 URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlStyle {
    /// `https://BUCKET.s3.REGION.amazonaws.com/PREFIX`.
    VirtualHosted,
    /// `https://s3.REGION.amazonaws.com/BUCKET/PREFIX` (the EKS guide's form).
    Path,
}

/// One URL of a bucket, with a note when relying parties cannot use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketUrl {
    /// Which form: `virtual-hosted`, `path`, `storage.googleapis.com`, `blob`.
    pub style: &'static str,
    /// The issuer URL (no trailing slash).
    pub url: String,
    /// Why it does not work, when it does not.
    pub unusable: Option<String>,
}

/// Checks an AWS region name (`us-west-2`).
fn checked_region(region: &str) -> Result<&str, PublishError> {
    let ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-');
    if !ok {
        return Err(PublishError::usage(format!(
            "region {region:?} is not an AWS region name (e.g. us-west-2)"
        )));
    }
    Ok(region)
}

/// The S3 domain of a region's partition.
fn s3_domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

fn with_prefix(base: String, prefix: &str) -> String {
    if prefix.is_empty() {
        base
    } else {
        format!("{base}/{prefix}")
    }
}

/// The public URLs of a target (S3 needs its region).
pub fn public_urls(target: &Target, region: Option<&str>) -> Result<Vec<BucketUrl>, PublishError> {
    let prefix = target.prefix();
    match target {
        Target::Folder(dir) => Err(PublishError::usage(format!(
            "{}: a folder has no public URL of its own; the issuer URL is wherever your web server serves it",
            dir.display()
        ))),
        Target::S3 { bucket, .. } => {
            let region = checked_region(region.ok_or_else(|| {
                PublishError::usage(format!(
                    "s3://{bucket}: the region is needed to name its URL: give --region or set AWS_REGION"
                ))
            })?)?;
            let domain = s3_domain(region);
            let dotted = bucket.contains('.').then(|| {
                format!(
                    "the certificate of *.s3.{region}.{domain} does not cover a bucket name with dots: HTTPS clients (STS) refuse it; use the path-style URL"
                )
            });
            Ok(vec![
                BucketUrl {
                    style: "virtual-hosted",
                    url: with_prefix(format!("https://{bucket}.s3.{region}.{domain}"), prefix),
                    unusable: dotted,
                },
                BucketUrl {
                    style: "path",
                    url: with_prefix(format!("https://s3.{region}.{domain}/{bucket}"), prefix),
                    unusable: None,
                },
            ])
        }
        Target::Gcs { bucket, .. } => Ok(vec![BucketUrl {
            style: "storage.googleapis.com",
            url: with_prefix(format!("https://storage.googleapis.com/{bucket}"), prefix),
            unusable: None,
        }]),
        Target::Azure {
            account, container, ..
        } => Ok(vec![BucketUrl {
            style: "blob",
            url: with_prefix(
                format!("https://{account}.blob.core.windows.net/{container}"),
                prefix,
            ),
            unusable: None,
        }]),
    }
}

/// The issuer URL for a bucket: virtual-hosted for S3 unless the bucket name has dots (then path
/// style) or `style` says otherwise.
pub fn issuer_url_for_bucket(
    target: &Target,
    region: Option<&str>,
    style: Option<UrlStyle>,
) -> Result<String, PublishError> {
    let urls = public_urls(target, region)?;
    let wanted = match style {
        Some(UrlStyle::VirtualHosted) => "virtual-hosted",
        Some(UrlStyle::Path) => "path",
        None => "",
    };
    let chosen = urls
        .iter()
        .find(|u| (wanted.is_empty() && u.unusable.is_none()) || u.style == wanted)
        .or(urls.first())
        .ok_or_else(|| PublishError::usage("the bucket has no public URL"))?;
    if let Some(why) = &chosen.unusable {
        return Err(PublishError::usage(format!("{}: {why}", chosen.url)));
    }
    if !wanted.is_empty() && chosen.style != wanted {
        return Err(PublishError::usage(format!(
            "--url-style applies to s3:// buckets only ({} has one URL form)",
            chosen.url
        )));
    }
    Ok(chosen.url.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_in_both_styles() {
        let t = Target::parse("s3://oidc-test/c1").unwrap();
        let urls = public_urls(&t, Some("us-west-2")).unwrap();
        assert_eq!(
            urls[0].url,
            "https://oidc-test.s3.us-west-2.amazonaws.com/c1"
        );
        assert_eq!(
            urls[1].url,
            "https://s3.us-west-2.amazonaws.com/oidc-test/c1"
        );
        assert_eq!(
            issuer_url_for_bucket(&t, Some("us-west-2"), None).unwrap(),
            urls[0].url
        );
        assert_eq!(
            issuer_url_for_bucket(&t, Some("us-west-2"), Some(UrlStyle::Path)).unwrap(),
            urls[1].url
        );
        let cn = public_urls(&Target::parse("s3://b-1").unwrap(), Some("cn-north-1")).unwrap();
        assert_eq!(cn[1].url, "https://s3.cn-north-1.amazonaws.com.cn/b-1");
    }

    #[test]
    fn dotted_buckets_get_the_path_style() {
        let t = Target::parse("s3://oidc.example.com").unwrap();
        assert_eq!(
            issuer_url_for_bucket(&t, Some("eu-west-1"), None).unwrap(),
            "https://s3.eu-west-1.amazonaws.com/oidc.example.com"
        );
        let err = issuer_url_for_bucket(&t, Some("eu-west-1"), Some(UrlStyle::VirtualHosted))
            .unwrap_err();
        assert!(err.message.contains("does not cover"), "{err}");
    }

    #[test]
    fn s3_needs_a_region_and_other_clouds_do_not() {
        let err = public_urls(&Target::parse("s3://b-1").unwrap(), None).unwrap_err();
        assert!(err.message.contains("--region"), "{err}");
        assert_eq!(
            issuer_url_for_bucket(&Target::parse("gs://b-1/x").unwrap(), None, None).unwrap(),
            "https://storage.googleapis.com/b-1/x"
        );
        assert_eq!(
            issuer_url_for_bucket(&Target::parse("az://acct/oidc").unwrap(), None, None).unwrap(),
            "https://acct.blob.core.windows.net/oidc"
        );
    }
}
