//! Every command's `--help`, walked from `kwi --help` down: each has examples, and every example
//! line fits the help width, so clap never breaks a command into orphan fragments (as
//! `kwi token verify --help` once printed `vault` and `sts` on lines of their own).

fn kwi() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_kwi"))
}

/// The subcommands a help text lists under `Commands:`.
fn subcommands(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            let Some(rest) = line.strip_prefix("  ") else {
                break;
            };
            if let Some(name) = rest.split_whitespace().next()
                && !rest.starts_with(' ')
                && name != "help"
            {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The lines of the `Examples:` section.
fn examples(help: &str) -> Vec<&str> {
    help.lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

/// Whether a line of an example section is a whole command, a comment, or the continuation of
/// a command whose line ended with `\`.
fn example_line_ok(line: &str, previous: Option<&str>) -> bool {
    if previous.is_some_and(|p| p.trim_end().ends_with('\\')) {
        return line.starts_with("      ");
    }
    let Some(text) = line.strip_prefix("  ") else {
        return false;
    };
    let first = text.split_whitespace().next().unwrap_or_default();
    // The programs examples run; a fragment cut off a long line starts with none of them.
    const PROGRAMS: &[&str] = &[
        "kwi",
        "az",
        "curl",
        "kubectl",
        "cat",
        "echo",
        "export",
        "aws",
        "ssh-keygen",
        "openssl",
        "jq",
        "$",
    ];
    PROGRAMS.contains(&first)
        || text.starts_with('#')
        || (first.contains('=') && first.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
}

#[test]
fn every_help_has_examples_that_fit_the_width() -> Result<(), Box<dyn std::error::Error>> {
    let mut pending = vec![Vec::<String>::new()];
    let mut walked = 0;
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = kwi().args(&args).env("COLUMNS", "100").output()?;
        assert!(out.status.success(), "kwi {args:?} failed");
        let help = String::from_utf8(out.stdout)?;
        walked += 1;
        let children = subcommands(&help);
        if children.is_empty() {
            let lines = examples(&help);
            assert!(
                !lines.is_empty(),
                "kwi {} --help has no Examples section",
                path.join(" ")
            );
            let mut previous = None;
            for line in lines {
                assert!(
                    example_line_ok(line, previous),
                    "kwi {} --help: an example broken by the help width: {line:?}",
                    path.join(" ")
                );
                previous = Some(line);
            }
        }
        for child in children {
            let mut next = path.clone();
            next.push(child);
            pending.push(next);
        }
    }
    assert!(walked > 10, "only {walked} help texts found");
    Ok(())
}

#[test]
fn bash_completions_are_valid_bash_and_know_every_command() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = tempfile::tempdir()?;
    let out = kwi().args(["completions", "bash"]).output()?;
    assert!(out.status.success());
    let script = dir.path().join("kwi.bash");
    std::fs::write(&script, &out.stdout)?;
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()?;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    for word in [
        "keys",
        "token",
        "serve",
        "--issuer-url",
        "--dev-root-token-id",
    ] {
        assert!(text.contains(word), "bash completions lack {word}");
    }
    for shell in ["zsh", "fish"] {
        let out = kwi().args(["completions", shell]).output()?;
        assert!(out.status.success() && String::from_utf8(out.stdout)?.contains("--issuer-url"));
    }
    Ok(())
}

#[test]
fn man_pages_cover_every_command() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let out = kwi().arg("man").arg("--dir").arg(dir.path()).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    pages.sort();
    for page in [
        "kwi.1",
        "kwi-token-mint.1",
        "kwi-serve.1",
        "kwi-keys-convert.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "no {page} in {pages:?}");
    }
    assert!(!pages.iter().any(|p| p.contains("-help")), "{pages:?}");
    let mint = std::fs::read_to_string(dir.path().join("kwi-token-mint.1"))?;
    assert!(
        mint.starts_with(".ie") && mint.contains(".SH NAME") && mint.contains("kube\\-apiserver")
    );
    let single = kwi().arg("man").output()?;
    assert!(String::from_utf8(single.stdout)?.contains(".TH kwi 1"));
    Ok(())
}
