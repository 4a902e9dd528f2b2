//! `kwi issuer serve`: the issuer's documents over HTTPS, rebuilt and swapped when their files
//! change (a broken file keeps the last good documents), the TLS certificate likewise.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use kwi_issuer::{DiscoveryStyle, IssuerUrl, ServedSite, SiteFile};
use kwi_jose::Key;

use super::issuer::documents_for_keys;
use crate::cli::IssuerServeArgs;
use crate::files;
use crate::issuer_server::{IssuerServer, router};

/// The URL path prefix of `--public-url` (`http(s)://host[:port][/path]`), without a trailing
/// slash.
fn public_path(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| anyhow!("--public-url {url}: give an http:// or https:// URL"))?;
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    if path.contains(['?', '#']) || path.split('/').any(|s| s == "." || s == "..") {
        bail!("--public-url {url}: the path may have no query, fragment, '.' or '..'");
    }
    Ok(path.trim_end_matches('/').to_string())
}

/// Where the documents come from.
#[derive(Clone)]
enum Source {
    /// A folder `kwi issuer build` wrote.
    Site(PathBuf),
    /// An issuer URL and key files.
    Keys {
        issuer: IssuerUrl,
        keys: Vec<String>,
        style: DiscoveryStyle,
    },
}

impl Source {
    /// Reads and checks the documents, served under `prefix` (or the issuer's path).
    fn load(&self, prefix: Option<&str>) -> Result<ServedSite> {
        let (issuer, files) = self.files()?;
        Ok(match prefix {
            Some(prefix) => ServedSite::under(issuer, files, prefix),
            None => ServedSite::new(issuer, files),
        })
    }

    /// The issuer and its documents, paths relative to the issuer.
    fn files(&self) -> Result<(IssuerUrl, Vec<SiteFile>)> {
        match self {
            Source::Site(dir) => {
                let site = kwi_publish::read_site(dir).map_err(|e| anyhow!(e.message))?;
                let files = site
                    .documents
                    .into_iter()
                    .map(|d| SiteFile {
                        path: d.path,
                        contents: d.bytes,
                        content_type: d.content_type,
                    })
                    .collect();
                Ok((site.issuer, files))
            }
            Source::Keys {
                issuer,
                keys,
                style,
            } => {
                let keys: Vec<Key> = files::read_all_keys(keys)?
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect();
                let jwks_uri = style.default_jwks_uri(issuer);
                let (files, _) = documents_for_keys(issuer, &jwks_uri, &keys, *style, false)?;
                Ok((issuer.clone(), files))
            }
        }
    }

    /// The files and folders whose changes trigger a reload.
    fn watched(&self) -> Vec<PathBuf> {
        match self {
            Source::Site(dir) => vec![dir.clone()],
            Source::Keys { keys, .. } => keys.iter().map(PathBuf::from).collect(),
        }
    }
}

pub(super) fn run(args: IssuerServeArgs) -> Result<()> {
    let (addr, tls) =
        super::serve::listen_and_tls(&args.server, Some(args.insecure_http), "0.0.0.0:8443")?;
    let source = match (&args.site, &args.issuer) {
        (Some(dir), _) => Source::Site(dir.clone()),
        (None, Some(issuer)) => Source::Keys {
            issuer: IssuerUrl::parse(issuer)?,
            keys: args.keys.clone(),
            style: args.style.into(),
        },
        (None, None) => bail!("give --site DIR, or --issuer URL with --key KEY"),
    };
    let prefix = args.public_url.as_deref().map(public_path).transpose()?;
    let site = source.load(prefix.as_deref())?;
    let issuer = site.issuer.clone();
    let server = Arc::new(IssuerServer::new(&site, args.max_age, !args.no_access_log));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let (listener, addr) = super::serve::bind(addr).await?;
        super::serve::reload_tls_on_change(tls.as_ref(), &args.server);
        let reloading = server.clone();
        let from = source.clone();
        kwi_http::watch::on_change(source.watched(), move || {
            match from.load(prefix.as_deref()) {
                Ok(site) => {
                    reloading.replace(&site);
                    kwi_http::log::event(
                        "info",
                        "documents reloaded",
                        &[("issuer", site.issuer.as_str())],
                    );
                }
                Err(e) => {
                    reloading.reload_failed();
                    kwi_http::log::event(
                        "error",
                        "reload failed: the last good documents are still served",
                        &[("error", &format!("{e:#}"))],
                    );
                }
            }
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        for doc in &site.documents {
            eprintln!(
                "kwi: serving {scheme}://{addr}{} ({})",
                doc.url_path, doc.content_type
            );
        }
        eprintln!("kwi: issuer {issuer}; listening on {scheme}://{addr}");
        kwi_http::serve_with(
            listener,
            router(server),
            tls,
            super::serve::shutdown_signal(),
        )
        .await
        .context("the server stopped")?;
        kwi_http::log::flush();
        eprintln!("kwi: stopped");
        Ok(())
    })
}
