//! mcp-guard's outgoing requests on the OAuth core of agent-auth, over a
//! scripted transport: RFC 7662 introspection authenticated by the core's
//! `ClientAuth` and sent through its `HttpClient` (token in the form, no
//! redirect followed, body capped, https or loopback), and a trusted issuer
//! discovered from its metadata with its keys fetched through the same client.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, base64url};
use agent_auth::oauth::{
    ClientAuth, DiscoveryError, HttpClient, HttpError, HttpRequest, HttpResponse,
};
use agent_auth::secret::SecretString;
use common::{Fixture, ISS_A, NOW, RESOURCE};
use mcp_guard::resource::ResourceUri;
use mcp_guard::{
    ConfigError, IntrospectionConfig, TokenSource, TokenVerifier, TrustedIssuer, VerifyError,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<HttpRequest>>>;

/// A transport answering with `answer(request)` and keeping the requests.
fn scripted(
    answer: impl Fn(&HttpRequest) -> Result<HttpResponse, HttpError> + Send + Sync + 'static,
) -> (HttpClient, Seen) {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let http = HttpClient::with_transport(move |req: HttpRequest| {
        let result = answer(&req);
        record.lock().unwrap().push(req);
        async move { result }
    });
    (http, seen)
}

fn active() -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::json(
        200,
        &json!({"active": true, "iss": ISS_A, "sub": "sarah", "aud": RESOURCE,
                "scope": "mcp:crm:read", "exp": NOW + 300, "client_id": "sales-agent"}),
    ))
}

fn verifier(config: IntrospectionConfig) -> Result<TokenVerifier, ConfigError> {
    TokenVerifier::builder(ResourceUri::parse(RESOURCE).unwrap())
        .introspection(config)
        .clock(Arc::new(ManualClock::new(NOW)))
        .build()
}

fn config(http: HttpClient, auth: ClientAuth) -> IntrospectionConfig {
    IntrospectionConfig::with_auth(ISS_A, "https://as-a.example/introspect", auth).with_http(http)
}

fn form_of(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.body())
        .into_owned()
        .collect()
}

fn param(form: &[(String, String)], name: &str) -> Option<String> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn introspection_posts_the_token_with_client_secret_basic() {
    let (http, seen) = scripted(|_| active());
    let v = verifier(config(http, ClientAuth::basic("crm-mcp", "rs-s3cret"))).unwrap();
    let principal = v.verify("opaque-token-1").await.unwrap();
    assert_eq!(principal.source, TokenSource::Introspection);
    assert_eq!(principal.subject.as_deref(), Some("sarah"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].url().as_str(), "https://as-a.example/introspect");
    let form = form_of(&seen[0]);
    assert_eq!(param(&form, "token").as_deref(), Some("opaque-token-1"));
    assert_eq!(
        param(&form, "token_type_hint").as_deref(),
        Some("access_token")
    );
    assert_eq!(param(&form, "client_secret"), None);
    assert_eq!(
        seen[0]
            .header_value("authorization")
            .map(|v| v.expose_secret().to_owned())
            .as_deref(),
        Some("Basic Y3JtLW1jcDpycy1zM2NyZXQ=")
    );
}

#[tokio::test]
async fn introspection_with_private_key_jwt_addresses_the_issuer() {
    let (http, seen) = scripted(|_| active());
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let v = verifier(config(http, ClientAuth::private_key_jwt("crm-mcp", key))).unwrap();
    v.verify("opaque-token-2").await.unwrap();
    let form = form_of(&seen.lock().unwrap()[0]);
    let assertion = param(&form, "client_assertion").unwrap();
    let payload = assertion.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&base64url::decode(payload).unwrap()).unwrap();
    assert_eq!(claims["iss"], "crm-mcp");
    assert_eq!(claims["aud"], ISS_A);
    assert_eq!(claims["iat"], NOW);
}

#[test]
fn a_plain_http_introspection_endpoint_is_refused_when_built() {
    let remote = IntrospectionConfig::new(
        ISS_A,
        "http://as-a.example/introspect",
        "crm-mcp",
        SecretString::new("rs-s3cret"),
    );
    assert!(matches!(verifier(remote), Err(ConfigError::HttpClient)));
    let loopback = IntrospectionConfig::new(
        ISS_A,
        "http://127.0.0.1:9/introspect",
        "crm-mcp",
        SecretString::new("rs-s3cret"),
    );
    assert!(verifier(loopback).is_ok());
}

#[tokio::test]
async fn a_redirect_from_the_introspection_endpoint_is_not_followed() {
    let (http, seen) = scripted(|_| {
        Ok(HttpResponse::new(302).with_header("location", "https://evil.example/introspect"))
    });
    let v = verifier(config(http, ClientAuth::basic("crm-mcp", "rs-s3cret"))).unwrap();
    assert_eq!(
        v.verify("opaque-token-3").await,
        Err(VerifyError::Unavailable)
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_oversized_introspection_answer_is_unavailable() {
    let (http, _) = scripted(|_| {
        let padding = "x".repeat(70 * 1024);
        Ok(HttpResponse::json(
            200,
            &json!({"active": true, "iss": ISS_A, "aud": RESOURCE, "padding": padding}),
        ))
    });
    let v = verifier(config(http, ClientAuth::basic("crm-mcp", "rs-s3cret"))).unwrap();
    assert_eq!(
        v.verify("opaque-token-4").await,
        Err(VerifyError::Unavailable)
    );
}

fn authorization_server(f: &Fixture, issuer: &'static str) -> (HttpClient, Seen) {
    let jwks = json!({"keys": [f.key_a.verifying_key().to_jwk().unwrap()]});
    scripted(move |req| {
        Ok(match req.url().path() {
            "/.well-known/oauth-authorization-server" => HttpResponse::json(
                200,
                &json!({"issuer": issuer, "jwks_uri": "https://as-a.example/jwks"}),
            ),
            "/jwks" => HttpResponse::json(200, &jwks),
            _ => HttpResponse::new(404),
        })
    })
}

#[tokio::test]
async fn a_discovered_issuer_fetches_metadata_and_keys_through_one_client() {
    let f = Fixture::new();
    let (http, seen) = authorization_server(&f, ISS_A);
    let trusted = TrustedIssuer::discover(http, ISS_A).await.unwrap();
    assert_eq!(trusted.issuer(), ISS_A);
    let v = TokenVerifier::builder(ResourceUri::parse(RESOURCE).unwrap())
        .trust(trusted)
        .clock(f.shared_clock())
        .build()
        .unwrap();
    let token = f.sign(&f.claims(ISS_A, "mcp:crm:read"));
    let principal = v.verify(&token).await.unwrap();
    assert_eq!(principal.source, TokenSource::Jwt);
    let paths: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.url().path().to_owned())
        .collect();
    assert_eq!(paths, ["/.well-known/oauth-authorization-server", "/jwks"]);
}

#[tokio::test]
async fn discovery_refuses_metadata_naming_another_issuer() {
    let f = Fixture::new();
    let (http, seen) = authorization_server(&f, "https://evil.example");
    let err = TrustedIssuer::discover(http, ISS_A).await.unwrap_err();
    assert_eq!(err, DiscoveryError::IssuerMismatch);
    assert_eq!(seen.lock().unwrap().len(), 1, "no keys fetched");
}
