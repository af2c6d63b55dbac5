//! Evaluating a filter against a resource's JSON (RFC 7644 section 3.4.2.2):
//! attribute names are case-insensitive, string comparisons follow the
//! attribute's `caseExact`, dateTimes compare chronologically, a multi-valued
//! attribute matches when any of its values does, and a complex attribute
//! named without a sub-attribute is compared through its `value`.

use super::super::schema::{AttrType, Attribute, Resolved, ResourceType};
use super::super::{ScimError, ScimType};
use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use serde_json::Value;
use std::cmp::Ordering;

/// Whether `resource` (a full SCIM representation) matches `filter`.
///
/// Errors are `invalidFilter`: an ordering operator on a boolean or binary
/// attribute (section 3.4.2.2 says such filters SHALL fail), or a comparison
/// value of the wrong type.
pub fn matches(filter: &Filter, resource: &Value, rt: &ResourceType) -> Result<bool, ScimError> {
    eval(filter, &Scope::Resource { resource, rt })
}

enum Scope<'a> {
    Resource {
        resource: &'a Value,
        rt: &'a ResourceType,
    },
    /// One value of a multi-valued complex attribute, inside `[...]`.
    Element {
        value: &'a Value,
        parent: &'a Attribute,
    },
}

/// The member of `object` whose key equals `name` case-insensitively.
pub(crate) fn get_ci<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn eval(filter: &Filter, scope: &Scope<'_>) -> Result<bool, ScimError> {
    match filter {
        Filter::And(a, b) => Ok(eval(a, scope)? && eval(b, scope)?),
        Filter::Or(a, b) => Ok(eval(a, scope)? || eval(b, scope)?),
        Filter::Not(a) => Ok(!eval(a, scope)?),
        Filter::Present(path) => {
            let (values, _) = lookup(scope, path);
            Ok(values.iter().any(|v| non_empty(v)))
        }
        Filter::Compare { path, op, value } => {
            let (values, attr) = lookup(scope, path);
            let Some(attr) = attr else {
                // An attribute the schema does not define has no value.
                return Ok(match value {
                    CompValue::Null => *op == CompareOp::Eq,
                    _ => *op == CompareOp::Ne,
                });
            };
            compare_all(&values, attr, *op, value)
        }
        Filter::ValuePath { path, filter } => {
            let Scope::Resource { resource, rt } = scope else {
                return Err(ScimError::bad(
                    ScimType::InvalidFilter,
                    "value filters do not nest",
                ));
            };
            let Some(resolved) = rt.resolve(path) else {
                return Ok(false);
            };
            let container = match resolved.extension {
                Some(urn) => get_ci(resource, urn),
                None => Some(*resource),
            };
            let Some(Value::Array(items)) =
                container.and_then(|c| get_ci(c, resolved.attribute.name))
            else {
                return Ok(false);
            };
            for item in items {
                let inner = Scope::Element {
                    value: item,
                    parent: resolved.attribute,
                };
                if eval(filter, &inner)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(non_empty),
        Value::Object(o) => o.values().any(non_empty),
        _ => true,
    }
}

/// The values a path designates and the attribute that types them.
fn lookup<'a>(scope: &Scope<'a>, path: &AttrPath) -> (Vec<&'a Value>, Option<&'a Attribute>) {
    match scope {
        Scope::Element { value, parent } => {
            if path.uri.is_some() || path.sub.is_some() {
                return (Vec::new(), None);
            }
            let Some(attr) = parent.sub(&path.name) else {
                return (Vec::new(), None);
            };
            (get_ci(value, attr.name).into_iter().collect(), Some(attr))
        }
        Scope::Resource { resource, rt } => {
            let Some(resolved) = rt.resolve(path) else {
                return (Vec::new(), None);
            };
            let container = match resolved.extension {
                Some(urn) => get_ci(resource, urn),
                None => Some(*resource),
            };
            let sub = compared_sub(&resolved);
            let Some(raw) = container.and_then(|c| get_ci(c, resolved.attribute.name)) else {
                // Absent: typed as if present, so the same filter never
                // fails on one resource and passes on another.
                return (Vec::new(), Some(sub.unwrap_or(resolved.attribute)));
            };
            let items: Vec<&Value> = match raw {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            match sub {
                Some(sub) => (
                    items
                        .into_iter()
                        .filter_map(|i| get_ci(i, sub.name))
                        .flat_map(|v| match v {
                            Value::Array(a) => a.iter().collect::<Vec<_>>(),
                            other => vec![other],
                        })
                        .collect(),
                    Some(sub),
                ),
                None => (items, Some(resolved.attribute)),
            }
        }
    }
}

/// The sub-attribute a path compares: the one it names, or `value` for a
/// complex attribute named alone.
fn compared_sub<'a>(resolved: &Resolved<'a>) -> Option<&'a Attribute> {
    resolved.sub.or_else(|| {
        (resolved.attribute.kind == AttrType::Complex)
            .then(|| resolved.attribute.sub("value"))
            .flatten()
    })
}

/// Whether evaluating `filter` can never fail, on any resource of `rt`.
/// Evaluation fails only on a comparison the schema types reject or a
/// nested value filter, and which resources reach such a part depends on
/// their values; a filter that cannot fail matches the same resources
/// whichever others are evaluated, so a planner may narrow them by an index.
pub(crate) fn cannot_fail(filter: &Filter, rt: &ResourceType) -> bool {
    valid(filter, None, rt)
}

/// `element`: inside `attr[...]`, the multi-valued attribute.
fn valid(filter: &Filter, element: Option<&Attribute>, rt: &ResourceType) -> bool {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => valid(a, element, rt) && valid(b, element, rt),
        Filter::Not(a) => valid(a, element, rt),
        Filter::Present(_) => true,
        Filter::Compare { path, op, value } => {
            let attr = match element {
                Some(parent) if path.uri.is_none() && path.sub.is_none() => parent.sub(&path.name),
                Some(_) => None,
                None => rt
                    .resolve(path)
                    .map(|r| compared_sub(&r).unwrap_or(r.attribute)),
            };
            attr.is_none_or(|attr| match value {
                CompValue::Null => matches!(op, CompareOp::Eq | CompareOp::Ne),
                _ => {
                    let op = if *op == CompareOp::Ne {
                        CompareOp::Eq
                    } else {
                        *op
                    };
                    check_operator(attr, op, value).is_ok()
                }
            })
        }
        Filter::ValuePath { path, filter } => {
            element.is_none()
                && rt
                    .resolve(path)
                    .is_none_or(|r| valid(filter, Some(r.attribute), rt))
        }
    }
}

fn invalid(detail: &'static str) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, detail)
}

fn compare_all(
    values: &[&Value],
    attr: &Attribute,
    op: CompareOp,
    operand: &CompValue,
) -> Result<bool, ScimError> {
    let present: Vec<&&Value> = values.iter().filter(|v| !v.is_null()).collect();
    if let CompValue::Null = operand {
        return match op {
            CompareOp::Eq => Ok(present.is_empty()),
            CompareOp::Ne => Ok(!present.is_empty()),
            _ => Err(invalid("null compares only with eq and ne")),
        };
    }
    if op == CompareOp::Ne {
        return Ok(!compare_all(values, attr, CompareOp::Eq, operand)?);
    }
    check_operator(attr, op, operand)?;
    for v in present {
        if compare_one(v, attr, op, operand) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Rejects comparisons the RFC forbids or whose operand has the wrong type.
fn check_operator(attr: &Attribute, op: CompareOp, operand: &CompValue) -> Result<(), ScimError> {
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Lt | CompareOp::Ge | CompareOp::Le
    );
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    match (attr.kind, operand) {
        (AttrType::Boolean, CompValue::Bool(_)) if !ordering && !substring => Ok(()),
        (AttrType::Boolean | AttrType::Binary, _) if ordering => Err(invalid(
            "gt, ge, lt and le do not apply to boolean or binary attributes",
        )),
        (AttrType::Boolean, _) => Err(invalid("a boolean attribute compares with true or false")),
        (AttrType::Integer | AttrType::Decimal, CompValue::Number(_)) if !substring => Ok(()),
        (AttrType::Integer | AttrType::Decimal, _) => {
            Err(invalid("a numeric attribute compares with a number"))
        }
        (AttrType::Complex, _) => Err(invalid("a complex attribute cannot be compared")),
        (AttrType::DateTime, CompValue::String(s)) if !substring => parse_time(s)
            .map(|_| ())
            .ok_or_else(|| invalid("a dateTime compares with an RFC 3339 date and time")),
        (_, CompValue::String(_)) => Ok(()),
        _ => Err(invalid("a string attribute compares with a string")),
    }
}

fn compare_one(value: &Value, attr: &Attribute, op: CompareOp, operand: &CompValue) -> bool {
    match (value, operand) {
        (Value::Bool(b), CompValue::Bool(o)) => op == CompareOp::Eq && b == o,
        (Value::Number(n), CompValue::Number(o)) => {
            let (Some(a), Some(b)) = (n.as_f64(), o.as_f64()) else {
                return false;
            };
            a.partial_cmp(&b).is_some_and(|ord| ordered(op, ord))
        }
        (Value::String(s), CompValue::String(o)) => {
            if attr.kind == AttrType::DateTime
                && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
            {
                return match (parse_time(s), parse_time(o)) {
                    (Some(a), Some(b)) => ordered(op, a.cmp(&b)),
                    _ => false,
                };
            }
            let (a, b) = if attr.case_exact {
                (s.clone(), o.clone())
            } else {
                (s.to_lowercase(), o.to_lowercase())
            };
            match op {
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                _ => ordered(op, a.cmp(&b)),
            }
        }
        _ => false,
    }
}

fn ordered(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// An RFC 3339 date and time as nanoseconds since the epoch.
pub(crate) fn parse_time(s: &str) -> Option<i128> {
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos()))
}
