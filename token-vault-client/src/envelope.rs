//! Envelope encryption: each record gets a fresh AES-256-GCM data key; the data
//! key is wrapped (AES-256-GCM) by a master key. Both layers authenticate the
//! same associated data: tenant, user, connection, version, kind, scopes,
//! expiry, seal time and (format 2) status, so a row moved to another user or
//! connection, an edited scope list, seal time or status, or an older
//! ciphertext put under the current version number fails to decrypt.
//!
//! What it cannot see: a whole older row (ciphertext and clear columns
//! together) restored into the store still opens, because the store is the
//! only place that knows the current version.

use crate::credential::{Credential, CredentialKey, IssuedCredential};
use crate::error::VaultError;
use crate::keys::{KeyProvider, MasterKey};
use crate::payload::{self, Payload, wipe, wipe_in_place};
use crate::store::{RecordFormat, SealedRecord, Status};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroize;

/// The associated data of a stored record, in the layout of its format: the
/// label names the format, so a record cannot be read as another format.
pub fn record_aad(record: &SealedRecord) -> Vec<u8> {
    let key = &record.key;
    let mut out =
        Vec::with_capacity(128 + key.user.len() + key.connection.len() + key.tenant.len());
    out.extend_from_slice(match record.format {
        RecordFormat::V1 => b"token-vault-client/v1",
        RecordFormat::V2 => b"token-vault-client/v2",
    });
    for part in [&key.tenant, &key.user, &key.connection] {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(&record.version.to_be_bytes());
    out.extend_from_slice(record.kind.as_str().as_bytes());
    out.push(0);
    out.extend_from_slice(&(record.scopes.len() as u64).to_be_bytes());
    for s in &record.scopes {
        out.extend_from_slice(&(s.len() as u64).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    match record.expires_at {
        Some(e) => {
            out.push(1);
            out.extend_from_slice(&e.to_be_bytes());
        }
        None => out.push(0),
    }
    // Records sealed before seal times were kept have none; their associated
    // data is unchanged, so they still open.
    if let Some(t) = record.sealed_at {
        out.push(2);
        out.extend_from_slice(&t.to_be_bytes());
    }
    // Format 2 binds the status too (format 1 left it out, so a status edited
    // in the store went unnoticed). It is the last field.
    if record.format != RecordFormat::V1 {
        out.push(3);
        out.extend_from_slice(record.status.as_str().as_bytes());
    }
    out
}

fn random_nonce() -> Result<[u8; NONCE_LEN], VaultError> {
    let mut n = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut n).map_err(|_| VaultError::Crypto)?;
    Ok(n)
}

fn wrap_aad(aad: &[u8], master_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(aad.len() + master_id.len() + 8);
    out.extend_from_slice(b"dek\0");
    out.extend_from_slice(master_id.as_bytes());
    out.push(0);
    out.extend_from_slice(aad);
    out
}

/// Seals `credential` as version `version` of `key` under the active master
/// key, at time `sealed_at` (bound like the rest of the metadata), active.
pub fn seal(
    master: &MasterKey,
    key: &CredentialKey,
    version: u64,
    sealed_at: i64,
    credential: &Credential,
) -> Result<SealedRecord, VaultError> {
    seal_as(
        master,
        Sealing {
            key,
            version,
            sealed_at: Some(sealed_at),
            status: Status::Active,
            format: RecordFormat::CURRENT,
        },
        credential,
    )
}

/// The clear metadata of a record to seal that the credential does not give.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sealing<'a> {
    pub(crate) key: &'a CredentialKey,
    pub(crate) version: u64,
    pub(crate) sealed_at: Option<i64>,
    pub(crate) status: Status,
    pub(crate) format: RecordFormat,
}

/// Seals the credential of `record` again as the next version with `status`,
/// in the current format, under `active`. The seal time stays: a status
/// change or a format upgrade is not a new credential (rotation is not
/// postponed by it).
pub(crate) fn reseal(
    keys: &dyn KeyProvider,
    active: &MasterKey,
    record: &SealedRecord,
    status: Status,
) -> Result<SealedRecord, VaultError> {
    let credential = open(keys, record)?;
    seal_as(
        active,
        Sealing {
            key: &record.key,
            version: record.version + 1,
            sealed_at: record.sealed_at,
            status,
            format: RecordFormat::CURRENT,
        },
        &credential,
    )
}

/// Seals `credential` with the metadata of `how` under `master`.
pub(crate) fn seal_as(
    master: &MasterKey,
    how: Sealing<'_>,
    credential: &Credential,
) -> Result<SealedRecord, VaultError> {
    let mut record = SealedRecord {
        key: how.key.clone(),
        version: how.version,
        kind: credential.kind(),
        scopes: credential.scopes().to_vec(),
        expires_at: credential.expires_at(),
        sealed_at: how.sealed_at,
        master_key_id: master.id().to_owned(),
        wrapped_key: Vec::new(),
        nonce: Vec::new(),
        ciphertext: Vec::new(),
        status: how.status,
        format: how.format,
    };
    let aad = record_aad(&record);

    let mut dek = [0u8; 32];
    aws_lc_rs::rand::fill(&mut dek).map_err(|_| VaultError::Crypto)?;
    let wrapped = wrap(master, &dek, &aad);
    let data_key = UnboundKey::new(&AES_256_GCM, &dek).map(LessSafeKey::new);
    dek.zeroize();
    let wrapped = wrapped?;
    let data_key = data_key.map_err(|_| VaultError::Crypto)?;

    let nonce = random_nonce()?;
    let mut buf = payload::encode(credential);
    let sealed = data_key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&aad),
        &mut buf,
    );
    if sealed.is_err() {
        wipe(buf);
        return Err(VaultError::Crypto);
    }
    record.wrapped_key = wrapped;
    record.nonce = nonce.to_vec();
    record.ciphertext = buf;
    Ok(record)
}

fn wrap(master: &MasterKey, dek: &[u8; 32], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
    let nonce = random_nonce()?;
    let mut out = Vec::with_capacity(NONCE_LEN + 32 + 16);
    out.extend_from_slice(&nonce);
    let mut body = dek.to_vec();
    let r = master.key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(wrap_aad(aad, master.id())),
        &mut body,
    );
    if r.is_err() {
        body.zeroize();
        return Err(VaultError::Crypto);
    }
    out.extend_from_slice(&body);
    Ok(out)
}

pub(crate) fn unwrap_dek(
    master: &MasterKey,
    wrapped: &[u8],
    aad: &[u8],
) -> Result<LessSafeKey, VaultError> {
    let (nonce, body) = wrapped
        .split_at_checked(NONCE_LEN)
        .ok_or(VaultError::Integrity)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Integrity)?;
    let mut buf = [0u8; 48];
    if body.len() != buf.len() {
        return Err(VaultError::Integrity);
    }
    buf.copy_from_slice(body);
    let result = master
        .key
        .open_in_place(nonce, Aad::from(wrap_aad(aad, master.id())), &mut buf)
        .map_err(|_| VaultError::Integrity)
        .and_then(|dek| {
            UnboundKey::new(&AES_256_GCM, dek)
                .map(LessSafeKey::new)
                .map_err(|_| VaultError::Crypto)
        });
    buf.zeroize();
    result
}

/// Opens a record: unwraps its data key with the master key it names, then
/// decrypts and authenticates the credential.
pub fn open(keys: &dyn KeyProvider, record: &SealedRecord) -> Result<Credential, VaultError> {
    let master = keys.get(&record.master_key_id)?;
    open_with(&master, record)
}

/// [`open`] with the master key in hand.
pub fn open_with(master: &MasterKey, record: &SealedRecord) -> Result<Credential, VaultError> {
    if master.id() != record.master_key_id {
        return Err(VaultError::Integrity);
    }
    let aad = record_aad(record);
    let data_key = unwrap_dek(master, &record.wrapped_key, &aad)?;
    decrypt(&data_key, record, &aad, |p| p.credential())
}

/// Decrypts a record's payload with its already unwrapped data key, straight
/// into what a caller receives (the hot read).
pub(crate) fn open_payload(
    data_key: &LessSafeKey,
    record: &SealedRecord,
    aad: &[u8],
    scopes: &std::sync::Arc<[String]>,
) -> Result<IssuedCredential, VaultError> {
    decrypt(data_key, record, aad, |p| p.issue(scopes))
}

/// Largest payload decrypted in the reused per-thread buffer; bigger ones get
/// a buffer of their own, so a rare large record does not pin memory.
const SCRATCH_MAX: usize = 16 * 1024;

std::thread_local! {
    /// Per-thread decrypt buffer. It holds plaintext only between decrypt and
    /// parse, and is zeroized (memset behind a barrier) before the call
    /// returns, so between calls it holds zeros.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The one decrypt of a payload: the AEAD checks the ciphertext and the
/// associated data, [`Payload::parse`] reads the plaintext (of the record's
/// kind), `project` builds what the caller gets, and the plaintext buffer is
/// zeroized before this returns.
fn decrypt<T>(
    data_key: &LessSafeKey,
    record: &SealedRecord,
    aad: &[u8],
    project: impl FnOnce(Payload<'_>) -> Result<T, VaultError>,
) -> Result<T, VaultError> {
    let nonce =
        Nonce::try_assume_unique_for_key(&record.nonce).map_err(|_| VaultError::Integrity)?;
    let open = |buf: &mut Vec<u8>| {
        buf.extend_from_slice(&record.ciphertext);
        let out = match data_key.open_in_place(nonce, Aad::from(aad), buf) {
            Ok(plain) => Payload::parse(plain).and_then(|p| {
                if p.kind() == record.kind {
                    project(p)
                } else {
                    Err(VaultError::Integrity)
                }
            }),
            Err(_) => Err(VaultError::Integrity),
        };
        wipe_in_place(buf);
        out
    };
    if record.ciphertext.len() <= SCRATCH_MAX {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => open(&mut buf),
            Err(_) => open(&mut Vec::new()),
        })
    } else {
        open(&mut Vec::new())
    }
}

/// Re-wraps a record's data key under `to` (master-key rotation). The payload
/// is not decrypted; the version stays.
pub fn rewrap(
    from: &MasterKey,
    to: &MasterKey,
    record: &SealedRecord,
) -> Result<SealedRecord, VaultError> {
    let aad = record_aad(record);
    let (nonce, body) = record
        .wrapped_key
        .split_at_checked(NONCE_LEN)
        .ok_or(VaultError::Integrity)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Integrity)?;
    let mut buf = body.to_vec();
    let wrapped =
        match from
            .key
            .open_in_place(nonce, Aad::from(wrap_aad(&aad, from.id())), &mut buf)
        {
            Ok(dek) => match <&[u8; 32]>::try_from(&*dek) {
                Ok(dek) => wrap(to, dek, &aad),
                Err(_) => Err(VaultError::Integrity),
            },
            Err(_) => Err(VaultError::Integrity),
        };
    buf.zeroize();
    let mut out = record.clone();
    out.wrapped_key = wrapped?;
    out.master_key_id = to.id().to_owned();
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::credential::TokenSet;
    use crate::keys::StaticKeyProvider;
    use agent_auth::secret::SecretString;

    fn cred() -> Credential {
        Credential::OAuth(TokenSet {
            access_token: SecretString::new("access-PLAINTEXT"),
            refresh_token: Some(SecretString::new("refresh-PLAINTEXT")),
            expires_at: Some(100),
            scopes: vec!["a".into(), "b".into()],
            token_type: "Bearer".into(),
        })
    }

    #[test]
    fn tampering_swapping_and_scope_edits_fail() {
        let m = MasterKey::generate("m1").unwrap();
        let k = CredentialKey::new("t", "alice", "google");
        let r = seal(&m, &k, 1, 1_800_000_000, &cred()).unwrap();
        assert_eq!(open_with(&m, &r).unwrap(), cred());

        let mut bad = r.clone();
        bad.ciphertext[3] ^= 1;
        assert!(matches!(open_with(&m, &bad), Err(VaultError::Integrity)));
        let mut bad = r.clone();
        bad.key.user = "bob".into();
        assert!(matches!(open_with(&m, &bad), Err(VaultError::Integrity)));
        let mut bad = r.clone();
        bad.key.connection = "slack".into();
        assert!(open_with(&m, &bad).is_err());
        let mut bad = r.clone();
        bad.version = 2;
        assert!(open_with(&m, &bad).is_err());
        let mut bad = r.clone();
        bad.scopes.push("admin".into());
        assert!(open_with(&m, &bad).is_err());
        // A moved seal time (to postpone a rotation) or a dropped one fails too.
        let mut bad = r.clone();
        bad.sealed_at = Some(1_900_000_000);
        assert!(open_with(&m, &bad).is_err());
        let mut bad = r.clone();
        bad.sealed_at = None;
        assert!(open_with(&m, &bad).is_err());
        let mut bad = r.clone();
        bad.wrapped_key[20] ^= 1;
        assert!(open_with(&m, &bad).is_err());
        // A data key from another record does not open this one.
        let other = seal(&m, &k, 1, 1_800_000_000, &cred()).unwrap();
        let mut bad = r.clone();
        bad.wrapped_key = other.wrapped_key;
        assert!(open_with(&m, &bad).is_err());

        let m2 = MasterKey::generate("m2").unwrap();
        let moved = rewrap(&m, &m2, &r).unwrap();
        assert_eq!(open_with(&m2, &moved).unwrap(), cred());
        assert!(open_with(&m, &moved).is_err());
    }

    #[test]
    fn a_status_flipped_in_the_clear_fails_to_open() {
        let keys = StaticKeyProvider::new(MasterKey::generate("m1").unwrap());
        let m = keys.active().unwrap();
        let k = CredentialKey::new("t", "alice", "google");
        let r = seal(&m, &k, 1, 1_800_000_000, &cred()).unwrap();
        assert_eq!(r.format, RecordFormat::CURRENT);
        let mut bad = r.clone();
        bad.status = Status::ConsentRequired;
        assert!(matches!(open_with(&m, &bad), Err(VaultError::Integrity)));
        let marked = reseal(&keys, &m, &r, Status::ConsentRequired).unwrap();
        let mut bad = marked.clone();
        bad.status = Status::Active;
        assert!(matches!(open_with(&m, &bad), Err(VaultError::Integrity)));
        assert_eq!(open_with(&m, &marked).unwrap(), cred());
    }

    #[test]
    fn a_record_relabelled_as_the_previous_format_fails_to_open() {
        let m = MasterKey::generate("m1").unwrap();
        let k = CredentialKey::new("t", "alice", "google");
        let mut bad = seal(&m, &k, 1, 1_800_000_000, &cred()).unwrap();
        bad.format = RecordFormat::V1;
        assert!(matches!(open_with(&m, &bad), Err(VaultError::Integrity)));
    }

    #[test]
    fn previous_format_records_open_and_reseal_binds_their_status_and_keeps_the_seal_time() {
        let keys = StaticKeyProvider::new(MasterKey::generate("m1").unwrap());
        let m = keys.active().unwrap();
        let k = CredentialKey::new("t", "alice", "google");
        let legacy = seal_as(
            &m,
            Sealing {
                key: &k,
                version: 4,
                sealed_at: None,
                status: Status::Active,
                format: RecordFormat::V1,
            },
            &cred(),
        )
        .unwrap();
        assert_eq!(open_with(&m, &legacy).unwrap(), cred());
        // Format 1 does not bind the status: this is why records are resealed.
        let mut flipped = legacy.clone();
        flipped.status = Status::ConsentRequired;
        assert!(open_with(&m, &flipped).is_ok());
        let next = reseal(&keys, &m, &legacy, Status::Active).unwrap();
        assert_eq!(
            (next.format, next.version, next.sealed_at),
            (RecordFormat::CURRENT, 5, None)
        );
        assert_eq!(open_with(&m, &next).unwrap(), cred());
        let mut flipped = next;
        flipped.status = Status::ConsentRequired;
        assert!(matches!(
            open_with(&m, &flipped),
            Err(VaultError::Integrity)
        ));
    }
}
