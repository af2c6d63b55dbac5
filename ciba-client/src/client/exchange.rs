//! Talking to the OP: the token request of the CIBA grant (sent by the
//! authenticated form POST of `auth.rs`), and the three ways of waiting.

use super::{ApprovalOutcome, ApprovedTokens, CibaClient, CibaError, PendingApproval};
use crate::wire::{AUTH_REQ_ID_CLAIM, GRANT_TYPE, SLOW_DOWN_STEP};
use agent_auth::jose::left_half_hash as half_hash;
use agent_auth::secret::Token;
use serde_json::Value;
use std::sync::PoisonError;
use std::time::Duration;

/// What one token request said.
enum Answer {
    Tokens(Box<ApprovedTokens>),
    Pending,
    SlowDown,
    /// The exchange failed in transit (a reset pooled connection, a timeout).
    Transient(CibaError),
    End(ApprovalOutcome),
}

/// Consecutive transport failures tolerated while waiting.
const MAX_TRANSIENT: u32 = 3;

impl CibaClient {
    /// The token request of CIBA Core 1.0 section 10.1.
    async fn token_request(&self, auth_req_id: &str, scope: &[String]) -> Answer {
        let form = vec![
            ("grant_type".to_owned(), GRANT_TYPE.to_owned()),
            ("auth_req_id".to_owned(), auth_req_id.to_owned()),
        ];
        let token_endpoint = self.inner.endpoints.token.clone();
        match self
            .post_form(&token_endpoint, form, "token endpoint")
            .await
        {
            Ok(body) => match self.tokens_from(&body, scope, None).await {
                Ok(t) => Answer::Tokens(Box::new(t)),
                Err(e) => Answer::End(ApprovalOutcome::Failed(e)),
            },
            // CIBA Core 1.0 section 11.
            Err(CibaError::Refused { code, description }) => match code.as_str() {
                "authorization_pending" => Answer::Pending,
                "slow_down" => Answer::SlowDown,
                "expired_token" => Answer::End(ApprovalOutcome::Expired),
                "access_denied" => Answer::End(ApprovalOutcome::Denied),
                "invalid_grant" => Answer::End(ApprovalOutcome::Failed(CibaError::InvalidGrant)),
                _ => Answer::End(ApprovalOutcome::Failed(CibaError::Refused {
                    code,
                    description,
                })),
            },
            Err(e) if e.is_transient() => Answer::Transient(e),
            Err(e) => Answer::End(ApprovalOutcome::Failed(e)),
        }
    }

    /// Reads a token response (RFC 6749 section 5.1, RFC 9396 section 7) and
    /// validates its ID token; `push_id` adds the push-mode bindings.
    pub(crate) async fn tokens_from(
        &self,
        body: &Value,
        requested_scope: &[String],
        push_id: Option<&str>,
    ) -> Result<ApprovedTokens, CibaError> {
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        let access_token = Token::new(
            text("access_token").ok_or(CibaError::MalformedResponse("access_token is missing"))?,
        );
        let refresh_token = text("refresh_token").map(Token::new);
        let id_token = text("id_token").map(Token::new);
        let scope = match text("scope") {
            Some(s) => s
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => requested_scope.to_vec(),
        };
        // CIBA Core 1.0 section 10.3.1: pushed tokens come with an ID token
        // naming the request (`urn:openid:params:jwt:claim:auth_req_id`) and
        // hashing the tokens (`at_hash`, `rt_hash`); without it nothing binds
        // the pushed tokens to this request.
        if push_id.is_some() && id_token.is_none() {
            return Err(CibaError::IdTokenBinding(
                "the pushed tokens carry no ID token",
            ));
        }
        let mut id_token_claims = None;
        if let Some(id) = &id_token {
            let validator = self.inner.id_tokens.as_ref().ok_or(CibaError::Config(
                "an ID token arrived but no validator is configured",
            ))?;
            let validated = validator.validate(id.expose_secret()).await?;
            let alg = validated.algorithm();
            let claims = validated.into_claims();
            let at_hash = claims.str("at_hash");
            // OpenID Connect Core 3.1.3.8 (when present); CIBA Core 1.0 section 10.3.1 (push: REQUIRED).
            match at_hash {
                Some(h) if h != half_hash(alg, access_token.expose_secret()) => {
                    return Err(CibaError::IdTokenBinding("at_hash does not match"));
                }
                None if push_id.is_some() => {
                    return Err(CibaError::IdTokenBinding("at_hash is missing"));
                }
                _ => {}
            }
            if let Some(expected) = push_id {
                if claims.str(AUTH_REQ_ID_CLAIM) != Some(expected) {
                    return Err(CibaError::IdTokenBinding(
                        "auth_req_id claim does not match",
                    ));
                }
                if let Some(rt) = &refresh_token
                    && claims.str("rt_hash") != Some(half_hash(alg, rt.expose_secret()).as_str())
                {
                    return Err(CibaError::IdTokenBinding("rt_hash does not match"));
                }
            }
            id_token_claims = Some(claims);
        }
        Ok(ApprovedTokens {
            access_token,
            refresh_token,
            id_token,
            id_token_claims,
            scope,
            authorization_details: body.get("authorization_details").cloned(),
            expires_in: body.get("expires_in").and_then(Value::as_i64),
        })
    }
}

impl PendingApproval {
    fn snapshot(&self) -> (String, i64, u64, Vec<String>) {
        let r = self
            .waiter
            .record
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (
            r.auth_req_id.expose_secret().to_owned(),
            r.expires_at,
            r.interval,
            r.scope.clone(),
        )
    }

    fn remaining(&self) -> Option<Duration> {
        let (_, expires, _, _) = self.snapshot();
        let left = expires.saturating_sub(self.client.inner.clock.now());
        (left > 0).then(|| Duration::from_secs(left.unsigned_abs()))
    }

    /// One token request, never two at once for this request.
    async fn ask(&self) -> Answer {
        let _guard = self.waiter.in_flight.lock().await;
        let (id, _, _, scope) = self.snapshot();
        match self.client.token_request(&id, &scope).await {
            // Once more at once: a pooled connection the server closed while
            // we waited (servers close idle connections after about as long
            // as a polling interval).
            Answer::Transient(_) => self.client.token_request(&id, &scope).await,
            answer => answer,
        }
    }

    /// Poll mode (CIBA Core 1.0 section 7.3 and 11): wait `interval` between
    /// requests; `slow_down` raises it by 5 s for every later request.
    pub(crate) async fn wait_poll(&self) -> ApprovalOutcome {
        let mut transient = 0;
        loop {
            let Some(left) = self.remaining() else {
                return ApprovalOutcome::Expired;
            };
            let (_, _, interval, _) = self.snapshot();
            tokio::time::sleep(Duration::from_secs(interval).min(left)).await;
            match self.ask().await {
                Answer::Tokens(t) => return ApprovalOutcome::Approved(t),
                Answer::Pending => transient = 0,
                Answer::SlowDown => {
                    transient = 0;
                    self.slow_down();
                }
                Answer::Transient(e) => {
                    transient += 1;
                    if transient >= MAX_TRANSIENT {
                        return ApprovalOutcome::Failed(e);
                    }
                }
                Answer::End(o) => return o,
            }
        }
    }

    fn slow_down(&self) {
        let record = {
            let mut r = self
                .waiter
                .record
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            r.interval = r.interval.saturating_add(SLOW_DOWN_STEP);
            r.clone()
        };
        let _ = self.client.inner.store.save(&record);
    }

    /// Ping mode (CIBA Core 1.0 section 10.2): wait for the notification, then
    /// fetch the token.
    pub(crate) async fn wait_ping(&self) -> ApprovalOutcome {
        loop {
            let Some(left) = self.remaining() else {
                return ApprovalOutcome::Expired;
            };
            tokio::select! {
                () = self.waiter.wake.notified() => {}
                () = tokio::time::sleep(left) => return ApprovalOutcome::Expired,
            }
            match self.ask().await {
                Answer::Tokens(t) => return ApprovalOutcome::Approved(t),
                Answer::Pending | Answer::SlowDown => {}
                Answer::Transient(e) => return ApprovalOutcome::Failed(e),
                Answer::End(o) => return o,
            }
        }
    }

    /// Push mode (CIBA Core 1.0 section 10.3): the tokens arrive at the
    /// notification endpoint; the ID token must name this request.
    pub(crate) async fn wait_push(&self) -> ApprovalOutcome {
        loop {
            let Some(left) = self.remaining() else {
                return ApprovalOutcome::Expired;
            };
            tokio::select! {
                () = self.waiter.wake.notified() => {}
                () = tokio::time::sleep(left) => return ApprovalOutcome::Expired,
            }
            let pushed = self
                .waiter
                .pushed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let Some(body) = pushed else { continue };
            let (id, _, _, scope) = self.snapshot();
            return match body.get("error").and_then(Value::as_str) {
                Some("access_denied") => ApprovalOutcome::Denied,
                Some("expired_token") => ApprovalOutcome::Expired,
                Some(code) => ApprovalOutcome::Failed(CibaError::Refused {
                    code: code.to_owned(),
                    description: None,
                }),
                None => match self.client.tokens_from(&body, &scope, Some(&id)).await {
                    Ok(t) => ApprovalOutcome::Approved(Box::new(t)),
                    Err(e) => ApprovalOutcome::Failed(e),
                },
            };
        }
    }
}
