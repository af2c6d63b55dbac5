//! The resources are the directory's people and groups and the registry's
//! agents: no second store. Deactivating a User over SCIM runs the
//! registry's sponsor cascade.

use super::*;
use reference_authority::ClientSpec;
use reference_authority::registry::{Actor, AgentSpec, AgentStatus, Principal};
use reference_authority::scim::ScimType;

async fn patch_active(
    f: &Fixture,
    endpoint: &str,
    id: &str,
    active: bool,
) -> Result<Value, reference_authority::scim::ScimError> {
    f.scim
        .patch(&f.caller, endpoint, id, &json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": active}]}), None, &Projection::Default)
        .await
        .map(|a| a.body)
}

#[tokio::test]
async fn a_scim_user_is_a_person_of_the_directory_with_an_authority_user() {
    let f = fixture();
    let maria = f.user("maria").await;
    let sarah = f
        .create("Users", json!({"schemas": [USER, ENTERPRISE], "userName": "sarah", ENTERPRISE: {"department": "Sales", "manager": {"value": id(&maria)}}}))
        .await;
    let person = f
        .authority
        .directory()
        .person(&id(&sarah))
        .unwrap()
        .unwrap();
    assert_eq!(person.department.as_deref(), Some("Sales"));
    assert_eq!(person.manager.as_deref(), Some(id(&maria).as_str()));
    assert_eq!(
        f.authority.user_by_name("sarah").unwrap().unwrap().id,
        id(&sarah)
    );
    assert_eq!(
        sarah[ENTERPRISE]["manager"]["$ref"],
        format!("{ISSUER}/scim/v2/Users/{}", id(&maria))
    );
}

#[tokio::test]
async fn an_existing_authority_user_is_adopted_by_user_name() {
    let f = fixture();
    f.authority
        .register_user(reference_authority::UserSpec::new("carol").id("carol-id"))
        .unwrap();
    let carol = f.user("carol").await;
    assert_eq!(carol["id"], "carol-id");
    let e = f
        .scim
        .create(
            &f.caller,
            "Users",
            &json!({"schemas": [USER], "userName": "carol"}),
            &Projection::Default,
        )
        .await
        .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::Uniqueness));
}

#[tokio::test]
async fn deactivating_a_user_disables_them_and_moves_their_sponsorships_to_the_manager() {
    let f = fixture();
    let maria = f.user("maria").await;
    let sarah = f
        .create("Users", json!({"schemas": [USER, ENTERPRISE], "userName": "sarah", ENTERPRISE: {"manager": {"value": id(&maria)}}}))
        .await;
    f.authority
        .register_client(
            ClientSpec::confidential("sales-agent", "sales-agent-secret-0123456789")
                .grant_types(["client_credentials"]),
        )
        .unwrap();
    let registry = f.authority.registry();
    let admin = Actor::user(id(&maria));
    registry
        .register(
            AgentSpec::new("sales-agent-prod-001", "Sales agent")
                .owner(Principal::Person(id(&sarah)))
                .sponsor(id(&sarah))
                .client("sales-agent"),
            &admin,
        )
        .unwrap();
    registry.activate("sales-agent-prod-001", &admin).unwrap();
    let out = patch_active(&f, "Users", &id(&sarah), false).await.unwrap();
    assert_eq!(out["active"], false);
    assert!(f.authority.user(&id(&sarah)).unwrap().unwrap().disabled);
    let agent = registry.agent("sales-agent-prod-001").unwrap().unwrap();
    assert_eq!(agent.sponsors, [id(&maria)]);
    let listed = f
        .scim
        .get("Agents", "sales-agent-prod-001", &Projection::Default)
        .unwrap()
        .body;
    assert_eq!(listed["name"], "Sales agent");
}

#[tokio::test]
async fn a_scim_agent_is_a_staged_registry_agent_with_its_owners() {
    let f = fixture();
    let sarah = f.user("sarah").await;
    let sales = f
        .create(
            "Groups",
            json!({"schemas": [GROUP], "displayName": "Sales", "members": [{"value": id(&sarah)}]}),
        )
        .await;
    let agent = f
        .create("Agents", json!({
            "schemas": [AGENT], "name": "crm-helper", "agentType": "assistant", "externalId": "ext-1",
            "owners": [{"value": id(&sarah), "type": "User"}, {"value": id(&sales)}],
            "protocols": [{"type": "MCP-Server"}, {"type": "A2A"}]
        }))
        .await;
    let record = f.authority.registry().agent(&id(&agent)).unwrap().unwrap();
    assert_eq!(record.status, AgentStatus::Staged);
    assert_eq!(
        record.owners,
        [Principal::Person(id(&sarah)), Principal::Group(id(&sales))]
    );
    assert_eq!(agent["active"], false);
    assert_eq!(agent["owners"][1]["type"], "Group");
    assert_eq!(
        agent["protocols"],
        json!([{"type": "MCP-Server"}, {"type": "A2A"}])
    );
    let child = f
        .create("Agents", json!({"schemas": [AGENT], "name": "crm-helper-sub", "agentType": "workflow", "parent": {"value": id(&agent)}}))
        .await;
    assert_eq!(
        f.authority
            .registry()
            .agent(&id(&child))
            .unwrap()
            .unwrap()
            .parent,
        Some(id(&agent))
    );
}

#[tokio::test]
async fn an_agent_owned_by_nobody_known_is_refused_and_nothing_is_registered() {
    let f = fixture();
    let e = f
        .scim
        .create(&f.caller, "Agents", &json!({"schemas": [AGENT], "name": "ghost", "agentType": "assistant", "owners": [{"value": "nobody", "type": "User"}]}), &Projection::Default)
        .await
        .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    let e = f
        .scim
        .create(
            &f.caller,
            "Agents",
            &json!({"schemas": [AGENT], "name": "eager", "agentType": "assistant", "active": true}),
            &Projection::Default,
        )
        .await
        .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    assert!(f.authority.registry().agents().unwrap().is_empty());
}

#[tokio::test]
async fn activating_an_agent_without_a_credential_is_refused_and_changes_nothing() {
    let f = fixture();
    let sarah = f.user("sarah").await;
    let agent = f
        .create("Agents", json!({"schemas": [AGENT], "name": "a1", "agentType": "assistant", "owners": [{"value": id(&sarah)}]}))
        .await;
    let before = f
        .scim
        .get("Agents", &id(&agent), &Projection::Default)
        .unwrap()
        .body;
    let put = json!({"schemas": [AGENT], "name": "a1-renamed", "agentType": "assistant", "active": true, "owners": [{"value": id(&sarah)}]});
    let e = f
        .scim
        .replace(
            &f.caller,
            "Agents",
            &id(&agent),
            &put,
            None,
            &Projection::Default,
        )
        .await
        .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    let after = f
        .scim
        .get("Agents", &id(&agent), &Projection::Default)
        .unwrap()
        .body;
    assert_eq!(after["name"], before["name"]);
    assert_eq!(after["active"], false);
}

#[tokio::test]
async fn group_members_must_be_people_and_groups_do_not_nest() {
    let f = fixture();
    let e = f
        .scim
        .create(
            &f.caller,
            "Groups",
            &json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": "stranger"}]}),
            &Projection::Default,
        )
        .await
        .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    let e = f
        .scim
        .create(&f.caller, "Groups", &json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": "x", "type": "Group"}]}), &Projection::Default)
        .await
        .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    assert!(f.authority.directory().groups().unwrap().is_empty());
}

#[tokio::test]
async fn a_user_lists_the_groups_it_belongs_to() {
    let f = fixture();
    let sarah = f.user("sarah").await;
    let g = f
        .create(
            "Groups",
            json!({"schemas": [GROUP], "displayName": "Sales", "members": [{"value": id(&sarah)}]}),
        )
        .await;
    let u = f.get("Users", &id(&sarah));
    assert_eq!(u["groups"][0]["value"], g["id"]);
    assert_eq!(u["groups"][0]["display"], "Sales");
}
