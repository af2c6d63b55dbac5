//! Relationship tuples and the users and objects they name.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::text::split_once;

/// A JSON object of condition parameters.
pub type Context = serde_json::Map<String, serde_json::Value>;

/// A relationship tuple `object#relation@user`, optionally with a condition.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TupleKey {
    /// `type:id` of the object.
    pub object: String,
    /// The relation.
    pub relation: String,
    /// `type:id`, `type:*` or `type:id#relation`.
    pub user: String,
    /// The condition the tuple is granted under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<RelationshipCondition>,
}

impl TupleKey {
    /// A tuple without condition.
    pub fn new(
        object: impl Into<String>,
        relation: impl Into<String>,
        user: impl Into<String>,
    ) -> Self {
        Self {
            object: object.into(),
            relation: relation.into(),
            user: user.into(),
            condition: None,
        }
    }

    /// The same tuple under a condition.
    pub fn with_condition(mut self, name: impl Into<String>, context: Option<Context>) -> Self {
        self.condition = Some(RelationshipCondition {
            name: name.into(),
            context,
        });
        self
    }
}

impl fmt::Display for TupleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}@{}", self.object, self.relation, self.user)
    }
}

/// The condition of a tuple: its name and the parameters fixed at write time.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RelationshipCondition {
    /// The condition name.
    pub name: String,
    /// Parameters fixed by the tuple; they override the request's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

/// An object `type:id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// The type.
    pub type_name: String,
    /// The id.
    pub id: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.type_name, self.id)
    }
}

/// The user side of a tuple or request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum User {
    /// A concrete object, `user:anne`.
    Object(ObjectRef),
    /// Every object of a type, `user:*`.
    Wildcard(String),
    /// The users related to an object, `group:eng#member`.
    Userset(ObjectRef, String),
}

impl User {
    /// The user's type.
    pub fn type_name(&self) -> &str {
        match self {
            Self::Object(o) | Self::Userset(o, _) => &o.type_name,
            Self::Wildcard(t) => t,
        }
    }

    /// Parses `type:id`, `type:*` or `type:id#relation`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        UserRef::parse(text).map(UserRef::to_user)
    }

    /// The user, borrowed.
    pub(crate) fn as_ref(&self) -> UserRef<'_> {
        match self {
            Self::Object(o) => UserRef::Object(&o.type_name, &o.id),
            Self::Wildcard(t) => UserRef::Wildcard(t),
            Self::Userset(o, r) => UserRef::Userset(&o.type_name, &o.id, r),
        }
    }
}

/// A user borrowed from the text it was parsed from: what a Check resolves, without
/// copying the request's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserRef<'a> {
    /// `type:id`.
    Object(&'a str, &'a str),
    /// `type:*`.
    Wildcard(&'a str),
    /// `type:id#relation`.
    Userset(&'a str, &'a str, &'a str),
}

impl<'a> UserRef<'a> {
    /// Parses `type:id`, `type:*` or `type:id#relation` under OpenFGA's naming rules.
    pub(crate) fn parse(text: &'a str) -> Result<Self, Error> {
        let invalid = || Error::Validation(format!("invalid user '{text}'"));
        let (object, relation) = match split_once(text, b'#') {
            Some((o, r)) => (o, Some(r)),
            None => (text, None),
        };
        let (type_name, id) = split_once(object, b':').ok_or_else(invalid)?;
        if !valid_type(type_name) {
            return Err(invalid());
        }
        if id == "*" {
            return match relation {
                None => Ok(Self::Wildcard(type_name)),
                Some(_) => Err(invalid()),
            };
        }
        if !valid_id(id) {
            return Err(invalid());
        }
        match relation {
            None => Ok(Self::Object(type_name, id)),
            Some(r) if valid_relation(r) => Ok(Self::Userset(type_name, id, r)),
            Some(_) => Err(invalid()),
        }
    }

    /// The user's type.
    pub(crate) fn type_name(self) -> &'a str {
        match self {
            Self::Object(t, _) | Self::Wildcard(t) | Self::Userset(t, _, _) => t,
        }
    }

    /// The owned user.
    pub(crate) fn to_user(self) -> User {
        let object = |t: &str, id: &str| ObjectRef {
            type_name: t.to_owned(),
            id: id.to_owned(),
        };
        match self {
            Self::Object(t, id) => User::Object(object(t, id)),
            Self::Wildcard(t) => User::Wildcard(t.to_owned()),
            Self::Userset(t, id, r) => User::Userset(object(t, id), r.to_owned()),
        }
    }
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Object(o) => write!(f, "{o}"),
            Self::Wildcard(t) => write!(f, "{t}:*"),
            Self::Userset(o, r) => write!(f, "{o}#{r}"),
        }
    }
}

impl ObjectRef {
    /// Parses `type:id` (no wildcard, no relation).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (type_name, id) = split_object(text)?;
        Ok(Self {
            type_name: type_name.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// Splits `type:id` (no wildcard, no relation) into its checked parts, borrowed.
pub(crate) fn split_object(text: &str) -> Result<(&str, &str), Error> {
    let invalid = || Error::Validation(format!("invalid object '{text}'"));
    let (type_name, id) = split_once(text, b':').ok_or_else(invalid)?;
    if !valid_type(type_name) || !valid_id(id) {
        return Err(invalid());
    }
    Ok((type_name, id))
}

/// Whitespace as `char::is_whitespace` has it, for an ASCII byte.
fn ascii_whitespace(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// A type or relation name: 1 to `max` characters, none of `: # @ *` or whitespace.
fn valid_name(name: &str, max: usize) -> bool {
    if name.is_ascii() {
        // One byte per character.
        return (1..=max).contains(&name.len())
            && !name
                .bytes()
                .any(|b| matches!(b, b':' | b'#' | b'@' | b'*') || ascii_whitespace(b));
    }
    (1..=max).contains(&name.chars().count())
        && !name
            .chars()
            .any(|c| matches!(c, ':' | '#' | '@' | '*') || c.is_whitespace())
}

pub(crate) fn valid_type(t: &str) -> bool {
    valid_name(t, 254)
}

pub(crate) fn valid_relation(r: &str) -> bool {
    valid_name(r, 50)
}

/// OpenFGA's object id rule: letters, digits and `_ | * @ . + / -`; the first character
/// is not `#`, `:`, whitespace or `*`; at most 256 characters.
pub(crate) fn valid_id(id: &str) -> bool {
    if id.is_ascii() {
        // One byte per character; `#`, `:` and whitespace are not in the allowed set.
        let allowed = |b: u8| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'|' | b'*' | b'@' | b'.' | b'+' | b'/' | b'-')
        };
        return id.len() <= 256
            && id.bytes().next().is_some_and(|first| first != b'*')
            && id.bytes().all(allowed);
    }
    let mut chars = id.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let allowed =
        |c: char| c.is_alphanumeric() || matches!(c, '_' | '|' | '*' | '@' | '.' | '+' | '/' | '-');
    id.chars().count() <= 256
        && !matches!(first, '#' | ':' | '*')
        && !first.is_whitespace()
        && allowed(first)
        && chars.all(allowed)
}
