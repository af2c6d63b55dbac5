//! Expand: the userset tree of one relation on one object, one level deep.

use serde::{Deserialize, Serialize};

use super::eval::Eval;
use crate::model::types::Userset;
use crate::tuple::ObjectRef;

/// The result of Expand, in OpenFGA's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersetTree {
    /// The root node.
    pub root: Node,
}

/// One node of a userset tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Node {
    /// Users written directly (`user:anne`, `user:*`, `group:eng#member`).
    Users {
        /// The node name, `object#relation`.
        name: String,
        /// The users.
        users: Vec<String>,
    },
    /// Another relation of the same object.
    Computed {
        /// The node name.
        name: String,
        /// `object#relation` to expand next.
        userset: String,
    },
    /// Relation on each object reached through a tupleset.
    TupleToUserset {
        /// The node name.
        name: String,
        /// `object#tupleset`.
        tupleset: String,
        /// `parent#relation` for each parent object.
        computed: Vec<String>,
    },
    /// Any of the children.
    Union {
        /// The node name.
        name: String,
        /// The children.
        nodes: Vec<Node>,
    },
    /// All of the children.
    Intersection {
        /// The node name.
        name: String,
        /// The children.
        nodes: Vec<Node>,
    },
    /// Base but not subtract.
    Difference {
        /// The node name.
        name: String,
        /// What is granted.
        base: Box<Node>,
        /// What is taken away.
        subtract: Box<Node>,
    },
}

pub(crate) fn expand(eval: &Eval<'_>, object: &ObjectRef, relation: &str) -> UsersetTree {
    let rewrite = eval
        .ts
        .relation(&object.type_name, relation)
        .map(|i| i.rewrite.clone())
        .unwrap_or(Userset::This(crate::model::types::DirectMarker {}));
    UsersetTree {
        root: node(eval, object, relation, &rewrite),
    }
}

fn node(eval: &Eval<'_>, object: &ObjectRef, relation: &str, rewrite: &Userset) -> Node {
    let name = format!("{object}#{relation}");
    match rewrite {
        Userset::This(_) => {
            let mut users: Vec<String> = eval
                .tuples(&object.type_name, &object.id, relation)
                .map(|t| t.user().to_string())
                .collect();
            users.sort();
            Node::Users { name, users }
        }
        Userset::ComputedUserset(c) => Node::Computed {
            name,
            userset: format!("{object}#{}", c.relation),
        },
        Userset::TupleToUserset(t) => {
            let mut computed: Vec<String> = eval
                .tuples(&object.type_name, &object.id, &t.tupleset.relation)
                .filter(|tv| tv.user_relation.is_none() && !tv.is_wildcard())
                .map(|tv| {
                    format!(
                        "{}:{}#{}",
                        tv.user_type, tv.user_id, t.computed_userset.relation
                    )
                })
                .collect();
            computed.sort();
            Node::TupleToUserset {
                name,
                tupleset: format!("{object}#{}", t.tupleset.relation),
                computed,
            }
        }
        Userset::Union(u) => Node::Union {
            name,
            nodes: u
                .child
                .iter()
                .map(|c| node(eval, object, relation, c))
                .collect(),
        },
        Userset::Intersection(u) => Node::Intersection {
            name,
            nodes: u
                .child
                .iter()
                .map(|c| node(eval, object, relation, c))
                .collect(),
        },
        Userset::Difference(d) => Node::Difference {
            name,
            base: Box::new(node(eval, object, relation, &d.base)),
            subtract: Box::new(node(eval, object, relation, &d.subtract)),
        },
    }
}
