//! The CIBA part of the reference-authority configuration: the OP mounted when
//! `[ciba]` is present, each client's CIBA registration, users' codes.

use agent_auth::jose::Algorithm;
use ciba_client::{DeliveryMode, GRANT_TYPE};
use reference_authority::Authority;
use reference_authority::ciba::{
    ApprovalRequest, AuthenticationDevice, CibaConfig, CibaOp, ClientSettings, DeviceError,
    WebhookDevice,
};
use serde::Deserialize;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// `[ciba]`: mounts the CIBA OP.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Ciba {
    /// The polling interval announced, in seconds.
    interval: Option<i64>,
    /// Lifetime of a request without `requested_expiry`, in seconds.
    default_expiry: Option<i64>,
    /// Largest lifetime granted, in seconds.
    max_expiry: Option<i64>,
    /// Wrong `user_code`s in a row that lock the person's code (default 5).
    user_code_max_failures: Option<u32>,
    /// How long a locked code stays locked, in seconds (default 900).
    user_code_lockout_secs: Option<i64>,
    /// How the person learns of a request.
    #[serde(default)]
    device: Device,
}

/// `[ciba.device]`.
#[derive(Debug, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
enum Device {
    /// The approval page built into the OP: each request's page URL is
    /// printed on standard output (`approve <user> at <url>`).
    #[default]
    Page,
    /// The approval request is POSTed as JSON to `url`.
    Webhook {
        url: String,
        timeout_secs: Option<u64>,
    },
}

/// `[clients.ciba]`: the client's CIBA registration (CIBA Core 1.0 section 4).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientCiba {
    /// `poll`, `ping` or `push`.
    mode: DeliveryMode,
    /// Required for ping and push.
    notification_endpoint: Option<String>,
    /// Only signed authentication requests (CIBA Core 1.0 section 7.1.1).
    #[serde(default)]
    require_signed_requests: bool,
    /// The one algorithm request objects must use (implies signed requests).
    request_signing_alg: Option<String>,
    /// The JWK Set (JSON) verifying request objects of a secret client.
    request_jwks: Option<String>,
    /// The client must send the person's `user_code`.
    #[serde(default)]
    user_code: bool,
}

/// Prints each approval page URL for the operator to open.
#[derive(Debug)]
struct PageDevice;

#[async_trait::async_trait]
impl AuthenticationDevice for PageDevice {
    async fn notify(&self, request: &ApprovalRequest) -> Result<(), DeviceError> {
        let url = request
            .approval_url
            .as_deref()
            .ok_or_else(|| DeviceError("no approval page URL".into()))?;
        // The page URL is a capability: it goes to the operator's terminal only.
        let mut out = std::io::stdout().lock();
        writeln!(out, "approve {} at {url}", request.user_id)
            .and_then(|()| out.flush())
            .map_err(|_| DeviceError("standard output is closed".into()))
    }
}

impl Ciba {
    /// Installs the OP into `authority`.
    pub(crate) fn install(self, authority: &Authority) -> CibaOp {
        let device: Arc<dyn AuthenticationDevice> = match self.device {
            Device::Page => Arc::new(PageDevice),
            Device::Webhook { url, timeout_secs } => Arc::new(WebhookDevice::with_timeout(
                url,
                timeout_secs.map_or(
                    reference_authority::ciba::DEFAULT_WEBHOOK_TIMEOUT,
                    Duration::from_secs,
                ),
            )),
        };
        let mut config = CibaConfig::default();
        if let Some(i) = self.interval {
            config = config.interval(i);
        }
        let (default, max) = (config.default_expiry, config.max_expiry);
        config = config.expiry(
            self.default_expiry.unwrap_or(default),
            self.max_expiry.unwrap_or(max),
        );
        let (failures, lockout) = (config.user_code_max_failures, config.user_code_lockout);
        config = config.user_code_lockout(
            self.user_code_max_failures.unwrap_or(failures),
            self.user_code_lockout_secs.unwrap_or(lockout),
        );
        CibaOp::install_with(authority, device, config)
    }
}

impl ClientCiba {
    /// The client's settings for [`CibaOp::register`].
    pub(crate) fn settings(self) -> Result<ClientSettings, String> {
        let mut s = ClientSettings::with_mode(self.mode, self.notification_endpoint.as_deref());
        if self.require_signed_requests {
            s = s.require_signed_requests();
        }
        if let Some(name) = self.request_signing_alg {
            let alg = Algorithm::from_name(&name)
                .ok_or_else(|| format!("unknown request_signing_alg {name}"))?;
            s = s.request_signing_alg(alg);
        }
        if let Some(jwks) = self.request_jwks {
            s = s.request_jwks(jwks);
        }
        if self.user_code {
            s = s.user_code();
        }
        Ok(s)
    }
}

/// Adds the CIBA grant to a client's grant types (the defaults when none are
/// configured) when it has a CIBA registration.
pub(crate) fn with_grant(grants: Option<Vec<String>>) -> Vec<String> {
    let mut grants = grants.unwrap_or_else(|| {
        [
            reference_authority::grant_types::AUTHORIZATION_CODE,
            reference_authority::grant_types::REFRESH_TOKEN,
        ]
        .map(String::from)
        .to_vec()
    });
    if !grants.iter().any(|g| g == GRANT_TYPE) {
        grants.push(GRANT_TYPE.to_owned());
    }
    grants
}
