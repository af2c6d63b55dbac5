//! Our device flow client (RFC 8628, `agent_auth::oauth::DeviceFlow`) against
//! oidc-provider 9.13.3 (`features.deviceFlow`): the test plays the user's
//! browser on oidc-provider's own verification pages (`/device`: enter the
//! user code, confirm it, log in), while the client polls. The sleeper returns
//! at once, except that it holds the second poll until the browser is done,
//! so the first poll sees `authorization_pending` and nothing sleeps.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::oauth::{
    AuthorizationServerMetadata, ClientAuth, DeviceAuthorization, DeviceFlow, DeviceFlowError,
    Form, HttpClient, Sleeper, TokenEndpoint,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Records the waits; the second one signals `reached` and waits for `open`.
#[derive(Debug)]
struct Gate {
    waits: Mutex<Vec<u64>>,
    reached: Mutex<Option<oneshot::Sender<()>>>,
    open: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
}

#[async_trait::async_trait]
impl Sleeper for Gate {
    async fn sleep(&self, seconds: u64) {
        let n = {
            let mut waits = self.waits.lock().unwrap();
            waits.push(seconds);
            waits.len()
        };
        if n == 2 {
            if let Some(reached) = self.reached.lock().unwrap().take() {
                let _ = reached.send(());
            }
            if let Some(open) = self.open.lock().await.take() {
                open.await.unwrap();
            }
        }
    }
}

/// A browser: cookies kept by name, redirects followed by hand.
struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (k, v) = text.split(';').next().unwrap().split_once('=').unwrap();
            if v.is_empty()
                || text
                    .to_ascii_lowercase()
                    .contains("expires=thu, 01 jan 1970")
            {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    fn cookie(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Sends `request`, then follows redirects with GET until a page; returns
    /// its status and body.
    async fn open(
        &mut self,
        mut request: reqwest::RequestBuilder,
        mut url: String,
    ) -> (u16, String) {
        for _ in 0..10 {
            let response = request
                .header("cookie", self.cookie())
                .send()
                .await
                .unwrap();
            self.keep(&response);
            match response.headers().get("location") {
                Some(location) if response.status().is_redirection() => {
                    url = url::Url::parse(&url)
                        .unwrap()
                        .join(location.to_str().unwrap())
                        .unwrap()
                        .to_string();
                    request = self.http.get(&url);
                }
                _ => {
                    let status = response.status().as_u16();
                    return (status, response.text().await.unwrap());
                }
            }
        }
        panic!("too many redirects");
    }

    async fn get(&mut self, url: &str) -> (u16, String) {
        let request = self.http.get(url);
        self.open(request, url.to_owned()).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> (u16, String) {
        let request = self.http.post(url).form(form);
        self.open(request, url.to_owned()).await
    }
}

/// The value of hidden field `name` in a page.
fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no field {name} in {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// What the user does on the verification pages: enter the code, then
/// confirm it (or abort), then log in (the peer's headless interaction).
async fn verify(auth: &DeviceAuthorization, confirm: bool) -> String {
    let mut browser = Browser::new();
    let (status, page) = browser.get(&auth.verification_uri).await;
    assert_eq!(status, 200, "{page}");
    let xsrf = field(&page, "xsrf");
    let (status, page) = browser
        .post(
            &auth.verification_uri,
            &[("xsrf", &xsrf), ("user_code", &auth.user_code)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Device agent"),
        "the confirm page names the client: {page}"
    );
    let xsrf = field(&page, "xsrf");
    let decision = if confirm {
        ("confirm", "yes")
    } else {
        ("abort", "yes")
    };
    let (status, page) = browser
        .post(
            &auth.verification_uri,
            &[("xsrf", &xsrf), ("user_code", &auth.user_code), decision],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page
}

async fn peer() -> (common::Peer, AuthorizationServerMetadata) {
    let agent_key = SigningKey::generate(Algorithm::Es256).unwrap();
    let agent_jwks = serde_json::json!({"keys": [agent_key.verifying_key().to_jwk().unwrap()]});
    let peer = common::spawn_script(
        "oidc-provider-server.mjs",
        [
            ("RP_REDIRECT_URI", "http://127.0.0.1:9/rp/callback"),
            ("RP_SECRET", "rp-secret-0123456789-abcdefghij"),
            ("AGENT_JWKS", agent_jwks.to_string().as_str()),
            ("ACCOUNT", "user-42"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    )
    .await;
    let issuer = peer.ready["issuer"].as_str().unwrap().to_owned();
    let metadata = AuthorizationServerMetadata::discover(&HttpClient::new().unwrap(), &issuer)
        .await
        .unwrap();
    (peer, metadata)
}

fn flow(metadata: &AuthorizationServerMetadata, gate: Arc<Gate>) -> DeviceFlow {
    let device = metadata.extra["device_authorization_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = TokenEndpoint::new(
        metadata.token_endpoint.clone().unwrap(),
        ClientAuth::public("device"),
    )
    .unwrap();
    DeviceFlow::new(device, token).sleeper(gate)
}

fn gate() -> (Arc<Gate>, oneshot::Receiver<()>, oneshot::Sender<()>) {
    let (reached_tx, reached_rx) = oneshot::channel();
    let (open_tx, open_rx) = oneshot::channel();
    let gate = Arc::new(Gate {
        waits: Mutex::new(Vec::new()),
        reached: Mutex::new(Some(reached_tx)),
        open: tokio::sync::Mutex::new(Some(open_rx)),
    });
    (gate, reached_rx, open_tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_flow_client_against_oidc_provider_approved() {
    let (_peer, metadata) = peer().await;
    let (gate, reached, open) = gate();
    let flow = flow(&metadata, gate.clone());
    let auth = flow
        .start(Form::new().with("scope", "openid offline_access"))
        .await
        .unwrap();
    assert!(auth.verification_uri.ends_with("/device"));
    assert!(
        auth.verification_uri_complete
            .as_deref()
            .unwrap()
            .contains("user_code=")
    );
    let polling = tokio::spawn({
        let flow = flow.clone();
        let auth = auth.clone();
        async move { flow.poll(&auth).await }
    });
    // The first poll was answered `authorization_pending`.
    reached.await.unwrap();
    let page = verify(&auth, true).await;
    assert!(page.contains("Sign-in Success"), "{page}");
    open.send(()).unwrap();
    let tokens = polling.await.unwrap().unwrap();
    assert!(tokens.id_token.is_some(), "openid scope: an ID token");
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access: a refresh token"
    );
    // Both waits were oidc-provider's interval (5 s by default).
    assert_eq!(*gate.waits.lock().unwrap(), [auth.interval, auth.interval]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_flow_client_against_oidc_provider_user_aborts() {
    let (_peer, metadata) = peer().await;
    let (gate, reached, open) = gate();
    let flow = flow(&metadata, gate);
    let auth = flow
        .start(Form::new().with("scope", "openid"))
        .await
        .unwrap();
    let polling = tokio::spawn({
        let flow = flow.clone();
        let auth = auth.clone();
        async move { flow.poll(&auth).await }
    });
    reached.await.unwrap();
    let page = verify(&auth, false).await;
    assert!(page.contains("interrupted"), "{page}");
    open.send(()).unwrap();
    assert_eq!(polling.await.unwrap().unwrap_err(), DeviceFlowError::Denied);
}
