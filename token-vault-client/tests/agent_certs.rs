//! X.509 agent certificates: the vault's CA issues short-lived certificates
//! with the agent's SPIFFE ID, renews them in the renewal window, revokes them
//! through its CRL; the path is validated by webpki against the CA, with a
//! manual clock for validity and renewal; every change is audited with the
//! serial and never the key.
#![cfg(feature = "certs")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink};
use agent_auth::clock::ManualClock;
use rustls_pki_types::CertificateDer;
use std::sync::Arc;
use token_vault_client::certs::{AgentCa, CertError, CertPolicy};
use token_vault_client::*;

const T0: i64 = 1_800_000_000;
const HOUR: i64 = 3600;

struct Fixture {
    vault: Vault,
    clock: ManualClock,
    audit: MemorySink,
    ca: AgentCa,
}

fn fixture() -> Fixture {
    let clock = ManualClock::new(T0);
    let audit = MemorySink::new();
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build();
    // Four hours, renewed in the last hour.
    let policy = CertPolicy::new(4 * HOUR, HOUR).unwrap();
    let ca = AgentCa::create(&vault, "acme.example", policy).unwrap();
    Fixture {
        vault,
        clock,
        audit,
        ca,
    }
}

fn changes(audit: &MemorySink) -> Vec<(String, String)> {
    audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::Other("credential-change".into()))
        .map(|e| {
            let field = |k: &str| {
                e.details
                    .get(k)
                    .and_then(|v| v.as_str())
                    .unwrap()
                    .to_owned()
            };
            (field("op"), field("serial"))
        })
        .collect()
}

#[test]
fn an_issued_certificate_names_the_agent_and_chains_to_the_ca() {
    let f = fixture();
    let cert = f.ca.issue("crm-agent").unwrap();
    let der = CertificateDer::from(cert.der());
    let parsed = webpki::EndEntityCert::try_from(&der).unwrap();
    let uris: Vec<&str> = parsed.valid_uri_names().collect();
    assert_eq!(uris, ["spiffe://acme.example/agent/crm-agent"]);
    assert_eq!(cert.spiffe_id(), uris[0]);
    assert_eq!((cert.not_before(), cert.not_after()), (T0, T0 + 4 * HOUR));
    assert_eq!(f.ca.verify(cert.der(), "crm-agent").unwrap(), cert.serial());
    assert!(matches!(
        f.ca.verify(cert.der(), "other-agent"),
        Err(CertError::WrongAgent)
    ));
    // A second certificate of the same agent has another serial and key.
    let again = f.ca.issue("crm-agent").unwrap();
    assert_ne!(again.serial(), cert.serial());
    assert_ne!(again.key().pkcs8_der(), cert.key().pkcs8_der());
}

#[test]
fn validity_is_checked_against_the_vaults_clock() {
    let f = fixture();
    let cert = f.ca.issue("crm-agent").unwrap();
    f.clock.set(T0 + 4 * HOUR - 1);
    assert!(f.ca.verify(cert.der(), "crm-agent").is_ok());
    f.clock.set(T0 + 4 * HOUR + 1);
    assert!(matches!(
        f.ca.verify(cert.der(), "crm-agent"),
        Err(CertError::Expired)
    ));
    f.clock.set(T0 - 60);
    assert!(matches!(
        f.ca.verify(cert.der(), "crm-agent"),
        Err(CertError::NotYetValid)
    ));
}

#[test]
fn renewal_happens_in_the_window_before_expiry_only() {
    let f = fixture();
    let cert = f.ca.issue("crm-agent").unwrap();
    f.clock.set(T0 + 2 * HOUR);
    assert!(f.ca.renew(&cert).unwrap().is_none());
    f.clock.set(T0 + 3 * HOUR + 1);
    let renewed = f.ca.renew(&cert).unwrap().expect("due for renewal");
    assert_ne!(renewed.serial(), cert.serial());
    assert_eq!(renewed.not_after(), T0 + 7 * HOUR + 1);
    f.clock.set(T0 + 5 * HOUR);
    assert!(matches!(
        f.ca.verify(cert.der(), "crm-agent"),
        Err(CertError::Expired)
    ));
    assert!(f.ca.verify(renewed.der(), "crm-agent").is_ok());
    assert!(matches!(f.ca.renew(&cert), Err(CertError::Expired)));
    assert_eq!(
        changes(&f.audit),
        [
            ("issue".to_owned(), cert.serial().to_owned()),
            ("renew".to_owned(), renewed.serial().to_owned()),
        ]
    );
}

#[test]
fn a_revoked_certificate_is_in_the_crl_and_refused() {
    let f = fixture();
    let cert = f.ca.issue("crm-agent").unwrap();
    let other = f.ca.issue("mail-agent").unwrap();
    f.ca.revoke(cert.serial()).unwrap();
    f.ca.revoke(cert.serial()).unwrap();
    assert!(matches!(
        f.ca.verify(cert.der(), "crm-agent"),
        Err(CertError::Revoked)
    ));
    assert!(matches!(f.ca.renew(&cert), Err(CertError::Revoked)));
    assert!(f.ca.verify(other.der(), "mail-agent").is_ok());
    // The list is sealed in the vault: a reopened CA still refuses it.
    let reopened = AgentCa::open(&f.vault, "acme.example", CertPolicy::default()).unwrap();
    assert!(matches!(
        reopened.verify(cert.der(), "crm-agent"),
        Err(CertError::Revoked)
    ));
    assert!(reopened.verify(other.der(), "mail-agent").is_ok());

    let crl_der = f.ca.crl().unwrap();
    let crl: webpki::CertRevocationList<'_> =
        webpki::BorrowedCertRevocationList::from_der(&crl_der)
            .unwrap()
            .into();
    let serial: Vec<u8> = (0..cert.serial().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cert.serial()[i..i + 2], 16).unwrap())
        .collect();
    assert!(crl.find_serial(&serial).unwrap().is_some());
    let revokes: Vec<_> = changes(&f.audit)
        .into_iter()
        .filter(|(op, _)| op == "revoke")
        .collect();
    assert_eq!(revokes, [("revoke".to_owned(), cert.serial().to_owned())]);
    assert!(matches!(f.ca.revoke("not-hex"), Err(CertError::Refused(_))));
}

#[test]
fn a_ca_object_that_only_serves_the_crl_shows_revocations_made_through_another() {
    let f = fixture();
    // Opened before the revocations, as a separate process serving the CRL.
    let serving = AgentCa::open(&f.vault, "acme.example", CertPolicy::default()).unwrap();
    let first = f.ca.issue("crm-agent").unwrap();
    let second = f.ca.issue("mail-agent").unwrap();
    assert!(serving.verify(first.der(), "crm-agent").is_ok());
    f.ca.revoke(first.serial()).unwrap();
    assert!(matches!(
        serving.verify(first.der(), "crm-agent"),
        Err(CertError::Revoked)
    ));
    // A revocation through the serving object keeps the other's.
    serving.revoke(second.serial()).unwrap();
    let reopened = AgentCa::open(&f.vault, "acme.example", CertPolicy::default()).unwrap();
    for (cert, agent) in [(&first, "crm-agent"), (&second, "mail-agent")] {
        assert!(matches!(
            reopened.verify(cert.der(), agent),
            Err(CertError::Revoked)
        ));
        assert!(matches!(
            f.ca.verify(cert.der(), agent),
            Err(CertError::Revoked)
        ));
    }
}

/// The CRL number extension's value (OID 2.5.29.20: an OCTET STRING
/// holding an INTEGER), read with a minimal DER walk.
fn crl_number(crl: &[u8]) -> u128 {
    const OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x14];
    let start = crl
        .windows(OID.len())
        .position(|w| w == OID)
        .expect("a CRL number extension");
    let value = &crl[start + OID.len()..];
    assert_eq!((value[0], value[2]), (0x04, 0x02), "OCTET STRING, INTEGER");
    let len = usize::from(value[3]);
    value[4..4 + len]
        .iter()
        .fold(0, |n, b| (n << 8) | u128::from(*b))
}

#[test]
fn crl_numbers_keep_increasing_when_the_ca_is_opened_again() {
    let f = fixture();
    let first = crl_number(&f.ca.crl().unwrap());
    let second = crl_number(&f.ca.crl().unwrap());
    assert!(second > first, "{first} then {second}");
    // A restarted server opens the CA again, a second later or more.
    f.clock.set(T0 + 1);
    let reopened = AgentCa::open(&f.vault, "acme.example", CertPolicy::default()).unwrap();
    let third = crl_number(&reopened.crl().unwrap());
    assert!(third > second, "{second} then {third}");
}

#[test]
fn another_cas_certificate_is_refused() {
    let f = fixture();
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m2").unwrap()));
    let elsewhere = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(f.clock.clone()))
        .build();
    let rogue = AgentCa::create(&elsewhere, "acme.example", CertPolicy::default()).unwrap();
    let cert = rogue.issue("crm-agent").unwrap();
    assert!(matches!(
        f.ca.verify(cert.der(), "crm-agent"),
        Err(CertError::Refused(_))
    ));
    assert!(f.ca.verify(b"not a certificate", "crm-agent").is_err());
}

#[test]
fn the_ca_key_stays_sealed_in_the_vault_and_out_of_debug_output() {
    let f = fixture();
    let cert = f.ca.issue("crm-agent").unwrap();
    // Reopened from the vault, the CA still verifies what it issued.
    let reopened = AgentCa::open(&f.vault, "acme.example", CertPolicy::default()).unwrap();
    assert_eq!(
        reopened.verify(cert.der(), "crm-agent").unwrap(),
        cert.serial()
    );
    assert!(matches!(
        AgentCa::open(&f.vault, "other.example", CertPolicy::default()),
        Err(CertError::NoCa)
    ));
    let shown = format!("{cert:?} {:?} {:?}", f.ca, cert.key());
    assert!(shown.contains("[redacted]"));
    let key_hex: String = cert.key().pkcs8_der()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!shown.contains(&key_hex));
    assert!(!shown.contains(&format!("{:?}", &cert.key().pkcs8_der()[..8])));
    for event in f.audit.events() {
        let json = serde_json::to_string(&event).unwrap();
        assert!(!json.contains(&key_hex));
    }
}

#[test]
fn bad_ids_and_policies_are_typed_errors() {
    let f = fixture();
    assert!(matches!(
        f.ca.issue("../root"),
        Err(CertError::InvalidId(_))
    ));
    assert!(matches!(
        CertPolicy::new(30 * 86_400, HOUR),
        Err(CertError::InvalidPolicy(_))
    ));
    assert!(matches!(
        CertPolicy::new(HOUR, HOUR),
        Err(CertError::InvalidPolicy(_))
    ));
    assert!(matches!(
        AgentCa::create(&f.vault, "Not A Domain", CertPolicy::default()),
        Err(CertError::InvalidId(_))
    ));
    for url in [
        "ftp://ca.example/crl",
        "http://ca.example/a crl",
        "ca.example/crl",
    ] {
        let ca = AgentCa::open(&f.vault, "acme.example", CertPolicy::default()).unwrap();
        assert!(matches!(
            ca.crl_distribution_point(url),
            Err(CertError::Refused(_))
        ));
    }
}

fn renewals(audit: &MemorySink) -> Vec<(String, String)> {
    audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::Other("credential-change".into()))
        .filter(|e| e.details.get("op").and_then(|v| v.as_str()) == Some("renew"))
        .map(|e| {
            let field = |k: &str| e.details[k].as_str().unwrap().to_owned();
            (field("serial"), field("previous_serial"))
        })
        .collect()
}

#[tokio::test]
async fn the_rotation_pass_renews_a_certificate_once_it_enters_the_window() {
    let f = fixture();
    let ca = Arc::new(f.ca);
    ca.schedule_renewal();
    let cert = ca.issue("crm-agent").unwrap();
    assert_eq!(
        ca.current("crm-agent").unwrap().unwrap().serial(),
        cert.serial()
    );
    // Before the window (the last hour of four): nothing to renew.
    f.clock.set(T0 + 3 * HOUR - 1);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert!(report.rotated.is_empty() && report.failed.is_empty());
    assert!(renewals(&f.audit).is_empty());

    // In the window: renewed, exactly once however many passes run.
    f.clock.set(T0 + 3 * HOUR);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!(report.rotated.len(), 1, "{:?}", report.failed);
    for _ in 0..3 {
        let again = f.vault.rotate_due(f.vault.now()).await.unwrap();
        assert!(again.rotated.is_empty() && again.failed.is_empty());
    }
    let renewed = ca.current("crm-agent").unwrap().unwrap();
    assert_ne!(renewed.serial(), cert.serial());
    assert_eq!(
        (renewed.not_before(), renewed.not_after()),
        (T0 + 3 * HOUR, T0 + 7 * HOUR)
    );
    assert_eq!(
        renewals(&f.audit),
        [(renewed.serial().to_owned(), cert.serial().to_owned())]
    );
    // The new certificate chains to the CA with a new key; the old serial is
    // superseded (the vault holds the new one) and valid until its own expiry.
    assert_eq!(
        ca.verify(renewed.der(), "crm-agent").unwrap(),
        renewed.serial()
    );
    assert_ne!(renewed.key().pkcs8_der(), cert.key().pkcs8_der());
    assert!(ca.verify(cert.der(), "crm-agent").is_ok());
    f.clock.set(T0 + 4 * HOUR + 1);
    assert!(matches!(
        ca.verify(cert.der(), "crm-agent"),
        Err(CertError::Expired)
    ));
    // The next renewal comes one period after the first.
    f.clock.set(T0 + 6 * HOUR - 1);
    assert!(
        f.vault
            .rotate_due(f.vault.now())
            .await
            .unwrap()
            .rotated
            .is_empty()
    );
    f.clock.set(T0 + 6 * HOUR);
    assert_eq!(
        f.vault
            .rotate_due(f.vault.now())
            .await
            .unwrap()
            .rotated
            .len(),
        1
    );
    assert_eq!(renewals(&f.audit).len(), 2);
}

#[tokio::test]
async fn the_rotation_pass_does_not_renew_a_revoked_certificate() {
    let f = fixture();
    let ca = Arc::new(f.ca);
    ca.schedule_renewal();
    let revoked = ca.issue("crm-agent").unwrap();
    let withdrawn = ca.issue("mail-agent").unwrap();
    let kept = ca.issue("calendar-agent").unwrap();
    ca.revoke(revoked.serial()).unwrap();
    assert_eq!(
        ca.revoke_agent("mail-agent").unwrap().as_deref(),
        Some(withdrawn.serial())
    );
    assert!(ca.current("mail-agent").unwrap().is_none());
    assert!(ca.revoke_agent("mail-agent").unwrap().is_none());

    f.clock.set(T0 + 3 * HOUR + 60);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    // Only the certificate in good standing is renewed; the revoked one is
    // refused (and stays what it was), the withdrawn one is gone.
    assert_eq!(report.rotated.len(), 1);
    assert_eq!(report.rotated[0].0.user, "calendar-agent");
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0.user, "crm-agent");
    assert_eq!(
        ca.current("crm-agent").unwrap().unwrap().serial(),
        revoked.serial()
    );
    assert!(ca.current("mail-agent").unwrap().is_none());
    let renewed: Vec<String> = renewals(&f.audit).into_iter().map(|(_, old)| old).collect();
    assert_eq!(renewed, [kept.serial().to_owned()]);
    // Past its expiry the revoked certificate is removed by the pass.
    f.clock.set(T0 + 4 * HOUR);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!(report.expired_removed, 1);
    assert!(ca.current("crm-agent").unwrap().is_none());
}
