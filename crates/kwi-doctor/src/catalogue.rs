//! The failures doctor knows: a stable id each, what is wrong, which relying parties refuse,
//! the message each of them shows (from `reference/relying-parties.md` §4 and the sources it
//! cites; "—" where no message of theirs is known) and the fix. The README's catalogue table is
//! this list.

/// A relying party doctor checks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Party {
    /// AWS STS (IRSA).
    Aws,
    /// Vault / OpenBao JWT auth.
    Vault,
    /// Microsoft Entra workload identity federation.
    Azure,
    /// Google Cloud workload identity federation.
    Gcp,
}

impl Party {
    /// Every party.
    pub const ALL: [Party; 4] = [Party::Aws, Party::Vault, Party::Azure, Party::Gcp];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Party::Aws => "aws",
            Party::Vault => "vault",
            Party::Azure => "azure",
            Party::Gcp => "gcp",
        }
    }

    /// Its name in sentences: `AWS STS`, `Vault`, `Entra ID`, `Google STS`.
    pub fn title(self) -> &'static str {
        match self {
            Party::Aws => "AWS STS",
            Party::Vault => "Vault",
            Party::Azure => "Entra ID",
            Party::Gcp => "Google STS",
        }
    }

    /// The audience its tokens usually carry, when `--aud` is not given.
    pub fn default_audience(self) -> Option<&'static str> {
        match self {
            Party::Aws => Some("sts.amazonaws.com"),
            Party::Azure => Some("api://AzureADTokenExchange"),
            Party::Vault | Party::Gcp => None,
        }
    }

    /// Whether the party fetches the issuer from the public internet (cloud services do).
    pub fn is_cloud(self) -> bool {
        !matches!(self, Party::Vault)
    }
}

use Party::{Aws, Azure, Gcp, Vault};

/// Whether a finding stops a relying party or only deserves attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A relying party refuses (exit 1).
    Refused,
    /// No relying party is known to refuse, but something is off (reported, exit 0).
    Warning,
}

impl Severity {
    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Refused => "refused",
            Severity::Warning => "warning",
        }
    }
}

use Severity::{Refused, Warning};

/// One known failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Stable id.
    pub id: &'static str,
    /// Refused by the parties, or a warning for them.
    pub severity: Severity,
    /// What is wrong.
    pub what: &'static str,
    /// Who refuses (for a warning: whom it concerns).
    pub parties: &'static [Party],
    /// Their messages.
    pub messages: &'static [(Party, &'static str)],
    /// The fix.
    pub fix: &'static str,
}

const CLOUD: &[Party] = &[Aws, Azure, Gcp];
const EVERYONE: &[Party] = &[Aws, Vault, Azure, Gcp];

const UNREACHABLE: &[(Party, &str)] = &[
    (
        Aws,
        "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
    ),
    (
        Vault,
        "error validating token: …: fetching keys oidc: get keys failed …",
    ),
    (
        Azure,
        "AADSTS90061: Request to External OIDC endpoint failed.",
    ),
    (
        Gcp,
        "invalid_grant: Error connecting to the given credential's issuer.",
    ),
];

const DISCOVERY_BROKEN: &[(Party, &str)] = &[
    (
        Aws,
        "InvalidIdentityToken: Please check .well-known/openid-configuration of provider",
    ),
    (
        Vault,
        "oidc: issuer did not match the issuer returned by provider, expected … got …",
    ),
    (
        Azure,
        "AADSTS90061: Request to External OIDC endpoint failed.",
    ),
    (
        Gcp,
        "invalid_grant: Error connecting to the given credential's issuer.",
    ),
];

/// The catalogue.
pub const CATALOGUE: &[Entry] = &[
    Entry {
        id: "issuer.not-https",
        severity: Refused,
        what: "the issuer URL is not https: IAM, Entra and Google take https issuers only (doctor walks an http issuer anyway, as Vault, which fetches http, does)",
        parties: CLOUD,
        messages: &[],
        fix: "serve the issuer over HTTPS and give kube-apiserver --service-account-issuer https://… (kwi apiserver-flags --issuer https://…)",
    },
    Entry {
        id: "issuer.query-or-fragment",
        severity: Refused,
        what: "the issuer URL has a query or a fragment (OpenID Connect Discovery forbids them)",
        parties: EVERYONE,
        messages: &[],
        fix: "use a URL of scheme, host and path only: kwi issuer build --issuer https://host/path",
    },
    Entry {
        id: "issuer.trailing-slash",
        severity: Refused,
        what: "the issuer URL ends with a slash: IAM providers and Entra federated credentials are matched byte for byte, and kube-apiserver keeps the slash in iss",
        parties: &[Aws, Azure],
        messages: &[
            (
                Aws,
                "InvalidIdentityToken: No OpenIDConnect provider found in your account for https://…/",
            ),
            (
                Azure,
                "AADSTS700211: No matching federated identity record found for presented assertion issuer '…/'",
            ),
        ],
        fix: "drop the trailing slash everywhere (kube-apiserver --service-account-issuer, the site: kwi issuer build --issuer https://host)",
    },
    Entry {
        id: "issuer.unreachable",
        severity: Refused,
        what: "the discovery document cannot be fetched (DNS, connection, timeout)",
        parties: EVERYONE,
        messages: UNREACHABLE,
        fix: "serve the issuer where the relying party can fetch it anonymously (kwi issuer serve, or kwi issuer publish to public object storage)",
    },
    Entry {
        id: "issuer.tls-untrusted",
        severity: Refused,
        what: "the issuer's TLS certificate is not trusted (wrong CA, expired, wrong host name)",
        parties: EVERYONE,
        messages: &[
            (
                Aws,
                "InvalidIdentityToken: OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
            ),
            (
                Vault,
                "…: fetching keys oidc: get keys failed: … x509: certificate signed by unknown authority",
            ),
        ],
        fix: "serve a certificate from a public CA for the issuer's host name (or give Vault oidc_discovery_ca_pem, doctor --ca-file)",
    },
    Entry {
        id: "tls.expired",
        severity: Refused,
        what: "the issuer's certificate is expired (or not valid yet)",
        parties: EVERYONE,
        messages: &[(
            Vault,
            "…: fetching keys oidc: get keys failed: … x509: certificate has expired or is not yet valid",
        )],
        fix: "renew the certificate (cert-manager, ACME) and serve the new one",
    },
    Entry {
        id: "tls.wrong-host",
        severity: Refused,
        what: "the issuer's certificate does not name the issuer's host",
        parties: EVERYONE,
        messages: &[(
            Vault,
            "…: fetching keys oidc: get keys failed: … x509: certificate is valid for …, not …",
        )],
        fix: "serve a certificate whose subjectAltName holds the issuer's host name",
    },
    Entry {
        id: "issuer.not-public",
        severity: Refused,
        what: "the issuer's host (or the jwks_uri's) is loopback, private or cluster-internal: cloud relying parties fetch the documents from the internet",
        parties: CLOUD,
        messages: UNREACHABLE,
        fix: "publish the issuer on a public host (kwi issuer publish --to s3://… --make-public) and use that URL as the issuer",
    },
    Entry {
        id: "dns.no-such-host",
        severity: Refused,
        what: "the issuer's host name (or the jwks_uri's) does not resolve (no A/AAAA record)",
        parties: EVERYONE,
        messages: UNREACHABLE,
        fix: "publish an address record for the host in public DNS, or use the URL of the storage that serves the documents (kwi issuer publish prints it)",
    },
    Entry {
        id: "dns.private-address",
        severity: Refused,
        what: "the issuer's host name (or the jwks_uri's) resolves only to loopback, private or link-local addresses: AWS STS, Entra and Google fetch the documents from the internet and cannot reach them",
        parties: CLOUD,
        messages: UNREACHABLE,
        fix: "serve the documents on a host with a public address (kwi issuer publish --to s3://… --make-public), and keep the private address for in-cluster use only",
    },
    Entry {
        id: "fetch.redirect",
        severity: Warning,
        what: "the discovery document or the JWKS is reached through redirects: Vault (Go's HTTP client) follows up to 10; whether AWS STS, Entra and Google follow them is not documented, so none is known to refuse",
        parties: EVERYONE,
        messages: &[],
        fix: "serve the documents at the URLs themselves: the issuer URL's /.well-known/openid-configuration and the jwks_uri it names (kwi issuer build --issuer with the final URL)",
    },
    Entry {
        id: "fetch.too-many-redirects",
        severity: Refused,
        what: "more than 10 redirects (or a loop) before the document: Go's HTTP client, which Vault uses, stops after 10, and so does doctor",
        parties: EVERYONE,
        messages: &[(
            Vault,
            "error validating token: …: Get \"…\": stopped after 10 redirects",
        )],
        fix: "remove the redirect loop; serve the documents at the URLs themselves",
    },
    Entry {
        id: "discovery.content-type",
        severity: Warning,
        what: "the discovery document is not served as application/json (OpenID Connect Discovery requires it): no relying party is known to refuse it — go-oidc (Vault) reads the body whatever the type and names the type only when the body is not JSON; AWS, Entra and Google document no requirement",
        parties: EVERYONE,
        messages: &[],
        fix: "serve it with Content-Type: application/json (kwi issuer serve does; kwi issuer publish sets it on the object)",
    },
    Entry {
        id: "jwks.content-type",
        severity: Warning,
        what: "the JWKS is not served as application/json or application/jwk-set+json: no relying party is known to refuse it (as for the discovery document)",
        parties: EVERYONE,
        messages: &[],
        fix: "serve it with Content-Type: application/json (kwi issuer serve does; kwi issuer publish sets it on the object)",
    },
    Entry {
        id: "jwks.no-cache",
        severity: Warning,
        what: "the JWKS forbids caching (Cache-Control no-store, no-cache or max-age=0, or Pragma: no-cache): AWS then fetches it for every AssumeRoleWithWebIdentity call and, under parallel calls, answers that it could not retrieve the key (AWS support's answer quoted in GitLab MR 138405)",
        parties: &[Aws],
        messages: &[(
            Aws,
            "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        )],
        fix: "serve it with Cache-Control: public, max-age=3600, as kube-apiserver does (kwi issuer serve does)",
    },
    Entry {
        id: "jwks.long-max-age",
        severity: Warning,
        what: "the JWKS may be cached for more than a day (max-age over 86400): a cache that honours it (a CDN in front, a relying party's key cache) keeps the old set that long after a rotation, and tokens signed by a newly published key are refused meanwhile",
        parties: CLOUD,
        messages: &[],
        fix: "serve it with max-age=3600 as kube-apiserver does, and publish a new key at least max-age before signing with it (kwi rotate's lead time)",
    },
    Entry {
        id: "tls.private-ca",
        severity: Refused,
        what: "the issuer's certificate chains to a CA that is not publicly trusted: IAM then checks the thumbprint of its top CA; Google takes only certificates the public roots trust (its documents name self-signed ones as unsupported)",
        parties: &[Aws, Gcp],
        messages: &[(
            Aws,
            "InvalidIdentityToken: OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
        )],
        fix: "serve a publicly trusted certificate (ACME, cert-manager), or for AWS only register the thumbprint doctor prints (aws iam create-open-id-connect-provider --thumbprint-list …)",
    },
    Entry {
        id: "discovery.http-status",
        severity: Refused,
        what: "the discovery URL answers with a status other than 2xx",
        parties: EVERYONE,
        messages: UNREACHABLE,
        fix: "serve <issuer>/.well-known/openid-configuration (kwi issuer build writes it; upload the whole site)",
    },
    Entry {
        id: "discovery.not-json",
        severity: Refused,
        what: "the discovery document is not a JSON object",
        parties: EVERYONE,
        messages: DISCOVERY_BROKEN,
        fix: "serve the document kwi issuer build (or kwi discovery) writes",
    },
    Entry {
        id: "discovery.issuer-mismatch",
        severity: Refused,
        what: "the discovery document's issuer is not exactly the issuer URL",
        parties: EVERYONE,
        messages: DISCOVERY_BROKEN,
        fix: "rebuild the site with the URL it is served at: kwi issuer build --issuer <URL>",
    },
    Entry {
        id: "discovery.jwks-uri-missing",
        severity: Refused,
        what: "the discovery document has no jwks_uri",
        parties: EVERYONE,
        messages: DISCOVERY_BROKEN,
        fix: "kwi discovery --issuer <URL> writes a document with jwks_uri",
    },
    Entry {
        id: "discovery.jwks-uri-not-https",
        severity: Refused,
        what: "jwks_uri is not an https URL",
        parties: CLOUD,
        messages: &[(
            Aws,
            "InvalidIdentityToken: Please check .well-known/openid-configuration of provider",
        )],
        fix: "kwi discovery --issuer https://… --jwks-uri https://…",
    },
    Entry {
        id: "discovery.slow",
        severity: Refused,
        what: "the discovery document took more than 5 s to arrive",
        parties: &[Aws],
        messages: &[(
            Aws,
            "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        )],
        fix: "serve the documents statically (object storage, a CDN, kwi issuer serve)",
    },
    Entry {
        id: "jwks.http-status",
        severity: Refused,
        what: "jwks_uri answers with a status other than 2xx",
        parties: EVERYONE,
        messages: UNREACHABLE,
        fix: "serve the JWKS at the jwks_uri the discovery document names (kwi issuer build writes both)",
    },
    Entry {
        id: "jwks.unreachable",
        severity: Refused,
        what: "jwks_uri cannot be fetched (DNS, connection, TLS, timeout)",
        parties: EVERYONE,
        messages: UNREACHABLE,
        fix: "serve the JWKS on the issuer's public host",
    },
    Entry {
        id: "jwks.not-json",
        severity: Refused,
        what: "the JWKS is not a JSON object with a \"keys\" list",
        parties: EVERYONE,
        messages: UNREACHABLE,
        fix: "serve the document kwi jwks (or kwi issuer build) writes",
    },
    Entry {
        id: "jwks.empty",
        severity: Refused,
        what: "the JWKS has no key any relying party can use",
        parties: EVERYONE,
        messages: UNREACHABLE,
        fix: "publish the cluster's public keys: kwi jwks sa.pub (or kwi issuer build --key sa.pub)",
    },
    Entry {
        id: "jwks.missing-kid",
        severity: Refused,
        what: "a key has no kid (tokens from kube-apiserver carry one, and STS looks the key up by it)",
        parties: &[Aws, Azure],
        messages: &[(
            Aws,
            "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        )],
        fix: "publish each key with kube-apiserver's kid: kwi jwks sa.pub",
    },
    Entry {
        id: "jwks.duplicate-kid",
        severity: Refused,
        what: "two different keys have the same kid: a verifier picks one and refuses tokens of the other",
        parties: EVERYONE,
        messages: &[(
            Vault,
            "error validating token: error verifying token signature: no known key successfully validated the token signature",
        )],
        fix: "give each key its own kid (kwi jwks computes kube-apiserver's)",
    },
    Entry {
        id: "jwks.private-key",
        severity: Refused,
        what: "the JWKS publishes private key material (\"d\", \"p\", \"q\"…): anyone can sign tokens every relying party accepts",
        parties: EVERYONE,
        messages: &[],
        fix: "rotate the key now (kwi rotate), and publish public keys only: kwi jwks sa.pub",
    },
    Entry {
        id: "jwks.ec-key",
        severity: Refused,
        what: "an EC key is published: Entra accepts RSA-signed tokens only",
        parties: &[Azure],
        messages: &[(
            Azure,
            "AADSTS5002738: Invalid JWT token. 'ES256' is not a supported signature algorithm",
        )],
        fix: "sign with an RSA key for Entra: kwi keys generate --alg RS256",
    },
    Entry {
        id: "jwks.x5c",
        severity: Refused,
        what: "a key carries x5c/x5t: Google refuses such a JWKS when uploaded as the provider's jwksJson",
        parties: &[Gcp],
        messages: &[(Gcp, "Input JWK is not in a valid json format")],
        fix: "publish bare keys (kty, alg, use, kid, n, e / x, y, crv): kwi jwks sa.pub",
    },
    Entry {
        id: "jwks.too-many-keys",
        severity: Refused,
        what: "more than 100 keys (AWS is reported to read at most 100: SPIRE #4699, unconfirmed)",
        parties: &[Aws],
        messages: &[],
        fix: "publish only the keys that sign live tokens (kwi rotate retires old ones)",
    },
    Entry {
        id: "jwks.unknown-kty",
        severity: Refused,
        what: "a key has a kty go-jose does not know: Vault's go-oidc refuses the whole set",
        parties: &[Vault],
        messages: &[(
            Vault,
            "error validating token: …: fetching keys oidc: failed to decode keys: go-jose/go-jose: unknown json web key type '…'",
        )],
        fix: "publish RSA or EC keys only: kwi jwks sa.pub",
    },
    Entry {
        id: "token.unreadable",
        severity: Refused,
        what: "the token is not a compact JWT",
        parties: EVERYONE,
        messages: &[(
            Aws,
            "InvalidIdentityToken: The web identity token is not a valid JWT",
        )],
        fix: "give the projected token file (/var/run/secrets/eks.amazonaws.com/serviceaccount/token), not a Secret's base64",
    },
    Entry {
        id: "token.kid-not-published",
        severity: Refused,
        what: "the token's kid is not in the JWKS",
        parties: EVERYONE,
        messages: &[
            (
                Aws,
                "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
            ),
            (
                Vault,
                "error validating token: error verifying token signature: no known key successfully validated the token signature",
            ),
        ],
        fix: "publish the signing key's public half: kwi issuer build --key sa.pub (all keys kube-apiserver verifies with)",
    },
    Entry {
        id: "token.bad-signature",
        severity: Refused,
        what: "no published key verifies the token's signature",
        parties: EVERYONE,
        messages: &[
            (
                Aws,
                "InvalidIdentityToken: The web identity token's signature could not be verified with the provider's keys",
            ),
            (
                Vault,
                "error validating token: error verifying token signature: no known key successfully validated the token signature",
            ),
        ],
        fix: "publish the public key of kube-apiserver's --service-account-signing-key-file: kwi jwks sa.key",
    },
    Entry {
        id: "token.issuer",
        severity: Refused,
        what: "the token's iss is not the issuer URL",
        parties: EVERYONE,
        messages: &[
            (
                Aws,
                "InvalidIdentityToken: No OpenIDConnect provider found in your account for <iss>",
            ),
            (Vault, "error validating token: invalid issuer (iss) claim"),
            (
                Azure,
                "AADSTS700211: No matching federated identity record found for presented assertion issuer '<iss>'",
            ),
        ],
        fix: "make kube-apiserver's --service-account-issuer the issuer URL, byte for byte (kwi apiserver-flags)",
    },
    Entry {
        id: "token.audience",
        severity: Refused,
        what: "the token's aud does not hold the relying party's audience",
        parties: EVERYONE,
        messages: &[
            (Aws, "InvalidIdentityToken: Incorrect token audience"),
            (
                Vault,
                "error validating token: invalid audience (aud) claim: audience claim does not match any expected audience",
            ),
            (
                Azure,
                "AADSTS700212: No matching federated identity record found for presented assertion audience '…'",
            ),
            (
                Gcp,
                "invalid_grant: The audience in ID Token [<aud>] does not match the expected audience.",
            ),
        ],
        fix: "request the relying party's audience in the projected volume (the pod identity webhook's --token-audience; kwi token mint --aud AUD): sts.amazonaws.com for AWS, api://AzureADTokenExchange for Entra, the provider's name or an allowed audience for Google",
    },
    Entry {
        id: "token.expired",
        severity: Refused,
        what: "the token has expired",
        parties: EVERYONE,
        messages: &[
            (
                Aws,
                "ExpiredTokenException: Token expired: current date/time <now> must be before the expiration date/time <exp>",
            ),
            (
                Vault,
                "error validating token: invalid expiration time (exp) claim: token is expired",
            ),
            (
                Azure,
                "AADSTS700024: Client assertion is not within its valid time range.",
            ),
        ],
        fix: "read the token file again for each call (kubelet refreshes it at 80 % of its life); check the node's clock",
    },
    Entry {
        id: "token.not-yet-valid",
        severity: Refused,
        what: "the token's iat or nbf is in the future beyond the relying party's skew",
        parties: EVERYONE,
        messages: &[
            (
                Aws,
                "InvalidIdentityToken: The web identity token's iat is in the future",
            ),
            (
                Vault,
                "error validating token: invalid issued at (iat) claim: token issued in the future",
            ),
        ],
        fix: "synchronise the clocks (NTP) of the control plane and the relying party's caller",
    },
    Entry {
        id: "entra.credential-issuer",
        severity: Refused,
        what: "the federated identity credential's issuer is not the issuer URL, byte for byte (a trailing slash, http, another host): Entra matches the token's iss against it exactly",
        parties: &[Azure],
        messages: &[(
            Azure,
            "AADSTS700211: No matching federated identity record found for presented assertion issuer '<iss>'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
        )],
        fix: "az identity federated-credential update --issuer <the issuer URL> (or create the credential again with it)",
    },
    Entry {
        id: "entra.subject",
        severity: Refused,
        what: "the token's sub is not the subject of any federated identity credential for its issuer (Entra compares case-sensitively; newer tenants answer AADSTS700213 with the subject alone)",
        parties: &[Azure],
        messages: &[(
            Azure,
            "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '<iss>'. Assertion Subject: '<sub>'. Assertion Audience: '<aud>'.",
        )],
        fix: "give the credential the subject system:serviceaccount:<namespace>:<service-account>, exactly as the token's sub (az identity federated-credential update --subject …)",
    },
    Entry {
        id: "gcp.provider-name",
        severity: Refused,
        what: "the pool provider's name (the credential configuration's audience) is not its full resource name //iam.googleapis.com/projects/<NUMBER>/locations/global/workloadIdentityPools/<POOL>/providers/<PROVIDER> (a project ID instead of its number, an https: prefix, a missing part)",
        parties: &[Gcp],
        messages: &[(
            Gcp,
            "invalid_request: Invalid value for \"audience\". This value should be the full resource name of the Identity Provider.",
        )],
        fix: "gcloud iam workload-identity-pools providers describe … --format='value(name)' gives the name; prefix it with //iam.googleapis.com/ and use the project number",
    },
    Entry {
        id: "gcp.subject-too-long",
        severity: Refused,
        what: "the token's sub is longer than the 127 bytes Google's google.subject takes (the default mapping google.subject=assertion.sub; long namespace and service-account names exceed it)",
        parties: &[Gcp],
        messages: &[(
            Gcp,
            "invalid_request: The size of mapped attribute google.subject exceeds the 127 bytes limit. Either modify your attribute mapping or the incoming assertion to produce a mapped attribute that is less than 127 bytes.",
        )],
        fix: "map google.subject to a shorter value (e.g. --attribute-mapping google.subject=assertion['kubernetes.io']['serviceaccount']['uid']), or shorten the namespace or service-account name",
    },
    Entry {
        id: "gcp.token-claims",
        severity: Refused,
        what: "the token lacks what Google's STS requires: a kid in the header, and iss, iat, exp, sub and aud",
        parties: &[Gcp],
        messages: &[],
        fix: "use a token kube-apiserver issued (a projected volume), or kwi token mint: both carry them all",
    },
    Entry {
        id: "token.lifetime",
        severity: Refused,
        what: "the token lives longer than the relying party takes: Entra 25 hours at most (and iat required), Google less than 48 hours after iat",
        parties: &[Azure, Gcp],
        messages: &[(
            Azure,
            "AADSTS70023: External OIDC Provider token must have a lifetime of less than or equal to 1.01:00:00.",
        )],
        fix: "request a projected token of 24 h or less (expirationSeconds; the Azure webhook's service-account-token-expiration)",
    },
    Entry {
        id: "token.algorithm",
        severity: Refused,
        what: "the token's algorithm is one the relying party refuses (Entra: RSA only; STS: RS256/384/512, ES256/384/512; Google: RS256 or ES256)",
        parties: &[Aws, Azure, Gcp],
        messages: &[
            (
                Azure,
                "AADSTS5002738: Invalid JWT token. 'ES256' is not a supported signature algorithm",
            ),
            (
                Aws,
                "InvalidIdentityToken: Unsupported token signing algorithm …",
            ),
        ],
        fix: "sign with an RSA key: kwi keys generate --alg RS256",
    },
    Entry {
        id: "token.claims",
        severity: Refused,
        what: "a claim STS needs is missing or of the wrong type (sub, exp; times as integers)",
        parties: &[Aws],
        messages: &[(
            Aws,
            "InvalidIdentityToken: … (kwi's wording: \"Invalid web identity token: …\")",
        )],
        fix: "use a token kube-apiserver issued (TokenRequest / a projected volume), or kwi token mint",
    },
    Entry {
        id: "token.too-long",
        severity: Refused,
        what: "the token is longer than the 20,000 characters STS accepts",
        parties: &[Aws],
        messages: &[(
            Aws,
            "ValidationError: 1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000",
        )],
        fix: "give the projected service-account token itself",
    },
];

/// The entry of an id.
pub fn entry(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_entry_names_who_refuses() {
        let mut ids: Vec<&str> = CATALOGUE.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len());
        assert!(
            CATALOGUE
                .iter()
                .all(|e| !e.parties.is_empty() && !e.fix.is_empty())
        );
        assert!(CATALOGUE.len() >= 25);
    }

    /// A check recorded under an id the catalogue lacks would be dropped without a word: every
    /// quoted id in the checking code must be an entry.
    #[test]
    fn every_id_the_checks_use_is_in_the_catalogue() {
        let sources = [
            include_str!("issuer.rs"),
            include_str!("token.rs"),
            include_str!("entra.rs"),
            include_str!("google.rs"),
        ];
        let mut seen = 0;
        for source in sources {
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            for quoted in code.split('"').skip(1).step_by(2) {
                let is_id = [
                    "issuer.",
                    "tls.",
                    "discovery.",
                    "jwks.",
                    "token.",
                    "dns.",
                    "fetch.",
                ]
                .iter()
                .any(|p| quoted.starts_with(p))
                    && quoted
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-');
                if is_id {
                    seen += 1;
                    assert!(entry(quoted).is_some(), "{quoted} is not in the catalogue");
                }
            }
        }
        assert!(seen > 25, "{seen}");
    }
}
