//! The agent CA: its key sealed in the vault, issue, renewal, revocation and
//! the CRL it signs.

use super::{AgentCertificate, AgentKey, CertError, CertPolicy, revoked, spiffe_id, stored};
use crate::Vault;
use crate::credential::{Credential, CredentialKey};
use crate::envelope;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::SecretString;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CrlIssuingDistributionPoint, CrlScope, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, RevokedCertParams,
    SanType, SerialNumber,
};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// The user and connection under which a trust domain's CA key is sealed.
pub(super) const CA_USER: &str = "agent-ca";
const CA_CONNECTION: &str = "x509-ca";
/// Validity of the CA certificate itself: ten years.
const CA_LIFETIME: i64 = 10 * 365 * 86_400;
/// Bytes of a certificate serial (RFC 5280 §4.1.2.2: positive, unique, at
/// most 20 octets; random, so that serials are unpredictable).
const SERIAL_LEN: usize = 16;

/// A certificate authority for the agents of one trust domain.
pub struct AgentCa {
    pub(super) vault: Vault,
    pub(super) trust_domain: String,
    pub(super) policy: CertPolicy,
    crl_url: Option<String>,
    issuer: Issuer<'static, KeyPair>,
    pub(super) ca_der: Vec<u8>,
    revoked: Mutex<Vec<RevokedCertParams>>,
    crl_number: AtomicU64,
}

impl std::fmt::Debug for AgentCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentCa")
            .field("trust_domain", &self.trust_domain)
            .field("policy", &self.policy)
            .field("crl_url", &self.crl_url)
            .finish_non_exhaustive()
    }
}

fn ca_key(trust_domain: &str) -> CredentialKey {
    CredentialKey::new(trust_domain, CA_USER, CA_CONNECTION)
}

pub(super) fn at(unix: i64) -> Result<OffsetDateTime, CertError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| CertError::Generation("time out of range".into()))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

/// A fresh random serial, positive and of fixed length.
fn random_serial() -> Result<[u8; SERIAL_LEN], CertError> {
    let mut bytes = [0u8; SERIAL_LEN];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| CertError::Generation("no randomness".into()))?;
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x7f) | 0x40;
    }
    Ok(bytes)
}

/// Lowercase hex of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a lowercase or uppercase hex serial.
pub(super) fn unhex(serial: &str) -> Result<Vec<u8>, CertError> {
    let bad = || CertError::Refused("a serial is 2 to 40 hex digits".into());
    if !serial.len().is_multiple_of(2) || !(2..=40).contains(&serial.len()) {
        return Err(bad());
    }
    (0..serial.len())
        .step_by(2)
        .map(|i| {
            serial
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

impl AgentCa {
    /// A new CA for `trust_domain`: its P-256 key is generated and sealed in
    /// `vault` (a new version replaces an earlier CA of the domain).
    pub fn create(
        vault: &Vault,
        trust_domain: &str,
        policy: CertPolicy,
    ) -> Result<Self, CertError> {
        spiffe_id(trust_domain, CA_USER)?;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let encoded = Zeroizing::new(base64_simd::STANDARD.encode_to_string(key.serialize_der()));
        let sealed = Credential::ApiKey {
            key: SecretString::new(encoded.as_str()),
            scopes: Vec::new(),
        };
        vault.put(&ca_key(trust_domain), &sealed)?;
        Self::with_key(vault, trust_domain, policy, key)
    }

    /// The CA of `trust_domain` whose key `vault` holds. Certificates issued
    /// before keep verifying: the CA certificate is rebuilt with the same
    /// name and key.
    pub fn open(vault: &Vault, trust_domain: &str, policy: CertPolicy) -> Result<Self, CertError> {
        spiffe_id(trust_domain, CA_USER)?;
        let record = vault
            .store()
            .get(&ca_key(trust_domain))?
            .ok_or(CertError::NoCa)?;
        let Credential::ApiKey { key, .. } = envelope::open(&**vault.keys(), &record)? else {
            return Err(CertError::NoCa);
        };
        let der = Zeroizing::new(
            base64_simd::STANDARD
                .decode_to_vec(key.expose_secret())
                .map_err(|_| CertError::Generation("the stored CA key is not base64".into()))?,
        );
        let key = KeyPair::try_from(der.as_slice())?;
        Self::with_key(vault, trust_domain, policy, key)
    }

    fn with_key(
        vault: &Vault,
        trust_domain: &str,
        policy: CertPolicy,
        key: KeyPair,
    ) -> Result<Self, CertError> {
        let now = vault.now();
        let mut params = CertificateParams::default();
        params.distinguished_name = name(&format!("agent CA {trust_domain}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = at(now)?;
        params.not_after = at(now.saturating_add(CA_LIFETIME))?;
        let ca_der = params.self_signed(&key)?.der().to_vec();
        Ok(Self {
            vault: vault.clone(),
            trust_domain: trust_domain.to_owned(),
            policy,
            crl_url: None,
            issuer: Issuer::new(params, key),
            ca_der,
            revoked: Mutex::new(revoked::load(vault, trust_domain)?),
            crl_number: AtomicU64::new(0),
        })
    }

    /// The CA certificate (DER): the trust anchor of the agents' peers.
    pub fn certificate_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// Names `url` as where this CA's CRL is served (an `http` or `https`
    /// URL): certificates issued from now on carry it as their CRL
    /// distribution point (RFC 5280 §4.2.1.13), and the CRL carries it as its
    /// issuing distribution point, scoped to end-entity certificates
    /// (RFC 5280 §5.2.5), so a relying party matches the one to the other.
    /// RFC 5280 §4.2.1.13: an HTTP URI MUST point to a single DER encoded CRL,
    /// which is what the authority's CRL route serves.
    pub fn crl_distribution_point(mut self, url: &str) -> Result<Self, CertError> {
        let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
        if !scheme_ok || url.len() > 2048 || !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CertError::Refused(
                "a CRL distribution point is an http or https URL".into(),
            ));
        }
        self.crl_url = Some(url.to_owned());
        Ok(self)
    }

    /// The URL of the CRL, if one was named.
    pub fn crl_url(&self) -> Option<&str> {
        self.crl_url.as_deref()
    }

    /// The trust domain.
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }

    /// A certificate for `agent`, valid from now for the policy's lifetime,
    /// with `spiffe://<trust-domain>/agent/<agent>` as its only SAN
    /// (SPIFFE X.509-SVID §2, §4.3: one URI SAN, digitalSignature, not a CA).
    ///
    /// The certificate and its key are sealed in the vault as the agent's
    /// current certificate (see [`current`](Self::current)), which the
    /// rotation pass renews once [`schedule_renewal`](Self::schedule_renewal)
    /// is on.
    pub fn issue(&self, agent: &str) -> Result<AgentCertificate, CertError> {
        let cert = self.sign(agent, self.vault.now())?;
        self.vault.put(
            &stored::key(&self.trust_domain, agent),
            &stored::encode(&cert),
        )?;
        self.audit("issue", &cert, None);
        Ok(cert)
    }

    /// A new certificate replacing `current` once its renewal is due (`None`
    /// before); a revoked, expired or foreign certificate is refused. The new
    /// one becomes the agent's current certificate in the vault.
    pub fn renew(&self, current: &AgentCertificate) -> Result<Option<AgentCertificate>, CertError> {
        if !self
            .policy
            .renewal_due(current.not_after(), self.vault.now())
        {
            self.verify(current.der(), current.agent())?;
            return Ok(None);
        }
        let next = self.replacement(current)?;
        self.vault.put(
            &stored::key(&self.trust_domain, current.agent()),
            &stored::encode(&next),
        )?;
        self.audit("renew", &next, Some(current.serial()));
        Ok(Some(next))
    }

    /// A certificate for the agent of `current`, valid from now, after
    /// checking that `current` is still valid and not revoked (a revoked or
    /// expired agent enrolls again). Not stored, not audited.
    pub(super) fn replacement(
        &self,
        current: &AgentCertificate,
    ) -> Result<AgentCertificate, CertError> {
        self.verify(current.der(), current.agent())?;
        self.sign(current.agent(), self.vault.now())
    }

    /// The agent's current certificate as the vault holds it (`None` if it
    /// was never issued, was revoked through [`revoke_agent`](Self::revoke_agent),
    /// or expired and was removed by the rotation pass).
    pub fn current(&self, agent: &str) -> Result<Option<AgentCertificate>, CertError> {
        let key = stored::key(&self.trust_domain, agent);
        let Some(record) = self.vault.store().get(&key)? else {
            return Ok(None);
        };
        let credential = envelope::open(&**self.vault.keys(), &record)?;
        stored::decode(&self.trust_domain, agent, &credential).map(Some)
    }

    /// Revokes the agent's current certificate and removes it from the vault,
    /// so that the rotation pass has nothing to renew: the agent enrolls again
    /// through [`issue`](Self::issue). Returns the revoked serial, `None` if
    /// the agent holds no certificate.
    pub fn revoke_agent(&self, agent: &str) -> Result<Option<String>, CertError> {
        let key = stored::key(&self.trust_domain, agent);
        let Some(record) = self.vault.store().get(&key)? else {
            return Ok(None);
        };
        let credential = envelope::open(&**self.vault.keys(), &record)?;
        let cert = stored::decode(&self.trust_domain, agent, &credential)?;
        self.revoke(cert.serial())?;
        if self.vault.store().delete_version(&key, record.version)? {
            self.vault.cache_remove(&key);
        }
        Ok(Some(cert.serial))
    }

    /// Revokes the certificate with `serial` (hex): from now on it is in the
    /// CRL and [`verify`](Self::verify) refuses it (RFC 5280 §5.3). The list
    /// is sealed in the vault before this returns, so a reopened CA keeps it,
    /// and another CA object on the same store serves it in its next CRL.
    pub fn revoke(&self, serial: &str) -> Result<(), CertError> {
        let bytes = unhex(serial)?;
        let serial_number = SerialNumber::from_slice(&bytes);
        let revocation_time = at(self.vault.now())?;
        {
            let mut list = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
            self.add_stored(&mut list)?;
            if list.iter().any(|r| r.serial_number == serial_number) {
                return Ok(());
            }
            let mut next = list.clone();
            next.push(RevokedCertParams {
                serial_number,
                revocation_time,
                reason_code: None,
                invalidity_date: None,
            });
            revoked::save(&self.vault, &self.trust_domain, &next)?;
            *list = next;
        }
        self.vault.audit_event(
            AuditAction::Other("credential-change".into()),
            Outcome::Success,
            |e| {
                e.issuer(self.trust_domain.clone())
                    .detail("op", "revoke")
                    .detail("kind", "x509")
                    .detail("serial", hex(&bytes))
            },
        );
        Ok(())
    }

    /// Adds to `list` the revoked serials sealed in the vault that it lacks
    /// (revoked through another CA object sharing the vault's store, such as
    /// another process's). The list only grows.
    fn add_stored(&self, list: &mut Vec<RevokedCertParams>) -> Result<(), CertError> {
        for stored in revoked::load(&self.vault, &self.trust_domain)? {
            if !list.iter().any(|r| r.serial_number == stored.serial_number) {
                list.push(stored);
            }
        }
        Ok(())
    }

    /// The next CRL number: above the last one this object signed and at
    /// least the vault clock's second times 65,536, so that a CA opened
    /// again later (a restarted server) keeps numbering upward (RFC 5280
    /// §5.2.3: monotonically increasing) unless one object signed more than
    /// 65,536 CRLs a second.
    fn next_crl_number(&self, now: i64) -> u64 {
        let floor = u64::try_from(now).unwrap_or(0).saturating_mul(1 << 16);
        let next = |last: u64| last.saturating_add(1).max(floor);
        match self
            .crl_number
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(next(last))
            }) {
            Ok(last) | Err(last) => next(last),
        }
    }

    /// The current CRL (DER), signed by the CA, valid for one certificate
    /// lifetime, its number increasing with each CRL, also across a reopened
    /// CA (RFC 5280 §5.2.3, see `next_crl_number`). It
    /// lists the serials revoked here and those sealed in the vault (read at
    /// each call), so a process that only serves the CRL shows the
    /// revocations of the process that issues.
    pub fn crl(&self) -> Result<Vec<u8>, CertError> {
        let now = self.vault.now();
        let number = self.next_crl_number(now);
        let revoked_certs = {
            let mut list = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
            self.add_stored(&mut list)?;
            list.clone()
        };
        let params = CertificateRevocationListParams {
            this_update: at(now)?,
            next_update: at(now.saturating_add(self.policy.lifetime()))?,
            crl_number: SerialNumber::from(number),
            issuing_distribution_point: self.crl_url.as_ref().map(|url| {
                CrlIssuingDistributionPoint {
                    distribution_point: CrlDistributionPoint {
                        uris: vec![url.clone()],
                    },
                    scope: Some(CrlScope::UserCertsOnly),
                }
            }),
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
    }

    fn sign(&self, agent: &str, now: i64) -> Result<AgentCertificate, CertError> {
        let spiffe_id = spiffe_id(&self.trust_domain, agent)?;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let serial = random_serial()?;
        let not_after = now.saturating_add(self.policy.lifetime());
        let mut params = CertificateParams::default();
        params.distinguished_name = name(agent);
        params.subject_alt_names = vec![SanType::URI(spiffe_id.as_str().try_into()?)];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.not_before = at(now)?;
        params.not_after = at(not_after)?;
        params.use_authority_key_identifier_extension = true;
        if let Some(url) = &self.crl_url {
            params.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![url.clone()],
            }];
        }
        let der = params.signed_by(&key, &self.issuer)?.der().to_vec();
        Ok(AgentCertificate {
            agent: agent.to_owned(),
            spiffe_id,
            serial: hex(&serial),
            not_before: now,
            not_after,
            der,
            key: AgentKey::new(key.serialize_der()),
        })
    }

    /// The `credential-change` event of an issue or renewal.
    pub(super) fn audit(&self, op: &'static str, cert: &AgentCertificate, previous: Option<&str>) {
        self.vault.audit_event(
            AuditAction::Other("credential-change".into()),
            Outcome::Success,
            |e| {
                let e = e
                    .agent(cert.agent())
                    .issuer(self.trust_domain.clone())
                    .detail("op", op)
                    .detail("kind", "x509")
                    .detail("serial", cert.serial().to_owned())
                    .detail("not_after", cert.not_after());
                match previous {
                    Some(old) => e.detail("previous_serial", old.to_owned()),
                    None => e,
                }
            },
        );
    }
}
