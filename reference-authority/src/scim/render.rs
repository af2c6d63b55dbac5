//! A stored resource as the wire shows it (RFC 7643 section 3): `schemas`,
//! `id`, the attributes, and `meta` with the location and ETag version; then
//! trimmed by `attributes` / `excludedAttributes` (RFC 7644 section 3.9).

use super::filter::AttrPath;
use super::schema::{Attribute, ResourceType, Returned};
use super::store::Stored;
use super::{ScimError, ScimType, etag};
use serde_json::{Map, Value, json};

/// Seconds since the epoch as an `xsd:dateTime` in UTC.
pub(crate) fn date_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The location of a resource.
pub(crate) fn location(base: &str, rt: &ResourceType, id: &str) -> String {
    format!("{base}{}/{id}", rt.endpoint)
}

/// The full representation of `stored`.
pub fn full(rt: &ResourceType, base: &str, stored: &Stored) -> Value {
    let mut schemas = vec![Value::from(rt.schema.id)];
    for (ext, _) in &rt.extensions {
        if stored.attributes.contains_key(ext.id) {
            schemas.push(ext.id.into());
        }
    }
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), stored.id.clone().into());
    for (k, v) in &stored.attributes {
        out.insert(k.clone(), v.clone());
    }
    out.insert(
        "meta".into(),
        json!({
            "resourceType": rt.name,
            "created": date_time(stored.created),
            "lastModified": date_time(stored.last_modified),
            "location": location(base, rt, &stored.id),
            "version": etag::of(stored.version),
        }),
    );
    Value::Object(out)
}

/// Which attributes a response carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Projection {
    /// The default set (everything returned by default).
    #[default]
    Default,
    /// `attributes=`: these, plus those always returned.
    Only(Vec<AttrPath>),
    /// `excludedAttributes=`: the default set minus these.
    Excluding(Vec<AttrPath>),
}

impl Projection {
    /// From the two mutually exclusive parameters (comma-separated paths).
    pub fn from_params(
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self, ScimError> {
        let list = |s: &str| -> Result<Vec<AttrPath>, ScimError> {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    super::filter::attr_path(p).map_err(|_| {
                        ScimError::bad(
                            ScimType::InvalidSyntax,
                            format!("`{p}` is not an attribute path"),
                        )
                    })
                })
                .collect()
        };
        match (attributes, excluded) {
            (Some(_), Some(_)) => Err(ScimError::bad(
                ScimType::InvalidSyntax,
                "attributes and excludedAttributes are mutually exclusive",
            )),
            (Some(a), None) => Ok(Projection::Only(list(a)?)),
            (None, Some(e)) => Ok(Projection::Excluding(list(e)?)),
            (None, None) => Ok(Projection::Default),
        }
    }

    /// Applies the projection to a full representation.
    pub fn apply(&self, rt: &ResourceType, full: &Value) -> Value {
        let Value::Object(object) = full else {
            return full.clone();
        };
        let mut out = Map::new();
        for (key, value) in object {
            if key == "schemas" || key == "id" {
                out.insert(key.clone(), value.clone());
                continue;
            }
            if let Some(ext) = rt.extension(key) {
                let Value::Object(inner) = value else {
                    continue;
                };
                let mut kept = Map::new();
                for (k, v) in inner {
                    if let Some(attr) = ext.attribute(k)
                        && let Some(v) = self.keep(Some(ext.id), attr, v, rt)
                    {
                        kept.insert(k.clone(), v);
                    }
                }
                if !kept.is_empty() {
                    out.insert(key.clone(), Value::Object(kept));
                }
                continue;
            }
            let attr = rt
                .schema
                .attribute(key)
                .or_else(|| rt.common.iter().find(|a| a.name.eq_ignore_ascii_case(key)));
            if let Some(attr) = attr
                && let Some(v) = self.keep(None, attr, value, rt)
            {
                out.insert(key.clone(), v);
            }
        }
        Value::Object(out)
    }

    fn names(
        paths: &[AttrPath],
        ext: Option<&str>,
        attr: &Attribute,
        rt: &ResourceType,
    ) -> (bool, Vec<String>) {
        let mut whole = false;
        let mut subs = Vec::new();
        for p in paths {
            let same_schema = match (&p.uri, ext) {
                (None, None) => true,
                (Some(u), None) => u.eq_ignore_ascii_case(rt.schema.id),
                (Some(u), Some(e)) => u.eq_ignore_ascii_case(e),
                (None, Some(_)) => false,
            };
            if same_schema && p.name.eq_ignore_ascii_case(attr.name) {
                match &p.sub {
                    None => whole = true,
                    Some(s) => subs.push(s.to_ascii_lowercase()),
                }
            }
        }
        (whole, subs)
    }

    fn keep(
        &self,
        ext: Option<&str>,
        attr: &Attribute,
        value: &Value,
        rt: &ResourceType,
    ) -> Option<Value> {
        match attr.returned {
            Returned::Never => return None,
            Returned::Always => return Some(value.clone()),
            _ => {}
        }
        match self {
            Projection::Default => (attr.returned == Returned::Default).then(|| value.clone()),
            Projection::Only(paths) => {
                // A URN alone names every attribute of that extension.
                let whole_ext = ext.is_some_and(|e| {
                    paths.iter().any(|p| {
                        format!("{}:{}", p.uri.as_deref().unwrap_or(""), p.name)
                            .eq_ignore_ascii_case(e)
                    })
                });
                let (whole, subs) = Self::names(paths, ext, attr, rt);
                if whole || whole_ext {
                    Some(value.clone())
                } else if subs.is_empty() {
                    None
                } else {
                    Some(only_subs(value, &subs))
                }
            }
            Projection::Excluding(paths) => {
                if attr.returned == Returned::Request {
                    return None;
                }
                let (whole, subs) = Self::names(paths, ext, attr, rt);
                if whole {
                    None
                } else if subs.is_empty() {
                    Some(value.clone())
                } else {
                    Some(without_subs(value, &subs))
                }
            }
        }
    }
}

/// A rewrite of one JSON object.
type ObjectRewrite<'a> = dyn Fn(&Map<String, Value>) -> Map<String, Value> + 'a;

fn map_objects(value: &Value, f: &ObjectRewrite<'_>) -> Value {
    match value {
        Value::Object(o) => Value::Object(f(o)),
        Value::Array(a) => Value::Array(a.iter().map(|v| map_objects(v, f)).collect()),
        other => other.clone(),
    }
}

fn only_subs(value: &Value, subs: &[String]) -> Value {
    map_objects(value, &|o| {
        o.iter()
            .filter(|(k, _)| subs.contains(&k.to_ascii_lowercase()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

fn without_subs(value: &Value, subs: &[String]) -> Value {
    map_objects(value, &|o| {
        o.iter()
            .filter(|(k, _)| !subs.contains(&k.to_ascii_lowercase()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}
