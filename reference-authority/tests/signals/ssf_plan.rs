//! The OpenID Foundation's SSF 1.0 transmitter test plan
//! (`openid-ssf-transmitter-test-plan`), one test per plan module, named
//! after it, against the transmitter over HTTP.

use crate::support::*;
use axum::http::StatusCode;
use reference_authority::signals::{TransmitterConfig, types};
use reqwest::Method;
use serde_json::{Value, json};

fn push_body(url: &str) -> Value {
    let mut body = push_stream_body(
        url,
        None,
        &[
            types::SESSION_REVOKED,
            types::CREDENTIAL_CHANGE,
            "urn:example:unknown",
        ],
    );
    body["description"] = json!("guards of the sales workspace");
    body
}

const BAD_TOKEN: &str = "not-a-token";

/// Each body sent with `method` to the configuration endpoint is a 400 and
/// the stream stays as it was (a rejected request changes nothing).
async fn refused_and_unchanged<const N: usize>(
    f: &Fixture,
    token: &str,
    id: &str,
    method: Method,
    bodies: [Value; N],
) {
    for body in bodies {
        let (s, _) = f
            .send(method.clone(), "/ssf/stream", Some(token), body.clone())
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    }
    let (_, read) = f.get(&stream_path(id), Some(token)).await;
    assert_eq!(read["events_delivered"], json!([types::SESSION_REVOKED]));
}

#[tokio::test]
async fn openid_ssf_transmitter_metadata() {
    let f = fixture().await;
    let resp = f
        .http
        .get(f.url("/.well-known/ssf-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let meta: Value = resp.json().await.unwrap();
    // SSF 1.0 section 7.2.3: `issuer` is the issuer the configuration was fetched for.
    assert_eq!(meta["issuer"], f.base);
    assert_eq!(meta["spec_version"], "1_0");
    for (name, path) in [
        ("configuration_endpoint", "/ssf/stream"),
        ("status_endpoint", "/ssf/status"),
        ("add_subject_endpoint", "/ssf/subjects:add"),
        ("remove_subject_endpoint", "/ssf/subjects:remove"),
        ("verification_endpoint", "/ssf/verify"),
        ("jwks_uri", "/jwks"),
    ] {
        assert_eq!(meta[name], f.url(path), "{name}");
    }
    assert_eq!(
        meta["delivery_methods_supported"],
        json!(["urn:ietf:rfc:8935", "urn:ietf:rfc:8936"])
    );
    assert_eq!(
        meta["authorization_schemes"],
        json!([{"spec_urn": "urn:ietf:rfc:6749"}])
    );
    assert_eq!(meta["default_subjects"], "ALL");
    // The JWKS it names holds the signing key.
    let jwks: Value = f
        .http
        .get(meta["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!jwks["keys"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn metadata_of_an_issuer_with_a_path_is_served_between_host_and_path() {
    let f = fixture_with("/tenant-a", TransmitterConfig::default(), None).await;
    let host = f.base.trim_end_matches("/tenant-a").to_owned();
    let at = |p: String| {
        let http = f.http.clone();
        async move { http.get(p).send().await.unwrap() }
    };
    // SSF 1.0 section 7.2: /.well-known/ssf-configuration/{issuer path}.
    let ok = at(format!("{host}/.well-known/ssf-configuration/tenant-a")).await;
    assert_eq!(ok.status(), 200);
    let meta: Value = ok.json().await.unwrap();
    assert_eq!(meta["issuer"], f.base);
    assert_eq!(
        meta["configuration_endpoint"],
        format!("{host}/tenant-a/ssf/stream")
    );
    let wrong = at(format!("{host}/tenant-a/.well-known/ssf-configuration")).await;
    assert_eq!(wrong.status(), 404);
}

#[tokio::test]
async fn openid_ssf_stream_control_happy_path() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let r = Receiver::start(202).await;
    // Create.
    let created = f.create_stream(&token, push_body(&r.url)).await;
    let id = created["stream_id"].as_str().unwrap().to_owned();
    assert_eq!(created["iss"], f.base);
    assert_eq!(created["aud"], RECEIVER);
    assert_eq!(created["delivery"]["method"], "urn:ietf:rfc:8935");
    assert_eq!(created["delivery"]["endpoint_url"], r.url);
    // events_delivered: a subset of supported and requested; the unknown type is ignored.
    assert_eq!(
        created["events_delivered"],
        json!([types::SESSION_REVOKED, types::CREDENTIAL_CHANGE])
    );
    assert_eq!(created["description"], "guards of the sales workspace");
    // Read one, and the list.
    let (s, read) = f.get(&stream_path(&id), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(read, created);
    let (s, list) = f.get("/ssf/stream", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list, json!([created]));
    // Update (PATCH): only what is sent changes.
    let (s, updated) = f
        .send(
            Method::PATCH,
            "/ssf/stream",
            Some(&token),
            json!({"stream_id": id, "description": "renamed", "iss": f.base}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["description"], "renamed");
    assert_eq!(updated["events_delivered"], created["events_delivered"]);
    // Replace (PUT): what is missing is deleted.
    let (s, replaced) = f
        .send(Method::PUT, "/ssf/stream", Some(&token), {
            let mut body = push_stream_body(&r.url, None, &[types::SESSION_REVOKED]);
            body["stream_id"] = json!(id);
            body
        })
        .await;
    assert_eq!(s, StatusCode::OK, "{replaced}");
    assert!(replaced.get("description").is_none());
    assert_eq!(
        replaced["events_delivered"],
        json!([types::SESSION_REVOKED])
    );
    let (_, reread) = f.get(&stream_path(&id), Some(&token)).await;
    assert_eq!(reread, replaced);
    // Status: read, then each value.
    let (s, status) = f.get(&status_path(&id), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(status, json!({"stream_id": id, "status": "enabled"}));
    for value in ["paused", "disabled", "enabled"] {
        let (s, st) = f
            .send(
                Method::POST,
                "/ssf/status",
                Some(&token),
                json!({"stream_id": id, "status": value, "reason": "maintenance"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(st["status"], value);
        assert_eq!(st["reason"], "maintenance");
    }
    // Delete.
    let (s, _) = f.delete(&stream_path(&id), Some(&token)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = f.get(&stream_path(&id), Some(&token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = f.get("/ssf/stream", Some(&token)).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn openid_ssf_stream_control_error_create_stream_with_broken_input() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    for body in [
        "{not json",
        "[]",
        r#"{"delivery": {"method": "urn:example:carrier-pigeon"}}"#,
        r#"{"delivery": {"method": "urn:ietf:rfc:8935"}}"#,
        r#"{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "http://receiver.example/events"}}"#,
        r#"{"events_requested": "not-a-list"}"#,
        r#"{"description": 7}"#,
    ] {
        let resp = f
            .http
            .post(f.url("/ssf/stream"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{body}");
    }
    // Nothing was created.
    let (_, list) = f.get("/ssf/stream", Some(&token)).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn openid_ssf_stream_control_error_create_stream_with_invalid_access_token() {
    let f = fixture().await;
    let body = Some(json!({"events_requested": [types::SESSION_REVOKED]}));
    let (s, _) = f
        .call(Method::POST, "/ssf/stream", Some(BAD_TOKEN), body.clone())
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = f
        .call(Method::POST, "/ssf/stream", None, body.clone())
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A valid token of the authority without the `ssf` scope is forbidden.
    let other = f
        .client_token("no-ssf-scope", RECEIVER_SECRET, "profile")
        .await;
    let (s, _) = f
        .call(Method::POST, "/ssf/stream", Some(&other), body)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn openid_ssf_stream_control_error_create_stream_with_duplicate_config() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let body = json!({"events_requested": [types::SESSION_REVOKED]});
    let first = f.create_stream(&token, body.clone()).await;
    // Several streams per receiver are allowed: a new stream id (SSF 1.0 section 8.1.1.1).
    let second = f.create_stream(&token, body).await;
    assert_ne!(first["stream_id"], second["stream_id"]);
}

#[tokio::test]
async fn openid_ssf_stream_control_error_read_stream_with_invalid_access_token() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = f.create_stream(&token, json!({})).await["stream_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/ssf/stream?stream_id={id}");
    let (s, _) = f.get(&path, Some(BAD_TOKEN)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A token in the query is not read (RFC 6750 section 2.3 is not offered).
    let (s, _) = f.get(&format!("{path}&access_token={token}"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn openid_ssf_stream_control_error_read_unknown_stream() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let (s, _) = f
        .get("/ssf/stream?stream_id=no-such-stream", Some(&token))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Another receiver's stream is unknown too.
    let other = f
        .client_token("other-receiver", RECEIVER_SECRET, "ssf")
        .await;
    let id = f.create_stream(&other, json!({})).await["stream_id"].clone();
    let (s, _) = f
        .get(
            &format!("/ssf/stream?stream_id={}", id.as_str().unwrap()),
            Some(&token),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn stream_of(f: &Fixture, token: &str) -> String {
    f.create_stream(token, json!({"events_requested": [types::SESSION_REVOKED]}))
        .await["stream_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn openid_ssf_stream_control_error_update_stream_with_invalid_token() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    let (s, _) = f
        .send(
            Method::PATCH,
            "/ssf/stream",
            Some(BAD_TOKEN),
            json!({"stream_id": id, "description": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, read) = f.get(&stream_path(&id), Some(&token)).await;
    assert!(read.get("description").is_none());
}

#[tokio::test]
async fn openid_ssf_stream_control_error_update_stream_with_invalid_body() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    let bodies = [
        json!({"description": "no stream id"}),
        json!({"stream_id": id, "events_requested": [1, 2]}),
        json!({"stream_id": id, "iss": "https://someone-else.example"}),
        json!({"stream_id": id, "events_delivered": ["urn:example:not-delivered"]}),
    ];
    refused_and_unchanged(&f, &token, &id, Method::PATCH, bodies).await;
}

#[tokio::test]
async fn openid_ssf_stream_control_error_update_unknown_stream() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let (s, _) = f
        .send(
            Method::PATCH,
            "/ssf/stream",
            Some(&token),
            json!({"stream_id": "nope", "description": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn openid_ssf_stream_control_error_replace_stream_with_invalid_body() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    let bodies = [
        json!({"events_requested": [types::SESSION_REVOKED]}),
        json!({"stream_id": id, "delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "not a url"}}),
        json!({"stream_id": id, "aud": "someone-else"}),
    ];
    refused_and_unchanged(&f, &token, &id, Method::PUT, bodies).await;
}

#[tokio::test]
async fn openid_ssf_stream_control_error_replace_stream_with_invalid_token() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    let (s, _) = f
        .send(
            Method::PUT,
            "/ssf/stream",
            Some(BAD_TOKEN),
            json!({"stream_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn openid_ssf_stream_control_error_replace_unknown_stream() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let (s, _) = f
        .send(
            Method::PUT,
            "/ssf/stream",
            Some(&token),
            json!({"stream_id": "nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn openid_ssf_stream_control_error_delete_stream_with_invalid_access_token() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    let (s, _) = f.delete(&stream_path(&id), Some(BAD_TOKEN)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = f.get(&stream_path(&id), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn openid_ssf_stream_control_error_delete_unknown_stream() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let (s, _) = f.delete("/ssf/stream?stream_id=nope", Some(&token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn openid_ssf_stream_subject_control_happy_path() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    let subject = json!({"format": "email", "email": "sarah@acme.example"});
    let (s, body) = f
        .send(
            Method::POST,
            "/ssf/subjects:add",
            Some(&token),
            json!({"stream_id": id, "subject": subject, "verified": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body, Value::Null);
    let (s, _) = f
        .send(
            Method::POST,
            "/ssf/subjects:remove",
            Some(&token),
            json!({"stream_id": id, "subject": subject}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Errors: bad subject, unknown stream, no token.
    let (s, _) = f
        .send(
            Method::POST,
            "/ssf/subjects:add",
            Some(&token),
            json!({"stream_id": id, "subject": {"format": "email"}}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = f
        .send(
            Method::POST,
            "/ssf/subjects:add",
            Some(&token),
            json!({"stream_id": "nope", "subject": subject}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = f
        .send(
            Method::POST,
            "/ssf/subjects:remove",
            None,
            json!({"stream_id": id, "subject": subject}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// The SET checks of the plan's events module (SSF 1.0 sections 4.1.1 to 4.1.9, 8.1.4.1).
async fn check_verification_set(f: &Fixture, set: &str, stream_id: &str, state: &str) {
    let header: Value = serde_json::from_slice(
        &agent_auth::jose::base64url::decode(set.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "secevent+jwt");
    let v = f.validate_set(set, RECEIVER).await;
    let c = v.claims();
    assert!(c.sub.is_none());
    assert!(c.exp.is_none());
    assert_eq!(c.iss.as_deref(), Some(f.base.as_str()));
    assert_eq!(c.aud, vec![RECEIVER.to_owned()]);
    assert!(c.extra.get("txn").and_then(Value::as_str).is_some());
    assert_eq!(
        c.extra["sub_id"],
        json!({"format": "opaque", "id": stream_id})
    );
    assert_eq!(event(&v, types::VERIFICATION).unwrap()["state"], state);
}

#[tokio::test]
async fn openid_ssf_transmitter_events() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    // Push, with the authorization header the receiver asked for.
    let r = Receiver::start(202).await;
    let push = f
        .create_stream(
            &token,
            json!({"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": r.url, "authorization_header": "Bearer receiver-push-secret"}}),
        )
        .await;
    // The configuration never shows the header back.
    assert!(push["delivery"].get("authorization_header").is_none());
    let push_id = push["stream_id"].as_str().unwrap();
    let (s, _) = f
        .send(
            Method::POST,
            "/ssf/verify",
            Some(&token),
            json!({"stream_id": push_id, "state": "s-push"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    f.transmitter.flush().await;
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 1);
    assert_eq!(
        pushes[0].authorization.as_deref(),
        Some("Bearer receiver-push-secret")
    );
    assert_eq!(
        pushes[0].content_type.as_deref(),
        Some("application/secevent+jwt")
    );
    check_verification_set(&f, &pushes[0].set, push_id, "s-push").await;

    // Poll: POLL_ONLY, ACKNOWLEDGE_ONLY, POLL_AND_ACKNOWLEDGE.
    let poll = f.create_stream(&token, json!({})).await;
    assert_eq!(poll["delivery"]["method"], "urn:ietf:rfc:8936");
    let poll_id = poll["stream_id"].as_str().unwrap();
    let poll_url = poll["delivery"]["endpoint_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let poll_path = poll_url.trim_start_matches(&f.base).to_owned();
    let verify = |state: &'static str| {
        let (f, token) = (&f, &token);
        async move {
            let (s, _) = f
                .send(
                    Method::POST,
                    "/ssf/verify",
                    Some(token),
                    json!({"stream_id": poll_id, "state": state}),
                )
                .await;
            assert_eq!(s, StatusCode::NO_CONTENT);
        }
    };
    verify("s-1").await;
    let (s, got) = f
        .send(
            Method::POST,
            &poll_path,
            Some(&token),
            json!({"returnImmediately": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let sets = got["sets"].as_object().unwrap();
    assert_eq!(sets.len(), 1);
    let (jti1, set1) = sets.iter().next().unwrap();
    check_verification_set(&f, set1.as_str().unwrap(), poll_id, "s-1").await;
    verify("s-2").await;
    // ACKNOWLEDGE_ONLY: maxEvents 0 returns nothing.
    let (s, got) = f
        .send(
            Method::POST,
            &poll_path,
            Some(&token),
            json!({"ack": [jti1], "maxEvents": 0, "returnImmediately": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["sets"], json!({}));
    assert_eq!(got["moreAvailable"], true);
    verify("s-3").await;
    // POLL_AND_ACKNOWLEDGE: the two unacknowledged ones, oldest first.
    let (_, got) = f
        .send(
            Method::POST,
            &poll_path,
            Some(&token),
            json!({"returnImmediately": true}),
        )
        .await;
    let sets = got["sets"].as_object().unwrap();
    assert_eq!(sets.len(), 2);
    let jtis: Vec<&String> = sets.keys().collect();
    let (_, got) = f
        .send(
            Method::POST,
            &poll_path,
            Some(&token),
            json!({"ack": jtis, "returnImmediately": true}),
        )
        .await;
    assert_eq!(got["sets"], json!({}));
    assert_eq!(got["moreAvailable"], false);
}

#[tokio::test]
async fn openid_ssf_transmitter_push_no_auth() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let r = Receiver::start(202).await;
    let id = f
        .create_stream(
            &token,
            json!({"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": r.url}}),
        )
        .await["stream_id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.send(
        Method::POST,
        "/ssf/verify",
        Some(&token),
        json!({"stream_id": id, "state": "anon"}),
    )
    .await;
    f.transmitter.flush().await;
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 1);
    // No authorization header was asked for, so none is sent.
    assert!(pushes[0].authorization.is_none());
}

// Modules of the suite's later transmitter plans.

#[tokio::test]
async fn openid_ssf_transmitter_stream_verification_negative_tests() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    // Invalid body.
    for body in [json!({}), json!({"stream_id": id, "state": 7})] {
        let (s, _) = f
            .send(Method::POST, "/ssf/verify", Some(&token), body)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    // Invalid token.
    let (s, _) = f
        .send(
            Method::POST,
            "/ssf/verify",
            Some(BAD_TOKEN),
            json!({"stream_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Unknown stream.
    let (s, _) = f
        .send(
            Method::POST,
            "/ssf/verify",
            Some(&token),
            json!({"stream_id": "nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn verification_more_often_than_min_verification_interval_is_429() {
    let f = fixture_with(
        "",
        TransmitterConfig::default().min_verification_interval(60),
        None,
    )
    .await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    let verify = || {
        f.send(
            Method::POST,
            "/ssf/verify",
            Some(&token),
            json!({"stream_id": id}),
        )
    };
    assert_eq!(verify().await.0, StatusCode::NO_CONTENT);
    assert_eq!(verify().await.0, StatusCode::TOO_MANY_REQUESTS);
    f.clock.advance(60);
    assert_eq!(verify().await.0, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn openid_ssf_stream_control_negative_test_read_stream_status() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let id = stream_of(&f, &token).await;
    let (s, _) = f.get("/ssf/status?stream_id=nope", Some(&token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = f.get(&status_path(&id), Some(BAD_TOKEN)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = f
        .send(
            Method::POST,
            "/ssf/status",
            Some(&token),
            json!({"stream_id": id, "status": "sleeping"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, st) = f.get(&status_path(&id), Some(&token)).await;
    assert_eq!(st["status"], "enabled");
}

#[tokio::test]
async fn openid_ssf_transmitter_poll_endpoint_authorization_and_url_unique_per_stream() {
    let f = fixture().await;
    let token = f.receiver_token().await;
    let a = f.create_stream(&token, json!({})).await;
    let b = f.create_stream(&token, json!({})).await;
    let url = |c: &Value| c["delivery"]["endpoint_url"].as_str().unwrap().to_owned();
    assert_ne!(url(&a), url(&b));
    let path = url(&a).trim_start_matches(&f.base).to_owned();
    let (s, _) = f
        .send(
            Method::POST,
            &path,
            None,
            json!({"returnImmediately": true}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = f
        .send(
            Method::POST,
            &path,
            Some(BAD_TOKEN),
            json!({"returnImmediately": true}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
