//! Just-in-time database credentials (feature `postgres`): a PostgreSQL role per
//! issuance, with `VALID UNTIL` and the memberships a template names, dropped on
//! expiry or logout.
//!
//! [`PgRoleIssuer`] is also a [`Rotator`](crate::Rotator): a rotation schedule on a
//! database connection issues a new role and drops the old one.

mod issuer;
mod template;

pub use issuer::PgRoleIssuer;
pub use template::RoleTemplate;
