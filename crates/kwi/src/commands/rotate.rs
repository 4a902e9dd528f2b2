//! `kwi rotate init|status|next|auto`: the file edge of kwi-issuer's rotation state machine.
//!
//! The key ring folder holds `keyring.json` (the state), `keys/<kid>.key` (mode 0600) and the
//! outputs, rewritten from the state at every run: `signing.key`, `verify.pub` and `site/`.
//! A step is written in this order: the new key's file, the outputs, the publish (when asked;
//! its failure puts the outputs back and undoes the step), then `keyring.json`, the commit
//! point; a retired key's file is deleted last. A run that stops half way leaves a state that
//! the next run renders again. One run at a time holds the folder's lock.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use kwi_issuer::{DiscoveryStyle, IssuerUrl, KeyRing, KeyRole, Plan, Policy, Step};
use kwi_jose::time::{format_duration, format_rfc3339, parse_duration};
use kwi_jose::{Curve, Key, KeySpec, PublicKey, kubernetes_kid, pem, pkcs8_der, spki_der};
use zeroize::Zeroizing;

use super::issuer::documents_for_keys;
use super::token::now;
use crate::Rejected;
use crate::cli::{
    PublishArgs, RotateAlg, RotateCommand, RotateInitArgs, RotatePublishArgs, RotateStatusArgs,
    RotateStepArgs, StyleArg,
};
use crate::files;

/// The state file in the key ring folder.
const RING_FILE: &str = "keyring.json";
/// The lock file: held (flock) by the run that changes the folder.
const LOCK_FILE: &str = "keyring.lock";
/// No key ring file is this large.
const MAX_RING: u64 = 1024 * 1024;
/// At most one whole rotation per `kwi rotate auto` run, whatever the policy.
const MAX_AUTO_STEPS: usize = 3;

/// Runs one `kwi rotate` command.
pub(super) fn run(command: RotateCommand) -> Result<()> {
    match command {
        RotateCommand::Init(args) => init(args),
        RotateCommand::Status(args) => status(&args),
        RotateCommand::Next(args) => next(&args),
        RotateCommand::Auto(args) => auto(&args),
    }
}

/// The key ring folder, locked for this run.
struct Folder {
    dir: PathBuf,
    _lock: fs::File,
}

impl Folder {
    /// Locks the folder, or says which run holds it.
    fn lock(dir: &Path) -> Result<Folder> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("{}: cannot open the lock file", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Folder {
                dir: dir.to_path_buf(),
                _lock: file,
            }),
            Err(fs::TryLockError::WouldBlock) => bail!(
                "{}: another kwi rotate is changing this key ring; run again when it is done",
                dir.display()
            ),
            Err(fs::TryLockError::Error(e)) => bail!("{}: cannot lock: {e}", path.display()),
        }
    }

    fn key_path(&self, kid: &str) -> PathBuf {
        self.dir.join("keys").join(format!("{kid}.key"))
    }

    fn ring_path(&self) -> PathBuf {
        self.dir.join(RING_FILE)
    }
}

/// Reads and checks `keyring.json`.
fn load(dir: &Path) -> Result<KeyRing> {
    let path = dir.join(RING_FILE);
    let shown = path.display();
    let meta = fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!(
            "{shown}: no such file; start a key ring with kwi rotate init --keyring {}",
            dir.display()
        ),
        _ => anyhow!("{shown}: {e}"),
    })?;
    if meta.len() > MAX_RING {
        bail!("{shown}: larger than 1 MiB; not a kwi key ring");
    }
    let bytes = fs::read(&path).with_context(|| format!("{shown}: cannot read"))?;
    let ring: KeyRing =
        serde_json::from_slice(&bytes).map_err(|e| anyhow!("{shown}: not a kwi key ring: {e}"))?;
    ring.check().map_err(|e| anyhow!("{shown}: {e}"))?;
    Ok(ring)
}

/// Writes `keyring.json` atomically.
fn save(folder: &Folder, ring: &KeyRing) -> Result<()> {
    let mut text = serde_json::to_string_pretty(ring).context("cannot write the key ring")?;
    text.push('\n');
    files::write_atomic(&folder.ring_path(), text.as_bytes(), false, true)
}

/// The PEM (PKCS#8) of a private key.
fn private_pem(key: &Key) -> Result<Zeroizing<String>> {
    Ok(Zeroizing::new(pem::encode("PRIVATE KEY", &pkcs8_der(key)?)))
}

/// Reads a key of the ring and checks that it is the private key its kid names.
fn read_ring_key(folder: &Folder, kid: &str) -> Result<Key> {
    let path = folder.key_path(kid);
    let shown = path.to_string_lossy().into_owned();
    let (key, _) = files::read_keys(&shown)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("{shown}: holds no key"))?;
    if !key.is_private() {
        bail!("{shown}: holds a public key; the key ring keeps private keys");
    }
    let found = kubernetes_kid(&key)?;
    if found != kid {
        bail!(
            "{shown}: holds the key with kid {found}, not {kid}; the key ring was changed by hand"
        );
    }
    Ok(key)
}

/// Writes `signing.key`, `verify.pub` and `site/` from the ring.
fn render(folder: &Folder, ring: &KeyRing) -> Result<()> {
    let published = ring.published();
    let keys = published
        .iter()
        .map(|k| read_ring_key(folder, &k.kid))
        .collect::<Result<Vec<Key>>>()?;
    // published() puts the signing key first.
    let signing = keys
        .first()
        .ok_or_else(|| anyhow!("the key ring has no active key"))?;
    files::write_atomic(
        &folder.dir.join("signing.key"),
        private_pem(signing)?.as_bytes(),
        true,
        true,
    )?;
    let mut verify = String::new();
    for key in &keys {
        verify.push_str(&pem::encode("PUBLIC KEY", &spki_der(key)?));
    }
    files::write_atomic(
        &folder.dir.join("verify.pub"),
        verify.as_bytes(),
        false,
        true,
    )?;
    let issuer = IssuerUrl::parse(&ring.issuer)?;
    let style = style_of(ring)?;
    let jwks_uri = ring
        .jwks_uri
        .clone()
        .unwrap_or_else(|| style.default_jwks_uri(&issuer));
    let (site, _) = documents_for_keys(&issuer, &jwks_uri, &keys, style, false)?;
    for file in site {
        files::write_atomic(
            &folder.dir.join("site").join(&file.path),
            &file.contents,
            false,
            true,
        )?;
    }
    Ok(())
}

fn style_of(ring: &KeyRing) -> Result<DiscoveryStyle> {
    match ring.style.as_str() {
        "kubernetes" => Ok(DiscoveryStyle::Kubernetes),
        "eks" => Ok(DiscoveryStyle::Eks),
        other => bail!("{RING_FILE}: style {other:?} is neither kubernetes nor eks"),
    }
}

/// Uploads the site where --publish says, as `kwi issuer publish` does.
fn publish(folder: &Folder, args: &RotatePublishArgs) -> Result<()> {
    let Some(to) = &args.publish else {
        return Ok(());
    };
    super::publish::run(PublishArgs {
        site: folder.dir.join("site"),
        to: to.clone(),
        region: args.region.clone(),
        endpoint: args.endpoint.clone(),
        create_bucket: false,
        make_public: false,
        dry_run: false,
        verify: args.verify.clone(),
        no_verify: args.no_verify,
        ca_file: args.ca_file.clone(),
        max_age: 3600,
    })
}

fn spec_of(alg: RotateAlg) -> KeySpec {
    match alg {
        RotateAlg::Rs256 => KeySpec::Rsa { bits: 2048 },
        RotateAlg::Es256 => KeySpec::Ec(Curve::P256),
        RotateAlg::Es384 => KeySpec::Ec(Curve::P384),
        RotateAlg::Es512 => KeySpec::Ec(Curve::P521),
    }
}

/// A new key like `like` (same type and size), or of --alg.
fn spec_like(like: &Key) -> KeySpec {
    match like.public() {
        PublicKey::Rsa { n, .. } => KeySpec::Rsa {
            bits: (n.len() * 8).clamp(2048, 4096),
        },
        PublicKey::Ec { curve, .. } => KeySpec::Ec(*curve),
        PublicKey::Ed25519 { .. } => KeySpec::Rsa { bits: 2048 },
    }
}

fn duration_flag(flag: &str, text: &str) -> Result<i64> {
    parse_duration(text).map_err(|e| anyhow!("{flag}: {e}"))
}

/// Creates the folder (mode 0700) or checks that it holds no key ring yet.
fn make_folder(dir: &Path) -> Result<()> {
    if dir.join(RING_FILE).exists() {
        bail!(
            "{}: already holds a key ring; see it with kwi rotate status --keyring {}",
            dir.join(RING_FILE).display(),
            dir.display()
        );
    }
    if dir.exists() && !dir.is_dir() {
        bail!("{}: exists and is not a folder", dir.display());
    }
    for d in [dir.to_path_buf(), dir.join("keys")] {
        fs::create_dir_all(&d).with_context(|| format!("{}: cannot create", d.display()))?;
        fs::set_permissions(&d, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("{}: cannot set mode 0700", d.display()))?;
    }
    Ok(())
}

/// The key `kwi rotate init` starts with: adopted (--from) or generated.
fn first_key(args: &RotateInitArgs) -> Result<Key> {
    let Some(path) = &args.from else {
        return Ok(kwi_jose::generate(spec_of(args.alg))?);
    };
    let key = files::read_keys(path)?
        .into_iter()
        .map(|(k, _)| k)
        .find(Key::is_private)
        .ok_or_else(|| {
            anyhow!("{path}: holds no private key; --from takes the cluster's signing key (sa.key)")
        })?;
    if !key.public().kubernetes_supported() {
        bail!(
            "{path}: {}: kube-apiserver cannot sign with it; give an RSA or ECDSA key",
            key.describe()
        );
    }
    Ok(key)
}

fn init(args: RotateInitArgs) -> Result<()> {
    let policy = Policy {
        publish_lead_seconds: duration_flag("--publish-lead", &args.publish_lead)?,
        retire_after_seconds: duration_flag("--retire-after", &args.retire_after)?,
        rotate_every_seconds: duration_flag("--rotate-every", &args.rotate_every)?,
    };
    let issuer = IssuerUrl::parse(&args.issuer)?;
    let style = match args.style {
        StyleArg::Kubernetes => "kubernetes",
        StyleArg::Eks => "eks",
    };
    make_folder(&args.keyring)?;
    let folder = Folder::lock(&args.keyring)?;
    let key = first_key(&args)?;
    let kid = kubernetes_kid(&key)?;
    files::write_atomic(
        &folder.key_path(&kid),
        private_pem(&key)?.as_bytes(),
        true,
        false,
    )?;
    let ring = KeyRing::new(
        issuer.to_string(),
        style.into(),
        policy,
        kid.clone(),
        key.public().alg().into(),
        now(),
    );
    render(&folder, &ring)?;
    save(&folder, &ring)?;
    eprintln!(
        "kwi: key ring {} started: key {kid} ({}) signs",
        folder.dir.display(),
        key.describe()
    );
    warn_short_lead(&policy);
    publish(&folder, &args.publish)?;
    let dir = folder.dir.display();
    eprintln!(
        "kwi: kube-apiserver flags: kwi apiserver-flags --issuer {issuer} --signing-key {dir}/signing.key --key {dir}/verify.pub"
    );
    say_next(&ring);
    Ok(())
}

/// Relying parties cache the JWKS (max-age 3600 as kwi and kube-apiserver serve it).
fn warn_short_lead(policy: &Policy) {
    if policy.publish_lead_seconds < 3600 {
        eprintln!(
            "kwi: warning: --publish-lead {} is shorter than the JWKS's Cache-Control max-age (1h): \
             a relying party may not know a new key when it starts signing",
            format_duration(policy.publish_lead_seconds)
        );
    }
}

/// "in 3h2m" or "3h2m ago".
fn relative(at: i64, now: i64) -> String {
    match at - now {
        d if d > 0 => format!("in {}", format_duration(d)),
        0 => "now".into(),
        d => format!("{} ago", format_duration(-d)),
    }
}

fn say_next(ring: &KeyRing) {
    if let Some(plan) = ring.plan() {
        eprintln!(
            "kwi: next step: {}, due {} ({})",
            plan.step,
            format_rfc3339(plan.due),
            relative(plan.due, now())
        );
    }
}

/// What the cluster's operator does after a step.
fn after(step: &Step, dir: &Path) -> String {
    let dir = dir.display();
    match step {
        Step::Stage => format!(
            "the new key is in {dir}/verify.pub and the site's JWKS, not signing: publish the site and \
             restart kube-apiserver on every control-plane node before the promotion"
        ),
        Step::Promote { .. } => format!(
            "{dir}/signing.key changed: restart kube-apiserver on every control-plane node; the old key \
             stays published until it is retired"
        ),
        Step::Retire { .. } => format!(
            "the old key is gone from {dir}/verify.pub and the site: publish the site and restart \
             kube-apiserver; tokens it signed are refused from now on"
        ),
    }
}

/// With --check-issuer, refuses to promote a key the issuer does not serve yet: a relying party
/// reading the issuer now would refuse the tokens it signs.
fn check_served(ring: &KeyRing, step: &Step, args: &RotateStepArgs) -> Result<()> {
    let Step::Promote { kid } = step else {
        return Ok(());
    };
    if !args.check_issuer {
        return Ok(());
    }
    let (jwks, _) = crate::fetch::issuer_jwks(&ring.issuer, args.issuer_ca_file.as_deref())?;
    let served: Vec<String> = kwi_jose::parse_keys(jwks.as_bytes())
        .map_err(|e| anyhow!("{}: the served JWKS: {e}", ring.issuer))?
        .iter()
        .filter_map(|k| kubernetes_kid(k).ok())
        .collect();
    if served.iter().any(|s| s == kid) {
        eprintln!("kwi: {} serves key {kid}", ring.issuer);
        return Ok(());
    }
    Err(Rejected(format!(
        "{step}: not done: {} does not serve key {kid} yet (it serves {}); publish the site, let \
         caches expire, and run again",
        ring.issuer,
        if served.is_empty() {
            "no key".to_string()
        } else {
            served.join(", ")
        }
    ))
    .into())
}

/// Takes one step: the new key, the outputs, the publish (undone on failure), the state.
fn take(
    folder: &Folder,
    ring: &KeyRing,
    step: &Step,
    alg: Option<RotateAlg>,
    publish_args: &RotatePublishArgs,
) -> Result<KeyRing> {
    let mut next = ring.clone();
    let mut made = None;
    let new_key = match step {
        Step::Stage => {
            let active = ring
                .key(KeyRole::Active)
                .ok_or_else(|| anyhow!("the key ring has no active key"))?;
            let spec = match alg {
                Some(alg) => spec_of(alg),
                None => spec_like(&read_ring_key(folder, &active.kid)?),
            };
            let key = kwi_jose::generate(spec)?;
            let kid = kubernetes_kid(&key)?;
            let path = folder.key_path(&kid);
            files::write_atomic(&path, private_pem(&key)?.as_bytes(), true, false)?;
            made = Some(path);
            Some((kid, key.public().alg().to_string()))
        }
        _ => None,
    };
    let undo_key = |made: &Option<PathBuf>| {
        if let Some(path) = made {
            let _ = fs::remove_file(path);
        }
    };
    if let Err(e) = next.apply(step, now(), new_key) {
        undo_key(&made);
        return Err(e.into());
    }
    let done = render(folder, &next).and_then(|()| publish(folder, publish_args));
    if let Err(e) = done {
        // The relying parties must never see a state that is not saved: back to the last one.
        let restored = render(folder, ring);
        undo_key(&made);
        return Err(match restored {
            Ok(()) => e.context(format!("{step}: not done (the key ring is as it was)")),
            Err(r) => e.context(format!(
                "{step}: not done, and the outputs could not be put back ({r:#}): run kwi rotate status"
            )),
        });
    }
    save(folder, &next)?;
    if let Step::Retire { kid } = step {
        let path = folder.key_path(kid);
        if let Err(e) = fs::remove_file(&path) {
            eprintln!(
                "kwi: warning: {}: cannot delete the retired key: {e}",
                path.display()
            );
        }
    }
    eprintln!("kwi: {step}: done");
    eprintln!("kwi: {}", after(step, &folder.dir));
    Ok(next)
}

/// Locks an existing key ring and reads it.
fn open(dir: &Path) -> Result<(Folder, KeyRing)> {
    // Said before the lock, which would otherwise fail on a folder that does not exist.
    load(dir)?;
    let folder = Folder::lock(dir)?;
    let ring = load(dir)?;
    Ok((folder, ring))
}

fn next(args: &RotateStepArgs) -> Result<()> {
    let (folder, ring) = open(&args.keyring)?;
    render(&folder, &ring)?;
    let Some(Plan { step, due }) = ring.plan() else {
        bail!(
            "{}: the key ring has no active key",
            folder.ring_path().display()
        );
    };
    let now = now();
    // A stage may be started by hand at any time; the other steps wait for the policy.
    if due > now && step != Step::Stage && !args.force {
        return Err(Rejected(format!(
            "{step}: not due until {} ({}); add --force to do it now",
            format_rfc3339(due),
            relative(due, now)
        ))
        .into());
    }
    check_served(&ring, &step, args)?;
    let ring = take(&folder, &ring, &step, args.alg, &args.publish)?;
    say_next(&ring);
    Ok(())
}

fn auto(args: &RotateStepArgs) -> Result<()> {
    if args.force {
        bail!(
            "--force applies to kwi rotate next; kwi rotate auto takes only the steps that are due"
        );
    }
    let (folder, mut ring) = open(&args.keyring)?;
    render(&folder, &ring)?;
    let mut taken = 0;
    while let Some(Plan { step, due }) = ring.plan() {
        if due > now() || taken == MAX_AUTO_STEPS {
            break;
        }
        check_served(&ring, &step, args)?;
        ring = take(&folder, &ring, &step, args.alg, &args.publish)?;
        taken += 1;
    }
    if taken == 0 {
        eprintln!("kwi: nothing is due");
        if args.publish.publish.is_some() {
            publish(&folder, &args.publish)?;
        }
    }
    say_next(&ring);
    Ok(())
}

fn status(args: &RotateStatusArgs) -> Result<()> {
    let ring = load(&args.keyring)?;
    let now = now();
    let plan = ring.plan();
    if args.json {
        let plan = plan.map(|p| {
            let (step, kid) = match &p.step {
                Step::Stage => ("stage", None),
                Step::Promote { kid } => ("promote", Some(kid.clone())),
                Step::Retire { kid } => ("retire", Some(kid.clone())),
            };
            serde_json::json!({
                "step": step,
                "kid": kid,
                "due": format_rfc3339(p.due),
                "due_in_seconds": p.due - now,
            })
        });
        let doc = serde_json::json!({ "keyring": ring, "plan": plan });
        let text = serde_json::to_string_pretty(&doc).context("cannot print the key ring")?;
        return files::write_stdout(&text);
    }
    let p = &ring.policy;
    let mut out = format!(
        "issuer    {}\npolicy    publish lead {}, retire after {}, rotate every {}\n\n{:<44} {:<6} {:<9} SINCE\n",
        ring.issuer,
        format_duration(p.publish_lead_seconds),
        format_duration(p.retire_after_seconds),
        format_duration(p.rotate_every_seconds),
        "KID",
        "ALG",
        "ROLE",
    );
    for key in ring.published() {
        out.push_str(&format!(
            "{:<44} {:<6} {:<9} {} ({})\n",
            key.kid,
            key.alg,
            key.role.as_str(),
            format_rfc3339(key.since),
            relative(key.since, now)
        ));
    }
    if let Some(plan) = plan {
        let how = match (&plan.step, plan.due > now) {
            (Step::Stage, _) | (_, false) => "kwi rotate next does it now",
            (_, true) => "kwi rotate next --force does it now",
        };
        out.push_str(&format!(
            "\nnext step: {}, due {} ({}); {how}",
            plan.step,
            format_rfc3339(plan.due),
            relative(plan.due, now)
        ));
    }
    files::write_stdout(&out)
}
