//! Risk levels: points per finding, thresholds, decay and level changes.

use super::common::*;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use reference_authority::detection::{DetectionConfig, Detector, RiskLevel, Subject};

#[test]
fn one_medium_finding_raises_to_medium_and_two_to_high() {
    let d = Detector::new(DetectionConfig::default());
    history(&d, AGENT, 7);
    let agent = Subject::Agent(AGENT.into());
    let t = DAY0 + 8 * 86_400 + 10 * 3600;
    let a = d.observe(&read(AGENT, "sarah", "hr://salaries/x", t));
    assert_eq!(a.changes[0].from, RiskLevel::Low);
    assert_eq!(a.changes[0].to, RiskLevel::Medium);
    let b = d.observe(
        &read(AGENT, "sarah", "crm://contacts/c", t + 60).detail("network", "203.0.113.0/24"),
    );
    assert_eq!(b.changes[0].to, RiskLevel::High);
    assert_eq!(d.risk(&agent, t + 60).findings.len(), 2);
    assert_eq!(b.changes[0].reasons().len(), 2);
}

#[test]
fn risk_decays_back_to_low_and_the_fall_is_a_change() {
    let config = DetectionConfig::default();
    let d = Detector::new(config.clone());
    let t = DAY0 + 10 * 3600;
    d.observe(&AuditEvent::new(t, AuditAction::TokenRevoked, Outcome::Success).token_jti("at-9"));
    let a = d.observe(&read(AGENT, "sarah", "crm://contacts/c", t + 1).token_jti("at-9"));
    assert_eq!(a.changes[0].to, RiskLevel::High);
    assert_eq!(d.agent_level(AGENT, t + 1), RiskLevel::High);
    // 80 points halve every 6 hours: MEDIUM (40) after 6 h, LOW (5) after 24 h.
    assert_eq!(
        d.agent_level(AGENT, t + 1 + config.half_life),
        RiskLevel::Medium
    );
    let falls = d.tick(t + 1 + 4 * config.half_life);
    assert_eq!(falls.len(), 1);
    assert_eq!(
        (falls[0].from, falls[0].to),
        (RiskLevel::High, RiskLevel::Low)
    );
    assert!(d.tick(t + 2 + 4 * config.half_life).is_empty());
}

#[test]
fn a_detector_fires_once_per_cooldown() {
    let d = Detector::new(DetectionConfig::default());
    history(&d, AGENT, 7);
    let t = DAY0 + 8 * 86_400 + 10 * 3600;
    let mut n = 0;
    for i in 0..200 {
        let a = d.observe(&read(
            AGENT,
            "sarah",
            &format!("crm://contacts/z{i}"),
            t + i,
        ));
        n += a
            .findings
            .iter()
            .filter(|f| f.subject == Subject::Agent(AGENT.into()))
            .count();
    }
    assert_eq!(n, 1);
}

#[tokio::test]
async fn the_detector_answers_a_guard_as_its_in_process_risk_provider() {
    use agent_auth::risk::{self, RiskProvider, RiskSubject};
    let d = Detector::new(DetectionConfig::default());
    let t = DAY0 + 10 * 3600;
    let agent = RiskSubject::Agent {
        issuer: "https://idp.example",
        client_id: AGENT,
    };
    let sarah = RiskSubject::User {
        issuer: "https://idp.example",
        sub: "sarah",
    };
    // No history: the detector's own level, LOW, never unknown.
    assert_eq!(d.level(&agent, t).await, Ok(Some(risk::RiskLevel::Low)));
    d.observe(&AuditEvent::new(t, AuditAction::TokenRevoked, Outcome::Success).token_jti("at-7"));
    d.observe(&read(AGENT, "sarah", "crm://contacts/c", t + 1).token_jti("at-7"));
    assert_eq!(
        d.level(&agent, t + 1).await,
        Ok(Some(risk::RiskLevel::High))
    );
    assert_eq!(d.level(&sarah, t + 1).await, Ok(Some(risk::RiskLevel::Low)));
    // The level decays with the time asked.
    let later = t + 1 + 4 * DetectionConfig::default().half_life;
    assert_eq!(d.level(&agent, later).await, Ok(Some(risk::RiskLevel::Low)));
}
