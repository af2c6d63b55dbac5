//! Verification of agent certificates against the CA: path, validity,
//! revocation and the agent's SPIFFE ID.

use super::ca::hex;
use super::{AgentCa, CertError, spiffe_id};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::time::Duration;
use webpki::{
    BorrowedCertRevocationList, CertRevocationList, EndEntityCert, KeyUsage, RevocationCheckDepth,
    RevocationOptionsBuilder, UnknownStatusPolicy,
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
    /// the vault's time and not revoked, and returns its serial (hex).
    ///
    /// The path is validated by webpki against the CA certificate as trust
    /// anchor with the CA's current CRL, unknown status refused
    /// (RFC 5280 §6.1, §6.3); the only URI SAN must be the agent's SPIFFE ID
    /// (SPIFFE X.509-SVID §2).
    pub fn verify(&self, der: &[u8], agent: &str) -> Result<String, CertError> {
        let expected = spiffe_id(&self.trust_domain, agent)?;
        let now = u64::try_from(self.vault.now()).unwrap_or(0);
        let crl_der = self.crl()?;
        let crl: CertRevocationList<'_> = BorrowedCertRevocationList::from_der(&crl_der)
            .map_err(refused)?
            .into();
        let crls = [&crl];
        let revocation = RevocationOptionsBuilder::new(&crls)
            .map_err(|_| CertError::Refused("no CRL".into()))?
            .with_depth(RevocationCheckDepth::EndEntity)
            .with_status_policy(UnknownStatusPolicy::Deny)
            .build();
        let ca = CertificateDer::from(self.ca_der.as_slice());
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
}
