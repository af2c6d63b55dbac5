//! Governance of agents on the reference authority, with a manual clock:
//! role templates that stay linked, just-in-time grants that end exactly at
//! their end, owner, N of M and CIBA approval, access review campaigns whose
//! deadline revokes, and the offboarding cascade with its tombstone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cascade;
mod cascade_vault;
#[path = "../common/exchange.rs"]
mod exchange;
mod jit;
#[cfg(feature = "server")]
mod jit_ciba;
mod jit_exchange;
mod jit_id_jag;
mod reviews;
mod templates;

use agent_auth::audit::{AuditEvent, MemorySink};
use agent_auth::clock::ManualClock;
use reference_authority::directory::{GroupSpec, PersonPatch};
use reference_authority::governance::Governance;
use reference_authority::notify::RecordingNotifier;
use reference_authority::registry::{Actor, AgentSpec, Entitlement, NewGrant, Principal};
use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec, grant_types};
use std::sync::Arc;

pub(crate) const ISSUER: &str = "https://idp.example";
/// 2026-01-01T00:00:00Z.
pub(crate) const NOW: i64 = 1_767_225_600;
pub(crate) const AGENT: &str = "sales-agent-prod-001";
pub(crate) const CLIENT: &str = "sales-agent";
pub(crate) const SECRET: &str = "sales-agent-secret-0123456789";
pub(crate) const CRM: &str = "https://crm.example";
pub(crate) const ERP: &str = "https://erp.example";

pub(crate) struct Fixture {
    pub(crate) authority: Authority,
    pub(crate) clock: ManualClock,
    pub(crate) audit: MemorySink,
    pub(crate) notes: RecordingNotifier,
    pub(crate) governance: Governance,
}

pub(crate) fn admin() -> Actor {
    Actor::user("admin")
}

pub(crate) fn scope(s: &str) -> Entitlement {
    Entitlement::scope(s, CRM)
}

/// People: olivia owns the sales agent and sponsors it; sarah is its user;
/// bob, carol and dave approve; the `platform` group holds carol. Agents:
/// `sales-agent-prod-001` (client `sales-agent`, owner olivia) and
/// `support-agent` (client `support-client`, owner group `platform`),
/// both ACTIVE; their clients may also exchange tokens (RFC 8693).
pub(crate) fn fixture() -> Fixture {
    fixture_with(|b| b)
}

pub(crate) fn fixture_with(
    configure: impl FnOnce(
        reference_authority::governance::GovernanceBuilder,
    ) -> reference_authority::governance::GovernanceBuilder,
) -> Fixture {
    fixture_on(None, configure)
}

/// The fixture on `store` (a fresh memory store when `None`).
pub(crate) fn fixture_on(
    store: Option<Arc<dyn reference_authority::Store>>,
    configure: impl FnOnce(
        reference_authority::governance::GovernanceBuilder,
    ) -> reference_authority::governance::GovernanceBuilder,
) -> Fixture {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let mut builder = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()));
    if let Some(store) = store {
        builder = builder.store(store);
    }
    let authority = builder.build().unwrap();
    let notes = RecordingNotifier::new();
    authority.registry().set_notifier(Arc::new(notes.clone()));
    for id in ["olivia", "sarah", "bob", "carol", "dave"] {
        authority
            .register_user(UserSpec::new(id).id(id).password("correct horse battery"))
            .unwrap();
        authority
            .directory()
            .create_person(id, PersonPatch::new().display_name(id), &admin())
            .unwrap();
    }
    authority
        .directory()
        .create_group(
            GroupSpec::new("platform", "Platform team").member("carol"),
            &admin(),
        )
        .unwrap();
    for client in [CLIENT, "support-client"] {
        authority
            .register_client(
                ClientSpec::confidential(client, SECRET)
                    .grant_types([
                        grant_types::CLIENT_CREDENTIALS,
                        grant_types::REFRESH_TOKEN,
                        "urn:openid:params:grant-type:ciba",
                        agent_auth::exchange::GRANT_TOKEN_EXCHANGE,
                    ])
                    .scopes(["openid", "crm:read", "crm:write"])
                    .resources([CRM, ERP]),
            )
            .unwrap();
    }
    let registry = authority.registry();
    registry
        .register(
            AgentSpec::new(AGENT, "Sales agent")
                .owner(Principal::Person("olivia".into()))
                .sponsor("olivia")
                .client(CLIENT),
            &admin(),
        )
        .unwrap();
    registry.activate(AGENT, &admin()).unwrap();
    registry
        .register(
            AgentSpec::new("support-agent", "Support agent")
                .owner(Principal::Group("platform".into()))
                .sponsor("olivia")
                .client("support-client"),
            &admin(),
        )
        .unwrap();
    registry.activate("support-agent", &admin()).unwrap();
    let governance = configure(Governance::builder(&authority)).build();
    notes.take();
    Fixture {
        authority,
        clock,
        audit,
        notes,
        governance,
    }
}

impl Fixture {
    /// The entitlements the registry says `agent` holds now.
    pub(crate) fn held(&self, agent: &str) -> Vec<Entitlement> {
        self.authority
            .registry()
            .entitlements(agent)
            .unwrap()
            .into_iter()
            .map(|g| g.entitlement)
            .collect()
    }

    /// Grants `e` to `agent` directly.
    pub(crate) fn grant_direct(&self, agent: &str, e: Entitlement) {
        self.authority
            .registry()
            .grant(agent, NewGrant::new(e), &admin())
            .unwrap();
    }

    /// Sarah asks for `crm:write` on the CRM for the sales agent, for ten
    /// minutes; returns the pending request's id.
    pub(crate) async fn request_crm_write(&self) -> String {
        self.governance
            .request_elevation(
                reference_authority::governance::jit::Elevation::new(
                    AGENT,
                    scope("crm:write"),
                    600,
                )
                .reason("quarter-end bulk update, ticket OPS-42")
                .requested_by("sarah"),
            )
            .await
            .unwrap()
    }

    /// Audit events of governance (those with an `actor`), with this reason
    /// detail value of `key` when given.
    pub(crate) fn governance_events(&self) -> Vec<AuditEvent> {
        self.audit
            .events()
            .into_iter()
            .filter(|e| e.details.contains_key("actor"))
            .collect()
    }
}
