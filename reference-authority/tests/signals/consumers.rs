//! The agent side's consumers of the shared receiver, over the wire: one
//! push endpoint (`PushEndpoint::router`) feeds the CIBA client and the
//! delegation and ID-JAG caches of the sales agent. The kill switch logs
//! Sarah out; when `fire` returns, her pending approval is cancelled and her
//! cached tokens are gone, while Bob's stay.

use crate::support::*;
use agent_auth::exchange::{
    ClientAuth, CrossDomainClient, CrossDomainRequest, DelegationClient, ExchangeClient,
    TokenExchangeRequest, token_types,
};
use agent_auth::oauth::{HttpClient, HttpRequest, HttpResponse};
use agent_auth::secret::{SecretString, Token};
use agent_auth::signals::{PushEndpoint, SetReceiver};
use ciba_client::{
    ApprovalOutcome, AuthenticationRequest, CibaClient, CibaSignals, Endpoints, Hint,
    PendingApproval,
};
use reference_authority::kill_switch::{LogoutRequest, Target};
use reference_authority::signals::{DeliveryStatus, types};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const PUSH_SECRET: &str = "Bearer agent-push-secret-0123456789";

/// The agent's token endpoints (its authorization servers), counting the
/// exchanges they make; and its CIBA OP, keeping every request pending.
fn endpoints(exchanges: Arc<AtomicUsize>) -> HttpClient {
    let started = Arc::new(AtomicUsize::new(0));
    HttpClient::with_transport(move |req: HttpRequest| {
        let body = String::from_utf8_lossy(req.body()).into_owned();
        let answer = match req.url().path() {
            "/bc" => {
                let i = started.fetch_add(1, Ordering::SeqCst);
                HttpResponse::json(
                    200,
                    &json!({"auth_req_id": format!("req-{i}"), "expires_in": 600, "interval": 1}),
                )
            }
            "/ciba-token" => HttpResponse::json(400, &json!({"error": "authorization_pending"})),
            _ => {
                let n = exchanges.fetch_add(1, Ordering::SeqCst);
                let issued = if body.contains("id-jag") {
                    token_types::ID_JAG
                } else {
                    token_types::ACCESS_TOKEN
                };
                HttpResponse::json(
                    200,
                    &json!({"access_token": format!("t-{n}"), "token_type": "N_A",
                            "issued_token_type": issued, "expires_in": 600}),
                )
            }
        };
        async move { Ok(answer) }
    })
}

/// What the sales agent holds for its users.
struct Agent {
    ciba: CibaClient,
    delegation: Arc<DelegationClient>,
    cross: Arc<CrossDomainClient>,
    exchanges: Arc<AtomicUsize>,
}

impl Agent {
    fn new(f: &Fixture) -> Self {
        let exchanges = Arc::new(AtomicUsize::new(0));
        let http = endpoints(exchanges.clone());
        let ciba = CibaClient::builder(
            Endpoints {
                issuer: f.base.clone(),
                backchannel: f.url("/bc"),
                token: f.url("/ciba-token"),
            },
            ciba_client::ClientAuth::secret_basic(AGENT, AGENT_SECRET),
        )
        .with_http(http.clone())
        .build();
        let exchange = |url: &str| {
            ExchangeClient::with_http(http.clone(), url, ClientAuth::basic(AGENT, AGENT_SECRET))
                .unwrap()
        };
        Self {
            ciba,
            delegation: Arc::new(DelegationClient::new(exchange(&f.url("/token")))),
            cross: Arc::new(CrossDomainClient::new(
                exchange(&f.url("/token")),
                exchange("https://pricing-as.example/token"),
            )),
            exchanges,
        }
    }

    /// Gets the delegated and the cross-domain token for the user of `token`
    /// (from the caches when they hold them).
    async fn tokens_for(&self, token: &str) {
        let token = Token::new(token.to_owned());
        let delegated = TokenExchangeRequest::new(token.clone(), token_types::ACCESS_TOKEN)
            .audience("https://crm.example");
        self.delegation.access_token(&delegated).await.unwrap();
        let pricing = CrossDomainRequest::new("https://pricing-as.example", ["pricing:read"]);
        self.cross.access_token(&token, &pricing).await.unwrap();
    }

    /// Fills both caches with `user`'s tokens and asks `user` to approve.
    async fn act_for(&self, user: &str, token: &str) -> PendingApproval {
        self.tokens_for(token).await;
        let ask =
            AuthenticationRequest::new(Hint::LoginHint(user.into())).binding_message("Acme 450k");
        self.ciba.start(ask).await.unwrap()
    }

    /// How many token requests the caches make to serve the user of `token` again.
    async fn exchanges_to_serve_again(&self, token: &str) -> usize {
        let before = self.exchanges.load(Ordering::SeqCst);
        self.tokens_for(token).await;
        self.exchanges.load(Ordering::SeqCst) - before
    }

    /// The agent's push endpoint on loopback, its stream at the authority.
    async fn subscribe(&self, f: &Fixture) {
        let receiver = SetReceiver::builder(f.set_validator(RECEIVER).await)
            .token_issuers(&[f.base.as_str()])
            .clock(Arc::new(f.clock.clone()))
            .subscriber(Arc::new(CibaSignals::new(self.ciba.clone())))
            .subscriber(self.delegation.clone())
            .subscriber(self.cross.clone())
            .build();
        let app = PushEndpoint::new(receiver)
            .authorization(SecretString::new(PUSH_SECRET))
            .router("/ssf");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/ssf", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let token = f.receiver_token().await;
        f.create_stream(
            &token,
            push_stream_body(&url, Some(PUSH_SECRET), &[types::SESSION_REVOKED]),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_switch_cancels_the_users_approvals_and_drops_the_users_cached_tokens() {
    let f = fixture().await;
    let agent = Agent::new(&f);
    agent.subscribe(&f).await;
    let (sarah_token, _) = f.user_tokens(AGENT, "user-sarah");
    let (bob_token, _) = f.user_tokens(AGENT, "user-bob");
    let sarah = agent.act_for("user-sarah", &sarah_token).await;
    let bob = agent.act_for("user-bob", &bob_token).await;
    assert_eq!(agent.exchanges_to_serve_again(&sarah_token).await, 0);
    assert_eq!(agent.ciba.resume().unwrap().len(), 2);

    let report = f
        .kill
        .fire(&LogoutRequest::new(
            Target::User("user-sarah".into()),
            "phishing report",
        ))
        .await
        .unwrap();
    assert_eq!(report.deliveries.len(), 1);
    assert_eq!(report.deliveries[0].status, DeliveryStatus::Acknowledged);

    // Sarah's approval is cancelled; Bob's still waits.
    assert!(matches!(sarah.wait().await, ApprovalOutcome::Cancelled));
    let pending = agent.ciba.resume().unwrap();
    assert_eq!(pending.len(), 1);
    assert!(bob.expires_at() > 0);
    // Sarah's tokens are exchanged again (one delegation, an ID-JAG and its
    // token); Bob's come from the caches.
    assert_eq!(agent.exchanges_to_serve_again(&sarah_token).await, 3);
    assert_eq!(agent.exchanges_to_serve_again(&bob_token).await, 0);
}
