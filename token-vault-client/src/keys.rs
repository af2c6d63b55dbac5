//! Master keys: they wrap the per-record data keys. A [`KeyProvider`] names the
//! active key (for new writes) and finds older keys by id (for reads).

use crate::error::VaultError;
use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use zeroize::Zeroize;

/// One AES-256 master key with its id.
pub struct MasterKey {
    id: String,
    pub(crate) key: LessSafeKey,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({}, [redacted])", self.id)
    }
}

impl MasterKey {
    /// A key from 32 bytes.
    pub fn new(id: impl Into<String>, bytes: &[u8]) -> Result<Self, VaultError> {
        let id = id.into();
        if id.is_empty() || id.contains([' ', ',', ':', '\n']) {
            return Err(VaultError::Keys(
                "key ids are non-empty, without spaces, commas or colons".into(),
            ));
        }
        if bytes.len() != 32 {
            return Err(VaultError::Keys(format!(
                "master key `{id}` is not 32 bytes"
            )));
        }
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| VaultError::Crypto)?;
        Ok(Self {
            id,
            key: LessSafeKey::new(key),
        })
    }

    /// A fresh random key.
    pub fn generate(id: impl Into<String>) -> Result<Self, VaultError> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| VaultError::Crypto)?;
        let key = Self::new(id, &bytes);
        bytes.zeroize();
        key
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Where master keys come from.
pub trait KeyProvider: Send + Sync + std::fmt::Debug {
    /// The key new writes use.
    fn active(&self) -> Result<Arc<MasterKey>, VaultError>;
    /// A key by id (the active one or an older one that still decrypts).
    fn get(&self, id: &str) -> Result<Arc<MasterKey>, VaultError>;
    /// Changes whenever the set of keys changes (rotation, retirement,
    /// reload). The vault drops data keys it cached under an older
    /// generation, so a retired master key stops opening records at once.
    /// Providers whose keys never change keep the default.
    fn generation(&self) -> u64 {
        0
    }
}

#[derive(Debug, Default)]
struct KeyRing {
    active: Option<String>,
    keys: HashMap<String, Arc<MasterKey>>,
}

impl KeyRing {
    fn active(&self) -> Result<Arc<MasterKey>, VaultError> {
        self.active
            .as_ref()
            .and_then(|id| self.keys.get(id))
            .cloned()
            .ok_or_else(|| VaultError::Keys("no active master key".into()))
    }
    fn get(&self, id: &str) -> Result<Arc<MasterKey>, VaultError> {
        self.keys
            .get(id)
            .cloned()
            .ok_or_else(|| VaultError::Keys(format!("unknown master key `{id}`")))
    }
    /// Parses `id:base64` entries; the first is active.
    fn parse(entries: impl Iterator<Item = String>) -> Result<Self, VaultError> {
        let mut ring = Self::default();
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            let (id, b64) = entry
                .split_once(':')
                .ok_or_else(|| VaultError::Keys("a key entry is `id:base64`".into()))?;
            let mut bytes = base64_simd::STANDARD
                .decode_to_vec(b64.trim())
                .map_err(|_| VaultError::Keys(format!("master key `{id}` is not base64")))?;
            let key = MasterKey::new(id.trim(), &bytes);
            bytes.zeroize();
            let key = key?;
            if ring.active.is_none() {
                ring.active = Some(key.id().to_owned());
            }
            ring.keys.insert(key.id().to_owned(), Arc::new(key));
        }
        if ring.active.is_none() {
            return Err(VaultError::Keys("no master key".into()));
        }
        Ok(ring)
    }
}

/// Keys held in memory, for tests and for embedding applications that fetch
/// keys from a KMS themselves.
#[derive(Debug, Default)]
pub struct StaticKeyProvider {
    ring: RwLock<KeyRing>,
    generation: AtomicU64,
}

impl StaticKeyProvider {
    /// A provider with one key, active.
    pub fn new(key: MasterKey) -> Self {
        let p = Self::default();
        p.rotate_to(key);
        p
    }

    /// Adds `key` and makes it the active one (older keys stay for reading).
    pub fn rotate_to(&self, key: MasterKey) {
        let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
        ring.active = Some(key.id().to_owned());
        ring.keys.insert(key.id().to_owned(), Arc::new(key));
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Forgets an old key (after a re-encrypt job moved every record off it).
    pub fn retire(&self, id: &str) {
        let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
        if ring.active.as_deref() != Some(id) {
            ring.keys.remove(id);
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

impl KeyProvider for StaticKeyProvider {
    fn active(&self) -> Result<Arc<MasterKey>, VaultError> {
        self.ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .active()
    }
    fn get(&self, id: &str) -> Result<Arc<MasterKey>, VaultError> {
        self.ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
    }
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

/// Keys from an environment variable: `id:base64,id:base64,...`, the first one
/// active (default variable: [`EnvKeyProvider::DEFAULT_VAR`]).
#[derive(Debug)]
pub struct EnvKeyProvider {
    ring: KeyRing,
}

impl EnvKeyProvider {
    /// The default variable name.
    pub const DEFAULT_VAR: &'static str = "TOKEN_VAULT_MASTER_KEYS";

    /// Reads the keys from `var`.
    pub fn from_var(var: &str) -> Result<Self, VaultError> {
        let mut value = std::env::var(var)
            .map_err(|_| VaultError::Keys(format!("environment variable {var} is not set")))?;
        let ring = Self::from_value(&value);
        value.zeroize();
        ring
    }

    /// Parses a value in the variable's format (`id:base64,...`).
    pub fn from_value(value: &str) -> Result<Self, VaultError> {
        Ok(Self {
            ring: KeyRing::parse(value.split(',').map(str::to_owned))?,
        })
    }
}

impl KeyProvider for EnvKeyProvider {
    fn active(&self) -> Result<Arc<MasterKey>, VaultError> {
        self.ring.active()
    }
    fn get(&self, id: &str) -> Result<Arc<MasterKey>, VaultError> {
        self.ring.get(id)
    }
}

/// Keys from a file, one `id:base64` per line, the first one active. On Unix
/// the file must not be readable by group or others. [`reload`](Self::reload)
/// picks up a rotation.
#[derive(Debug)]
pub struct FileKeyProvider {
    path: std::path::PathBuf,
    ring: RwLock<KeyRing>,
    generation: AtomicU64,
}

impl FileKeyProvider {
    /// Reads the key file.
    pub fn open(path: impl Into<std::path::PathBuf>) -> Result<Self, VaultError> {
        let path = path.into();
        let ring = Self::load(&path)?;
        Ok(Self {
            path,
            ring: RwLock::new(ring),
            generation: AtomicU64::new(0),
        })
    }

    /// Writes a key file with `keys` (the first active), mode 0600.
    pub fn write(path: &std::path::Path, keys: &[(&str, [u8; 32])]) -> Result<(), VaultError> {
        let mut text = String::new();
        for (id, bytes) in keys {
            text.push_str(id);
            text.push(':');
            text.push_str(&base64_simd::STANDARD.encode_to_string(bytes));
            text.push('\n');
        }
        let result = write_private(path, text.as_bytes());
        text.zeroize();
        result.map_err(|e| VaultError::Keys(format!("cannot write key file: {e}")))
    }

    /// Reads the file again.
    pub fn reload(&self) -> Result<(), VaultError> {
        let ring = Self::load(&self.path)?;
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = ring;
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn load(path: &std::path::Path) -> Result<KeyRing, VaultError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = std::fs::metadata(path)
                .map_err(|e| VaultError::Keys(format!("cannot read key file: {e}")))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(VaultError::Keys(
                    "key file is readable by group or others (chmod 600)".into(),
                ));
            }
        }
        let mut text = std::fs::read_to_string(path)
            .map_err(|e| VaultError::Keys(format!("cannot read key file: {e}")))?;
        let ring = KeyRing::parse(text.lines().map(str::to_owned));
        text.zeroize();
        ring
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

impl KeyProvider for FileKeyProvider {
    fn active(&self) -> Result<Arc<MasterKey>, VaultError> {
        self.ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .active()
    }
    fn get(&self, id: &str) -> Result<Arc<MasterKey>, VaultError> {
        self.ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
    }
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_and_env_providers_read_keys_first_active() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        FileKeyProvider::write(&path, &[("k2", [2u8; 32]), ("k1", [1u8; 32])]).unwrap();
        let p = FileKeyProvider::open(&path).unwrap();
        assert_eq!(p.active().unwrap().id(), "k2");
        assert!(p.get("k1").is_ok());
        assert!(p.get("k3").is_err());
        assert!(!format!("{:?}", p.active().unwrap()).contains("AgIC"));

        let b64 = base64_simd::STANDARD.encode_to_string([7u8; 32]);
        let p = EnvKeyProvider::from_value(&format!("a:{b64},b:{b64}")).unwrap();
        assert_eq!(p.active().unwrap().id(), "a");
        assert!(p.get("b").is_ok());
        assert!(EnvKeyProvider::from_var("TOKEN_VAULT_TEST_UNSET_VAR").is_err());
        assert!(EnvKeyProvider::from_value("a:notbase64!").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn world_readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        FileKeyProvider::write(&path, &[("k", [3u8; 32])]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(FileKeyProvider::open(&path).is_err());
    }
}
