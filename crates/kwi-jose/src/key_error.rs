//! The one error type of key handling.

/// Why a key could not be read, checked or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The input holds nothing but white space.
    #[error("the input is empty")]
    Empty,
    /// The input is none of the formats kwi reads.
    #[error("not a key: expected PEM, DER, a JWK or JWKS, or an OpenSSH public key{hint}")]
    UnknownFormat {
        /// A guess at what the input is, with a leading "; ", or empty.
        hint: String,
    },
    /// A PEM document is malformed (armour, headers or base64).
    #[error("bad PEM: {0}")]
    Pem(String),
    /// A PEM block is well formed but its label is not one of a key.
    #[error("PEM block \"{label}\" is not a key{hint}")]
    UnsupportedLabel {
        /// The label found after BEGIN.
        label: String,
        /// More about what to do, with a leading "; ", or empty.
        hint: String,
    },
    /// The private key is encrypted with a passphrase.
    #[error(
        "the private key is encrypted; kwi reads unencrypted keys only: decrypt a copy first with `{fix}`"
    )]
    Encrypted {
        /// The command that decrypts it.
        fix: &'static str,
    },
    /// A DER structure is malformed.
    #[error("bad {what}: {detail}")]
    Der {
        /// The structure that was being read.
        what: &'static str,
        /// What the DER decoder said.
        detail: String,
    },
    /// A key algorithm kwi does not handle (DSA, RSA-PSS, X25519, Ed448, …).
    #[error(
        "unsupported key algorithm {0}; kwi reads RSA, ECDSA (P-256, P-384, P-521) and Ed25519 keys"
    )]
    UnsupportedAlgorithm(String),
    /// An elliptic curve other than P-256, P-384 and P-521.
    #[error("unsupported elliptic curve {0}; Kubernetes signs with P-256, P-384 or P-521 only")]
    UnsupportedCurve(String),
    /// An RSA modulus shorter than 2048 bits.
    #[error(
        "RSA key of {bits} bits is too small: at least 2048 bits are required (generate a new one: kwi keys generate --out sa.key)"
    )]
    RsaTooSmall {
        /// The modulus length.
        bits: usize,
    },
    /// An RSA modulus longer than kwi supports.
    #[error("RSA key of {bits} bits is too large: at most 8192 bits are supported")]
    RsaTooLarge {
        /// The modulus length.
        bits: usize,
    },
    /// Key material that parses but is not a valid key (point not on the curve, inconsistent RSA factors).
    #[error("invalid {what}: {detail}")]
    InvalidKey {
        /// The kind of key.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A JWK that is malformed or misses a member.
    #[error("bad JWK: {0}")]
    Jwk(String),
    /// A JWKS that is malformed.
    #[error("bad JWKS: {0}")]
    Jwks(String),
    /// Two keys of one JWKS share a kid, so a token's kid cannot select one key.
    #[error("bad JWKS: two keys have kid \"{0}\"")]
    DuplicateKid(String),
    /// An OpenSSH key that is malformed.
    #[error("bad OpenSSH key: {0}")]
    OpenSsh(String),
    /// The key exists but cannot be written in the requested form.
    #[error("{0}")]
    CannotEncode(String),
}

impl KeyError {
    pub(crate) fn der(what: &'static str, err: impl std::fmt::Display) -> Self {
        KeyError::Der {
            what,
            detail: err.to_string(),
        }
    }
}
