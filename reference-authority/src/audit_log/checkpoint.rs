//! C2SP checkpoints (<https://c2sp.org/tlog-checkpoint>): the log's origin, its
//! tree size and root hash, as the text of a signed note.

use super::hash::Hash;
use super::note::{NoteError, NoteVerifier, open};
use thiserror::Error;

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The signed note around it failed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The text breaks the checkpoint format (the reason says how).
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The checkpoint is of another log.
    #[error("the checkpoint is of another log origin")]
    WrongOrigin,
}

/// A tree head: origin, size, root hash and optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (its URL prefix without scheme).
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// The RFC 6962 root hash of the first `size` entries.
    pub root: Hash,
    /// Extension lines (opaque, non-empty).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: one line each for origin, size and base64 root, then the extensions.
    ///
    /// ```
    /// use reference_authority::audit_log::{Checkpoint, Hash};
    /// let c = Checkpoint { origin: "audit.example/log".into(), size: 0, root: Hash::empty_root(), extensions: vec![] };
    /// assert_eq!(c.to_text(), "audit.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
    /// assert_eq!(Checkpoint::parse(&c.to_text()).unwrap(), c);
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses checkpoint text (already taken out of its verified note).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("text must end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or(CheckpointError::Malformed("empty origin"))?;
        let size = lines
            .next()
            .ok_or(CheckpointError::Malformed("no tree size"))?;
        // Decimal ASCII without leading zeroes (tlog-checkpoint, Note text).
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(CheckpointError::Malformed("tree size is not a decimal"));
        }
        let size = size
            .parse()
            .map_err(|_| CheckpointError::Malformed("tree size out of range"))?;
        let root = lines
            .next()
            .and_then(Hash::from_base64)
            .ok_or(CheckpointError::Malformed(
                "root hash is not 32 bytes of base64",
            ))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("empty extension line"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Verifies a signed checkpoint note with the log's key and checks its origin.
    pub fn open(note: &str, key: &NoteVerifier, origin: &str) -> Result<Self, CheckpointError> {
        let text = open(note, std::slice::from_ref(key))?;
        let checkpoint = Self::parse(text)?;
        if checkpoint.origin != origin {
            return Err(CheckpointError::WrongOrigin);
        }
        Ok(checkpoint)
    }
}
