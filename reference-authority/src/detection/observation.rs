//! One audit event as the detectors see it: who, what, from where, how it ended.

use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use serde_json::Value;
use std::net::IpAddr;

/// Refusal reasons that mean "a scope the caller does not hold".
const SCOPE_REASONS: [&str; 4] = [
    "insufficient_scope",
    "invalid_scope",
    "scope_not_allowed",
    "unauthorized_scope",
];

/// What kind of activity an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activity {
    /// A read or write of protected data (guard decision, vault access).
    Access,
    /// A token asked for, exchanged, refreshed, presented, or a client login.
    Token,
    /// A human approval was asked for.
    Approval,
    /// A revocation or logout: teaches the revoked `jti`s, is not scored.
    Revocation,
    /// Anything else (lifecycle, risk changes, key rotation): ignored, so
    /// the detector never scores its own responses.
    Other,
}

/// The facts of one event that the detectors read.
#[derive(Debug, Clone)]
pub(crate) struct Observation<'a> {
    pub(crate) time: i64,
    pub(crate) activity: Activity,
    pub(crate) success: bool,
    pub(crate) agent: Option<&'a str>,
    pub(crate) user: Option<&'a str>,
    pub(crate) resource: Option<&'a str>,
    pub(crate) jti: Option<&'a str>,
    pub(crate) network: Option<String>,
    pub(crate) scope_refusal: bool,
    pub(crate) event: &'a AuditEvent,
}

impl<'a> Observation<'a> {
    pub(crate) fn of(event: &'a AuditEvent) -> Self {
        let activity = match &event.action {
            AuditAction::AuthorizationDecision | AuditAction::VaultAccess => Activity::Access,
            AuditAction::TokenIssued
            | AuditAction::TokenExchanged
            | AuditAction::TokenRefreshed
            | AuditAction::TokenValidated
            | AuditAction::ClientAuthentication => Activity::Token,
            AuditAction::ApprovalRequested => Activity::Approval,
            AuditAction::TokenRevoked | AuditAction::Logout => Activity::Revocation,
            _ => Activity::Other,
        };
        let detail = |k: &str| event.details.get(k).and_then(Value::as_str);
        let resource = event
            .target
            .as_deref()
            .or_else(|| detail("resource"))
            .or_else(|| detail("tool"));
        let jti = event.token_jti.as_deref().or_else(|| detail("jti"));
        let network = ["network", "source_network"]
            .iter()
            .find_map(|k| detail(k).map(str::to_owned))
            .or_else(|| {
                ["ip", "source_ip", "client_ip"]
                    .iter()
                    .find_map(|k| detail(k).map(network_of))
            });
        let scope_refusal = event.outcome == Outcome::Denied
            && event
                .reason
                .as_deref()
                .is_some_and(|r| SCOPE_REASONS.contains(&r));
        Self {
            time: event.time,
            activity,
            success: event.outcome == Outcome::Success,
            agent: event.agent.as_deref(),
            user: event.user.as_deref(),
            resource,
            jti,
            network,
            scope_refusal,
            event,
        }
    }

    /// Whether the event is a refusal the failure-burst detector counts.
    pub(crate) fn is_failure(&self) -> bool {
        matches!(self.activity, Activity::Access | Activity::Token)
            && self.event.outcome == Outcome::Denied
    }

    /// The `jti`s an event revokes: `token_jti`, and the kill switch's `jtis` list.
    pub(crate) fn revoked_jtis(&self) -> Vec<&'a str> {
        let mut out: Vec<&str> = self.jti.into_iter().collect();
        if let Some(list) = self.event.details.get("jtis").and_then(Value::as_array) {
            out.extend(list.iter().filter_map(Value::as_str));
        }
        out
    }
}

/// The type of a resource: its scheme and first path segment
/// (`crm://contacts/acme-corp` is `crm://contacts`), or the part before the
/// first `:` (`document:roadmap` is `document`), or the tool name itself.
///
/// ```
/// use reference_authority::detection::resource_type;
/// assert_eq!(resource_type("crm://contacts/acme-corp"), "crm://contacts");
/// assert_eq!(resource_type("document:roadmap"), "document");
/// assert_eq!(resource_type("send_email"), "send_email");
/// ```
pub fn resource_type(resource: &str) -> &str {
    if let Some((scheme, rest)) = resource.split_once("://") {
        let first = rest.split('/').next().unwrap_or_default();
        let len = scheme.len() + 3 + first.len();
        return resource.get(..len).unwrap_or(resource);
    }
    match resource.split_once(':') {
        Some((kind, _)) => kind,
        None => resource,
    }
}

/// The network of an address: its /24 (IPv4) or /48 (IPv6) prefix; an
/// unparsable value (a keyed hash) is its own network.
fn network_of(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            let head: Vec<String> = s.iter().take(3).map(|x| format!("{x:x}")).collect();
            format!("{}::/48", head.join(":"))
        }
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_grouped_by_network() {
        assert_eq!(network_of("10.1.2.3"), "10.1.2.0/24");
        assert_eq!(network_of("2001:db8:1:2::5"), "2001:db8:1::/48");
        assert_eq!(network_of("hmac-sha256:ab"), "hmac-sha256:ab");
    }

    #[test]
    fn scope_refusals_are_recognised() {
        let e = AuditEvent::new(1, AuditAction::AuthorizationDecision, Outcome::Denied)
            .reason("insufficient_scope");
        assert!(Observation::of(&e).scope_refusal);
        let e = AuditEvent::new(1, AuditAction::AuthorizationDecision, Outcome::Denied)
            .reason("fga_denied");
        assert!(!Observation::of(&e).scope_refusal);
    }
}
