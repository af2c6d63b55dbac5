//! The guard's audit events: every admit and every refusal of a protected
//! request, with its reason, the tool or resource it was for, and who asked.

use crate::guard::Guard;
use crate::jsonrpc::Call;
use crate::principal::Principal;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};

/// What the guard learned while deciding, for the event.
#[derive(Debug, Default)]
pub(crate) struct Note {
    /// Not a security decision (the metadata document).
    pub(crate) skip: bool,
    agent: Option<String>,
    user: Option<String>,
    jti: Option<String>,
    issuer: Option<String>,
    /// `(method, tool name or resource URI)` of each JSON-RPC call.
    targets: Vec<(String, String)>,
    /// A refusal's reason known at the refusal (FGA, tool hook).
    pub(crate) reason: Option<String>,
    /// The call a refusal was for.
    pub(crate) refused_target: Option<String>,
}

impl Note {
    /// Notes the JSON-RPC calls of the request.
    pub(crate) fn calls(&mut self, calls: &[Call]) {
        self.targets = calls
            .iter()
            .filter_map(|c| {
                let target = c.name.clone().or_else(|| c.uri.clone())?;
                Some((c.method.clone().unwrap_or_default(), target))
            })
            .collect();
    }

    /// Notes the verified token's agent, user and `jti`.
    pub(crate) fn principal(&mut self, p: &Principal) {
        self.agent = p.client_id.clone();
        // For client credentials the subject is the client itself: no user.
        self.user = p
            .subject
            .clone()
            .filter(|s| Some(s) != p.client_id.as_ref());
        self.jti = p.token_id.clone();
        self.issuer = Some(p.issuer.clone());
    }
}

/// The reason of a refusal read from its answer: the RFC 6750 error code of
/// the challenge, or the kind of plain refusal.
fn reason_of(response: &Response<Body>) -> String {
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("error=\"").nth(1))
        .and_then(|rest| rest.split('"').next());
    if let Some(code) = challenge {
        return code.to_owned();
    }
    match response.status() {
        StatusCode::UNAUTHORIZED => "no_token",
        StatusCode::FORBIDDEN => "host_or_origin_refused",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::SERVICE_UNAVAILABLE => "verification_unavailable",
        StatusCode::BAD_REQUEST => "invalid_request",
        _ => "refused",
    }
    .to_owned()
}

/// Records the decision on one request, if the guard has an audit sink.
pub(crate) fn record(
    guard: &Guard,
    path: &str,
    note: Note,
    result: &Result<Request<Body>, Response<Body>>,
) {
    let Some((sink, clock)) = &guard.inner.audit else {
        return;
    };
    if note.skip || !sink.enabled() {
        return;
    }
    let (outcome, reason) = match result {
        Ok(_) => (Outcome::Success, None),
        Err(response) => (
            Outcome::Denied,
            Some(note.reason.clone().unwrap_or_else(|| reason_of(response))),
        ),
    };
    let mut event = AuditEvent::new(clock.now(), AuditAction::AuthorizationDecision, outcome)
        .detail("resource_server", guard.resource().as_str())
        .detail("path", path);
    let target = note
        .refused_target
        .clone()
        .or_else(|| note.targets.first().map(|(_, t)| t.clone()));
    if let Some(target) = target {
        event = event.target(target);
    }
    for (method, target) in &note.targets {
        let key = if method == "tools/call" {
            "tool"
        } else {
            "resource"
        };
        event = event
            .detail(key, target.clone())
            .detail("method", method.clone());
    }
    if let Some(v) = note.agent {
        event = event.agent(v);
    }
    if let Some(v) = note.user {
        event = event.user(v);
    }
    if let Some(v) = note.jti {
        event = event.token_jti(v);
    }
    if let Some(v) = note.issuer {
        event = event.issuer(v);
    }
    if let Some(r) = reason {
        event = event.reason(r);
    }
    sink.record(&event);
}
