//! Strict readers of AuthZEN request bodies (untrusted bytes): every
//! required member is checked for presence, JSON type and emptiness, and
//! unknown members are ignored (AuthZEN 1.0 section 10: forward compatibility).
//!
//! ```
//! use agent_auth::authzen::{parse, RequestError};
//! let missing = parse::evaluation(br#"{"subject":{"type":"user"},"action":{"name":"read"},
//!     "resource":{"type":"record","id":"record-1"}}"#);
//! assert_eq!(missing, Err(RequestError::Missing("subject.id".into())));
//! ```

use super::entity::{Action, Properties, Resource, Subject};
use super::error::RequestError;
use super::evaluation::{EvaluationItem, EvaluationRequest, EvaluationsRequest, Semantic};
use super::search::{ActionSearch, PageRequest, ResourceSearch, SubjectSearch};
use serde_json::{Map, Value};

/// A body of the Access Evaluations API, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evaluations {
    /// No (or an empty) `evaluations` array: one question from the top-level
    /// members (AuthZEN 1.0 section 7.1, backwards compatibility).
    Single(Box<EvaluationRequest>),
    /// The entries, each resolved against the defaults or refused on its own.
    Batch {
        /// `options.evaluations_semantic`.
        semantic: Semantic,
        /// One question per entry, in request order.
        items: Vec<Result<EvaluationRequest, RequestError>>,
    },
}

/// Reads an Access Evaluation request (AuthZEN 1.0 section 6.1).
pub fn evaluation(body: &[u8]) -> Result<EvaluationRequest, RequestError> {
    let root = object(body)?;
    Ok(EvaluationRequest {
        subject: subject(required(&root, "subject", "")?, "subject")?,
        action: action(required(&root, "action", "")?, "action")?,
        resource: resource(required(&root, "resource", "")?, "resource")?,
        context: optional_object(&root, "context", "")?.unwrap_or_default(),
    })
}

/// Reads an Access Evaluations request (AuthZEN 1.0 section 7.1). A malformed
/// top level refuses the whole request; a malformed entry is refused alone,
/// so that `execute_all` can answer it with a deny (certification scenario C.3.4.1).
pub fn evaluations(body: &[u8]) -> Result<Evaluations, RequestError> {
    let root = object(body)?;
    let defaults = EvaluationsRequest {
        subject: optional(&root, "subject")
            .map(|v| subject(v, "subject"))
            .transpose()?,
        action: optional(&root, "action")
            .map(|v| action(v, "action"))
            .transpose()?,
        resource: optional(&root, "resource")
            .map(|v| resource(v, "resource"))
            .transpose()?,
        context: optional_object(&root, "context", "")?,
        evaluations: Vec::new(),
        semantic: semantic(&root)?,
    };
    let entries = match optional(&root, "evaluations") {
        None => Vec::new(),
        Some(Value::Array(entries)) => entries.iter().collect(),
        Some(_) => return Err(type_error("evaluations", "an array")),
    };
    if entries.is_empty() {
        return Ok(Evaluations::Single(Box::new(defaults.single()?)));
    }
    let items = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| item(entry, i).and_then(|it| defaults.resolve(&it, i)))
        .collect();
    Ok(Evaluations::Batch {
        semantic: defaults.semantic,
        items,
    })
}

/// Reads a Subject Search request (AuthZEN 1.0 section 8.4): `subject.type`
/// is required, `subject.id` is ignored; `action` and `resource` are inputs.
pub fn subject_search(body: &[u8]) -> Result<SubjectSearch, RequestError> {
    let root = object(body)?;
    let searched = as_object(required(&root, "subject", "")?, "subject")?;
    Ok(SubjectSearch {
        subject_type: string(searched, "type", "subject")?,
        action: action(required(&root, "action", "")?, "action")?,
        resource: resource(required(&root, "resource", "")?, "resource")?,
        context: optional_object(&root, "context", "")?.unwrap_or_default(),
        page: page(&root)?,
    })
}

/// Reads a Resource Search request (AuthZEN 1.0 section 8.5): `resource.type`
/// is required, `resource.id` is ignored; `subject` and `action` are inputs.
pub fn resource_search(body: &[u8]) -> Result<ResourceSearch, RequestError> {
    let root = object(body)?;
    let subject = subject(required(&root, "subject", "")?, "subject")?;
    let action = action(required(&root, "action", "")?, "action")?;
    let searched = as_object(required(&root, "resource", "")?, "resource")?;
    Ok(ResourceSearch {
        subject,
        action,
        resource_type: string(searched, "type", "resource")?,
        context: optional_object(&root, "context", "")?.unwrap_or_default(),
        page: page(&root)?,
    })
}

/// Reads an Action Search request (AuthZEN 1.0 section 8.6): `subject` and
/// `resource` are inputs; an `action` member is ignored.
pub fn action_search(body: &[u8]) -> Result<ActionSearch, RequestError> {
    let root = object(body)?;
    Ok(ActionSearch {
        subject: subject(required(&root, "subject", "")?, "subject")?,
        resource: resource(required(&root, "resource", "")?, "resource")?,
        context: optional_object(&root, "context", "")?.unwrap_or_default(),
        page: page(&root)?,
    })
}

fn object(body: &[u8]) -> Result<Map<String, Value>, RequestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(RequestError::Empty);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(type_error("(body)", "a JSON object")),
        Err(e) => Err(RequestError::Json {
            line: e.line(),
            column: e.column(),
        }),
    }
}

fn item(entry: &Value, index: usize) -> Result<EvaluationItem, RequestError> {
    let path = format!("evaluations[{index}]");
    let map = as_object(entry, &path)?;
    let field = |name: &str| format!("{path}.{name}");
    Ok(EvaluationItem {
        subject: optional(map, "subject")
            .map(|v| subject(v, &field("subject")))
            .transpose()?,
        action: optional(map, "action")
            .map(|v| action(v, &field("action")))
            .transpose()?,
        resource: optional(map, "resource")
            .map(|v| resource(v, &field("resource")))
            .transpose()?,
        context: optional_object(map, "context", &format!("{path}."))?,
    })
}

fn subject(value: &Value, path: &str) -> Result<Subject, RequestError> {
    let map = as_object(value, path)?;
    Ok(Subject {
        kind: string(map, "type", path)?,
        id: string(map, "id", path)?,
        properties: properties(map, path)?,
    })
}

fn resource(value: &Value, path: &str) -> Result<Resource, RequestError> {
    let map = as_object(value, path)?;
    Ok(Resource {
        kind: string(map, "type", path)?,
        id: string(map, "id", path)?,
        properties: properties(map, path)?,
    })
}

fn action(value: &Value, path: &str) -> Result<Action, RequestError> {
    let map = as_object(value, path)?;
    Ok(Action {
        name: string(map, "name", path)?,
        properties: properties(map, path)?,
    })
}

fn semantic(root: &Map<String, Value>) -> Result<Semantic, RequestError> {
    let Some(options) = optional_object(root, "options", "")? else {
        return Ok(Semantic::default());
    };
    match optional(&options, "evaluations_semantic") {
        None => Ok(Semantic::default()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
            type_error(
                "options.evaluations_semantic",
                "execute_all, deny_on_first_deny or permit_on_first_permit",
            )
        }),
    }
}

fn page(root: &Map<String, Value>) -> Result<PageRequest, RequestError> {
    let Some(page) = optional_object(root, "page", "")? else {
        return Ok(PageRequest::default());
    };
    let token = match optional(&page, "token") {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(type_error("page.token", "a string")),
    };
    let limit = match optional(&page, "limit") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n >= 1)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| type_error("page.limit", "a positive integer"))?,
        ),
    };
    Ok(PageRequest { token, limit })
}

/// A member that is present and not `null`.
fn optional<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).filter(|v| !v.is_null())
}

fn required<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    prefix: &str,
) -> Result<&'a Value, RequestError> {
    optional(map, name).ok_or_else(|| RequestError::Missing(format!("{prefix}{name}")))
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, RequestError> {
    value
        .as_object()
        .ok_or_else(|| type_error(path, "an object"))
}

fn optional_object(
    map: &Map<String, Value>,
    name: &str,
    prefix: &str,
) -> Result<Option<Properties>, RequestError> {
    match optional(map, name) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o.clone())),
        Some(_) => Err(type_error(&format!("{prefix}{name}"), "an object")),
    }
}

fn properties(map: &Map<String, Value>, path: &str) -> Result<Properties, RequestError> {
    Ok(optional_object(map, "properties", &format!("{path}."))?.unwrap_or_default())
}

fn string(map: &Map<String, Value>, name: &str, path: &str) -> Result<String, RequestError> {
    let field = || format!("{path}.{name}");
    match optional(map, name) {
        None => Err(RequestError::Missing(field())),
        Some(Value::String(s)) if s.is_empty() => Err(RequestError::EmptyValue(field())),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(type_error(&field(), "a string")),
    }
}

fn type_error(field: &str, expected: &'static str) -> RequestError {
    RequestError::Type {
        field: field.to_owned(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    const OK: &[u8] = br#"{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#;

    #[test]
    fn unknown_members_are_ignored() {
        let body = br#"{"subject":{"type":"user","id":"alice","x":1},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"},"foo":"bar","futureField":{"nested":true}}"#;
        assert_eq!(evaluation(body).unwrap(), evaluation(OK).unwrap());
    }

    #[test]
    fn empty_and_malformed_bodies_are_refused() {
        assert_eq!(evaluation(b""), Err(RequestError::Empty));
        assert_eq!(evaluation(b"  \n"), Err(RequestError::Empty));
        assert!(matches!(
            evaluation(b"{\"subject\":"),
            Err(RequestError::Json { .. })
        ));
        assert!(matches!(evaluation(b"[]"), Err(RequestError::Type { .. })));
    }

    #[test]
    fn every_required_member_is_checked() {
        let cases: &[(&[u8], RequestError)] = &[
            (br#"{"action":{"name":"read"},"resource":{"type":"r","id":"1"}}"#, RequestError::Missing("subject".into())),
            (br#"{"subject":{"type":"u","id":"a"},"resource":{"type":"r","id":"1"}}"#, RequestError::Missing("action".into())),
            (br#"{"subject":{"type":"u","id":"a"},"action":{"name":"read"}}"#, RequestError::Missing("resource".into())),
            (br#"{"subject":{"id":"a"},"action":{"name":"read"},"resource":{"type":"r","id":"1"}}"#, RequestError::Missing("subject.type".into())),
            (br#"{"subject":{"type":"u","id":"a"},"action":{},"resource":{"type":"r","id":"1"}}"#, RequestError::Missing("action.name".into())),
            (br#"{"subject":{"type":"u","id":"a"},"action":{"name":"read"},"resource":{"id":"1"}}"#, RequestError::Missing("resource.type".into())),
            (br#"{"subject":{"type":"u","id":"a"},"action":{"name":"read"},"resource":{"type":"r"}}"#, RequestError::Missing("resource.id".into())),
            (br#"{"subject":"alice","action":{"name":"read"},"resource":{"type":"r","id":"1"}}"#, RequestError::Type { field: "subject".into(), expected: "an object" }),
            (br#"{"subject":{"type":"u","id":"a"},"action":{"name":123},"resource":{"type":"r","id":"1"}}"#, RequestError::Type { field: "action.name".into(), expected: "a string" }),
            (br#"{"subject":{"type":"u","id":""},"action":{"name":"read"},"resource":{"type":"r","id":"1"}}"#, RequestError::EmptyValue("subject.id".into())),
            (br#"{"subject":{"type":"u","id":"a","properties":[]},"action":{"name":"read"},"resource":{"type":"r","id":"1"}}"#, RequestError::Type { field: "subject.properties".into(), expected: "an object" }),
            (br#"{"subject":{"type":"u","id":"a"},"action":{"name":"read"},"resource":{"type":"r","id":"1"},"context":"x"}"#, RequestError::Type { field: "context".into(), expected: "an object" }),
        ];
        for (body, expected) in cases {
            assert_eq!(
                &evaluation(body).unwrap_err(),
                expected,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_malformed_entry_is_refused_alone() {
        let body = br#"{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"evaluations":[{"resource":{"type":"record","id":"1"}},{},{"resource":5}]}"#;
        let Evaluations::Batch { items, semantic } = evaluations(body).unwrap() else {
            panic!("not a batch");
        };
        assert_eq!(semantic, Semantic::ExecuteAll);
        assert!(items[0].is_ok());
        assert_eq!(
            items[1],
            Err(RequestError::Missing("evaluations[1].resource".into()))
        );
        assert!(matches!(items[2], Err(RequestError::Type { .. })));
    }

    #[test]
    fn entries_replace_defaults_whole() {
        let body = br#"{"subject":{"type":"user","id":"alice"},"action":{"name":"write"},"resource":{"type":"record","id":"record-1","properties":{"status":"active"}},"context":{"a":1},
            "evaluations":[{},{"resource":{"type":"record","id":"record-2"},"context":{"b":2}}]}"#;
        let Evaluations::Batch { items, .. } = evaluations(body).unwrap() else {
            panic!("not a batch");
        };
        let first = items[0].as_ref().unwrap();
        let second = items[1].as_ref().unwrap();
        assert_eq!(first.resource.property("status"), Some(&"active".into()));
        assert!(
            second.resource.properties.is_empty(),
            "no sub-field merging"
        );
        assert_eq!(second.context.get("b"), Some(&2.into()));
        assert_eq!(second.context.get("a"), None);
    }

    #[test]
    fn without_entries_the_batch_is_one_question() {
        let mut with_empty = OK[..OK.len() - 1].to_vec();
        with_empty.extend_from_slice(br#","evaluations":[]}"#);
        assert!(matches!(evaluations(OK).unwrap(), Evaluations::Single(_)));
        assert!(matches!(
            evaluations(&with_empty).unwrap(),
            Evaluations::Single(_)
        ));
        assert_eq!(
            evaluations(br#"{"evaluations":[]}"#),
            Err(RequestError::Missing("subject".into()))
        );
    }

    #[test]
    fn unknown_semantic_and_bad_page_are_refused() {
        let body = br#"{"options":{"evaluations_semantic":"first_wins"},"evaluations":[{}]}"#;
        assert!(matches!(evaluations(body), Err(RequestError::Type { .. })));
        let body = br#"{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"r","id":"1"},"page":{"limit":0}}"#;
        assert!(matches!(
            subject_search(body),
            Err(RequestError::Type { .. })
        ));
    }

    #[test]
    fn search_inputs_need_ids_and_targets_do_not() {
        let body =
            br#"{"subject":{"type":"user"},"action":{"name":"read"},"resource":{"type":"record"}}"#;
        assert_eq!(
            subject_search(body).unwrap_err(),
            RequestError::Missing("resource.id".into())
        );
        assert_eq!(
            resource_search(body).unwrap_err(),
            RequestError::Missing("subject.id".into())
        );
        assert_eq!(
            action_search(body).unwrap_err(),
            RequestError::Missing("subject.id".into())
        );
        let ok = br#"{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}"#;
        assert_eq!(subject_search(ok).unwrap().subject_type, "user");
        assert_eq!(resource_search(ok).unwrap().resource_type, "record");
        assert_eq!(action_search(ok).unwrap().resource.id, "record-1");
        assert_eq!(
            action_search(br#"{"subject":{"type":"user","id":"alice"}}"#).unwrap_err(),
            RequestError::Missing("resource".into())
        );
    }

    mod roundtrip {
        use super::super::*;
        use crate::authzen::{Action, EvaluationRequest, Resource, Subject};
        use proptest::prelude::*;

        fn word() -> impl Strategy<Value = String> {
            "[a-z0-9:#@ ._-]{1,12}"
        }

        proptest! {
            /// What a PEP serializes, the PDP reads back unchanged.
            #[test]
            fn a_serialized_request_reads_back_unchanged(
                st in word(), si in word(), an in word(), rt in word(), ri in word(),
                key in "[a-z]{1,6}", value in any::<i64>(),
            ) {
                let request = EvaluationRequest::new(
                    Subject::new(st, si).with_property(key.clone(), value),
                    Action::new(an),
                    Resource::new(rt, ri),
                )
                .with_context(key, value);
                let bytes = serde_json::to_vec(&request).unwrap();
                prop_assert_eq!(evaluation(&bytes).unwrap(), request);
            }

            /// Arbitrary bytes give a typed error or a request, never a panic.
            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                let _ = evaluation(&bytes);
                let _ = evaluations(&bytes);
                let _ = subject_search(&bytes);
            }
        }
    }
}
