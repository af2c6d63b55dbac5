//! The fixture: an authority on loopback with its transmitter, kill switch and
//! Global Token Revocation endpoint; push receivers as small axum servers.

use agent_auth::audit::{FanoutSink, MemorySink, SharedSink};
use agent_auth::clock::ManualClock;
use agent_auth::validate::{SecurityEvent, StaticKeys, Validated, Validator};
use axum::http::{HeaderMap, StatusCode};
use reference_authority::gtr::GlobalTokenRevocation;
use reference_authority::kill_switch::KillSwitch;
use reference_authority::signals::{PUSH, Transmitter, TransmitterConfig};
use reference_authority::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub(crate) const NOW: i64 = 1_750_000_000;
pub(crate) const RECEIVER: &str = "receiver-app";
pub(crate) const RECEIVER_SECRET: &str = "receiver-secret-0123456789";
pub(crate) const AGENT: &str = "sales-agent-prod-001";
pub(crate) const AGENT_SECRET: &str = "agent-secret-0123456789ab";
pub(crate) const OPERATOR: &str = "soc-console";
pub(crate) const OPERATOR_SECRET: &str = "operator-secret-0123456789";
pub(crate) const USERS: [&str; 3] = ["user-sarah", "user-bob", "user-carol"];

pub(crate) struct Fixture {
    pub(crate) authority: Authority,
    pub(crate) transmitter: Transmitter,
    pub(crate) kill: KillSwitch,
    pub(crate) gtr: GlobalTokenRevocation,
    pub(crate) clock: ManualClock,
    pub(crate) audit: MemorySink,
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
}

/// An authority at `http://127.0.0.1:<port><path>` serving everything.
pub(crate) async fn fixture_with(
    path: &str,
    config: TransmitterConfig,
    store: Option<Arc<dyn Store>>,
) -> Fixture {
    fixture_audited(path, config, store, None).await
}

/// [`fixture_with`], the authority's audit events also going to `sink`.
pub(crate) async fn fixture_audited(
    path: &str,
    config: TransmitterConfig,
    store: Option<Arc<dyn Store>>,
    sink: Option<SharedSink>,
) -> Fixture {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    let base = format!("{host}{path}");
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let mut builder = Authority::builder(base.clone())
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(match sink {
            Some(sink) => Arc::new(FanoutSink::new(vec![Arc::new(audit.clone()), sink])),
            None => Arc::new(audit.clone()),
        });
    if let Some(s) = store {
        builder = builder.store(s);
    }
    let authority = builder.build().unwrap();
    for (i, id) in USERS.iter().enumerate() {
        let name = id.trim_start_matches("user-");
        if authority.user(id).unwrap().is_none() {
            authority
                .register_user(
                    UserSpec::new(name)
                        .id(*id)
                        .password("correct horse battery")
                        .email(format!("{name}@acme.example"))
                        .claim("phone_number", format!("+1555000000{i}")),
                )
                .unwrap();
        }
    }
    let cc = |id: &str, secret: &str, scopes: &[&str]| {
        ClientSpec::confidential(id, secret)
            .grant_types(["client_credentials", "authorization_code", "refresh_token"])
            .scopes(scopes.iter().copied())
    };
    authority
        .register_client(cc(RECEIVER, RECEIVER_SECRET, &["ssf"]))
        .unwrap();
    authority
        .register_client(cc("other-receiver", RECEIVER_SECRET, &["ssf"]))
        .unwrap();
    authority
        .register_client(cc("no-ssf-scope", RECEIVER_SECRET, &["profile"]))
        .unwrap();
    authority
        .register_client(cc(
            AGENT,
            AGENT_SECRET,
            &["openid", "crm:read", "offline_access"],
        ))
        .unwrap();
    authority
        .register_client(cc(OPERATOR, OPERATOR_SECRET, &["global_token_revocation"]))
        .unwrap();
    let transmitter = Transmitter::install_with(&authority, config);
    let kill = KillSwitch::new(&authority).signals(transmitter.clone());
    let gtr = GlobalTokenRevocation::install(kill.clone());
    let mut app = reference_authority::http::router(authority.clone())
        .merge(transmitter.router())
        .merge(gtr.router());
    if !path.is_empty() {
        app = axum::Router::new()
            .nest(path, app)
            .merge(transmitter.well_known_router());
    }
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fixture {
        authority,
        transmitter,
        kill,
        gtr,
        clock,
        audit,
        base,
        http: reqwest::Client::new(),
    }
}

pub(crate) async fn fixture() -> Fixture {
    fixture_with("", TransmitterConfig::default(), None).await
}

impl Fixture {
    /// A client credentials access token of `client` (in process).
    pub(crate) async fn client_token(&self, client: &str, secret: &str, scope: &str) -> String {
        let params = Params::from_pairs([("grant_type", "client_credentials"), ("scope", scope)]);
        let basic = base64_simd::STANDARD.encode_to_string(format!("{client}:{secret}"));
        let request = TokenRequest {
            params,
            authorization: Some(agent_auth::secret::SecretString::new(format!(
                "Basic {basic}"
            ))),
            dpop_proof: None,
        };
        let r = self.authority.token(&request).await.unwrap();
        r.access_token.expose_secret().to_owned()
    }

    pub(crate) async fn receiver_token(&self) -> String {
        self.client_token(RECEIVER, RECEIVER_SECRET, "ssf").await
    }

    /// Tokens of `client` for `user`: an access token and a refresh token,
    /// in one grant family.
    pub(crate) fn user_tokens(&self, client: &str, user: &str) -> (String, String) {
        self.user_tokens_for(client, user, &[])
    }

    /// [`user_tokens`](Self::user_tokens) for the `resources` (RFC 8707) given.
    pub(crate) fn user_tokens_for(
        &self,
        client: &str,
        user: &str,
        resources: &[String],
    ) -> (String, String) {
        let facts = GrantFacts {
            client_id: client.into(),
            user_id: Some(user.into()),
            scope: vec!["openid".into(), "crm:read".into()],
            resource: resources.to_vec(),
            ..GrantFacts::default()
        };
        let r = self
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
            r.access_token.expose_secret().to_owned(),
            r.refresh_token.unwrap().expose_secret().to_owned(),
        )
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A management call with a bearer token.
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A `GET` with a bearer token.
    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    /// A `DELETE` with a bearer token.
    pub(crate) async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::DELETE, path, token, None).await
    }

    /// A JSON request with a bearer token.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(method, path, token, Some(body)).await
    }

    /// Creates a stream over HTTP; returns its configuration.
    pub(crate) async fn create_stream(&self, token: &str, body: Value) -> Value {
        let (status, config) = self
            .call(
                reqwest::Method::POST,
                "/ssf/stream",
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{config}");
        config
    }

    /// Creates a push stream of [`RECEIVER`] to `endpoint_url` asking for
    /// `events`, over HTTP; returns its id.
    pub(crate) async fn push_stream(&self, endpoint_url: &str, events: &[&str]) -> String {
        let token = self.receiver_token().await;
        let created = self
            .create_stream(&token, push_stream_body(endpoint_url, None, events))
            .await;
        created["stream_id"].as_str().unwrap().to_owned()
    }

    /// A validator of the authority's SETs for audience `aud`, with the keys
    /// the authority publishes over HTTP.
    pub(crate) async fn set_validator(&self, aud: &str) -> Validator<SecurityEvent> {
        let jwks = self
            .http
            .get(self.url("/jwks"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let keys = StaticKeys::from_jwks(&jwks).unwrap();
        Validator::<SecurityEvent>::builder(keys)
            .issuer(self.base.clone())
            .audience(aud)
            .clock(Arc::new(self.clock.clone()))
            .build()
    }

    /// Validates a SET for audience `aud` (see [`set_validator`](Self::set_validator)).
    pub(crate) async fn validate_set(&self, set: &str, aud: &str) -> Validated<SecurityEvent> {
        self.set_validator(aud).await.validate(set).await.unwrap()
    }

    /// Registers the agent `sales-agent-prod-001` of client [`AGENT`],
    /// STAGED, owned and sponsored by sarah, who becomes a person of the
    /// directory.
    pub(crate) fn register_sales_agent(&self) {
        use reference_authority::directory::{Email, PersonPatch};
        use reference_authority::registry::{Actor, AgentSpec, Principal};
        let admin = Actor::user("admin");
        self.authority
            .directory()
            .create_person(
                "user-sarah",
                PersonPatch::new()
                    .display_name("Sarah")
                    .emails(vec![Email::work("sarah@acme.example")]),
                &admin,
            )
            .unwrap();
        self.authority
            .registry()
            .register(
                AgentSpec::new("sales-agent-prod-001", "Sales agent")
                    .owner(Principal::Person("user-sarah".into()))
                    .sponsor("user-sarah")
                    .client(AGENT),
                &admin,
            )
            .unwrap();
    }

    pub(crate) fn audit_has(&self, pred: impl Fn(&agent_auth::audit::AuditEvent) -> bool) -> bool {
        self.audit.events().iter().any(pred)
    }
}

/// What a push receiver saw.
#[derive(Debug, Clone)]
pub(crate) struct Push {
    pub(crate) set: String,
    pub(crate) authorization: Option<String>,
    pub(crate) content_type: Option<String>,
}

/// A push receiver on loopback answering `status` to every push.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) url: String,
    pub(crate) seen: Arc<Mutex<Vec<Push>>>,
    pub(crate) status: Arc<Mutex<u16>>,
}

impl Receiver {
    pub(crate) async fn start(status: u16) -> Self {
        let seen: Arc<Mutex<Vec<Push>>> = Arc::default();
        let answer = Arc::new(Mutex::new(status));
        let (s, a) = (seen.clone(), answer.clone());
        let app = axum::Router::new().route(
            "/events",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (s, a) = (s.clone(), a.clone());
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    s.lock().unwrap().push(Push {
                        set: body,
                        authorization: header("authorization"),
                        content_type: header("content-type"),
                    });
                    let code = *a.lock().unwrap();
                    let body = if code == 400 {
                        json!({"err": "invalid_audience", "description": "not for us"}).to_string()
                    } else {
                        String::new()
                    };
                    (StatusCode::from_u16(code).unwrap(), body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url,
            seen,
            status: answer,
        }
    }

    pub(crate) fn pushes(&self) -> Vec<Push> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = status;
    }
}

/// A receiver answering 202, with a push stream to it asking for `events`.
pub(crate) async fn push_receiver(f: &Fixture, events: &[&str]) -> Receiver {
    let receiver = Receiver::start(202).await;
    f.push_stream(&receiver.url, events).await;
    receiver
}

/// The body creating a push stream (RFC 8935) to `endpoint_url`, with the
/// `authorization_header` the transmitter is to send, asking for `events`.
pub(crate) fn push_stream_body(
    endpoint_url: &str,
    authorization_header: Option<&str>,
    events: &[&str],
) -> Value {
    let mut delivery = json!({"method": PUSH, "endpoint_url": endpoint_url});
    if let Some(h) = authorization_header {
        delivery["authorization_header"] = json!(h);
    }
    json!({"delivery": delivery, "events_requested": events})
}

/// The configuration path of one stream.
pub(crate) fn stream_path(id: &str) -> String {
    format!("/ssf/stream?stream_id={id}")
}

/// The status path of one stream.
pub(crate) fn status_path(id: &str) -> String {
    format!("/ssf/status?stream_id={id}")
}

/// The event object of `type_uri` in a validated SET.
pub(crate) fn event<'a>(set: &'a Validated<SecurityEvent>, type_uri: &str) -> Option<&'a Value> {
    set.claims().extra.get("events")?.get(type_uri)
}
