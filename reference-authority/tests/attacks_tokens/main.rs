//! Attacks on the authority's tokens and logins, each played the way an
//! attacker meets it: over HTTP against `http::router` on a loopback port
//! where the item is an endpoint, in process otherwise. Time moves on a
//! manual clock; nothing sleeps.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod assertion_replay;
mod ciba_approval_page;
mod disabled_user;
mod enumeration_timing;
mod exchange_widening;
mod federated_grant;
mod login_throttling;

use agent_auth::audit::{AuditAction, AuditEvent, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use reference_authority::*;
use serde_json::Value;
use std::sync::Arc;

pub(crate) const NOW: i64 = 1_750_000_000;

/// An authority served over HTTP on an ephemeral loopback port.
pub(crate) struct Served {
    pub(crate) authority: Authority,
    pub(crate) clock: ManualClock,
    pub(crate) audit: MemorySink,
    pub(crate) issuer: String,
    pub(crate) http: reqwest::Client,
}

/// Serves a fresh authority (test password costs, manual clock at [`NOW`]).
pub(crate) async fn serve() -> Served {
    serve_with(AuthorityConfig::for_tests()).await
}

/// Serves a fresh authority with `config`.
pub(crate) async fn serve_with(config: AuthorityConfig) -> Served {
    serve_full(config, |_| axum::Router::new()).await
}

/// Serves a fresh authority with `extra` routes (the CIBA OP's) merged in.
pub(crate) async fn serve_merged(extra: impl FnOnce(&Authority) -> axum::Router) -> Served {
    serve_full(AuthorityConfig::for_tests(), extra).await
}

async fn serve_full(
    config: AuthorityConfig,
    extra: impl FnOnce(&Authority) -> axum::Router,
) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let authority = Authority::builder(&issuer)
        .config(config)
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    let router = http::router(authority.clone()).merge(extra(&authority));
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Served {
        authority,
        clock,
        audit,
        issuer,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

impl Served {
    /// POSTs a form to `path`; returns the status and the JSON body (or `null`).
    pub(crate) async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.issuer))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// The audit events with this action and outcome.
    pub(crate) fn audited(&self, action: AuditAction, outcome: Outcome) -> Vec<AuditEvent> {
        self.audit
            .events()
            .into_iter()
            .filter(|e| e.action == action && e.outcome == outcome)
            .collect()
    }
}
