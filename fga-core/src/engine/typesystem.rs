//! A validated model with fast lookups of relations and their type restrictions.

use hashbrown::{Equivalent, HashMap};

use crate::Error;
use crate::condition::Conditions;
use crate::model::types::{AuthorizationModel, RelationReference, Userset};
use crate::model::validate::validate;
use crate::text::same;

/// One relation of one type.
#[derive(Debug, Clone)]
pub(crate) struct RelationInfo {
    pub(crate) rewrite: Userset,
    pub(crate) direct: Vec<RelationReference>,
    /// This type#relation's bit in a 64-bit set (relations past the 63rd share the last
    /// bit, which only makes set tests more cautious).
    pub(crate) bit: u64,
    /// Whether a direct grant decides the relation: the rewrite is `[..]` alone or a
    /// union with a `[..]` member.
    pub(crate) direct_sufficient: bool,
    /// The user types a plain tuple (no userset, wildcard or condition) may name.
    plain_types: Vec<String>,
}

impl RelationInfo {
    /// Whether a plain tuple naming a user of this type fits the type restrictions:
    /// [`Self::allows`] for a user without relation, wildcard or condition.
    pub(crate) fn allows_plain(&self, user_type: &str) -> bool {
        self.plain_types
            .iter()
            .any(|t| same(t.as_bytes(), user_type.as_bytes()))
    }

    /// Whether a tuple of this relation with such a user and condition fits the type
    /// restrictions.
    pub(crate) fn allows(
        &self,
        user_type: &str,
        user_relation: Option<&str>,
        wildcard: bool,
        condition: Option<&str>,
    ) -> bool {
        self.direct.iter().any(|r| {
            same(r.type_name.as_bytes(), user_type.as_bytes())
                && match (&r.relation, user_relation) {
                    (None, None) => true,
                    (Some(a), Some(b)) => same(a.as_bytes(), b.as_bytes()),
                    _ => false,
                }
                && r.is_wildcard() == wildcard
                && same(r.condition.as_bytes(), condition.unwrap_or("").as_bytes())
        })
    }
}

/// A borrowed `(type, relation)` key. The derived `Hash` feeds the two strings in turn,
/// as `(String, String)` does, so a lookup costs one hash and no allocation.
#[derive(Hash)]
struct RelationKey<'a>(&'a str, &'a str);

impl Equivalent<(String, String)> for RelationKey<'_> {
    fn equivalent(&self, key: &(String, String)) -> bool {
        same(self.1.as_bytes(), key.1.as_bytes()) && same(self.0.as_bytes(), key.0.as_bytes())
    }
}

/// The model as the engine uses it.
#[derive(Debug, Clone)]
pub(crate) struct Typesystem {
    pub(crate) model: AuthorizationModel,
    /// The relation names of each type, in declaration order.
    types: HashMap<String, Vec<String>>,
    /// Every relation, by `(type, relation)`.
    relations: HashMap<(String, String), RelationInfo>,
    pub(crate) conditions: Conditions,
}

impl Typesystem {
    pub(crate) fn new(model: AuthorizationModel) -> Result<Self, Error> {
        let errors = validate(&model);
        if !errors.is_empty() {
            let text: Vec<String> = errors.into_iter().map(|e| e.message).collect();
            return Err(Error::InvalidModelSemantics(text.join("; ")));
        }
        let mut types = HashMap::new();
        let mut relations = HashMap::new();
        let mut n = 0u32;
        for def in &model.type_definitions {
            for (name, rewrite) in &def.relations {
                let bit = 1u64 << n.min(63);
                n += 1;
                let direct_sufficient = match rewrite {
                    Userset::This(_) => true,
                    Userset::Union(u) => u.child.iter().any(|c| matches!(c, Userset::This(_))),
                    _ => false,
                };
                let direct = def.directly_related(name).to_vec();
                let plain_types = direct
                    .iter()
                    .filter(|r| r.relation.is_none() && !r.is_wildcard() && r.condition.is_empty())
                    .map(|r| r.type_name.clone())
                    .collect();
                relations.insert(
                    (def.type_name.clone(), name.clone()),
                    RelationInfo {
                        rewrite: rewrite.clone(),
                        direct,
                        bit,
                        direct_sufficient,
                        plain_types,
                    },
                );
            }
            types.insert(
                def.type_name.clone(),
                def.relations.keys().cloned().collect(),
            );
        }
        let conditions = Conditions::compile(model.conditions.values())?;
        Ok(Self {
            model,
            types,
            relations,
            conditions,
        })
    }

    pub(crate) fn has_type(&self, type_name: &str) -> bool {
        self.types.contains_key(type_name)
    }

    pub(crate) fn relation(&self, type_name: &str, relation: &str) -> Option<&RelationInfo> {
        self.relations.get(&RelationKey(type_name, relation))
    }

    /// The relation names of a type.
    pub(crate) fn relation_names(&self, type_name: &str) -> Vec<&str> {
        self.types
            .get(type_name)
            .map(|r| r.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Checks that a type and relation exist (OpenFGA 2021 / 2022).
    pub(crate) fn require(&self, type_name: &str, relation: &str) -> Result<&RelationInfo, Error> {
        if let Some(info) = self.relation(type_name, relation) {
            return Ok(info);
        }
        if !self.has_type(type_name) {
            return Err(Error::TypeNotFound(type_name.to_owned()));
        }
        Err(Error::RelationNotFound {
            type_name: type_name.to_owned(),
            relation: relation.to_owned(),
        })
    }
}
