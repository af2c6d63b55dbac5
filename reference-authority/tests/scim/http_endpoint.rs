//! The endpoint over HTTP through the authority's router: bearer tokens of
//! this authority with the `scim` scope only; SCIM media type, ETag,
//! Location, 304, 404 bodies and 501 for /Me.

use super::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use reference_authority::{ClientSpec, Params, TokenRequest};
use tower::ServiceExt;

const SECRET: &str = "provisioner-secret-0123456789";

async fn token(f: &Fixture, client: &str, scope: &str) -> String {
    let request = TokenRequest::new(Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("scope", scope),
    ]))
    .basic(client, SECRET);
    f.authority
        .token(&request)
        .await
        .unwrap()
        .access_token
        .expose_secret()
        .to_owned()
}

fn clients(f: &Fixture) {
    f.authority
        .register_client(
            ClientSpec::confidential("provisioner", SECRET)
                .grant_types(["client_credentials"])
                .scopes(["scim"]),
        )
        .unwrap();
    f.authority
        .register_client(
            ClientSpec::confidential("reader", SECRET)
                .grant_types(["client_credentials"])
                .scopes(["profile"]),
        )
        .unwrap();
}

async fn call(
    f: &Fixture,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/scim+json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let response = reference_authority::http::router(f.authority.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, json)
}

#[tokio::test]
async fn without_a_token_the_endpoint_answers_401_with_a_bearer_challenge() {
    let f = fixture();
    let (status, headers, _) = call(&f, "GET", "/scim/v2/Users", None, None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    let (status, _, _) = call(&f, "GET", "/scim/v2/ServiceProviderConfig", None, None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_without_the_scim_scope_is_403_insufficient_scope() {
    let f = fixture();
    clients(&f);
    let t = token(&f, "reader", "profile").await;
    let (status, headers, body) = call(
        &f,
        "POST",
        "/scim/v2/Users",
        Some(&t),
        Some(json!({"schemas": [USER], "userName": "x"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    assert_eq!(body["status"], "403");
    assert_eq!(
        f.scim.query(Some("Users"), &Default::default()).unwrap()["totalResults"],
        0
    );
}

#[tokio::test]
async fn a_forged_expired_or_revoked_token_is_401_invalid_token() {
    let f = fixture();
    clients(&f);
    let (status, _, _) = call(&f, "GET", "/scim/v2/Users", Some("not.a.token"), None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let t = token(&f, "provisioner", "scim").await;
    f.clock.advance(24 * 3600);
    let (status, headers, _) = call(&f, "GET", "/scim/v2/Users", Some(&t), None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test]
async fn a_provisioning_round_trip_over_http() {
    let f = fixture();
    clients(&f);
    let t = token(&f, "provisioner", "scim").await;
    let (status, headers, created) = call(
        &f,
        "POST",
        "/scim/v2/Users",
        Some(&t),
        Some(json!({"schemas": [USER], "userName": "sarah"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers[header::CONTENT_TYPE], "application/scim+json");
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{ISSUER}/scim/v2/Users/{}", id(&created)));
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let path = format!("/scim/v2/Users/{}", id(&created));
    let (status, _, _) = call(
        &f,
        "GET",
        &path,
        Some(&t),
        None,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "Sarah"}]});
    let (status, _, _) = call(
        &f,
        "PATCH",
        &path,
        Some(&t),
        Some(patch.clone()),
        &[("if-match", "W/\"41\"")],
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, patched) = call(
        &f,
        "PATCH",
        &path,
        Some(&t),
        Some(patch),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(patched["displayName"], "Sarah");
    let (status, _, list) = call(
        &f,
        "GET",
        "/scim/v2/Users?filter=userName%20eq%20%22SARAH%22&attributes=userName",
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["totalResults"], 1);
    let (status, _, _) = call(&f, "DELETE", &path, Some(&t), None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, gone) = call(&f, "GET", &path, Some(&t), None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
}

#[tokio::test]
async fn discovery_unknown_paths_me_and_bad_bodies() {
    let f = fixture();
    clients(&f);
    let t = token(&f, "provisioner", "scim").await;
    let (_, _, spc) = call(
        &f,
        "GET",
        "/scim/v2/ServiceProviderConfig",
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let (_, _, types) = call(&f, "GET", "/scim/v2/ResourceTypes", Some(&t), None, &[]).await;
    let names: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User", "Group", "Agent"]);
    let (status, _, agent) = call(
        &f,
        "GET",
        &format!("/scim/v2/Schemas/{AGENT}"),
        Some(&t),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        agent["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "owners")
    );
    let (status, _, body) = call(&f, "GET", "/scim/v2/Nowhere", Some(&t), None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["status"], "404");
    let (status, _, _) = call(&f, "GET", "/scim/v2/Me", Some(&t), None, &[]).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    let req = Request::builder()
        .method("POST")
        .uri("/scim/v2/Users")
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .body(Body::from("{not json"))
        .unwrap();
    let response = reference_authority::http::router(f.authority.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
