//! One module per command; each turns parsed arguments into effects.

mod apiserver_flags;
mod completions;
mod doctor;
mod documents;
mod issuer;
mod issuer_serve;
mod keys;
mod publish;
mod rotate;
mod serve;
mod sts;
mod token;
mod vault_sync;
mod webhook;
mod webhook_manifests;
mod webhook_serve;

use anyhow::Result;
use kwi_issuer::DiscoveryStyle;
use kwi_jose::{Key, KidMethod};

use crate::cli::{
    Cli, Command, IssuerCommand, KeysCommand, KidMethodArg, StsCommand, StyleArg, TokenCommand,
    WebhookCommand,
};

/// Runs one parsed command line.
pub(crate) fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Keys(KeysCommand::Generate(args)) => keys::generate(args),
        Command::Keys(KeysCommand::Convert(args)) => keys::convert(args),
        Command::Keys(KeysCommand::Kid(args)) => keys::kid(args),
        Command::Jwks(args) => documents::jwks(args),
        Command::Discovery(args) => documents::discovery(args),
        Command::Issuer(IssuerCommand::Build(args)) => issuer::build(args),
        Command::Issuer(IssuerCommand::Publish(args)) => publish::run(args),
        Command::Issuer(IssuerCommand::Serve(args)) => issuer_serve::run(args),
        Command::ApiserverFlags(args) => apiserver_flags::run(args),
        Command::Token(command) => match *command {
            TokenCommand::Mint(args) => token::mint(args),
            TokenCommand::Inspect(args) => token::inspect(args),
            TokenCommand::Verify(args) => token::verify(args),
        },
        Command::Serve(args) => serve::run(args),
        Command::Sts(StsCommand::Serve(args)) => sts::serve(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Webhook(command) => match *command {
            WebhookCommand::Mutate(args) => webhook::mutate_command(args),
            WebhookCommand::Manifests(args) => webhook_manifests::run(args),
            WebhookCommand::Serve(args) => webhook_serve::run(args),
        },
        Command::Rotate(command) => rotate::run(command),
        Command::Vault(crate::cli::VaultCommand::Sync(args)) => vault_sync::run(&args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
    }
}

impl From<KidMethodArg> for KidMethod {
    fn from(arg: KidMethodArg) -> Self {
        match arg {
            KidMethodArg::K8s => KidMethod::Kubernetes,
            KidMethodArg::Rfc7638 => KidMethod::Rfc7638,
        }
    }
}

impl From<StyleArg> for DiscoveryStyle {
    fn from(arg: StyleArg) -> Self {
        match arg {
            StyleArg::Kubernetes => DiscoveryStyle::Kubernetes,
            StyleArg::Eks => DiscoveryStyle::Eks,
        }
    }
}

/// Says once on standard error that kube-apiserver cannot use Ed25519 keys.
pub(crate) fn note_unsupported_by_kubernetes(keys: &[Key]) {
    if keys.iter().any(|k| !k.public().kubernetes_supported()) {
        eprintln!(
            "kwi: note: kube-apiserver cannot sign with or verify Ed25519 keys (it reads RSA and ECDSA only)"
        );
    }
}

/// The AWS region from the environment, as the AWS CLI reads it.
pub(crate) fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}
