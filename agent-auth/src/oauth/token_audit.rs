//! The audit event of one token request a client made: which grant, for
//! which resource, answered how. Every client of the core (login, token
//! exchange, MCP client, device flow) records its token requests through
//! this one function, so the trail reads the same whichever client asked.
//!
//! Only non-secret parameters are read from the form (`grant_type`, `scope`,
//! `resource`, `audience`, `requested_token_type`); codes, verifiers,
//! assertions, subject tokens and secrets never reach the event.

use super::Form;
use crate::audit::{AuditAction, AuditEvent, Outcome};

/// The RFC 6749 section 5.1 answer, as far as the trail needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Granted<'a> {
    /// The scope the server granted, space separated, if it said.
    pub scope: Option<&'a str>,
    /// `Bearer` or `DPoP`.
    pub token_type: &'a str,
    /// The access token's lifetime in seconds, if given.
    pub expires_in: Option<i64>,
}

/// What the server answered: tokens, or a refusal named by its OAuth error
/// code (RFC 6749 section 5.2) or the client's own failed check.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answer<'a> {
    /// Tokens were issued.
    Granted(Granted<'a>),
    /// The server refused (`invalid_grant`, `access_denied`, ...).
    Refused(&'a str),
    /// The request could not be made or its answer was unusable.
    Failed(&'a str),
}

/// The action a grant type records: refreshes and exchanges are told apart
/// from first issues, so an investigator can follow a token family.
fn action_for(grant_type: &str) -> AuditAction {
    match grant_type {
        "refresh_token" => AuditAction::TokenRefreshed,
        "urn:ietf:params:oauth:grant-type:token-exchange"
        | "urn:ietf:params:oauth:grant-type:jwt-bearer" => AuditAction::TokenExchanged,
        _ => AuditAction::TokenIssued,
    }
}

/// The parameters of a token request that may be recorded as they are.
const RECORDED_PARAMETERS: [&str; 4] = ["scope", "resource", "audience", "requested_token_type"];

/// Builds the event of one token request by `client_id` at `endpoint`.
pub(crate) fn token_request_event(
    now: i64,
    client_id: &str,
    endpoint: &str,
    form: &Form,
    answer: Answer<'_>,
) -> AuditEvent {
    let grant_type = form
        .get("grant_type")
        .map(|g| g.expose_secret().to_owned())
        .unwrap_or_default();
    let (outcome, reason) = match answer {
        Answer::Granted(_) => (Outcome::Success, None),
        Answer::Refused(code) => (Outcome::Denied, Some(code)),
        Answer::Failed(why) => (Outcome::Error, Some(why)),
    };
    let mut event = AuditEvent::new(now, action_for(&grant_type), outcome)
        .agent(client_id)
        .detail("grant_type", grant_type)
        .detail("token_endpoint", endpoint);
    for name in RECORDED_PARAMETERS {
        if let Some(value) = form.get(name) {
            event = event.detail(format!("requested_{name}"), value.expose_secret());
        }
    }
    if let Some(target) = form.get("resource").or_else(|| form.get("audience")) {
        event = event.target(target.expose_secret());
    }
    if let Some(reason) = reason {
        event = event.reason(reason);
    }
    if let Answer::Granted(granted) = answer {
        event = event.detail("token_type", granted.token_type);
        if let Some(scope) = granted.scope {
            event = event.detail("granted_scope", scope);
        }
        if let Some(expires_in) = granted.expires_in {
            event = event.detail("expires_in", expires_in);
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        let mut form = Form::new();
        for (k, v) in pairs {
            form.push(*k, *v);
        }
        form
    }

    #[test]
    fn grant_types_map_to_issue_refresh_and_exchange() {
        assert_eq!(action_for("authorization_code"), AuditAction::TokenIssued);
        assert_eq!(action_for("client_credentials"), AuditAction::TokenIssued);
        assert_eq!(action_for("refresh_token"), AuditAction::TokenRefreshed);
        assert_eq!(
            action_for("urn:ietf:params:oauth:grant-type:token-exchange"),
            AuditAction::TokenExchanged
        );
        assert_eq!(
            action_for("urn:ietf:params:oauth:grant-type:jwt-bearer"),
            AuditAction::TokenExchanged
        );
    }

    #[test]
    fn secret_parameters_never_reach_the_event() {
        let secrets = [
            ("code", "code-value-7f3a"),
            ("code_verifier", "verifier-value-91bc"),
            ("client_secret", "secret-value-0d2e"),
            ("client_assertion", "assertion-value-55aa"),
            ("subject_token", "subject-token-value-c3d4"),
            ("refresh_token", "refresh-value-e6f7"),
        ];
        let mut pairs = vec![("grant_type", "authorization_code"), ("scope", "crm:read")];
        pairs.extend(secrets);
        let event = token_request_event(
            10,
            "sales-agent",
            "https://as.example/token",
            &form(&pairs),
            Answer::Granted(Granted {
                scope: Some("crm:read"),
                token_type: "Bearer",
                expires_in: Some(300),
            }),
        );
        let json = serde_json::to_string(&event).unwrap_or_default();
        assert!(json.contains("crm:read"), "{json}");
        for (_, value) in secrets {
            assert!(!json.contains(value), "{value} leaked: {json}");
        }
    }

    #[test]
    fn a_refusal_records_the_oauth_error_code_and_the_target() {
        let event = token_request_event(
            10,
            "sales-agent",
            "https://as.example/token",
            &form(&[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("audience", "https://pricing.example"),
            ]),
            Answer::Refused("invalid_target"),
        );
        assert_eq!(event.action, AuditAction::TokenExchanged);
        assert_eq!(event.outcome, Outcome::Denied);
        assert_eq!(event.reason.as_deref(), Some("invalid_target"));
        assert_eq!(event.target.as_deref(), Some("https://pricing.example"));
        assert_eq!(event.agent.as_deref(), Some("sales-agent"));
    }
}
