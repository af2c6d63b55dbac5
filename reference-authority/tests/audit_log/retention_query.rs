//! A tampered archive is refused; the query API and the OCSF export (retention
//! that keeps verification working is in the storage contract).

use super::common::{ORIGIN, file_log, signer};
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use agent_auth::clock::ManualClock;
use reference_authority::audit_log::{
    AuditLogError, AuditQuery, LogStorage, RetentionPolicy, to_ocsf, verify_archive,
};

#[test]
fn tampered_archive_is_refused() {
    let (_dir, _path, log) = file_log(4);
    let mut archive = Vec::new();
    RetentionPolicy::keep_seconds(0)
        .apply(&log, &ManualClock::new(1_800_000_000), &mut archive)
        .unwrap();
    let tampered = String::from_utf8(archive)
        .unwrap()
        .replacen("sarah", "sarai", 1);
    assert!(matches!(
        verify_archive(&log, tampered.as_bytes()),
        Err(AuditLogError::ArchiveMismatch(0))
    ));
}

#[test]
fn query_filters_by_agent_user_action_outcome_time_and_request() {
    let (_dir, _path, log) = file_log(12);
    log.append(
        None,
        &[
            AuditEvent::new(1_700_000_050, AuditAction::Authentication, Outcome::Success)
                .user("sarah")
                .agent("portal"),
        ],
    )
    .unwrap();
    let denied = log
        .query(&AuditQuery::new().outcome(Outcome::Denied))
        .unwrap();
    assert_eq!(
        denied.iter().map(|e| e.index).collect::<Vec<_>>(),
        vec![0, 3, 6, 9]
    );
    let tom = log
        .query(
            &AuditQuery::new()
                .user("tom")
                .since(1_700_000_004)
                .until(1_700_000_010),
        )
        .unwrap();
    assert_eq!(
        tom.iter().map(|e| e.index).collect::<Vec<_>>(),
        vec![5, 7, 9]
    );
    let request = log.query(&AuditQuery::new().request_id("req-1")).unwrap();
    assert_eq!(
        request.iter().map(|e| e.index).collect::<Vec<_>>(),
        vec![4, 5, 6, 7]
    );
    let logins = log
        .query(
            &AuditQuery::new()
                .action(AuditAction::Authentication)
                .agent("portal"),
        )
        .unwrap();
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].event.user.as_deref(), Some("sarah"));
    assert_eq!(
        log.query(&AuditQuery::new().agent("sales-agent-prod-001").limit(2))
            .unwrap()
            .len(),
        2
    );
    // Bound values, never SQL: a quote in a filter is just a value.
    assert!(
        log.query(&AuditQuery::new().agent("x' OR '1'='1"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn ocsf_export_sets_class_category_and_activity_per_action() {
    let cases = [
        (AuditAction::AgentLifecycle, Some("registered"), 3001, 3, 1),
        (AuditAction::Authentication, None, 3002, 3, 1),
        (AuditAction::Logout, None, 3002, 3, 2),
        (AuditAction::TokenIssued, None, 3003, 3, 1),
        (AuditAction::TokenExchanged, None, 3003, 3, 1),
        (AuditAction::VaultAccess, Some("read"), 6003, 6, 2),
        (AuditAction::TokenRevoked, None, 6003, 6, 4),
        (AuditAction::AuthorizationDecision, None, 6003, 6, 2),
        (AuditAction::RiskChanged, None, 2004, 2, 1),
    ];
    let log = reference_authority::audit_log::AuditLog::new(
        ORIGIN,
        signer(),
        LogStorage::in_memory().unwrap(),
    )
    .unwrap();
    for (action, op, class, category, activity) in cases {
        let mut e = AuditEvent::new(1_700_000_000, action.clone(), Outcome::Denied)
            .agent("sales-agent-prod-001")
            .user("sarah")
            .request_id("req-7")
            .reason("fga_denied");
        if let Some(op) = op {
            e = e.detail("op", op);
        }
        let index = log.append(None, &[e]).unwrap()[0];
        let ocsf = to_ocsf(&log.entry(index).unwrap());
        assert_eq!(ocsf["class_uid"], class, "{action:?}");
        assert_eq!(ocsf["category_uid"], category, "{action:?}");
        assert_eq!(ocsf["activity_id"], activity, "{action:?}");
        assert_eq!(ocsf["type_uid"], class * 100 + activity, "{action:?}");
        assert_eq!(ocsf["status_id"], 2);
        assert_eq!(ocsf["status_detail"], "fga_denied");
        assert_eq!(ocsf["user"]["uid"], "sarah");
        assert_eq!(ocsf["metadata"]["correlation_uid"], "req-7");
        assert_eq!(ocsf["time"], 1_700_000_000_000_i64);
    }
}
