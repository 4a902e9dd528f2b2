//! `kwi issuer publish`: a built site put online in a folder or a bucket, then read back.

use anyhow::{Context, Result, anyhow};
use kwi_publish::{ErrorKind, Options, PublishError, Target, publish, read_site};

use crate::Rejected;
use crate::cli::PublishArgs;
use crate::files;

/// A publish error with its exit code: refusals and mismatches are 1, the rest 2.
fn exit_error(err: PublishError) -> anyhow::Error {
    match err.kind {
        ErrorKind::Refused | ErrorKind::Mismatch => anyhow!(Rejected(err.message)),
        _ => anyhow!(err.message),
    }
}

pub(super) fn run(args: PublishArgs) -> Result<()> {
    let target = Target::parse(&args.to).map_err(|e| exit_error(e.given_by("--to")))?;
    let site = read_site(&args.site).map_err(exit_error)?;
    let ca_pem = match &args.ca_file {
        Some(path) => Some(files::read_input(&path.to_string_lossy())?),
        None => None,
    };
    if let Some(url) = &args.verify
        && !url.starts_with("https://")
        && !url.starts_with("http://")
    {
        return Err(anyhow!("--verify {url}: give an http:// or https:// URL"));
    }
    let options = Options {
        region: args.region.clone().or_else(super::env_region),
        endpoint: args.endpoint.clone(),
        create_bucket: args.create_bucket,
        make_public: args.make_public,
        dry_run: args.dry_run,
        verify: args.verify.clone(),
        no_verify: args.no_verify,
        max_age: args.max_age,
        ca_pem,
    };
    if args.dry_run {
        eprintln!("kwi: dry run: nothing is changed");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // The plan and what was done, one line each; a reader that went away stops nothing.
    let mut say = |line: String| {
        let _ = crate::files::write_stdout(&crate::printable(&line, false));
    };
    runtime
        .block_on(publish(&site, &target, &options, &mut say))
        .map_err(exit_error)?;
    match (&args.verify, args.dry_run || args.no_verify) {
        (_, true) => {}
        (None, false) => eprintln!("kwi: {} serves what kwi built", site.issuer),
        (Some(url), false) => eprintln!(
            "kwi: {url} serves what kwi built for the issuer {}",
            site.issuer
        ),
    }
    Ok(())
}
