//! The device flow over HTTP (RFC 8628): a device asks for codes, a browser
//! opens `verification_uri_complete`, signs in on the verification page and
//! approves, and the device's polls turn from `authorization_pending` into
//! tokens.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod browser;

use agent_auth::clock::ManualClock;
use browser::*;
use reference_authority::ClientSpec;
use reference_authority::device::DEVICE_CODE_GRANT;
use serde_json::Value;
use std::sync::Arc;

async fn server(clock: &ManualClock) -> Server {
    let clock = Arc::new(clock.clone());
    Server::start_with(
        move |b| b.clock(clock),
        |a| {
            a.register_client(
                ClientSpec::public("tv")
                    .name("Living room TV")
                    .grant_types([DEVICE_CODE_GRANT])
                    .scopes(["openid", "profile"]),
            )
            .unwrap();
        },
    )
    .await
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn device_flow_through_the_verification_page() {
    let clock = ManualClock::new(1_750_000_000);
    let s = server(&clock).await;
    let meta: Value = reqwest::get(format!("{}/.well-known/openid-configuration", s.issuer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = meta["device_authorization_endpoint"].as_str().unwrap();
    let (status, codes) = post_form(endpoint, &[("client_id", "tv"), ("scope", "openid")]).await;
    assert_eq!(status, 200);
    let device_code = codes["device_code"].as_str().unwrap();
    let user_code = codes["user_code"].as_str().unwrap();
    let token = format!("{}/token", s.issuer);
    let poll = [
        ("grant_type", DEVICE_CODE_GRANT),
        ("client_id", "tv"),
        ("device_code", device_code),
    ];
    let (status, body) = post_form(&token, &poll).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );

    let mut browser = Browser::new();
    let page = browser
        .get(codes["verification_uri_complete"].as_str().unwrap())
        .await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("name=\"password\"") && page.contains(user_code));

    let verification = codes["verification_uri"].as_str().unwrap();
    let confirm = browser
        .post(
            verification,
            &[
                ("user_code", user_code),
                ("username", "sarah"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(confirm.status(), 200);
    assert!(confirm.text().await.unwrap().contains("Living room TV"));
    // The session cookie set by the sign-in carries the decision.
    let done = browser
        .post(
            verification,
            &[("user_code", user_code), ("decision", "approve")],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("approved"));

    clock.advance(5);
    let (status, body) = post_form(&token, &poll).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string() && body["id_token"].is_string());
}

#[tokio::test]
async fn the_verification_page_refuses_a_wrong_password() {
    let clock = ManualClock::new(1_750_000_000);
    let s = server(&clock).await;
    let (_, codes) = post_form(
        &format!("{}/device_authorization", s.issuer),
        &[("client_id", "tv")],
    )
    .await;
    let user_code = codes["user_code"].as_str().unwrap();
    let mut browser = Browser::new();
    let page = browser
        .post(
            codes["verification_uri"].as_str().unwrap(),
            &[
                ("user_code", user_code),
                ("username", "sarah"),
                ("password", "wrong password"),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(page.status(), 401);
    let (_, body) = post_form(
        &format!("{}/token", s.issuer),
        &[
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", "tv"),
            ("device_code", codes["device_code"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(body["error"], "authorization_pending");
}

#[tokio::test]
async fn an_unknown_client_gets_invalid_client() {
    let clock = ManualClock::new(1_750_000_000);
    let s = server(&clock).await;
    let (status, body) = post_form(
        &format!("{}/device_authorization", s.issuer),
        &[("client_id", "nobody")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}
