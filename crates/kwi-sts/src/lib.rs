//! kwi-sts: an AWS STS `AssumeRoleWithWebIdentity` endpoint for tests and offline demos,
//! validating as STS does. The token checks are kwi-jose's [`kwi_jose::StsRules`] (shared
//! with `kwi doctor`); the trust policy is evaluated as IAM evaluates it ([`trust_policy`]);
//! answers and errors are STS's XML.
#![forbid(unsafe_code)]

pub mod assume;
pub mod config;
pub mod credentials;
pub mod error;
pub mod handler;
pub mod idp;
pub mod key_cache;
pub mod response;
pub mod sessions;
pub mod thumbprint;
pub mod trust_policy;
mod xml;

pub use assume::{AssumeRequest, Issued, assume_role, parse_request};
pub use config::{Config, ConfigError, Provider, Role};
pub use error::{StsError, StsErrorCode};
pub use handler::{Incoming, Sts, answer, router};
pub use idp::{HttpKeySource, KeySource};
pub use trust_policy::{Decision, PolicyError, TrustPolicy, WebIdentityRequest};
