//! The authority binary with an `[audit_log]` table: its own decisions and a
//! shipped event land in the log, served as a signed checkpoint and tiles.

use reference_authority::audit_log::{Checkpoint, LogStorage, NoteSigner, verify_storage};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

fn http(host: &str, method: &str, path: &str, headers: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

fn body(response: &str) -> &str {
    response.split("\r\n\r\n").nth(1).unwrap_or_default()
}

/// A running authority binary; killed when dropped.
struct Server {
    child: Child,
    host: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ORIGIN: &str = "authority.example/audit-log";

fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, &[11; 32]).unwrap()
}

/// Starts the binary with the audit log in `audit_database` and, if given,
/// the provider store in `database`.
fn start(
    dir: &std::path::Path,
    name: &str,
    audit_database: &str,
    database: Option<&str>,
) -> Server {
    let config = dir.join(format!("{name}.toml"));
    let store = database.map_or(String::new(), |d| format!("database = {d:?}\n"));
    std::fs::write(
        &config,
        format!(
            "{store}[audit_log]\ndatabase = {audit_database:?}\nsigning_key = {:?}\n\n[[clients]]\nclient_id = \"mcp-guard-crm\"\nclient_secret = \"shipper-secret-0123456789\"\ngrant_types = [\"client_credentials\"]\nscopes = [\"audit:write\"]\n",
            signer().private_key().as_str(),
        ),
    )
    .unwrap();
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
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let host = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("the binary did not start: {line:?}"))
        .to_owned();
    Server { child, host }
}

impl Server {
    /// Ships one event with a client-credentials token of this instance.
    fn ship(&self, event_id: &str) {
        let token = http(
            &self.host,
            "POST",
            "/token",
            "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: Basic bWNwLWd1YXJkLWNybTpzaGlwcGVyLXNlY3JldC0wMTIzNDU2Nzg5\r\n",
            "grant_type=client_credentials&scope=audit%3Awrite",
        );
        let token: serde_json::Value = serde_json::from_str(body(&token)).unwrap();
        let token = token["access_token"].as_str().unwrap();
        let shipped = http(
            &self.host,
            "POST",
            "/audit-log/events",
            &format!("Content-Type: application/json\r\nAuthorization: Bearer {token}\r\n"),
            &format!(
                r#"[{{"time":1750000000,"action":"authorization_decision","outcome":"denied","id":"{event_id}","agent":"sales-agent-prod-001","target":"pricing://executive-discounts","reason":"fga_denied"}}]"#
            ),
        );
        assert!(shipped.starts_with("HTTP/1.1 200"), "{shipped}");
    }

    fn checkpoint(&self) -> String {
        body(&http(&self.host, "GET", "/audit-log/checkpoint", "", "")).to_owned()
    }
}

#[test]
fn binary_records_its_decisions_and_shipped_events_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("audit.sqlite");
    let server = start(dir.path(), "authority", database.to_str().unwrap(), None);
    server.ship("evt-1");
    let note = server.checkpoint();
    let key = signer().verifier();
    let checkpoint = Checkpoint::open(&note, &key, ORIGIN).unwrap();
    // The token issue (the authority's own decision) and the shipped event.
    assert_eq!(checkpoint.size, 2);
    drop(server);
    let report =
        verify_storage(&LogStorage::open(&database).unwrap(), &key, ORIGIN, &[note]).unwrap();
    assert_eq!(report.entries, 2);
}

/// Two binaries on one PostgreSQL database (provider store and audit log):
/// each logs its decisions into the one log, an event shipped to both is
/// logged once, and both serve the same checkpoint.
#[cfg(feature = "postgres")]
#[test]
fn two_binaries_share_one_audit_log_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let db = pg_store::testing::fresh_database("audit_binaries")
        .unwrap()
        .expect("PostgreSQL server binaries");
    let url = db.url();
    let a = start(dir.path(), "a", &url, Some(&url));
    let b = start(dir.path(), "b", &url, Some(&url));
    a.ship("evt-1");
    b.ship("evt-1");
    // Two token issues and the shipped event once.
    let note = a.checkpoint();
    assert_eq!(note, b.checkpoint());
    let key = signer().verifier();
    assert_eq!(Checkpoint::open(&note, &key, ORIGIN).unwrap().size, 3);
    let storage = reference_authority::audit_log::PgLogStorage::connect(&url).unwrap();
    assert_eq!(
        verify_storage(&storage, &key, ORIGIN, &[note])
            .unwrap()
            .entries,
        3
    );
}
