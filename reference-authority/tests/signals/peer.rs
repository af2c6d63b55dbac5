//! oidc-provider as the third-party provider behind the token vault
//! (`peers/token-vault-provider.mjs`), driven one command line at a time.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The running peer.
pub(crate) struct Peer {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Its issuer URL on loopback.
    pub(crate) issuer: String,
}

impl Peer {
    /// Starts the provider with one confidential client; fails loudly when
    /// Node or the pinned packages are missing.
    pub(crate) async fn token_vault_provider(redirect: &str, client: &str, secret: &str) -> Self {
        let mut child = Command::new(node_peers::node(&["oidc-provider"]))
            .arg("token-vault-provider.mjs")
            .current_dir(node_peers::dir())
            .env("REDIRECT_URI", redirect)
            .env("CLIENT_ID", client)
            .env("CLIENT_SECRET", secret)
            .env("USER_LOGIN", "user-at-provider")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the provider peer starts");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut peer = Self {
            child,
            stdin,
            lines,
            issuer: String::new(),
        };
        let first = peer.answer().await;
        peer.issuer = first
            .strip_prefix("ISSUER ")
            .expect("the peer announces its issuer")
            .to_owned();
        peer
    }

    /// Sends one command; returns its answer line.
    pub(crate) async fn ask(&mut self, line: &str) -> String {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
        self.answer().await
    }

    /// The next protocol line (oidc-provider's own notices skipped).
    async fn answer(&mut self) -> String {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
                .await
                .expect("the peer answers in time")
                .unwrap()
                .expect("the peer is running");
            assert!(!line.starts_with("ERROR"), "peer: {line}");
            if !line.starts_with("oidc-provider ") {
                return line;
            }
        }
    }

    /// Stops the peer.
    pub(crate) async fn stop(mut self) {
        drop(self.stdin);
        let _ = self.child.kill().await;
    }
}
