//! Refresh tokens of public clients are bound to the DPoP key of the request
//! that obtained them (RFC 9449 section 5): refreshing needs a proof of the
//! same key. Confidential clients authenticate instead, and may change keys.

use crate::provider::OAuthError;
use crate::provider::client_auth::AuthenticatedClient;
use crate::provider::model::FamilyRecord;

/// Refuses a refresh by a public client whose proof key (if any) is not the
/// key its grant is bound to. Called before the refresh token is rotated, so
/// a refusal changes nothing.
pub(crate) fn check_refresh_binding(
    client: &AuthenticatedClient,
    family: &FamilyRecord,
) -> Result<(), OAuthError> {
    if !client.record.is_public() {
        return Ok(());
    }
    match (&family.dpop_jkt, super::binding::current()) {
        (None, _) => Ok(()),
        (Some(bound), Some(proved)) if *bound == proved => Ok(()),
        (Some(_), Some(_)) => Err(OAuthError::invalid_grant(
            "the refresh token is bound to another DPoP key",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant(
            "the refresh token is DPoP-bound: a proof of its key is required",
        )),
    }
}
