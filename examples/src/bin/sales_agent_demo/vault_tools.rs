//! The vault on the agent's tools: the credential layer for one connection
//! of Acme's vault, and the credential that layer put on the call.

use crate::world::{TENANT, World};
use agent_auth::tool::{ToolCall, ToolError};
use token_vault_client::TokenTool;
use token_vault_client::agent::{CredentialLayer, VaultCredential};

/// The layer fetching Sarah's `connection` token, with `scope`, for the tool.
pub(crate) fn layer(w: &World, connection: &str, scope: &str) -> CredentialLayer {
    CredentialLayer::new(
        TokenTool::new(w.vault.clone(), connection, &[scope]),
        TENANT,
    )
}

/// The credential the layer put on `call`.
pub(crate) fn credential(call: &ToolCall) -> Result<&VaultCredential, ToolError> {
    call.extensions()
        .get::<VaultCredential>()
        .ok_or_else(|| ToolError::tool("the vault gave no credential"))
}
