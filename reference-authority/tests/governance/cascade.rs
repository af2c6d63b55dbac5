//! The deprovisioning cascade: offboarding removes each kind of access (tokens
//! and grants, JIT grants, FGA tuples, entitlements, vault entries, pending
//! CIBA requests), leaves a tombstone with the evidence, records partial
//! failure, and a retry is idempotent.

use super::*;
use agent_auth::audit::{AuditAction, Outcome};
use async_trait::async_trait;
use fga_core::engine::{
    BatchCheckItem, BatchCheckResult, CheckRequest, ListObjectsRequest, ListObjectsResponse,
    ListUsersRequest,
};
use fga_core::{AuthorizationModel, EmbeddedBackend, Engine, FgaBackend, ReadFilter, TupleKey};
use reference_authority::governance::cascade::{
    CascadeError, ProviderRevocation, Retire, RevocationResult, Step, StepOutcome,
};
use reference_authority::governance::jit::Elevation;
use reference_authority::{GrantFacts, IssueOptions, Params, TokenRequest};
use std::sync::atomic::{AtomicBool, Ordering};
use token_vault_client::{
    Credential, CredentialKey, MasterKey, MemoryVaultStore, StaticKeyProvider, Vault,
};

const MODEL: &str = "model
  schema 1.1

type user

type agent

type document
  relations
    define viewer: [user, agent]
";

/// An FGA backend whose writes fail while `down` is set (a store outage).
struct Flaky {
    inner: EmbeddedBackend,
    down: AtomicBool,
}

#[async_trait]
impl FgaBackend for Flaky {
    async fn check(&self, r: CheckRequest) -> Result<bool, fga_core::Error> {
        self.inner.check(r).await
    }
    async fn batch_check(
        &self,
        items: Vec<BatchCheckItem>,
    ) -> Result<Vec<BatchCheckResult>, fga_core::Error> {
        self.inner.batch_check(items).await
    }
    async fn list_objects(
        &self,
        r: ListObjectsRequest,
    ) -> Result<ListObjectsResponse, fga_core::Error> {
        self.inner.list_objects(r).await
    }
    async fn list_users(&self, r: ListUsersRequest) -> Result<Vec<String>, fga_core::Error> {
        self.inner.list_users(r).await
    }
    async fn read(&self, f: ReadFilter) -> Result<Vec<TupleKey>, fga_core::Error> {
        self.inner.read(f).await
    }
    async fn write(&self, w: Vec<TupleKey>, d: Vec<TupleKey>) -> Result<(), fga_core::Error> {
        if self.down.load(Ordering::SeqCst) {
            return Err(fga_core::Error::Backend("store unavailable".into()));
        }
        self.inner.write(w, d).await
    }
    async fn write_model(&self, m: AuthorizationModel) -> Result<String, fga_core::Error> {
        self.inner.write_model(m).await
    }
    async fn read_model(&self) -> Result<AuthorizationModel, fga_core::Error> {
        self.inner.read_model().await
    }
}

struct World {
    f: Fixture,
    fga: Arc<Flaky>,
    vault: Vault,
    op: Option<reference_authority::ciba::CibaOp>,
}

async fn world() -> World {
    let fga = Arc::new(Flaky {
        inner: EmbeddedBackend::new(Engine::from_dsl(MODEL).unwrap()),
        down: AtomicBool::new(false),
    });
    fga.write(
        vec![
            TupleKey::new("document:templates", "viewer", format!("agent:{AGENT}")),
            TupleKey::new("document:pricing", "viewer", format!("agent:{AGENT}")),
            TupleKey::new("document:pricing", "viewer", "user:sarah"),
        ],
        Vec::new(),
    )
    .await
    .unwrap();
    let keys = Arc::new(StaticKeyProvider::new(
        MasterKey::new("k1", &[7; 32]).unwrap(),
    ));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys).build();
    let api_key = |k: &str| Credential::ApiKey {
        key: agent_auth::secret::SecretString::new(k),
        scopes: Vec::new(),
    };
    vault
        .put(
            &CredentialKey::new(ISSUER, AGENT, "salesforce"),
            &api_key("sf-key-0001"),
        )
        .unwrap();
    vault
        .put(
            &CredentialKey::new(ISSUER, "sarah", "google"),
            &api_key("g-key-0002"),
        )
        .unwrap();
    let (fga2, vault2) = (Arc::clone(&fga), vault.clone());
    let f = fixture_with(move |b| b.fga(fga2).vault(vault2, ISSUER));
    for e in [
        scope("crm:read"),
        Entitlement::ManagedConnection {
            audience: "https://pricing.acmecorp.internal".into(),
        },
        Entitlement::VaultConnection {
            connection: "salesforce".into(),
        },
        Entitlement::FgaRelation {
            object: "document:templates".into(),
            relation: "viewer".into(),
        },
    ] {
        f.grant_direct(AGENT, e);
    }
    World {
        f,
        fga,
        vault,
        op: None,
    }
}

fn refresh_family(f: &Fixture) -> (String, String) {
    let facts = GrantFacts {
        client_id: CLIENT.into(),
        scope: vec!["crm:read".into()],
        ..GrantFacts::default()
    };
    let tokens = f
        .authority
        .issue(
            &facts,
            IssueOptions {
                refresh_token: true,
                ..IssueOptions::default()
            },
        )
        .unwrap();
    (
        tokens.access_token.expose_secret().to_owned(),
        tokens.refresh_token.unwrap().expose_secret().to_owned(),
    )
}

async fn agent_tuples(w: &World) -> Vec<TupleKey> {
    w.fga
        .read(ReadFilter {
            user: Some(format!("agent:{AGENT}")),
            ..ReadFilter::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn offboarding_removes_every_kind_of_access_and_leaves_the_evidence() {
    let mut w = world().await;
    let op = reference_authority::ciba::CibaOp::install(
        &w.f.authority,
        Arc::new(reference_authority::ciba::ChannelDevice::new()),
    );
    op.register_client(CLIENT, ciba_client::DeliveryMode::Poll, None)
        .unwrap();
    let started = op
        .backchannel_authentication(
            &TokenRequest::new(Params::from_pairs([
                ("scope", "openid crm:read"),
                ("login_hint", "sarah"),
            ]))
            .basic(CLIENT, SECRET),
        )
        .await
        .unwrap();
    let auth_req_id = started.auth_req_id.expose_secret().to_owned();
    w.op = Some(op);
    let (access, _refresh) = refresh_family(&w.f);
    let g = &w.f.governance;
    let jit = g
        .request_elevation(
            Elevation::new(AGENT, scope("crm:write"), 600)
                .reason("bulk fix")
                .requested_by("sarah"),
        )
        .await
        .unwrap();
    g.approve_elevation(&jit, "olivia").unwrap();

    let t = g
        .offboard(AGENT, &admin(), "agent decommissioned", Retire::Deactivate)
        .await
        .unwrap();
    assert!(t.is_complete(), "{:?}", t.failed());
    let state = t.state();
    let removed = |s: Step| match &state[&s] {
        StepOutcome::Done { removed, .. } => removed.clone(),
        other => panic!("{s:?}: {other:?}"),
    };
    assert_eq!(removed(Step::Suspend), [format!("agent {AGENT} suspended")]);
    assert_eq!(
        removed(Step::Tokens),
        [format!("1 grants of client {CLIENT}")]
    );
    assert_eq!(removed(Step::JitGrants), [format!("jit {jit}")]);
    assert_eq!(removed(Step::FgaTuples).len(), 2);
    assert_eq!(removed(Step::Entitlements).len(), 4);
    assert_eq!(removed(Step::VaultEntries), ["vault entry salesforce"]);
    assert_eq!(
        removed(Step::CibaRequests),
        [format!("1 CIBA requests of client {CLIENT}")]
    );
    // An API key has no RFC 7009 revocation: the evidence says so.
    match &state[&Step::VaultEntries] {
        StepOutcome::Done { revocations, .. } => {
            assert_eq!(
                revocations,
                &[ProviderRevocation {
                    connection: "salesforce".into(),
                    result: RevocationResult::NotRevocable,
                }]
            );
        }
        other => panic!("{other:?}"),
    }

    // Each kind is gone, and other people's access is not touched.
    assert!(agent_tuples(&w).await.is_empty());
    assert_eq!(
        w.fga
            .read(ReadFilter {
                user: Some("user:sarah".into()),
                ..ReadFilter::default()
            })
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(w.f.held(AGENT).is_empty());
    assert!(!g.holds(AGENT, &scope("crm:write"), NOW).unwrap());
    let list = w.vault.store().list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].key.user, "sarah");
    // Re-enabling the client brings nothing back: the grant family is revoked
    // and the CIBA request was cancelled.
    w.f.authority.enable_client(CLIENT).unwrap();
    assert!(w.f.authority.verify_access_token(&access).is_err());
    let poll = TokenRequest::new(Params::from_pairs([
        ("grant_type", ciba_client::GRANT_TYPE),
        ("auth_req_id", auth_req_id.as_str()),
    ]))
    .basic(CLIENT, SECRET);
    let err = w.f.authority.token(&poll).await.unwrap_err();
    assert_eq!(err.code().as_str(), "access_denied");

    let audited = w
        .f
        .governance_events()
        .into_iter()
        .filter(|e| {
            e.action == AuditAction::AgentLifecycle && e.details.contains_key("offboarding_step")
        })
        .count();
    assert_eq!(audited, Step::ALL.len());
}

#[tokio::test]
async fn deleting_leaves_a_tombstone_and_a_retry_changes_nothing() {
    let w = world().await;
    let g = &w.f.governance;
    let t = g
        .offboard(AGENT, &admin(), "left the company", Retire::Delete)
        .await
        .unwrap();
    assert!(t.is_complete());
    assert!(t.deleted);
    assert_eq!(t.clients, [CLIENT]);
    let record = w.f.authority.registry().agent(AGENT).unwrap().unwrap();
    assert_eq!(
        record.status,
        reference_authority::registry::AgentStatus::Deleted
    );
    let again = g
        .offboard(AGENT, &admin(), "left the company", Retire::Delete)
        .await
        .unwrap();
    assert_eq!(again, t, "a complete offboarding is not run again");
    assert_eq!(g.tombstone(AGENT).unwrap().unwrap().attempts.len(), 1);
}

#[tokio::test]
async fn a_partial_failure_is_recorded_and_the_retry_finishes_only_what_failed() {
    let w = world().await;
    let g = &w.f.governance;
    w.fga.down.store(true, Ordering::SeqCst);
    let t = g
        .offboard(AGENT, &admin(), "compromised", Retire::Delete)
        .await
        .unwrap();
    assert!(!t.is_complete());
    assert_eq!(t.failed(), [Step::FgaTuples]);
    match &t.state()[&Step::FgaTuples] {
        StepOutcome::Failed { error } => assert!(error.contains("store unavailable"), "{error}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        agent_tuples(&w).await.len(),
        2,
        "nothing half-deleted is hidden"
    );
    let failed =
        w.f.audit
            .events()
            .into_iter()
            .filter(|e| e.action == AuditAction::Other("governance.offboarded".into()))
            .map(|e| e.outcome)
            .collect::<Vec<_>>();
    assert_eq!(failed, [Outcome::Error]);

    w.fga.down.store(false, Ordering::SeqCst);
    w.f.clock.advance(60);
    let t = g
        .offboard(AGENT, &admin(), "compromised", Retire::Delete)
        .await
        .unwrap();
    assert!(t.is_complete());
    assert_eq!(t.attempts.len(), 2);
    assert_eq!(
        t.attempts[1].steps.keys().copied().collect::<Vec<_>>(),
        [Step::FgaTuples],
        "the retry ran only the failed step"
    );
    assert!(agent_tuples(&w).await.is_empty());
    let third = g
        .offboard(AGENT, &admin(), "compromised", Retire::Delete)
        .await
        .unwrap();
    assert_eq!(third.attempts.len(), 2);
}

#[tokio::test]
async fn an_offboarding_without_reason_or_agent_is_refused() {
    let w = world().await;
    let g = &w.f.governance;
    assert!(matches!(
        g.offboard(AGENT, &admin(), "  ", Retire::Delete).await,
        Err(CascadeError::MissingReason)
    ));
    assert!(matches!(
        g.offboard("ghost", &admin(), "gone", Retire::Delete).await,
        Err(CascadeError::UnknownAgent(_))
    ));
    assert!(g.tombstone(AGENT).unwrap().is_none());
    assert_eq!(
        w.f.authority
            .registry()
            .agent(AGENT)
            .unwrap()
            .unwrap()
            .status,
        reference_authority::registry::AgentStatus::Active
    );
}

#[tokio::test]
async fn without_fga_or_vault_the_steps_say_not_configured() {
    let f = fixture();
    let t = f
        .governance
        .offboard(AGENT, &admin(), "retired", Retire::Delete)
        .await
        .unwrap();
    assert_eq!(t.state()[&Step::FgaTuples], StepOutcome::NotConfigured);
    assert_eq!(t.state()[&Step::VaultEntries], StepOutcome::NotConfigured);
    assert!(t.is_complete());
}
