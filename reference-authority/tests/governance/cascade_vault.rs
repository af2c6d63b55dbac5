//! The cascade's vault step deprovisions the agent at the vault, which
//! revokes each wiped entry's tokens at the provider (RFC 7009); the
//! provider here is a second reference authority, reached through its own
//! revocation endpoint, counting the requests it gets. A just-in-time
//! credential of the agent is revoked at its issuer.

use super::*;
use agent_auth::secret::SecretString;
use reference_authority::governance::cascade::{
    ProviderRevocation, Retire, RevocationResult, Step, StepOutcome,
};
use reference_authority::{GrantFacts, IssueOptions, Params, TokenRequest};
use std::sync::Mutex;
use token_vault_client::jit::{JitIssuer, JitSource, Lease};
use token_vault_client::{
    Accessor, ConnectionConfig, Credential, CredentialKey, MasterKey, MemoryVaultStore,
    RevocationRetry, RevokeError, StaticKeyProvider, TokenRevoker, TokenSet, TokioRetrySleeper,
    Vault, VaultError,
};

const CONNECTOR: &str = "crm-connector";
const CONNECTOR_SECRET: &str = "crm-connector-secret-0123456789";

/// The CRM's authorization server, as the vault's revoker sees it: every
/// request goes to the provider's revocation endpoint, and its hint is kept.
#[derive(Debug)]
struct Provider {
    authority: Authority,
    /// `token_type_hint` of each revocation request, in order.
    requests: Mutex<Vec<&'static str>>,
    /// When set, the endpoint is down (no request reaches it).
    down: bool,
}

impl Provider {
    fn revoke(&self, token: &SecretString, hint: &'static str) -> Result<(), RevokeError> {
        if self.down {
            return Err(RevokeError::Failed("HTTP 503".into()));
        }
        self.requests.lock().unwrap().push(hint);
        let request = TokenRequest::new(Params::from_pairs([
            ("token", token.expose_secret()),
            ("token_type_hint", hint),
        ]))
        .basic(CONNECTOR, CONNECTOR_SECRET);
        self.authority
            .revoke(&request)
            .map_err(|e| RevokeError::Failed(e.code().as_str().to_owned()))
    }
}

#[agent_auth::async_trait]
impl TokenRevoker for Provider {
    async fn revoke_refresh_token(&self, token: &SecretString) -> Result<(), RevokeError> {
        self.revoke(token, "refresh_token")
    }
    async fn revoke_access_token(&self, token: &SecretString) -> Result<(), RevokeError> {
        self.revoke(token, "access_token")
    }
}

/// The provider, with the connector's grant issued to the agent: its access
/// and refresh tokens.
fn provider(down: bool) -> (Arc<Provider>, String, String) {
    let authority = Authority::builder(CRM)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(ManualClock::new(NOW)))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential(CONNECTOR, CONNECTOR_SECRET)
                .grant_types([grant_types::REFRESH_TOKEN])
                .scopes(["crm:read"]),
        )
        .unwrap();
    let tokens = authority
        .issue(
            &GrantFacts {
                client_id: CONNECTOR.into(),
                scope: vec!["crm:read".into()],
                ..GrantFacts::default()
            },
            IssueOptions {
                refresh_token: true,
                ..IssueOptions::default()
            },
        )
        .unwrap();
    let access = tokens.access_token.expose_secret().to_owned();
    let refresh = tokens.refresh_token.unwrap().expose_secret().to_owned();
    let provider = Arc::new(Provider {
        authority,
        requests: Mutex::new(Vec::new()),
        down,
    });
    (provider, access, refresh)
}

/// A governance fixture whose vault holds the agent's CRM tokens and a
/// token of sarah's, one try per revocation (no waiting between tries).
fn vault_with(provider: &Arc<Provider>, access: &str, refresh: &str) -> (Fixture, Vault) {
    let vault = Vault::builder(
        Arc::new(MemoryVaultStore::new()),
        Arc::new(StaticKeyProvider::new(
            MasterKey::new("k1", &[7; 32]).unwrap(),
        )),
    )
    .revocation_retry(RevocationRetry {
        attempts: 1,
        backoff: 0,
        sleeper: Arc::new(TokioRetrySleeper),
    })
    .build();
    vault.add_connection(ConnectionConfig::new("crm").revoker(provider.clone()));
    let oauth = |access: &str, refresh: &str| {
        Credential::OAuth(TokenSet {
            access_token: SecretString::new(access),
            refresh_token: Some(SecretString::new(refresh)),
            expires_at: None,
            scopes: vec!["crm:read".into()],
            token_type: "Bearer".into(),
        })
    };
    vault
        .put(
            &CredentialKey::new(ISSUER, AGENT, "crm"),
            &oauth(access, refresh),
        )
        .unwrap();
    vault
        .put(
            &CredentialKey::new(ISSUER, "sarah", "crm"),
            &oauth("sarah-at", "sarah-rt"),
        )
        .unwrap();
    let shared = vault.clone();
    (fixture_with(move |b| b.vault(shared, ISSUER)), vault)
}

fn revocations(state: &std::collections::BTreeMap<Step, StepOutcome>) -> Vec<ProviderRevocation> {
    match &state[&Step::VaultEntries] {
        StepOutcome::Done { revocations, .. } => revocations.clone(),
        other => panic!("the vault step did not finish: {other:?}"),
    }
}

#[tokio::test]
async fn offboarding_revokes_the_agents_vault_tokens_at_the_provider() {
    let (provider, access, refresh) = provider(false);
    let (f, vault) = vault_with(&provider, &access, &refresh);
    assert!(provider.authority.verify_access_token(&access).is_ok());

    let t = f
        .governance
        .offboard(AGENT, &admin(), "decommissioned", Retire::Deactivate)
        .await
        .unwrap();
    assert!(t.is_complete(), "{:?}", t.failed());
    assert_eq!(
        revocations(&t.state()),
        [ProviderRevocation {
            connection: "crm".into(),
            result: RevocationResult::Revoked,
        }]
    );
    // Refresh token first, then the access token: two requests, no more.
    assert_eq!(
        *provider.requests.lock().unwrap(),
        ["refresh_token", "access_token"]
    );
    // At the provider the grant is gone: the access token no longer verifies
    // and the refresh token no longer refreshes.
    assert!(provider.authority.verify_access_token(&access).is_err());
    let refreshed = provider
        .authority
        .token(
            &TokenRequest::new(Params::from_pairs([
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
            ]))
            .basic(CONNECTOR, CONNECTOR_SECRET),
        )
        .await;
    assert_eq!(refreshed.unwrap_err().code().as_str(), "invalid_grant");
    // Sarah's entry stays hers.
    let left = vault.store().list().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].key.user, "sarah");

    // A retry has nothing left to revoke.
    let again = f
        .governance
        .offboard(AGENT, &admin(), "decommissioned", Retire::Deactivate)
        .await
        .unwrap();
    assert!(again.is_complete());
    assert_eq!(provider.requests.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_provider_that_fails_to_revoke_is_named_in_the_tombstone() {
    let (provider, access, refresh) = provider(true);
    let (f, vault) = vault_with(&provider, &access, &refresh);

    let t = f
        .governance
        .offboard(AGENT, &admin(), "decommissioned", Retire::Deactivate)
        .await
        .unwrap();
    // The entry is wiped all the same; the evidence says the grant lives on
    // at the provider, and why, without the token.
    assert!(t.is_complete(), "{:?}", t.failed());
    let [only] = revocations(&t.state()).try_into().unwrap();
    assert_eq!(only.connection, "crm");
    let RevocationResult::Failed { error } = &only.result else {
        panic!("expected a failure, got {:?}", only.result);
    };
    assert!(error.contains("HTTP 503"), "{error}");
    let evidence = serde_json::to_string(&t).unwrap();
    assert!(!evidence.contains(&refresh) && !evidence.contains(&access));
    assert!(evidence.contains(r#""status":"failed""#), "{evidence}");
    assert!(provider.authority.verify_access_token(&access).is_ok());
    assert_eq!(vault.store().list().unwrap().len(), 1);
}

/// A database that mints users for the vault and keeps the live ones.
#[derive(Debug)]
struct Db {
    now: i64,
    live: Mutex<Vec<String>>,
}

#[agent_auth::async_trait]
impl JitIssuer for Db {
    type Template = ();

    async fn issue(&self, agent: &str, _template: &(), ttl: i64) -> Result<Lease, VaultError> {
        let mut live = self.live.lock().unwrap();
        let user = format!("db-user-{}", live.len() + 1);
        live.push(user.clone());
        let expires_at = self.now + ttl;
        let credential = Credential::Database {
            username: user.clone(),
            password: SecretString::new("generated"),
            host: None,
            database: None,
            expires_at: Some(expires_at),
        };
        Ok(Lease::new(user, agent, credential, expires_at))
    }

    async fn revoke(&self, lease: &Lease) -> Result<bool, VaultError> {
        let mut live = self.live.lock().unwrap();
        let before = live.len();
        live.retain(|user| user != lease.id());
        Ok(live.len() < before)
    }

    async fn sweep_expired(&self) -> Result<usize, VaultError> {
        Ok(0)
    }

    fn lease_id(&self, credential: &Credential) -> Option<String> {
        match credential {
            Credential::Database { username, .. } => Some(username.clone()),
            _ => None,
        }
    }
}

#[tokio::test]
async fn offboarding_revokes_the_agents_just_in_time_credential_at_its_issuer() {
    let (provider, access, refresh) = provider(false);
    let (f, vault) = vault_with(&provider, &access, &refresh);
    let db = Arc::new(Db {
        now: vault.now(),
        live: Mutex::default(),
    });
    vault.add_connection(
        ConnectionConfig::new("crm-db").jit(JitSource::new(Arc::clone(&db), (), 900).unwrap()),
    );
    let own = Accessor::trusted_system(ISSUER, AGENT, AGENT);
    vault.get(&own, "crm-db", &[]).await.unwrap();
    assert_eq!(*db.live.lock().unwrap(), ["db-user-1"]);

    let t = f
        .governance
        .offboard(AGENT, &admin(), "decommissioned", Retire::Deactivate)
        .await
        .unwrap();
    assert!(t.is_complete(), "{:?}", t.failed());
    assert_eq!(
        revocations(&t.state()),
        [
            ProviderRevocation {
                connection: "crm".into(),
                result: RevocationResult::Revoked,
            },
            ProviderRevocation {
                connection: "crm-db".into(),
                result: RevocationResult::Revoked,
            },
        ]
    );
    assert!(db.live.lock().unwrap().is_empty());
}
