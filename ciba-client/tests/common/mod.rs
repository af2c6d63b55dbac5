//! Shared fixtures: the reference authority with the CIBA OP served on an
//! ephemeral loopback port, and Node peers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use agent_auth::audit::MemorySink;
use agent_auth::validate::{IdToken, Validator};
use ciba_client::{CibaClient, ClientAuth, DeliveryMode, Endpoints, GRANT_TYPE};
use reference_authority::ciba::{
    ApprovalRequest, AuthenticationDevice, ChannelDevice, CibaConfig, CibaOp,
};
use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

pub(crate) const SECRET: &str = "agent-secret-0123456789";
/// Sarah's password, for signing in on the approval page.
pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) struct Served {
    pub(crate) issuer: String,
    pub(crate) authority: Authority,
    pub(crate) op: CibaOp,
    pub(crate) device: UnboundedReceiver<ApprovalRequest>,
    pub(crate) audit: MemorySink,
    pub(crate) server: tokio::task::JoinHandle<()>,
}

pub(crate) async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, format!("http://{addr}"))
}

/// The authority with CIBA on loopback; client `sales-agent` (secret basic) is
/// registered in `mode` with `endpoint`.
pub(crate) async fn serve(mode: DeliveryMode, endpoint: Option<&str>, interval: i64) -> Served {
    serve_with(mode, endpoint, interval, None).await
}

/// Like [`serve`], with `device` instead of the channel device (whose
/// receiver then stays empty).
pub(crate) async fn serve_with(
    mode: DeliveryMode,
    endpoint: Option<&str>,
    interval: i64,
    device: Option<Arc<dyn AuthenticationDevice>>,
) -> Served {
    let (listener, issuer) = bind().await;
    let audit = MemorySink::new();
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password(PASSWORD)
                .email("sarah@acme.example"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("sales-agent", SECRET)
                .grant_types([GRANT_TYPE])
                .scopes([
                    "openid",
                    "email:send",
                    "drive:write",
                    "crm:update",
                    "offline_access",
                ]),
        )
        .unwrap();
    let channel = ChannelDevice::new();
    let rx = channel.take_receiver().unwrap();
    let device = device.unwrap_or_else(|| Arc::new(channel));
    let op = CibaOp::install_with(&authority, device, CibaConfig::default().interval(interval));
    op.register_client("sales-agent", mode, endpoint).unwrap();
    let app = reference_authority::http::router(authority.clone()).merge(op.router());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Served {
        issuer,
        authority,
        op,
        device: rx,
        audit,
        server,
    }
}

impl Served {
    pub(crate) fn endpoints(&self) -> Endpoints {
        Endpoints {
            issuer: self.issuer.clone(),
            backchannel: format!("{}/bc-authorize", self.issuer),
            token: format!("{}/token", self.issuer),
        }
    }

    pub(crate) fn id_tokens(&self) -> Validator<IdToken> {
        Validator::<IdToken>::builder_shared(self.authority.keys().clone())
            .issuer(self.issuer.clone())
            .audience("sales-agent")
            .build()
    }

    pub(crate) fn client(&self, mode: DeliveryMode) -> CibaClient {
        CibaClient::builder(
            self.endpoints(),
            ClientAuth::secret_basic("sales-agent", SECRET),
        )
        .mode(mode)
        .id_token_validator(self.id_tokens())
        .build()
    }
}

/// The `peers/` folder with the pinned npm packages.
pub(crate) fn peers_dir() -> PathBuf {
    node_peers::dir()
}

/// Node, failing loudly when it or the packages are missing.
pub(crate) fn node() -> PathBuf {
    node_peers::node(&["openid-client", "oidc-provider", "jose"])
}
