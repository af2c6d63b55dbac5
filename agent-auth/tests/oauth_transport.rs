//! The OAuth core's HTTP policy against a real loopback server, through the
//! default reqwest transport and through a caller's own `reqwest::Client`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use agent_auth::oauth::{HttpClient, HttpError, HttpPolicy, HttpRequest};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Answers by path: `/start` redirects to `/end`, `/big` sends 10 KiB,
/// `/hang` never answers, anything else is `{}`.
async fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream));
        }
    });
    format!("http://{addr}")
}

async fn answer(mut stream: TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
    let (status, extra, body) = match path.as_str() {
        "/start" => ("302 Found", "Location: /end\r\n", String::new()),
        "/big" => ("200 OK", "", "a".repeat(10 * 1024)),
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        _ => ("200 OK", "", "{}".to_owned()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}

fn get(url: &str) -> HttpRequest {
    HttpRequest::get(url, "application/json").unwrap()
}

#[tokio::test]
async fn default_transport_refuses_a_redirect() {
    let base = serve().await;
    let err = HttpClient::new()
        .unwrap()
        .send(get(&format!("{base}/start")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, HttpError::RedirectRefused { status: 302, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirect_followed_by_a_callers_own_client_is_refused() {
    let base = serve().await;
    // reqwest's default client follows redirects; the policy still refuses.
    let http = HttpClient::with_reqwest(reqwest::Client::new());
    let err = http.send(get(&format!("{base}/start"))).await.unwrap_err();
    assert!(matches!(err, HttpError::RedirectRefused { .. }), "{err:?}");
    let ok = http.send(get(&format!("{base}/end"))).await.unwrap();
    assert_eq!(ok.body(), b"{}");
}

#[tokio::test]
async fn body_over_the_cap_is_refused_while_reading() {
    let base = serve().await;
    let http = HttpClient::new()
        .unwrap()
        .policy(HttpPolicy::new(Duration::from_secs(10), 1024));
    let err = http.send(get(&format!("{base}/big"))).await.unwrap_err();
    assert!(
        matches!(err, HttpError::BodyTooLarge { limit: 1024, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let base = serve().await;
    let http = HttpClient::new()
        .unwrap()
        .policy(HttpPolicy::new(Duration::from_millis(300), 1024));
    let err = http.send(get(&format!("{base}/hang"))).await.unwrap_err();
    assert!(matches!(err, HttpError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error_with_its_cause() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = HttpClient::new()
        .unwrap()
        .send(get(&format!("http://{addr}/x")))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Connect { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(err.to_string(), "connecting to 127.0.0.1 failed");
}

#[tokio::test]
async fn localhost_in_capitals_is_loopback_and_reachable() {
    let base = serve().await.replace("127.0.0.1", "LOCALHOST");
    let ok = HttpClient::new()
        .unwrap()
        .send(get(&format!("{base}/ok")))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
