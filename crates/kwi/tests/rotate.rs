//! `kwi rotate`: the key ring folder through a whole rotation, run as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Run, Workdir};
use serde_json::Value;

const ISSUER: &str = "https://oidc.example.com";

/// A key ring whose steps are all due at once (no waiting), in `kr`.
fn quick_ring(w: &Workdir, extra: &[&str]) -> Run {
    let mut args = vec![
        "rotate",
        "init",
        "--keyring",
        "kr",
        "--issuer",
        ISSUER,
        "--publish-lead",
        "0s",
        "--retire-after",
        "0s",
    ];
    args.extend_from_slice(extra);
    w.run(&args)
}

fn status(w: &Workdir) -> Value {
    let run = w
        .run(&["rotate", "status", "--keyring", "kr", "--json"])
        .ok();
    serde_json::from_slice(&run.stdout).unwrap()
}

/// (kid, role) of each key, as `kwi rotate status --json` lists them.
fn roles(w: &Workdir) -> Vec<(String, String)> {
    status(w)["keyring"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_string(),
                k["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn kid_of(roles: &[(String, String)], role: &str) -> String {
    roles.iter().find(|(_, r)| r == role).unwrap().0.clone()
}

/// The kids of the JWKS in the site.
fn site_kids(w: &Workdir) -> Vec<String> {
    let jwks: Value = serde_json::from_slice(&w.read("kr/site/openid/v1/jwks")).unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

fn kid_of_file(w: &Workdir, file: &str) -> String {
    let run = w.run(&["keys", "kid", file]).ok();
    run.stdout_text().trim().to_string()
}

/// A token signed with the ring's signing.key, written to `name`.
fn mint(w: &Workdir, name: &str) {
    let run = w
        .run(&[
            "token",
            "mint",
            "--key",
            "kr/signing.key",
            "--issuer",
            ISSUER,
            "--namespace",
            "default",
            "--service-account",
            "app",
            "--aud",
            "vault",
            "--ttl",
            "1h",
        ])
        .ok();
    w.write(name, run.stdout);
}

/// Whether `kwi token verify` accepts a token with the keys kube-apiserver is given.
fn verifies(w: &Workdir, token: &str) -> bool {
    let run = w.run(&[
        "token",
        "verify",
        token,
        "--key",
        "kr/verify.pub",
        "--iss",
        ISSUER,
        "--aud",
        "vault",
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    run.code == 0
}

#[test]
fn a_whole_rotation_keeps_every_live_token_valid_until_its_key_is_retired() {
    let w = Workdir::new();
    quick_ring(&w, &[]).ok();
    let first = kid_of(&roles(&w), "active");
    assert_eq!(kid_of_file(&w, "kr/signing.key"), first);
    assert_eq!(site_kids(&w), [first.as_str()]);
    mint(&w, "t1.jwt");
    assert!(verifies(&w, "t1.jwt"));

    // Stage: published, not signing.
    let run = w.run(&["rotate", "next", "--keyring", "kr"]).ok();
    assert!(
        run.stderr.contains("stage a new key: done"),
        "{}",
        run.stderr
    );
    let staged = kid_of(&roles(&w), "next");
    assert_ne!(staged, first);
    assert_eq!(kid_of_file(&w, "kr/signing.key"), first);
    assert_eq!(site_kids(&w), [first.clone(), staged.clone()]);
    let verify_pub = String::from_utf8(w.read("kr/verify.pub")).unwrap();
    assert_eq!(verify_pub.matches("BEGIN PUBLIC KEY").count(), 2);
    assert!(verifies(&w, "t1.jwt"));

    // Promote: the staged key signs; the old one stays published.
    w.run(&["rotate", "next", "--keyring", "kr"]).ok();
    assert_eq!(
        roles(&w),
        [
            (first.clone(), "previous".into()),
            (staged.clone(), "active".into())
        ]
    );
    assert_eq!(kid_of_file(&w, "kr/signing.key"), staged);
    assert_eq!(site_kids(&w), [staged.clone(), first.clone()]);
    mint(&w, "t2.jwt");
    assert!(verifies(&w, "t1.jwt"), "a token of the old key stays valid");
    assert!(verifies(&w, "t2.jwt"));

    // Retire: the old key is gone, and its file deleted.
    w.run(&["rotate", "next", "--keyring", "kr"]).ok();
    assert_eq!(roles(&w), [(staged.clone(), "active".into())]);
    assert_eq!(site_kids(&w), [staged.as_str()]);
    assert!(!w.path(&format!("kr/keys/{first}.key")).exists());
    assert!(!verifies(&w, "t1.jwt"), "the old key's tokens are refused");
    assert!(verifies(&w, "t2.jwt"));
}

#[test]
fn private_files_are_0600_in_a_0700_folder() {
    let w = Workdir::new();
    quick_ring(&w, &["--alg", "ES256"]).ok();
    w.run(&["rotate", "next", "--keyring", "kr"]).ok();
    let mode = |p: &str| std::fs::metadata(w.path(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("kr"), 0o700);
    assert_eq!(mode("kr/keys"), 0o700);
    assert_eq!(mode("kr/signing.key"), 0o600);
    for (kid, _) in roles(&w) {
        assert_eq!(mode(&format!("kr/keys/{kid}.key")), 0o600);
    }
    assert_eq!(mode("kr/verify.pub"), 0o644);
}

#[test]
fn a_step_that_is_not_due_is_refused_unless_forced() {
    let w = Workdir::new();
    w.run(&["rotate", "init", "--keyring", "kr", "--issuer", ISSUER])
        .ok();
    // A stage can be started by hand at any time.
    w.run(&["rotate", "next", "--keyring", "kr"]).ok();
    let before = w.read("kr/keyring.json");
    let run = w.run(&["rotate", "next", "--keyring", "kr"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("not due until"), "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(
        w.read("kr/keyring.json"),
        before,
        "a refused step changes nothing"
    );
    // auto takes only what is due: nothing.
    let run = w.run(&["rotate", "auto", "--keyring", "kr"]).ok();
    assert!(run.stderr.contains("nothing is due"), "{}", run.stderr);
    assert_eq!(w.read("kr/keyring.json"), before);
    let run = w
        .run(&["rotate", "next", "--keyring", "kr", "--force"])
        .ok();
    assert!(run.stderr.contains("promote key"), "{}", run.stderr);
    assert_eq!(roles(&w)[1].1, "active");
}

#[test]
fn auto_takes_every_due_step_and_one_rotation_at_most() {
    let w = Workdir::new();
    quick_ring(&w, &["--rotate-every", "0s", "--alg", "ES256"]).ok();
    let first = kid_of(&roles(&w), "active");
    let run = w.run(&["rotate", "auto", "--keyring", "kr"]).ok();
    for step in ["stage a new key: done", "promote key", "retire key"] {
        assert!(run.stderr.contains(step), "{step}: {}", run.stderr);
    }
    let after = roles(&w);
    assert_eq!(after.len(), 1);
    assert_ne!(after[0].0, first);
    assert_eq!(site_kids(&w), [after[0].0.clone()]);
}

#[test]
fn init_adopts_the_clusters_key_and_never_overwrites_a_ring() {
    let w = Workdir::new();
    w.run(&["keys", "generate", "--alg", "ES384", "--out", "sa.key"])
        .ok();
    let kid = kid_of_file(&w, "sa.key");
    w.run(&[
        "rotate",
        "init",
        "--keyring",
        "kr",
        "--issuer",
        ISSUER,
        "--from",
        "sa.key",
    ])
    .ok();
    assert_eq!(kid_of(&roles(&w), "active"), kid);
    assert_eq!(kid_of_file(&w, "kr/signing.key"), kid);
    assert_eq!(status(&w)["keyring"]["keys"][0]["alg"], "ES384");
    // A stage makes a key like the active one.
    w.run(&["rotate", "next", "--keyring", "kr"]).ok();
    assert_eq!(status(&w)["keyring"]["keys"][1]["alg"], "ES384");

    let before = w.read("kr/keyring.json");
    w.run(&["rotate", "init", "--keyring", "kr", "--issuer", ISSUER])
        .usage_error(&["already holds a key ring"]);
    assert_eq!(w.read("kr/keyring.json"), before);

    w.run(&["keys", "convert", "sa.key", "--to", "spki", "-o", "sa.pub"])
        .ok();
    w.run(&[
        "rotate",
        "init",
        "--keyring",
        "kr2",
        "--issuer",
        ISSUER,
        "--from",
        "sa.pub",
    ])
    .usage_error(&["sa.pub", "no private key"]);
}

#[test]
fn a_broken_key_ring_is_named_and_nothing_is_written() {
    let w = Workdir::new();
    quick_ring(&w, &[]).ok();
    let kid = kid_of(&roles(&w), "active");

    // Not JSON.
    let good = w.read("kr/keyring.json");
    w.write("kr/keyring.json", "{");
    w.run(&["rotate", "status", "--keyring", "kr"])
        .usage_error(&["kr/keyring.json", "not a kwi key ring"]);
    // A kid that would walk out of the folder.
    let text = String::from_utf8(good.clone()).unwrap();
    w.write("kr/keyring.json", text.replace(&kid, "../../x"));
    w.run(&["rotate", "next", "--keyring", "kr"])
        .usage_error(&["kr/keyring.json", "cannot name a key file"]);
    // A key file replaced by another key.
    w.write("kr/keyring.json", &good);
    w.run(&["keys", "generate", "--out", "other.key"]).ok();
    std::fs::copy(w.path("other.key"), w.path(&format!("kr/keys/{kid}.key"))).unwrap();
    let signing = w.read("kr/signing.key");
    w.run(&["rotate", "next", "--keyring", "kr"])
        .usage_error(&["changed by hand"]);
    assert_eq!(w.read("kr/signing.key"), signing);
    // No key ring at all.
    for command in ["status", "next", "auto"] {
        w.run(&["rotate", command, "--keyring", "nowhere"])
            .usage_error(&["nowhere/keyring.json", "kwi rotate init"]);
    }
    assert!(!w.path("nowhere").exists(), "nothing is created");
}

#[test]
fn a_failed_publish_undoes_the_step() {
    let w = Workdir::new();
    quick_ring(&w, &["--alg", "ES256"]).ok();
    let ring = w.read("kr/keyring.json");
    let jwks = w.read("kr/site/openid/v1/jwks");
    // A publish folder that cannot be made: a file stands where it must go.
    w.write("blocker", "a file");
    let to = format!("file://{}/sub", w.path("blocker").display());
    let run = w.run(&[
        "rotate",
        "next",
        "--keyring",
        "kr",
        "--publish",
        &to,
        "--no-verify",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not done (the key ring is as it was)"),
        "{}",
        run.stderr
    );
    assert_eq!(w.read("kr/keyring.json"), ring);
    assert_eq!(w.read("kr/site/openid/v1/jwks"), jwks);
    assert_eq!(std::fs::read_dir(w.path("kr/keys")).unwrap().count(), 1);

    // The same step to a folder that works publishes the new site.
    let to = format!("file://{}", w.path("www").display());
    w.run(&[
        "rotate",
        "next",
        "--keyring",
        "kr",
        "--publish",
        &to,
        "--no-verify",
    ])
    .ok();
    assert_eq!(
        w.read("www/openid/v1/jwks"),
        w.read("kr/site/openid/v1/jwks")
    );
    assert_eq!(site_kids(&w).len(), 2);
}

#[test]
fn status_says_what_comes_next_and_when() {
    let w = Workdir::new();
    w.run(&[
        "rotate",
        "init",
        "--keyring",
        "kr",
        "--issuer",
        ISSUER,
        "--rotate-every",
        "30d",
        "--publish-lead",
        "1d",
    ])
    .ok();
    let run = w.run(&["rotate", "status", "--keyring", "kr"]).ok();
    let text = run.stdout_text();
    assert!(text.contains("rotate every 30d"), "{text}");
    assert!(text.contains("active"), "{text}");
    assert!(text.contains("next step: stage a new key"), "{text}");
    assert!(text.contains("(in 29d"), "{text}");
    let plan = &status(&w)["plan"];
    assert_eq!(plan["step"], "stage");
    let due_in = plan["due_in_seconds"].as_i64().unwrap();
    assert!(
        (29 * 86_400 - 60..=29 * 86_400).contains(&due_in),
        "{due_in}"
    );
}
