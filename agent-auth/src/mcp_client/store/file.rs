//! A token store in one encrypted file (AES-256-GCM, see [`seal`]): written
//! atomically (a new file with mode 0600 in the same folder, synced, then
//! renamed over the old one), refused when other users can read it.
//!
//! [`seal`]: super::seal

use super::sealed::{open_sealed, seal_tokens};
use super::{StoreKey, StoredToken, TokenStore, TokenStoreError};
use crate::jose::base64url;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Tokens kept in an encrypted file, shared by the runs of one agent.
///
/// ```
/// use agent_auth::mcp_client::{FileTokenStore, StoreKey, StoredToken, TokenStore};
/// use agent_auth::secret::Token;
/// let dir = tempfile::tempdir().unwrap();
/// let key = StoreKey::generate().unwrap();
/// let store = FileTokenStore::new(dir.path().join("tokens"), key.clone());
/// let token = StoredToken::new(Token::new("at"), "https://as.example", "https://as.example/token", "cli");
/// store.save("https://mcp.example/mcp", &token).unwrap();
/// // A later run, with the same file and key:
/// let again = FileTokenStore::new(dir.path().join("tokens"), key);
/// assert_eq!(again.load("https://mcp.example/mcp").unwrap(), Some(token));
/// ```
#[derive(Debug)]
pub struct FileTokenStore {
    path: PathBuf,
    key: StoreKey,
    /// Serializes read-modify-write cycles within the process.
    lock: Mutex<()>,
}

impl FileTokenStore {
    /// A store in the file at `path` (created at the first save), sealed
    /// with `key`.
    pub fn new(path: impl Into<PathBuf>, key: StoreKey) -> Self {
        Self {
            path: path.into(),
            key,
            lock: Mutex::new(()),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_all(&self) -> Result<BTreeMap<String, StoredToken>, TokenStoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(e.into()),
        };
        check_private(&self.path)?;
        open_sealed(&self.key, &bytes)
    }

    fn write_all(&self, tokens: &BTreeMap<String, StoredToken>) -> Result<(), TokenStoreError> {
        let sealed = seal_tokens(&self.key, tokens)?;
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = self
            .path
            .file_name()
            .ok_or_else(|| TokenStoreError::Io("the store path names no file".into()))?;
        let mut suffix = [0u8; 8];
        aws_lc_rs::rand::fill(&mut suffix)
            .map_err(|_| TokenStoreError::Io("no randomness".into()))?;
        let temporary = dir.join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            base64url::encode(suffix)
        ));
        let written = (|| {
            let mut file = private_new_file(&temporary)?;
            file.write_all(&sealed)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &self.path)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(e.into());
        }
        Ok(())
    }

    fn update(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, StoredToken>),
    ) -> Result<(), TokenStoreError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut tokens = self.read_all()?;
        change(&mut tokens);
        self.write_all(&tokens)
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self, key: &str) -> Result<Option<StoredToken>, TokenStoreError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(self.read_all()?.remove(key))
    }

    fn save(&self, key: &str, token: &StoredToken) -> Result<(), TokenStoreError> {
        self.update(|tokens| {
            tokens.insert(key.to_owned(), token.clone());
        })
    }

    fn remove(&self, key: &str) -> Result<(), TokenStoreError> {
        self.update(|tokens| {
            tokens.remove(key);
        })
    }
}

/// A new file only its owner can read and write.
fn private_new_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Refuses a file that group or others may read or write.
fn check_private(path: &Path) -> Result<(), TokenStoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path)?.permissions().mode() & 0o077 != 0 {
            return Err(TokenStoreError::TooOpen);
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Token;

    fn token() -> StoredToken {
        StoredToken::new(Token::new("at"), "https://as", "https://as/token", "cli")
    }

    #[test]
    #[cfg(unix)]
    fn the_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("t"), StoreKey::generate().unwrap());
        store.save("k", &token()).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    #[cfg(unix)]
    fn a_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("t"), StoreKey::generate().unwrap());
        store.save("k", &token()).unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(store.load("k"), Err(TokenStoreError::TooOpen));
    }

    #[test]
    fn a_corrupted_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("t"), StoreKey::generate().unwrap());
        store.save("k", &token()).unwrap();
        let other = FileTokenStore::new(store.path(), StoreKey::generate().unwrap());
        let before = std::fs::read(store.path()).unwrap();
        assert_eq!(
            other.save("j", &token()),
            Err(TokenStoreError::WrongKeyOrAltered)
        );
        assert_eq!(std::fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn remove_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("t"), StoreKey::generate().unwrap());
        store.save("k", &token()).unwrap();
        store.remove("k").unwrap();
        assert_eq!(store.load("k"), Ok(None));
    }
}
