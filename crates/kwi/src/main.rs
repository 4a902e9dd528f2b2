//! kwi: workload identity for self-hosted Kubernetes.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod fetch;
mod files;

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

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Errors can quote what a token or a file holds: no escape sequence reaches the
            // terminal.
            let text = format!("{err:#}");
            let shown: String = text
                .chars()
                .flat_map(|c| {
                    let escape = (c.is_control() && c != '\n')
                        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
                    let mut out = vec![c];
                    if escape {
                        out = c.escape_unicode().collect();
                    }
                    out
                })
                .collect();
            eprintln!("kwi: {shown}");
            if err.downcast_ref::<Rejected>().is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
