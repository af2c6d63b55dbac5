//! The control point's response side: the detection engine following the
//! audit log, the responder carrying out the response policy (notify, block,
//! kill switch), the SSF transmitter, and the vault's SET receiver on
//! loopback, so a universal logout wipes the vault's tokens of the users the
//! agent served.

use crate::traffic::Traffic;
use crate::world::TENANT;
use agent_auth::secret::SecretString;
use agent_auth::signals::{PushEndpoint, SetReceiver};
use agent_auth::validate::{SecurityEvent, Validator};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use reference_authority::Authority;
use reference_authority::audit_log::AuditLog;
use reference_authority::detection::{DetectionConfig, Detector, Responder, ResponsePolicy};
use reference_authority::kill_switch::KillSwitch;
use reference_authority::notify::RecordingNotifier;
use reference_authority::signals::{Transmitter, types};
use serde_json::json;
use std::error::Error;
use std::sync::Arc;
use token_vault_client::{Vault, VaultSignals};

/// The security team at Acme (authority user ids).
pub(crate) const SECURITY_TEAM: &str = "security-admin";
/// The vault's name as an SSF receiver.
const VAULT_RECEIVER: &str = "token-vault";
const VAULT_PUSH_SECRET: &str = "vault-push-secret-0123456789abcdef";

/// Detection and response, wired to the authority.
pub(crate) struct Control {
    /// The detection engine (baselines, risk).
    pub(crate) detector: Detector,
    /// Carries out the response policy.
    pub(crate) responder: Responder,
    /// The notifications the responder sent (the people's inboxes).
    pub(crate) inbox: RecordingNotifier,
    /// Universal logout, as the responder and the console fire it.
    pub(crate) kill_switch: KillSwitch,
    /// The authority's SSF transmitter, where receivers' streams are made.
    pub(crate) transmitter: Transmitter,
}

impl Control {
    /// Starts detection on `log`, the transmitter at `authority`, and the
    /// vault's push receiver on loopback.
    pub(crate) async fn start(
        authority: &Authority,
        log: &AuditLog,
        vault: &Vault,
        traffic: &Traffic,
    ) -> Result<Self, Box<dyn Error>> {
        let detector = Detector::new(DetectionConfig::default());
        log.observe(Arc::new(detector.clone()));
        let transmitter = Transmitter::install(authority);
        let url = vault_receiver(authority, vault, traffic).await?;
        let stream = json!({
            "delivery": {
                "method": "urn:ietf:rfc:8935",
                "endpoint_url": url,
                "authorization_header": format!("Bearer {VAULT_PUSH_SECRET}"),
            },
            "events_requested": [types::SESSION_REVOKED],
        });
        transmitter.create_stream(
            VAULT_RECEIVER,
            stream.as_object().ok_or("a stream is an object")?,
        )?;
        let inbox = RecordingNotifier::new();
        let kill_switch = KillSwitch::new(authority).signals(transmitter.clone());
        let responder = Responder::new(
            authority,
            detector.clone(),
            ResponsePolicy::default().security_team(vec![SECURITY_TEAM.into()]),
        )
        .kill_switch(kill_switch.clone())
        .signals(transmitter.clone())
        .notifier(Arc::new(inbox.clone()));
        Ok(Self {
            detector,
            responder,
            inbox,
            kill_switch,
            transmitter,
        })
    }
}

/// The vault's RFC 8935 push endpoint on loopback: SETs that end a user's
/// access wipe and revoke the user's credentials. Returns its URL.
async fn vault_receiver(
    authority: &Authority,
    vault: &Vault,
    traffic: &Traffic,
) -> Result<String, Box<dyn Error>> {
    let validator = Validator::<SecurityEvent>::builder_shared(authority.keys().clone())
        .issuer(authority.issuer().to_owned())
        .audience(VAULT_RECEIVER)
        .build();
    let receiver = SetReceiver::builder(validator)
        .token_issuers(&[authority.issuer()])
        .subscriber(Arc::new(VaultSignals::new(
            vault.clone(),
            TENANT,
            authority.issuer().to_owned(),
        )))
        .build();
    let endpoint = PushEndpoint::new(receiver)
        .authorization(SecretString::new(format!("Bearer {VAULT_PUSH_SECRET}")));
    let app = axum::Router::new().route(
        "/ssf",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let endpoint = endpoint.clone();
            async move {
                let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
                let answer = endpoint
                    .handle(
                        value(header::AUTHORIZATION),
                        value(header::CONTENT_TYPE),
                        &body,
                    )
                    .await;
                let status =
                    StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::BAD_REQUEST);
                match answer.body() {
                    Some(b) => (status, axum::Json(b.clone())).into_response(),
                    None => status.into_response(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/ssf", listener.local_addr()?);
    tokio::spawn(axum::serve(listener, traffic.count("vault", app)).into_future());
    Ok(url)
}
