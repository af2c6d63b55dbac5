//! Verification of agent certificates against the CA: path, validity,
//! revocation and the agent's SPIFFE ID.

use super::ca::hex;
use super::{AgentCa, CertError, spiffe_id};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::time::Duration;
use webpki::{
    BorrowedCertRevocationList, CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};

fn refused(e: webpki::Error) -> CertError {
    match e {
        webpki::Error::CertRevoked => CertError::Revoked,
        webpki::Error::CertExpired { .. } => CertError::Expired,
        webpki::Error::CertNotValidYet { .. } => CertError::NotYetValid,
        other => CertError::Refused(format!("{other:?}")),
    }
}

impl AgentCa {
    /// Checks that `der` is a certificate of this CA for `agent`, valid at
    /// the vault's time and not revoked, and returns its serial (hex):
    /// [`verify_with_crl`] with this CA's current CRL.
    pub fn verify(&self, der: &[u8], agent: &str) -> Result<String, CertError> {
        let crl = self.crl()?;
        verify_with_crl(
            &self.ca_der,
            &crl,
            &self.trust_domain,
            der,
            agent,
            self.vault.now(),
        )
    }
}

/// Checks, as a relying party that holds the CA certificate `ca_der` and a
/// CRL it fetched (`crl_der`, from the certificates' distribution point),
/// that `der` is a certificate for `agent` of `trust_domain`, valid at `now`
/// (seconds since the epoch) and not revoked, and returns its serial (hex).
///
/// The path is validated by webpki against the CA certificate as trust
/// anchor with the CRL, unknown status refused (RFC 5280 §6.1, §6.3): a CRL
/// not signed by the CA or past its nextUpdate is refused (RFC 5280
/// §6.3.3 (a), (f)), and one whose issuing distribution point does not cover
/// the certificate's distribution point leaves the status unknown, so the
/// certificate is refused (RFC 5280 §5.2.5). The only URI SAN must be the
/// agent's SPIFFE ID (SPIFFE X.509-SVID §2).
pub fn verify_with_crl(
    ca_der: &[u8],
    crl_der: &[u8],
    trust_domain: &str,
    der: &[u8],
    agent: &str,
    now: i64,
) -> Result<String, CertError> {
    let expected = spiffe_id(trust_domain, agent)?;
    let now = u64::try_from(now).unwrap_or(0);
    let crl: CertRevocationList<'_> = BorrowedCertRevocationList::from_der(crl_der)
        .map_err(refused)?
        .into();
    let crls = [&crl];
    let revocation = RevocationOptionsBuilder::new(&crls)
        .map_err(|_| CertError::Refused("no CRL".into()))?
        .with_depth(RevocationCheckDepth::EndEntity)
        .with_status_policy(UnknownStatusPolicy::Deny)
        .with_expiration_policy(ExpirationPolicy::Enforce)
        .build();
    let ca = CertificateDer::from(ca_der);
    let anchor = webpki::anchor_from_trusted_cert(&ca).map_err(refused)?;
    let cert = CertificateDer::from(der);
    let end_entity = EndEntityCert::try_from(&cert).map_err(refused)?;
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &[],
            UnixTime::since_unix_epoch(Duration::from_secs(now)),
            KeyUsage::client_auth(),
            Some(revocation),
            None,
        )
        .map_err(refused)?;
    let mut uris = end_entity.valid_uri_names();
    match (uris.next(), uris.next()) {
        (Some(uri), None) if uri == expected => Ok(hex(end_entity.serial())),
        _ => Err(CertError::WrongAgent),
    }
}
