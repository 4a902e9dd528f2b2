//! `kwi doctor`: an issuer (and a token) checked as each relying party checks them.

use anyhow::{Context, Result, anyhow};
use kwi_doctor::entra::FederatedCredential;
use kwi_doctor::google::GoogleProvider;
use kwi_doctor::{Options, Party, Report, diagnose, report};

use crate::Rejected;
use crate::cli::{DoctorArgs, DoctorFor};

fn parties(chosen: &[DoctorFor]) -> Vec<Party> {
    let mut out = Vec::new();
    for c in chosen {
        let add: &[Party] = match c {
            DoctorFor::Aws => &[Party::Aws],
            DoctorFor::Vault => &[Party::Vault],
            DoctorFor::Azure => &[Party::Azure],
            DoctorFor::Gcp => &[Party::Gcp],
            DoctorFor::All => &Party::ALL,
        };
        for p in add {
            if !out.contains(p) {
                out.push(*p);
            }
        }
    }
    out.sort();
    out
}

/// The trust policy a role needs for this issuer and subject (IAM's JSON).
fn trust_policy(
    role_arn: &str,
    issuer: &str,
    subject: &str,
    aud: &str,
) -> Result<serde_json::Value> {
    let account = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split(':').next())
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            anyhow!("--role-arn {role_arn}: not a role ARN like arn:aws:iam::111122223333:role/app")
        })?;
    let prefix = issuer.trim_start_matches("https://").trim_end_matches('/');
    Ok(serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{account}:oidc-provider/{prefix}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{prefix}:sub"): subject,
                format!("{prefix}:aud"): aud,
            }},
        }],
    }))
}

fn subject_of(token: Option<&str>) -> String {
    token
        .and_then(|t| kwi_jose::decode_unverified(t.trim(), kwi_jose::DEFAULT_MAX_TOKEN_SIZE).ok())
        .and_then(|t| {
            t.claims
                .get("sub")
                .and_then(|s| s.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "system:serviceaccount:<namespace>:<service-account>".to_string())
}

fn print(report: &Report, args: &DoctorArgs, token: Option<&str>) -> Result<()> {
    let aud = args
        .aud
        .clone()
        .unwrap_or_else(|| "sts.amazonaws.com".into());
    let policy = match &args.role_arn {
        Some(arn) => Some(trust_policy(arn, &report.issuer, &subject_of(token), &aud)?),
        None => None,
    };
    if args.json {
        let mut value = report::to_json(report, &aud);
        if let (Some(policy), Some(aws)) =
            (policy, value.get_mut("aws").and_then(|a| a.as_object_mut()))
        {
            aws.insert("trust_policy".into(), policy);
        }
        crate::files::write_stdout(&serde_json::to_string_pretty(&value)?)?;
    } else {
        let mut text = report::human(report, &aud);
        if let Some(policy) = policy {
            text.push_str(&format!(
                "\ntrust policy for {}:\n{}\n",
                args.role_arn.as_deref().unwrap_or_default(),
                serde_json::to_string_pretty(&policy)?
            ));
        }
        crate::files::write_out(crate::printable(&text, true).as_bytes())?;
    }
    Ok(())
}

/// Entra's federated credentials: read from --azure-credential, or made of --azure-subject.
fn azure_credentials(args: &DoctorArgs) -> Result<Vec<FederatedCredential>> {
    if let Some(subject) = &args.azure_subject {
        return Ok(vec![FederatedCredential {
            name: None,
            issuer: args.issuer.clone().unwrap_or_default(),
            subject: subject.clone(),
            audiences: vec![
                args.aud
                    .clone()
                    .or(Party::Azure.default_audience().map(str::to_string))
                    .unwrap_or_default(),
            ],
        }]);
    }
    let Some(file) = &args.azure_credential else {
        return Ok(Vec::new());
    };
    let bytes = crate::files::read_input(file)?;
    if bytes.len() > kwi_doctor::entra::MAX_CREDENTIAL_FILE {
        return Err(anyhow!(
            "--azure-credential {file}: larger than 1 MiB; this is not a federated credential"
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow!("--azure-credential {file}: not UTF-8 text"))?;
    kwi_doctor::entra::read_credentials(&text)
        .map_err(|e| anyhow!("--azure-credential {file}: {e}"))
}

pub(super) fn run(args: DoctorArgs) -> Result<()> {
    if args.catalogue {
        crate::files::write_out(report::catalogue_markdown().as_bytes())?;
        return Ok(());
    }
    let issuer = args.issuer.clone().unwrap_or_default();
    let token = match &args.token {
        Some(arg) => Some(super::token::read_token(arg)?),
        None => None,
    };
    let azure_credentials = azure_credentials(&args)?;
    let gcp = GoogleProvider {
        name: args.gcp_provider.clone(),
        allowed_audiences: args.gcp_allowed_audiences.clone(),
    };
    gcp.validate()
        .map_err(|e| anyhow!("--gcp-allowed-audience: {e}"))?;
    let options = Options {
        issuer,
        token: token.clone(),
        parties: parties(&args.parties),
        aud: args.aud.clone(),
        ca_file: args.ca_file.clone(),
        azure_credentials,
        gcp,
        now: super::token::now(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime
        .block_on(diagnose(&options))
        .map_err(|e| anyhow!("{e}"))?;
    print(&report, &args, token.as_deref())?;
    if report.has_failures() {
        return Err(Rejected(format!(
            "{} problem(s) found for {}",
            report.failures().count(),
            report
                .failures()
                .flat_map(|f| f.breaks.iter().map(|p| p.name()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    Ok(())
}
