//! Bulk (RFC 7644 section 3.7): many operations in one request, `bulkId`
//! references resolved to the ids the server assigned (section 3.7.2),
//! processing stopped after `failOnErrors` errors (section 3.7.3), and the
//! limits of the service provider configuration (413 beyond them).

use super::etag;
use super::filter::get_ci;
use super::render::Projection;
use super::{Caller, Scim, ScimError, ScimType};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The `urn:ietf:params:scim:api:messages:2.0:BulkRequest` schema.
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// The `urn:ietf:params:scim:api:messages:2.0:BulkResponse` schema.
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

struct Operation {
    method: String,
    bulk_id: Option<String>,
    version: Option<String>,
    path: String,
    data: Option<Value>,
}

fn bad(detail: impl Into<std::borrow::Cow<'static, str>>) -> ScimError {
    ScimError::bad(ScimType::InvalidSyntax, detail)
}

fn operations(body: &Value, max: usize) -> Result<(Vec<Operation>, Option<usize>), ScimError> {
    let names_schema = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|v| {
                v.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(BULK_REQUEST))
            })
        });
    if !names_schema {
        return Err(ScimError::bad(
            ScimType::InvalidValue,
            "`schemas` must name the BulkRequest schema",
        ));
    }
    let fail_on_errors = match get_ci(body, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| bad("failOnErrors is a positive integer"))?,
        ),
    };
    let list = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("`Operations` must be an array"))?;
    // Section 3.7.4: more operations than maxOperations is 413.
    if list.len() > max {
        return Err(ScimError::status_only(
            413,
            format!("the bulk request has more than {max} operations"),
        ));
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for op in list {
        let text = |name: &str| get_ci(op, name).and_then(Value::as_str).map(str::to_owned);
        let method = text("method")
            .map(|m| m.to_ascii_uppercase())
            .filter(|m| ["POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()))
            .ok_or_else(|| bad("each operation's method is POST, PUT, PATCH or DELETE"))?;
        let bulk_id = text("bulkId");
        // Section 3.7: bulkId is REQUIRED for POST, and unique in the request.
        if method == "POST" && bulk_id.is_none() {
            return Err(bad("a POST operation needs a bulkId"));
        }
        if let Some(id) = &bulk_id
            && !seen.insert(id.clone())
        {
            return Err(ScimError::bad(
                ScimType::Uniqueness,
                "a bulkId is used twice",
            ));
        }
        let path = text("path").ok_or_else(|| bad("each operation needs a path"))?;
        out.push(Operation {
            method,
            bulk_id,
            version: text("version"),
            path,
            data: get_ci(op, "data").cloned(),
        });
    }
    Ok((out, fail_on_errors))
}

/// The `bulkId:` references in a value or path.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:") {
                out.push(id.to_owned());
            } else if let Some(i) = s.find("/bulkId:") {
                out.push(
                    s.get(i + 8..)
                        .unwrap_or_default()
                        .split('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        Value::Array(a) => a.iter().for_each(|v| references(v, out)),
        Value::Object(o) => o.values().for_each(|v| references(v, out)),
        _ => {}
    }
}

fn substitute(value: &Value, ids: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) => {
            let mut s = s.clone();
            for (bulk, id) in ids {
                s = s.replace(&format!("bulkId:{bulk}"), id);
            }
            Value::String(s)
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| substitute(v, ids)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), substitute(v, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Scim {
    /// Runs a bulk request; the answer is the BulkResponse body.
    pub async fn bulk(&self, caller: &Caller, body: &Value) -> Result<Value, ScimError> {
        let (ops, fail_on_errors) = operations(body, self.inner.config.max_operations)?;
        let declared: std::collections::HashSet<String> =
            ops.iter().filter_map(|o| o.bulk_id.clone()).collect();
        let mut ids: HashMap<String, String> = HashMap::new();
        let mut results: Vec<Option<Value>> = vec![None; ops.len()];
        let mut errors = 0usize;
        // bulkIds whose operation failed: what refers to them fails too.
        let mut failed: std::collections::HashSet<String> = std::collections::HashSet::new();
        // Operations run in order; one that refers to a bulkId not created yet
        // waits for it (section 3.7.2). What cannot be resolved after a full
        // pass without progress is circular: 409.
        let mut pending: Vec<usize> = (0..ops.len()).collect();
        'passes: loop {
            let mut progressed = false;
            let mut still = Vec::new();
            for i in pending {
                let Some(op) = ops.get(i) else { continue };
                let mut refs = Vec::new();
                references(&Value::String(op.path.clone()), &mut refs);
                if let Some(d) = &op.data {
                    references(d, &mut refs);
                }
                let unusable = refs
                    .iter()
                    .find(|r| !declared.contains(*r) || failed.contains(*r));
                if let Some(unknown) = unusable {
                    let e = ScimError::bad(
                        ScimType::InvalidValue,
                        format!(
                            "bulkId `{unknown}` names no operation of the request that succeeded"
                        ),
                    );
                    if let Some(b) = &op.bulk_id {
                        failed.insert(b.clone());
                    }
                    if let Some(slot) = results.get_mut(i) {
                        *slot = Some(self.error_result(op, &e));
                    }
                    errors += 1;
                    progressed = true;
                } else if refs.iter().all(|r| ids.contains_key(r)) {
                    let result = self.run_one(caller, op, &ids).await;
                    match result {
                        Ok((value, created)) => {
                            if let (Some(b), Some(id)) = (&op.bulk_id, created) {
                                ids.insert(b.clone(), id);
                            }
                            if let Some(slot) = results.get_mut(i) {
                                *slot = Some(value);
                            }
                        }
                        Err(e) => {
                            if let Some(slot) = results.get_mut(i) {
                                *slot = Some(self.error_result(op, &e));
                            }
                            if let Some(b) = &op.bulk_id {
                                failed.insert(b.clone());
                            }
                            errors += 1;
                        }
                    }
                    progressed = true;
                } else {
                    still.push(i);
                }
                if fail_on_errors.is_some_and(|max| errors >= max) {
                    break 'passes;
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if !progressed {
                for i in pending {
                    if let (Some(op), Some(slot)) = (ops.get(i), results.get_mut(i)) {
                        let e = ScimError::status_only(409, "circular bulkId references");
                        *slot = Some(self.error_result(op, &e));
                    }
                }
                break;
            }
        }
        Ok(json!({
            "schemas": [BULK_RESPONSE],
            "Operations": results.into_iter().flatten().collect::<Vec<_>>(),
        }))
    }

    fn error_result(&self, op: &Operation, e: &ScimError) -> Value {
        let mut r = Map::new();
        r.insert("method".into(), op.method.clone().into());
        if let Some(b) = &op.bulk_id {
            r.insert("bulkId".into(), b.clone().into());
        }
        r.insert("status".into(), e.status().to_string().into());
        r.insert("response".into(), e.to_json());
        Value::Object(r)
    }

    /// One operation; returns its result and the id it created.
    async fn run_one(
        &self,
        caller: &Caller,
        op: &Operation,
        ids: &HashMap<String, String>,
    ) -> Result<(Value, Option<String>), ScimError> {
        let path = match substitute(&Value::String(op.path.clone()), ids) {
            Value::String(s) => s,
            _ => op.path.clone(),
        };
        let data = op.data.as_ref().map(|d| substitute(d, ids));
        let mut segments = path.trim_start_matches('/').splitn(2, '/');
        let endpoint = segments.next().unwrap_or_default().to_owned();
        let id = segments.next().map(str::to_owned);
        let condition = op.version.as_deref().map(etag::parse).transpose()?;
        let need_data = || {
            data.clone()
                .ok_or_else(|| bad("the operation needs `data`"))
        };
        let need_id = || {
            id.clone()
                .ok_or_else(|| bad("the path must name a resource: /Type/id"))
        };
        let (status, answer) = match op.method.as_str() {
            "POST" => {
                if id.is_some() {
                    return Err(bad("a POST path names a resource type endpoint"));
                }
                (
                    "201",
                    Some(
                        self.create(caller, &endpoint, &need_data()?, &Projection::Default)
                            .await?,
                    ),
                )
            }
            "PUT" => (
                "200",
                Some(
                    self.replace(
                        caller,
                        &endpoint,
                        &need_id()?,
                        &need_data()?,
                        condition.as_ref(),
                        &Projection::Default,
                    )
                    .await?,
                ),
            ),
            "PATCH" => (
                "200",
                Some(
                    self.patch(
                        caller,
                        &endpoint,
                        &need_id()?,
                        &need_data()?,
                        condition.as_ref(),
                        &Projection::Default,
                    )
                    .await?,
                ),
            ),
            _ => {
                self.delete(caller, &endpoint, &need_id()?, condition.as_ref())
                    .await?;
                ("204", None)
            }
        };
        let mut r = Map::new();
        r.insert("method".into(), op.method.clone().into());
        if let Some(b) = &op.bulk_id {
            r.insert("bulkId".into(), b.clone().into());
        }
        let mut created = None;
        if let Some(a) = &answer {
            r.insert("location".into(), a.location.clone().into());
            r.insert("version".into(), etag::of(a.version).into());
            if op.method == "POST" {
                created = a.body.get("id").and_then(Value::as_str).map(str::to_owned);
            }
        } else {
            r.insert(
                "location".into(),
                format!("{}{}", self.inner.base, path).into(),
            );
        }
        r.insert("status".into(), status.into());
        Ok((Value::Object(r), created))
    }
}
