//! Login CSRF against the authority's HTTP face: an attacker starts a login in
//! their own browser and has the victim's browser finish it (by posting the
//! login form of the attacker's interaction, or by following the attacker's
//! upstream callback URL). The interaction is bound to the browser that
//! started it, so both are refused, audited, and change nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod browser;

use agent_auth::audit::AuditAction;
use browser::*;
use reference_authority::{
    Connection, OAuthError, Params, RedirectUrl, UpstreamIdentity, UpstreamStart,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// An upstream provider double: the callback's `code` names the upstream user.
#[derive(Debug, Default)]
struct Upstream {
    started: AtomicU64,
}

#[async_trait::async_trait]
impl Connection for Upstream {
    fn name(&self) -> &str {
        "upstream"
    }

    async fn begin(&self, _redirect_uri: &str) -> Result<UpstreamStart, OAuthError> {
        let n = self.started.fetch_add(1, Ordering::SeqCst);
        let state = format!("upstream-state-{n}");
        Ok(UpstreamStart {
            url: RedirectUrl::new(format!("https://upstream.example/authorize?state={state}")),
            state,
            saved: serde_json::json!({}),
        })
    }

    async fn finish(
        &self,
        callback: &Params,
        _saved: &serde_json::Value,
        _redirect_uri: &str,
    ) -> Result<UpstreamIdentity, OAuthError> {
        Ok(UpstreamIdentity {
            subject: callback.get("code").unwrap_or_default().to_owned(),
            claims: serde_json::Map::new(),
        })
    }
}

async fn server() -> Server {
    Server::start(|a| {
        a.register_client(portal()).unwrap();
        a.add_connection(Arc::new(Upstream::default()));
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_csrf_interaction_form_posted_from_another_browser_is_refused() {
    let s = server().await;
    let mut attacker = Browser::new();
    let page = attacker.get(&s.authorize_url("portal", &[])).await;
    assert_eq!(page.status(), 200);
    let interaction = field(&page.text().await.unwrap(), "interaction");

    // The victim's browser posts the attacker's form with the attacker's
    // credentials: without the binding cookie of the attacker's browser.
    let mut victim = Browser::new();
    let refused = victim.sign_in(&s.issuer, &interaction, "mallory").await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("another browser"));
    assert!(victim.jar.is_empty(), "no session cookie for the victim");

    // A victim whose browser has a binding of its own is refused too.
    let _ = victim.get(&s.authorize_url("portal", &[])).await;
    assert!(victim.jar.contains_key("agent_auth_browser"));
    let refused = victim.sign_in(&s.issuer, &interaction, "mallory").await;
    assert_eq!(refused.status(), 403);
    assert!(!victim.jar.contains_key("agent_auth_session"));
    assert_eq!(s.denied(AuditAction::Authentication), 2);

    // Nothing changed: the browser that started the interaction finishes it.
    let back = location(&attacker.sign_in(&s.issuer, &interaction, "mallory").await);
    assert!(back.starts_with(REDIRECT));
    assert!(query_param(&back, "code").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_csrf_federation_callback_sent_to_another_browser_is_refused() {
    let s = server().await;
    let mut attacker = Browser::new();
    let page = attacker.get(&s.authorize_url("portal", &[])).await;
    let interaction = field(&page.text().await.unwrap(), "interaction");
    let upstream = location(
        &attacker
            .post(
                &format!("{}/login", s.issuer),
                &[("interaction", &interaction), ("connection", "upstream")],
            )
            .await,
    );
    // The attacker logs in upstream, then stops before the callback.
    let state = query_param(&upstream, "state").unwrap();
    let callback = format!(
        "{}/federation/callback?state={state}&code=mallory-upstream",
        s.issuer
    );

    let mut victim = Browser::new();
    let refused = victim.get(&callback).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("another browser"));
    assert!(!victim.jar.contains_key("agent_auth_session"));
    assert_eq!(s.denied(AuditAction::Authentication), 1);

    // The victim's form post to start an upstream login is refused as well.
    let refused = victim
        .post(
            &format!("{}/login", s.issuer),
            &[("interaction", &interaction), ("connection", "upstream")],
        )
        .await;
    assert_eq!(refused.status(), 403);

    // Nothing changed: the attacker's own browser completes the callback.
    let back = location(&attacker.get(&callback).await);
    assert!(back.starts_with(REDIRECT));
    assert!(attacker.jar.contains_key("agent_auth_session"));
}
