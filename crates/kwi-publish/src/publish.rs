//! `kwi issuer publish`: the plan, the uploads in order, public read, and the read-back.

use object_store::ObjectStore;

use crate::azure_container::AzureContainer;
use crate::gcs_bucket::{GcsBucket, PUBLIC_ROLE, grants_public_read, with_public_read};
use crate::hash::sha256_hex;
use crate::s3_bucket::S3Bucket;
use crate::s3_policy::{issuer_policy_statement, merge_policy};
use crate::store::{self, Existing};
use crate::{PublishError, Site, Target, folder, public_urls, read_back};

/// How to publish.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The S3 region (default: AWS_REGION, else asked of S3).
    pub region: Option<String>,
    /// Another endpoint than the cloud's (moto, Azurite, MinIO, a GCS emulator).
    pub endpoint: Option<String>,
    /// Create a missing S3 bucket.
    pub create_bucket: bool,
    /// Turn off the S3 bucket's Block Public Access settings that forbid a public policy.
    pub make_public: bool,
    /// Print the plan, change nothing.
    pub dry_run: bool,
    /// Where to read the documents back from (default: the issuer URL).
    pub verify: Option<String>,
    /// Skip the read-back.
    pub no_verify: bool,
    /// Cache-Control max-age, seconds.
    pub max_age: u32,
    /// CA certificates (PEM) trusted by the read-back.
    pub ca_pem: Option<Vec<u8>>,
}

/// What happened to one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written.
    Uploaded,
    /// Already there with the same bytes (SHA-256) and headers: not rewritten.
    Unchanged,
    /// Would be written (dry run).
    WouldUpload,
}

/// What publishing did, document by document, in upload order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// (where, outcome) for each document.
    pub documents: Vec<(String, Outcome)>,
}

/// The HTTP client of the calls object_store does not make (bucket settings, STS, read-back).
pub(crate) fn http_client() -> Result<reqwest::Client, PublishError> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| PublishError::unavailable(format!("cannot start the HTTP client: {e}")))
}

/// Why an object must be rewritten, or `None` when it holds exactly what was built.
fn difference(
    existing: &Existing,
    bytes: &[u8],
    content_type: &str,
    cache_control: &str,
) -> Option<String> {
    if sha256_hex(&existing.bytes) != sha256_hex(bytes) {
        return Some("content changed".into());
    }
    match (&existing.content_type, &existing.cache_control) {
        (Some(t), _) if t != content_type => Some(format!("Content-Type was {t}")),
        (_, Some(c)) if c != cache_control => Some(format!("Cache-Control was {c}")),
        (None, _) => Some("no Content-Type".into()),
        _ => None,
    }
}

/// Publishes the site; `say` receives one line per step (for standard output).
pub async fn publish(
    site: &Site,
    target: &Target,
    options: &Options,
    say: &mut dyn FnMut(String),
) -> Result<Report, PublishError> {
    let report = match target {
        Target::Folder(dir) => publish_folder(site, dir, options, say)?,
        Target::S3 { bucket, prefix } => {
            publish_s3(site, target, bucket, prefix, options, say).await?
        }
        Target::Azure {
            account, container, ..
        } => {
            let endpoint = options.endpoint.as_deref();
            let azure = store::azure_store(account, container, endpoint)?;
            let control = AzureContainer::new(
                http_client()?,
                azure.credentials().clone(),
                account,
                container,
                endpoint,
            );
            let acl = control.acl().await?;
            match acl.public_access.as_deref() {
                Some(level) => say(format!(
                    "container az://{account}/{container}: anonymous read already allowed (public access level {level})"
                )),
                None if options.dry_run => say(format!(
                    "would set container az://{account}/{container} to public access level blob (anonymous reads of its blobs, no listing)"
                )),
                None => {
                    control.allow_anonymous_blob_reads(acl).await?;
                    say(format!(
                        "container az://{account}/{container}: public access level set to blob (anonymous reads of its blobs, no listing)"
                    ));
                }
            }
            upload(site, target, &azure, options, say).await?
        }
        Target::Gcs { bucket, .. } => {
            let endpoint = options.endpoint.as_deref();
            let gcs = store::gcs_store(bucket, endpoint).await?;
            let control =
                GcsBucket::new(http_client()?, gcs.credentials().clone(), bucket, endpoint);
            open_gcs_bucket(&control, bucket, options, say).await?;
            upload(site, target, &gcs, options, say).await?
        }
    };
    if matches!(target, Target::Gcs { .. } | Target::Azure { .. }) {
        say_issuer_urls(site, target, None, say);
    }
    if options.dry_run || options.no_verify {
        return Ok(report);
    }
    let base = options
        .verify
        .clone()
        .unwrap_or_else(|| site.issuer.base().to_string());
    for line in read_back(site, &base, options.ca_pem.as_deref()).await? {
        say(line);
    }
    Ok(report)
}

/// Prints the bucket's issuer URLs, and a note when the site's issuer is none of them.
fn say_issuer_urls(
    site: &Site,
    target: &Target,
    region: Option<&str>,
    say: &mut dyn FnMut(String),
) {
    let Ok(urls) = public_urls(target, region) else {
        return;
    };
    for url in urls.iter().filter(|u| u.unusable.is_none()) {
        say(format!("issuer URL ({}): {}", url.style, url.url));
    }
    if !urls.iter().any(|u| u.url == site.issuer.base()) {
        say(format!(
            "note: the site's issuer {} is not a URL of this bucket: fine behind a CDN or custom domain that serves the bucket there; otherwise rebuild it with kwi issuer build --for-bucket",
            site.issuer
        ));
    }
}

fn publish_folder(
    site: &Site,
    dir: &std::path::Path,
    options: &Options,
    say: &mut dyn FnMut(String),
) -> Result<Report, PublishError> {
    let mut report = Report::default();
    for document in &site.documents {
        let path = dir.join(&document.path);
        let shown = path.display().to_string();
        let outcome = match folder::current(&path)? {
            Some(bytes) if bytes == document.bytes => Outcome::Unchanged,
            _ if options.dry_run => Outcome::WouldUpload,
            _ => {
                folder::write(&path, &document.bytes)?;
                Outcome::Uploaded
            }
        };
        say(outcome_line(&shown, outcome, document, None));
        report.documents.push((shown, outcome));
    }
    Ok(report)
}

fn outcome_line(
    shown: &str,
    outcome: Outcome,
    document: &crate::Document,
    why: Option<&str>,
) -> String {
    let hash = sha256_hex(&document.bytes);
    match outcome {
        Outcome::Unchanged => format!("unchanged {shown} (same sha256 {hash}, not rewritten)"),
        Outcome::Uploaded => format!(
            "uploaded {shown} ({}, {} bytes, sha256 {hash}{})",
            document.content_type,
            document.bytes.len(),
            why.map(|w| format!("; {w}")).unwrap_or_default()
        ),
        Outcome::WouldUpload => format!(
            "would upload {shown} ({}, {} bytes, sha256 {hash}{})",
            document.content_type,
            document.bytes.len(),
            why.map(|w| format!("; {w}")).unwrap_or_default()
        ),
    }
}

/// Uploads the documents in order (JWKS first), skipping those already as built.
async fn upload(
    site: &Site,
    target: &Target,
    store: &dyn ObjectStore,
    options: &Options,
    say: &mut dyn FnMut(String),
) -> Result<Report, PublishError> {
    let cache_control = format!("public, max-age={}", options.max_age);
    let mut report = Report::default();
    for document in &site.documents {
        let key = target.object_key(&document.path);
        let shown = target.describe(&document.path);
        let why = match store::current(store, &key, &shown).await? {
            None => Some("new".to_string()),
            Some(existing) => difference(
                &existing,
                &document.bytes,
                document.content_type,
                &cache_control,
            ),
        };
        let outcome = match &why {
            None => Outcome::Unchanged,
            Some(_) if options.dry_run => Outcome::WouldUpload,
            Some(_) => {
                store::put(store, &key, document, &cache_control, &shown).await?;
                Outcome::Uploaded
            }
        };
        say(outcome_line(&shown, outcome, document, why.as_deref()));
        report.documents.push((shown, outcome));
    }
    Ok(report)
}

/// S3: the bucket (created if asked), its Block Public Access, the bucket policy, the uploads.
async fn publish_s3(
    site: &Site,
    target: &Target,
    bucket: &str,
    prefix: &str,
    options: &Options,
    say: &mut dyn FnMut(String),
) -> Result<Report, PublishError> {
    let store::S3Store {
        store: s3,
        region,
        endpoint,
    } = store::s3_store(
        bucket,
        options.region.as_deref(),
        options.endpoint.as_deref(),
    )
    .await?;
    let control = S3Bucket::new(
        http_client()?,
        s3.credentials().clone(),
        &region,
        bucket,
        endpoint.as_deref(),
    );
    let mut exists = control.exists().await?;
    if !exists {
        if !options.create_bucket {
            return Err(PublishError::refused(format!(
                "s3://{bucket} does not exist (region {region}); add --create-bucket to create it"
            )));
        }
        if options.dry_run {
            say(format!("would create bucket s3://{bucket} in {region}"));
        } else {
            control.create().await?;
            exists = true;
            say(format!("created bucket s3://{bucket} in {region}"));
        }
    }
    if exists {
        open_public_access_block(&control, bucket, options, say).await?;
    }
    let keys: Vec<String> = site
        .documents
        .iter()
        .map(|d| target.object_key(&d.path))
        .collect();
    let statement = issuer_policy_statement(&region, bucket, prefix, &keys);
    let current = if exists {
        control.policy().await?
    } else {
        None
    };
    let (policy, changed) = merge_policy(current.as_deref(), statement)?;
    let granted = format!(
        "anonymous s3:GetObject on exactly {}",
        keys.iter()
            .map(|k| format!("s3://{bucket}/{k}"))
            .collect::<Vec<_>>()
            .join(" and ")
    );
    match (changed, options.dry_run) {
        (false, _) => say(format!(
            "bucket policy of s3://{bucket} unchanged: it grants {granted}"
        )),
        (true, true) => say(format!(
            "would set the bucket policy of s3://{bucket} to grant {granted} (other statements kept)"
        )),
        (true, false) => {
            control.put_policy(&policy).await?;
            say(format!(
                "bucket policy of s3://{bucket}: granted {granted} (other statements kept; no ACL)"
            ));
        }
    }
    say_issuer_urls(site, target, Some(&region), say);
    if exists || !options.dry_run {
        upload(site, target, &s3, options, say).await
    } else {
        let mut report = Report::default();
        for document in &site.documents {
            let shown = target.describe(&document.path);
            say(outcome_line(
                &shown,
                Outcome::WouldUpload,
                document,
                Some("new"),
            ));
            report.documents.push((shown, Outcome::WouldUpload));
        }
        Ok(report)
    }
}

/// Refuses a bucket whose Block Public Access forbids public policies, or with `--make-public`
/// turns off exactly those settings.
async fn open_public_access_block(
    control: &S3Bucket,
    bucket: &str,
    options: &Options,
    say: &mut dyn FnMut(String),
) -> Result<(), PublishError> {
    let Some(block) = control.public_access_block().await? else {
        return Ok(());
    };
    let blocking = block.blocking();
    if blocking.is_empty() {
        return Ok(());
    }
    let settings = blocking
        .iter()
        .map(|s| format!("{s}=true"))
        .collect::<Vec<_>>()
        .join(", ");
    if !options.make_public {
        return Err(PublishError::refused(format!(
            "s3://{bucket}: its S3 Block Public Access has {settings}, which forbids the public-read bucket policy that AWS STS needs to fetch the issuer; run again with --make-public to turn off {} for this bucket only (BlockPublicAcls and IgnorePublicAcls stay as they are: kwi uses no ACL), or: aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration BlockPublicAcls={},IgnorePublicAcls={},BlockPublicPolicy=false,RestrictPublicBuckets=false",
            blocking.join(" and "),
            block.block_public_acls,
            block.ignore_public_acls
        )));
    }
    let mut opened = block;
    opened.block_public_policy = false;
    opened.restrict_public_buckets = false;
    if options.dry_run {
        say(format!(
            "would turn off {} in the Block Public Access settings of s3://{bucket} (--make-public)",
            blocking.join(" and ")
        ));
    } else {
        control.put_public_access_block(opened).await?;
        say(format!(
            "--make-public: turned off {} in the Block Public Access settings of s3://{bucket} (BlockPublicAcls={}, IgnorePublicAcls={} unchanged)",
            blocking.join(" and "),
            block.block_public_acls,
            block.ignore_public_acls
        ));
    }
    Ok(())
}

/// GCS: public access prevention refused or (with `--make-public`) turned off, then `allUsers`
/// granted object reads on the bucket.
async fn open_gcs_bucket(
    control: &GcsBucket,
    bucket: &str,
    options: &Options,
    say: &mut dyn FnMut(String),
) -> Result<(), PublishError> {
    if control.public_access_prevented().await? {
        if !options.make_public {
            return Err(PublishError::refused(format!(
                "gs://{bucket}: public access prevention is enforced on it, which forbids the anonymous reads relying parties need; run again with --make-public to turn it off for this bucket, or: gcloud storage buckets update gs://{bucket} --no-public-access-prevention"
            )));
        }
        if options.dry_run {
            say(format!(
                "would turn off public access prevention on gs://{bucket} (--make-public)"
            ));
        } else {
            control.allow_public_access().await?;
            say(format!(
                "--make-public: public access prevention of gs://{bucket} turned off (set to inherited)"
            ));
        }
    }
    let policy = control.iam_policy().await?;
    if grants_public_read(&policy) {
        say(format!(
            "IAM policy of gs://{bucket} unchanged: allUsers already has {PUBLIC_ROLE}"
        ));
    } else if options.dry_run {
        say(format!(
            "would grant allUsers {PUBLIC_ROLE} on gs://{bucket} (other bindings kept)"
        ));
    } else {
        control.set_iam_policy(&with_public_read(policy)).await?;
        say(format!(
            "IAM policy of gs://{bucket}: granted allUsers {PUBLIC_ROLE} (other bindings kept; it also lets anyone list the bucket: keep the issuer in a bucket of its own)"
        ));
    }
    Ok(())
}
