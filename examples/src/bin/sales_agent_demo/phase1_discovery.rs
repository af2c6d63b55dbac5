//! Phase 1: the sales agent runs as an unregistered client (a shadow agent).
//! Discovery, following the authority's audit log and client records, finds
//! it; the security team registers it in one call with John Smith (Sales Ops)
//! as owner and sponsor, its hard-coded Salesforce key moved into the vault
//! with a 90-day rotation.

use crate::timeline::Timeline;
use crate::world::{AGENT, World};
use agent_auth::secret::SecretString;
use reference_authority::discovery::Adoption;
use reference_authority::governance::templates::RoleTemplate;
use reference_authority::registry::{Actor, Entitlement};
use std::error::Error;
use token_vault_client::Credential;

/// The key the shadow agent's deployment carried in its configuration.
const HARD_CODED_KEY: &str = "sf-integration-key-from-agent-config";

/// Runs phase 1.
pub(crate) async fn run(w: &World, t: &mut Timeline) -> Result<(), Box<dyn Error>> {
    t.phase(1, "A shadow sales agent is discovered and registered");
    // The agent at work before anyone registered it: its own tokens.
    for _ in 0..3 {
        w.agent_token(&[
            ("grant_type", "client_credentials"),
            ("scope", "mcp:crm:read"),
        ])
        .await?;
    }
    let report = w.discovery.scan(&w.authority)?;
    let shadow = report
        .discovered
        .iter()
        .find(|d| d.client_id == AGENT)
        .ok_or("discovery did not find the shadow agent")?;
    t.record(
        1,
        format!("discovery scan: unregistered client {AGENT}"),
        "discovered",
        format!(
            "risk {} ({}): {}",
            shadow.risk_score,
            serde_json::to_value(shadow.risk)?,
            shadow.evidence.join("; ")
        ),
    );

    let admin = Actor::user("security-admin");
    w.governance.define_template(
        RoleTemplate::new("sales-agent")
            .entitlement(Entitlement::scope("mcp:crm:read", "crm://contacts"))
            .entitlement(Entitlement::VaultConnection {
                connection: "salesforce-integration".into(),
            }),
        &admin,
    )?;
    let adopted = w.discovery.register(
        &w.governance,
        AGENT,
        Adoption::new("sales-agent", "Sales agent", "john")
            .purpose("Prepares proposals for the sales team")
            .template("sales-agent")
            .credential(
                "salesforce-integration",
                Credential::ApiKey {
                    key: SecretString::new(HARD_CODED_KEY),
                    scopes: Vec::new(),
                },
            )
            .rotation_days(90),
        &admin,
    )?;
    let owners: Vec<String> = adopted
        .agent
        .owners
        .iter()
        .map(|o| {
            serde_json::to_value(o).map(|v| {
                format!(
                    "{} {}",
                    v.get("kind")
                        .and_then(|k| k.as_str())
                        .unwrap_or("principal"),
                    v.get("id").and_then(|i| i.as_str()).unwrap_or("?")
                )
            })
        })
        .collect::<Result<_, _>>()?;
    t.record(
        1,
        "registered with John Smith as owner and sponsor",
        "registered",
        format!(
            "agent {} {}, owners {}, sponsors {}, vaulted {}, next rotation in {} days",
            adopted.agent.id,
            serde_json::to_value(adopted.agent.status)?
                .as_str()
                .unwrap_or("?")
                .to_lowercase(),
            owners.join(", "),
            adopted.agent.sponsors.join(", "),
            adopted.vaulted.join(", "),
            (adopted.next_rotation - w.clock.now() + 43_200) / 86_400,
        ),
    );
    Ok(())
}
