//! RFC 7523 section 3, item 7: a client assertion's `jti` is used once, also
//! during the clock leeway after its `exp`.

use super::{NOW, serve};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::Claims;
use reference_authority::*;

#[tokio::test]
async fn a_client_assertion_replayed_within_the_leeway_after_exp_is_refused() {
    let s = serve().await;
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [key.verifying_key().to_jwk().unwrap()]});
    s.authority
        .register_client(
            ClientSpec::private_key_jwt("sales-agent", jwks.to_string())
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read"]),
        )
        .unwrap();
    let mut c = Claims::new();
    c.iss = Some("sales-agent".into());
    c.sub = Some("sales-agent".into());
    c.aud = vec![s.authority.endpoint(paths::TOKEN)];
    c.iat = Some(NOW);
    c.exp = Some(NOW + 30);
    c.jti = Some("assertion-1".into());
    let assertion = sign_compact(&key, None, &c).unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER_ASSERTION),
        ("client_assertion", assertion.expose_secret()),
    ];
    let (status, body) = s.post_form(paths::TOKEN, &form).await;
    assert_eq!(status, 200, "{body}");
    // Past `exp`, still within the validator's leeway: the attacker replays.
    s.clock.advance(31 + 10);
    let (status, body) = s.post_form(paths::TOKEN, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(
        s.audited(AuditAction::ClientAuthentication, Outcome::Denied)
            .iter()
            .any(|e| e.reason.as_deref() == Some("client assertion replayed"))
    );
    let issued = s.audited(AuditAction::TokenIssued, Outcome::Success);
    assert_eq!(issued.len(), 1, "the replay issued nothing");
}
