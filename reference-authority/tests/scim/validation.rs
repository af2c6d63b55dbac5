//! RFC 7643 sections 2 and 7, RFC 7644 section 3.3: resources must fit the
//! schemas; refused writes change nothing.

use super::*;
use reference_authority::scim::ScimType;

async fn refused(f: &Fixture, endpoint: &str, body: Value) -> reference_authority::scim::ScimError {
    f.scim
        .create(&f.caller, endpoint, &body, &Projection::Default)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_resource_without_its_core_schema_is_refused() {
    let f = fixture();
    let e = refused(&f, "Users", json!({"userName": "a"})).await;
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    let e = refused(&f, "Users", json!({"schemas": [GROUP], "userName": "a"})).await;
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
}

#[tokio::test]
async fn an_unknown_attribute_is_refused_not_dropped() {
    let f = fixture();
    let e = refused(
        &f,
        "Users",
        json!({"schemas": [USER], "userName": "a", "shoeSize": 44}),
    )
    .await;
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_invalid_value() {
    let f = fixture();
    for body in [
        json!({"schemas": [USER], "userName": 7}),
        json!({"schemas": [USER], "userName": "a", "active": "yes"}),
        json!({"schemas": [USER], "userName": "a", "displayName": ["x"]}),
        json!({"schemas": [USER], "userName": "a", "emails": [{"value": 3}]}),
    ] {
        assert_eq!(
            refused(&f, "Users", body.clone()).await.scim_type(),
            Some(ScimType::InvalidValue),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_missing_required_attribute_is_invalid_value() {
    let f = fixture();
    assert_eq!(
        refused(&f, "Users", json!({"schemas": [USER]}))
            .await
            .scim_type(),
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        refused(
            &f,
            "Agents",
            json!({"schemas": [AGENT], "agentType": "assistant", "description": "x"})
        )
        .await
        .scim_type(),
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        refused(
            &f,
            "Agents",
            json!({"schemas": [AGENT], "name": "x", "agentType": "assistant", "owners": [{"type": "User"}]})
        )
        .await
        .scim_type(),
        Some(ScimType::InvalidValue)
    );
}

#[tokio::test]
async fn two_primary_values_are_invalid_value() {
    let f = fixture();
    let e = refused(
        &f,
        "Users",
        json!({"schemas": [USER], "userName": "a", "emails": [
            {"value": "a@x.example", "primary": true}, {"value": "b@x.example", "primary": true}
        ]}),
    )
    .await;
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
}

#[tokio::test]
async fn a_duplicate_user_name_is_a_uniqueness_conflict() {
    let f = fixture();
    f.user("sarah").await;
    let e = refused(&f, "Users", json!({"schemas": [USER], "userName": "SARAH"})).await;
    assert_eq!(e.status(), 409);
    assert_eq!(e.scim_type(), Some(ScimType::Uniqueness));
    let list = f.scim.query(Some("Users"), &Default::default()).unwrap();
    assert_eq!(list["totalResults"], 1);
}

#[tokio::test]
async fn read_only_values_from_the_client_are_ignored() {
    let f = fixture();
    let u = f
        .create(
            "Users",
            json!({
                "schemas": [USER], "id": "chosen-by-client", "userName": "tom",
                "groups": [{"value": "admins"}], "meta": {"version": "W/\"99\""}
            }),
        )
        .await;
    assert_ne!(u["id"], "chosen-by-client");
    assert!(u.get("groups").is_none());
    assert_eq!(u["meta"]["version"], "W/\"1\"");
}

#[tokio::test]
async fn put_replaces_and_keeps_the_id_but_not_the_user_name() {
    let f = fixture();
    let u = f
        .create(
            "Users",
            json!({"schemas": [USER], "userName": "uma", "displayName": "Uma"}),
        )
        .await;
    let e = f
        .scim
        .replace(
            &f.caller,
            "Users",
            &id(&u),
            &json!({"schemas": [USER], "userName": "uma2"}),
            None,
            &Projection::Default,
        )
        .await
        .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::Mutability));
    let out = f
        .scim
        .replace(
            &f.caller,
            "Users",
            &id(&u),
            &json!({"schemas": [USER], "userName": "uma", "emails": [{"value": "u@x.example", "primary": true}]}),
            None,
            &Projection::Default,
        ).await
        .unwrap()
        .body;
    assert_eq!(out["id"], u["id"]);
    assert_eq!(out["emails"][0]["value"], "u@x.example");
    assert!(out.get("displayName").is_none());
}

#[tokio::test]
async fn an_unknown_resource_is_404_and_an_unknown_type_too() {
    let f = fixture();
    assert_eq!(
        f.scim
            .get("Users", "nope", &Projection::Default)
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(
        f.scim
            .get("Printers", "x", &Projection::Default)
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(
        f.scim
            .delete(&f.caller, "Users", "nope", None)
            .await
            .unwrap_err()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let f = fixture();
    let u = f.user("vic").await;
    let stale = reference_authority::scim::etag::parse("W/\"0\"").unwrap();
    let e = f
        .scim
        .replace(
            &f.caller,
            "Users",
            &id(&u),
            &json!({"schemas": [USER], "userName": "x"}),
            Some(&stale),
            &Projection::Default,
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 412);
    let e = f
        .scim
        .delete(&f.caller, "Users", &id(&u), Some(&stale))
        .await
        .unwrap_err();
    assert_eq!(e.status(), 412);
    assert_eq!(f.get("Users", &id(&u))["userName"], "vic");
    let current =
        reference_authority::scim::etag::parse(u["meta"]["version"].as_str().unwrap()).unwrap();
    f.scim
        .delete(&f.caller, "Users", &id(&u), Some(&current))
        .await
        .unwrap();
}
