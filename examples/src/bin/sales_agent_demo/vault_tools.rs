//! The credential a vault layer (see `World::credential_layer`) put on a
//! tool call.

use agent_auth::tool::{ToolCall, ToolError};
use token_vault_client::agent::VaultCredential;

/// The credential the layer put on `call`.
pub(crate) fn credential(call: &ToolCall) -> Result<&VaultCredential, ToolError> {
    call.extensions()
        .get::<VaultCredential>()
        .ok_or_else(|| ToolError::tool("the vault gave no credential"))
}
