//! Where an MCP client keeps its tokens between runs, so that a restarted
//! agent reuses (and refreshes) them instead of asking the user to log in
//! again: the [`TokenStore`] trait, an in-memory store and an encrypted file
//! store.

mod error;
mod file;
mod key;
mod memory;
mod record;
mod sealed;

pub use error::TokenStoreError;
pub use file::FileTokenStore;
pub use key::StoreKey;
pub use memory::MemoryTokenStore;
pub use record::StoredToken;
pub use sealed::{open_sealed, seal};

/// Keeps tokens by key (the MCP server's URL).
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The token kept under `key`, if any.
    fn load(&self, key: &str) -> Result<Option<StoredToken>, TokenStoreError>;
    /// Keeps `token` under `key`, replacing what was there.
    fn save(&self, key: &str, token: &StoredToken) -> Result<(), TokenStoreError>;
    /// Forgets what is kept under `key`.
    fn remove(&self, key: &str) -> Result<(), TokenStoreError>;
}
