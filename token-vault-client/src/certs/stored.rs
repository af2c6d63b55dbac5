//! An agent's current certificate, sealed in the vault under
//! `<trust-domain> / <agent> / x509-agent:<trust-domain>`: a credential with
//! the certificate's expiry, so that the rotation pass renews it (by seal time,
//! the schedule of the CA's connection) and removes it once expired.

use super::{AgentCertificate, AgentKey, CertError, spiffe_id};
use crate::credential::{Credential, CredentialKey};
use agent_auth::secret::SecretString;
use zeroize::Zeroizing;

/// The first word of the stored text: its layout.
const LAYOUT: &str = "x509-v1";

/// The connection of `trust_domain`'s agent certificates.
pub(super) fn connection(trust_domain: &str) -> String {
    format!("x509-agent:{trust_domain}")
}

/// Where `agent`'s current certificate is sealed.
pub(super) fn key(trust_domain: &str, agent: &str) -> CredentialKey {
    CredentialKey::new(trust_domain, agent, connection(trust_domain))
}

/// The credential that holds `cert` and its key (the key only ever sealed).
pub(super) fn encode(cert: &AgentCertificate) -> Credential {
    let text = Zeroizing::new(format!(
        "{LAYOUT} {} {} {} {} {}",
        cert.not_before,
        cert.not_after,
        cert.serial,
        base64_simd::STANDARD.encode_to_string(&cert.der),
        base64_simd::STANDARD.encode_to_string(cert.key.pkcs8_der()),
    ));
    Credential::PersonalAccessToken {
        token: SecretString::new(text.as_str()),
        scopes: Vec::new(),
        expires_at: Some(cert.not_after),
    }
}

/// The certificate of `agent` in `trust_domain` that `credential` holds.
pub(super) fn decode(
    trust_domain: &str,
    agent: &str,
    credential: &Credential,
) -> Result<AgentCertificate, CertError> {
    let corrupt = || CertError::Generation("the stored agent certificate is corrupt".into());
    let Credential::PersonalAccessToken { token, .. } = credential else {
        return Err(corrupt());
    };
    let mut words = token.expose_secret().split(' ');
    let mut next = || words.next().ok_or_else(corrupt);
    if next()? != LAYOUT {
        return Err(corrupt());
    }
    let not_before: i64 = next()?.parse().map_err(|_| corrupt())?;
    let not_after: i64 = next()?.parse().map_err(|_| corrupt())?;
    let serial = next()?.to_owned();
    let der = base64_simd::STANDARD
        .decode_to_vec(next()?)
        .map_err(|_| corrupt())?;
    let key = base64_simd::STANDARD
        .decode_to_vec(next()?)
        .map_err(|_| corrupt())?;
    Ok(AgentCertificate {
        agent: agent.to_owned(),
        spiffe_id: spiffe_id(trust_domain, agent)?,
        serial,
        not_before,
        not_after,
        der,
        key: AgentKey::new(key),
    })
}
