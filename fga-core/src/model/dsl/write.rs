//! Model to DSL text, in the official transformer's layout.

use std::fmt::Write;

use crate::model::types::{AuthorizationModel, ConditionParamType, RelationReference, Userset};

/// Renders a model as DSL (schema 1.1).
pub fn to_dsl(model: &AuthorizationModel) -> String {
    let mut out = String::new();
    let _ = write!(out, "model\n  schema {}\n", model.schema_version);
    for def in &model.type_definitions {
        let _ = write!(out, "\ntype {}\n", def.type_name);
        if def.relations.is_empty() {
            continue;
        }
        out.push_str("  relations\n");
        for (name, rewrite) in &def.relations {
            let direct = def.directly_related(name);
            let _ = writeln!(out, "    define {name}: {}", render(rewrite, direct, true));
        }
    }
    let mut conditions: Vec<_> = model.conditions.values().collect();
    conditions.sort_by(|a, b| a.name.cmp(&b.name));
    for condition in conditions {
        let mut params: Vec<_> = condition.parameters.iter().collect();
        params.sort_by(|a, b| a.0.cmp(b.0));
        let params: Vec<String> = params
            .into_iter()
            .map(|(n, t)| format!("{n}: {}", param_type(t)))
            .collect();
        let _ = write!(
            out,
            "\ncondition {}({}) {{\n  {}\n}}\n",
            condition.name,
            params.join(", "),
            condition.expression
        );
    }
    out
}

fn param_type(t: &ConditionParamType) -> String {
    match t.generic_types.first() {
        Some(g) => format!("{}<{}>", t.type_name.keyword(), param_type(g)),
        None => t.type_name.keyword().to_owned(),
    }
}

fn reference(r: &RelationReference) -> String {
    let mut s = r.type_name.clone();
    if r.is_wildcard() {
        s.push_str(":*");
    }
    if let Some(rel) = &r.relation {
        s.push('#');
        s.push_str(rel);
    }
    if !r.condition.is_empty() {
        s.push_str(" with ");
        s.push_str(&r.condition);
    }
    s
}

fn render(u: &Userset, direct: &[RelationReference], top: bool) -> String {
    let joined = |children: &[Userset], op: &str| {
        children
            .iter()
            .map(|c| render(c, direct, false))
            .collect::<Vec<_>>()
            .join(op)
    };
    let text = match u {
        Userset::This(_) => {
            let refs: Vec<String> = direct.iter().map(reference).collect();
            return format!("[{}]", refs.join(", "));
        }
        Userset::ComputedUserset(c) => return c.relation.clone(),
        Userset::TupleToUserset(t) => {
            return format!(
                "{} from {}",
                t.computed_userset.relation, t.tupleset.relation
            );
        }
        Userset::Union(c) => joined(&c.child, " or "),
        Userset::Intersection(c) => joined(&c.child, " and "),
        Userset::Difference(d) => format!(
            "{} but not {}",
            render(&d.base, direct, false),
            render(&d.subtract, direct, false)
        ),
    };
    if top { text } else { format!("({text})") }
}
