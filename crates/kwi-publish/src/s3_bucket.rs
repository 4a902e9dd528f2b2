//! The few bucket-level S3 calls object_store has no API for (create bucket, public access
//! block, bucket policy): plain S3 REST requests signed by object_store's own SigV4 authorizer
//! with the credentials its provider chain found, sent with reqwest. No hand-written signing.

use base64ct::Encoding;
use md5::Digest;
use object_store::aws::{AwsAuthorizer, AwsCredentialProvider};
use object_store::client::HttpRequestBody;
use serde::Deserialize;

use crate::PublishError;

/// One S3 bucket's control calls.
pub(crate) struct S3Bucket {
    http: reqwest::Client,
    credentials: AwsCredentialProvider,
    region: String,
    bucket: String,
    /// `https://BUCKET.s3.REGION.amazonaws.com`, or `ENDPOINT/BUCKET` for another endpoint.
    base: String,
}

/// An answer: status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// S3's XML error body.
#[derive(Deserialize, Default)]
struct S3ErrorBody {
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// The bucket's S3 Block Public Access settings (absent members are off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub(crate) struct PublicAccessBlock {
    #[serde(rename = "BlockPublicAcls", default)]
    pub block_public_acls: bool,
    #[serde(rename = "IgnorePublicAcls", default)]
    pub ignore_public_acls: bool,
    #[serde(rename = "BlockPublicPolicy", default)]
    pub block_public_policy: bool,
    #[serde(rename = "RestrictPublicBuckets", default)]
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// The settings that stop a public bucket policy from working, by name.
    pub(crate) fn blocking(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.block_public_policy {
            names.push("BlockPublicPolicy");
        }
        if self.restrict_public_buckets {
            names.push("RestrictPublicBuckets");
        }
        names
    }

    fn to_xml(self) -> String {
        format!(
            "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls><BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
            self.block_public_acls,
            self.ignore_public_acls,
            self.block_public_policy,
            self.restrict_public_buckets
        )
    }
}

impl S3Bucket {
    /// The control calls of `bucket`, at the endpoint given or AWS's regional one.
    pub(crate) fn new(
        http: reqwest::Client,
        credentials: AwsCredentialProvider,
        region: &str,
        bucket: &str,
        endpoint: Option<&str>,
    ) -> S3Bucket {
        let base = match endpoint {
            Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            // Dotted names do not match the wildcard certificate of virtual-hosted URLs.
            None if bucket.contains('.') => format!("https://s3.{region}.amazonaws.com/{bucket}"),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        };
        S3Bucket {
            http,
            credentials,
            region: region.to_string(),
            bucket: bucket.to_string(),
            base,
        }
    }

    /// Sends one signed request: `query` is the sub-resource (`policy`, `publicAccessBlock`, or
    /// empty for the bucket itself).
    async fn send(
        &self,
        method: http::Method,
        query: &str,
        body: Vec<u8>,
    ) -> Result<Answer, PublishError> {
        let credential = self.credentials.get_credential().await.map_err(|e| {
            PublishError::unavailable(format!(
                "no usable AWS credentials: {e}; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run with an instance, IRSA or EKS Pod Identity role"
            ))
        })?;
        let url = if query.is_empty() {
            format!("{}/", self.base)
        } else {
            format!("{}/?{query}", self.base)
        };
        let mut builder = http::Request::builder().method(method.clone()).uri(&url);
        if !body.is_empty() {
            // S3 requires an integrity header on PutBucketPolicy and PutPublicAccessBlock.
            let md5 = base64ct::Base64::encode_string(&md5::Md5::digest(&body));
            builder = builder.header("content-md5", md5);
        }
        let mut request = builder
            .body(HttpRequestBody::from(body))
            .map_err(|e| PublishError::usage(format!("{url}: {e}")))?;
        AwsAuthorizer::new(&credential, "s3", &self.region)
            .try_authorize(&mut request, None)
            .map_err(|e| PublishError::unavailable(format!("cannot sign the request: {e}")))?;
        let response = crate::signed_request::send(&self.http, request, "S3").await?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| PublishError::unavailable(format!("{url}: {e}")))?
            .to_vec();
        Ok(Answer { status, body })
    }

    /// Turns an error answer into a message naming the call and the permission it needs.
    fn failure(&self, action: &str, answer: &Answer) -> PublishError {
        let error: S3ErrorBody =
            quick_xml::de::from_str(&String::from_utf8_lossy(&answer.body)).unwrap_or_default();
        let detail = format!("{} {}", error.code, error.message);
        let what = format!(
            "s3://{}: {action} failed: HTTP {} {}",
            self.bucket,
            answer.status,
            detail.trim()
        );
        let what = what.trim_end().to_string();
        match (answer.status, error.code.as_str()) {
            (403, "AccessDenied") => PublishError::refused(format!(
                "{what}; the credentials need s3:{action} on arn:aws:s3:::{}",
                self.bucket
            )),
            (403, _) | (400, "AuthorizationHeaderMalformed") | (301, _) => {
                PublishError::unavailable(format!(
                    "{what}; check the credentials and the region (--region, AWS_REGION)"
                ))
            }
            _ => PublishError::unavailable(what),
        }
    }

    /// Whether the bucket exists (HEAD bucket).
    pub(crate) async fn exists(&self) -> Result<bool, PublishError> {
        let answer = self.send(http::Method::HEAD, "", Vec::new()).await?;
        match answer.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.failure("ListBucket", &answer)),
        }
    }

    /// Creates the bucket in the region.
    pub(crate) async fn create(&self) -> Result<(), PublishError> {
        let body = if self.region == "us-east-1" {
            Vec::new()
        } else {
            format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            )
            .into_bytes()
        };
        let answer = self.send(http::Method::PUT, "", body).await?;
        match answer.status {
            200 => Ok(()),
            _ => Err(self.failure("CreateBucket", &answer)),
        }
    }

    /// The bucket's Block Public Access settings (`None`: none set).
    pub(crate) async fn public_access_block(
        &self,
    ) -> Result<Option<PublicAccessBlock>, PublishError> {
        let answer = self
            .send(http::Method::GET, "publicAccessBlock", Vec::new())
            .await?;
        match answer.status {
            200 => quick_xml::de::from_str(&String::from_utf8_lossy(&answer.body))
                .map(Some)
                .map_err(|e| {
                    PublishError::unavailable(format!(
                        "s3://{}: unreadable public access block: {e}",
                        self.bucket
                    ))
                }),
            404 => Ok(None),
            _ => Err(self.failure("GetBucketPublicAccessBlock", &answer)),
        }
    }

    /// Writes the bucket's Block Public Access settings.
    pub(crate) async fn put_public_access_block(
        &self,
        settings: PublicAccessBlock,
    ) -> Result<(), PublishError> {
        let answer = self
            .send(
                http::Method::PUT,
                "publicAccessBlock",
                settings.to_xml().into_bytes(),
            )
            .await?;
        match answer.status {
            200 | 204 => Ok(()),
            _ => Err(self.failure("PutBucketPublicAccessBlock", &answer)),
        }
    }

    /// The bucket policy (`None`: the bucket has none).
    pub(crate) async fn policy(&self) -> Result<Option<String>, PublishError> {
        let answer = self.send(http::Method::GET, "policy", Vec::new()).await?;
        match answer.status {
            200 => Ok(Some(String::from_utf8_lossy(&answer.body).into_owned())),
            404 => Ok(None),
            _ => Err(self.failure("GetBucketPolicy", &answer)),
        }
    }

    /// Replaces the bucket policy.
    pub(crate) async fn put_policy(&self, policy: &str) -> Result<(), PublishError> {
        let answer = self
            .send(http::Method::PUT, "policy", policy.as_bytes().to_vec())
            .await?;
        match answer.status {
            200 | 204 => Ok(()),
            403 => {
                let err = self.failure("PutBucketPolicy", &answer);
                Err(PublishError::refused(format!(
                    "{}; if the account's S3 Block Public Access has BlockPublicPolicy on, turn it off for the account (aws s3control put-public-access-block --account-id ID --public-access-block-configuration BlockPublicPolicy=false,RestrictPublicBuckets=false) or serve the issuer with kwi issuer serve",
                    err.message
                )))
            }
            _ => Err(self.failure("PutBucketPolicy", &answer)),
        }
    }
}
