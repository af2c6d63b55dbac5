//! RFC 7644 section 3.5.2: add, remove and replace with paths, value filters
//! and sub-attributes; a request with one bad operation changes nothing.

use super::*;
use reference_authority::scim::ScimType;

fn patch(
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
        .map(|a| a.body)
}

fn sales(f: &Fixture) -> (Value, Value, Value) {
    let a = f.user("alice");
    let b = f.user("bob");
    let g = f.create(
        "Groups",
        json!({"schemas": [GROUP], "displayName": "Sales", "members": [{"value": id(&a)}, {"value": id(&b)}]}),
    );
    (a, b, g)
}

#[test]
fn add_appends_to_a_multi_valued_attribute_without_duplicates() {
    let f = fixture();
    let (a, _, g) = sales(&f);
    let c = f.user("carol");
    let out = patch(
        &f,
        "Groups",
        &id(&g),
        json!([
            {"op": "add", "path": "members", "value": [{"value": id(&c)}, {"value": id(&a)}]}
        ]),
    )
    .unwrap();
    assert_eq!(out["members"].as_array().unwrap().len(), 3);
}

#[test]
fn remove_with_a_value_filter_removes_only_the_matching_member() {
    let f = fixture();
    let (a, b, g) = sales(&f);
    let out = patch(
        &f,
        "Groups",
        &id(&g),
        json!([
            {"op": "remove", "path": format!("members[value eq \"{}\"]", id(&a))}
        ]),
    )
    .unwrap();
    assert_eq!(out["members"], json!([{"value": id(&b)}]));
}

#[test]
fn replace_with_a_filter_and_sub_attribute_changes_one_value() {
    let f = fixture();
    let u = f.create(
        "Users",
        json!({"schemas": [USER], "userName": "dana", "emails": [
            {"value": "d@work.example", "type": "work"}, {"value": "d@home.example", "type": "home"}
        ]}),
    );
    let out = patch(&f, "Users", &id(&u), json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "dana@work.example"}
    ])).unwrap();
    assert_eq!(out["emails"][0]["value"], "dana@work.example");
    assert_eq!(out["emails"][1]["value"], "d@home.example");
}

#[test]
fn replace_with_a_filter_that_matches_nothing_is_no_target() {
    let f = fixture();
    let u = f.create("Users", json!({"schemas": [USER], "userName": "erin", "emails": [{"value": "e@x.example", "type": "work"}]}));
    let e = patch(
        &f,
        "Users",
        &id(&u),
        json!([
            {"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x"}
        ]),
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::NoTarget));
}

#[test]
fn remove_without_a_path_is_no_target() {
    let f = fixture();
    let u = f.user("fay");
    let e = patch(&f, "Users", &id(&u), json!([{"op": "remove"}])).unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::NoTarget));
}

#[test]
fn a_path_less_add_merges_attributes_and_extensions() {
    let f = fixture();
    let u = f.user("gus");
    let out = patch(
        &f,
        "Users",
        &id(&u),
        json!([
            {"op": "add", "value": {"displayName": "Gus", ENTERPRISE: {"department": "Legal"}}}
        ]),
    )
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

#[test]
fn a_fully_qualified_extension_path_sets_the_attribute() {
    let f = fixture();
    let u = f.user("hal");
    let out = patch(
        &f,
        "Users",
        &id(&u),
        json!([
            {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Ops"}
        ]),
    )
    .unwrap();
    assert_eq!(out[ENTERPRISE]["department"], "Ops");
    let out = patch(
        &f,
        "Users",
        &id(&u),
        json!([{"op": "remove", "path": ENTERPRISE}]),
    )
    .unwrap();
    assert!(out.get(ENTERPRISE).is_none());
}

#[test]
fn a_read_only_attribute_cannot_be_patched() {
    let f = fixture();
    let u = f.user("ivy");
    for path in ["id", "meta.created", "groups"] {
        let e = patch(
            &f,
            "Users",
            &id(&u),
            json!([{"op": "replace", "path": path, "value": "x"}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::Mutability), "{path}");
    }
}

#[test]
fn removing_a_required_attribute_is_refused() {
    let f = fixture();
    let u = f.user("jay");
    let e = patch(
        &f,
        "Users",
        &id(&u),
        json!([{"op": "remove", "path": "userName"}]),
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
}

#[test]
fn one_bad_operation_leaves_the_resource_unchanged() {
    let f = fixture();
    let u = f.user("kim");
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
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    assert_eq!(f.get("Users", &id(&u)), before);
}

#[test]
fn an_unknown_attribute_path_is_invalid_path() {
    let f = fixture();
    let u = f.user("lee");
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
        .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidPath), "{path}");
    }
}

#[test]
fn a_patch_without_the_patch_op_schema_or_operations_is_refused() {
    let f = fixture();
    let u = f.user("max");
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
            .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    }
}

#[test]
fn the_version_grows_with_each_change_and_not_without_one() {
    let f = fixture();
    let u = f.user("ned");
    let v1 = u["meta"]["version"].clone();
    let same = patch(
        &f,
        "Users",
        &id(&u),
        json!([{"op": "replace", "path": "displayName", "value": "ned"}]),
    )
    .unwrap();
    assert_eq!(same["meta"]["version"], v1);
    let changed = patch(
        &f,
        "Users",
        &id(&u),
        json!([{"op": "replace", "path": "displayName", "value": "Ned"}]),
    )
    .unwrap();
    assert_ne!(changed["meta"]["version"], v1);
}
