//! The agent CA's CRL over loopback HTTP: a relying party reads the CRL
//! distribution point from an agent certificate, fetches the CRL there
//! (`application/pkix-crl`, DER), and path validation with it refuses a
//! revoked certificate and accepts one in good standing.
#![cfg(feature = "certs")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use std::sync::Arc;
use token_vault_client::certs::{AgentCa, CertError, CertPolicy, verify_with_crl};
use token_vault_client::{MasterKey, MemoryVaultStore, StaticKeyProvider, Vault};

const T0: i64 = 1_800_000_000;

/// The URIs of the CRL distribution points extension (OID 2.5.29.31) of a
/// DER certificate: each `uniformResourceIdentifier` ([6] IA5String) inside
/// the extension's value, read with a minimal DER walk.
fn crl_distribution_points(cert: &[u8]) -> Vec<String> {
    const OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x1f];
    let start = cert
        .windows(OID.len())
        .position(|w| w == OID)
        .expect("a CRL distribution points extension");
    // The extension value: OCTET STRING right after the OID (no critical flag).
    let value = &cert[start + OID.len()..];
    assert_eq!(value[0], 0x04, "extnValue is an OCTET STRING");
    let len = usize::from(value[1]);
    assert!(len < 0x80, "short form length");
    let body = &value[2..2 + len];
    let mut uris = Vec::new();
    let mut i = 0;
    while i + 1 < body.len() {
        if body[i] == 0x86 {
            let n = usize::from(body[i + 1]);
            uris.push(String::from_utf8(body[i + 2..i + 2 + n].to_vec()).unwrap());
            i += 2 + n;
        } else {
            i += 1;
        }
    }
    uris
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_fetches_the_crl_from_the_distribution_point_and_refuses_a_revoked_certificate() {
    let clock = ManualClock::new(T0);
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(clock.clone()))
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let url = format!(
        "{base}{}",
        reference_authority::agent_ca::crl_path("acme.example")
    );
    let ca = Arc::new(
        AgentCa::create(&vault, "acme.example", CertPolicy::default())
            .unwrap()
            .crl_distribution_point(&url)
            .unwrap(),
    );
    let app = reference_authority::agent_ca::router(Arc::clone(&ca));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let revoked = ca.issue("crm-agent").unwrap();
    let good = ca.issue("mail-agent").unwrap();
    ca.revoke(revoked.serial()).unwrap();

    // The relying party: the CA certificate it pins, fetched once over HTTP.
    let http = reqwest::Client::new();
    let ca_der = http
        .get(format!(
            "{base}{}",
            reference_authority::agent_ca::certificate_path("acme.example")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ca_der.headers()["content-type"].to_str().unwrap(),
        "application/pkix-cert"
    );
    let ca_der = ca_der.bytes().await.unwrap().to_vec();
    assert_eq!(ca_der, ca.certificate_der());

    // The CRL, from the distribution point the certificate names.
    let points = crl_distribution_points(revoked.der());
    assert_eq!(points, [url.as_str()]);
    assert_eq!(crl_distribution_points(good.der()), [url.as_str()]);
    let fetch = |url: String| {
        let http = http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers()["content-type"].to_str().unwrap(),
                "application/pkix-crl"
            );
            response.bytes().await.unwrap().to_vec()
        }
    };
    let crl = fetch(points[0].clone()).await;

    assert!(matches!(
        verify_with_crl(
            &ca_der,
            &crl,
            "acme.example",
            revoked.der(),
            "crm-agent",
            T0 + 60
        ),
        Err(CertError::Revoked)
    ));
    assert_eq!(
        verify_with_crl(
            &ca_der,
            &crl,
            "acme.example",
            good.der(),
            "mail-agent",
            T0 + 60
        )
        .unwrap(),
        good.serial()
    );
    // A revocation is served from the next fetch on.
    ca.revoke(good.serial()).unwrap();
    let crl = fetch(url.clone()).await;
    assert!(matches!(
        verify_with_crl(
            &ca_der,
            &crl,
            "acme.example",
            good.der(),
            "mail-agent",
            T0 + 60
        ),
        Err(CertError::Revoked)
    ));

    // A CRL of another distribution point does not vouch for these
    // certificates (its issuing distribution point does not match): refused.
    let elsewhere = AgentCa::open(&vault, "acme.example", CertPolicy::default())
        .unwrap()
        .crl_distribution_point("http://other.example/crl")
        .unwrap();
    let foreign_crl = elsewhere.crl().unwrap();
    let fresh = ca.issue("calendar-agent").unwrap();
    assert!(matches!(
        verify_with_crl(
            &ca_der,
            &foreign_crl,
            "acme.example",
            fresh.der(),
            "calendar-agent",
            T0 + 60
        ),
        Err(CertError::Refused(_))
    ));
    // A CRL past its nextUpdate (one certificate lifetime) is refused; the
    // one served then is taken.
    clock.set(T0 + 3 * 3600);
    let later = ca.issue("calendar-agent").unwrap();
    let at = T0 + 4 * 3600 + 60;
    assert!(matches!(
        verify_with_crl(
            &ca_der,
            &crl,
            "acme.example",
            later.der(),
            "calendar-agent",
            at
        ),
        Err(CertError::Refused(_))
    ));
    clock.set(at);
    let current = fetch(url.clone()).await;
    assert_eq!(
        verify_with_crl(
            &ca_der,
            &current,
            "acme.example",
            later.der(),
            "calendar-agent",
            at
        )
        .unwrap(),
        later.serial()
    );
    server.abort();
}
