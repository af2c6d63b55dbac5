//! A validated model with fast lookups of relations and their type restrictions.

use hashbrown::HashMap;

use crate::Error;
use crate::condition::Conditions;
use crate::model::types::{AuthorizationModel, RelationReference, Userset};
use crate::model::validate::validate;

/// One relation of one type.
#[derive(Debug, Clone)]
pub(crate) struct RelationInfo {
    pub(crate) rewrite: Userset,
    pub(crate) direct: Vec<RelationReference>,
    /// This type#relation's bit in a 64-bit set (relations past the 63rd share the last
    /// bit, which only makes set tests more cautious).
    pub(crate) bit: u64,
}

/// The model as the engine uses it.
#[derive(Debug, Clone)]
pub(crate) struct Typesystem {
    pub(crate) model: AuthorizationModel,
    types: HashMap<String, HashMap<String, RelationInfo>>,
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
        let mut n = 0u32;
        for def in &model.type_definitions {
            let relations = def
                .relations
                .iter()
                .map(|(name, rewrite)| {
                    let bit = 1u64 << n.min(63);
                    n += 1;
                    (
                        name.clone(),
                        RelationInfo {
                            rewrite: rewrite.clone(),
                            direct: def.directly_related(name).to_vec(),
                            bit,
                        },
                    )
                })
                .collect();
            types.insert(def.type_name.clone(), relations);
        }
        let conditions = Conditions::compile(model.conditions.values())?;
        Ok(Self {
            model,
            types,
            conditions,
        })
    }

    pub(crate) fn has_type(&self, type_name: &str) -> bool {
        self.types.contains_key(type_name)
    }

    pub(crate) fn relation(&self, type_name: &str, relation: &str) -> Option<&RelationInfo> {
        self.types.get(type_name)?.get(relation)
    }

    /// The relation names of a type.
    pub(crate) fn relation_names(&self, type_name: &str) -> Vec<&str> {
        self.types
            .get(type_name)
            .map(|r| r.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Checks that a type and relation exist (OpenFGA 2021 / 2022).
    pub(crate) fn require(&self, type_name: &str, relation: &str) -> Result<&RelationInfo, Error> {
        let Some(relations) = self.types.get(type_name) else {
            return Err(Error::TypeNotFound(type_name.to_owned()));
        };
        relations
            .get(relation)
            .ok_or_else(|| Error::RelationNotFound {
                type_name: type_name.to_owned(),
                relation: relation.to_owned(),
            })
    }
}
