//! `kwi serve`: the Vault-compatible JWT login API.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use kwi_auth::{AppState, router};

use crate::cli::{ListenArgs, ServeArgs};

/// Binds the listening socket: the listener and the address it is bound to (the port chosen
/// when `--listen` gave 0). Shared by every kwi server command.
pub(crate) async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is another server there?)"))?;
    let bound = listener.local_addr().unwrap_or(addr);
    Ok((listener, bound))
}

/// The address of `--listen` and the TLS of `--tls-cert`/`--tls-key`; plain HTTP only on
/// loopback unless the command has `--insecure-http` (`Some`) and it is given. Shared by every
/// kwi server command.
pub(crate) fn listen_and_tls(
    server: &ListenArgs,
    insecure_http: Option<bool>,
    example: &str,
) -> Result<(SocketAddr, Option<kwi_http::Tls>)> {
    let listen = &server.listen;
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| anyhow!("--listen {listen}: not an address like {example}"))?;
    let tls = match (&server.tls_cert, &server.tls_key) {
        (Some(cert), Some(key)) => Some(
            kwi_http::Tls::from_files(cert, key)
                .map_err(|e| anyhow!("--tls-cert/--tls-key: {e}"))?,
        ),
        _ => None,
    };
    if tls.is_none() && !addr.ip().is_loopback() && insecure_http != Some(true) {
        bail!(
            "--listen {addr}: plain HTTP is served on loopback addresses only; give --tls-cert and --tls-key{}",
            if insecure_http.is_some() {
                ", or --insecure-http behind a TLS-terminating proxy"
            } else {
                ""
            }
        );
    }
    Ok((addr, tls))
}

/// Serves a renewed certificate (cert-manager, a Secret update) to new connections without a
/// restart: `--tls-cert` and `--tls-key` are watched. Needs the async runtime.
pub(crate) fn reload_tls_on_change(tls: Option<&kwi_http::Tls>, server: &ListenArgs) {
    if let (Some(tls), Some(cert), Some(key)) = (tls, &server.tls_cert, &server.tls_key) {
        tls.reload_on_change(cert.clone(), key.clone());
    }
}

pub(super) fn run(args: ServeArgs) -> Result<()> {
    let (addr, tls) = listen_and_tls(&args.server, Some(args.insecure_http), "127.0.0.1:8200")?;
    let declared = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            Some(kwi_auth::Declared::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let token_from_file = match declared.as_ref().and_then(|d| d.root_token_file.as_deref()) {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("{file}: cannot read the root token file"))?
                .trim()
                .to_string(),
        ),
        None => None,
    };
    let root_token = match (
        args.dev,
        args.dev_root_token_id.clone(),
        args.root_token.clone().or(token_from_file),
    ) {
        (true, Some(id), _) => checked_root_token("--dev-root-token-id", id)?,
        (_, _, Some(token)) if !token.is_empty() => checked_root_token("--root-token", token)?,
        (true, None, _) => kwi_jose::random_uuid()?,
        (false, _, _) => bail!(
            "give a root token for administrative calls: --root-token or KWI_ROOT_TOKEN (or try kwi serve --dev)"
        ),
    };
    let kwi_auth::data_dir::DataDir {
        store,
        mut tokens,
        warnings,
    } = kwi_auth::data_dir::open(&args.data_dir)?;
    for warning in warnings {
        eprintln!("kwi: warning: {warning}");
    }
    if let Some(url) = &args.public_url {
        let url = kwi_issuer::IssuerUrl::parse(url).map_err(|e| anyhow!("--public-url: {e}"))?;
        tokens = tokens.with_issuer(url.as_str().trim_end_matches('/'));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut state = AppState::new(store, tokens, root_token.clone());
    state.tls = tls.is_some();
    if let (Some(declared), Some(file)) = (&declared, &args.config) {
        // Everything is checked, remote keys fetched included, before the store is touched:
        // a bad file stops the start and leaves the data directory as it was.
        let shown = file.display().to_string();
        let checked = declared
            .check(&state.store)
            .map_err(|e| anyhow!("{shown}: {e}"))?;
        for warning in checked.iter().flat_map(|m| &m.warnings) {
            eprintln!("kwi: {shown}: warning: {warning}");
        }
        let keys = runtime.block_on(async {
            let mut keys = Vec::new();
            for mount in &checked {
                keys.push(kwi_auth::check_keys(&mount.config).await.map_err(|e| {
                    anyhow!("{shown}: mount {:?}: {}", mount.path, e.errors.join("; "))
                })?);
            }
            Ok::<_, anyhow::Error>(keys)
        })?;
        let (paths, removed) = kwi_auth::write_declared(&checked, &state.store)
            .map_err(|e| anyhow!("{shown}: {e}"))?;
        for path in removed {
            eprintln!("kwi: mount {path:?} is no longer declared in {shown}: removed");
        }
        for (path, keys) in paths.iter().zip(keys) {
            state.remember_checked(path, keys);
        }
        state.declare(paths, &shown);
    }
    let state = Arc::new(state);

    runtime.block_on(async move {
        let (listener, addr) = bind(addr).await?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        reload_tls_on_change(tls.as_ref(), &args.server);
        eprintln!("kwi: listening on {scheme}://{addr}");
        if args.dev {
            print_quickstart(addr, &root_token, &args.data_dir);
        }
        kwi_http::serve_with(listener, router(state), tls, shutdown_signal())
            .await
            .context("the server stopped")?;
        kwi_http::log::flush();
        eprintln!("kwi: stopped");
        Ok(())
    })
}

/// Refuses a root token that would leave the server open (empty) or that no HTTP client can
/// send back as given (white space at either end, control characters).
fn checked_root_token(flag: &str, token: String) -> Result<String> {
    if token.is_empty() {
        bail!(
            "{flag}: the root token is empty, which would let anyone administer kwi; give a value, or leave the flag out for a random one"
        );
    }
    if token.trim() != token {
        bail!(
            "{flag}: the root token starts or ends with white space, which HTTP clients strip from headers; remove it"
        );
    }
    if token.chars().any(char::is_control) {
        bail!("{flag}: the root token holds control characters, which no HTTP header can carry");
    }
    Ok(token)
}

/// Completes on SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
}

fn print_quickstart(addr: SocketAddr, root: &str, data_dir: &std::path::Path) {
    eprintln!(
        "\
kwi serve --dev: the Vault JWT auth API on http://{addr} (data in {data})

    Root Token: {root}

Try it (with the vault or bao CLI, or curl):

    export VAULT_ADDR=http://{addr} VAULT_TOKEN={root}
    kwi keys generate --out sa.key --public-out sa.pub
    vault auth enable jwt
    vault write auth/jwt/config jwt_validation_pubkeys=@sa.pub
    vault write auth/jwt/role/my-role role_type=jwt bound_audiences=vault user_claim=sub \\
        bound_subject=system:serviceaccount:default:default policies=default ttl=1h
    kwi token mint --key sa.key --issuer https://kubernetes.default.svc --namespace default \\
        --service-account default --aud vault > token.jwt
    vault write auth/jwt/login role=my-role jwt=@token.jwt
    curl -s -X POST --data \"{{\\\"jwt\\\":\\\"$(cat token.jwt)\\\",\\\"role\\\":\\\"my-role\\\"}}\" $VAULT_ADDR/v1/auth/jwt/login

Stop with Ctrl-C.",
        data = data_dir.display()
    );
}
