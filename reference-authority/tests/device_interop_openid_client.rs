//! openid-client (npm peer, pinned in peers/) runs the device authorization
//! grant (RFC 8628) against the reference authority on loopback; the test
//! approves the user code it prints, as the user would on the verification
//! page.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use reference_authority::device::DEVICE_CODE_GRANT;
use reference_authority::http::router;
use reference_authority::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_device_flow_against_the_authority() {
    let node = node_peers::node(&["openid-client"]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::public("tv")
                .grant_types([DEVICE_CODE_GRANT])
                .scopes(["openid"]),
        )
        .unwrap();
    let app = router(authority.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut child = Command::new(node)
        .arg("device-openid-client.mjs")
        .current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../peers"))
        .envs([("ISSUER", issuer.as_str()), ("CLIENT_ID", "tv")])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let first: serde_json::Value =
        serde_json::from_str(&rx.recv().await.expect("codes line")).unwrap();
    assert_eq!(
        first["device_authorization_endpoint"],
        format!("{issuer}/device_authorization")
    );
    assert!(
        first["verification_uri_complete"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{issuer}/device?user_code="))
    );
    let session = authority
        .sign_in(&Credentials::password("sarah", "correct horse battery"))
        .unwrap();
    authority
        .device_decide(&session, first["user_code"].as_str().unwrap(), true)
        .unwrap();
    let second: serde_json::Value =
        serde_json::from_str(&rx.recv().await.expect("result line")).unwrap();
    assert_eq!(second["outcome"], "approved", "{second}");
    assert_eq!(second["sub"], "user-sarah");
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    server.abort();
}
