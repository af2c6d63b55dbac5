//! Our reference CIBA OP driven by openid-client 6.8.9
//! (`initiateBackchannelAuthentication`, `pollBackchannelAuthenticationGrant`):
//! approved, denied and expired requests; a signed request issued by its JAR
//! helper, with a user code, approved, and its replay refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use ciba_client::DeliveryMode;
use reference_authority::ciba::Approval;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_approve_deny_expire() {
    let node = common::node();
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let op = s.op.clone();
    let mut device = std::mem::replace(&mut s.device, tokio::sync::mpsc::unbounded_channel().1);
    let decider = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(ask) = device.recv().await {
            let message = ask.binding_message.clone().unwrap_or_default();
            match message.as_str() {
                "approve" => op.approve(&ask.approval_id, Approval::all()).await.unwrap(),
                "deny" => op.deny(&ask.approval_id).await.unwrap(),
                _ => {}
            }
            seen.push(message);
            if seen.len() == 3 {
                break;
            }
        }
        seen
    });
    let issuer = s.issuer.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(node)
            .arg("ciba-openid-client.mjs")
            .current_dir(common::peers_dir())
            .envs([
                ("ISSUER", issuer.as_str()),
                ("CLIENT_ID", "sales-agent"),
                ("CLIENT_SECRET", common::SECRET),
                ("LOGIN_HINT", "sarah"),
            ])
            .output()
            .expect("start node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "peer failed:\n{stdout}\n{stderr}");
    let out: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(decider.await.unwrap(), ["approve", "deny", "expire"]);

    assert_eq!(
        out["backchannel_endpoint"],
        format!("{}/bc-authorize", s.issuer)
    );
    assert_eq!(out["approve"]["outcome"], "approved", "{out}");
    assert_eq!(out["approve"]["scope"], "openid email:send crm:update");
    assert_eq!(out["approve"]["sub"], "user-sarah");
    assert_eq!(out["approve"]["authorization_details"][0]["amount"], 450000);
    assert_eq!(out["deny"]["error"], "access_denied", "{out}");
    assert_eq!(out["expire"]["expires_in"], 2);
    assert_eq!(out["expire"]["error"], "expired_token", "{out}");
    s.server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_signed_request_with_user_code() {
    use agent_auth::jose::{Algorithm, SigningKey};
    use reference_authority::ciba::ClientSettings;
    const CODE: &str = "4711-blue-heron";
    let node = common::node();
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [key.verifying_key().to_jwk().unwrap()]});
    s.op.register(
        "sales-agent",
        ClientSettings::poll()
            .request_signing_alg(Algorithm::Es256)
            .request_jwks(jwks.to_string())
            .user_code(),
    )
    .unwrap();
    s.op.set_user_code("user-sarah", CODE).unwrap();
    let op = s.op.clone();
    let mut device = std::mem::replace(&mut s.device, tokio::sync::mpsc::unbounded_channel().1);
    let decider = tokio::spawn(async move {
        let ask = device.recv().await.unwrap();
        op.approve(&ask.approval_id, Approval::all()).await.unwrap();
        ask.binding_message
    });
    let issuer = s.issuer.clone();
    let pem = key.to_pkcs8_pem().unwrap();
    let kid = key.kid().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(node)
            .arg("ciba-signed-openid-client.mjs")
            .current_dir(common::peers_dir())
            .envs([
                ("ISSUER", issuer.as_str()),
                ("CLIENT_ID", "sales-agent"),
                ("CLIENT_SECRET", common::SECRET),
                ("LOGIN_HINT", "sarah"),
                ("USER_CODE", CODE),
                ("PRIVATE_KEY_PEM", pem.expose_secret()),
                ("KID", kid.as_str()),
            ])
            .output()
            .expect("start node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "peer failed:\n{stdout}\n{stderr}");
    let out: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(decider.await.unwrap().as_deref(), Some("signed"));
    assert_eq!(out["outcome"], "approved", "{out}");
    assert_eq!(out["scope"], "openid email:send");
    assert_eq!(out["sub"], "user-sarah");
    assert_eq!(out["replay"], "invalid_request_object", "{out}");
    s.server.abort();
}
