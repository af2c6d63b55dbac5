//! Checking a client's resource against the schemas (RFC 7643 sections 2 and
//! 7, RFC 7644 sections 3.3 and 3.5.1): known attributes only, values of the
//! declared types, required attributes present, read-only values ignored,
//! immutable values unchanged, one `primary` at most. The result is the
//! attributes with their canonical names, ready to store.

use super::filter::get_ci;
use super::schema::{AttrType, Attribute, Mutability, ResourceType, Schema};
use super::{ScimError, ScimType};
use serde_json::{Map, Value};

fn bad(t: ScimType, detail: String) -> ScimError {
    ScimError::bad(t, detail)
}

/// Validates a full resource body (POST or PUT). `existing` is the stored
/// attributes for PUT, used to refuse changes to immutable attributes.
pub fn resource(
    rt: &ResourceType,
    body: &Value,
    existing: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(object) = body else {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            "the resource is not a JSON object",
        ));
    };
    // RFC 7643 section 3: `schemas` is REQUIRED and names the core schema.
    let schemas = object
        .get("schemas")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad(ScimType::InvalidSyntax, "the resource has no `schemas`"))?;
    let mut names_core = false;
    for s in schemas {
        let s = s.as_str().ok_or_else(|| {
            ScimError::bad(ScimType::InvalidSyntax, "`schemas` holds a non-string")
        })?;
        if s.eq_ignore_ascii_case(rt.schema.id) {
            names_core = true;
        } else if rt.extension(s).is_none() {
            return Err(bad(
                ScimType::InvalidValue,
                format!("`{s}` is not a schema of {}", rt.name),
            ));
        }
    }
    if !names_core {
        return Err(bad(
            ScimType::InvalidValue,
            format!("`schemas` must name {}", rt.schema.id),
        ));
    }
    let mut out = Map::new();
    for (key, value) in object {
        if ["schemas", "id", "meta"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
        {
            continue; // read-only common attributes: ignored (RFC 7643 section 3.1)
        }
        if key.eq_ignore_ascii_case("externalId") {
            match value {
                Value::Null => {}
                Value::String(s) => {
                    out.insert("externalId".into(), Value::String(s.clone()));
                }
                _ => {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        "`externalId` is not a string",
                    ));
                }
            }
            continue;
        }
        if let Some(ext) = rt.extension(key) {
            match value {
                Value::Null => {}
                Value::Object(inner) => {
                    let checked = attributes(ext, inner)?;
                    if !checked.is_empty() {
                        out.insert(ext.id.to_owned(), Value::Object(checked));
                    }
                }
                _ => {
                    return Err(bad(
                        ScimType::InvalidValue,
                        format!("`{}` is not an object", ext.id),
                    ));
                }
            }
            continue;
        }
        if key.eq_ignore_ascii_case(rt.schema.id)
            && let Value::Object(inner) = value
        {
            out.extend(attributes(&rt.schema, inner)?);
            continue;
        }
        let attr = rt.schema.attribute(key).ok_or_else(|| {
            bad(
                ScimType::InvalidSyntax,
                format!("`{key}` is not an attribute of {}", rt.name),
            )
        })?;
        if let Some(v) = checked_value(attr, value)? {
            out.insert(attr.name.to_owned(), v);
        }
    }
    required(&rt.schema, &out)?;
    for (ext, is_required) in &rt.extensions {
        match out.get(ext.id) {
            Some(Value::Object(inner)) => required(ext, inner)?,
            _ if *is_required => {
                return Err(bad(
                    ScimType::InvalidValue,
                    format!("the extension `{}` is required", ext.id),
                ));
            }
            _ => {}
        }
    }
    if let Some(old) = existing {
        immutable(rt, old, &out)?;
    }
    Ok(out)
}

/// Checks the attributes of one schema's object.
fn attributes(
    schema: &Schema,
    object: &Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    // An extension object may repeat its schema URN (as some clients send it).
    for (key, value) in object
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
    {
        let attr = schema.attribute(key).ok_or_else(|| {
            bad(
                ScimType::InvalidSyntax,
                format!("`{key}` is not an attribute of {}", schema.id),
            )
        })?;
        if let Some(v) = checked_value(attr, value)? {
            out.insert(attr.name.to_owned(), v);
        }
    }
    Ok(out)
}

/// The value with canonical sub-attribute names, `None` when unassigned or
/// read-only (ignored).
pub(crate) fn checked_value(attr: &Attribute, value: &Value) -> Result<Option<Value>, ScimError> {
    if attr.mutability == Mutability::ReadOnly || value.is_null() {
        return Ok(None);
    }
    if attr.multi_valued {
        let items = match value {
            Value::Array(items) => items.clone(),
            single => vec![single.clone()],
        };
        let mut out = Vec::new();
        for item in &items {
            if let Some(v) = single_value(attr, item)?
                && !out.contains(&v)
            {
                out.push(v);
            }
        }
        // RFC 7643 section 2.4: `primary` true appears at most once.
        let primaries = out
            .iter()
            .filter(|v| get_ci(v, "primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(bad(
                ScimType::InvalidValue,
                format!("more than one `{}` value is primary", attr.name),
            ));
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    if value.is_array() {
        return Err(bad(
            ScimType::InvalidValue,
            format!("`{}` is single-valued", attr.name),
        ));
    }
    single_value(attr, value)
}

fn single_value(attr: &Attribute, value: &Value) -> Result<Option<Value>, ScimError> {
    let wrong = || {
        bad(
            ScimType::InvalidValue,
            format!("`{}` is not of type {:?}", attr.name, attr.kind),
        )
    };
    match (attr.kind, value) {
        (_, Value::Null) => Ok(None),
        (AttrType::String | AttrType::Reference | AttrType::Binary, Value::String(_))
        | (AttrType::Boolean, Value::Bool(_))
        | (AttrType::Decimal, Value::Number(_)) => Ok(Some(value.clone())),
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {
            Ok(Some(value.clone()))
        }
        (AttrType::DateTime, Value::String(s)) => {
            super::filter::parse_time(s).ok_or_else(wrong)?;
            Ok(Some(value.clone()))
        }
        (AttrType::Complex, Value::Object(object)) => {
            let mut out = Map::new();
            for (key, v) in object {
                let sub = attr.sub(key).ok_or_else(|| {
                    bad(
                        ScimType::InvalidSyntax,
                        format!("`{key}` is not a sub-attribute of `{}`", attr.name),
                    )
                })?;
                if let Some(v) = checked_value(sub, v)? {
                    out.insert(sub.name.to_owned(), v);
                }
            }
            for sub in &attr.sub_attributes {
                if sub.required && !out.contains_key(sub.name) {
                    return Err(bad(
                        ScimType::InvalidValue,
                        format!("`{}.{}` is required", attr.name, sub.name),
                    ));
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        _ => Err(wrong()),
    }
}

fn required(schema: &Schema, object: &Map<String, Value>) -> Result<(), ScimError> {
    for attr in &schema.attributes {
        if attr.required
            && attr.mutability != Mutability::ReadOnly
            && !object.contains_key(attr.name)
        {
            return Err(bad(
                ScimType::InvalidValue,
                format!("`{}` is required", attr.name),
            ));
        }
    }
    Ok(())
}

/// RFC 7643 section 7: an immutable attribute, once set, keeps its value.
fn immutable(
    rt: &ResourceType,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), ScimError> {
    let schemas = std::iter::once((None, &rt.schema))
        .chain(rt.extensions.iter().map(|(s, _)| (Some(s.id), s)));
    for (ext, schema) in schemas {
        let pick = |m: &Map<String, Value>, name: &str| -> Option<Value> {
            match ext {
                Some(urn) => m.get(urn).and_then(|o| o.get(name)).cloned(),
                None => m.get(name).cloned(),
            }
        };
        for attr in &schema.attributes {
            if attr.mutability == Mutability::Immutable
                && let Some(before) = pick(old, attr.name)
                && pick(new, attr.name).as_ref() != Some(&before)
            {
                return Err(bad(
                    ScimType::Mutability,
                    format!("`{}` is immutable", attr.name),
                ));
            }
        }
    }
    Ok(())
}

/// The attributes a client can write: `attributes` without the read-only
/// ones the store computes (such as a User's `groups`).
pub fn writable(rt: &ResourceType, attributes: &Map<String, Value>) -> Map<String, Value> {
    attributes
        .iter()
        .filter(|(k, _)| {
            rt.schema
                .attribute(k)
                .is_none_or(|a| a.mutability != Mutability::ReadOnly)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
