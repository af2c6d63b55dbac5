//! The reference CIBA OP (feature `server`), plugged into the authority: the backchannel authentication endpoint, the
//! `urn:openid:params:grant-type:ciba` grant, poll/ping/push delivery, the
//! authentication device and the approval page.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use reference_authority::{Authority, AuthorityConfig};
//! use reference_authority::ciba::{ChannelDevice, CibaOp};
//! use std::sync::Arc;
//!
//! let authority = Authority::builder("https://idp.example")
//!     .config(AuthorityConfig::for_tests())
//!     .build()?;
//! let device = ChannelDevice::new();
//! let op = CibaOp::install(&authority, Arc::new(device.clone()));
//! let app = reference_authority::http::router(authority).merge(op.router());
//! # let _ = app; Ok(()) }
//! ```

mod backchannel;
mod cancel;
mod decision;
mod delivery;
mod device;
mod grant;
mod http;
mod in_session;
mod lockout;
mod maintenance;
pub use maintenance::REQUEST_RETENTION_SECS;
mod page;
mod record;
mod request_object;
mod settings;
mod user_code;

pub use backchannel::BackchannelResponse;
pub use decision::{Approval, DecisionError};
pub use device::{
    ApprovalRequest, AuthenticationDevice, ChannelDevice, DEFAULT_WEBHOOK_TIMEOUT, DeviceError,
    WebhookDevice,
};
pub use settings::ClientSettings;

use crate::{Authority, AuthorityError};
use agent_auth::jose::Algorithm;
use ciba_client::{DeliveryMode, GRANT_TYPE};
use std::sync::Arc;

/// Paths of the CIBA endpoints, relative to the issuer URL.
pub mod paths {
    /// The backchannel authentication endpoint (CIBA Core 1.0 section 7).
    pub const BACKCHANNEL: &str = "/bc-authorize";
    /// The approval page: `/ciba/approve/{approval_id}`.
    pub const APPROVE: &str = "/ciba/approve";
}

/// Settings of the CIBA OP. Durations in seconds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CibaConfig {
    /// Lifetime of a request without `requested_expiry`.
    pub default_expiry: i64,
    /// Largest lifetime granted, whatever `requested_expiry` says.
    pub max_expiry: i64,
    /// The polling interval announced (CIBA Core 1.0 section 7.3).
    pub interval: i64,
    /// Longest binding message accepted, in characters.
    pub max_binding_message_chars: usize,
    /// Wrong `user_code`s in a row after which the person's code is locked.
    pub user_code_max_failures: u32,
    /// How long a locked code stays locked, and how long failures are
    /// remembered after the last one, in seconds.
    pub user_code_lockout: i64,
}

impl Default for CibaConfig {
    fn default() -> Self {
        Self {
            default_expiry: 300,
            max_expiry: 3600,
            interval: 5,
            max_binding_message_chars: 100,
            user_code_max_failures: 5,
            user_code_lockout: 900,
        }
    }
}

impl CibaConfig {
    /// Sets the announced polling interval.
    #[must_use]
    pub fn interval(mut self, seconds: i64) -> Self {
        self.interval = seconds.max(1);
        self
    }

    /// Sets the default and largest request lifetimes.
    #[must_use]
    pub fn expiry(mut self, default: i64, max: i64) -> Self {
        self.default_expiry = default.max(1);
        self.max_expiry = max.max(self.default_expiry);
        self
    }

    /// Locks a person's `user_code` for `seconds` after `max_failures` wrong
    /// codes (at least one each).
    #[must_use]
    pub fn user_code_lockout(mut self, max_failures: u32, seconds: i64) -> Self {
        self.user_code_max_failures = max_failures.max(1);
        self.user_code_lockout = seconds.max(1);
        self
    }
}

/// How long a client's notification endpoint may take to answer.
const NOTIFICATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: CibaConfig,
    pub(crate) device: Arc<dyn AuthenticationDevice>,
    pub(crate) http: reqwest::Client,
}

/// The reference CIBA OP of one authority. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CibaOp {
    pub(crate) authority: Authority,
    pub(crate) shared: Arc<Shared>,
}

impl CibaOp {
    /// Installs CIBA into `authority` with default settings: registers the
    /// grant, announces the endpoint in the metadata.
    pub fn install(authority: &Authority, device: Arc<dyn AuthenticationDevice>) -> Self {
        Self::install_with(authority, device, CibaConfig::default())
    }

    /// Installs CIBA with `config`.
    pub fn install_with(
        authority: &Authority,
        device: Arc<dyn AuthenticationDevice>,
        config: CibaConfig,
    ) -> Self {
        let shared = Arc::new(Shared {
            config,
            device,
            // Bounded: a silent notification endpoint must not hold a
            // decision forever.
            http: reqwest::Client::builder()
                .timeout(NOTIFICATION_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        });
        authority.register_grant(Arc::new(grant::CibaGrant {
            shared: Arc::clone(&shared),
        }));
        let mut meta = serde_json::Map::new();
        meta.insert(
            "backchannel_authentication_endpoint".into(),
            authority.endpoint(paths::BACKCHANNEL).into(),
        );
        meta.insert(
            "backchannel_token_delivery_modes_supported".into(),
            serde_json::json!(["poll", "ping", "push"]),
        );
        // CIBA Core 1.0 section 4: `user_code` is verified (see `set_user_code`).
        meta.insert(
            "backchannel_user_code_parameter_supported".into(),
            true.into(),
        );
        // CIBA Core 1.0 sections 4 and 7.1.1: signed requests, asymmetric only.
        meta.insert(
            "backchannel_authentication_request_signing_alg_values_supported".into(),
            Algorithm::ASYMMETRIC
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .into(),
        );
        authority.extend_metadata(meta);
        authority.register_purge("ciba", maintenance::purge);
        Self {
            authority: authority.clone(),
            shared,
        }
    }

    /// The authority this OP serves.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// Registers a client's CIBA settings (CIBA Core 1.0 section 4): its token
    /// delivery mode and, for ping and push, its notification endpoint (https,
    /// or http to loopback for tests). The client itself is registered with
    /// [`Authority::register_client`] and must allow [`GRANT_TYPE`].
    pub fn register_client(
        &self,
        client_id: &str,
        mode: DeliveryMode,
        notification_endpoint: Option<&str>,
    ) -> Result<(), AuthorityError> {
        self.register(
            client_id,
            ClientSettings::with_mode(mode, notification_endpoint),
        )
    }

    /// Registers (or replaces) a client's CIBA settings, signed-request and
    /// user-code options included.
    pub fn register(
        &self,
        client_id: &str,
        settings: ClientSettings,
    ) -> Result<(), AuthorityError> {
        let settings = settings.checked()?;
        record::put(
            self.authority.store().as_ref(),
            record::CLIENTS,
            client_id,
            &settings,
        )?;
        Ok(())
    }

    /// The axum router of the CIBA endpoints (merge it with the authority's).
    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }
}

pub(crate) fn grant_type() -> &'static str {
    GRANT_TYPE
}
