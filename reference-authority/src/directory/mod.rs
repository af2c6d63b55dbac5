//! The directory of people and groups: for each authority user, whether they
//! are active, their name, emails, department and manager; groups with their
//! members. Owners and sponsors of agents are people and groups of the
//! directory, and deactivating a person disables their authority user and
//! moves the sponsorships of their agents to their manager (see
//! [`Directory::set_active`]).
//!
//! ```
//! use reference_authority::directory::{GroupSpec, PersonPatch};
//! use reference_authority::registry::Actor;
//! use reference_authority::{Authority, AuthorityConfig, UserSpec};
//!
//! let authority = Authority::builder("https://idp.example")
//!     .config(AuthorityConfig::for_tests())
//!     .build()?;
//! let admin = Actor::user("admin");
//! authority.register_user(UserSpec::new("maria").id("maria"))?;
//! authority.register_user(UserSpec::new("sarah").id("sarah"))?;
//! let directory = authority.directory();
//! directory.create_person("maria", PersonPatch::new().department(Some("Sales".into())), &admin)?;
//! directory.create_person("sarah", PersonPatch::new().manager(Some("maria".into())), &admin)?;
//! directory.create_group(GroupSpec::new("sales", "Sales").member("sarah"), &admin)?;
//! assert_eq!(directory.groups_of("sarah")?, ["sales"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod groups;
mod model;
mod people;
mod spec;
pub(crate) mod store;

pub use error::DirectoryError;
pub use model::{Email, GroupRecord, PersonRecord};
pub use spec::{GroupSpec, PersonPatch};

use crate::Authority;
use crate::registry::{Actor, RegistryEvent};
use agent_auth::audit::{AuditAction, Outcome};
use tokio::sync::broadcast;

/// The directory of one authority: a cheap view, made by [`Authority::directory`].
#[derive(Debug, Clone, Copy)]
pub struct Directory<'a> {
    authority: &'a Authority,
}

impl Authority {
    /// The directory of people and groups of this authority.
    pub fn directory(&self) -> Directory<'_> {
        Directory { authority: self }
    }
}

impl<'a> Directory<'a> {
    /// Follows every change (the registry's event stream, which carries the
    /// directory's events too).
    pub fn subscribe(&self) -> broadcast::Receiver<RegistryEvent> {
        self.authority.registry().subscribe()
    }

    /// Audits a change and tells the subscribers.
    fn changed(&self, kind: &str, id: &str, actor: &Actor, event: RegistryEvent) {
        self.authority.audit(
            AuditAction::Other("directory_change".into()),
            Outcome::Success,
            |e| {
                e.detail("change", kind.to_owned())
                    .detail("subject", id.to_owned())
                    .detail("actor", actor.to_string())
            },
        );
        self.authority.registry().state().emit(event);
    }

    /// Audits a refused change, and passes the result on.
    fn audited<T>(
        &self,
        kind: &str,
        id: &str,
        actor: &Actor,
        result: Result<T, DirectoryError>,
    ) -> Result<T, DirectoryError> {
        if let Err(error) = &result {
            self.authority.audit(
                AuditAction::Other("directory_change".into()),
                Outcome::Denied,
                |e| {
                    e.reason(error.to_string())
                        .detail("change", kind.to_owned())
                        .detail("subject", id.to_owned())
                        .detail("actor", actor.to_string())
                },
            );
        }
        result
    }
}

/// Checks a version precondition (`If-Match`).
fn check_version(expected: Option<u64>, current: u64) -> Result<(), DirectoryError> {
    match expected {
        Some(expected) if expected != current => {
            Err(DirectoryError::VersionMismatch { expected, current })
        }
        _ => Ok(()),
    }
}
