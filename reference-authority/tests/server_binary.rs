//! The reference-authority binary starts from a TOML file, serves discovery,
//! and keeps its state in SQLite across a restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::TcpStream;

#[path = "common/binary.rs"]
mod binary;
use binary::{start, start_at};

/// A plain HTTP/1.1 request; returns the response text.
fn request(issuer: &str, method: &str, path: &str, body: &str, auth: Option<&str>) -> String {
    let host = issuer.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{auth}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serves_from_a_config_file_and_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("reference-authority-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("authority.sqlite");
    let config = dir.join("authority.toml");
    std::fs::write(
        &config,
        format!(
            r#"database = "{}"

[[users]]
username = "sarah"
password = "correct horse battery"

[[clients]]
client_id = "agent"
client_secret = "agent-secret-0123456789"
grant_types = ["client_credentials"]
scopes = ["reports:read"]
"#,
            db.display()
        ),
    )
    .unwrap();
    let basic = "Basic YWdlbnQ6YWdlbnQtc2VjcmV0LTAxMjM0NTY3ODk="; // agent:agent-secret-0123456789
    let first = start(&config);
    let discovery = request(
        &first.issuer,
        "GET",
        "/.well-known/openid-configuration",
        "",
        None,
    );
    assert!(discovery.starts_with("HTTP/1.1 200"), "{discovery}");
    assert!(discovery.contains(&format!("\"issuer\":\"{}\"", first.issuer)));
    let jwks_before = request(&first.issuer, "GET", "/jwks", "", None);
    let token = request(
        &first.issuer,
        "POST",
        "/token",
        "grant_type=client_credentials",
        Some(basic),
    );
    assert!(token.starts_with("HTTP/1.1 200"), "{token}");
    assert!(token.contains("\"scope\":\"reports:read\""));
    drop(first);

    // Restarted on the same database: same signing key, same client.
    let second = start(&config);
    let jwks_after = request(&second.issuer, "GET", "/jwks", "", None);
    let keys = |r: &str| r.split("\r\n\r\n").nth(1).unwrap().to_owned();
    assert_eq!(keys(&jwks_before), keys(&jwks_after));
    let token = request(
        &second.issuer,
        "POST",
        "/token",
        "grant_type=client_credentials",
        Some(basic),
    );
    assert!(token.starts_with("HTTP/1.1 200"), "{token}");
    drop(second);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An issuer with a path: the endpoints live under the path, and the
/// metadata documents at the host root with the path inserted after the
/// well-known name (RFC 8414 section 3.1, SSF 1.0 section 7.2).
#[test]
fn an_issuer_with_a_path_serves_path_inserted_metadata() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("http://127.0.0.1:{port}");
    let issuer = format!("{host}/tenant-a");
    let dir = std::env::temp_dir().join(format!("reference-authority-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("authority.toml");
    std::fs::write(&config, format!("issuer = \"{issuer}\"\n")).unwrap();
    let server = start_at(&config, &format!("127.0.0.1:{port}"));
    assert_eq!(server.issuer, issuer);
    let get = |path: &str| request(&host, "GET", path, "", None);
    for path in [
        "/.well-known/oauth-authorization-server/tenant-a",
        "/.well-known/ssf-configuration/tenant-a",
    ] {
        let answer = get(path);
        assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
        assert!(
            answer.contains(&format!("\"issuer\":\"{issuer}\"")),
            "{path}: {answer}"
        );
    }
    let ssf = get("/.well-known/ssf-configuration/tenant-a");
    assert!(ssf.contains(&format!(
        "\"configuration_endpoint\":\"{issuer}/ssf/stream\""
    )));
    // The endpoints answer under the issuer's path, not at the host root.
    assert!(get("/tenant-a/jwks").starts_with("HTTP/1.1 200"));
    assert!(get("/jwks").starts_with("HTTP/1.1 404"));
    // Metadata at the issuer-relative spot of an issuer without a path is not served.
    assert!(get("/tenant-a/.well-known/ssf-configuration").starts_with("HTTP/1.1 404"));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
