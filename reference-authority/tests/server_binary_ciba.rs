//! The reference-authority binary with CIBA mounted from its TOML file: our
//! client sends a signed request with a user code, the person approves on the
//! approval page whose URL the binary prints, and the client polls the token,
//! all through the binary's HTTP face.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::jwks::RemoteJwks;
use agent_auth::validate::{IdToken, Validator};
use ciba_client::{AuthenticationRequest, CibaClient, ClientAuth, DeliveryMode, Hint};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

const SECRET: &str = "agent-secret-0123456789";
const CODE: &str = "4711-blue-heron";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary; its standard output lines arrive on the channel.
fn start(config: &std::path::Path) -> (Server, mpsc::UnboundedReceiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-authority"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (Server(child), rx)
}

async fn line(rx: &mut mpsc::UnboundedReceiver<String>, what: &str) -> String {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .unwrap_or_else(|| panic!("the server exited before {what}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_mode_approval_through_the_binary() {
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [key.verifying_key().to_jwk().unwrap()]}).to_string();
    let dir = std::env::temp_dir().join(format!("reference-authority-ciba-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("authority.toml");
    std::fs::write(
        &config,
        format!(
            r#"[ciba]
interval = 1
user_code_max_failures = 3
user_code_lockout_secs = 600
device = {{ kind = "page" }}

[[users]]
username = "sarah"
password = "correct horse battery"
id = "user-sarah"
user_code = "{CODE}"

[[clients]]
client_id = "sales-agent"
client_secret = "{SECRET}"
grant_types = []
scopes = ["openid", "email:send"]

[clients.ciba]
mode = "poll"
request_signing_alg = "ES256"
request_jwks = '{jwks}'
user_code = true

[[clients]]
client_id = "ping-agent"
client_secret = "{SECRET}"
scopes = ["openid"]

[clients.ciba]
mode = "ping"
notification_endpoint = "https://agent.example/ciba/notify"
"#
        ),
    )
    .unwrap();
    let (_server, mut out) = start(&config);
    let first = line(&mut out, "the listening line").await;
    let issuer = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_owned();

    let meta = CibaClient::discover_metadata(&issuer).await.unwrap();
    assert!(meta.user_code_supported);
    let id_tokens = Validator::<IdToken>::builder(RemoteJwks::new(&meta.jwks_uri).unwrap())
        .issuer(issuer.clone())
        .audience("sales-agent")
        .build();
    let client = CibaClient::builder(
        meta.endpoints.clone(),
        ClientAuth::secret_basic("sales-agent", SECRET),
    )
    .mode(DeliveryMode::Poll)
    .sign_requests(key)
    .provider_metadata(&meta)
    .id_token_validator(id_tokens)
    .build();
    let request = AuthenticationRequest::new(Hint::LoginHint("sarah".into()))
        .scope(["email:send"])
        .binding_message("Acme Corp - 450,000 EUR")
        .user_code(CODE);

    // A wrong user code is refused by the binary's OP.
    let refused = client
        .start(request.clone().user_code("wrong"))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ciba_client::CibaError::Refused { code, .. } if code == "invalid_user_code"),
        "{refused:?}"
    );

    let pending = client.start(request).await.unwrap();
    assert_eq!(pending.interval(), 1);
    let printed = line(&mut out, "the approval page URL").await;
    let page = printed
        .strip_prefix("approve user-sarah at ")
        .unwrap_or_else(|| panic!("unexpected line: {printed:?}"))
        .to_owned();
    assert!(page.starts_with(&format!("{issuer}/ciba/approve/")));

    // The link alone shows nothing: Sarah signs in on the page first.
    let http = reqwest::Client::new();
    let shown = http.get(&page).send().await.unwrap();
    assert_eq!(shown.status(), 401);
    let signed_in = http
        .post(&page)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=sarah&password=correct+horse+battery")
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        signed_in
            .text()
            .await
            .unwrap()
            .contains("Acme Corp - 450,000 EUR")
    );
    let decided = http
        .post(&page)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body("decision=approve")
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 200);

    let outcome = tokio::time::timeout(Duration::from_secs(20), pending.wait())
        .await
        .expect("the approval completes");
    let tokens = outcome.approved().expect("approved");
    assert_eq!(tokens.scope, ["openid", "email:send"]);
    assert_eq!(
        tokens.id_token_claims.as_ref().unwrap().sub.as_deref(),
        Some("user-sarah")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
