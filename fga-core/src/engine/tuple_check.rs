//! Validation of tuples against the model, for writes and contextual tuples (OpenFGA 2027).

use super::typesystem::Typesystem;
use crate::Error;
use crate::store::index::StoredCondition;
use crate::tuple::{ObjectRef, TupleKey, User};

/// A tuple that fits the model.
#[derive(Debug, Clone)]
pub(crate) struct ValidTuple {
    pub(crate) object: ObjectRef,
    pub(crate) relation: String,
    pub(crate) user: User,
    pub(crate) condition: Option<StoredCondition>,
}

/// Whether a stored tuple's user and condition fit a relation's type restrictions.
pub(crate) fn allowed(
    ts: &Typesystem,
    object_type: &str,
    relation: &str,
    user_type: &str,
    user_relation: Option<&str>,
    wildcard: bool,
    condition: Option<&str>,
) -> bool {
    ts.relation(object_type, relation)
        .is_some_and(|info| info.allows(user_type, user_relation, wildcard, condition))
}

/// Validates one tuple for writing (and for use as a contextual tuple).
pub(crate) fn validate_tuple(ts: &Typesystem, key: &TupleKey) -> Result<ValidTuple, Error> {
    let invalid = |reason: String| Error::InvalidTuple {
        tuple: key.to_string(),
        reason,
    };
    let object = ObjectRef::parse(&key.object).map_err(|e| invalid(e.to_string()))?;
    let user = User::parse(&key.user).map_err(|e| invalid(e.to_string()))?;
    if !ts.has_type(&object.type_name) {
        return Err(invalid(format!("type '{}' not found", object.type_name)));
    }
    if ts.relation(&object.type_name, &key.relation).is_none() {
        return Err(invalid(format!(
            "relation '{}#{}' not found",
            object.type_name, key.relation
        )));
    }
    let (user_relation, wildcard) = match &user {
        User::Object(_) => (None, false),
        User::Wildcard(_) => (None, true),
        User::Userset(_, r) => (Some(r.as_str()), false),
    };
    if !ts.has_type(user.type_name()) {
        return Err(invalid(format!("type '{}' not found", user.type_name())));
    }
    if let Some(r) = user_relation
        && ts.relation(user.type_name(), r).is_none()
    {
        return Err(invalid(format!(
            "relation '{}#{r}' not found",
            user.type_name()
        )));
    }
    let condition_name = key
        .condition
        .as_ref()
        .map(|c| c.name.as_str())
        .filter(|n| !n.is_empty());
    if !allowed(
        ts,
        &object.type_name,
        &key.relation,
        user.type_name(),
        user_relation,
        wildcard,
        condition_name,
    ) {
        return Err(invalid(format!(
            "type '{}' is not an allowed type restriction for '{}#{}'{}",
            match &user {
                User::Object(o) => o.type_name.clone(),
                other => {
                    let s = other.to_string();
                    s.split_once(':').map_or(s.clone(), |(t, rest)| {
                        format!(
                            "{t}{}",
                            rest.find('#').map_or(":*".to_owned(), |i| rest
                                .get(i..)
                                .unwrap_or("")
                                .to_owned())
                        )
                    })
                }
            },
            object.type_name,
            key.relation,
            condition_name.map_or(String::new(), |c| format!(" with condition '{c}'"))
        )));
    }
    let condition = match &key.condition {
        Some(c) if !c.name.is_empty() => {
            ts.conditions
                .validate_context(&c.name, c.context.as_ref())
                .map_err(|e| invalid(e.to_string()))?;
            Some(StoredCondition {
                name: c.name.clone(),
                context: c.context.clone(),
            })
        }
        _ => None,
    };
    Ok(ValidTuple {
        object,
        relation: key.relation.clone(),
        user,
        condition,
    })
}
