//! The CIBA approval page is a capability URL that may leak (it travels
//! through a device channel): a decision there needs the asked person's SSO
//! session, and the ID token's `auth_time` is when they authenticated.

use super::{NOW, Served, serve_merged};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::jose::base64url;
use reference_authority::ciba::{ChannelDevice, CibaOp};
use reference_authority::*;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

const SECRET: &str = "agent-secret-0123456789";

struct Ciba {
    s: Served,
    op: CibaOp,
    device: UnboundedReceiver<ciba::ApprovalRequest>,
}

async fn ciba() -> Ciba {
    let channel = ChannelDevice::new();
    let device = channel.take_receiver().unwrap();
    let mut op = None;
    let s = serve_merged(|authority| {
        let installed = CibaOp::install(authority, Arc::new(channel));
        let router = installed.router();
        op = Some(installed);
        router
    })
    .await;
    let op = op.unwrap();
    for (name, id) in [("sarah", "user-sarah"), ("bob", "user-bob")] {
        s.authority
            .register_user(
                UserSpec::new(name)
                    .id(id)
                    .password(format!("{name}-password-0123")),
            )
            .unwrap();
    }
    s.authority
        .register_client(
            ClientSpec::confidential("sales-agent", SECRET)
                .grant_types([ciba_client::GRANT_TYPE])
                .scopes(["openid", "email:send"]),
        )
        .unwrap();
    op.register_client("sales-agent", ciba_client::DeliveryMode::Poll, None)
        .unwrap();
    Ciba { s, op, device }
}

impl Ciba {
    /// A request for Sarah; returns the auth_req_id and the approval page URL.
    async fn ask_sarah(&mut self) -> (String, String, String) {
        let params = Params::from_pairs([
            ("scope", "openid email:send"),
            ("login_hint", "sarah"),
            ("binding_message", "Acme 450k"),
        ]);
        let started = self
            .op
            .backchannel_authentication(&TokenRequest::new(params).basic("sales-agent", SECRET))
            .await
            .unwrap();
        let ask = self.device.recv().await.unwrap();
        let id = started.to_json()["auth_req_id"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, ask.approval_id.clone(), ask.approval_url.unwrap())
    }

    async fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.s.http.post(url).form(form);
        if let Some(c) = cookie {
            request = request.header("cookie", c);
        }
        request.send().await.unwrap()
    }
}

fn cookie_of(response: &reqwest::Response) -> String {
    let set = response.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_leaked_approval_link_alone_neither_shows_nor_approves_the_request() {
    let mut c = ciba().await;
    let (_, approval_id, url) = c.ask_sarah().await;
    let shown = c.s.http.get(&url).send().await.unwrap();
    assert_eq!(shown.status(), 401);
    assert!(!shown.text().await.unwrap().contains("Acme 450k"));
    let decided = c.post(&url, &[("decision", "approve")], None).await;
    assert_eq!(decided.status(), 401);
    // Bob's session is not Sarah's, and Bob's password does not sign Sarah in.
    let bob =
        c.s.authority
            .sign_in(&Credentials::password("bob", "bob-password-0123"))
            .unwrap();
    let bob_cookie = format!("agent_auth_session={}", bob.expose_secret());
    let decided = c
        .post(&url, &[("decision", "approve")], Some(&bob_cookie))
        .await;
    assert_eq!(decided.status(), 401);
    let signed = c
        .post(
            &url,
            &[("username", "bob"), ("password", "bob-password-0123")],
            None,
        )
        .await;
    assert_eq!(signed.status(), 401);
    assert!(signed.headers().get("set-cookie").is_none());
    // Nothing was decided, and each refusal was audited.
    assert!(c.op.approval_request(&approval_id).is_some());
    let refused = c.s.audited(AuditAction::ApprovalDecided, Outcome::Denied);
    assert_eq!(refused.len(), 4, "{refused:?}");
}

#[tokio::test]
async fn the_id_token_auth_time_is_when_the_person_signed_in_not_when_they_clicked() {
    let mut c = ciba().await;
    let (auth_req_id, _, url) = c.ask_sarah().await;
    let signed = c
        .post(
            &url,
            &[("username", "sarah"), ("password", "sarah-password-0123")],
            None,
        )
        .await;
    assert_eq!(signed.status(), 200);
    let cookie = cookie_of(&signed);
    assert!(signed.text().await.unwrap().contains("Acme 450k"));
    c.s.clock.advance(100);
    let decided = c
        .post(&url, &[("decision", "approve")], Some(&cookie))
        .await;
    assert_eq!(decided.status(), 200);
    let (status, body) =
        c.s.http
            .post(format!("{}{}", c.s.issuer, paths::TOKEN))
            .basic_auth("sales-agent", Some(SECRET))
            .form(&[
                ("grant_type", ciba_client::GRANT_TYPE),
                ("auth_req_id", auth_req_id.as_str()),
            ])
            .send()
            .await
            .map(|r| (r.status().as_u16(), r))
            .unwrap();
    assert_eq!(status, 200);
    let body: serde_json::Value = body.json().await.unwrap();
    let id_token = body["id_token"].as_str().unwrap();
    let payload = base64url::decode(id_token.split('.').nth(1).unwrap()).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["sub"], "user-sarah");
    assert_eq!(
        claims["auth_time"], NOW,
        "signed in at NOW, approved 100 s later"
    );
}
