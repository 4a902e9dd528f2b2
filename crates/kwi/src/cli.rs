//! The command line: every flag and its help text is defined here, once.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Workload identity for self-hosted Kubernetes: service-account signing keys, the OIDC issuer
/// that AWS, Vault, Azure and Google trust, and the kube-apiserver flags that tie them together.
#[derive(Debug, Parser)]
#[command(name = "kwi", version, max_term_width = 100, after_help = MAIN_EXAMPLES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const MAIN_EXAMPLES: &str = "\
Examples:
  kwi keys generate --out sa.key --public-out sa.pub
  kwi issuer build --issuer https://oidc.example.com --key sa.pub --out site/
  kwi apiserver-flags --issuer https://oidc.example.com \\
      --signing-key /etc/kubernetes/pki/sa.key --key /etc/kubernetes/pki/sa.pub
  kwi keys convert jwks.json --to pem --public

Inputs: every KEY or IN argument is auto-detected: PEM (PKCS#1, PKCS#8, SEC1 with or without
EC PARAMETERS, SPKI, X.509 certificate), DER, OpenSSH public or private keys, a JWK or a JWKS.
'-' reads standard input. Exit codes: 0 ok, 1 the thing checked is wrong, 2 bad usage or input.";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate, convert and identify keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the JWKS (JSON Web Key Set) of public keys, exactly as kube-apiserver serves it.
    #[command(after_help = JWKS_EXAMPLES)]
    Jwks(JwksArgs),
    /// Print the OpenID Connect discovery document of an issuer.
    #[command(after_help = DISCOVERY_EXAMPLES)]
    Discovery(DiscoveryArgs),
    /// Build the static files of an OIDC issuer.
    #[command(subcommand)]
    Issuer(IssuerCommand),
    /// Print the kube-apiserver flags for an issuer and check them for the usual traps.
    #[command(name = "apiserver-flags", after_help = FLAGS_EXAMPLES)]
    ApiserverFlags(ApiserverFlagsArgs),
    /// Mint, inspect and verify service-account tokens.
    #[command(subcommand)]
    Token(Box<TokenCommand>),
    /// Serve the Vault-compatible JWT login API (`kwi serve --dev` to try it).
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// An AWS STS endpoint (AssumeRoleWithWebIdentity) validating tokens as STS does.
    #[command(subcommand)]
    Sts(StsCommand),
    /// Check an issuer (and a token) as AWS STS, Vault, Entra and Google do, and say what breaks.
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// The pod identity webhook (amazon-eks-pod-identity-webhook compatible; AWS, Azure, GCP, Vault).
    #[command(subcommand)]
    Webhook(Box<WebhookCommand>),
    /// Rotate the signing key without downtime: stage, promote, retire, from one key ring folder.
    #[command(subcommand)]
    Rotate(RotateCommand),
    /// Keep a Vault JWT mount's keys in step with a cluster's.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Print shell completions for bash, zsh or fish.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a folder.
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  kwi completions bash > /etc/bash_completion.d/kwi
  kwi completions zsh > \"${fpath[1]}/_kwi\"
  kwi completions fish > ~/.config/fish/completions/kwi.fish";

/// The shells `kwi completions` writes for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    /// bash (bash-completion).
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

const MAN_EXAMPLES: &str = "\
Examples:
  kwi man | man -l -
  kwi man --dir /usr/local/share/man/man1      # kwi.1, kwi-keys-generate.1, …";

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write kwi.1 and one page per subcommand (kwi-token-mint.1, …) into this folder.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const DOCTOR_EXAMPLES: &str = "\
Examples:
  kwi doctor --issuer https://oidc.example.com                   # every relying party
  kwi doctor --issuer https://oidc.example.com --for aws --token token \\
      --role-arn arn:aws:iam::111122223333:role/app
  kubectl exec app-0 -- cat /var/run/secrets/eks.amazonaws.com/serviceaccount/token \\
      | kwi doctor --issuer https://oidc.example.com --token -
  kwi doctor --issuer https://127.0.0.1:8443 --ca-file ca.pem --for vault --json
  az identity federated-credential show -g rg --identity-name app -n k8s >fic.json
  kwi doctor --issuer https://oidc.example.com --for azure --token token \\
      --azure-credential fic.json
  kwi doctor --issuer https://oidc.example.com --for azure --token token \\
      --azure-subject system:serviceaccount:default:app
  kwi doctor --issuer https://oidc.example.com --for gcp --token token \\
      --gcp-provider \"$(jq -r .audience credentials.json)\"   # gcloud's create-cred-config file
  kwi doctor --catalogue                                         # every check, a Markdown table

Each failed check has a stable id, what was seen, which relying parties refuse, the message each
of them shows and the fix; the README lists them all. Warnings (something off that no relying
party is known to refuse: content types, redirects, caching headers) are listed apart. Exit
codes: 0 nothing breaks the chosen relying parties (warnings aside), 1 something does, 2 the
inputs could not be read.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DoctorFor {
    /// AWS STS (IRSA).
    Aws,
    /// Vault / OpenBao JWT auth.
    Vault,
    /// Microsoft Entra workload identity federation.
    Azure,
    /// Google Cloud workload identity federation.
    Gcp,
    /// All four.
    All,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The issuer URL, exactly as kube-apiserver's --service-account-issuer.
    #[arg(long, value_name = "URL", required_unless_present = "catalogue")]
    pub issuer: Option<String>,
    /// Print the catalogue of failures doctor knows (a Markdown table) and exit.
    #[arg(long, exclusive = true)]
    pub catalogue: bool,
    /// A service-account token to check too (a file, or - for standard input).
    #[arg(long, value_name = "FILE")]
    pub token: Option<String>,
    /// The relying parties to check for (repeat for several).
    #[arg(long = "for", value_enum, value_name = "PARTY", default_value = "all")]
    pub parties: Vec<DoctorFor>,
    /// The audience tokens must carry (default: each party's usual one: sts.amazonaws.com, api://AzureADTokenExchange).
    #[arg(long, value_name = "AUD")]
    pub aud: Option<String>,
    /// The IAM role the pod assumes: doctor prints the trust policy it needs.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Trust this CA (PEM) for the issuer's HTTPS instead of the platform's roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Entra's federated identity credential(s), as `az identity federated-credential show`
    /// (or `list`, or `az ad app federated-credential show|list`) prints them: the token's
    /// iss, sub and aud are matched against them as Entra does (- for standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "azure_subject")]
    pub azure_credential: Option<String>,
    /// The subject of Entra's federated credential (its issuer: --issuer; its audience: --aud
    /// or api://AzureADTokenExchange), matched case-sensitively against the token's sub.
    #[arg(long, value_name = "SUBJECT")]
    pub azure_subject: Option<String>,
    /// Google's pool provider, its full resource name as the credential configuration's
    /// audience holds it (//iam.googleapis.com/projects/NUMBER/locations/global/
    /// workloadIdentityPools/POOL/providers/PROVIDER): the token's aud must be it.
    #[arg(long, value_name = "NAME")]
    pub gcp_provider: Option<String>,
    /// One of the provider's allowedAudiences (repeat for several, at most 10): the token's
    /// aud must be one of them instead of the provider's name.
    #[arg(long = "gcp-allowed-audience", value_name = "AUD")]
    pub gcp_allowed_audiences: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StsCommand {
    /// Serve AssumeRoleWithWebIdentity for the providers and roles of a config file.
    #[command(after_help = STS_SERVE_EXAMPLES)]
    Serve(StsServeArgs),
}

const STS_SERVE_EXAMPLES: &str = r#"Examples:
  kwi sts serve --config sts.toml                        # http://127.0.0.1:8600
  kwi sts serve --config sts.toml --listen 127.0.0.1:0   # any free port (printed on stderr)
  kwi sts serve --config sts.toml --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key

sts.toml declares the account, its IAM OIDC providers and its roles with their trust policies as
IAM has them (the JSON from the console or Terraform):
  account = "111122223333"
  max_token_age = 86400       # optional: refuse tokens issued longer ago ("Token too old")
  [[provider]]
  url = "https://oidc.example.com"
  client_ids = ["sts.amazonaws.com"]
  ca_file = "ca.pem"          # optional: trust this CA (relative to sts.toml)
  [[role]]
  arn = "arn:aws:iam::111122223333:role/app"
  max_session_duration = 3600
  trust_policy = '''{"Version":"2012-10-17","Statement":[...]}'''

Then, in the environment a pod with IRSA has:
  AWS_ENDPOINT_URL_STS=http://127.0.0.1:8600 AWS_ROLE_ARN=arn:aws:iam::111122223333:role/app \
      AWS_WEB_IDENTITY_TOKEN_FILE=token aws sts get-caller-identity   # or any SDK
The providers' keys are kept as long as the JWKS's Cache-Control says (an hour when it says
nothing), and fetched again for a token whose kid they lack (at most once per 5 s per provider).
Plain HTTP is served on loopback addresses only."#;

/// `--listen`, `--tls-cert` and `--tls-key`, as every kwi server but the webhook (whose TLS is
/// required) takes them. Each command sets its own `--listen` default with
/// `mut_arg("listen", …)`, and says in its help whether the certificate is reloaded.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
    /// TLS certificate chain (PEM); with --tls-key, kwi serves HTTPS on any address.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (any format kwi reads).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// The certificate help of the servers that reload it.
const TLS_CERT_RELOADED: &str = "TLS certificate chain (PEM), reloaded when the file changes; with --tls-key, kwi serves HTTPS on any address";

#[derive(Debug, Args)]
#[command(
    mut_arg("listen", |a| a.required(false).default_value("127.0.0.1:8600")),
    mut_arg("tls_cert", |a| a.help(TLS_CERT_RELOADED)),
)]
pub(crate) struct StsServeArgs {
    /// The config: account, OIDC providers, roles with their trust policies (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    #[command(flatten)]
    pub server: ListenArgs,
}

const SERVE_EXAMPLES: &str = "\
Examples:
  kwi serve --dev                                   # 127.0.0.1:8200, ./kwi-data, a root token
  kwi serve --dev --dev-root-token-id root           # a fixed root token for scripts
  KWI_ROOT_TOKEN=… kwi serve --data-dir /var/lib/kwi --listen 127.0.0.1:8200
  kwi serve --config /etc/kwi/kwi.toml              # declared mounts, configs and roles (GitOps)
  kwi serve --listen 0.0.0.0:8200 --tls-cert tls.crt --tls-key tls.key --root-token …
  kwi serve --public-url https://kwi.example.com …   # client tokens verifiable by OIDC discovery

Then point the vault or bao CLI at it: export VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=<root>.
Plain HTTP is served on loopback addresses only, unless --insecure-http; --tls-cert/--tls-key
serve HTTPS anywhere.";

#[derive(Debug, Args)]
#[command(mut_arg("listen", |a| a.required(false).default_value("127.0.0.1:8200")))]
pub(crate) struct ServeArgs {
    /// Development mode: defaults for everything, a root token printed, a quickstart shown.
    #[arg(long)]
    pub dev: bool,
    /// The root token in --dev mode (random when not given).
    #[arg(long, value_name = "VALUE", requires = "dev")]
    pub dev_root_token_id: Option<String>,
    /// Where mounts, configs, roles and kwi's signing key live.
    #[arg(long, value_name = "DIR", default_value = "kwi-data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub server: ListenArgs,
    /// Serve plain HTTP on a non-loopback address (behind a TLS-terminating proxy only).
    #[arg(long)]
    pub insecure_http: bool,
    /// Mounts, configs and roles declared in a TOML file (read-only through the API).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The https URL clients reach kwi at: the `iss` of its client tokens and the issuer of its
    /// discovery document, so that any OIDC verifier can check them (default: `iss` "kwi").
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// The root token for administrative calls (default: $KWI_ROOT_TOKEN); required without --dev.
    #[arg(
        long,
        value_name = "VALUE",
        env = "KWI_ROOT_TOKEN",
        hide_env_values = true
    )]
    pub root_token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Generate a signing key pair (RSA-2048 by default).
    #[command(after_help = GENERATE_EXAMPLES)]
    Generate(GenerateArgs),
    /// Convert a key between PEM, DER, JWK, JWKS and OpenSSH.
    #[command(after_help = CONVERT_EXAMPLES)]
    Convert(ConvertArgs),
    /// Print the key id kube-apiserver puts in the tokens a key signs.
    #[command(after_help = KID_EXAMPLES)]
    Kid(KidArgs),
}

const GENERATE_EXAMPLES: &str = "\
Examples:
  kwi keys generate --out sa.key --public-out sa.pub       # RSA-2048, PKCS#8
  kwi keys generate --alg ES256 --out sa-ec.key
  kwi keys generate --bits 4096 --format pkcs1 --out sa.key --force

The private key is written with mode 0600, atomically, and never over an existing file unless
--force is given. The kid kube-apiserver will put in tokens is printed on standard error.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GenerateAlg {
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "ES384")]
    Es384,
    #[value(name = "ES512")]
    Es512,
    /// Ed25519: for kwi's own tokens; kube-apiserver cannot sign with it.
    #[value(name = "EdDSA")]
    EdDsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PrivateFormat {
    /// PKCS#8 "PRIVATE KEY" (any key type).
    Pkcs8,
    /// PKCS#1 "RSA PRIVATE KEY" (RSA only).
    Pkcs1,
    /// SEC1 "EC PRIVATE KEY" (EC only).
    Sec1,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Signature algorithm, which sets the key type.
    #[arg(long, value_enum, default_value = "RS256")]
    pub alg: GenerateAlg,
    /// RSA modulus size.
    #[arg(long, value_parser = ["2048", "3072", "4096"])]
    pub bits: Option<String>,
    /// Where to write the private key (PEM, mode 0600).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write the public key here (SPKI "PUBLIC KEY" PEM, as kube-apiserver reads it).
    #[arg(long, value_name = "FILE")]
    pub public_out: Option<PathBuf>,
    /// Container of the private key.
    #[arg(long, value_enum, default_value = "pkcs8")]
    pub format: PrivateFormat,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

const CONVERT_EXAMPLES: &str = "\
Examples:
  kwi keys convert sa.key --to spki -o sa.pub      # for --service-account-key-file
  kwi keys convert sa.pub --to jwk                 # use, alg and the Kubernetes kid
  curl -s https://issuer.example.com/openid/v1/jwks | kwi keys convert - --to pem
  kwi keys convert jwks.json --kid 'JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU' --to pem
  kwi keys convert id_rsa.pub --to spki            # an OpenSSH public key to PEM

A JWKS converts to a multi-block PEM (or to one key with --kid). --to spki and --public drop
the private half; other formats keep it when the input has it.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConvertTo {
    /// PKCS#8 "PRIVATE KEY" for private keys, SPKI "PUBLIC KEY" for public ones.
    Pem,
    /// PKCS#8 "PRIVATE KEY".
    Pkcs8,
    /// PKCS#1 "RSA PRIVATE KEY" or "RSA PUBLIC KEY".
    Pkcs1,
    /// SEC1 "EC PRIVATE KEY".
    Sec1,
    /// SPKI "PUBLIC KEY" (the public half).
    Spki,
    /// Binary DER: PKCS#8 for private keys, SPKI for public ones.
    Der,
    /// One JWK.
    Jwk,
    /// A JWK Set.
    Jwks,
    /// OpenSSH: an authorized_keys line, or an OPENSSH PRIVATE KEY.
    Openssh,
}

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The key to convert ('-' for standard input).
    #[arg(value_name = "IN")]
    pub input: String,
    /// Output format.
    #[arg(long, value_enum)]
    pub to: ConvertTo,
    /// Drop the private half.
    #[arg(long)]
    pub public: bool,
    /// kid of JWK output: k8s (the default, or the input's own kid), rfc7638, none, or a literal
    /// value. With several input keys, selects the one with this kid. (A kid may start with
    /// `-`: base64url uses it.)
    #[arg(
        long,
        value_name = "k8s|rfc7638|none|VALUE",
        allow_hyphen_values = true
    )]
    pub kid: Option<String>,
    /// Indent JSON output.
    #[arg(long)]
    pub pretty: bool,
    /// Write here instead of standard output (atomically; mode 0600 for private keys).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists (without it, an existing file is never overwritten).
    #[arg(long)]
    pub force: bool,
}

const KID_EXAMPLES: &str = "\
Examples:
  kwi keys kid /etc/kubernetes/pki/sa.pub
  kwi keys kid sa.key --method rfc7638

k8s is kube-apiserver's kid: base64url(SHA-256(DER SubjectPublicKeyInfo)). rfc7638 is the JWK
thumbprint other tools use. One line per key.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KidMethodArg {
    /// kube-apiserver's kid.
    K8s,
    /// RFC 7638 JWK thumbprint (SHA-256).
    Rfc7638,
}

#[derive(Debug, Args)]
pub(crate) struct KidArgs {
    /// The key ('-' for standard input).
    #[arg(value_name = "IN")]
    pub input: String,
    /// How the kid is computed.
    #[arg(long, value_enum, default_value = "k8s")]
    pub method: KidMethodArg,
}

const JWKS_EXAMPLES: &str = "\
Examples:
  kwi jwks sa.pub -o keys.json
  kwi jwks new-sa.pub old-sa.pub                             # during a key rotation
  ssh-keygen -e -m PKCS8 -f sa.key.pub > sa.pkcs8 && kwi jwks sa.pkcs8 --legacy-empty-kid

Output is compact and byte-identical to kube-apiserver's /openid/v1/jwks; on a terminal a newline
follows. Private keys contribute their public half; a key given twice appears once.";

#[derive(Debug, Args)]
pub(crate) struct JwksArgs {
    /// Key files (several keys per file are read, as kube-apiserver does).
    #[arg(value_name = "KEY", required = true)]
    pub keys: Vec<String>,
    /// Add every key again with "kid": "" (tokens of clusters older than 1.16 carry no kid).
    #[arg(long)]
    pub legacy_empty_kid: bool,
    /// How kids are computed.
    #[arg(long, value_enum, default_value = "k8s")]
    pub kid_method: KidMethodArg,
    /// Indent the JSON.
    #[arg(long)]
    pub pretty: bool,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StyleArg {
    /// The document kube-apiserver serves; JWKS at {issuer}/openid/v1/jwks.
    Kubernetes,
    /// The EKS self-hosted guide's document; JWKS at {issuer}/keys.json.
    Eks,
}

const DISCOVERY_EXAMPLES: &str = "\
Examples:
  kwi discovery --issuer https://oidc.example.com --key sa.pub
  kwi discovery --issuer https://my-bucket.s3.us-east-1.amazonaws.com --style eks -o discovery.json

Without --key the document names RS256. The issuer must be https with no query or fragment,
as kube-apiserver requires.";

#[derive(Debug, Args)]
pub(crate) struct DiscoveryArgs {
    /// The issuer URL (the value of --service-account-issuer).
    #[arg(long, value_name = "URL")]
    pub issuer: String,
    /// Where the JWKS is served (default: under the issuer, per --style).
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,
    /// Keys whose algorithms the document lists.
    #[arg(long = "key", value_name = "KEY")]
    pub keys: Vec<String>,
    /// Which document.
    #[arg(long, value_enum, default_value = "kubernetes")]
    pub style: StyleArg,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IssuerCommand {
    /// Write the discovery document and JWKS into a folder, ready to upload as-is.
    #[command(after_help = BUILD_EXAMPLES)]
    Build(BuildArgs),
    /// Upload a site to a folder, S3, GCS or Azure Blob, publicly readable, and read it back.
    #[command(after_help = PUBLISH_EXAMPLES)]
    Publish(PublishArgs),
    /// Serve the discovery document and JWKS over HTTPS, reloading them when their files change.
    #[command(after_help = ISSUER_SERVE_EXAMPLES)]
    Serve(IssuerServeArgs),
}

const ISSUER_SERVE_EXAMPLES: &str = "\
Examples:
  kwi issuer serve --site site/ --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key
  kwi issuer serve --issuer https://oidc.example.com/clusters/prod --key sa.pub --key old.pub
  kwi issuer serve --site site/ --listen 127.0.0.1:8080     # plain HTTP: loopback only

The documents answer at the paths the issuer URL names (an issuer with a path serves under it),
with kube-apiserver's headers (application/json, application/jwk-set+json, Cache-Control: public,
max-age=N), a strong ETag (If-None-Match: 304), HEAD, Access-Control-Allow-Origin: *; anything
else is 404, methods other than GET and HEAD 405. /healthz, /readyz and /metrics (Prometheus).
When the site folder, a key file or the TLS files change (or on SIGHUP), the documents are
rebuilt, checked and swapped; a broken file keeps the last good documents and is logged.
One JSON access-log line per request on standard error. SIGTERM or Ctrl-C: graceful stop.";

#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("source").required(true).args(["site", "issuer"])),
    mut_arg("listen", |a| a.required(false).default_value("127.0.0.1:8443")),
    mut_arg("tls_cert", |a| a.help(TLS_CERT_RELOADED)),
)]
pub(crate) struct IssuerServeArgs {
    /// The folder `kwi issuer build` wrote.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["issuer", "keys"])]
    pub site: Option<PathBuf>,
    /// The issuer URL, to build the documents from --key files (kept up to date as they change).
    #[arg(long, value_name = "URL", requires = "keys")]
    pub issuer: Option<String>,
    /// Public (or private) keys that sign the cluster's tokens.
    #[arg(long = "key", value_name = "KEY")]
    pub keys: Vec<String>,
    /// Which document (with --issuer).
    #[arg(long, value_enum, default_value = "kubernetes")]
    pub style: StyleArg,
    #[command(flatten)]
    pub server: ListenArgs,
    /// Serve plain HTTP on a non-loopback address (behind a TLS-terminating proxy or CDN only).
    #[arg(long)]
    pub insecure_http: bool,
    /// Cache-Control max-age, in seconds (kube-apiserver's is 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub max_age: u32,
    /// No access log (one JSON line per request otherwise).
    #[arg(long)]
    pub no_access_log: bool,
    /// The URL this server is reached at when a proxy or CDN maps the issuer URL onto it with
    /// another path: the documents are served under this URL's path instead of the issuer's.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

const PUBLISH_EXAMPLES: &str = "\
Examples:
  kwi issuer build --for-bucket s3://oidc-prod/c1 --region us-west-2 --key sa.pub --out site/
  kwi issuer publish --site site/ --to s3://oidc-prod/c1 --region us-west-2 --dry-run
  kwi issuer publish --site site/ --to s3://oidc-prod/c1 --region us-west-2 \\
      --create-bucket --make-public
  kwi issuer publish --site site/ --to az://myaccount/oidc
  kwi issuer publish --site site/ --to file:///var/www/oidc --verify https://oidc.example.com

The JWKS goes up first, then the discovery document, each with its Content-Type and
Cache-Control; objects that already hold the same bytes (SHA-256) and headers are not rewritten.
S3: public read is a bucket policy granting s3:GetObject on exactly the two objects (never an ACL);
a bucket whose Block Public Access forbids it is refused unless --make-public, which turns off
BlockPublicPolicy and RestrictPublicBuckets for that bucket only. Azure: the container's public
access level is set to blob. Credentials are found as each cloud's tools find them (AWS_*,
IRSA/EKS Pod Identity, instance roles; AZURE_STORAGE_*, workload and managed identity;
GOOGLE_APPLICATION_CREDENTIALS). Then both documents are fetched anonymously from the issuer URL
(or --verify URL) and compared byte for byte with the site.
Exit 1: the bucket refuses public access, or what is read back differs. Exit 2: bad arguments,
unreadable site, no credentials, network down.";

/// The S3 URL form of a bucket.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum UrlStyleArg {
    /// https://BUCKET.s3.REGION.amazonaws.com/PREFIX
    Virtual,
    /// https://s3.REGION.amazonaws.com/BUCKET/PREFIX
    Path,
}

#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// The folder `kwi issuer build` wrote.
    #[arg(long, value_name = "DIR")]
    pub site: PathBuf,
    /// file://DIR, s3://BUCKET[/PREFIX], gs://BUCKET[/PREFIX] or az://ACCOUNT/CONTAINER[/PREFIX].
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The S3 region (default: AWS_REGION or AWS_DEFAULT_REGION, else the bucket's, asked of S3).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Another endpoint than the cloud's (an S3-compatible server, Azurite, a GCS emulator).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Create the S3 bucket when it does not exist.
    #[arg(long)]
    pub create_bucket: bool,
    /// Turn off the S3 bucket's BlockPublicPolicy and RestrictPublicBuckets (and nothing else).
    #[arg(long)]
    pub make_public: bool,
    /// Print what would be done; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Read the documents back from this URL instead of the issuer URL (e.g. the bucket's URL
    /// while a CDN in front of it still caches the old documents).
    #[arg(
        long,
        value_name = "URL",
        env = "KWI_PUBLISH_VERIFY",
        conflicts_with = "no_verify"
    )]
    pub verify: Option<String>,
    /// Do not read the documents back.
    #[arg(long)]
    pub no_verify: bool,
    /// CA certificates (PEM) to trust when reading back over HTTPS.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Cache-Control max-age of the uploaded documents, in seconds (kube-apiserver's is 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub max_age: u32,
}

const BUILD_EXAMPLES: &str = "\
Examples:
  kwi issuer build --issuer https://oidc.example.com --key sa.pub --out site/
  kwi issuer build --issuer https://b.s3.amazonaws.com/c1 --key new.pub --key old.pub \\
      --style eks --out site/
  kwi issuer build --for-bucket s3://oidc-prod/c1 --region us-west-2 --key sa.pub --out site/

The folder holds .well-known/openid-configuration and the JWKS at the path its jwks_uri names;
serve or upload it so that {issuer}/.well-known/openid-configuration answers.";

#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// The issuer URL (the value of --service-account-issuer).
    #[arg(long, value_name = "URL", required_unless_present = "for_bucket")]
    pub issuer: Option<String>,
    /// Use the public URL of this bucket as the issuer: s3://BUCKET[/PREFIX], gs://…, az://….
    #[arg(long, value_name = "URL", conflicts_with = "issuer")]
    pub for_bucket: Option<String>,
    /// The S3 region of --for-bucket (default: AWS_REGION or AWS_DEFAULT_REGION).
    #[arg(long, value_name = "REGION", requires = "for_bucket")]
    pub region: Option<String>,
    /// The S3 URL form of --for-bucket (default: virtual-hosted, path for dotted bucket names).
    #[arg(long, value_enum, requires = "for_bucket")]
    pub url_style: Option<UrlStyleArg>,
    /// Public (or private) keys that sign the cluster's tokens.
    #[arg(long = "key", value_name = "KEY", required = true)]
    pub keys: Vec<String>,
    /// Which document.
    #[arg(long, value_enum, default_value = "kubernetes")]
    pub style: StyleArg,
    /// The JWKS path below the issuer (default openid/v1/jwks, or keys.json with --style eks).
    #[arg(long, value_name = "PATH", conflicts_with = "jwks_uri")]
    pub jwks_path: Option<String>,
    /// The full JWKS URL, when it is served somewhere else.
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,
    /// Add every key again with "kid": "" (clusters older than 1.16).
    #[arg(long)]
    pub legacy_empty_kid: bool,
    /// The folder to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

const FLAGS_EXAMPLES: &str = "\
Examples:
  kwi apiserver-flags --issuer https://oidc.example.com \\
      --signing-key /etc/kubernetes/pki/sa.key --key /etc/kubernetes/pki/sa.pub
  kwi apiserver-flags --issuer https://oidc.example.com --signing-key sa.key --format kubeadm
  kwi apiserver-flags ... --key new.pub --key old.pub \\
      --audience https://kubernetes.default.svc.cluster.local

The files are read to check them (format, matching halves, rotation); warnings go to standard
error, the flags to standard output.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FlagsFormatArg {
    /// --name=value lines.
    Flags,
    /// kubeadm ClusterConfiguration (v1beta4).
    Kubeadm,
    /// k3s config.yaml.
    K3s,
}

#[derive(Debug, Args)]
pub(crate) struct ApiserverFlagsArgs {
    /// The issuer URL.
    #[arg(long, value_name = "URL")]
    pub issuer: String,
    /// The private key that signs tokens (--service-account-signing-key-file).
    #[arg(long, value_name = "FILE")]
    pub signing_key: String,
    /// Public keys that verify tokens (--service-account-key-file); default: the signing key.
    #[arg(long = "key", value_name = "FILE")]
    pub keys: Vec<String>,
    /// --api-audiences (repeat for several).
    #[arg(long = "audience", value_name = "AUD")]
    pub audiences: Vec<String>,
    /// --service-account-jwks-uri, when the JWKS is not served under the issuer.
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,
    /// Output form.
    #[arg(long, value_enum, default_value = "flags")]
    pub format: FlagsFormatArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Mint a service-account token exactly as kube-apiserver makes it.
    #[command(after_help = MINT_EXAMPLES)]
    Mint(MintArgs),
    /// Decode a token's header and claims WITHOUT verifying anything.
    #[command(after_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// Verify a token's signature and claims as kube-apiserver, AWS STS or Vault would.
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(VerifyArgs),
}

const MINT_EXAMPLES: &str = "\
Examples:
  kwi token mint --key sa.key --issuer https://oidc.example.com \\
      --namespace default --service-account app --aud sts.amazonaws.com
  kwi token mint --key sa.key --issuer https://oidc.example.com \\
      --sub system:serviceaccount:ci:deployer --aud vault \\
      --ttl 10m --pod-name web-0 --pod-uid 7c0f…
  kwi token mint --key sa.key --legacy --namespace default --service-account default
  kwi token mint … --issued-at 2026-01-01T00:00:00Z --jti fixed --sa-uid fixed   # reproducible

Claims are those of a projected token (iss, sub, aud[], exp, iat = nbf, jti, kubernetes.io{…});
--legacy makes a secret-based token (iss kubernetes/serviceaccount, four flat claims, no exp).
The header carries the key's Kubernetes kid unless --kid says otherwise.";

#[derive(Debug, Args)]
pub(crate) struct MintArgs {
    /// The private signing key (any format kwi reads).
    #[arg(long, value_name = "FILE")]
    pub key: String,
    /// The issuer (`iss`), as kube-apiserver's --service-account-issuer.
    #[arg(long, value_name = "URL", required_unless_present = "legacy")]
    pub issuer: Option<String>,
    /// The subject; system:serviceaccount:NS:NAME fills the kubernetes.io claim too.
    #[arg(long, value_name = "SUB", conflicts_with_all = ["namespace", "service_account"])]
    pub sub: Option<String>,
    /// Namespace of the service account.
    #[arg(long, value_name = "NS", requires = "service_account")]
    pub namespace: Option<String>,
    /// Name of the service account.
    #[arg(long, value_name = "NAME", requires = "namespace")]
    pub service_account: Option<String>,
    /// Audience (repeat for several).
    #[arg(long = "aud", value_name = "AUD", required_unless_present = "legacy")]
    pub audiences: Vec<String>,
    /// Lifetime: 3600, 90s, 10m, 1h, 1h30m.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub ttl: String,
    /// kid of the header: the key's Kubernetes kid by default; `none` leaves it out. (A kid
    /// may start with `-`: base64url uses it.)
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub kid: Option<String>,
    /// A legacy secret-based token (clusters before 1.24).
    #[arg(long)]
    pub legacy: bool,
    /// Secret name of a legacy token.
    #[arg(long, value_name = "NAME", requires = "legacy")]
    pub secret_name: Option<String>,
    /// Bind the token to a pod.
    #[arg(long, value_name = "NAME", requires = "pod_uid")]
    pub pod_name: Option<String>,
    /// UID of that pod.
    #[arg(long, value_name = "UID", requires = "pod_name")]
    pub pod_uid: Option<String>,
    /// The node of that pod.
    #[arg(long, value_name = "NAME", requires = "node_uid")]
    pub node_name: Option<String>,
    /// UID of that node.
    #[arg(long, value_name = "UID", requires = "node_name")]
    pub node_uid: Option<String>,
    /// UID of the service account (random by default).
    #[arg(long, value_name = "UID")]
    pub sa_uid: Option<String>,
    /// `jti` (a random UUID by default).
    #[arg(long, value_name = "ID")]
    pub jti: Option<String>,
    /// `iat` (RFC 3339 or seconds; default now).
    #[arg(long, value_name = "TIME")]
    pub issued_at: Option<String>,
    /// `nbf` (default: iat).
    #[arg(long, value_name = "TIME")]
    pub not_before: Option<String>,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

const INSPECT_EXAMPLES: &str = "\
Examples:
  kwi token inspect \"$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\"
  kubectl create token app --audience vault | kwi token inspect
  kwi token inspect token.jwt --json

Nothing is verified: use kwi token verify for that.";

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The token, a file holding it, or '-' (default) for standard input.
    #[arg(value_name = "TOKEN|FILE|-", default_value = "-")]
    pub token: String,
    /// Print JSON: {header, claims, warnings, verified: false}.
    #[arg(long)]
    pub json: bool,
}

const VERIFY_EXAMPLES: &str = "\
Examples:
  kwi token verify token.jwt --key /etc/kubernetes/pki/sa.pub \\
      --iss https://oidc.example.com --aud vault
  kwi token verify token.jwt --issuer-url https://oidc.example.com \\
      --aud sts.amazonaws.com --profile sts
  kwi token verify - --jwks keys.json --profile vault --aud vault < token.jwt

Exit 0: valid (who it is goes to standard output). Exit 1: rejected, with one line saying why.
Exit 2: the token or the keys could not be read. --issuer-url fetches the discovery document,
checks its issuer, then fetches its jwks_uri (HTTPS; --ca-file for a private CA).";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProfileArg {
    /// kube-apiserver: 60 s leeway, audience intersection, legacy tokens only with --allow-legacy.
    Kubernetes,
    /// AWS STS AssumeRoleWithWebIdentity: RS/ES algorithms, 4–20,000 characters, integer times, exp required with no leeway, nbf/iat up to 5 min ahead.
    Sts,
    /// OpenBao/Vault JWT auth with a role's defaults: its leeways, checks and messages.
    Vault,
}

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("trusted_keys")
        .required(true)
        .multiple(true)
        .args(["keys", "jwks", "jwks_url", "issuer_url"])
))]
pub(crate) struct VerifyArgs {
    /// The token, a file holding it, or '-' (default) for standard input.
    #[arg(value_name = "TOKEN|FILE|-", default_value = "-")]
    pub token: String,
    /// Public keys to trust (repeat; each file may hold several).
    #[arg(long = "key", value_name = "FILE")]
    pub keys: Vec<String>,
    /// A JWKS file to trust.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["jwks_url", "issuer_url"])]
    pub jwks: Option<String>,
    /// Fetch the JWKS from this URL.
    #[arg(long, value_name = "URL", conflicts_with = "issuer_url")]
    pub jwks_url: Option<String>,
    /// Fetch the issuer's discovery document, check its issuer, then its JWKS.
    #[arg(long, value_name = "URL")]
    pub issuer_url: Option<String>,
    /// CA certificates (PEM) to trust for --jwks-url and --issuer-url.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Expected audience (repeat: any one matches).
    #[arg(long = "aud", value_name = "AUD")]
    pub audiences: Vec<String>,
    /// Expected issuer (default with --issuer-url: that URL).
    #[arg(long = "iss", value_name = "ISSUER")]
    pub issuer: Option<String>,
    /// Expected subject.
    #[arg(long = "sub", value_name = "SUB")]
    pub subject: Option<String>,
    /// Whose rules to apply.
    #[arg(long, value_enum, default_value = "kubernetes")]
    pub profile: ProfileArg,
    /// Accept legacy secret-based tokens (kubernetes profile).
    #[arg(long)]
    pub allow_legacy: bool,
    /// Clock leeway for exp/nbf/iat instead of the profile's (kubernetes 60s, sts 0 for exp and 5m for nbf/iat, vault 60s);
    /// with the vault profile, a role's clock_skew_leeway (-1 disables it).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub leeway: Option<String>,
    /// Check the times as of this moment instead of now (RFC 3339 or seconds).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Print JSON: {valid, error?, header, claims, identity}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Answer one AdmissionReview (or a Pod) offline, as the webhook would: no cluster needed.
    #[command(after_help = WEBHOOK_MUTATE_EXAMPLES)]
    Mutate(WebhookMutateArgs),
    /// Serve the webhook over HTTPS, with a ServiceAccount cache watching the cluster.
    #[command(after_help = WEBHOOK_SERVE_EXAMPLES)]
    Serve(WebhookServeArgs),
    /// Print the Kubernetes manifests that run the webhook in a cluster.
    #[command(after_help = WEBHOOK_MANIFESTS_EXAMPLES)]
    Manifests(WebhookManifestsArgs),
}

const WEBHOOK_MUTATE_EXAMPLES: &str = "\
Examples:
  kwi webhook mutate review.json --service-account sa.yaml      # the AdmissionReview answer
  kwi webhook mutate pod.yaml --service-account sa.yaml --patch # what the pod gets (JSON patch)
  kubectl get sa app -o yaml | kwi webhook mutate pod.yaml --service-account - --patch
  kwi webhook mutate pod.yaml --service-account sa.yaml --profile aws,azure --patch
  kwi webhook mutate review.json --config-map cm.yaml --container-credentials-config ids.json

The input is an AdmissionReview (admission.k8s.io/v1 or v1beta1) or a Pod, JSON or YAML. A Pod is
wrapped in a CREATE review in its namespace (\"default\" when it has none). ServiceAccount files may
hold several documents or a List. The answer always admits the pod; a request kwi cannot read is
answered with a status.message, printed to stderr too, and exit code 2.";

/// The webhook's behaviour: upstream's flags with upstream's defaults, and the other profiles'.
#[derive(Debug, Clone, Args)]
pub(crate) struct WebhookOptions {
    /// Identity systems to inject for (repeat or comma-separate: aws,azure,gcp,vault).
    #[arg(
        long = "profile",
        value_name = "PROFILE",
        value_enum,
        value_delimiter = ',',
        default_value = "aws"
    )]
    pub profiles: Vec<WebhookProfileArg>,
    /// The ServiceAccount annotation domain of the AWS profile.
    #[arg(long, value_name = "PREFIX", default_value = "eks.amazonaws.com")]
    pub annotation_prefix: String,
    /// The default token audience of the AWS profile (the `audience` annotation overrides it).
    #[arg(long, value_name = "AUD", default_value = "sts.amazonaws.com")]
    pub token_audience: String,
    /// Where the AWS token is mounted.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
    )]
    pub token_mount_path: String,
    /// The default token lifetime in seconds (at least 600; annotations override it).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 86400,
        allow_negative_numbers = true
    )]
    pub token_expiration: i64,
    /// Sets AWS_DEFAULT_REGION and AWS_REGION in mutated containers that set neither.
    #[arg(long, value_name = "REGION", default_value = "")]
    pub aws_default_region: String,
    /// Sets AWS_STS_REGIONAL_ENDPOINTS=regional (the `sts-regional-endpoints` annotation overrides it).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_value = "false", default_missing_value = "true",
          action = clap::ArgAction::Set)]
    pub sts_regional_endpoint: bool,
    /// EKS Pod Identity: the identities file listing the ServiceAccounts that get container credentials.
    #[arg(
        long,
        value_name = "FILE",
        alias = "watch-container-credentials-config"
    )]
    pub container_credentials_config: Option<String>,
    /// EKS Pod Identity: the token audience.
    #[arg(long, value_name = "AUD", default_value = "pods.eks.amazonaws.com")]
    pub container_credentials_audience: String,
    /// EKS Pod Identity: where the token is mounted.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
    )]
    pub container_credentials_token_mount_path: String,
    /// EKS Pod Identity: the projected volume's name.
    #[arg(long, value_name = "NAME", default_value = "eks-pod-identity-token")]
    pub container_credentials_token_volume_name: String,
    /// EKS Pod Identity: the token's file name.
    #[arg(long, value_name = "NAME", default_value = "eks-pod-identity-token")]
    pub container_credentials_token_path: String,
    /// EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://169.254.170.23/v1/credentials"
    )]
    pub container_credentials_full_uri: String,
    /// Opt-in: the fsGroup of mutated pods that set none, so non-root containers can read the token.
    #[arg(long, value_name = "GID")]
    pub fs_group: Option<u32>,
    /// Azure: AZURE_AUTHORITY_HOST.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://login.microsoftonline.com/"
    )]
    pub azure_authority_host: String,
    /// Azure: the tenant of ServiceAccounts without an azure.workload.identity/tenant-id annotation.
    #[arg(long, value_name = "ID", default_value = "")]
    pub azure_tenant_id: String,
    /// GCP: the default token audience (the provider's allowed audience).
    #[arg(long, value_name = "AUD", default_value = "sts.googleapis.com")]
    pub gcp_token_audience: String,
    /// GCP: CLOUDSDK_COMPUTE_REGION in mutated containers.
    #[arg(long, value_name = "REGION", default_value = "")]
    pub gcp_region: String,
    /// Vault: VAULT_ADDR when the ServiceAccount has no vault.kwi.dev/addr annotation.
    #[arg(long, value_name = "URL", default_value = "")]
    pub vault_addr: String,
    /// Vault: the default token audience (the role's bound_audiences).
    #[arg(long, value_name = "AUD", default_value = "vault")]
    pub vault_audience: String,
    /// Vault: the default JWT auth mount.
    #[arg(long, value_name = "MOUNT", default_value = "jwt")]
    pub vault_auth_mount: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WebhookProfileArg {
    Aws,
    Azure,
    Gcp,
    Vault,
}

#[derive(Debug, Args)]
pub(crate) struct WebhookMutateArgs {
    /// The AdmissionReview or Pod (JSON or YAML), or '-' (default) for standard input.
    #[arg(value_name = "FILE|-", default_value = "-")]
    pub input: String,
    /// A ServiceAccount (JSON or YAML; several documents or a List allowed); repeat for several.
    #[arg(long = "service-account", value_name = "FILE")]
    pub service_accounts: Vec<String>,
    /// The pod-identity-webhook ConfigMap (upstream's --watch-config-map), JSON or YAML.
    #[arg(long, value_name = "FILE")]
    pub config_map: Option<String>,
    /// Print the decoded JSON patch instead of the AdmissionReview.
    #[arg(long)]
    pub patch: bool,
    #[command(flatten)]
    pub webhook: WebhookOptions,
}

const WEBHOOK_MANIFESTS_EXAMPLES: &str = "\
Examples:
  kwi webhook manifests --self-signed | kubectl apply -f -
  kwi webhook manifests --cert-manager --namespace kwi --image registry.example.com/kwi:0.1.0
  kwi webhook manifests --self-signed --profile aws,vault --vault-addr https://vault.example.com

The webhook flags that differ from their defaults are passed to kwi webhook serve.";

#[derive(Debug, Args)]
pub(crate) struct WebhookManifestsArgs {
    /// The namespace the webhook runs in.
    #[arg(long, value_name = "NS", default_value = "kwi")]
    pub namespace: String,
    /// The image (a build of this repository's Dockerfile).
    #[arg(
        long,
        value_name = "IMAGE",
        default_value = "ghcr.io/kwi-project/kwi:latest"
    )]
    pub image: String,
    /// TLS through cert-manager: a self-signed Issuer, a Certificate, and caBundle injection.
    #[arg(long, conflicts_with = "self_signed")]
    pub cert_manager: bool,
    /// TLS from a CA and serving certificate kwi generates now (caBundle filled in, a Secret).
    #[arg(long)]
    pub self_signed: bool,
    /// Replicas of the Deployment.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub replicas: u32,
    /// Have the webhook read the pod-identity-webhook ConfigMap of --namespace too.
    #[arg(long)]
    pub watch_config_map: bool,
    #[command(flatten)]
    pub webhook: WebhookOptions,
}

const WEBHOOK_SERVE_EXAMPLES: &str = "\
Examples:
  kwi webhook serve --tls-cert tls.crt --tls-key tls.key       # in a pod: in-cluster config
  kwi webhook serve --tls-cert tls.crt --tls-key tls.key --kubeconfig ~/.kube/config
  kwi webhook serve --tls-cert tls.crt --tls-key tls.key --watch-config-map --namespace kwi

Endpoints: POST /mutate, GET /healthz, GET /readyz (200 once the ServiceAccount cache has synced),
GET /metrics (Prometheus). The certificate files are reloaded when they change.";

#[derive(Debug, Args)]
pub(crate) struct WebhookServeArgs {
    /// TLS certificate chain (PEM), reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,
    /// TLS private key (PEM), reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub listen: String,
    /// A kubeconfig (default: the in-cluster ServiceAccount, else KUBECONFIG or ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Also read ServiceAccounts from the pod-identity-webhook ConfigMap of --namespace.
    #[arg(long)]
    pub watch_config_map: bool,
    /// The namespace of the pod-identity-webhook ConfigMap.
    #[arg(long, value_name = "NS", default_value = "kwi")]
    pub namespace: String,
    #[command(flatten)]
    pub webhook: WebhookOptions,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RotateCommand {
    /// Start a key ring: a new signing key, or the cluster's present one (--from).
    #[command(after_help = ROTATE_INIT_EXAMPLES)]
    Init(RotateInitArgs),
    /// Show the keys, their roles, the next step and when it is due.
    #[command(after_help = ROTATE_STATUS_EXAMPLES)]
    Status(RotateStatusArgs),
    /// Take the next step now (stage, promote or retire), if the policy allows it (or --force).
    #[command(after_help = ROTATE_NEXT_EXAMPLES)]
    Next(RotateStepArgs),
    /// Take every step that is due, and nothing else: for a CronJob.
    #[command(after_help = ROTATE_AUTO_EXAMPLES)]
    Auto(RotateStepArgs),
}

const ROTATE_INIT_EXAMPLES: &str = "\
Examples:
  kwi rotate init --keyring /etc/kwi/keyring --issuer https://oidc.example.com
  kwi rotate init --keyring keyring/ --issuer https://oidc.example.com \\
      --from /etc/kubernetes/pki/sa.key
  kwi rotate init --keyring keyring/ --issuer https://b.s3.amazonaws.com/c1 --style eks \\
      --publish-lead 1d --retire-after 2d --rotate-every 90d

The folder gets keyring.json (the keys, their roles, the policy), keys/<kid>.key (mode 0600),
and what the cluster and the relying parties read, rewritten at every step:
  signing.key   for --service-account-signing-key-file (the active key)
  verify.pub    for --service-account-key-file (every published key)
  site/         the discovery document and JWKS (kwi issuer serve --site, or --publish)";

const ROTATE_STATUS_EXAMPLES: &str = "\
Examples:
  kwi rotate status --keyring /etc/kwi/keyring
  kwi rotate status --keyring /etc/kwi/keyring --json | jq .plan";

const ROTATE_NEXT_EXAMPLES: &str = "\
Examples:
  kwi rotate next --keyring /etc/kwi/keyring          # stage a new key
  kwi rotate next --keyring /etc/kwi/keyring          # a day later: promote it
  kwi rotate next --keyring /etc/kwi/keyring --publish s3://oidc-prod/c1

A rotation is three steps: stage (a new key is published, not signing), promote (it signs; the
old key stays published) and retire (the old key is dropped and deleted). A step that is not
due yet is refused (exit 1) unless --force. After each step, restart kube-apiserver on every
control-plane node (it reads signing.key and verify.pub at start) and publish the site.";

const ROTATE_AUTO_EXAMPLES: &str = "\
Examples:
  kwi rotate auto --keyring /keyring --publish s3://oidc-prod/c1     # hourly, in a CronJob

Takes every step that is due by the policy (stage at rotate-every minus publish-lead after the
last promotion, promote publish-lead after the stage, retire retire-after after the promotion)
and exits 0 when nothing is due.";

#[derive(Debug, Args)]
pub(crate) struct RotateInitArgs {
    /// The key ring folder (created, mode 0700).
    #[arg(long, value_name = "DIR")]
    pub keyring: PathBuf,
    /// The issuer URL (the value of --service-account-issuer).
    #[arg(long, value_name = "URL")]
    pub issuer: String,
    /// Adopt this private key as the active one (the cluster's present sa.key) instead of
    /// generating one.
    #[arg(long, value_name = "KEY", conflicts_with = "alg")]
    pub from: Option<String>,
    /// The algorithm of generated keys.
    #[arg(long, value_enum, default_value = "RS256")]
    pub alg: RotateAlg,
    /// Which discovery document the site holds.
    #[arg(long, value_enum, default_value = "kubernetes")]
    pub style: StyleArg,
    /// How long a new key is published before it signs (relying parties' caches, restarts).
    #[arg(long, value_name = "DURATION", default_value = "1d")]
    pub publish_lead: String,
    /// How long the old key stays published after the promotion (the longest token lifetime).
    #[arg(long, value_name = "DURATION", default_value = "2d")]
    pub retire_after: String,
    /// How often `kwi rotate auto` rotates.
    #[arg(long, value_name = "DURATION", default_value = "90d")]
    pub rotate_every: String,
    #[command(flatten)]
    pub publish: RotatePublishArgs,
}

/// The algorithms kube-apiserver signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RotateAlg {
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "ES384")]
    Es384,
    #[value(name = "ES512")]
    Es512,
}

#[derive(Debug, Args)]
pub(crate) struct RotateStatusArgs {
    /// The key ring folder.
    #[arg(long, value_name = "DIR")]
    pub keyring: PathBuf,
    /// Print the key ring and the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RotateStepArgs {
    /// The key ring folder.
    #[arg(long, value_name = "DIR")]
    pub keyring: PathBuf,
    /// Take the next step even if the policy says it is not due (kwi rotate next only).
    #[arg(long)]
    pub force: bool,
    /// Before a promotion, fetch the issuer's JWKS (discovery document, then jwks_uri) and
    /// refuse to promote a key it does not serve yet.
    #[arg(long)]
    pub check_issuer: bool,
    /// CA certificates (PEM) to trust for --check-issuer.
    #[arg(long, value_name = "FILE", requires = "check_issuer")]
    pub issuer_ca_file: Option<PathBuf>,
    /// The algorithm of the key a stage makes (default: the active key's).
    #[arg(long, value_enum)]
    pub alg: Option<RotateAlg>,
    #[command(flatten)]
    pub publish: RotatePublishArgs,
}

/// Where the site goes after each step.
#[derive(Debug, Args)]
pub(crate) struct RotatePublishArgs {
    /// Publish the site after each step (as `kwi issuer publish --to`); a failed publish undoes
    /// the step.
    #[arg(long, value_name = "URL")]
    pub publish: Option<String>,
    /// The S3 region of --publish.
    #[arg(long, value_name = "REGION", requires = "publish")]
    pub region: Option<String>,
    /// Another endpoint than the cloud's, for --publish (S3-compatible server, Azurite…).
    #[arg(long, value_name = "URL", requires = "publish")]
    pub endpoint: Option<String>,
    /// Read the published documents back from this URL instead of the issuer URL.
    #[arg(
        long,
        value_name = "URL",
        requires = "publish",
        conflicts_with = "no_verify"
    )]
    pub verify: Option<String>,
    /// Do not read the published documents back.
    #[arg(long, requires = "publish")]
    pub no_verify: bool,
    /// CA certificates (PEM) to trust when reading back over HTTPS.
    #[arg(long, value_name = "FILE", requires = "publish")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum VaultCommand {
    /// Set a Vault JWT mount's jwt_validation_pubkeys to the keys a cluster publishes.
    #[command(after_help = VAULT_SYNC_EXAMPLES)]
    Sync(VaultSyncArgs),
}

const VAULT_SYNC_EXAMPLES: &str = "\
Examples:
  kwi vault sync --key /etc/kwi/keyring/verify.pub --mount jwt
  kwi vault sync --issuer-url https://oidc.example.com --mount kubernetes-prod
  kwi vault sync --jwks-url https://10.0.0.1:6443/openid/v1/jwks --ca-file ca.crt --mount jwt
  kwi vault sync --issuer-url https://oidc.example.com --mount jwt --watch --interval 5m

For mounts configured with jwt_validation_pubkeys (Vault cannot reach the issuer, or the keys
are pinned): the keys of every source are read (several sources: all their keys), compared
with the mount's, and written when they differ; the mount's other settings are kept.
Vault is found as the vault CLI finds it: VAULT_ADDR, VAULT_TOKEN (or ~/.vault-token),
VAULT_CACERT, VAULT_NAMESPACE. Run it after each kwi rotate step, or with --watch.
Exit 1: the mount verifies with jwks_url or oidc_discovery_url (Vault follows the issuer itself).";

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("sources").required(true).multiple(true).args(["issuer_url", "jwks_url", "keys"])))]
pub(crate) struct VaultSyncArgs {
    /// An issuer whose discovery document names the JWKS (HTTPS).
    #[arg(long, value_name = "URL")]
    pub issuer_url: Vec<String>,
    /// A JWKS URL (HTTPS).
    #[arg(long, value_name = "URL")]
    pub jwks_url: Vec<String>,
    /// A key file: PEM (one or more blocks, e.g. kwi rotate's verify.pub), a JWK or a JWKS.
    #[arg(long = "key", visible_alias = "jwks", value_name = "FILE")]
    pub keys: Vec<String>,
    /// CA certificates (PEM) to trust for --issuer-url and --jwks-url.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// The JWT auth mount (auth/<MOUNT>/config).
    #[arg(long, value_name = "MOUNT", default_value = "jwt")]
    pub mount: String,
    /// The Vault address.
    #[arg(
        long,
        value_name = "URL",
        env = "VAULT_ADDR",
        default_value = "https://127.0.0.1:8200"
    )]
    pub vault_addr: String,
    /// CA certificates (PEM) to trust for Vault.
    #[arg(long, value_name = "FILE", env = "VAULT_CACERT")]
    pub vault_ca_file: Option<PathBuf>,
    /// Say what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep running: sync again every --interval.
    #[arg(long)]
    pub watch: bool,
    /// How often --watch syncs.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "1m",
        requires = "watch"
    )]
    pub interval: String,
}
