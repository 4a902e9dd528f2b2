//! Temporary credentials in the shapes AWS gives them (random: nothing can use them but tests).

use kwi_jose::time::format_rfc3339;

/// `Credentials` of an STS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `ASIA` and 16 characters, as temporary access key IDs are.
    pub access_key_id: String,
    /// 40 characters.
    pub secret_access_key: String,
    /// The session token.
    pub session_token: String,
    /// When they expire (seconds since the epoch).
    pub expiration: i64,
}

fn random(len: usize) -> Result<Vec<u8>, String> {
    let mut bytes = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "no randomness available".to_string())?;
    Ok(bytes)
}

fn from_alphabet(bytes: &[u8], alphabet: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char)
        .collect()
}

impl Credentials {
    /// New random credentials expiring at `expiration`.
    pub fn generate(expiration: i64) -> Result<Credentials, String> {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const ANY: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        Ok(Credentials {
            access_key_id: format!("ASIA{}", from_alphabet(&random(16)?, UPPER)),
            secret_access_key: from_alphabet(&random(40)?, ANY),
            session_token: kwi_jose::base64url(&random(240)?),
            expiration,
        })
    }

    /// `Expiration` as STS writes it (`2026-12-06T07:00:00Z`).
    pub fn expiration_text(&self) -> String {
        format_rfc3339(self.expiration)
    }
}
