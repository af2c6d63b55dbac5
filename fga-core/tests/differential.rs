//! Differential property test: random small models and tuples; the engine's Check and
//! ListObjects against a deliberately naive reference evaluator written here.
//!
//! Models are acyclic by construction (relation `r{i}` only refers to `r{j}` with
//! `j < i`), so the reference can recurse without cycle handling.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use fga_core::model::{
    AuthorizationModel, Difference, DirectMarker, Metadata, ObjectRelation, RelationMetadata,
    RelationReference, TupleToUserset, TypeDefinition, Userset, Usersets, Wildcard,
};
use fga_core::{CheckRequest, Engine, ListObjectsRequest, TupleKey};
use proptest::prelude::*;

const RELATIONS: usize = 4;
const DOCS: usize = 4;
const USERS: usize = 3;

#[derive(Debug, Clone)]
enum Leaf {
    Direct,
    Computed(usize),
    Ttu(usize),
}

#[derive(Debug, Clone)]
enum Rule {
    Leaf(Leaf),
    Union(Leaf, Leaf),
    Intersection(Leaf, Leaf),
    Difference(Leaf, Leaf),
}

#[derive(Debug, Clone)]
struct Relation {
    rule: Rule,
    wildcard: bool,
    /// `doc#r{j}` allowed as a user.
    userset: Option<usize>,
}

fn leaf(i: usize, kind: u8, target: u8) -> Leaf {
    if i == 0 {
        return Leaf::Direct;
    }
    let j = usize::from(target) % i;
    match kind % 3 {
        0 => Leaf::Direct,
        1 => Leaf::Computed(j),
        _ => Leaf::Ttu(j),
    }
}

fn relation_strategy(i: usize) -> impl Strategy<Value = Relation> {
    (any::<[u8; 5]>(), any::<bool>(), any::<Option<u8>>()).prop_map(move |(b, wildcard, us)| {
        let a = leaf(i, b[1], b[2]);
        let c = leaf(i, b[3], b[4]);
        let rule = match b[0] % 4 {
            0 => Rule::Leaf(a),
            1 => Rule::Union(a, c),
            2 => Rule::Intersection(a, c),
            _ => Rule::Difference(a, c),
        };
        Relation {
            rule,
            wildcard,
            userset: if i == 0 {
                None
            } else {
                us.map(|u| usize::from(u) % i)
            },
        }
    })
}

fn models() -> impl Strategy<Value = Vec<Relation>> {
    (
        relation_strategy(0),
        relation_strategy(1),
        relation_strategy(2),
        relation_strategy(3),
    )
        .prop_map(|(a, b, c, d)| vec![a, b, c, d])
}

fn to_userset(leaf: &Leaf) -> Userset {
    match leaf {
        Leaf::Direct => Userset::This(DirectMarker {}),
        Leaf::Computed(j) => Userset::computed(&format!("r{j}")),
        Leaf::Ttu(j) => Userset::TupleToUserset(TupleToUserset {
            tupleset: ObjectRelation {
                object: String::new(),
                relation: "parent".into(),
            },
            computed_userset: ObjectRelation {
                object: String::new(),
                relation: format!("r{j}"),
            },
        }),
    }
}

fn build_model(relations: &[Relation]) -> AuthorizationModel {
    let mut doc = TypeDefinition {
        type_name: "doc".into(),
        ..TypeDefinition::default()
    };
    let mut metadata = Metadata::default();
    doc.relations
        .insert("parent".into(), Userset::This(DirectMarker {}));
    metadata.relations.insert(
        "parent".into(),
        RelationMetadata {
            directly_related_user_types: vec![RelationReference::direct("doc")],
            ..RelationMetadata::default()
        },
    );
    for (i, r) in relations.iter().enumerate() {
        let rewrite = match &r.rule {
            Rule::Leaf(a) => to_userset(a),
            Rule::Union(a, b) => Userset::Union(Usersets {
                child: vec![to_userset(a), to_userset(b)],
            }),
            Rule::Intersection(a, b) => Userset::Intersection(Usersets {
                child: vec![to_userset(a), to_userset(b)],
            }),
            Rule::Difference(a, b) => Userset::Difference(Difference {
                base: Box::new(to_userset(a)),
                subtract: Box::new(to_userset(b)),
            }),
        };
        let mut types = vec![RelationReference::direct("user")];
        if r.wildcard {
            types.push(RelationReference {
                type_name: "user".into(),
                wildcard: Some(Wildcard {}),
                ..RelationReference::default()
            });
        }
        if let Some(j) = r.userset {
            types.push(RelationReference {
                type_name: "doc".into(),
                relation: Some(format!("r{j}")),
                ..RelationReference::default()
            });
        }
        doc.relations.insert(format!("r{i}"), rewrite);
        metadata.relations.insert(
            format!("r{i}"),
            RelationMetadata {
                directly_related_user_types: types,
                ..RelationMetadata::default()
            },
        );
    }
    doc.metadata = Some(metadata);
    AuthorizationModel {
        schema_version: "1.1".into(),
        type_definitions: vec![
            TypeDefinition {
                type_name: "user".into(),
                ..TypeDefinition::default()
            },
            doc,
        ],
        ..AuthorizationModel::default()
    }
}

fn tuple_strategy() -> impl Strategy<Value = TupleKey> {
    (0..DOCS, 0..=RELATIONS, 0..(USERS + 1 + DOCS * RELATIONS)).prop_map(|(d, r, u)| {
        let relation = if r == RELATIONS {
            "parent".to_owned()
        } else {
            format!("r{r}")
        };
        let user = if relation == "parent" {
            format!("doc:{}", u % DOCS)
        } else if u < USERS {
            format!("user:{u}")
        } else if u == USERS {
            "user:*".to_owned()
        } else {
            let k = u - USERS - 1;
            format!("doc:{}#r{}", k / RELATIONS, k % RELATIONS)
        };
        TupleKey::new(format!("doc:{d}"), relation, user)
    })
}

/// The naive reference: direct recursion over the rules, scanning all tuples.
struct Reference<'a> {
    relations: &'a [Relation],
    tuples: &'a [TupleKey],
}

impl Reference<'_> {
    fn has(&self, doc: usize, rel: usize, user: &str) -> bool {
        let r = &self.relations[rel];
        match &r.rule {
            Rule::Leaf(a) => self.leaf(doc, rel, a, user),
            Rule::Union(a, b) => self.leaf(doc, rel, a, user) || self.leaf(doc, rel, b, user),
            Rule::Intersection(a, b) => {
                self.leaf(doc, rel, a, user) && self.leaf(doc, rel, b, user)
            }
            Rule::Difference(a, b) => self.leaf(doc, rel, a, user) && !self.leaf(doc, rel, b, user),
        }
    }

    fn leaf(&self, doc: usize, rel: usize, leaf: &Leaf, user: &str) -> bool {
        let object = format!("doc:{doc}");
        match leaf {
            Leaf::Direct => self.tuples.iter().any(|t| {
                if t.object != object || t.relation != format!("r{rel}") {
                    return false;
                }
                if t.user == user || t.user == "user:*" {
                    return true;
                }
                match t.user.split_once('#') {
                    Some((o, r)) => {
                        let d: usize = o.trim_start_matches("doc:").parse().unwrap();
                        let j: usize = r.trim_start_matches('r').parse().unwrap();
                        self.has(d, j, user)
                    }
                    None => false,
                }
            }),
            Leaf::Computed(j) => self.has(doc, *j, user),
            Leaf::Ttu(j) => self.tuples.iter().any(|t| {
                t.object == object && t.relation == "parent" && {
                    let d: usize = t.user.trim_start_matches("doc:").parse().unwrap();
                    self.has(d, *j, user)
                }
            }),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn check_and_list_objects_match_the_reference(
        relations in models(),
        tuples in prop::collection::vec(tuple_strategy(), 0..24),
    ) {
        let model = build_model(&relations);
        // Models the validator rejects (duplicate operands, no entry point) are skipped.
        let engine = Engine::new(model);
        prop_assume!(engine.is_ok());
        let mut engine = engine.unwrap();
        let mut accepted = Vec::new();
        for t in tuples {
            if engine.write(std::slice::from_ref(&t), &[]).is_ok() {
                accepted.push(t);
            }
        }
        let reference = Reference { relations: &relations, tuples: &accepted };
        for rel in 0..RELATIONS {
            for u in 0..USERS {
                let user = format!("user:{u}");
                let mut want_objects = BTreeSet::new();
                for doc in 0..DOCS {
                    let want = reference.has(doc, rel, &user);
                    let got = engine
                        .check(&CheckRequest::new(format!("doc:{doc}"), format!("r{rel}"), user.clone()))
                        .unwrap();
                    prop_assert_eq!(got, want, "check doc:{}#r{}@{}", doc, rel, user);
                    if want {
                        want_objects.insert(format!("doc:{doc}"));
                    }
                }
                let got: BTreeSet<String> = engine
                    .list_objects(&ListObjectsRequest {
                        object_type: "doc".into(),
                        relation: format!("r{rel}"),
                        user: user.clone(),
                        ..ListObjectsRequest::default()
                    })
                    .unwrap()
                    .objects
                    .into_iter()
                    .collect();
                prop_assert_eq!(got, want_objects, "list_objects doc#r{}@{}", rel, user);
            }
        }
    }
}
