//! The agent resource drafts' descriptive attributes (draft-wzdk-scim-agent-
//! resource): `displayName`, `subject`, `applications` and
//! `protocols.specificationUrl` are kept in the registry record and come
//! back unchanged through POST, PUT and PATCH, and the Schemas endpoint
//! describes them.

use super::*;
use reference_authority::registry::ApplicationLink;
use reference_authority::scim::discovery;
use reference_authority::scim::schema::definitions;

const CARD: &str = "https://crm.example/.well-known/agent-card.json";

async fn described_agent(f: &Fixture) -> Value {
    let sarah = f.user("sarah").await;
    f.create(
        "Agents",
        json!({
            "schemas": [AGENT], "name": "crm-helper", "agentType": "assistant", "displayName": "CRM helper",
            "subject": "crm-helper@acme.example",
            "owners": [{"value": id(&sarah), "type": "User"}],
            "applications": [{"value": "crm-suite", "display": "CRM suite"}],
            "protocols": [{"type": "A2A", "specificationUrl": CARD}, {"type": "MCP-Server"}]
        }),
    )
    .await
}

#[tokio::test]
async fn a_posted_agent_keeps_its_display_name_subject_applications_and_specifications() {
    let f = fixture();
    let agent = described_agent(&f).await;
    assert_eq!(agent["displayName"], "CRM helper");
    assert_eq!(agent["subject"], "crm-helper@acme.example");
    assert_eq!(
        agent["applications"],
        json!([{"value": "crm-suite", "display": "CRM suite"}])
    );
    let protocols = agent["protocols"].as_array().unwrap();
    let a2a = protocols.iter().find(|p| p["type"] == "A2A").unwrap();
    assert_eq!(a2a["specificationUrl"], CARD);
    let record = f.authority.registry().agent(&id(&agent)).unwrap().unwrap();
    assert_eq!(record.profile.display_name.as_deref(), Some("CRM helper"));
    assert_eq!(
        record.profile.applications,
        [ApplicationLink {
            value: "crm-suite".into(),
            display: Some("CRM suite".into())
        }]
    );
    assert_eq!(
        record.profile.specifications.get("A2A").map(String::as_str),
        Some(CARD)
    );
    assert_eq!(f.get("Agents", &id(&agent)), agent);
}

#[tokio::test]
async fn put_replaces_the_profile_and_drops_what_it_leaves_out() {
    let f = fixture();
    let agent = described_agent(&f).await;
    let mut body = agent.clone();
    body["displayName"] = json!("CRM helper v2");
    body.as_object_mut().unwrap().remove("subject");
    body.as_object_mut().unwrap().remove("applications");
    let put = f
        .scim
        .replace(
            &f.caller,
            "Agents",
            &id(&agent),
            &body,
            None,
            &Projection::Default,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(put["displayName"], "CRM helper v2");
    assert!(put.get("subject").is_none());
    assert!(put.get("applications").is_none());
    let record = f.authority.registry().agent(&id(&agent)).unwrap().unwrap();
    assert_eq!(record.profile.subject, None);
    assert!(record.profile.applications.is_empty());
}

#[tokio::test]
async fn patch_changes_one_profile_attribute_and_keeps_the_others() {
    let f = fixture();
    let agent = described_agent(&f).await;
    let patched = f
        .scim
        .patch(
            &f.caller,
            "Agents",
            &id(&agent),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "applications", "value": [{"value": "billing"}]}
            ]}),
            None,
            &Projection::Default,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(patched["displayName"], "Renamed");
    assert_eq!(patched["subject"], "crm-helper@acme.example");
    assert_eq!(
        patched["applications"],
        json!([{"value": "crm-suite", "display": "CRM suite"}, {"value": "billing"}])
    );
    let a2a = patched["protocols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "A2A")
        .cloned()
        .unwrap();
    assert_eq!(a2a["specificationUrl"], CARD);
}

#[test]
fn the_schemas_endpoint_describes_the_draft_attributes() {
    let schema = discovery::schema(ISSUER, &definitions::agent());
    let attributes = schema["attributes"].as_array().unwrap();
    let named = |n: &str| attributes.iter().find(|a| a["name"] == n).cloned();
    assert_eq!(named("displayName").unwrap()["type"], "string");
    assert_eq!(named("subject").unwrap()["type"], "string");
    let applications = named("applications").unwrap();
    assert_eq!(applications["multiValued"], true);
    let protocols = named("protocols").unwrap();
    let spec = protocols["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "specificationUrl")
        .cloned()
        .unwrap();
    assert_eq!(spec["type"], "reference");
    assert_eq!(spec["referenceTypes"], json!(["external"]));
}
