//! `kwi sts serve`: an AWS STS AssumeRoleWithWebIdentity endpoint for tests and offline demos.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use kwi_sts::{Config, HttpKeySource, Sts};

use crate::cli::StsServeArgs;

/// Reads the config; a relative `ca_file` is relative to the config file.
fn read_config(path: &Path) -> Result<Config> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    let mut config = Config::parse(&text).map_err(|e| anyhow!("{shown}: {e}"))?;
    let base = path.parent().unwrap_or(Path::new("."));
    for provider in &mut config.providers {
        if let Some(ca) = &provider.ca_file
            && Path::new(ca).is_relative()
        {
            provider.ca_file = Some(base.join(ca).to_string_lossy().into_owned());
        }
    }
    Ok(config)
}

pub(super) fn serve(args: StsServeArgs) -> Result<()> {
    let (addr, tls) = super::serve::listen_and_tls(&args.server, None, "127.0.0.1:8600")?;
    let config = read_config(&args.config)?;
    let keys =
        HttpKeySource::new(&config).map_err(|e| anyhow!("{}: {e}", args.config.display()))?;
    let sts = Arc::new(Sts::new(config, keys));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (listener, addr) = super::serve::bind(addr).await?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        super::serve::reload_tls_on_change(tls.as_ref(), &args.server);
        eprintln!("kwi: listening on {scheme}://{addr}");
        kwi_http::serve_with(
            listener,
            kwi_sts::router(sts),
            tls,
            super::serve::shutdown_signal(),
        )
        .await
        .context("the server stopped")?;
        eprintln!("kwi: stopped");
        Ok(())
    })
}
