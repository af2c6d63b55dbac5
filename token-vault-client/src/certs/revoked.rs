//! The CA's revocation list, sealed in the vault next to its key (the AEAD
//! binds it to its name, so it cannot be edited in the store), so that a
//! reopened CA still refuses what was revoked.

use super::CertError;
use super::ca::{CA_USER, at, hex, unhex};
use crate::Vault;
use crate::credential::{Credential, CredentialKey};
use crate::envelope;
use agent_auth::secret::SecretString;
use rcgen::{RevokedCertParams, SerialNumber};

/// The connection under which the list is sealed.
const REVOKED_CONNECTION: &str = "x509-revoked";

fn key(trust_domain: &str) -> CredentialKey {
    CredentialKey::new(trust_domain, CA_USER, REVOKED_CONNECTION)
}

/// The revoked serials of `trust_domain`'s CA (none if nothing was revoked).
pub(super) fn load(vault: &Vault, trust_domain: &str) -> Result<Vec<RevokedCertParams>, CertError> {
    let Some(record) = vault.store().get(&key(trust_domain))? else {
        return Ok(Vec::new());
    };
    let Credential::ApiKey { key: list, .. } = envelope::open(&**vault.keys(), &record)? else {
        return Err(CertError::Generation(
            "the revocation list is not a list".into(),
        ));
    };
    let corrupt = || CertError::Generation("the revocation list is corrupt".into());
    list.expose_secret()
        .lines()
        .map(|line| {
            let (serial, time) = line.split_once(' ').ok_or_else(corrupt)?;
            let time: i64 = time.parse().map_err(|_| corrupt())?;
            Ok(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&unhex(serial)?),
                revocation_time: at(time)?,
                reason_code: None,
                invalidity_date: None,
            })
        })
        .collect()
}

/// Stores `list` as the revoked serials of `trust_domain`'s CA (durable when
/// it returns).
pub(super) fn save(
    vault: &Vault,
    trust_domain: &str,
    list: &[RevokedCertParams],
) -> Result<(), CertError> {
    let text: Vec<String> = list
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                hex(r.serial_number.as_ref()),
                r.revocation_time.unix_timestamp()
            )
        })
        .collect();
    let sealed = Credential::ApiKey {
        key: SecretString::new(text.join("\n")),
        scopes: Vec::new(),
    };
    vault.put(&key(trust_domain), &sealed)?;
    Ok(())
}
