//! SCIM changes go out as RFC 9967 provisioning SETs through the
//! transmitter, over HTTP on loopback: each create, replace, patch,
//! deactivation and deletion of a User and of an Agent is one SET about the
//! resource (`scim` subject), naming the changed attributes and never their
//! values; a refused SCIM request sends nothing; a stream that did not ask
//! for SCIM events gets none.

use crate::support::*;
use reference_authority::ClientSpec;
use reference_authority::signals::types;
use reqwest::Method;
use serde_json::{Value, json};

const PROVISIONER: &str = "hr-system";
const PROVISIONER_SECRET: &str = "provisioner-secret-0123456789";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const AGENT_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Agent";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const DEPARTMENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
/// Values no SET may carry: attribute values the tests write (notices name
/// attributes only) and the users' password.
const SECRET_VALUES: [&str; 4] = [
    "Sarah Connor",
    "Answers sales questions",
    "Sales agent EU",
    "correct horse battery",
];

const SCIM_EVENTS: [&str; 6] = [
    types::SCIM_CREATE_NOTICE,
    types::SCIM_PUT_NOTICE,
    types::SCIM_PATCH_NOTICE,
    types::SCIM_DELETE,
    types::SCIM_ACTIVATE,
    types::SCIM_DEACTIVATE,
];

/// A SET as the receiver reads it: event type, event object, subject, `txn`.
#[derive(Debug, Clone)]
struct Got {
    kind: String,
    body: Value,
    subject: Value,
    txn: String,
}

/// The provisioner's bearer token (scope `scim`).
async fn provisioner(f: &Fixture) -> String {
    f.authority
        .register_client(
            ClientSpec::confidential(PROVISIONER, PROVISIONER_SECRET)
                .grant_types(["client_credentials"])
                .scopes(["scim"]),
        )
        .unwrap();
    f.client_token(PROVISIONER, PROVISIONER_SECRET, "scim")
        .await
}

/// A SCIM request; returns the status, the ETag and the body.
async fn scim(
    f: &Fixture,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut req = f
        .http
        .request(method, f.url(&format!("/scim/v2{path}")))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    if let Some(etag) = if_match {
        req = req.header("if-match", etag);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.text().await.unwrap();
    (
        status,
        etag,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Creates a User over SCIM; returns its path (`/Users/{id}`) and ETag.
async fn create_user(f: &Fixture, token: &str, body: Value) -> (String, String) {
    let (s, etag, user) = scim(f, token, Method::POST, "/Users", Some(body), None).await;
    assert_eq!(s, 201, "{user}");
    (
        format!("/Users/{}", user["id"].as_str().unwrap()),
        etag.unwrap(),
    )
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// Reads and checks one SET: signed by the authority for the receiver, one
/// event, no CAEP claims in a SCIM event object.
async fn read(f: &Fixture, set: &str) -> Got {
    for secret in SECRET_VALUES.iter().chain([&AGENT_SECRET]) {
        assert!(!set.contains(secret));
    }
    let validated = f.validate_set(set, RECEIVER).await;
    let claims = &validated.claims().extra;
    let text = serde_json::to_string(claims).unwrap();
    for secret in SECRET_VALUES.iter().chain([&AGENT_SECRET]) {
        assert!(!text.contains(secret), "a SET carries {secret}: {text}");
    }
    let events = claims["events"].as_object().unwrap();
    assert_eq!(events.len(), 1, "{text}");
    let (kind, body) = events.iter().next().unwrap();
    assert!(body.get("event_timestamp").is_none(), "{text}");
    Got {
        kind: kind.clone(),
        body: body.clone(),
        subject: claims["sub_id"].clone(),
        txn: claims["txn"].as_str().unwrap().to_owned(),
    }
}

/// Delivers what is due and reads every SET the receiver got, in order.
async fn pushed(f: &Fixture, receiver: &Receiver) -> Vec<Got> {
    f.transmitter.flush().await;
    let mut out = Vec::new();
    for push in receiver.pushes() {
        out.push(read(f, &push.set).await);
    }
    out
}

/// (event type, subject uri, attributes named) of each SET.
fn summary(got: &[Got]) -> Vec<(String, String, Option<Vec<String>>)> {
    got.iter()
        .map(|g| {
            let attributes = g.body.get("attributes").map(|a| {
                a.as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_owned())
                    .collect()
            });
            (
                g.kind.clone(),
                g.subject["uri"].as_str().unwrap().to_owned(),
                attributes,
            )
        })
        .collect()
}

fn names(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| (*s).to_owned()).collect())
}

#[tokio::test]
async fn each_change_of_a_user_is_one_set_about_the_user() {
    let f = fixture().await;
    let receiver = push_receiver(&f, &SCIM_EVENTS).await;
    let token = provisioner(&f).await;
    let (path, _) = create_user(
        &f,
        &token,
        json!({"schemas": [USER_SCHEMA], "userName": "sarah.connor", "externalId": "acme-payroll-7", "displayName": "Sarah Connor"}),
    )
    .await;
    let put = json!({"schemas": [USER_SCHEMA], "userName": "sarah.connor", "externalId": "acme-payroll-7", "displayName": "Sarah J. Connor"});
    let (s, _, _) = scim(&f, &token, Method::PUT, &path, Some(put), None).await;
    assert_eq!(s, 200);
    let ops = patch(json!([{"op": "add", "path": DEPARTMENT, "value": "Sales"}]));
    let (s, _, _) = scim(&f, &token, Method::PATCH, &path, Some(ops), None).await;
    assert_eq!(s, 200);
    let ops = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let (s, _, _) = scim(&f, &token, Method::PATCH, &path, Some(ops), None).await;
    assert_eq!(s, 200);
    let (s, _, _) = scim(&f, &token, Method::DELETE, &path, None, None).await;
    assert_eq!(s, 204);
    let got = pushed(&f, &receiver).await;
    assert_eq!(
        summary(&got),
        [
            (
                types::SCIM_CREATE_NOTICE.to_owned(),
                path.clone(),
                names(&["active", "displayName", "externalId", "userName"])
            ),
            (
                types::SCIM_PUT_NOTICE.to_owned(),
                path.clone(),
                names(&["displayName"])
            ),
            (
                types::SCIM_PATCH_NOTICE.to_owned(),
                path.clone(),
                names(&[DEPARTMENT])
            ),
            (
                types::SCIM_PATCH_NOTICE.to_owned(),
                path.clone(),
                names(&["active"])
            ),
            (types::SCIM_DEACTIVATE.to_owned(), path.clone(), None),
            (types::SCIM_DELETE.to_owned(), path.clone(), None),
        ]
    );
    for g in &got {
        assert_eq!(g.subject["format"], "scim");
        assert_eq!(g.subject["externalId"], "acme-payroll-7");
    }
    // One request, one transaction: the deactivating PATCH's two SETs share
    // their `txn`; separate requests do not.
    assert_eq!(got[3].txn, got[4].txn);
    assert_ne!(got[2].txn, got[3].txn);
    assert_ne!(got[4].txn, got[5].txn);
}

#[tokio::test]
async fn each_change_of_an_agent_is_one_set_about_the_agent() {
    let f = fixture().await;
    // Registered with its credential outside SCIM: no SCIM event. An agent
    // created over SCIM starts STAGED, not active: its creation is a create
    // notice and a deactivate.
    f.register_sales_agent();
    let receiver = push_receiver(&f, &SCIM_EVENTS).await;
    let token = provisioner(&f).await;
    let (s, _, created) = scim(
        &f,
        &token,
        Method::POST,
        "/Agents",
        Some(json!({"schemas": [AGENT_SCHEMA], "name": "crm-helper", "agentType": "assistant"})),
        None,
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let created_path = format!("/Agents/{}", created["id"].as_str().unwrap());
    let path = "/Agents/sales-agent-prod-001".to_owned();
    let activate = patch(json!([{"op": "replace", "path": "active", "value": true}]));
    let (s, _, body) = scim(&f, &token, Method::PATCH, &path, Some(activate), None).await;
    assert_eq!(s, 200, "{body}");
    let (_, _, current) = scim(&f, &token, Method::GET, &path, None, None).await;
    let mut put = current.clone();
    for read_only in ["id", "meta"] {
        put.as_object_mut().unwrap().remove(read_only);
    }
    put["description"] = json!("Answers sales questions");
    let (s, _, body) = scim(&f, &token, Method::PUT, &path, Some(put), None).await;
    assert_eq!(s, 200, "{body}");
    let ops = patch(json!([{"op": "replace", "path": "name", "value": "Sales agent EU"}]));
    let (s, _, body) = scim(&f, &token, Method::PATCH, &path, Some(ops), None).await;
    assert_eq!(s, 200, "{body}");
    let deactivate = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let (s, _, body) = scim(&f, &token, Method::PATCH, &path, Some(deactivate), None).await;
    assert_eq!(s, 200, "{body}");
    let (s, _, body) = scim(&f, &token, Method::DELETE, &path, None, None).await;
    assert_eq!(s, 204, "{body}");
    let got = pushed(&f, &receiver).await;
    let kinds: Vec<(String, String)> = summary(&got).into_iter().map(|(k, p, _)| (k, p)).collect();
    let at = |k: &str, p: &str| (k.to_owned(), p.to_owned());
    assert_eq!(
        kinds,
        [
            at(types::SCIM_CREATE_NOTICE, &created_path),
            at(types::SCIM_DEACTIVATE, &created_path),
            at(types::SCIM_PATCH_NOTICE, &path),
            at(types::SCIM_ACTIVATE, &path),
            at(types::SCIM_PUT_NOTICE, &path),
            at(types::SCIM_PATCH_NOTICE, &path),
            at(types::SCIM_PATCH_NOTICE, &path),
            at(types::SCIM_DEACTIVATE, &path),
            at(types::SCIM_DELETE, &path),
        ]
    );
    let attributes = |i: usize| got[i].body["attributes"].clone();
    assert!(attributes(0).as_array().unwrap().contains(&json!("name")));
    assert_eq!(attributes(2), json!(["active"]));
    assert_eq!(attributes(4), json!(["description"]));
    assert_eq!(attributes(5), json!(["name"]));
    for g in &got {
        assert_eq!(g.subject["format"], "scim");
    }
}

/// A poll stream asking for `events`; returns its id.
async fn poll_stream(f: &Fixture, events: &[&str]) -> String {
    let token = f.receiver_token().await;
    let config = f
        .create_stream(
            &token,
            json!({"delivery": {"method": "urn:ietf:rfc:8936"}, "events_requested": events}),
        )
        .await;
    config["stream_id"].as_str().unwrap().to_owned()
}

/// Polls every SET waiting for a stream, acknowledging none.
async fn polled(f: &Fixture, stream_id: &str) -> Vec<Got> {
    let token = f.receiver_token().await;
    let (status, body) = f
        .send(
            Method::POST,
            &format!("/ssf/poll/{stream_id}"),
            Some(&token),
            json!({"returnImmediately": true, "maxEvents": 100}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut out = Vec::new();
    for set in body["sets"].as_object().unwrap().values() {
        out.push(read(f, set.as_str().unwrap()).await);
    }
    out
}

#[tokio::test]
async fn a_refused_scim_request_sends_no_set_and_a_poll_stream_gets_the_others() {
    let f = fixture().await;
    let stream = poll_stream(&f, &[types::SCIM_CREATE_NOTICE, types::SCIM_PUT_NOTICE]).await;
    let token = provisioner(&f).await;
    let (path, etag) = create_user(
        &f,
        &token,
        json!({"schemas": [USER_SCHEMA], "userName": "bob"}),
    )
    .await;
    // A change with the current ETag goes through.
    let put = json!({"schemas": [USER_SCHEMA], "userName": "bob", "displayName": "Bob"});
    let (s, _, _) = scim(
        &f,
        &token,
        Method::PUT,
        &path,
        Some(put.clone()),
        Some(&etag),
    )
    .await;
    assert_eq!(s, 200);
    // Refused: the stale ETag (RFC 7644 section 3.14), a malformed filter in
    // a PATCH path and in a query (section 3.4.2.2), a duplicate userName.
    let (s, _, _) = scim(&f, &token, Method::PUT, &path, Some(put), Some(&etag)).await;
    assert_eq!(s, 412);
    let bad = patch(json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]));
    let (s, _, _) = scim(&f, &token, Method::PATCH, &path, Some(bad), None).await;
    assert_eq!(s, 400);
    let (s, _, _) = scim(
        &f,
        &token,
        Method::GET,
        "/Users?filter=userName%20eq",
        None,
        None,
    )
    .await;
    assert_eq!(s, 400);
    let dup = json!({"schemas": [USER_SCHEMA], "userName": "bob"});
    let (s, _, _) = scim(&f, &token, Method::POST, "/Users", Some(dup), None).await;
    assert_eq!(s, 409);
    let mut got = summary(&polled(&f, &stream).await);
    got.sort();
    assert_eq!(
        got,
        [
            (
                types::SCIM_CREATE_NOTICE.to_owned(),
                path.clone(),
                names(&["active", "userName"])
            ),
            (
                types::SCIM_PUT_NOTICE.to_owned(),
                path.clone(),
                names(&["displayName"])
            ),
        ]
    );
}

#[tokio::test]
async fn a_stream_that_did_not_ask_for_scim_events_gets_none() {
    let f = fixture().await;
    let other = push_receiver(&f, &[types::SESSION_REVOKED]).await;
    let scim_stream = poll_stream(&f, &[types::SCIM_DELETE]).await;
    let token = provisioner(&f).await;
    let (path, _) = create_user(
        &f,
        &token,
        json!({"schemas": [USER_SCHEMA], "userName": "carol.k"}),
    )
    .await;
    let (s, _, _) = scim(&f, &token, Method::DELETE, &path, None, None).await;
    assert_eq!(s, 204);
    assert!(pushed(&f, &other).await.is_empty());
    // The SCIM stream asked for deletions only: the creation is not sent.
    let got = summary(&polled(&f, &scim_stream).await);
    assert_eq!(got, [(types::SCIM_DELETE.to_owned(), path, None)]);
}

#[tokio::test]
async fn streams_advertise_the_scim_events_and_a_scim_subject_can_be_added() {
    let f = fixture_with(
        "",
        reference_authority::signals::TransmitterConfig::default().subjects_none_by_default(),
        None,
    )
    .await;
    let receiver = push_receiver(&f, &SCIM_EVENTS).await;
    let token = f.receiver_token().await;
    let (_, config) = f.get("/ssf/stream", Some(&token)).await;
    let config = if config.is_array() {
        config[0].clone()
    } else {
        config
    };
    let supported = config["events_supported"].as_array().unwrap();
    for uri in SCIM_EVENTS {
        assert!(supported.contains(&json!(uri)), "{uri} not advertised");
    }
    let delivered = config["events_delivered"].as_array().unwrap();
    assert_eq!(delivered.len(), SCIM_EVENTS.len());
    let stream_id = config["stream_id"].as_str().unwrap();
    let provisioner = provisioner(&f).await;
    let mut paths = Vec::new();
    for name in ["dave", "erin"] {
        let user = json!({"schemas": [USER_SCHEMA], "userName": name});
        paths.push(create_user(&f, &provisioner, user).await.0);
    }
    // Default subjects NONE: nothing yet; then one SCIM subject is added.
    assert!(pushed(&f, &receiver).await.is_empty());
    let (s, body) = f
        .send(
            Method::POST,
            "/ssf/subjects:add",
            Some(&token),
            json!({"stream_id": stream_id, "subject": {"format": "scim", "uri": paths[0]}}),
        )
        .await;
    assert!(s.is_success(), "{s} {body}");
    for path in &paths {
        let ops = patch(json!([{"op": "replace", "path": "displayName", "value": "Rep"}]));
        let (s, _, _) = scim(&f, &provisioner, Method::PATCH, path, Some(ops), None).await;
        assert_eq!(s, 200);
    }
    let got = summary(&pushed(&f, &receiver).await);
    assert_eq!(
        got,
        [(
            types::SCIM_PATCH_NOTICE.to_owned(),
            paths[0].clone(),
            names(&["displayName"])
        )]
    );
}
