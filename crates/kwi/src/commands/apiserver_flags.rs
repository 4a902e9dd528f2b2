//! `kwi apiserver-flags`.

use anyhow::Result;
use kwi_issuer::{ApiserverFlags, FlagsFormat, IssuerUrl, KeyFile};

use crate::cli::{ApiserverFlagsArgs, FlagsFormatArg};
use crate::files;

fn key_file(path: &str) -> Result<KeyFile> {
    Ok(KeyFile {
        path: path.to_string(),
        keys: files::read_keys(path)?,
    })
}

pub(super) fn run(args: ApiserverFlagsArgs) -> Result<()> {
    let flags = ApiserverFlags {
        issuer: IssuerUrl::parse(&args.issuer)?,
        signing_key: key_file(&args.signing_key)?,
        verification_keys: args
            .keys
            .iter()
            .map(|p| key_file(p))
            .collect::<Result<_>>()?,
        audiences: args.audiences,
        jwks_uri: args.jwks_uri,
    };
    flags.check()?;
    let format = match args.format {
        FlagsFormatArg::Flags => FlagsFormat::Flags,
        FlagsFormatArg::Kubeadm => FlagsFormat::Kubeadm,
        FlagsFormatArg::K3s => FlagsFormat::K3s,
    };
    for warning in flags.warnings() {
        // Advice that is not a problem comes as "note: …" and is printed as a note.
        match warning.strip_prefix("note: ") {
            Some(note) => eprintln!("kwi: note: {note}"),
            None => eprintln!("kwi: warning: {warning}"),
        }
    }
    // A setup that breaks the cluster's tokens gets no flags, and exit code 1.
    let errors = flags.errors();
    if let Some((last, rest)) = errors.split_last() {
        for error in rest {
            eprintln!("kwi: {error}");
        }
        return Err(crate::Rejected(last.clone()).into());
    }
    files::emit(None, flags.render(format).as_bytes(), false)
}
