//! kwi: workload identity for self-hosted Kubernetes.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod fetch;
mod files;
mod issuer_server;
mod kube_objects;

use std::process::ExitCode;

use clap::Parser;

/// A failure whose exit code is not the default 2 ("bad usage or unreadable input").
#[derive(Debug)]
pub struct Rejected(pub String);

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}

/// Text safe to print on a terminal: control characters (escape sequences; line breaks unless
/// `line_breaks`) and bidirectional overrides are shown escaped (`\u{1b}`), so that what a
/// token or a file holds cannot clear the screen or hide a line.
pub(crate) fn printable(text: &str, line_breaks: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(line_breaks && c == '\n'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Errors can quote what a token or a file holds: no escape sequence reaches the
            // terminal.
            let text = format!("{err:#}");
            eprintln!("kwi: {}", printable(&text, true));
            if err.downcast_ref::<Rejected>().is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
