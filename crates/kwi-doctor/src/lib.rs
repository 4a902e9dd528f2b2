//! kwi-doctor: an issuer (and a token) checked from the outside as each relying party checks
//! them (AWS STS, Vault, Entra, Google), every failure named with a stable id, what was seen,
//! who refuses, their message and the fix.
#![forbid(unsafe_code)]

pub mod catalogue;
pub mod entra;
pub mod finding;
pub mod google;
pub mod issuer;
pub mod observe;
pub mod report;
pub mod token;

use std::path::PathBuf;
use std::time::Duration;

pub use catalogue::{CATALOGUE, Entry, Party};
pub use finding::{Finding, Report};

/// The whole diagnosis has this long (every fetch has its own 10 s limit too).
pub const DEADLINE: Duration = Duration::from_secs(45);

/// What to diagnose.
#[derive(Debug, Clone)]
pub struct Options {
    /// The issuer URL.
    pub issuer: String,
    /// A token to check, if any.
    pub token: Option<String>,
    /// The relying parties.
    pub parties: Vec<Party>,
    /// The audience, instead of each party's usual one.
    pub aud: Option<String>,
    /// A CA file to trust for the issuer.
    pub ca_file: Option<PathBuf>,
    /// Entra's federated identity credentials to match the token against (none: Entra's
    /// usual audience and the issuer URL only).
    pub azure_credentials: Vec<entra::FederatedCredential>,
    /// Google's pool provider, as far as it was given.
    pub gcp: google::GoogleProvider,
    /// The time of the check.
    pub now: i64,
}

/// Inputs that cannot be used (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DoctorError(pub String);

/// Diagnoses an issuer (and a token).
pub async fn diagnose(options: &Options) -> Result<Report, DoctorError> {
    let clients = observe::Clients::new(options.ca_file.as_deref())
        .map_err(|e| DoctorError(format!("--ca-file: {e}")))?;
    let mut report = Report {
        issuer: options.issuer.clone(),
        parties: options.parties.clone(),
        ..Report::default()
    };
    let walk = async {
        let walked = issuer::walk(
            &mut report,
            &clients,
            &options.issuer,
            options.ca_file.is_some(),
            options.now,
        )
        .await
        .map_err(DoctorError)?;
        if options.parties.contains(&Party::Aws)
            && let Some(url) = report
                .jwks_uri
                .as_deref()
                .and_then(|u| reqwest::Url::parse(u).ok())
            && let Some(host) = url.host_str()
        {
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            report.thumbprint =
                observe::peer_chain(&host, url.port_or_known_default().unwrap_or(443))
                    .await
                    .ok()
                    .and_then(|chain| observe::thumbprint(&chain));
        }
        if options.parties.contains(&Party::Azure) {
            entra::check_issuers(&mut report, &options.azure_credentials, &options.issuer);
        }
        if options.parties.contains(&Party::Gcp) {
            options.gcp.check_name(&mut report);
        }
        if let Some(token) = &options.token {
            token::check_token(
                &mut report,
                token::TokenInput {
                    token: token.trim(),
                    issuer: &options.issuer,
                    aud: options.aud.as_deref(),
                    now: options.now,
                    azure_credentials: &options.azure_credentials,
                    gcp: &options.gcp,
                },
                walked.jwks.as_deref(),
            );
        }
        Ok::<_, DoctorError>(())
    };
    match tokio::time::timeout(DEADLINE, walk).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(DoctorError(format!(
                "the checks did not finish within {} s",
                DEADLINE.as_secs()
            )));
        }
    }
    Ok(report)
}
