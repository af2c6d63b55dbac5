//! Model to DSL text, in the official transformer's layout.

use std::fmt::Write;

use crate::Error;
use crate::model::types::{AuthorizationModel, ConditionParamType, RelationReference, Userset};

/// Renders a model as DSL (schema 1.1). JSON models the DSL cannot express (a direct
/// assignment used twice in one relation, or as what an exclusion subtracts) are
/// refused with the official transformer's message.
pub fn to_dsl(model: &AuthorizationModel) -> Result<String, Error> {
    for def in &model.type_definitions {
        for (name, rewrite) in &def.relations {
            if !expressible(rewrite) {
                return Err(Error::InvalidModelSemantics(format!(
                    "the '{name}' relation definition under the '{}' type is not supported by the OpenFGA DSL syntax yet",
                    def.type_name
                )));
            }
        }
    }
    Ok(render_model(model))
}

fn count_this(u: &Userset) -> usize {
    match u {
        Userset::This(_) => 1,
        Userset::ComputedUserset(_) | Userset::TupleToUserset(_) => 0,
        Userset::Union(c) | Userset::Intersection(c) => c.child.iter().map(count_this).sum(),
        Userset::Difference(d) => count_this(&d.base) + count_this(&d.subtract),
    }
}

fn this_subtracted(u: &Userset) -> bool {
    match u {
        Userset::This(_) | Userset::ComputedUserset(_) | Userset::TupleToUserset(_) => false,
        Userset::Union(c) | Userset::Intersection(c) => c.child.iter().any(this_subtracted),
        Userset::Difference(d) => count_this(&d.subtract) > 0 || this_subtracted(&d.base),
    }
}

pub(crate) fn expressible(u: &Userset) -> bool {
    count_this(u) <= 1 && !this_subtracted(u)
}

fn render_model(model: &AuthorizationModel) -> String {
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
        Userset::Union(c) => joined(&this_first(&c.child), " or "),
        Userset::Intersection(c) => joined(&this_first(&c.child), " and "),
        Userset::Difference(d) => format!(
            "{} but not {}",
            render(&d.base, direct, false),
            render(&d.subtract, direct, false)
        ),
    };
    if top { text } else { format!("({text})") }
}

/// The children with a direct assignment moved to the front, where the DSL needs it.
fn this_first(children: &[Userset]) -> Vec<Userset> {
    let mut out: Vec<Userset> = children
        .iter()
        .filter(|c| matches!(c, Userset::This(_)))
        .cloned()
        .collect();
    out.extend(
        children
            .iter()
            .filter(|c| !matches!(c, Userset::This(_)))
            .cloned(),
    );
    out
}
