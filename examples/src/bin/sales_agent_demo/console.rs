//! The security console on Acme's authority: the demo's own governance,
//! audit log, discovery, detector and kill switch, with the security team's
//! admin signing in through the authority's login and TOTP. The password and
//! TOTP secret are fixed demo values, printed by `--serve`.

use crate::control::{Control, SECURITY_TEAM};
use examples::console_world::console_admins;
use reference_authority::audit_log::AuditLog;
use reference_authority::console::{Console, PATH};
use reference_authority::discovery::Discovery;
use reference_authority::governance::Governance;
use reference_authority::totp;
use std::error::Error;
use std::sync::Arc;

/// The security admin's password (a fixed demo value).
pub(crate) const ADMIN_PASSWORD: &str = "security team demo password";
/// The security admin's TOTP secret (a fixed demo value).
pub(crate) const ADMIN_TOTP: &[u8] = b"security-totp-seed-01";

/// The console's routes, with its client installed at the authority and
/// the security team's admin tuple written.
pub(crate) async fn router(
    governance: &Governance,
    log: &AuditLog,
    discovery: &Discovery,
    control: &Control,
) -> Result<axum::Router, Box<dyn Error>> {
    let admins = console_admins(SECURITY_TEAM).await?;
    let console = Console::builder(governance.clone(), log.clone(), Arc::new(admins))
        .discovery(discovery.clone())
        .detector(control.detector.clone())
        .kill_switch(control.kill_switch.clone())
        .plain_http_loopback()
        .build()?;
    console.install()?;
    Ok(console.router().await?)
}

/// What `--serve` prints: where the console is and how to sign in.
pub(crate) fn sign_in_help(issuer: &str) -> String {
    let secret = totp::base32(ADMIN_TOTP);
    format!(
        "console at {issuer}{PATH}/\n\
         sign in as `{SECURITY_TEAM}`, password `{ADMIN_PASSWORD}`, then a code from the \
         TOTP secret {secret} (otpauth://totp/Acme:{SECURITY_TEAM}?secret={secret}&issuer=Acme)\n\
         (fixed demo values, local only); Ctrl-C stops"
    )
}
