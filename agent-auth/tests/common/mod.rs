//! Shared helpers of the interop tests: locating Node and the pinned peers, and
//! serving an authority on an ephemeral loopback port.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The `peers/` folder with the pinned npm packages.
pub(crate) fn peers_dir() -> PathBuf {
    node_peers::dir()
}

/// The Node binary, failing loudly when it or the packages are missing.
pub(crate) fn node() -> PathBuf {
    node_peers::node(&["openid-client", "oidc-provider", "jose"])
}

/// Runs a script of `peers/` to completion with environment `env`; returns its
/// stdout parsed as JSON. Panics with the script's stderr if it fails.
pub(crate) async fn run_script(script: &str, env: Vec<(String, String)>) -> serde_json::Value {
    let node = node();
    let dir = peers_dir();
    let script = script.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(node)
            .arg(&script)
            .current_dir(dir)
            .envs(env)
            .output()
            .expect("start node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "peer script failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        output.status
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("peer output is not JSON ({e}): {stdout}\nstderr: {stderr}"))
}

/// Binds an ephemeral loopback port; returns the listener and its base URL.
pub(crate) async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, format!("http://{addr}"))
}

/// The `Authorization` value of an SSF receiver's stream management calls:
/// a client credentials access token with the `ssf` scope from `issuer`.
#[cfg(all(feature = "signals", feature = "http"))]
pub(crate) async fn ssf_authorization(
    http: &agent_auth::oauth::HttpClient,
    issuer: &str,
    client: &str,
    secret: &str,
) -> agent_auth::secret::SecretString {
    use agent_auth::oauth::{ClientAuth, Form, TokenEndpoint};
    let token = TokenEndpoint::with_http(
        http.clone(),
        format!("{issuer}/token"),
        ClientAuth::basic(client, secret),
    )
    .unwrap()
    .request(
        Form::new()
            .with("grant_type", "client_credentials")
            .with("scope", "ssf"),
    )
    .await
    .unwrap();
    agent_auth::secret::SecretString::new(format!("Bearer {}", token.access_token.expose_secret()))
}

/// A long-running peer process, killed when dropped.
pub(crate) struct Peer {
    child: std::process::Child,
    /// The JSON line the script printed when ready.
    pub(crate) ready: serde_json::Value,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server script of `peers/` and waits for its first stdout line (JSON).
pub(crate) async fn spawn_script(script: &str, env: Vec<(String, String)>) -> Peer {
    use std::io::BufRead;
    let node = node();
    let dir = peers_dir();
    let script = script.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(node)
            .arg(&script)
            .current_dir(dir)
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let mut reader = std::io::BufReader::new(stdout);
        reader.read_line(&mut line).expect("read the ready line");
        // Keep draining the script's stdout, so that its later writes never fail.
        std::thread::spawn(move || {
            for l in reader.lines().map_while(Result::ok) {
                eprintln!("[peer] {l}");
            }
        });
        let ready = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{script} did not start ({e}): {line:?}"));
        Peer { child, ready }
    })
    .await
    .unwrap()
}

/// Plays a browser: follows redirects from `url` (keeping cookies per origin in
/// `jar`) until one points at `stop_prefix`; returns that URL's query.
pub(crate) async fn browse_until(
    http: &reqwest::Client,
    jar: &mut std::collections::BTreeMap<String, String>,
    url: &str,
    stop_prefix: &str,
) -> String {
    let mut current = url.to_owned();
    for _ in 0..15 {
        if let Some(rest) = current.strip_prefix(stop_prefix) {
            return rest
                .split_once('?')
                .map(|(_, q)| q.to_owned())
                .unwrap_or_default();
        }
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = http
            .get(&current)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty()
                    || text
                        .to_ascii_lowercase()
                        .contains("expires=thu, 01 jan 1970")
                {
                    jar.remove(k);
                } else {
                    jar.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("no redirect from {current} ({status})"))
            .to_str()
            .unwrap()
            .to_owned();
        current = url::Url::parse(&current)
            .unwrap()
            .join(&location)
            .unwrap()
            .to_string();
    }
    panic!("too many redirects");
}
