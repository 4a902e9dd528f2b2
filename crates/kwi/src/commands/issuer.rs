//! `kwi issuer build`: the static files of an issuer.

use anyhow::{Result, bail};
use kwi_issuer::{
    DiscoveryStyle, IssuerUrl, KeySetOptions, SiteFile, discovery_document, jwks_for_keys,
    jwks_site_path, signing_algorithms, site_files,
};
use kwi_jose::{Key, jwks_document};

use super::note_unsupported_by_kubernetes;
use crate::cli::{BuildArgs, UrlStyleArg};
use crate::files;

/// The issuer URL: given, or the public URL of --for-bucket.
fn issuer_url(args: &BuildArgs) -> Result<IssuerUrl> {
    let url = match (&args.issuer, &args.for_bucket) {
        (Some(url), _) => url.clone(),
        (None, Some(bucket)) => {
            let target = kwi_publish::Target::parse(bucket)
                .map_err(|e| anyhow::anyhow!(e.given_by("--for-bucket").message))?;
            let region = args.region.clone().or_else(super::env_region);
            let style = args.url_style.map(|s| match s {
                UrlStyleArg::Virtual => kwi_publish::UrlStyle::VirtualHosted,
                UrlStyleArg::Path => kwi_publish::UrlStyle::Path,
            });
            let url = kwi_publish::issuer_url_for_bucket(&target, region.as_deref(), style)?;
            eprintln!("kwi: issuer URL for {bucket}: {url}");
            url
        }
        (None, None) => bail!("give --issuer URL or --for-bucket s3://BUCKET[/PREFIX]"),
    };
    Ok(IssuerUrl::parse(&url)?)
}

/// The site files (discovery document, JWKS) of an issuer and its keys, and the JWKS's key count;
/// shared by `kwi issuer build` and `kwi issuer serve --issuer`.
pub(crate) fn documents_for_keys(
    issuer: &IssuerUrl,
    jwks_uri: &str,
    keys: &[Key],
    style: DiscoveryStyle,
    legacy_empty_kid: bool,
) -> Result<(Vec<SiteFile>, usize)> {
    let jwks = jwks_for_keys(
        keys,
        KeySetOptions {
            legacy_empty_kid,
            ..KeySetOptions::default()
        },
    )?;
    let discovery = discovery_document(issuer, jwks_uri, &signing_algorithms(keys), style)?;
    let site = site_files(issuer, jwks_uri, discovery, jwks_document(&jwks)?)?;
    Ok((site, jwks.keys.len()))
}

pub(super) fn build(args: BuildArgs) -> Result<()> {
    let issuer = issuer_url(&args)?;
    let style = DiscoveryStyle::from(args.style);
    let jwks_uri = match (&args.jwks_uri, &args.jwks_path) {
        (Some(uri), _) => uri.clone(),
        (None, Some(path)) => format!("{}/{}", issuer.base(), path.trim_start_matches('/')),
        (None, None) => style.default_jwks_uri(&issuer),
    };
    let (_, outside) = jwks_site_path(&issuer, &jwks_uri)?;
    if outside && args.jwks_uri.is_none() {
        bail!(
            "the JWKS path must stay under the issuer URL {issuer}; give --jwks-uri to serve it elsewhere"
        );
    }
    if args.out.exists() && !args.out.is_dir() {
        bail!("{}: exists and is not a folder", args.out.display());
    }
    let keys: Vec<Key> = files::read_all_keys(&args.keys)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    note_unsupported_by_kubernetes(&keys);
    let (site, key_count) =
        documents_for_keys(&issuer, &jwks_uri, &keys, style, args.legacy_empty_kid)?;
    for file in &site {
        let path = args.out.join(&file.path);
        files::write_output(&path, &file.contents, false, false)?;
        eprintln!("kwi: wrote {} ({})", path.display(), file.content_type);
    }
    eprintln!(
        "kwi: {} key(s); serve {} so that {} answers",
        key_count,
        args.out.display(),
        issuer.discovery_url()
    );
    if outside {
        eprintln!(
            "kwi: note: the JWKS is not under the issuer: upload {} so that {jwks_uri} serves it",
            args.out.join(&site[1].path).display()
        );
    }
    Ok(())
}
