//! The vault's agent CA over HTTP (features `server` and `certs`): its
//! current certificate revocation list at `/agent-ca/<trust-domain>/crl`
//! (DER, `application/pkix-crl`, RFC 2585 §4.2), the URL its certificates
//! name as their CRL distribution point (RFC 5280 §4.2.1.13), and its CA
//! certificate at `/agent-ca/<trust-domain>/ca.crt` (DER,
//! `application/pkix-cert`, RFC 2585 §4.1) for relying parties to pin.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use token_vault_client::certs::{AgentCa, CertPolicy};
//! # fn run(vault: &token_vault_client::Vault) -> Result<(), Box<dyn std::error::Error>> {
//! let url = format!("https://ca.acme.example{}", reference_authority::agent_ca::crl_path("acme.example"));
//! let ca = Arc::new(AgentCa::open(vault, "acme.example", CertPolicy::default())?.crl_distribution_point(&url)?);
//! let app: axum::Router = reference_authority::agent_ca::router(ca);
//! # Ok(()) }
//! ```

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use token_vault_client::certs::AgentCa;

/// The path prefix of the CA resources.
pub const PREFIX: &str = "/agent-ca";

/// The path of the CRL of `trust_domain`'s CA.
pub fn crl_path(trust_domain: &str) -> String {
    format!("{PREFIX}/{trust_domain}/crl")
}

/// The path of the CA certificate of `trust_domain`'s CA.
pub fn certificate_path(trust_domain: &str) -> String {
    format!("{PREFIX}/{trust_domain}/ca.crt")
}

/// The routes of `ca` (merge one router per trust domain into the
/// authority's router).
pub fn router(ca: Arc<AgentCa>) -> Router {
    let domain = ca.trust_domain().to_owned();
    Router::new()
        .route(&crl_path(&domain), get(crl))
        .route(&certificate_path(&domain), get(certificate))
        .with_state(ca)
}

/// The CRL signed now, so a revocation is served from the next request on;
/// clients revalidate rather than reuse a stored copy.
async fn crl(State(ca): State<Arc<AgentCa>>) -> Response {
    match ca.crl() {
        Ok(der) => (
            [
                (header::CONTENT_TYPE, "application/pkix-crl"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            der,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "the agent CA could not sign its CRL");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn certificate(State(ca): State<Arc<AgentCa>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/pkix-cert")],
        ca.certificate_der().to_vec(),
    )
        .into_response()
}
