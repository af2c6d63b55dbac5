//! Username enumeration by timing: every failed password login verifies one
//! Argon2 hash of the configured costs, whether the user exists, has only a
//! federated login, or typed a wrong password. Proven by the costs each
//! attempt verified with (recorded in its audit event), never by timing.

use super::serve_with;
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::password::PasswordParams;
use reference_authority::*;

#[tokio::test]
async fn unknown_and_federated_only_users_cost_the_same_argon2_as_real_ones() {
    let mut config = AuthorityConfig::for_tests();
    // Costs unlike the test defaults, so that a fixed dummy hash shows.
    config.password_params = PasswordParams {
        memory_kib: 9 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    let expected = config.password_params.phc_costs();
    let s = serve_with(config).await;
    s.authority
        .register_user(UserSpec::new("sarah").password("correct horse battery"))
        .unwrap();
    // Logs in through an upstream connection only: no password hash.
    s.authority
        .register_user(UserSpec::new("fed-only"))
        .unwrap();
    for (user, password) in [
        ("sarah", "wrong password"),
        ("nobody", "any password"),
        ("fed-only", "any password"),
    ] {
        assert_eq!(
            s.authority
                .sign_in(&Credentials::password(user, password))
                .unwrap_err(),
            LoginError::InvalidCredentials
        );
    }
    let denied = s.audited(AuditAction::Authentication, Outcome::Denied);
    assert_eq!(denied.len(), 3);
    for event in &denied {
        assert_eq!(
            event
                .details
                .get("password_hash_cost")
                .and_then(|v| v.as_str()),
            Some(expected.as_str()),
            "{:?} verified with other costs than a real hash",
            event.details.get("username")
        );
    }
}
