//! The proof check of the token endpoint (RFC 9449 sections 4.3, 5, 8).

use super::DPOP_BOUND_ACCESS_TOKENS;
use crate::provider::client_auth::{AuthenticatedClient, TokenRequest};
use crate::provider::{Authority, ErrorCode, OAuthError, paths};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::dpop::{DpopError, INVALID_DPOP_PROOF, ProofRequest, USE_DPOP_NONCE};

impl Authority {
    /// Checks the DPoP proof of a token request, if any, and returns the
    /// thumbprint the issued tokens are bound to. The proof is for `POST` to
    /// this token endpoint (section 4.3 checks 8 and 9); a client registered
    /// with `dpop_bound_access_tokens` must send one (section 5.2). A refused
    /// proof is audited and answered `invalid_dpop_proof`, or
    /// `use_dpop_nonce` when the authority's nonce is missing or stale
    /// (section 8); the HTTP face then sends the nonce in `DPoP-Nonce`.
    pub(crate) fn dpop_binding(
        &self,
        request: &TokenRequest,
        client: &AuthenticatedClient,
    ) -> Result<Option<String>, OAuthError> {
        let Some(proof) = &request.dpop_proof else {
            if client.record.metadata.get(DPOP_BOUND_ACCESS_TOKENS)
                == Some(&serde_json::Value::Bool(true))
            {
                return Err(self.refuse_proof(client, "this client must send a DPoP proof"));
            }
            return Ok(None);
        };
        let uri = self.endpoint(paths::TOKEN);
        match self
            .inner
            .dpop
            .verifier()
            .verify(proof.expose_secret(), &ProofRequest::new("POST", &uri))
        {
            Ok(verified) => Ok(Some(verified.jkt().to_owned())),
            Err(DpopError::UseNonce) => {
                self.audit(AuditAction::TokenIssued, Outcome::Denied, |e| {
                    e.agent(client.id().to_owned()).reason(USE_DPOP_NONCE)
                });
                Err(OAuthError::new(
                    ErrorCode::Extension(USE_DPOP_NONCE.into()),
                    "the authorization server requires a nonce in the DPoP proof",
                ))
            }
            Err(e) => Err(self.refuse_proof(client, &e.to_string())),
        }
    }

    fn refuse_proof(&self, client: &AuthenticatedClient, why: &str) -> OAuthError {
        self.audit(AuditAction::TokenIssued, Outcome::Denied, |e| {
            e.agent(client.id().to_owned())
                .reason(INVALID_DPOP_PROOF)
                .detail("dpop", why.to_owned())
        });
        OAuthError::new(
            ErrorCode::Extension(INVALID_DPOP_PROOF.into()),
            why.to_owned(),
        )
    }
}
