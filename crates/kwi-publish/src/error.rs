//! The one error type of the publish crate.

/// What kind of failure, for the exit code: decisions are made on this, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad arguments or an unreadable site (exit 2).
    Usage,
    /// The bucket or account forbids what publishing needs (public access, permissions): the
    /// thing checked is wrong (exit 1).
    Refused,
    /// What a relying party reads back differs from what kwi built (exit 1).
    Mismatch,
    /// No credentials, network down, a server error (exit 2).
    Unavailable,
}

/// Why publishing failed; the message says what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PublishError {
    /// The kind of failure.
    pub kind: ErrorKind,
    /// What happened and what to do.
    pub message: String,
}

impl PublishError {
    /// The error of a value given by a command-line flag, the flag named first: `--to s3://…: …`.
    pub fn given_by(self, flag: &str) -> Self {
        Self {
            message: format!("{flag} {}", self.message),
            ..self
        }
    }

    /// A usage error.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Usage,
            message: message.into(),
        }
    }

    /// A refusal by the bucket or account.
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Refused,
            message: message.into(),
        }
    }

    /// A read-back mismatch.
    pub(crate) fn mismatch(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Mismatch,
            message: message.into(),
        }
    }

    /// A service that could not be reached or used.
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Unavailable,
            message: message.into(),
        }
    }
}
