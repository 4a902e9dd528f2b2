//! A report for a person (one line per check, ✓/✗, grouped) or as JSON.

use serde_json::{Value, json};

use crate::catalogue::Party;
use crate::finding::Report;

/// The IAM command that registers the issuer as an OIDC provider.
pub fn iam_command(report: &Report, aud: &str) -> String {
    let mut command = format!(
        "aws iam create-open-id-connect-provider --url {} --client-id-list {aud}",
        report.issuer.trim_end_matches('/')
    );
    if let Some(t) = &report.thumbprint {
        command.push_str(&format!(" --thumbprint-list {t}"));
    }
    command
}

fn names(parties: &[Party]) -> String {
    parties
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report for a person.
pub fn human(report: &Report, aud: &str) -> String {
    let mut out = format!(
        "kwi doctor: {} for {}\n",
        report.issuer,
        names(&report.parties)
    );
    let mut group = "";
    for (g, line) in &report.passed {
        if *g != group {
            out.push_str(&format!("\n{g}\n"));
            group = g;
        }
        out.push_str(&format!("  ✓ {line}\n"));
    }
    if report.warnings().next().is_some() {
        out.push_str("\nwarnings (no relying party is known to refuse these)\n");
    }
    for f in report.warnings() {
        out.push_str(&format!("  ! {}: {}\n", f.entry.id, f.entry.what));
        out.push_str(&format!("      seen: {}\n", f.observation));
        out.push_str(&format!("      concerns: {}\n", names(&f.breaks)));
        for (p, m) in &f.messages {
            out.push_str(&format!("      {} may say: {m}\n", p.name()));
        }
        out.push_str(&format!("      fix: {}\n", f.entry.fix));
    }
    if report.has_failures() {
        out.push_str("\nproblems\n");
    }
    for f in report.failures() {
        out.push_str(&format!("  ✗ {}: {}\n", f.entry.id, f.entry.what));
        out.push_str(&format!("      seen: {}\n", f.observation));
        out.push_str(&format!("      refused by: {}\n", names(&f.breaks)));
        for (p, m) in &f.messages {
            out.push_str(&format!("      {} says: {m}\n", p.name()));
        }
        out.push_str(&format!("      fix: {}\n", f.entry.fix));
    }
    if report.parties.contains(&Party::Aws) {
        out.push_str("\nAWS\n");
        match &report.thumbprint {
            Some(t) => out.push_str(&format!("  IAM thumbprint of the jwks_uri host: {t}\n")),
            None => {
                out.push_str("  IAM thumbprint: not computed (the jwks_uri host was not reached)\n")
            }
        }
        out.push_str(&format!("  {}\n", iam_command(report, aud)));
    }
    out.push_str(&format!(
        "\n{}\n",
        match (report.failures().count(), report.warnings().count()) {
            (0, 0) => "no problem found".to_string(),
            (0, w) => format!("no problem found, {w} warning(s)"),
            (f, 0) => format!("{f} problem(s)"),
            (f, w) => format!("{f} problem(s), {w} warning(s)"),
        }
    ));
    out
}

/// The report as JSON.
pub fn to_json(report: &Report, aud: &str) -> Value {
    json!({
        "issuer": report.issuer,
        "for": report.parties.iter().map(|p| p.name()).collect::<Vec<_>>(),
        "ok": !report.has_failures(),
        "failures": report.failures().map(|f| json!({
            "id": f.entry.id,
            "what": f.entry.what,
            "observation": f.observation,
            "breaks": f.breaks.iter().map(|p| p.name()).collect::<Vec<_>>(),
            "messages": f.messages.iter().map(|(p, m)| (p.name().to_string(), Value::String(m.clone()))).collect::<serde_json::Map<_, _>>(),
            "fix": f.entry.fix,
        })).collect::<Vec<_>>(),
        "warnings": report.warnings().map(|f| json!({
            "id": f.entry.id,
            "what": f.entry.what,
            "observation": f.observation,
            "concerns": f.breaks.iter().map(|p| p.name()).collect::<Vec<_>>(),
            "messages": f.messages.iter().map(|(p, m)| (p.name().to_string(), Value::String(m.clone()))).collect::<serde_json::Map<_, _>>(),
            "fix": f.entry.fix,
        })).collect::<Vec<_>>(),
        "passed": report.passed.iter().map(|(g, l)| json!({"group": g, "check": l})).collect::<Vec<_>>(),
        "jwks_uri": report.jwks_uri,
        "aws": report.parties.contains(&Party::Aws).then(|| json!({
            "thumbprint": report.thumbprint,
            "command": iam_command(report, aud),
        })),
    })
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The catalogue as the README's Markdown table.
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "| check id | what is wrong | who refuses | their message | the fix |\n| --- | --- | --- | --- | --- |\n",
    );
    for e in crate::CATALOGUE {
        let messages = if e.messages.is_empty() {
            "—".to_string()
        } else {
            e.messages
                .iter()
                .filter(|(p, _)| e.parties.contains(p))
                .map(|(p, m)| format!("{}: `{}`", p.name(), m))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            e.id,
            cell(e.what),
            match e.severity {
                crate::catalogue::Severity::Refused => names(e.parties),
                crate::catalogue::Severity::Warning =>
                    format!("nobody (warning, for {})", names(e.parties)),
            },
            cell(&messages),
            cell(e.fix)
        ));
    }
    out
}
