//! kwi-publish: puts an issuer site online in object storage or a folder.
//!
//! The two documents go up JWKS first (a relying party never sees a discovery document naming a
//! JWKS that is not there yet), each with its Content-Type and Cache-Control, unchanged ones
//! skipped by content hash; public read is granted the way each cloud allows today (an S3 bucket
//! policy on exactly the two objects, never an ACL); then both are read back anonymously over
//! HTTP(S) and compared byte for byte with what was built.
#![forbid(unsafe_code)]

mod aws_assume_role;
mod aws_profile;
mod azure_container;
mod bucket_urls;
mod error;
mod folder;
mod gcs_bucket;
mod hash;
mod publish;
mod read_back;
mod s3_bucket;
mod s3_policy;
mod signed_request;
mod site;
mod store;
mod target;

pub use bucket_urls::{BucketUrl, UrlStyle, issuer_url_for_bucket, public_urls};
pub use error::{ErrorKind, PublishError};
pub use publish::{Options, Outcome, Report, publish};
pub use read_back::read_back;
pub use s3_policy::{POLICY_SID_PREFIX, issuer_policy_statement, merge_policy};
pub use site::{Document, Site, read_site};
pub use target::Target;
