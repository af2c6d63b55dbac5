//! The reference authority as a server, for harnesses in other languages.
//!
//! ```text
//! reference-authority --config authority.toml [--listen 127.0.0.1:8080]
//! ```
//! Prints `listening on <issuer>` once it accepts connections. With
//! `database = "file.sqlite"` in the configuration, keys, users, clients,
//! sessions and grants survive a restart; built with the `postgres` feature,
//! `database = "postgres://..."` puts them in PostgreSQL, shared by several
//! instances. A `[registration]` table enables
//! dynamic client registration (RFC 7591) at `/register`: open, or with
//! `initial_access_token` required as a bearer token.
//!
//! An `[audit_log]` table records every decision in the tamper-evident audit
//! log and serves it (checkpoint, tiles, ingestion) under `/audit-log`.
//!
//! A `[ciba]` table mounts the CIBA OP (backchannel authentication endpoint,
//! CIBA grant, approval page); `[clients.ciba]` registers a client for it and
//! `user_code` on a user sets the code CIBA clients must present. See
//! `docs/ciba.md` for a full configuration.
//!
//! An `[agent_ca]` table (feature `certs`) serves the CRL and CA certificate
//! of the vault's agent CA under `/agent-ca/<trust-domain>`.

mod agent_ca;
mod audit_log;
mod ciba;
mod registration;

use reference_authority::http::router;
use reference_authority::{Authority, ClientAuthMethod, ClientSpec, Store, UserSpec};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    issuer: Option<String>,
    database: Option<String>,
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    clients: Vec<Client>,
    ciba: Option<ciba::Ciba>,
    registration: Option<registration::Registration>,
    audit_log: Option<audit_log::AuditLogConfig>,
    agent_ca: Option<agent_ca::AgentCaConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct User {
    username: String,
    password: String,
    id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    /// The CIBA `user_code` (needs `[ciba]`); stored hashed.
    user_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Client {
    client_id: String,
    client_secret: Option<String>,
    #[serde(default)]
    client_secret_post: bool,
    #[serde(default)]
    public: bool,
    /// A JWK Set (JSON text) for private_key_jwt.
    jwks: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    grant_types: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    #[serde(default)]
    resources: Vec<String>,
    /// A trusted first-party client: users are not asked to consent.
    #[serde(default)]
    trusted_first_party: bool,
    /// The CIBA registration (needs `[ciba]`).
    ciba: Option<ciba::ClientCiba>,
}

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

/// The client's registration, and its CIBA registration if any.
fn client_spec(mut c: Client) -> Result<(ClientSpec, Option<ciba::ClientCiba>), String> {
    let registration = c.ciba.take();
    if registration.is_some() {
        c.grant_types = Some(ciba::with_grant(c.grant_types.take()));
    }
    let mut spec = match (c.public, c.client_secret, c.jwks) {
        (true, None, None) => ClientSpec::public(c.client_id),
        (false, Some(secret), None) => {
            let spec = ClientSpec::confidential(c.client_id, secret);
            if c.client_secret_post {
                spec.auth_method(ClientAuthMethod::ClientSecretPost)
            } else {
                spec
            }
        }
        (false, None, Some(jwks)) => ClientSpec::private_key_jwt(c.client_id, jwks),
        _ => return Err("a client is public, or has client_secret, or jwks".into()),
    };
    for uri in c.redirect_uris {
        spec = spec.redirect_uri(uri);
    }
    for uri in c.post_logout_redirect_uris {
        spec = spec.post_logout_redirect_uri(uri);
    }
    if let Some(g) = c.grant_types {
        spec = spec.grant_types(g);
    }
    if let Some(s) = c.scopes {
        spec = spec.scopes(s);
    }
    if c.trusted_first_party {
        spec = spec.trusted_first_party();
    }
    Ok((spec.resources(c.resources), registration))
}

/// For an issuer with a path, serves the endpoints under that path and the
/// metadata documents at the host root with the path inserted after the
/// well-known name (RFC 8414 section 3.1; SSF 1.0 section 7.2 does the same
/// for the transmitter configuration).
fn at_issuer_path(
    app: axum::Router,
    issuer: &str,
    authority: &Authority,
    transmitter: &reference_authority::signals::Transmitter,
) -> axum::Router {
    let path = url::Url::parse(issuer)
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    if path.is_empty() {
        return app;
    }
    let metadata = authority.clone();
    axum::Router::new()
        .nest(&path, app)
        .merge(transmitter.well_known_router())
        .route(
            &format!("{}{path}", reference_authority::paths::OAUTH_METADATA),
            axum::routing::get(move || {
                let document = metadata.metadata();
                async move { axum::Json(document) }
            }),
        )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = arg("--config").ok_or("usage: reference-authority --config FILE [--listen ADDR]")?;
    let listen = arg("--listen").unwrap_or_else(|| "127.0.0.1:8080".into());
    let config: Config = toml::from_str(&std::fs::read_to_string(&path)?)?;
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let issuer = config.issuer.unwrap_or_else(|| {
        format!(
            "http://{}",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or(listen)
        )
    });
    let agent_ca = config
        .agent_ca
        .as_ref()
        .map(|c| c.router(&issuer))
        .transpose()?;
    let mut builder = Authority::builder(&issuer);
    if let Some(r) = config.registration {
        builder = builder.registration(registration::policy(r));
    }
    if let Some(db) = &config.database {
        builder = builder.store(provider_store(db)?);
    }
    let log = config.audit_log.as_ref().map(|c| c.open()).transpose()?;
    if let Some(log) = &log {
        builder = builder.audit(Arc::new(log.clone()));
    }
    let authority = builder.build()?;
    let op = config.ciba.map(|c| c.install(&authority));
    let mut user_codes = Vec::new();
    for u in config.users {
        if let Some(code) = u.user_code {
            user_codes.push((u.username.clone(), code));
        }
        if authority.user_by_name(&u.username)?.is_some() {
            continue;
        }
        let mut spec = UserSpec::new(u.username).password(u.password);
        if let Some(id) = u.id {
            spec = spec.id(id);
        }
        if let Some(email) = u.email {
            spec = spec.email(email);
        }
        if let Some(name) = u.name {
            spec = spec.claim("name", name);
        }
        authority.register_user(spec)?;
    }
    for (username, code) in user_codes {
        let op = op.as_ref().ok_or("user_code needs a [ciba] table")?;
        let user = authority
            .user_by_name(&username)?
            .ok_or("a user with a user_code was not registered")?;
        op.set_user_code(&user.id, &code)?;
    }
    for c in config.clients {
        let client_id = c.client_id.clone();
        let (spec, registration) = client_spec(c)?;
        authority.register_client(spec)?;
        if let Some(r) = registration {
            let op = op.as_ref().ok_or("[clients.ciba] needs a [ciba] table")?;
            op.register(&client_id, r.settings()?)?;
        }
    }
    let janitor = authority.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            every.tick().await;
            let _ = janitor.purge_expired();
        }
    });
    // Universal logout: the SSF transmitter (delivering in the background) and
    // Global Token Revocation through the kill switch.
    let transmitter = reference_authority::signals::Transmitter::install(&authority);
    transmitter.spawn_delivery(std::time::Duration::from_secs(5));
    let mut kill =
        reference_authority::kill_switch::KillSwitch::new(&authority).signals(transmitter.clone());
    if let Some(op) = &op {
        kill = kill.ciba(op.clone());
    }
    let gtr = reference_authority::gtr::GlobalTokenRevocation::install(kill);
    println!("listening on {issuer}");
    let mut app = router(authority.clone())
        .merge(transmitter.router())
        .merge(gtr.router());
    if let Some(log) = log {
        app = app.merge(reference_authority::audit_log::router(
            log,
            authority.clone(),
        ));
    }
    if let Some(op) = &op {
        app = app.merge(op.router());
    }
    if let Some(ca) = agent_ca {
        app = app.merge(ca);
    }
    let app = at_issuer_path(app, &issuer, &authority, &transmitter);
    // The peer address feeds the per-address login throttle.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// The provider store `database` names: a `postgres://` or `postgresql://`
/// URL (feature `postgres`), else a SQLite file.
fn provider_store(database: &str) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
    if reference_authority::store::is_postgres_url(database) {
        #[cfg(feature = "postgres")]
        return Ok(Arc::new(reference_authority::PgStore::connect(database)?));
        #[cfg(not(feature = "postgres"))]
        return Err("a PostgreSQL database needs the `postgres` feature".into());
    }
    Ok(Arc::new(reference_authority::SqliteStore::open(database)?))
}
