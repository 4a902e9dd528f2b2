//! `kwi completions` and `kwi man`: generated from the same clap definition as `--help`, so
//! they never disagree with it.

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs, Shell};

pub(super) fn completions(args: &CompletionsArgs) -> Result<()> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kwi", &mut out);
    crate::files::write_out(&out)
}

/// The roff of one command's page.
fn page(command: &clap::Command) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .context("cannot render the man page")?;
    Ok(out)
}

/// Every command with its page name (`kwi`, `kwi-token`, `kwi-token-mint`, …: clap's display
/// names once the tree is built).
fn all_commands(command: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
    // clap's generated `help` subcommands get no pages.
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        all_commands(sub, out);
    }
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_string();
    out.push((name, command.clone()));
}

pub(super) fn man(args: &ManArgs) -> Result<()> {
    let mut root = Cli::command();
    root.build();
    let Some(dir) = &args.dir else {
        return crate::files::write_out(&page(&root)?);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut commands = Vec::new();
    all_commands(&root, &mut commands);
    for (name, command) in &commands {
        let path = dir.join(format!("{name}.1"));
        crate::files::write_atomic(&path, &page(command)?, false, true)?;
    }
    eprintln!(
        "kwi: wrote {} man pages into {}",
        commands.len(),
        dir.display()
    );
    Ok(())
}
