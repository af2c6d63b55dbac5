//! RFC 7644 sections 3.4.2.3 to 3.4.2.5 and 3.4.3: sorting, pagination,
//! attribute projection and searching by POST.

use super::*;
use reference_authority::scim::ScimType;
use reference_authority::scim::query::Query;
use std::collections::HashMap;

fn query(
    f: &Fixture,
    endpoint: Option<&str>,
    params: &[(&str, &str)],
) -> Result<Value, reference_authority::scim::ScimError> {
    let map: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let q = Query::from_params(&|n| map.get(n).cloned())?;
    f.scim.query(endpoint, &q)
}

fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap_or("-").to_owned())
        .collect()
}

async fn people(f: &Fixture) {
    for n in ["carol", "Alice", "bob", "dave", "erin"] {
        f.user(n).await;
        f.clock.advance(1);
    }
}

#[tokio::test]
async fn sort_by_a_case_insensitive_string_ignores_case() {
    let f = fixture();
    people(&f).await;
    let out = query(&f, Some("Users"), &[("sortBy", "userName")]).unwrap();
    assert_eq!(names(&out), ["Alice", "bob", "carol", "dave", "erin"]);
    let out = query(
        &f,
        Some("Users"),
        &[("sortBy", "userName"), ("sortOrder", "descending")],
    )
    .unwrap();
    assert_eq!(names(&out), ["erin", "dave", "carol", "bob", "Alice"]);
}

#[tokio::test]
async fn unassigned_sort_values_come_last_ascending() {
    let f = fixture();
    f.create(
        "Users",
        json!({"schemas": [USER], "userName": "zed", "displayName": "A"}),
    )
    .await;
    f.create("Users", json!({"schemas": [USER], "userName": "yan"}))
        .await;
    f.create(
        "Users",
        json!({"schemas": [USER], "userName": "xia", "displayName": "B"}),
    )
    .await;
    let out = query(&f, Some("Users"), &[("sortBy", "displayName")]).unwrap();
    assert_eq!(names(&out), ["zed", "xia", "yan"]);
}

#[tokio::test]
async fn pages_follow_start_index_and_count() {
    let f = fixture();
    people(&f).await;
    let out = query(
        &f,
        Some("Users"),
        &[("sortBy", "userName"), ("startIndex", "2"), ("count", "2")],
    )
    .unwrap();
    assert_eq!(out["totalResults"], 5);
    assert_eq!(out["itemsPerPage"], 2);
    assert_eq!(out["startIndex"], 2);
    assert_eq!(names(&out), ["bob", "carol"]);
}

#[tokio::test]
async fn count_zero_returns_only_the_total_and_start_index_below_one_is_one() {
    let f = fixture();
    people(&f).await;
    let out = query(&f, Some("Users"), &[("count", "0")]).unwrap();
    assert_eq!(out["totalResults"], 5);
    assert_eq!(out["Resources"], json!([]));
    let out = query(&f, Some("Users"), &[("startIndex", "-4"), ("count", "-1")]).unwrap();
    assert_eq!(out["startIndex"], 1);
    assert_eq!(out["itemsPerPage"], 0);
}

#[tokio::test]
async fn a_filter_narrows_the_list() {
    let f = fixture();
    people(&f).await;
    let out = query(
        &f,
        Some("Users"),
        &[("filter", "userName sw \"a\" or userName eq \"BOB\"")],
    )
    .unwrap();
    assert_eq!(out["totalResults"], 2);
}

#[tokio::test]
async fn a_bad_filter_or_sort_order_is_a_400() {
    let f = fixture();
    let e = query(&f, Some("Users"), &[("filter", "userName eq")]).unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
    let e = query(&f, Some("Users"), &[("sortOrder", "sideways")]).unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    let e = query(&f, Some("Users"), &[("count", "ten")]).unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
}

#[tokio::test]
async fn attributes_keep_only_what_is_asked_and_id() {
    let f = fixture();
    f.create("Users", json!({"schemas": [USER], "userName": "amy", "displayName": "Amy", "emails": [{"value": "a@x.example", "type": "work"}]})).await;
    let out = query(
        &f,
        Some("Users"),
        &[("attributes", "displayName,emails.value")],
    )
    .unwrap();
    let r = &out["Resources"][0];
    assert_eq!(r["displayName"], "Amy");
    assert_eq!(r["emails"], json!([{"value": "a@x.example"}]));
    assert!(r["id"].is_string());
    assert!(r.get("userName").is_none());
    assert!(r.get("meta").is_none());
}

#[tokio::test]
async fn excluded_attributes_drop_those_named_but_never_id() {
    let f = fixture();
    f.create(
        "Users",
        json!({"schemas": [USER], "userName": "ben", "displayName": "Ben"}),
    )
    .await;
    let out = query(
        &f,
        Some("Users"),
        &[("excludedAttributes", "displayName,id")],
    )
    .unwrap();
    let r = &out["Resources"][0];
    assert!(r.get("displayName").is_none());
    assert_eq!(r["userName"], "ben");
    assert!(r["id"].is_string());
    let e = query(
        &f,
        Some("Users"),
        &[("attributes", "userName"), ("excludedAttributes", "id")],
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
}

#[tokio::test]
async fn search_by_post_at_the_root_spans_every_type() {
    let f = fixture();
    f.user("cat").await;
    f.create(
        "Groups",
        json!({"schemas": [GROUP], "displayName": "cat lovers"}),
    )
    .await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "meta.resourceType eq \"Group\" or userName eq \"cat\"",
        "attributes": ["displayName"],
        "count": 10
    });
    let out = f
        .scim
        .query(None, &Query::from_search(&body).unwrap())
        .unwrap();
    assert_eq!(out["totalResults"], 2);
    let e = Query::from_search(&json!({"filter": "userName pr"})).unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
}
