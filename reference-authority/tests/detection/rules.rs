//! One test per detector rule: the attack fires it, the normal variant does not.

use super::common::*;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use reference_authority::detection::{DetectionConfig, Detector, DetectorKind, Subject};

fn trained() -> Detector {
    let d = Detector::new(DetectionConfig::default());
    history(&d, AGENT, 7);
    d
}

const DAY8: i64 = DAY0 + 8 * 86_400;

#[test]
fn volume_spike_500_reads_in_ten_minutes_fires_before_the_50th() {
    let d = trained();
    let mut first = None;
    for i in 0..500 {
        let a = d.observe(&read(
            AGENT,
            "sarah",
            &format!("crm://contacts/x{i}"),
            DAY8 + 10 * 3600 + i,
        ));
        if first.is_none()
            && a.findings
                .iter()
                .any(|f| f.detector == DetectorKind::VolumeSpike)
        {
            first = Some(i + 1);
        }
    }
    let n = first.expect("the spike was not detected");
    assert!(n < 50, "detected at record {n}");
}

#[test]
fn volume_spike_does_not_fire_on_a_normal_busy_hour() {
    let d = trained();
    let mut findings = Vec::new();
    for i in 0..15 {
        findings.extend(
            d.observe(&read(
                AGENT,
                "sarah",
                &format!("crm://contacts/y{i}"),
                DAY8 + 10 * 3600 + i * 40,
            ))
            .findings,
        );
    }
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn first_seen_resource_type_fires_for_a_new_type_not_for_a_new_record() {
    let d = trained();
    let t = DAY8 + 10 * 3600;
    let known = d.observe(&read(AGENT, "sarah", "crm://contacts/brand-new", t));
    assert!(known.findings.is_empty());
    let new = d.observe(&read(AGENT, "sarah", "hr://salaries/everyone", t + 60));
    assert_eq!(
        new.findings[0].detector,
        DetectorKind::FirstSeenResourceType
    );
    assert!(new.findings[0].reason.contains("hr://salaries"));
}

#[test]
fn first_seen_resource_type_is_silent_in_learning_mode() {
    let d = Detector::new(DetectionConfig::default());
    history(&d, AGENT, 1);
    let a = d.observe(&read(
        AGENT,
        "sarah",
        "hr://salaries/everyone",
        DAY0 + 86_400 + 10 * 3600,
    ));
    assert!(a.findings.is_empty());
    assert!(d.baseline(&Subject::Agent(AGENT.into())).unwrap().learning);
}

#[test]
fn failure_burst_of_invalid_tokens_fires() {
    let d = trained();
    let mut kinds = Vec::new();
    for i in 0..12 {
        let e = AuditEvent::new(
            DAY8 + 11 * 3600 + i,
            AuditAction::TokenValidated,
            Outcome::Denied,
        )
        .agent(AGENT)
        .reason("invalid_token")
        .detail("network", "10.0.0.0/24");
        kinds.push(d.observe(&e));
    }
    assert_eq!(fired(&kinds), vec![DetectorKind::FailureBurst]);
}

#[test]
fn failure_burst_ignores_a_few_refusals() {
    let d = trained();
    for i in 0..5 {
        let e = AuditEvent::new(
            DAY8 + 11 * 3600 + i * 30,
            AuditAction::AuthorizationDecision,
            Outcome::Denied,
        )
        .agent(AGENT)
        .reason("fga_denied")
        .detail("network", "10.0.0.0/24");
        assert!(d.observe(&e).findings.is_empty());
    }
}

#[test]
fn off_hours_activity_at_3am_fires() {
    let d = trained();
    let mut all = Vec::new();
    for i in 0..3 {
        all.push(d.observe(&read(
            AGENT,
            "sarah",
            "crm://contacts/night",
            DAY8 + 3 * 3600 + i * 300,
        )));
    }
    assert_eq!(fired(&all), vec![DetectorKind::OffHours]);
}

#[test]
fn new_source_network_fires() {
    let d = trained();
    let e = read(AGENT, "sarah", "crm://contacts/c1", DAY8 + 10 * 3600)
        .detail("network", "203.0.113.0/24");
    let a = d.observe(&e);
    assert_eq!(fired(&[a]), vec![DetectorKind::NewNetwork]);
}

#[test]
fn new_source_network_from_an_ip_detail_uses_its_prefix() {
    let d = trained();
    let same = AuditEvent::new(
        DAY8 + 10 * 3600,
        AuditAction::AuthorizationDecision,
        Outcome::Success,
    )
    .agent(AGENT)
    .target("crm://contacts/c1")
    .detail("ip", "10.0.0.77");
    assert!(d.observe(&same).findings.is_empty());
}

#[test]
fn scope_escalation_attempts_fire() {
    let d = trained();
    let mut all = Vec::new();
    for (i, reason) in ["insufficient_scope", "invalid_scope"].iter().enumerate() {
        let e = AuditEvent::new(
            DAY8 + 10 * 3600 + i as i64 * 60,
            AuditAction::TokenIssued,
            Outcome::Denied,
        )
        .agent(AGENT)
        .reason(*reason)
        .detail("scope", "crm:admin")
        .detail("network", "10.0.0.0/24");
        all.push(d.observe(&e));
    }
    assert_eq!(fired(&all), vec![DetectorKind::ScopeEscalation]);
}

#[test]
fn token_replay_one_jti_from_two_networks_fires() {
    let d = trained();
    let t = DAY8 + 10 * 3600;
    let first = read(AGENT, "sarah", "crm://contacts/c1", t).token_jti("at-42");
    assert!(d.observe(&first).findings.is_empty());
    let replay = read(AGENT, "sarah", "crm://contacts/c2", t + 5)
        .token_jti("at-42")
        .detail("network", "198.51.100.0/24");
    let a = d.observe(&replay);
    assert!(
        a.findings
            .iter()
            .any(|f| f.detector == DetectorKind::TokenReplay)
    );
}

#[test]
fn token_reuse_from_the_same_network_is_not_replay() {
    let d = trained();
    let t = DAY8 + 10 * 3600;
    for i in 0..3 {
        let e = read(AGENT, "sarah", "crm://contacts/c1", t + i).token_jti("at-43");
        assert!(d.observe(&e).findings.is_empty());
    }
}

#[test]
fn use_after_logout_of_a_kill_switch_revoked_token_fires() {
    let d = trained();
    let t = DAY8 + 10 * 3600;
    let revoked = AuditEvent::new(t, AuditAction::TokenRevoked, Outcome::Success)
        .detail("target", format!("agent:{AGENT}"))
        .detail("jtis", vec!["at-1", "at-2"]);
    assert!(d.observe(&revoked).is_empty());
    let used = read(AGENT, "sarah", "crm://contacts/c1", t + 30).token_jti("at-2");
    let a = d.observe(&used);
    assert_eq!(a.findings[0].detector, DetectorKind::UseAfterRevocation);
}

#[test]
fn fan_out_across_many_users_data_fires() {
    let d = trained();
    let mut all = Vec::new();
    for i in 0..15 {
        all.push(d.observe(&read(
            AGENT,
            &format!("user-{i}"),
            "crm://contacts/c1",
            DAY8 + 10 * 3600 + i * 60,
        )));
    }
    assert!(fired(&all).contains(&DetectorKind::FanOut));
}

#[test]
fn on_behalf_of_activity_builds_the_users_baseline_too() {
    let d = trained();
    let user = d.baseline(&Subject::User("sarah".into())).unwrap();
    let agent = d.baseline(&Subject::Agent(AGENT.into())).unwrap();
    assert_eq!(user.days_seen, agent.days_seen);
    assert!(agent.resource_types.contains("crm://contacts"));
    assert!(agent.networks.contains("10.0.0.0/24"));
    assert!(user.mean_daily_volume > 10.0);
}

#[test]
fn the_detectors_own_responses_are_not_scored() {
    let d = trained();
    for action in [
        AuditAction::RiskChanged,
        AuditAction::AgentLifecycle,
        AuditAction::Other("detection_response".into()),
    ] {
        let e = AuditEvent::new(DAY8 + 3 * 3600, action, Outcome::Success)
            .agent(AGENT)
            .detail("network", "192.0.2.0/24");
        assert!(d.observe(&e).is_empty());
    }
}
