//! PATCH (RFC 7644 section 3.5.2): `add`, `remove` and `replace` with
//! attribute paths, value filters and sub-attributes, applied to a copy of
//! the resource; the caller validates the result and stores it only if every
//! operation succeeded (section 3.5.2: the operations are atomic).

use super::filter::{self, AttrPath, Filter, PatchPath, get_ci};
use super::schema::{Attribute, Mutability, ResourceType};
use super::validate::checked_value;
use super::{ScimError, ScimType};
use serde_json::{Map, Value, json};

/// The `urn:ietf:params:scim:api:messages:2.0:PatchOp` schema.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn bad(t: ScimType, detail: impl Into<std::borrow::Cow<'static, str>>) -> ScimError {
    ScimError::bad(t, detail)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

/// Where an operation lands.
enum Target<'a> {
    /// No `path`.
    Resource,
    /// A whole extension (`path` is its URN).
    Extension(&'static str),
    /// An attribute, maybe filtered, maybe a sub-attribute.
    Attribute {
        ext: Option<&'static str>,
        attr: &'a Attribute,
        path: AttrPath,
        filter: Option<Filter>,
        sub: Option<&'a Attribute>,
    },
}

/// Applies a PatchOp request body to `attributes`; returns the new attributes.
///
/// ```
/// use reference_authority::scim::{patch, resource_types};
/// use serde_json::json;
/// let group = resource_types::group();
/// let before = json!({"displayName": "Sales", "members": [{"value": "a"}, {"value": "b"}]});
/// let body = json!({
///     "schemas": [patch::PATCH_OP],
///     "Operations": [{"op": "remove", "path": "members[value eq \"a\"]"}]
/// });
/// let after = patch::apply(&group, before.as_object().unwrap(), &body)?;
/// assert_eq!(after["members"], json!([{"value": "b"}]));
/// # Ok::<(), reference_authority::scim::ScimError>(())
/// ```
pub fn apply(
    rt: &ResourceType,
    attributes: &Map<String, Value>,
    body: &Value,
) -> Result<Map<String, Value>, ScimError> {
    let names_schema = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP)))
        });
    if !names_schema {
        return Err(bad(
            ScimType::InvalidSyntax,
            "`schemas` must name the PatchOp schema",
        ));
    }
    let operations = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .filter(|o| !o.is_empty())
        .ok_or_else(|| {
            bad(
                ScimType::InvalidSyntax,
                "`Operations` must be a non-empty array",
            )
        })?;
    let mut work = attributes.clone();
    for operation in operations {
        let op = match get_ci(operation, "op").and_then(Value::as_str) {
            Some(o) if o.eq_ignore_ascii_case("add") => Op::Add,
            Some(o) if o.eq_ignore_ascii_case("remove") => Op::Remove,
            Some(o) if o.eq_ignore_ascii_case("replace") => Op::Replace,
            _ => {
                return Err(bad(
                    ScimType::InvalidSyntax,
                    "`op` must be add, remove or replace",
                ));
            }
        };
        let value = get_ci(operation, "value");
        let target = match get_ci(operation, "path") {
            None | Some(Value::Null) => Target::Resource,
            Some(Value::String(p)) => target(rt, p)?,
            Some(_) => return Err(bad(ScimType::InvalidPath, "`path` is not a string")),
        };
        match (op, value) {
            (Op::Remove, _) => remove(rt, &mut work, target, value)?,
            (_, None) => {
                return Err(bad(
                    ScimType::InvalidValue,
                    "add and replace need a `value`",
                ));
            }
            (op, Some(value)) => add_or_replace(rt, &mut work, target, value, op == Op::Replace)?,
        }
    }
    Ok(work)
}

fn target<'a>(rt: &'a ResourceType, path: &str) -> Result<Target<'a>, ScimError> {
    if let Some(ext) = rt.extension(path.trim()) {
        return Ok(Target::Extension(ext.id));
    }
    let PatchPath {
        attr: path,
        filter,
        sub_after_filter,
    } = filter::parse_patch_path(path)?;
    let resolved = rt.resolve(&path).ok_or_else(|| {
        bad(
            ScimType::InvalidPath,
            format!("`{path}` is not an attribute of {}", rt.name),
        )
    })?;
    if ["id", "meta"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(resolved.attribute.name))
        || resolved.attribute.mutability == Mutability::ReadOnly
    {
        return Err(bad(
            ScimType::Mutability,
            format!("`{}` is read-only", resolved.attribute.name),
        ));
    }
    let sub = match (&sub_after_filter, resolved.sub) {
        (Some(name), _) => Some(resolved.attribute.sub(name).ok_or_else(|| {
            bad(
                ScimType::InvalidPath,
                format!(
                    "`{name}` is not a sub-attribute of `{}`",
                    resolved.attribute.name
                ),
            )
        })?),
        (None, s) => s,
    };
    if sub.is_some_and(|s| s.mutability == Mutability::ReadOnly) {
        return Err(bad(ScimType::Mutability, "the sub-attribute is read-only"));
    }
    if filter.is_some() && !resolved.attribute.multi_valued {
        return Err(bad(
            ScimType::InvalidPath,
            "a value filter needs a multi-valued attribute",
        ));
    }
    Ok(Target::Attribute {
        ext: resolved.extension,
        attr: resolved.attribute,
        path,
        filter,
        sub,
    })
}

/// The object holding the attributes of `ext` (the resource itself for the core schema).
fn container<'m>(
    work: &'m mut Map<String, Value>,
    ext: Option<&'static str>,
) -> Option<&'m mut Map<String, Value>> {
    match ext {
        None => Some(work),
        Some(urn) => work
            .entry(urn.to_owned())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut(),
    }
}

fn internal() -> ScimError {
    ScimError::internal("a stored value does not have the shape of its schema")
}

/// Whether one value of a multi-valued attribute matches the value filter.
fn element_matches(
    rt: &ResourceType,
    path: &AttrPath,
    ext: Option<&str>,
    filter: &Filter,
    element: &Value,
) -> Result<bool, ScimError> {
    let one = json!([element]);
    let probe = match ext {
        Some(urn) => json!({ urn: { path.name.clone(): one } }),
        None => json!({ path.name.clone(): one }),
    };
    let vp = Filter::ValuePath {
        path: AttrPath {
            uri: ext.map(str::to_owned),
            name: path.name.clone(),
            sub: None,
        },
        filter: Box::new(filter.clone()),
    };
    filter::matches(&vp, &probe, rt)
}

/// Each key of a path-less `value` object, as its own target.
fn expand<'a>(rt: &'a ResourceType, value: &Value) -> Result<Vec<(Target<'a>, Value)>, ScimError> {
    let object = value.as_object().ok_or_else(|| {
        bad(
            ScimType::InvalidValue,
            "without a path, `value` must be an object",
        )
    })?;
    let mut out = Vec::new();
    for (key, v) in object {
        if ["schemas", "id", "meta"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
        {
            continue;
        }
        if let Some(ext) = rt.extension(key) {
            let inner = v.as_object().ok_or_else(|| {
                bad(
                    ScimType::InvalidValue,
                    format!("`{}` is not an object", ext.id),
                )
            })?;
            for (k, iv) in inner
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
            {
                let attr = ext.attribute(k).ok_or_else(|| {
                    bad(
                        ScimType::InvalidPath,
                        format!("`{k}` is not an attribute of {}", ext.id),
                    )
                })?;
                out.push((attr_target(Some(ext.id), attr, k), iv.clone()));
            }
            continue;
        }
        match target(rt, key)? {
            Target::Attribute { filter: None, .. } | Target::Extension(_) | Target::Resource => {}
            Target::Attribute { .. } => {
                return Err(bad(ScimType::InvalidPath, "value keys are attribute names"));
            }
        }
        out.push((target(rt, key)?, v.clone()));
    }
    Ok(out)
}

fn attr_target<'a>(ext: Option<&'static str>, attr: &'a Attribute, name: &str) -> Target<'a> {
    Target::Attribute {
        ext,
        attr,
        path: AttrPath {
            uri: ext.map(str::to_owned),
            name: name.to_owned(),
            sub: None,
        },
        filter: None,
        sub: None,
    }
}

fn add_or_replace(
    rt: &ResourceType,
    work: &mut Map<String, Value>,
    target: Target<'_>,
    value: &Value,
    replace: bool,
) -> Result<(), ScimError> {
    match target {
        Target::Resource => {
            for (t, v) in expand(rt, value)? {
                add_or_replace(rt, work, t, &v, replace)?;
            }
            Ok(())
        }
        Target::Extension(urn) => {
            let ext = rt.extension(urn).ok_or_else(internal)?;
            if replace {
                work.remove(urn);
            }
            let inner = value
                .as_object()
                .ok_or_else(|| bad(ScimType::InvalidValue, format!("`{urn}` is not an object")))?;
            for (k, v) in inner
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
            {
                let attr = ext.attribute(k).ok_or_else(|| {
                    bad(
                        ScimType::InvalidPath,
                        format!("`{k}` is not an attribute of {urn}"),
                    )
                })?;
                add_or_replace(rt, work, attr_target(Some(ext.id), attr, k), v, replace)?;
            }
            Ok(())
        }
        Target::Attribute {
            ext,
            attr,
            path,
            filter,
            sub,
        } => {
            let matcher = |element: &Value| -> Result<bool, ScimError> {
                match &filter {
                    Some(f) => element_matches(rt, &path, ext, f, element),
                    None => Ok(true),
                }
            };
            let holder = container(work, ext).ok_or_else(internal)?;
            if attr.multi_valued && (filter.is_some() || sub.is_some()) {
                // Section 3.5.2.3: a filter that matches no value is `noTarget`.
                let mut hit = false;
                let items = holder.get_mut(attr.name).and_then(Value::as_array_mut);
                for item in items.into_iter().flatten() {
                    if !matcher(item)? {
                        continue;
                    }
                    hit = true;
                    let object = item.as_object_mut().ok_or_else(internal)?;
                    match sub {
                        Some(sub) => match checked_value(sub, value)? {
                            Some(v) => {
                                object.insert(sub.name.to_owned(), v);
                            }
                            None => {
                                object.remove(sub.name);
                            }
                        },
                        None => {
                            let v = checked_value(&single(attr), value)?.unwrap_or(Value::Null);
                            let new = v.as_object().ok_or_else(|| {
                                bad(ScimType::InvalidValue, "the value is not an object")
                            })?;
                            if replace {
                                object.clear();
                            }
                            object.extend(new.clone());
                        }
                    }
                }
                if !hit {
                    return Err(bad(
                        ScimType::NoTarget,
                        format!("no value of `{}` matches the path", attr.name),
                    ));
                }
                return Ok(());
            }
            if let Some(sub) = sub {
                let entry = holder
                    .entry(attr.name.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                let object = entry.as_object_mut().ok_or_else(internal)?;
                if let Some(v) = checked_value(sub, value)? {
                    object.insert(sub.name.to_owned(), v);
                }
                return Ok(());
            }
            let checked = checked_value(attr, value)?;
            match checked {
                None => {
                    if replace {
                        holder.remove(attr.name);
                    }
                }
                Some(Value::Array(new)) if !replace => {
                    let entry = holder
                        .entry(attr.name.to_owned())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    let items = entry.as_array_mut().ok_or_else(internal)?;
                    for v in new {
                        if !items.contains(&v) {
                            items.push(v);
                        }
                    }
                }
                Some(Value::Object(new)) if !attr.multi_valued => {
                    // Section 3.5.2.1 and 3.5.2.3: sub-attributes of a complex
                    // attribute are merged.
                    let entry = holder
                        .entry(attr.name.to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                    let object = entry.as_object_mut().ok_or_else(internal)?;
                    object.extend(new);
                }
                Some(v) => {
                    holder.insert(attr.name.to_owned(), v);
                }
            }
            Ok(())
        }
    }
}

/// The single-valued view of a multi-valued attribute (to check one value).
fn single(attr: &Attribute) -> Attribute {
    let mut a = attr.clone();
    a.multi_valued = false;
    a
}

fn remove(
    rt: &ResourceType,
    work: &mut Map<String, Value>,
    target: Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match target {
        // Section 3.5.2.2: without `path` the operation fails with noTarget.
        Target::Resource => Err(bad(ScimType::NoTarget, "remove needs a `path`")),
        Target::Extension(urn) => {
            work.remove(urn);
            Ok(())
        }
        Target::Attribute {
            ext,
            attr,
            path,
            filter,
            sub,
        } => {
            let holder = container(work, ext).ok_or_else(internal)?;
            let drop_values: Option<Vec<Value>> =
                match (attr.multi_valued, filter.is_none() && sub.is_none(), value) {
                    (true, true, Some(v)) if !v.is_null() => Some(match v {
                        Value::Array(a) => a.clone(),
                        other => vec![other.clone()],
                    }),
                    _ => None,
                };
            if attr.multi_valued && (filter.is_some() || sub.is_some() || drop_values.is_some()) {
                if let Some(Value::Array(items)) = holder.get_mut(attr.name) {
                    let mut kept = Vec::new();
                    for mut item in std::mem::take(items) {
                        let hit = match (&filter, &drop_values) {
                            (Some(f), _) => element_matches(rt, &path, ext, f, &item)?,
                            (None, Some(drops)) => drops.iter().any(|d| same_value(d, &item)),
                            (None, None) => true,
                        };
                        match (hit, sub) {
                            (false, _) => kept.push(item),
                            (true, Some(sub)) => {
                                if let Some(o) = item.as_object_mut() {
                                    o.remove(sub.name);
                                }
                                kept.push(item);
                            }
                            (true, None) => {}
                        }
                    }
                    *items = kept;
                    if items.is_empty() {
                        holder.remove(attr.name);
                    }
                }
            } else if let Some(sub) = sub {
                if let Some(Value::Object(o)) = holder.get_mut(attr.name) {
                    o.remove(sub.name);
                    if o.is_empty() {
                        holder.remove(attr.name);
                    }
                }
            } else {
                holder.remove(attr.name);
            }
            if let Some(urn) = ext
                && work
                    .get(urn)
                    .and_then(Value::as_object)
                    .is_some_and(Map::is_empty)
            {
                work.remove(urn);
            }
            Ok(())
        }
    }
}

/// Two values of a multi-valued attribute are the same when their `value`
/// sub-attributes are, or when they are equal.
fn same_value(a: &Value, b: &Value) -> bool {
    match (get_ci(a, "value"), get_ci(b, "value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
