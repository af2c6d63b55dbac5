//! RFC 7644 section 3.5.2: add, remove and replace with paths, value filters
//! and sub-attributes; a request with one bad operation changes nothing.

use super::*;
use reference_authority::scim::ScimType;

async fn patch(
    f: &Fixture,
    endpoint: &str,
    id: &str,
    ops: Value,
) -> Result<Value, reference_authority::scim::ScimError> {
    f.scim
        .patch(
            &f.caller,
            endpoint,
            id,
            &json!({"schemas": [PATCH_OP], "Operations": ops}),
            None,
            &Projection::Default,
        )
        .await
        .map(|a| a.body)
}

async fn sales(f: &Fixture) -> (Value, Value, Value) {
    let a = f.user("alice").await;
    let b = f.user("bob").await;
    let g = f.create(
        "Groups",
        json!({"schemas": [GROUP], "displayName": "Sales", "members": [{"value": id(&a)}, {"value": id(&b)}]}),
    ).await;
    (a, b, g)
}

#[tokio::test]
async fn add_appends_to_a_multi_valued_attribute_without_duplicates() {
    let f = fixture();
    let (a, _, g) = sales(&f).await;
    let c = f.user("carol").await;
    let out = patch(
        &f,
        "Groups",
        &id(&g),
        json!([
            {"op": "add", "path": "members", "value": [{"value": id(&c)}, {"value": id(&a)}]}
        ]),
    )
    .await
    .unwrap();
    assert_eq!(out["members"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn remove_with_a_value_filter_removes_only_the_matching_member() {
    let f = fixture();
    let (a, b, g) = sales(&f).await;
    let out = patch(
        &f,
        "Groups",
        &id(&g),
        json!([
            {"op": "remove", "path": format!("members[value eq \"{}\"]", id(&a))}
        ]),
    )
    .await
    .unwrap();
    let members: Vec<&Value> = out["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["value"])
        .collect();
    assert_eq!(members, [&json!(id(&b))]);
}

#[tokio::test]
async fn replace_with_a_filter_and_sub_attribute_changes_one_value() {
    let f = fixture();
    let u = f.create(
        "Users",
        json!({"schemas": [USER], "userName": "dana", "emails": [
            {"value": "d@work.example", "type": "work"}, {"value": "d@home.example", "type": "home"}
        ]}),
    ).await;
    let out = patch(&f, "Users", &id(&u), json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "dana@work.example"}
    ])).await.unwrap();
    assert_eq!(out["emails"][0]["value"], "dana@work.example");
    assert_eq!(out["emails"][1]["value"], "d@home.example");
}

#[tokio::test]
async fn replace_with_a_filter_that_matches_nothing_is_no_target() {
    let f = fixture();
    let u = f.create("Users", json!({"schemas": [USER], "userName": "erin", "emails": [{"value": "e@x.example", "type": "work"}]})).await;
    let e = patch(
        &f,
        "Users",
        &id(&u),
        json!([
            {"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x"}
        ]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::NoTarget));
}

#[tokio::test]
async fn remove_without_a_path_is_no_target() {
    let f = fixture();
    let u = f.user("fay").await;
    let e = patch(&f, "Users", &id(&u), json!([{"op": "remove"}]))
        .await
        .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::NoTarget));
}

#[tokio::test]
async fn a_path_less_add_merges_attributes_and_extensions() {
    let f = fixture();
    let u = f.user("gus").await;
    let out = patch(
        &f,
        "Users",
        &id(&u),
        json!([
            {"op": "add", "value": {"displayName": "Gus", ENTERPRISE: {"department": "Legal"}}}
        ]),
    )
    .await
    .unwrap();
    assert_eq!(out["displayName"], "Gus");
    assert_eq!(out[ENTERPRISE]["department"], "Legal");
    assert!(
        out["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!(ENTERPRISE))
    );
}

#[tokio::test]
async fn a_fully_qualified_extension_path_sets_the_attribute() {
    let f = fixture();
    let u = f.user("hal").await;
    let out = patch(
        &f,
        "Users",
        &id(&u),
        json!([
            {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Ops"}
        ]),
    )
    .await
    .unwrap();
    assert_eq!(out[ENTERPRISE]["department"], "Ops");
    let out = patch(
        &f,
        "Users",
        &id(&u),
        json!([{"op": "remove", "path": ENTERPRISE}]),
    )
    .await
    .unwrap();
    assert!(out.get(ENTERPRISE).is_none());
}

#[tokio::test]
async fn a_read_only_attribute_cannot_be_patched() {
    let f = fixture();
    let u = f.user("ivy").await;
    for path in ["id", "meta.created", "groups"] {
        let e = patch(
            &f,
            "Users",
            &id(&u),
            json!([{"op": "replace", "path": path, "value": "x"}]),
        )
        .await
        .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::Mutability), "{path}");
    }
}

#[tokio::test]
async fn removing_a_required_attribute_is_refused() {
    let f = fixture();
    let u = f.user("jay").await;
    let e = patch(
        &f,
        "Users",
        &id(&u),
        json!([{"op": "remove", "path": "userName"}]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
}

#[tokio::test]
async fn one_bad_operation_leaves_the_resource_unchanged() {
    let f = fixture();
    let u = f.user("kim").await;
    let before = f.get("Users", &id(&u));
    let e = patch(
        &f,
        "Users",
        &id(&u),
        json!([
            {"op": "replace", "path": "displayName", "value": "Kim"},
            {"op": "replace", "path": "active", "value": "not a boolean"}
        ]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    assert_eq!(f.get("Users", &id(&u)), before);
}

#[tokio::test]
async fn an_unknown_attribute_path_is_invalid_path() {
    let f = fixture();
    let u = f.user("lee").await;
    for path in [
        "nickName",
        "emails[type eq",
        "emails[type eq \"work\"].nope",
    ] {
        let e = patch(
            &f,
            "Users",
            &id(&u),
            json!([{"op": "add", "path": path, "value": "x"}]),
        )
        .await
        .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidPath), "{path}");
    }
}

#[tokio::test]
async fn a_patch_without_the_patch_op_schema_or_operations_is_refused() {
    let f = fixture();
    let u = f.user("max").await;
    for body in [
        json!({"Operations": [{"op": "add", "path": "displayName", "value": "x"}]}),
        json!({"schemas": [PATCH_OP], "Operations": []}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "displayName"}]}),
    ] {
        let e = f
            .scim
            .patch(
                &f.caller,
                "Users",
                &id(&u),
                &body,
                None,
                &Projection::Default,
            )
            .await
            .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    }
}

#[tokio::test]
async fn the_version_grows_with_each_change_and_not_without_one() {
    let f = fixture();
    let u = f.user("ned").await;
    let v1 = u["meta"]["version"].clone();
    let same = patch(
        &f,
        "Users",
        &id(&u),
        json!([{"op": "replace", "path": "displayName", "value": "ned"}]),
    )
    .await
    .unwrap();
    assert_eq!(same["meta"]["version"], v1);
    let changed = patch(
        &f,
        "Users",
        &id(&u),
        json!([{"op": "replace", "path": "displayName", "value": "Ned"}]),
    )
    .await
    .unwrap();
    assert_ne!(changed["meta"]["version"], v1);
}
