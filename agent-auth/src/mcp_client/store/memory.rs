//! A token store in memory: for tests, and for agents that must not write
//! tokens to disk.

use super::{StoredToken, TokenStore, TokenStoreError};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Tokens kept in memory for the life of the process.
///
/// ```
/// use agent_auth::mcp_client::{MemoryTokenStore, StoredToken, TokenStore};
/// use agent_auth::secret::Token;
/// let store = MemoryTokenStore::default();
/// let token = StoredToken::new(Token::new("at"), "https://as.example", "https://as.example/token", "cli");
/// store.save("https://mcp.example/mcp", &token).unwrap();
/// assert!(store.load("https://mcp.example/mcp").unwrap().is_some());
/// ```
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<String, StoredToken>>,
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &str) -> Result<Option<StoredToken>, TokenStoreError> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(tokens.get(key).cloned())
    }

    fn save(&self, key: &str, token: &StoredToken) -> Result<(), TokenStoreError> {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.insert(key.to_owned(), token.clone());
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<(), TokenStoreError> {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.remove(key);
        Ok(())
    }
}
