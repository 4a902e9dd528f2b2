//! STS's errors as STS answers them: the code, the HTTP status of botocore's STS model
//! (`sts/2011-06-15`), the message users know, and the `ErrorResponse` XML.
//!
//! Messages quoted from STS answers seen in public issues are marked [STS]; the others are
//! kwi's wording of the same refusal (STS's own text for them was not found).

use kwi_jose::StsRefusal;

use crate::xml::escape;

/// The error codes kwi's STS answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StsErrorCode {
    /// The token could not be validated (400).
    InvalidIdentityToken,
    /// The identity provider could not be reached (400).
    IdpCommunicationError,
    /// The role does not exist or its trust policy refuses the token (403).
    AccessDenied,
    /// The token has expired (400).
    ExpiredTokenException,
    /// A request parameter breaks its constraint (400).
    ValidationError,
    /// The action is not one this endpoint serves (400).
    InvalidAction,
    /// `GetCallerIdentity` with credentials this STS did not issue (403).
    InvalidClientTokenId,
    /// `GetCallerIdentity` with expired credentials (403).
    ExpiredToken,
}

impl StsErrorCode {
    /// The code as written in the XML.
    pub fn as_str(self) -> &'static str {
        match self {
            StsErrorCode::InvalidIdentityToken => "InvalidIdentityToken",
            StsErrorCode::IdpCommunicationError => "IDPCommunicationError",
            StsErrorCode::AccessDenied => "AccessDenied",
            StsErrorCode::ExpiredTokenException => "ExpiredTokenException",
            StsErrorCode::ValidationError => "ValidationError",
            StsErrorCode::InvalidAction => "InvalidAction",
            StsErrorCode::InvalidClientTokenId => "InvalidClientTokenId",
            StsErrorCode::ExpiredToken => "ExpiredToken",
        }
    }

    /// The HTTP status STS answers with.
    pub fn status(self) -> u16 {
        match self {
            StsErrorCode::AccessDenied
            | StsErrorCode::InvalidClientTokenId
            | StsErrorCode::ExpiredToken => 403,
            _ => 400,
        }
    }
}

/// An STS error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct StsError {
    /// The code.
    pub code: StsErrorCode,
    /// The message.
    pub message: String,
}

/// [STS] A key STS could not get: the JWKS unreachable, or no key with the token's kid.
pub const NO_VERIFICATION_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
/// [STS] The role's trust policy (or the role's absence).
pub const NOT_AUTHORIZED: &str = "Not authorized to perform sts:AssumeRoleWithWebIdentity";
/// [STS] The token's audience is not a client ID of the provider.
pub const INCORRECT_AUDIENCE: &str = "Incorrect token audience";
/// [STS] The discovery document is unusable or names another issuer.
pub const CHECK_DISCOVERY: &str = "Please check .well-known/openid-configuration of provider";
/// [STS] The provider's certificate is not trusted.
pub const THUMBPRINT_MISMATCH: &str =
    "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint";
/// [STS] DurationSeconds over the role's maximum.
pub const DURATION_OVER_MAX: &str =
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.";

impl StsError {
    /// An error with this code and message.
    pub fn new(code: StsErrorCode, message: impl Into<String>) -> StsError {
        StsError {
            code,
            message: message.into(),
        }
    }

    /// [STS] `AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`.
    pub fn access_denied() -> StsError {
        StsError::new(StsErrorCode::AccessDenied, NOT_AUTHORIZED)
    }

    /// STS's answer to a token its checks refuse.
    pub fn from_refusal(refusal: &StsRefusal) -> StsError {
        use StsErrorCode::{ExpiredTokenException, InvalidIdentityToken, ValidationError};
        let (code, message) = match refusal {
            StsRefusal::TokenLength { len } => (
                ValidationError,
                if *len < kwi_jose::STS_MIN_TOKEN_SIZE {
                    "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4".to_string()
                } else {
                    "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000".to_string()
                },
            ),
            StsRefusal::UnknownProvider { iss } => (
                InvalidIdentityToken,
                format!("No OpenIDConnect provider found in your account for {iss}"),
            ),
            StsRefusal::IncorrectAudience { .. } => {
                (InvalidIdentityToken, INCORRECT_AUDIENCE.to_string())
            }
            StsRefusal::KeyNotFound { .. } => (InvalidIdentityToken, NO_VERIFICATION_KEY.into()),
            // [STS] "Token expired: current date/time 1731098245 must be before the expiration date/time 1731095240"
            StsRefusal::Expired { exp, now } => (
                ExpiredTokenException,
                format!(
                    "Token expired: current date/time {now} must be before the expiration date/time {exp}"
                ),
            ),
            StsRefusal::NotAJwt(_) => (
                InvalidIdentityToken,
                "The web identity token is not a valid JWT".to_string(),
            ),
            StsRefusal::Algorithm { alg } => (
                InvalidIdentityToken,
                format!(
                    "Unsupported token signing algorithm {alg}: use RS256, RS384, RS512, ES256, ES384 or ES512"
                ),
            ),
            StsRefusal::BadSignature { .. } => (
                InvalidIdentityToken,
                "The web identity token's signature could not be verified with the provider's keys"
                    .to_string(),
            ),
            StsRefusal::NotYetValid { claim, .. } => (
                InvalidIdentityToken,
                format!("The web identity token's {claim} is in the future"),
            ),
            other => (
                InvalidIdentityToken,
                format!("Invalid web identity token: {other}"),
            ),
        };
        StsError::new(code, message)
    }

    /// The `ErrorResponse` document.
    pub fn to_xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
            self.code.as_str(),
            escape(&self.message),
            escape(request_id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_xml_is_stss_shape() {
        let xml = StsError::from_refusal(&StsRefusal::IncorrectAudience {
            found: vec!["x".into()],
            client_ids: vec![],
        })
        .to_xml("r-1");
        assert!(xml.starts_with(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>InvalidIdentityToken</Code>\n    <Message>Incorrect token audience</Message>"
        ));
        assert!(xml.contains("<RequestId>r-1</RequestId>"));
        assert_eq!(StsError::access_denied().code.status(), 403);
        assert_eq!(
            StsError::from_refusal(&StsRefusal::Expired { exp: 1, now: 2 }).to_string(),
            "ExpiredTokenException: Token expired: current date/time 2 must be before the expiration date/time 1"
        );
    }
}
