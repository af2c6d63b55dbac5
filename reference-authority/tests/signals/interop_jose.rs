//! An independent verifier of our SETs: jose 6.2.17 (npm, peers/) checks the
//! `session-revoked` SETs of a kill switch against the JWK Set the authority
//! serves, with `typ`, `iss` and `aud`; a tampered SET is refused by it.

use crate::support::*;
use reference_authority::kill_switch::{LogoutRequest, Target};
use reference_authority::signals::types;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

fn jose_verify(f: &Fixture, sets: &[String]) -> Vec<Value> {
    let node = node_peers::node(&["jose"]);
    // The peer script sits beside the pinned packages, in this checkout's peers/.
    let peers = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../peers");
    let mut child = Command::new(node)
        .arg(peers.join("ssf-set-jose.mjs"))
        .current_dir(&peers)
        .env("JWKS_URI", f.url("/jwks"))
        .env("ISSUER", &f.base)
        .env("AUDIENCE", RECEIVER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sets.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the jose peer failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn jose_verifies_the_kill_switch_sets_and_refuses_a_tampered_one() {
    let f = fixture().await;
    let r = Receiver::start(202).await;
    f.push_stream(&r.url, &[types::SESSION_REVOKED]).await;
    f.user_tokens(AGENT, "user-sarah");
    f.kill
        .fire(&LogoutRequest::new(
            Target::UserAgent {
                user: "user-sarah".into(),
                agent: AGENT.into(),
            },
            "peer check",
        ))
        .await
        .unwrap();
    let mut sets: Vec<String> = r.pushes().into_iter().map(|p| p.set).collect();
    assert_eq!(sets.len(), 1);
    // The same SET with its payload swapped for another subject: the signature breaks.
    let parts: Vec<&str> = sets[0].split('.').collect();
    let forged_payload = agent_auth::jose::base64url::encode(
        json!({"iss": f.base, "aud": RECEIVER, "iat": NOW, "jti": "forged", "events": {types::SESSION_REVOKED: {}},
               "sub_id": {"format": "iss_sub", "iss": f.base, "sub": "user-bob"}})
        .to_string(),
    );
    sets.push(format!("{}.{}.{}", parts[0], forged_payload, parts[2]));
    let results = tokio::task::block_in_place(|| jose_verify(&f, &sets));
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ok"], true, "{}", results[0]);
    assert_eq!(results[0]["header"]["typ"], "secevent+jwt");
    let payload = &results[0]["payload"];
    assert!(payload.get("sub").is_none() && payload.get("exp").is_none());
    assert_eq!(payload["sub_id"]["user"]["sub"], "user-sarah");
    assert!(payload["events"][types::SESSION_REVOKED].is_object());
    assert_eq!(results[1]["ok"], false);
    assert_eq!(results[1]["error"], "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
}
