//! [`ContextRules`]: restrictions on when, from where and at what risk a
//! request may be permitted.

use super::cidr::Cidr;
use crate::authzen::source::{DecisionSource, SourceError, Verdict};
use agent_auth::authzen::EvaluationRequest;
use std::net::IpAddr;

/// A risk level, as the request context's `risk_level` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskLevel {
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl RiskLevel {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "low" => Self::Low,
            "medium" => Self::Medium,
            "high" => Self::High,
            "critical" => Self::Critical,
            _ => return None,
        })
    }
}

/// Denies requests outside the configured hours (UTC, by the PDP's clock,
/// never by the caller's `context.time`), from outside the configured
/// networks (`context.ip`), or above the configured risk
/// (`context.risk_level`). A rule whose context member is absent or
/// malformed denies (fail closed). Never permits on its own: abstains when
/// every rule holds.
///
/// ```
/// use reference_authority::authzen::sources::{ContextRules, RiskLevel};
/// let rules = ContextRules::default()
///     .hours_utc(8, 18)
///     .network("10.0.0.0/8".parse()?)
///     .max_risk(RiskLevel::Medium);
/// # let _ = rules;
/// # Ok::<(), reference_authority::authzen::sources::CidrError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ContextRules {
    hours: Option<(u8, u8)>,
    networks: Vec<Cidr>,
    max_risk: Option<RiskLevel>,
}

impl ContextRules {
    /// Permits only from hour `start` (inclusive) to `end` (exclusive), UTC;
    /// `start > end` spans midnight.
    #[must_use]
    pub fn hours_utc(mut self, start: u8, end: u8) -> Self {
        self.hours = Some((start % 24, end % 24));
        self
    }

    /// Adds an allowed network; with at least one, `context.ip` must be in one.
    #[must_use]
    pub fn network(mut self, network: Cidr) -> Self {
        self.networks.push(network);
        self
    }

    /// Denies `context.risk_level` above `max`.
    #[must_use]
    pub fn max_risk(mut self, max: RiskLevel) -> Self {
        self.max_risk = Some(max);
        self
    }

    fn violation(&self, request: &EvaluationRequest, now: i64) -> Option<String> {
        if let Some((start, end)) = self.hours {
            let hour = u8::try_from(now.rem_euclid(86_400) / 3_600).unwrap_or(0);
            let inside = if start <= end {
                (start..end).contains(&hour)
            } else {
                hour >= start || hour < end
            };
            if !inside {
                return Some(format!(
                    "outside the allowed hours ({start}:00-{end}:00 UTC)"
                ));
            }
        }
        if !self.networks.is_empty() {
            let ip = request
                .context
                .get("ip")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<IpAddr>().ok());
            match ip {
                None => return Some("the request context names no valid ip".into()),
                Some(ip) if !self.networks.iter().any(|n| n.contains(ip)) => {
                    return Some("the caller's network is not allowed".into());
                }
                Some(_) => {}
            }
        }
        if let Some(max) = self.max_risk {
            let level = request
                .context
                .get("risk_level")
                .and_then(|v| v.as_str())
                .and_then(RiskLevel::parse);
            match level {
                None => return Some("the request context names no valid risk_level".into()),
                Some(level) if level > max => {
                    return Some(format!("risk level {level:?} is above {max:?}").to_lowercase());
                }
                Some(_) => {}
            }
        }
        None
    }
}

#[async_trait::async_trait]
impl DecisionSource for ContextRules {
    fn name(&self) -> &str {
        "context"
    }

    async fn decide(&self, request: &EvaluationRequest, now: i64) -> Result<Verdict, SourceError> {
        Ok(match self.violation(request, now) {
            Some(reason) => Verdict::Deny(reason),
            None => Verdict::Abstain,
        })
    }
}
