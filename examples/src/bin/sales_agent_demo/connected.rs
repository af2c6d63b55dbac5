//! Phase 6's provider side: the "Google" stand-in served on loopback, Acme's
//! vault registered there as a client (connected accounts: authorization
//! code with PKCE, refresh tokens), and the vault's `google` connection
//! refreshing through it.

use crate::traffic::Traffic;
use agent_auth::secret::SecretString;
use reference_authority::{Authority, ClientSpec, grant_types, paths};
use std::error::Error;
use token_vault_client::oauth::{ConnectedAccounts, OAuthClient};
use token_vault_client::{ConnectionConfig, Vault};

/// The scopes Sarah grants the vault at Google.
pub(crate) const GOOGLE_SCOPES: [&str; 6] = [
    "openid",
    "email",
    "offline_access",
    "drive.file",
    "gmail.send",
    "calendar.events",
];
/// The vault's connection name for Google.
pub(crate) const CONNECTION: &str = "google";
const VAULT_CLIENT: &str = "acme-token-vault";
const VAULT_SECRET: &str = "vault-google-secret-0123456789abcdef";
/// Where Google sends Sarah back (never served: the demo reads it).
const VAULT_REDIRECT: &str = "https://vault.acmecorp.example/connected/callback";

/// The connected-accounts flow and Google's userinfo endpoint.
pub(crate) struct Connected {
    /// The flow Sarah goes through.
    pub(crate) flow: ConnectedAccounts,
    /// Google's userinfo endpoint: what the Drive, Gmail and Calendar
    /// stand-ins call with the vault's token.
    pub(crate) userinfo: String,
}

/// Serves `google` on `listener` (its issuer's address), registers the
/// vault there, and adds the vault's `google` connection, refreshing at
/// Google's token endpoint.
pub(crate) async fn start(
    google: &Authority,
    vault: &Vault,
    listener: tokio::net::TcpListener,
    traffic: &Traffic,
) -> Result<Connected, Box<dyn Error>> {
    let url = google.issuer().to_owned();
    google.register_client(
        ClientSpec::confidential(VAULT_CLIENT, VAULT_SECRET)
            .name("Acme token vault")
            .trusted_first_party()
            .redirect_uri(VAULT_REDIRECT)
            .grant_types([grant_types::AUTHORIZATION_CODE, grant_types::REFRESH_TOKEN])
            .scopes(GOOGLE_SCOPES),
    )?;
    tokio::spawn(
        axum::serve(
            listener,
            traffic.count("google", reference_authority::http::router(google.clone())),
        )
        .into_future(),
    );
    let client = OAuthClient::new(
        format!("{url}{}", paths::AUTHORIZE),
        format!("{url}{}", paths::TOKEN),
        VAULT_CLIENT,
        Some(SecretString::new(VAULT_SECRET)),
        VAULT_REDIRECT,
    )?;
    vault.add_connection(
        ConnectionConfig::new(CONNECTION).refresher(std::sync::Arc::new(client.clone())),
    );
    Ok(Connected {
        flow: ConnectedAccounts::new(vault.clone(), CONNECTION, client),
        userinfo: format!("{url}{}", paths::USERINFO),
    })
}
