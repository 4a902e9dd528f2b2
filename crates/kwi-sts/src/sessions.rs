//! The sessions kwi's STS has issued, so that `GetCallerIdentity` signed with their credentials
//! answers who the caller is (`aws sts get-caller-identity`, the usual IRSA check). Only the
//! access key ID of the request's SigV4 credential scope is looked at: the signature is not
//! verified (these credentials open nothing; this STS is for tests and demos).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{StsError, StsErrorCode};
use crate::xml::escape;

/// At most this many sessions are remembered; the oldest go first.
pub const MAX_SESSIONS: usize = 10_000;

/// One issued session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub arn: String,
    /// `<role id>:<session>`.
    pub user_id: String,
    /// The account.
    pub account: String,
    /// When the credentials expire.
    pub expiration: i64,
}

/// The issued sessions by access key ID.
#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<(HashMap<String, Session>, std::collections::VecDeque<String>)>,
}

impl Sessions {
    /// Remembers a session.
    pub fn insert(&self, access_key_id: &str, session: Session) {
        let Ok(mut guard) = self.inner.lock() else {
            return;
        };
        let (map, order) = &mut *guard;
        while order.len() >= MAX_SESSIONS {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
        map.insert(access_key_id.to_string(), session);
        order.push_back(access_key_id.to_string());
    }

    fn get(&self, access_key_id: &str) -> Option<Session> {
        self.inner.lock().ok()?.0.get(access_key_id).cloned()
    }

    /// Answers `GetCallerIdentity` for the access key of a SigV4 `Authorization` header (or a
    /// presigned request's `X-Amz-Credential`).
    pub fn caller_identity(
        &self,
        credential: Option<&str>,
        now: i64,
        request_id: &str,
    ) -> Result<String, StsError> {
        let invalid = || {
            StsError::new(
                StsErrorCode::InvalidClientTokenId,
                "The security token included in the request is invalid.",
            )
        };
        let key = credential.and_then(access_key_id).ok_or_else(invalid)?;
        let session = self.get(key).ok_or_else(invalid)?;
        if now >= session.expiration {
            return Err(StsError::new(
                StsErrorCode::ExpiredToken,
                "The security token included in the request is expired",
            ));
        }
        Ok(format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">
  <GetCallerIdentityResult>
    <Arn>{}</Arn>
    <UserId>{}</UserId>
    <Account>{}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>{}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
",
            escape(&session.arn),
            escape(&session.user_id),
            escape(&session.account),
            escape(request_id)
        ))
    }
}

/// The access key ID of `AWS4-HMAC-SHA256 Credential=AKID/date/region/sts/aws4_request, …`
/// or of a bare `AKID/date/region/sts/aws4_request`.
fn access_key_id(credential: &str) -> Option<&str> {
    let scope = match credential.find("Credential=") {
        Some(at) => &credential[at + "Credential=".len()..],
        None => credential,
    };
    scope.split('/').next().filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_key_of_a_sigv4_header() {
        assert_eq!(
            access_key_id(
                "AWS4-HMAC-SHA256 Credential=ASIAXYZ/20261206/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00"
            ),
            Some("ASIAXYZ")
        );
        assert_eq!(
            access_key_id("ASIAXYZ/20261206/us-east-1/sts/aws4_request"),
            Some("ASIAXYZ")
        );
        assert_eq!(access_key_id("Credential=/x"), None);
    }

    #[test]
    fn known_unknown_and_expired_keys() {
        let sessions = Sessions::default();
        sessions.insert(
            "ASIA1",
            Session {
                arn: "arn:aws:sts::1:assumed-role/app/s".into(),
                user_id: "AROA:s".into(),
                account: "1".into(),
                expiration: 100,
            },
        );
        assert!(
            sessions
                .caller_identity(Some("ASIA1/x"), 99, "r")
                .unwrap()
                .contains("<Arn>arn:aws:sts::1:assumed-role/app/s</Arn>")
        );
        assert_eq!(
            sessions
                .caller_identity(Some("ASIA1/x"), 100, "r")
                .unwrap_err()
                .code,
            StsErrorCode::ExpiredToken
        );
        assert_eq!(
            sessions
                .caller_identity(Some("ASIA2/x"), 1, "r")
                .unwrap_err()
                .code,
            StsErrorCode::InvalidClientTokenId
        );
        assert_eq!(
            sessions.caller_identity(None, 1, "r").unwrap_err().code,
            StsErrorCode::InvalidClientTokenId
        );
    }
}
