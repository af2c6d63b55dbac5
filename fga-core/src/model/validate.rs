//! Semantic validation of a model, with the official tooling's error kinds and wording.

use std::collections::{HashMap, HashSet};

use crate::model::types::{AuthorizationModel, TypeDefinition, Userset};

/// The official `errorType` of a semantic error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum ValidationKind {
    SchemaVersionRequired,
    InvalidSchema,
    ReservedTypeKeywords,
    ReservedRelationKeywords,
    InvalidName,
    DuplicatedError,
    MissingDefinition,
    InvalidRelationType,
    InvalidType,
    TuplesetNotDirect,
    InvalidRelationOnTupleset,
    RelationNoEntryPoint,
    ConditionNotDefined,
    ConditionNotUsed,
}

impl ValidationKind {
    /// The official `errorType` string.
    pub fn error_type(self) -> &'static str {
        match self {
            Self::SchemaVersionRequired => "schema-version-required",
            Self::InvalidSchema => "invalid-schema",
            Self::ReservedTypeKeywords => "reserved-type-keywords",
            Self::ReservedRelationKeywords => "reserved-relation-keywords",
            Self::InvalidName => "invalid-name",
            Self::DuplicatedError => "duplicated-error",
            Self::MissingDefinition => "missing-definition",
            Self::InvalidRelationType => "invalid-relation-type",
            Self::InvalidType => "invalid-type",
            Self::TuplesetNotDirect => "tupleuserset-not-direct",
            Self::InvalidRelationOnTupleset => "invalid-relation-on-tupleset",
            Self::RelationNoEntryPoint => "relation-no-entry-point",
            Self::ConditionNotDefined => "condition-not-defined",
            Self::ConditionNotUsed => "condition-not-used",
        }
    }
}

/// Where a semantic error is anchored: type, relation, condition, symbol.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Anchor {
    /// The type whose definition holds the error.
    pub type_name: Option<String>,
    /// The relation whose definition holds the error.
    pub relation: Option<String>,
    /// The condition whose declaration holds the error.
    pub condition: Option<String>,
    /// The offending symbol.
    pub symbol: Option<String>,
    /// Which occurrence of a duplicated type (0 = first).
    pub occurrence: usize,
}

/// One semantic error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The kind.
    pub kind: ValidationKind,
    /// The message, as the official tooling words it.
    pub message: String,
    /// Where it is.
    pub anchor: Anchor,
}

/// The naming rule of types.
fn valid_type_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=254).contains(&n)
        && !name
            .chars()
            .any(|c| matches!(c, ':' | '#' | '@' | '*') || c.is_whitespace())
}

/// The naming rule of relations.
fn valid_relation_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=50).contains(&n)
        && !name
            .chars()
            .any(|c| matches!(c, ':' | '#' | '@' | '*') || c.is_whitespace())
}

struct Collector {
    errors: Vec<ValidationError>,
}

impl Collector {
    fn push(&mut self, kind: ValidationKind, message: String, anchor: Anchor) {
        self.errors.push(ValidationError {
            kind,
            message,
            anchor,
        });
    }
}

fn anchor(type_name: &str, relation: Option<&str>, symbol: Option<&str>) -> Anchor {
    Anchor {
        type_name: Some(type_name.to_owned()),
        relation: relation.map(str::to_owned),
        symbol: symbol.map(str::to_owned),
        ..Anchor::default()
    }
}

/// Validates a schema 1.1 model; an empty result means valid.
pub fn validate(model: &AuthorizationModel) -> Vec<ValidationError> {
    let mut c = Collector { errors: Vec::new() };
    match model.schema_version.as_str() {
        "" => {
            c.push(
                ValidationKind::SchemaVersionRequired,
                "schema version required".into(),
                Anchor::default(),
            );
            return c.errors;
        }
        "1.1" | "1.2" => {}
        other => {
            c.push(
                ValidationKind::InvalidSchema,
                format!("invalid schema {other}"),
                Anchor {
                    symbol: Some(other.to_owned()),
                    ..Anchor::default()
                },
            );
            return c.errors;
        }
    }

    // Names and duplicates.
    let mut seen_types: HashMap<&str, usize> = HashMap::new();
    let mut duplicates = Vec::new();
    for def in &model.type_definitions {
        let name = def.type_name.as_str();
        let count = seen_types.entry(name).or_insert(0);
        *count += 1;
        if *count == 2 {
            duplicates.push(ValidationError {
                kind: ValidationKind::DuplicatedError,
                message: format!("the type `{name}` is a duplicate."),
                anchor: anchor(name, None, Some(name)),
            });
        }
        if name == "self" || name == "this" {
            c.push(
                ValidationKind::ReservedTypeKeywords,
                "a type cannot be named 'self' or 'this'.".into(),
                anchor(name, None, Some(name)),
            );
        } else if !valid_type_name(name) {
            c.push(
                ValidationKind::InvalidName,
                format!("type '{name}' does not match naming rule: '^[^:#@\\*\\s]{{1,254}}$'."),
                anchor(name, None, Some(name)),
            );
        }
        for rel in def.relations.keys() {
            if rel == "self" || rel == "this" {
                c.push(
                    ValidationKind::ReservedRelationKeywords,
                    "a relation cannot be named 'self' or 'this'.".into(),
                    anchor(name, Some(rel), Some(rel)),
                );
            } else if !valid_relation_name(rel) {
                c.push(
                    ValidationKind::InvalidName,
                    format!(
                        "relation '{rel}' of type '{name}' does not match naming rule: '^[^:#@\\*\\s]{{1,50}}$'."
                    ),
                    anchor(name, Some(rel), Some(rel)),
                );
            }
        }
    }
    if !c.errors.is_empty() {
        return c.errors;
    }
    c.errors.extend(duplicates);

    let types: HashMap<&str, &TypeDefinition> = model
        .type_definitions
        .iter()
        .map(|t| (t.type_name.as_str(), t))
        .collect();

    // Relation definitions.
    let mut used_conditions: HashSet<&str> = HashSet::new();
    for def in &model.type_definitions {
        for (rel, rewrite) in &def.relations {
            check_duplicates(&mut c, def, rel, rewrite);
            let mut seen_refs = HashSet::new();
            for r in def.directly_related(rel) {
                let mut text = r.type_name.clone();
                if r.is_wildcard() {
                    text.push_str(":*");
                }
                if let Some(ur) = &r.relation {
                    text.push('#');
                    text.push_str(ur);
                }
                let key = (text.clone(), r.condition.clone());
                if !seen_refs.insert(key) {
                    c.push(
                        ValidationKind::DuplicatedError,
                        format!(
                            "the type restriction `{text}` is a duplicate in the relation `{rel}`."
                        ),
                        anchor(&def.type_name, Some(rel), Some(&text)),
                    );
                }
            }
            check_rewrite(&mut c, &types, def, rel, rewrite);
            for reference in def.directly_related(rel) {
                check_type_restriction(&mut c, model, &types, def, rel, reference);
                if !reference.condition.is_empty() {
                    used_conditions.insert(reference.condition.as_str());
                }
            }
        }
    }
    for name in model.conditions.keys() {
        if !used_conditions.contains(name.as_str()) {
            c.push(
                ValidationKind::ConditionNotUsed,
                format!("`{name}` condition is not used in the model."),
                Anchor {
                    condition: Some(name.clone()),
                    symbol: Some(name.clone()),
                    ..Anchor::default()
                },
            );
        }
    }
    if !c.errors.is_empty() {
        return c.errors;
    }

    // Entry points.
    for def in &model.type_definitions {
        for (rel, rewrite) in &def.relations {
            let mut visited = HashSet::new();
            let (entry, looped) = entry_or_loop(&types, &def.type_name, rel, rewrite, &mut visited);
            if !entry {
                let why = if looped {
                    "potential loop"
                } else {
                    "no entrypoint"
                };
                c.push(
                    ValidationKind::RelationNoEntryPoint,
                    format!(
                        "`{rel}` is an impossible relation for `{}` ({why}).",
                        def.type_name
                    ),
                    anchor(&def.type_name, Some(rel), Some(rel)),
                );
            }
        }
    }
    c.errors
}

fn partial_text(u: &Userset) -> Option<String> {
    match u {
        Userset::ComputedUserset(cu) => Some(cu.relation.clone()),
        Userset::TupleToUserset(t) => Some(format!(
            "{} from {}",
            t.computed_userset.relation, t.tupleset.relation
        )),
        _ => None,
    }
}

fn check_duplicates(c: &mut Collector, def: &TypeDefinition, rel: &str, rewrite: &Userset) {
    let children: &[Userset] = match rewrite {
        Userset::Union(u) | Userset::Intersection(u) => &u.child,
        Userset::Difference(d) => {
            if let (Some(a), Some(b)) = (partial_text(&d.base), partial_text(&d.subtract))
                && a == b
            {
                c.push(
                    ValidationKind::DuplicatedError,
                    format!("the partial relation definition `{a}` is a duplicate in the relation `{rel}`."),
                    anchor(&def.type_name, Some(rel), Some(&a)),
                );
            }
            check_duplicates(c, def, rel, &d.base);
            check_duplicates(c, def, rel, &d.subtract);
            return;
        }
        _ => return,
    };
    let mut seen = HashSet::new();
    for child in children {
        if let Some(text) = partial_text(child)
            && !seen.insert(text.clone())
        {
            c.push(
                ValidationKind::DuplicatedError,
                format!("the partial relation definition `{text}` is a duplicate in the relation `{rel}`."),
                anchor(&def.type_name, Some(rel), Some(&text)),
            );
        }
        check_duplicates(c, def, rel, child);
    }
}

fn check_rewrite(
    c: &mut Collector,
    types: &HashMap<&str, &TypeDefinition>,
    def: &TypeDefinition,
    rel: &str,
    rewrite: &Userset,
) {
    match rewrite {
        Userset::This(_) => {}
        Userset::ComputedUserset(cu) => {
            if !def.relations.contains_key(&cu.relation) {
                c.push(
                    ValidationKind::MissingDefinition,
                    format!("the relation `{}` does not exist.", cu.relation),
                    anchor(&def.type_name, Some(rel), Some(&cu.relation)),
                );
            }
        }
        Userset::TupleToUserset(t) => {
            let tupleset = &t.tupleset.relation;
            let computed = &t.computed_userset.relation;
            let Some(ts_rewrite) = def.relations.get(tupleset) else {
                c.push(
                    ValidationKind::InvalidRelationType,
                    format!(
                        "`{tupleset}` is not a valid relation for `{}`.",
                        def.type_name
                    ),
                    anchor(&def.type_name, Some(rel), Some(tupleset)),
                );
                return;
            };
            let refs = def.directly_related(tupleset);
            if !matches!(ts_rewrite, Userset::This(_))
                || refs.iter().any(|r| r.relation.is_some() || r.is_wildcard())
            {
                c.push(
                    ValidationKind::TuplesetNotDirect,
                    format!("`{tupleset}` relation used inside from allows only direct relation."),
                    anchor(&def.type_name, Some(rel), Some(tupleset)),
                );
                return;
            }
            let found = refs.iter().any(|r| {
                types
                    .get(r.type_name.as_str())
                    .is_some_and(|t| t.relations.contains_key(computed))
            });
            if !found {
                for r in refs {
                    c.push(
                        ValidationKind::InvalidRelationOnTupleset,
                        format!(
                            "the `{computed}` relation definition on type `{}` is not valid: `{computed}` does not exist on `{tupleset}`, which is of type `{}`.",
                            def.type_name, r.type_name
                        ),
                        anchor(&def.type_name, Some(rel), Some(computed)),
                    );
                }
            }
        }
        Userset::Union(u) | Userset::Intersection(u) => {
            for child in &u.child {
                check_rewrite(c, types, def, rel, child);
            }
        }
        Userset::Difference(d) => {
            check_rewrite(c, types, def, rel, &d.base);
            check_rewrite(c, types, def, rel, &d.subtract);
        }
    }
}

fn check_type_restriction(
    c: &mut Collector,
    model: &AuthorizationModel,
    types: &HashMap<&str, &TypeDefinition>,
    def: &TypeDefinition,
    rel: &str,
    reference: &crate::model::types::RelationReference,
) {
    let Some(target) = types.get(reference.type_name.as_str()) else {
        c.push(
            ValidationKind::InvalidType,
            format!("`{}` is not a valid type.", reference.type_name),
            anchor(&def.type_name, Some(rel), Some(&reference.type_name)),
        );
        return;
    };
    if let Some(r) = &reference.relation
        && !target.relations.contains_key(r)
    {
        c.push(
            ValidationKind::InvalidRelationType,
            format!(
                "`{r}` is not a valid relation for `{}`.",
                reference.type_name
            ),
            anchor(&def.type_name, Some(rel), Some(r)),
        );
    }
    if !reference.condition.is_empty() && !model.conditions.contains_key(&reference.condition) {
        c.push(
            ValidationKind::ConditionNotDefined,
            format!(
                "`{}` is not a defined condition in the model.",
                reference.condition
            ),
            anchor(&def.type_name, Some(rel), Some(&reference.condition)),
        );
    }
}

/// Whether `rewrite` of `type_name#relation` can be satisfied by some assignable user
/// (entry), and if not, whether a loop was met.
fn entry_or_loop(
    types: &HashMap<&str, &TypeDefinition>,
    type_name: &str,
    relation: &str,
    rewrite: &Userset,
    visited: &mut HashSet<(String, String)>,
) -> (bool, bool) {
    let mut visited_here = visited.clone();
    visited_here.insert((type_name.to_owned(), relation.to_owned()));
    let Some(def) = types.get(type_name) else {
        return (false, false);
    };
    match rewrite {
        Userset::This(_) => {
            for r in def.directly_related(relation) {
                let Some(urel) = &r.relation else {
                    return (true, false);
                };
                if r.is_wildcard() {
                    return (true, false);
                }
                let Some(udef) = types.get(r.type_name.as_str()) else {
                    return (false, false);
                };
                let Some(urewrite) = udef.relations.get(urel) else {
                    return (false, false);
                };
                if visited_here.contains(&(r.type_name.clone(), urel.clone())) {
                    continue;
                }
                let (entry, _) = entry_or_loop(
                    types,
                    &r.type_name,
                    urel,
                    urewrite,
                    &mut visited_here.clone(),
                );
                if entry {
                    return (true, false);
                }
            }
            (false, false)
        }
        Userset::ComputedUserset(cu) => {
            let Some(crewrite) = def.relations.get(&cu.relation) else {
                return (false, false);
            };
            if visited_here.contains(&(type_name.to_owned(), cu.relation.clone())) {
                return (false, true);
            }
            entry_or_loop(types, type_name, &cu.relation, crewrite, &mut visited_here)
        }
        Userset::TupleToUserset(t) => {
            let computed = &t.computed_userset.relation;
            if !def.relations.contains_key(&t.tupleset.relation) {
                return (false, false);
            }
            for r in def.directly_related(&t.tupleset.relation) {
                let Some(udef) = types.get(r.type_name.as_str()) else {
                    continue;
                };
                if let Some(urewrite) = udef.relations.get(computed) {
                    if visited_here.contains(&(r.type_name.clone(), computed.clone())) {
                        continue;
                    }
                    let (entry, _) = entry_or_loop(
                        types,
                        &r.type_name,
                        computed,
                        urewrite,
                        &mut visited_here.clone(),
                    );
                    if entry {
                        return (true, false);
                    }
                }
            }
            (false, false)
        }
        Userset::Union(u) => {
            let mut looped = false;
            for child in &u.child {
                let (entry, l) =
                    entry_or_loop(types, type_name, relation, child, &mut visited_here.clone());
                if entry {
                    return (true, false);
                }
                looped |= l;
            }
            (false, looped)
        }
        Userset::Intersection(u) => {
            for child in &u.child {
                let (entry, l) =
                    entry_or_loop(types, type_name, relation, child, &mut visited_here.clone());
                if !entry {
                    return (false, l);
                }
            }
            (true, false)
        }
        Userset::Difference(d) => {
            let (entry, l) = entry_or_loop(
                types,
                type_name,
                relation,
                &d.base,
                &mut visited_here.clone(),
            );
            if !entry {
                return (false, l);
            }
            let (entry, l) = entry_or_loop(
                types,
                type_name,
                relation,
                &d.subtract,
                &mut visited_here.clone(),
            );
            if !entry {
                return (false, l);
            }
            (true, false)
        }
    }
}
