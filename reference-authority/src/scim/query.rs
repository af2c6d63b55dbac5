//! Listing and searching (RFC 7644 sections 3.4.2 and 3.4.3): filter, sort
//! (3.4.2.3), paginate (3.4.2.4) and project (3.4.2.5) into a ListResponse.

use super::filter::{self, AttrPath, Filter, get_ci};
use super::render::Projection;
use super::schema::{AttrType, ResourceType};
use super::{ScimError, ScimType};
use serde_json::{Value, json};
use std::cmp::Ordering;

/// The `urn:ietf:params:scim:api:messages:2.0:ListResponse` schema.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The `urn:ietf:params:scim:api:messages:2.0:SearchRequest` schema.
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// The parameters of a query, from the URL or a SearchRequest body.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The filter.
    pub filter: Option<Filter>,
    /// The sort attribute.
    pub sort_by: Option<AttrPath>,
    /// Descending instead of ascending.
    pub descending: bool,
    /// 1-based index of the first result.
    pub start_index: usize,
    /// Page size (`None`: the server's maximum).
    pub count: Option<usize>,
    /// Which attributes to return.
    pub projection: Projection,
}

impl Query {
    /// From the URL parameters (names are case-sensitive in RFC 7644 examples;
    /// this reads them as given).
    pub fn from_params(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ScimError> {
        let filter = get("filter").map(|f| filter::parse(&f)).transpose()?;
        let sort_by = get("sortBy")
            .map(|s| {
                filter::attr_path(&s).map_err(|_| {
                    ScimError::bad(ScimType::InvalidSyntax, "sortBy is not an attribute path")
                })
            })
            .transpose()?;
        let descending = match get("sortOrder").as_deref() {
            None => false,
            Some(o) if o.eq_ignore_ascii_case("ascending") => false,
            Some(o) if o.eq_ignore_ascii_case("descending") => true,
            Some(_) => {
                return Err(ScimError::bad(
                    ScimType::InvalidSyntax,
                    "sortOrder is ascending or descending",
                ));
            }
        };
        let int = |name: &str| -> Result<Option<i64>, ScimError> {
            get(name)
                .map(|v| {
                    v.trim().parse::<i64>().map_err(|_| {
                        ScimError::bad(ScimType::InvalidSyntax, format!("{name} is not an integer"))
                    })
                })
                .transpose()
        };
        // Section 3.4.2.4: startIndex below 1 is read as 1, a negative count as 0.
        let start_index = int("startIndex")?.map_or(1, |i| usize::try_from(i.max(1)).unwrap_or(1));
        let count = int("count")?.map(|c| usize::try_from(c.max(0)).unwrap_or(0));
        let projection = Projection::from_params(
            get("attributes").as_deref(),
            get("excludedAttributes").as_deref(),
        )?;
        Ok(Query {
            filter,
            sort_by,
            descending,
            start_index,
            count,
            projection,
        })
    }

    /// From a SearchRequest body (section 3.4.3).
    pub fn from_search(body: &Value) -> Result<Self, ScimError> {
        let object = body.as_object().ok_or_else(|| {
            ScimError::bad(
                ScimType::InvalidSyntax,
                "the search request is not an object",
            )
        })?;
        let names_schema = object
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter().any(|v| {
                    v.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST))
                })
            });
        if !names_schema {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "`schemas` must name the SearchRequest schema",
            ));
        }
        let get = |name: &str| -> Option<String> {
            match get_ci(body, name)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Array(a) => Some(
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            }
        };
        Self::from_params(&get)
    }

    /// Filters, sorts, pages and projects `resources` (each with its type)
    /// into a ListResponse.
    pub fn run(
        &self,
        resources: Vec<(&ResourceType, Value)>,
        max: usize,
    ) -> Result<Value, ScimError> {
        let mut hits = Vec::new();
        for (rt, r) in resources {
            let keep = match &self.filter {
                Some(f) => filter::matches(f, &r, rt)?,
                None => true,
            };
            if keep {
                hits.push((rt, r));
            }
        }
        if let Some(sort_by) = &self.sort_by {
            let mut keyed: Vec<(Option<SortKey>, (&ResourceType, Value))> = hits
                .into_iter()
                .map(|(rt, r)| (sort_key(rt, &r, sort_by), (rt, r)))
                .collect();
            keyed.sort_by(|(a, _), (b, _)| compare_keys(a.as_ref(), b.as_ref(), self.descending));
            hits = keyed.into_iter().map(|(_, x)| x).collect();
        }
        let total = hits.len();
        let count = self.count.unwrap_or(max).min(max);
        let page: Vec<Value> = hits
            .into_iter()
            .skip(self.start_index.saturating_sub(1))
            .take(count)
            .map(|(rt, r)| self.projection.apply(rt, &r))
            .collect();
        Ok(json!({
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": page.len(),
            "startIndex": self.start_index,
            "Resources": page,
        }))
    }
}

/// A value to sort by.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum SortKey {
    Bool(bool),
    Number(f64),
    Time(i128),
    Text(String),
}

/// Section 3.4.2.3: a multi-valued attribute sorts by its primary value, or
/// else its first; case-insensitive strings sort case-insensitively.
fn sort_key(rt: &ResourceType, resource: &Value, path: &AttrPath) -> Option<SortKey> {
    let resolved = rt.resolve(path)?;
    let container = match resolved.extension {
        Some(urn) => get_ci(resource, urn)?,
        None => resource,
    };
    let mut value = get_ci(container, resolved.attribute.name)?;
    if let Value::Array(items) = value {
        value = items
            .iter()
            .find(|i| get_ci(i, "primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?;
    }
    let attr = match resolved.sub {
        Some(sub) => {
            value = get_ci(value, sub.name)?;
            sub
        }
        None if value.is_object() => {
            let sub = resolved.attribute.sub("value")?;
            value = get_ci(value, "value")?;
            sub
        }
        None => resolved.attribute,
    };
    match value {
        Value::Bool(b) => Some(SortKey::Bool(*b)),
        Value::Number(n) => n.as_f64().map(SortKey::Number),
        Value::String(s) if attr.kind == AttrType::DateTime => {
            filter::parse_time(s).map(SortKey::Time)
        }
        Value::String(s) if attr.case_exact => Some(SortKey::Text(s.clone())),
        Value::String(s) => Some(SortKey::Text(s.to_lowercase())),
        _ => None,
    }
}

/// Unassigned values sort last in ascending order and first in descending.
fn compare_keys(a: Option<&SortKey>, b: Option<&SortKey>, descending: bool) -> Ordering {
    let ord = match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    if descending { ord.reverse() } else { ord }
}
