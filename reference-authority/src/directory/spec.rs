//! Builders for the directory's writes.

use super::model::Email;

/// A change to a person's attributes: each field set here replaces the
/// stored one. The active flag changes through
/// [`Directory::set_active`](super::Directory::set_active).
///
/// ```
/// use reference_authority::directory::{Email, PersonPatch};
///
/// let patch = PersonPatch::new()
///     .display_name("Sarah Chen")
///     .emails(vec![Email::work("sarah@acme.example")])
///     .department(Some("Sales".into()))
///     .manager(Some("maria".into()));
/// # let _ = patch;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonPatch {
    pub(crate) display_name: Option<Option<String>>,
    pub(crate) emails: Option<Vec<Email>>,
    pub(crate) department: Option<Option<String>>,
    pub(crate) manager: Option<Option<String>>,
    pub(crate) external_id: Option<Option<String>>,
}

impl PersonPatch {
    /// A patch that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the display name.
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(Some(name.into()));
        self
    }

    /// Clears the display name.
    #[must_use]
    pub fn clear_display_name(mut self) -> Self {
        self.display_name = Some(None);
        self
    }

    /// Replaces the email addresses.
    #[must_use]
    pub fn emails(mut self, emails: Vec<Email>) -> Self {
        self.emails = Some(emails);
        self
    }

    /// Replaces (or clears) the department.
    #[must_use]
    pub fn department(mut self, department: Option<String>) -> Self {
        self.department = Some(department);
        self
    }

    /// Replaces (or clears) the manager (a person of the directory).
    #[must_use]
    pub fn manager(mut self, user_id: Option<String>) -> Self {
        self.manager = Some(user_id);
        self
    }

    /// Replaces (or clears) the external id.
    #[must_use]
    pub fn external_id(mut self, id: Option<String>) -> Self {
        self.external_id = Some(id);
        self
    }
}

/// A group to create or replace: name and members.
///
/// ```
/// use reference_authority::directory::GroupSpec;
///
/// let group = GroupSpec::new("sales-ops", "Sales operations").member("sarah");
/// # let _ = group;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    pub(crate) id: String,
    pub(crate) display_name: String,
    pub(crate) members: Vec<String>,
    pub(crate) external_id: Option<String>,
}

impl GroupSpec {
    /// A group with this unique id and name, no members yet.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            display_name: display_name.into(),
            members: Vec::new(),
            external_id: None,
        }
    }

    /// Adds a member (a person of the directory).
    #[must_use]
    pub fn member(mut self, user_id: impl Into<String>) -> Self {
        self.members.push(user_id.into());
        self
    }

    /// The external id.
    #[must_use]
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }
}
