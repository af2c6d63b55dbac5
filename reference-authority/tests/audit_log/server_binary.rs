//! The authority binary with an `[audit_log]` table: its own decisions and a
//! shipped event land in the log, served as a signed checkpoint and tiles.

use reference_authority::audit_log::{Checkpoint, LogStorage, NoteSigner, verify_storage};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

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

#[test]
fn binary_records_its_decisions_and_shipped_events_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let signer = NoteSigner::from_seed("authority.example/audit-log", &[11; 32]).unwrap();
    let database = dir.path().join("audit.sqlite");
    let config = dir.path().join("authority.toml");
    std::fs::write(
        &config,
        format!(
            "[audit_log]\ndatabase = {:?}\nsigning_key = {:?}\n\n[[clients]]\nclient_id = \"mcp-guard-crm\"\nclient_secret = \"shipper-secret-0123456789\"\ngrant_types = [\"client_credentials\"]\nscopes = [\"audit:write\"]\n",
            database.to_str().unwrap(),
            signer.private_key().as_str(),
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
    let issuer = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let host = issuer.strip_prefix("http://").unwrap().to_owned();

    let token = http(
        &host,
        "POST",
        "/token",
        "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: Basic bWNwLWd1YXJkLWNybTpzaGlwcGVyLXNlY3JldC0wMTIzNDU2Nzg5\r\n",
        "grant_type=client_credentials&scope=audit%3Awrite",
    );
    let token: serde_json::Value = serde_json::from_str(body(&token)).unwrap();
    let token = token["access_token"].as_str().unwrap();
    let shipped = http(
        &host,
        "POST",
        "/audit-log/events",
        &format!("Content-Type: application/json\r\nAuthorization: Bearer {token}\r\n"),
        r#"[{"time":1750000000,"action":"authorization_decision","outcome":"denied","id":"evt-1","agent":"sales-agent-prod-001","target":"pricing://executive-discounts","reason":"fga_denied"}]"#,
    );
    assert!(shipped.starts_with("HTTP/1.1 200"), "{shipped}");
    let note = body(&http(&host, "GET", "/audit-log/checkpoint", "", "")).to_owned();
    let key = signer.verifier();
    let checkpoint = Checkpoint::open(&note, &key, "authority.example/audit-log").unwrap();
    // The token issue (the authority's own decision) and the shipped event.
    assert_eq!(checkpoint.size, 2);
    let _ = child.kill();
    let _ = child.wait();
    let report = verify_storage(
        &LogStorage::open(&database).unwrap(),
        &key,
        "authority.example/audit-log",
        &[note],
    )
    .unwrap();
    assert_eq!(report.entries, 2);
}
