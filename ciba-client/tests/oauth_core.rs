//! The CIBA client on the OAuth core of agent-auth, over a scripted
//! transport given with `with_http`: client authentication built by the core
//! (a public client refused, the `private_key_jwt` assertion addressed to the
//! issuer), the core's URL and redirect policy, errors that keep their cause,
//! the token endpoint's CIBA error codes, and discovery with its issuer check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::jose::{Algorithm, SigningKey, base64url};
use agent_auth::oauth::{
    Cause, DiscoveryError, HttpClient, HttpError, HttpRequest, HttpResponse, UrlError,
};
use ciba_client::{
    ApprovalOutcome, AuthenticationRequest, CibaClient, CibaError, ClientAuth, Endpoints, Hint,
};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::error::Error as _;
use std::sync::{Arc, Mutex};

const ISSUER: &str = "https://op.example";

fn endpoints() -> Endpoints {
    Endpoints {
        issuer: ISSUER.into(),
        backchannel: format!("{ISSUER}/bc"),
        token: format!("{ISSUER}/token"),
    }
}

fn ask() -> AuthenticationRequest {
    AuthenticationRequest::new(Hint::LoginHint("sarah".into())).binding_message("Acme 450k")
}

type Seen = Arc<Mutex<Vec<HttpRequest>>>;

/// A transport that answers each request with the next of `answers` (the
/// last one again when they run out) and keeps the requests.
fn scripted(answers: Vec<Result<HttpResponse, HttpError>>) -> (HttpClient, Seen) {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let http = HttpClient::with_transport(move |req: HttpRequest| {
        let mut queue = answers.lock().unwrap();
        let answer = if queue.len() > 1 {
            queue.pop_front().unwrap()
        } else {
            queue.front().cloned().unwrap()
        };
        record.lock().unwrap().push(req);
        async move { answer }
    });
    (http, seen)
}

/// A `client_secret_basic` client of the OP at `at`, sending through `http`.
fn basic_client(at: Endpoints, http: HttpClient) -> CibaClient {
    CibaClient::builder(at, ClientAuth::secret_basic("agent", "s3cret"))
        .with_http(http)
        .build()
}

fn started() -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::json(
        200,
        &json!({"auth_req_id": "req-1", "expires_in": 600, "interval": 1}),
    ))
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
async fn a_public_client_is_refused_before_anything_is_sent() {
    let (http, seen) = scripted(vec![started()]);
    let client = CibaClient::builder(endpoints(), ClientAuth::public("agent"))
        .with_http(http)
        .build();
    let err = client.start(ask()).await.unwrap_err();
    assert!(matches!(err, CibaError::Config(_)), "{err:?}");
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_private_key_jwt_assertion_is_the_cores_addressed_to_the_issuer() {
    let (http, seen) = scripted(vec![started()]);
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let client = CibaClient::builder(endpoints(), ClientAuth::private_key_jwt("agent", key))
        .with_http(http)
        .build();
    client.start(ask()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].url().as_str(), "https://op.example/bc");
    assert!(seen[0].header_value("authorization").is_none());
    let form = form_of(&seen[0]);
    assert_eq!(param(&form, "client_id").as_deref(), Some("agent"));
    assert_eq!(
        param(&form, "client_assertion_type").as_deref(),
        Some(agent_auth::oauth::CLIENT_ASSERTION_JWT)
    );
    let assertion = param(&form, "client_assertion").unwrap();
    let payload = assertion.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&base64url::decode(payload).unwrap()).unwrap();
    assert_eq!(claims["iss"], "agent");
    assert_eq!(claims["sub"], "agent");
    // CIBA Core 1.0 section 7.1: the OP's issuer is a valid audience.
    assert_eq!(claims["aud"], ISSUER);
    assert_eq!(
        param(&form, "binding_message").as_deref(),
        Some("Acme 450k")
    );
}

#[tokio::test]
async fn client_secret_basic_goes_in_the_header_only() {
    let (http, seen) = scripted(vec![started()]);
    let client = basic_client(endpoints(), http);
    client.start(ask()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0]
            .header_value("authorization")
            .map(|v| v.expose_secret().to_owned())
            .as_deref(),
        Some("Basic YWdlbnQ6czNjcmV0")
    );
    let form = form_of(&seen[0]);
    assert_eq!(param(&form, "client_id"), None);
    assert_eq!(param(&form, "client_secret"), None);
}

#[tokio::test]
async fn plain_http_to_a_remote_op_is_refused_before_sending() {
    let (http, seen) = scripted(vec![started()]);
    let mut at = endpoints();
    at.backchannel = "http://op.example/bc".into();
    let client = basic_client(at, http);
    let err = client.start(ask()).await.unwrap_err();
    assert!(
        matches!(
            err,
            CibaError::Transport {
                source: HttpError::Url(UrlError::Insecure),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_redirect_from_the_backchannel_endpoint_is_not_followed() {
    let (http, seen) = scripted(vec![Ok(
        HttpResponse::new(302).with_header("location", "https://evil.example/bc")
    )]);
    let client = basic_client(endpoints(), http);
    let err = client.start(ask()).await.unwrap_err();
    assert!(
        matches!(
            err,
            CibaError::Transport {
                source: HttpError::RedirectRefused { status: 302, .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_connection_failure_keeps_its_cause() {
    let refused = HttpError::Connect {
        host: "op.example".into(),
        source: Cause::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
    };
    let (http, _) = scripted(vec![Err(refused)]);
    let client = basic_client(endpoints(), http);
    let err = client.start(ask()).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let cause = err.source().expect("the HTTP error");
    assert_eq!(cause.to_string(), "connecting to op.example failed");
    assert!(cause.source().is_some(), "the I/O error is kept");
}

#[tokio::test]
async fn an_oauth_error_of_the_backchannel_endpoint_is_refused_with_its_code() {
    let (http, _) = scripted(vec![Ok(HttpResponse::json(
        400,
        &json!({"error": "unknown_user_id", "error_description": "no such user"}),
    ))]);
    let client = basic_client(endpoints(), http);
    let err = client.start(ask()).await.unwrap_err();
    assert!(
        matches!(&err, CibaError::Refused { code, description }
            if code == "unknown_user_id" && description.as_deref() == Some("no such user")),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn polling_reads_the_ciba_error_codes_of_the_token_endpoint() {
    let refused = |code: &str| Ok(HttpResponse::json(400, &json!({ "error": code })));
    let (http, seen) = scripted(vec![
        started(),
        refused("authorization_pending"),
        refused("slow_down"),
        refused("access_denied"),
    ]);
    let client = basic_client(endpoints(), http);
    let pending = client.start(ask()).await.unwrap();
    assert!(matches!(pending.wait().await, ApprovalOutcome::Denied));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    let token = form_of(&seen[3]);
    assert_eq!(
        param(&token, "grant_type").as_deref(),
        Some(ciba_client::GRANT_TYPE)
    );
    assert_eq!(param(&token, "auth_req_id").as_deref(), Some("req-1"));
    assert_eq!(seen[3].url().as_str(), "https://op.example/token");
}

#[tokio::test(start_paused = true)]
async fn an_error_status_without_an_oauth_body_ends_the_wait_without_retrying() {
    let (http, seen) = scripted(vec![
        started(),
        Ok(HttpResponse::new(502).with_body("<html>bad gateway</html>")),
    ]);
    let client = basic_client(endpoints(), http);
    let pending = client.start(ask()).await.unwrap();
    let outcome = pending.wait().await;
    assert!(
        matches!(
            &outcome,
            ApprovalOutcome::Failed(CibaError::Transport {
                source: HttpError::Status { status: 502, .. },
                ..
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

fn metadata(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "token_endpoint": format!("{ISSUER}/token"),
        "jwks_uri": format!("{ISSUER}/jwks"),
        "backchannel_authentication_endpoint": format!("{ISSUER}/bc"),
        "backchannel_token_delivery_modes_supported": ["poll", "ping"],
        "backchannel_authentication_request_signing_alg_values_supported": ["ES256"],
        "backchannel_user_code_parameter_supported": true,
    })
}

#[tokio::test]
async fn discovery_reads_the_ciba_members_through_the_core() {
    let (http, seen) = scripted(vec![Ok(HttpResponse::json(200, &metadata(ISSUER)))]);
    let meta = CibaClient::discover_metadata_with_http(&http, ISSUER)
        .await
        .unwrap();
    assert_eq!(meta.endpoints.backchannel, "https://op.example/bc");
    assert_eq!(meta.endpoints.token, "https://op.example/token");
    assert_eq!(meta.endpoints.issuer, ISSUER);
    assert_eq!(meta.jwks_uri, "https://op.example/jwks");
    assert_eq!(meta.request_signing_algs, Some(vec!["ES256".to_owned()]));
    assert!(meta.user_code_supported);
    assert_eq!(
        meta.server.backchannel_authentication_endpoint.as_deref(),
        Some("https://op.example/bc")
    );
    assert_eq!(
        seen.lock().unwrap()[0].url().as_str(),
        "https://op.example/.well-known/oauth-authorization-server"
    );
}

#[tokio::test]
async fn discovery_refuses_metadata_naming_another_issuer() {
    let (http, _) = scripted(vec![Ok(HttpResponse::json(
        200,
        &metadata("https://evil.example"),
    ))]);
    let err = CibaClient::discover_metadata_with_http(&http, ISSUER)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CibaError::Discovery(DiscoveryError::IssuerMismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn discovery_without_a_backchannel_endpoint_is_malformed() {
    let mut doc = metadata(ISSUER);
    doc.as_object_mut()
        .unwrap()
        .remove("backchannel_authentication_endpoint");
    let (http, _) = scripted(vec![Ok(HttpResponse::json(200, &doc))]);
    let err = CibaClient::discover_metadata_with_http(&http, ISSUER)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CibaError::MalformedResponse("backchannel_authentication_endpoint")
        ),
        "{err:?}"
    );
}
