//! The same PDP embedded and over real HTTP on loopback, through the OAuth
//! core's HTTP client (`RemotePdp`), gives the same decisions.

use crate::{NOW, PEP_SECRET, sources_fixture};
use agent_auth::authzen::{DecisionPoint, PdpError, RemotePdp};
use agent_auth::clock::ManualClock;
use agent_auth::oauth::HttpClient;
use agent_auth::secret::SecretString;
use reference_authority::authzen::Pdp;
use reference_authority::authzen::http::{Callers, PDP_SCOPE, router};
use reference_authority::*;
use std::sync::Arc;

#[tokio::test]
async fn remote_and_embedded_decisions_are_the_same() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let clock = ManualClock::new(NOW);
    let authority = Authority::builder(base.clone())
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("pep", PEP_SECRET)
                .grant_types(["client_credentials"])
                .scopes([PDP_SCOPE])
                .resources([base.as_str()]),
        )
        .unwrap();
    let pdp = Pdp::builder(base.clone())
        .clock(Arc::new(clock))
        .source(sources_fixture())
        .build();
    let app = router(pdp.clone(), Callers::new(authority.clone(), base.clone()));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let request = TokenRequest::new(Params::from_pairs([
        ("grant_type", "client_credentials"),
        ("scope", PDP_SCOPE),
        ("resource", base.as_str()),
    ]))
    .basic("pep", PEP_SECRET);
    let token = authority.token(&request).await.unwrap().access_token;
    let http = HttpClient::new().unwrap();

    let unauthenticated = RemotePdp::discover(http.clone(), &base).await.unwrap();
    let remote = unauthenticated
        .clone()
        .bearer(SecretString::new(token.expose_secret()));
    for (subject, doc) in [("alice", "1"), ("bob", "1"), ("alice", "2")] {
        let question = agent_auth::authzen::EvaluationRequest::new(
            agent_auth::authzen::Subject::new("user", subject),
            agent_auth::authzen::Action::new("read"),
            agent_auth::authzen::Resource::new("doc", doc),
        );
        let embedded = DecisionPoint::evaluate(&pdp, &question).await.unwrap();
        assert_eq!(remote.evaluate(&question).await.unwrap(), embedded);
        assert_eq!(
            unauthenticated.evaluate(&question).await,
            Err(PdpError::Refused { status: 401 })
        );
    }
    server.abort();
}
