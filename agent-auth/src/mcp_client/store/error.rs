//! Why a token store could not load or save. Messages never contain a token,
//! a secret or key bytes.

/// A token store failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenStoreError {
    /// Reading or writing the file failed.
    #[error("token store I/O: {0}")]
    Io(String),
    /// The file is not a token store file (another format).
    #[error("the file is not a token store")]
    Foreign,
    /// The file cannot be opened with this key: sealed with another key, or
    /// altered (AES-256-GCM authentication failed).
    #[error("the token store cannot be opened with this key (another key, or altered)")]
    WrongKeyOrAltered,
    /// The file is truncated, or its content is not what a store writes.
    #[error("the token store is corrupted")]
    Corrupted,
    /// The key is not 32 bytes (raw, or base64url text).
    #[error("invalid token store key: {0}")]
    InvalidKey(&'static str),
    /// The file can be read by other users (it must be 0600).
    #[error("the token store file is readable by other users")]
    TooOpen,
}

impl From<std::io::Error> for TokenStoreError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.kind().to_string())
    }
}
