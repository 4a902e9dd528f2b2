//! `kwi webhook serve`: the webhook over HTTPS, its ServiceAccount cache watching the cluster.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kwi_webhook::Identities;
use kwi_webhook_server::{Cache, Metrics, Webhook, router};

use crate::cli::WebhookServeArgs;
use crate::commands::serve::shutdown_signal;
use crate::commands::webhook::webhook_config;

/// Runs `kwi webhook serve`.
pub(super) fn run(args: WebhookServeArgs) -> Result<()> {
    let config = webhook_config(&args.webhook)?;
    let addr: SocketAddr = args.listen.parse().map_err(|_| {
        anyhow!(
            "--listen {:?}: give an address and port such as 0.0.0.0:8443",
            args.listen
        )
    })?;
    let tls = kwi_http::Tls::from_files(&args.tls_cert, &args.tls_key)
        .map_err(|e| anyhow!("--tls-cert/--tls-key: {e}"))?;
    let identities = match &args.webhook.container_credentials_config {
        Some(path) => Some((path.clone(), read_identities(path)?)),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async move {
        let kube_config = match &args.kubeconfig {
            Some(path) => {
                let file =
                    Kubeconfig::read_from(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
                kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
                    .await
                    .map_err(|e| anyhow!("{}: {e}", path.display()))?
            }
            None => kube::Config::infer()
                .await
                .map_err(|e| anyhow!("no cluster to watch: {e}; give --kubeconfig"))?,
        };
        let client = kube::Client::try_from(kube_config)
            .map_err(|e| anyhow!("the Kubernetes client: {e}"))?;
        let metrics = Arc::new(Metrics::default());
        let cache = Arc::new(Cache::new(
            Some(client),
            config.annotation_prefixes(),
            args.watch_config_map,
            metrics.clone(),
        ));
        if let Some((path, ids)) = identities {
            cache.set_identities(ids);
            let watched = cache.clone();
            let file = path.clone();
            kwi_http::watch::on_change(vec![path.into()], move || match read_identities(&file) {
                Ok(ids) => watched.set_identities(ids),
                Err(e) => kwi_http::log::event(
                    "error",
                    "identities file not reloaded",
                    &[("error", &format!("{e:#}"))],
                ),
            });
        }
        tokio::spawn(cache.clone().watch_service_accounts());
        if args.watch_config_map {
            tokio::spawn(cache.clone().watch_config_map(args.namespace.clone()));
        }
        tls.reload_on_change(args.tls_cert.clone(), args.tls_key.clone());
        let (listener, addr) = super::serve::bind(addr).await?;
        eprintln!("kwi: webhook listening on https://{addr}");
        let webhook = Arc::new(Webhook {
            config,
            cache,
            metrics,
        });
        kwi_http::serve_with(listener, router(webhook), Some(tls), shutdown_signal())
            .await
            .context("the server stopped")?;
        kwi_http::log::flush();
        eprintln!("kwi: stopped");
        Ok(())
    })
}

fn read_identities(path: &str) -> Result<Identities> {
    let data = crate::files::read_input(path)?;
    Identities::parse(&data).map_err(|e| anyhow!("{path}: {e}"))
}
