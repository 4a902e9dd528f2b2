//! `kwi jwks` and `kwi discovery`: the two documents of an issuer, on their own.

use anyhow::Result;
use kwi_issuer::{
    DiscoveryStyle, IssuerUrl, KeySetOptions, discovery_document, jwks_for_keys, signing_algorithms,
};
use kwi_jose::{Key, jwks_document};

use super::note_unsupported_by_kubernetes;
use crate::cli::{DiscoveryArgs, JwksArgs};
use crate::files;

pub(super) fn jwks(args: JwksArgs) -> Result<()> {
    let keys: Vec<Key> = files::read_all_keys(&args.keys)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let jwks = jwks_for_keys(
        &keys,
        KeySetOptions {
            kid_method: args.kid_method.into(),
            legacy_empty_kid: args.legacy_empty_kid,
        },
    )?;
    note_unsupported_by_kubernetes(&keys);
    if args.pretty {
        let text = format!("{}\n", serde_json::to_string_pretty(&jwks)?);
        return files::emit(args.output.as_deref(), text.as_bytes(), false);
    }
    files::emit_document(args.output.as_deref(), &jwks_document(&jwks)?)
}

pub(super) fn discovery(args: DiscoveryArgs) -> Result<()> {
    let issuer = IssuerUrl::parse(&args.issuer)?;
    let style = DiscoveryStyle::from(args.style);
    let jwks_uri = args
        .jwks_uri
        .unwrap_or_else(|| style.default_jwks_uri(&issuer));
    let algs = if args.keys.is_empty() {
        vec!["RS256".to_string()]
    } else {
        let keys: Vec<Key> = files::read_all_keys(&args.keys)?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        note_unsupported_by_kubernetes(&keys);
        signing_algorithms(&keys)
    };
    let document = discovery_document(&issuer, &jwks_uri, &algs, style)?;
    if args.keys.is_empty() {
        eprintln!(
            "kwi: note: no --key given: the document lists RS256; pass the keys to list their algorithms"
        );
    }
    files::emit_document(args.output.as_deref(), &document)
}
