//! UserInfo with a DPoP-bound token (RFC 9449 section 7): the `DPoP` scheme,
//! and a proof for this method and endpoint, with the token's hash, by the key
//! the token is bound to.

use crate::provider::{Authority, ErrorCode, OAuthError, paths};
use agent_auth::dpop::{INVALID_DPOP_PROOF, ProofRequest, USE_DPOP_NONCE};
use serde_json::Value;

impl Authority {
    /// The UserInfo answer for `token` presented with the `DPoP` scheme and
    /// `proof` on a `method` request (RFC 9449 sections 4.3 and 7.1). A token
    /// that is not bound, or a proof that fails, is refused (`invalid_token`,
    /// `invalid_dpop_proof`, or `use_dpop_nonce` when nonces are required).
    pub fn userinfo_with_dpop(
        &self,
        token: &str,
        proof: &str,
        method: &str,
    ) -> Result<Value, OAuthError> {
        let claims = self
            .verify_access_token(token)
            .map_err(|e| OAuthError::new(ErrorCode::InvalidToken, e.to_string()))?;
        let Some(jkt) = claims
            .extra
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(Value::as_str)
        else {
            return Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "the token is not bound to a DPoP key",
            ));
        };
        let uri = self.endpoint(paths::USERINFO);
        let request = ProofRequest::new(method, &uri).with_access_token(token, jkt);
        match self.inner.dpop.verifier().verify(proof, &request) {
            Ok(_) => self.answer_userinfo(&claims),
            Err(e) if e.is_use_nonce() => Err(OAuthError::new(
                ErrorCode::Extension(USE_DPOP_NONCE.into()),
                "the server requires a nonce in the DPoP proof",
            )),
            Err(e) => Err(OAuthError::new(
                ErrorCode::Extension(INVALID_DPOP_PROOF.into()),
                e.to_string(),
            )),
        }
    }
}
