//! The token store file format: a magic header, a fresh 96-bit nonce and the
//! AES-256-GCM sealed JSON of the tokens by key (the header is authenticated
//! as associated data, so a file of another version cannot be passed off).

use super::record::Record;
use super::{StoreKey, StoredToken, TokenStoreError};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The first bytes of every token store file (format version 1).
const MAGIC: &[u8; 8] = b"AATSTOR1";

fn cipher(key: &StoreKey) -> Result<LessSafeKey, TokenStoreError> {
    UnboundKey::new(&AES_256_GCM, key.bytes())
        .map(LessSafeKey::new)
        .map_err(|_| TokenStoreError::InvalidKey("rejected by AES-256-GCM"))
}

/// Seals `plaintext` under `key`: `MAGIC || nonce || ciphertext || tag`.
///
/// ```
/// use agent_auth::mcp_client::{StoreKey, open_sealed, seal};
/// let key = StoreKey::generate().unwrap();
/// let file = seal(&key, br#"{"tokens":{}}"#).unwrap();
/// assert!(open_sealed(&key, &file).unwrap().is_empty());
/// ```
pub fn seal(key: &StoreKey, plaintext: &[u8]) -> Result<Vec<u8>, TokenStoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| TokenStoreError::Io("no randomness".into()))?;
    let mut body = plaintext.to_vec();
    cipher(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(MAGIC),
            &mut body,
        )
        .map_err(|_| TokenStoreError::Io("sealing failed".into()))?;
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Seals the tokens of a store.
pub(super) fn seal_tokens(
    key: &StoreKey,
    tokens: &BTreeMap<String, StoredToken>,
) -> Result<Vec<u8>, TokenStoreError> {
    let records: BTreeMap<&str, Record> = tokens
        .iter()
        .map(|(k, t)| (k.as_str(), Record::from(t)))
        .collect();
    let json = Zeroizing::new(
        serde_json::to_vec(&serde_json::json!({ "tokens": records }))
            .map_err(|_| TokenStoreError::Corrupted)?,
    );
    seal(key, &json)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    tokens: BTreeMap<String, Record>,
}

/// Opens a token store file: [`TokenStoreError::Foreign`] when it does not
/// start with the store's header, [`TokenStoreError::WrongKeyOrAltered`] when
/// authentication fails, [`TokenStoreError::Corrupted`] when it is truncated
/// or its content is not a store's.
pub fn open_sealed(
    key: &StoreKey,
    bytes: &[u8],
) -> Result<BTreeMap<String, StoredToken>, TokenStoreError> {
    let rest = match bytes.strip_prefix(MAGIC.as_slice()) {
        Some(rest) => rest,
        None if MAGIC.starts_with(bytes) => return Err(TokenStoreError::Corrupted),
        None => return Err(TokenStoreError::Foreign),
    };
    let (nonce, sealed) = rest
        .split_at_checked(NONCE_LEN)
        .ok_or(TokenStoreError::Corrupted)?;
    if sealed.len() < AES_256_GCM.tag_len() {
        return Err(TokenStoreError::Corrupted);
    }
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| TokenStoreError::Corrupted)?;
    let mut buffer = Zeroizing::new(sealed.to_vec());
    let plaintext = cipher(key)?
        .open_in_place(nonce, Aad::from(MAGIC), &mut buffer)
        .map_err(|_| TokenStoreError::WrongKeyOrAltered)?;
    let contents: Contents =
        serde_json::from_slice(plaintext).map_err(|_| TokenStoreError::Corrupted)?;
    Ok(contents
        .tokens
        .iter()
        .map(|(k, r)| (k.clone(), StoredToken::from(r)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Token;

    fn one() -> BTreeMap<String, StoredToken> {
        let mut t = StoredToken::new(Token::new("at-1"), "https://as", "https://as/token", "cli");
        t.refresh_token = Some(Token::new("rt-1"));
        BTreeMap::from([("https://mcp/mcp".to_owned(), t)])
    }

    #[test]
    fn round_trips() {
        let key = StoreKey::generate().unwrap();
        let file = seal_tokens(&key, &one()).unwrap();
        let back = open_sealed(&key, &file).unwrap();
        let t = &back["https://mcp/mcp"];
        assert_eq!(t.refresh_token.as_ref().unwrap().expose_secret(), "rt-1");
        assert!(
            !file.windows(4).any(|w| w == b"rt-1"),
            "the file is encrypted"
        );
    }

    #[test]
    fn another_key_is_refused() {
        let file = seal_tokens(&StoreKey::generate().unwrap(), &one()).unwrap();
        let other = StoreKey::generate().unwrap();
        assert_eq!(
            open_sealed(&other, &file),
            Err(TokenStoreError::WrongKeyOrAltered)
        );
    }

    #[test]
    fn a_flipped_bit_is_refused() {
        let key = StoreKey::generate().unwrap();
        let mut file = seal_tokens(&key, &one()).unwrap();
        let last = file.len() - 1;
        file[last] ^= 1;
        assert_eq!(
            open_sealed(&key, &file),
            Err(TokenStoreError::WrongKeyOrAltered)
        );
    }

    #[test]
    fn a_foreign_file_is_refused() {
        let key = StoreKey::generate().unwrap();
        assert_eq!(
            open_sealed(&key, b"{\"tokens\":{}}"),
            Err(TokenStoreError::Foreign)
        );
    }

    #[test]
    fn a_truncated_file_is_corrupted() {
        let key = StoreKey::generate().unwrap();
        let file = seal_tokens(&key, &one()).unwrap();
        for len in [0, 4, 8, 15, 8 + NONCE_LEN + 3] {
            assert_eq!(
                open_sealed(&key, &file[..len]),
                Err(TokenStoreError::Corrupted),
                "{len}"
            );
        }
    }

    #[test]
    fn sealed_garbage_is_corrupted() {
        let key = StoreKey::generate().unwrap();
        let file = seal(&key, b"not json").unwrap();
        assert_eq!(open_sealed(&key, &file), Err(TokenStoreError::Corrupted));
    }
}
