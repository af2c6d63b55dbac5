//! RFC 7644 section 3.7: bulkId references, failOnErrors, circular
//! references and the operation limit.

use super::*;

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

#[tokio::test]
async fn a_group_refers_to_a_user_created_later_in_the_same_request() {
    let f = fixture();
    let out = f.scim.bulk(&f.caller, &json!({"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"schemas": [GROUP], "displayName": "Tigers", "members": [{"type": "User", "value": "bulkId:u"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER], "userName": "tiger"}}
    ]})).await.unwrap();
    let ops = out["Operations"].as_array().unwrap();
    assert!(ops.iter().all(|o| o["status"] == "201"), "{out}");
    let groups = f.scim.query(Some("Groups"), &Default::default()).unwrap();
    let users = f.scim.query(Some("Users"), &Default::default()).unwrap();
    assert_eq!(
        groups["Resources"][0]["members"][0]["value"],
        users["Resources"][0]["id"]
    );
}

#[tokio::test]
async fn fail_on_errors_stops_after_that_many_errors() {
    let f = fixture();
    let out = f.scim.bulk(&f.caller, &json!({"schemas": [BULK], "failOnErrors": 1, "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": [USER]}},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"schemas": [USER], "userName": "b"}}
    ]})).await.unwrap();
    let ops = out["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["status"], "400");
    assert_eq!(ops[0]["response"]["scimType"], "invalidValue");
    assert_eq!(
        f.scim.query(Some("Users"), &Default::default()).unwrap()["totalResults"],
        0
    );
}

#[tokio::test]
async fn without_fail_on_errors_every_operation_runs() {
    let f = fixture();
    let u = f.user("kept").await;
    let out = f.scim.bulk(&f.caller, &json!({"schemas": [BULK], "Operations": [
        {"method": "DELETE", "path": "/Users/missing"},
        {"method": "PATCH", "path": format!("/Users/{}", id(&u)), "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "K"}]}},
        {"method": "DELETE", "path": format!("/Users/{}", id(&u)), "version": "W/\"1\""}
    ]})).await.unwrap();
    let statuses: Vec<&str> = out["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["404", "200", "412"]);
}

#[tokio::test]
async fn circular_bulk_ids_are_a_409() {
    let f = fixture();
    let out = f.scim.bulk(&f.caller, &json!({"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"schemas": [GROUP], "displayName": "A", "members": [{"value": "bulkId:b"}]}},
        {"method": "POST", "path": "/Groups", "bulkId": "b", "data": {"schemas": [GROUP], "displayName": "B", "members": [{"value": "bulkId:a"}]}}
    ]})).await.unwrap();
    assert!(
        out["Operations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "409"),
        "{out}"
    );
    assert_eq!(
        f.scim.query(Some("Groups"), &Default::default()).unwrap()["totalResults"],
        0
    );
}

#[tokio::test]
async fn an_undefined_bulk_id_is_invalid_value() {
    let f = fixture();
    let out = f.scim.bulk(&f.caller, &json!({"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"schemas": [GROUP], "displayName": "A", "members": [{"value": "bulkId:nowhere"}]}}
    ]})).await.unwrap();
    assert_eq!(out["Operations"][0]["status"], "400");
}

#[tokio::test]
async fn malformed_bulk_requests_are_refused_whole() {
    let f = fixture();
    for body in [
        json!({"Operations": []}),
        json!({"schemas": [BULK], "Operations": [{"method": "GET", "path": "/Users"}]}),
        json!({"schemas": [BULK], "Operations": [{"method": "POST", "path": "/Users", "data": {}}]}),
        json!({"schemas": [BULK], "failOnErrors": 0, "Operations": []}),
        json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "x", "data": {"schemas": [USER], "userName": "x1"}},
            {"method": "POST", "path": "/Users", "bulkId": "x", "data": {"schemas": [USER], "userName": "x2"}}
        ]}),
    ] {
        assert!(f.scim.bulk(&f.caller, &body).await.is_err(), "{body}");
    }
    assert_eq!(
        f.scim.query(Some("Users"), &Default::default()).unwrap()["totalResults"],
        0
    );
}

#[tokio::test]
async fn more_operations_than_max_operations_is_a_413() {
    let f = fixture();
    let ops: Vec<Value> = (0..=f.scim.config().max_operations)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    let e = f
        .scim
        .bulk(&f.caller, &json!({"schemas": [BULK], "Operations": ops}))
        .await
        .unwrap_err();
    assert_eq!(e.status(), 413);
}

#[tokio::test]
async fn an_operation_that_refers_to_a_failed_one_fails_too() {
    let f = fixture();
    let out = f
        .scim
        .bulk(&f.caller, &json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER]}},
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"schemas": [GROUP], "displayName": "G", "members": [{"value": "bulkId:u"}]}}
        ]}))
        .await
        .unwrap();
    let statuses: Vec<&str> = out["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["400", "400"]);
    assert_eq!(out["Operations"][1]["response"]["scimType"], "invalidValue");
    assert!(f.authority.directory().groups().unwrap().is_empty());
}
