//! The entities the Search APIs look through.

use agent_auth::authzen::{Action, Resource, Subject};

/// Known subjects, resources and actions, with their properties. A search
/// evaluates each candidate of the asked type through the PDP's sources, so
/// search results always agree with evaluations.
///
/// ```
/// use agent_auth::authzen::{Action, Resource, Subject};
/// use reference_authority::authzen::EntityDirectory;
/// let directory = EntityDirectory::default()
///     .subject(Subject::new("user", "alice"))
///     .resource(Resource::new("record", "record-1"))
///     .action(Action::new("read"));
/// assert_eq!(directory.subjects_of("user").count(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct EntityDirectory {
    subjects: Vec<Subject>,
    resources: Vec<Resource>,
    actions: Vec<Action>,
}

impl EntityDirectory {
    /// Adds a subject.
    #[must_use]
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subjects.push(subject);
        self
    }

    /// Adds a resource.
    #[must_use]
    pub fn resource(mut self, resource: Resource) -> Self {
        self.resources.push(resource);
        self
    }

    /// Adds an action.
    #[must_use]
    pub fn action(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }

    /// The subjects of a type, in the order added.
    pub fn subjects_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Subject> + 'a {
        self.subjects.iter().filter(move |s| s.kind == kind)
    }

    /// The resources of a type, in the order added.
    pub fn resources_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    /// Every action, in the order added.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter()
    }
}
