//! The Vault profile: a token for a JWT auth role of Vault, OpenBao or `kwi serve`, and the
//! variables a pod needs to log in with it:
//! `vault write "$VAULT_AUTH_PATH/login" role="$VAULT_ROLE" jwt=@"$VAULT_JWT_FILE"`.

use crate::config::{MIN_TOKEN_EXPIRATION, VaultConfig};
use crate::directory::Lookup;
use crate::go_syntax::parse_int;
use crate::injection::{EnvVar, Injection, Mount, Volume};
use crate::pod::Pod;

const VOLUME: &str = "vault-token";
const MOUNT_PATH: &str = "/var/run/secrets/vault/serviceaccount";
const TOKEN_FILE: &str = "token";

/// The Vault injection, or `None` when the ServiceAccount names no role.
pub(crate) fn inject(
    pod: &Pod<'_>,
    config: &VaultConfig,
    lookup: &Lookup<'_>,
    notes: &mut Vec<String>,
) -> Option<Injection> {
    let prefix = &config.annotation_prefix;
    let sa = |name: &str| lookup.annotation(prefix, name);
    let role = sa("role").filter(|r| !r.is_empty())?;
    let addr = sa("addr").unwrap_or(&config.addr);
    let mount = sa("auth-mount")
        .unwrap_or(&config.auth_mount)
        .trim_matches('/');
    let audience = sa("audience").unwrap_or(&config.audience);
    let mut expiration = config.token_expiration;
    for (source, value) in [
        ("ServiceAccount", sa("token-expiration")),
        ("pod", pod.annotation(&format!("{prefix}/token-expiration"))),
    ] {
        let Some(value) = value else { continue };
        match parse_int(value) {
            Some(seconds) => expiration = seconds,
            None => notes.push(format!("{source} annotation {prefix}/token-expiration: {value:?} is not a number of seconds; ignored")),
        }
    }
    let mut env = Vec::new();
    if !addr.is_empty() {
        env.push(EnvVar::new("VAULT_ADDR", addr));
    }
    env.push(EnvVar::new("VAULT_ROLE", role));
    env.push(EnvVar::new("VAULT_AUTH_PATH", format!("auth/{mount}")));
    env.push(EnvVar::new(
        "VAULT_JWT_FILE",
        format!("{MOUNT_PATH}/{TOKEN_FILE}"),
    ));
    let skip_containers = pod.annotation_list(&format!("{prefix}/skip-containers"), ',');
    let volume = Volume::token(
        VOLUME,
        audience,
        expiration.max(MIN_TOKEN_EXPIRATION),
        TOKEN_FILE,
        None,
    );
    Some(Injection::token(
        volume,
        Mount::read_only(VOLUME, MOUNT_PATH),
        env,
        skip_containers,
    ))
}
