//! The one error type of the API: an HTTP status with Vault's `{"errors":[…]}` body.

/// A failed request, as Vault answers it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {}", errors.join("; "))]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The messages of the `errors` array.
    pub errors: Vec<String>,
}

impl ApiError {
    /// 400 with one message (Vault's `logical.ErrorResponse`).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            errors: vec![message.into()],
        }
    }

    /// 403 `permission denied`.
    pub fn permission_denied() -> ApiError {
        ApiError {
            status: 403,
            errors: vec!["permission denied".into()],
        }
    }

    /// 404 with an empty `errors` array, as Vault answers a read of nothing.
    pub fn not_found() -> ApiError {
        ApiError {
            status: 404,
            errors: vec![],
        }
    }

    /// The answer to a body that could not be read: 413 too large, 408 too slow, 400 broken.
    pub fn from_body(error: kwi_http::BodyError) -> ApiError {
        let status = match error {
            kwi_http::BodyError::TooLarge { .. } => 413,
            kwi_http::BodyError::TimedOut(_) => 408,
            _ => 400,
        };
        ApiError {
            status,
            errors: vec![error.to_string()],
        }
    }

    /// 500 with one message.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 500,
            errors: vec![message.into()],
        }
    }
}
