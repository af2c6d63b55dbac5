//! URL client ids (OAuth Client ID Metadata Documents) at the reference
//! authority, over loopback HTTP: documents served by a local server (the
//! authority in local-development mode), fetched, checked, registered and
//! cached within `Cache-Control`; one refusal per rule, each leaving no
//! client behind and an audit event. `jwks_uri`: the keys of a
//! `private_key_jwt` client fetched under the same rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use reference_authority::cimd::{CimdError, CimdPolicy};
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod jwks_uri;

const REDIRECT: &str = "http://127.0.0.1:7777/callback";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// What the document server answers for one path.
#[derive(Clone)]
enum Answer {
    Json(Value, Option<&'static str>),
    Raw(StatusCode, Vec<(&'static str, String)>, Vec<u8>),
    Never,
}

#[derive(Clone, Default)]
struct Docs {
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    fetches: Arc<AtomicUsize>,
}

async fn serve_doc(State(docs): State<Docs>, Path(name): Path<String>) -> Response {
    docs.fetches.fetch_add(1, Ordering::SeqCst);
    let answer = docs.answers.lock().unwrap().get(&name).cloned();
    match answer {
        Some(Answer::Json(body, cache)) => {
            let mut headers = HeaderMap::new();
            headers.insert("content-type", "application/json".parse().unwrap());
            if let Some(c) = cache {
                headers.insert("cache-control", c.parse().unwrap());
            }
            (headers, body.to_string()).into_response()
        }
        Some(Answer::Raw(status, headers, body)) => {
            let mut map = HeaderMap::new();
            for (k, v) in headers {
                map.insert(k, v.parse().unwrap());
            }
            (status, map, body).into_response()
        }
        Some(Answer::Never) => std::future::pending().await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

struct Fixture {
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
    docs: Docs,
    doc_base: String,
    issuer: String,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for s in &self.servers {
            s.abort();
        }
    }
}

async fn fixture(policy: CimdPolicy) -> Fixture {
    let as_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let doc_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", as_listener.local_addr().unwrap());
    let doc_base = format!("http://{}", doc_listener.local_addr().unwrap());
    let clock = ManualClock::new(1_750_000_000);
    let audit = MemorySink::new();
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority.enable_client_id_metadata_documents(policy);
    let docs = Docs::default();
    let app = Router::new()
        .route("/clients/{name}", get(serve_doc))
        .with_state(docs.clone());
    let servers = vec![
        tokio::spawn({
            let authority = authority.clone();
            async move { axum::serve(as_listener, router(authority)).await.unwrap() }
        }),
        tokio::spawn(async move { axum::serve(doc_listener, app).await.unwrap() }),
    ];
    Fixture {
        authority,
        clock,
        audit,
        docs,
        doc_base,
        issuer,
        servers,
    }
}

fn dev() -> CimdPolicy {
    CimdPolicy::new()
        .local_development()
        .scopes(["crm:read"])
        .resources(["https://mcp.example/mcp"])
        .max_cache_secs(3600)
}

impl Fixture {
    /// Serves `answer` at `/clients/<name>`; returns the client id (its URL).
    fn serve(&self, name: &str, answer: Answer) -> String {
        self.docs
            .answers
            .lock()
            .unwrap()
            .insert(name.to_owned(), answer);
        format!("{}/clients/{name}", self.doc_base)
    }

    /// A valid document for `name`, with `cache`.
    fn good(&self, name: &str, cache: Option<&'static str>) -> String {
        let id = format!("{}/clients/{name}", self.doc_base);
        self.serve(
            name,
            Answer::Json(
                json!({"client_id": id, "client_name": "CLI agent", "redirect_uris": [REDIRECT],
                       "grant_types": ["authorization_code", "refresh_token"], "scope": "crm:read other"}),
                cache,
            ),
        )
    }

    fn fetches(&self) -> usize {
        self.docs.fetches.load(Ordering::SeqCst)
    }

    fn denied(&self) -> usize {
        self.audit
            .events()
            .iter()
            .filter(|e| e.action == AuditAction::AgentLifecycle && e.outcome == Outcome::Denied)
            .count()
    }

    async fn authorize(&self, client_id: &str, redirect_uri: &str) -> (u16, String) {
        let url = url::Url::parse_with_params(
            &format!("{}/authorize", self.issuer),
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
                ("state", "s"),
                ("scope", "crm:read"),
            ],
        )
        .unwrap();
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_client_id_is_fetched_registered_and_advertised() {
    let f = fixture(dev()).await;
    assert_eq!(
        f.authority.metadata()["client_id_metadata_document_supported"],
        true
    );
    let id = f.good("cli.json", Some("max-age=60"));
    let (status, page) = f.authorize(&id, REDIRECT).await;
    assert_eq!(status, 200, "the login page: {page}");
    assert!(page.contains("name=\"interaction\""), "{page}");
    let client = f.authority.client(&id).unwrap().unwrap();
    assert_eq!(client.redirect_uris, [REDIRECT]);
    assert!(client.is_public());
    assert_eq!(client.scopes, ["crm:read"], "narrowed to the policy");
    assert_eq!(client.resources, ["https://mcp.example/mcp"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_uris_come_from_the_document_only() {
    let f = fixture(dev()).await;
    let id = f.good("cli.json", None);
    let (status, page) = f.authorize(&id, "http://127.0.0.1:7777/elsewhere").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("redirect_uri"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_cached_within_max_age() {
    let f = fixture(dev()).await;
    let id = f.good("cli.json", Some("public, max-age=60"));
    f.authorize(&id, REDIRECT).await;
    f.authorize(&id, REDIRECT).await;
    assert_eq!(f.fetches(), 1, "fresh for 60 seconds");
    f.clock.advance(61);
    f.authorize(&id, REDIRECT).await;
    assert_eq!(f.fetches(), 2, "stale after 60 seconds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_store_is_fetched_every_time_and_max_age_is_bounded() {
    let f = fixture(dev().max_cache_secs(300)).await;
    let id = f.good("nostore.json", Some("no-store"));
    assert!(f.authority.resolve_url_client(&id).await.unwrap());
    assert!(f.authority.resolve_url_client(&id).await.unwrap());
    assert_eq!(f.fetches(), 2);
    let long = f.good("long.json", Some("max-age=31536000"));
    f.authority.resolve_url_client(&long).await.unwrap();
    f.clock.advance(299);
    f.authority.resolve_url_client(&long).await.unwrap();
    assert_eq!(f.fetches(), 3, "still fresh");
    f.clock.advance(2);
    f.authority.resolve_url_client(&long).await.unwrap();
    assert_eq!(f.fetches(), 4, "the policy's bound, not a year");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_gone_bad_removes_the_client() {
    let f = fixture(dev()).await;
    let id = f.good("cli.json", Some("max-age=60"));
    f.authority.resolve_url_client(&id).await.unwrap();
    assert!(f.authority.client(&id).unwrap().is_some());
    f.serve(
        "cli.json",
        Answer::Json(
            json!({"client_id": "https://other.example/c.json", "redirect_uris": [REDIRECT]}),
            None,
        ),
    );
    f.clock.advance(61);
    assert!(f.authority.resolve_url_client(&id).await.is_err());
    assert!(f.authority.client(&id).unwrap().is_none());
    let (status, page) = f.authorize(&id, REDIRECT).await;
    assert_eq!(status, 401, "invalid_client: {page}");
    assert!(page.contains("invalid_client"), "{page}");
}

/// Each rule: the refusal, no client registered, one denied audit event.
async fn refused(f: &Fixture, id: &str, expected: CimdError) {
    let before = f.denied();
    assert_eq!(
        f.authority.resolve_url_client(id).await.unwrap_err(),
        expected,
        "{id}"
    );
    assert!(f.authority.client(id).unwrap().is_none(), "{id}");
    assert_eq!(f.denied(), before + 1, "{id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_id_must_equal_the_document_url() {
    let f = fixture(dev()).await;
    let id = f.serve(
        "a.json",
        Answer::Json(
            json!({"client_id": "https://evil.example/a.json", "redirect_uris": [REDIRECT]}),
            None,
        ),
    );
    refused(
        &f,
        &id,
        CimdError::InvalidDocument("`client_id` is not the document's URL"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_with_a_secret_is_refused() {
    let f = fixture(dev()).await;
    let base = f.doc_base.clone();
    let secret = f.serve(
        "s.json",
        Answer::Json(json!({"client_id": format!("{base}/clients/s.json"), "redirect_uris": [REDIRECT], "client_secret": "0123456789abcdef"}), None),
    );
    refused(&f, &secret, CimdError::InvalidDocument("a client secret")).await;
    let basic = f.serve(
        "b.json",
        Answer::Json(json!({"client_id": format!("{base}/clients/b.json"), "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"}), None),
    );
    refused(
        &f,
        &basic,
        CimdError::InvalidDocument("`token_endpoint_auth_method` must be none or private_key_jwt"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_over_the_size_limit_is_refused() {
    let f = fixture(dev().max_bytes(512)).await;
    let base = f.doc_base.clone();
    let big = f.serve(
        "big.json",
        Answer::Json(json!({"client_id": format!("{base}/clients/big.json"), "redirect_uris": [REDIRECT], "client_name": "x".repeat(1000)}), None),
    );
    refused(&f, &big, CimdError::TooLarge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_errors_and_non_json_are_refused() {
    let f = fixture(dev()).await;
    let moved = f.serve(
        "moved.json",
        Answer::Raw(
            StatusCode::FOUND,
            vec![("location", "https://evil.example/c.json".into())],
            Vec::new(),
        ),
    );
    refused(&f, &moved, CimdError::Fetch("status 302".into())).await;
    let missing = format!("{}/clients/missing.json", f.doc_base);
    refused(&f, &missing, CimdError::Fetch("status 404".into())).await;
    let html = f.serve(
        "page.json",
        Answer::Raw(
            StatusCode::OK,
            vec![("content-type", "text/html".into())],
            b"<html>".to_vec(),
        ),
    );
    refused(&f, &html, CimdError::InvalidDocument("not a JSON object")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_times_out() {
    let f = fixture(dev().timeout(Duration::from_millis(300))).await;
    let slow = f.serve("slow.json", Answer::Never);
    refused(&f, &slow, CimdError::Fetch("timed out".into())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_only_without_local_development() {
    let f = fixture(CimdPolicy::new()).await;
    let id = f.good("cli.json", None);
    refused(&f, &id, CimdError::InvalidUrl("the scheme must be https")).await;
    assert_eq!(f.fetches(), 0, "nothing was fetched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_and_private_addresses_are_refused_unless_configured() {
    let f = fixture(CimdPolicy::new()).await;
    for id in [
        "https://127.0.0.1:9/client.json",
        "https://localhost:9/client.json",
        "https://10.0.0.1/client.json",
        "https://169.254.169.254/latest/client.json",
        "https://[::1]:9/client.json",
    ] {
        refused(&f, id, CimdError::AddressRefused).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_client_ids_are_left_alone() {
    let f = fixture(dev()).await;
    assert!(
        !f.authority
            .resolve_url_client("plain-client")
            .await
            .unwrap()
    );
    let off = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    assert!(
        !off.resolve_url_client("https://app.example/c.json")
            .await
            .unwrap(),
        "not enabled: not a URL client id"
    );
    assert!(
        off.metadata()
            .get("client_id_metadata_document_supported")
            .is_none()
    );
}
