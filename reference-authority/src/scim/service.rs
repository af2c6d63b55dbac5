//! The SCIM operations, transport-free: create, read, replace, patch,
//! delete and query (RFC 7644 section 3), each write validated against the
//! schemas, conditional on the ETag when asked, and reported as a SCIM event
//! and an audit event.

use super::etag::Condition;
use super::events::{EventKind, ScimEvent, changed_attributes};
use super::query::Query;
use super::render::{self, Projection};
use super::schema::{ResourceType, Uniqueness};
use super::store::{ResourceStore, Stored};
use super::{Caller, Scim, ScimError, ScimType, patch, validate};
use agent_auth::audit::{AuditAction, Outcome};
use serde_json::{Map, Value};
use std::sync::Arc;

/// A resource as answered: its representation and version.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The (projected) representation.
    pub body: Value,
    /// The version, for the `ETag` header.
    pub version: u64,
    /// The location, for the `Location` header.
    pub location: String,
}

impl Scim {
    /// The resource type and store served at `endpoint` (such as `Users`).
    pub(crate) fn served(
        &self,
        endpoint: &str,
    ) -> Option<(&ResourceType, &Arc<dyn ResourceStore>)> {
        self.inner
            .types
            .iter()
            .find(|(rt, _)| {
                rt.endpoint
                    .trim_start_matches('/')
                    .eq_ignore_ascii_case(endpoint)
            })
            .map(|(rt, s)| (rt, s))
    }

    fn served_or_404(
        &self,
        endpoint: &str,
    ) -> Result<(&ResourceType, &Arc<dyn ResourceStore>), ScimError> {
        self.served(endpoint).ok_or_else(|| {
            ScimError::not_found(format!("no resource type is served at /{endpoint}"))
        })
    }

    fn answer(&self, rt: &ResourceType, stored: &Stored, projection: &Projection) -> Answer {
        let full = render::full(rt, &self.inner.base, stored);
        Answer {
            body: projection.apply(rt, &full),
            version: stored.version,
            location: render::location(&self.inner.base, rt, &stored.id),
        }
    }

    /// RFC 7643 section 7 `uniqueness: server`: refuse a value another
    /// resource of the type already has (409 `uniqueness`).
    fn check_unique(
        &self,
        rt: &ResourceType,
        store: &dyn ResourceStore,
        attrs: &Map<String, Value>,
        own_id: Option<&str>,
    ) -> Result<(), ScimError> {
        let unique: Vec<_> = rt
            .schema
            .attributes
            .iter()
            .filter(|a| a.uniqueness != Uniqueness::None)
            .collect();
        if unique.is_empty() {
            return Ok(());
        }
        let same = |a: &Value, b: &Value, exact: bool| match (a, b) {
            (Value::String(x), Value::String(y)) if !exact => x.to_lowercase() == y.to_lowercase(),
            _ => a == b,
        };
        for other in store.list()? {
            if Some(other.id.as_str()) == own_id {
                continue;
            }
            for attr in &unique {
                if let (Some(a), Some(b)) = (attrs.get(attr.name), other.attributes.get(attr.name))
                    && same(a, b, attr.case_exact)
                {
                    return Err(ScimError::bad(
                        ScimType::Uniqueness,
                        format!("another {} has this `{}`", rt.name, attr.name),
                    ));
                }
            }
        }
        Ok(())
    }

    /// POST to a resource type endpoint (RFC 7644 section 3.3).
    pub async fn create(
        &self,
        caller: &Caller,
        endpoint: &str,
        body: &Value,
        projection: &Projection,
    ) -> Result<Answer, ScimError> {
        self.audited(
            caller,
            endpoint,
            "create",
            self.create_inner(caller, endpoint, body, projection),
        )
        .await
    }

    async fn create_inner(
        &self,
        caller: &Caller,
        endpoint: &str,
        body: &Value,
        projection: &Projection,
    ) -> Result<Answer, ScimError> {
        let (rt, store) = self.served_or_404(endpoint)?;
        let attrs = validate::resource(rt, body, None)?;
        self.check_unique(rt, store.as_ref(), &attrs, None)?;
        let stored = store.create(caller, attrs).await?;
        let mut kinds = vec![EventKind::Create];
        if stored.attributes.get("active") == Some(&Value::Bool(false)) {
            kinds.push(EventKind::Deactivate);
        }
        self.publish(caller, rt, &stored, &Map::new(), &kinds);
        Ok(self.answer(rt, &stored, projection))
    }

    /// GET of one resource (RFC 7644 section 3.4.1).
    pub fn get(
        &self,
        endpoint: &str,
        id: &str,
        projection: &Projection,
    ) -> Result<Answer, ScimError> {
        let (rt, store) = self.served_or_404(endpoint)?;
        let stored = store
            .get(id)?
            .ok_or_else(|| ScimError::not_found(format!("no {} has this id", rt.name)))?;
        Ok(self.answer(rt, &stored, projection))
    }

    fn current(
        &self,
        rt: &ResourceType,
        store: &dyn ResourceStore,
        id: &str,
        if_match: Option<&Condition>,
    ) -> Result<(Stored, Option<u64>), ScimError> {
        let stored = store
            .get(id)?
            .ok_or_else(|| ScimError::not_found(format!("no {} has this id", rt.name)))?;
        // RFC 7644 section 3.14: If-Match that does not match is 412. The
        // write is conditional on the version read, so a concurrent change
        // between read and write fails the same way.
        let expected = match if_match {
            Some(c) => c.required_version(stored.version)?,
            None => Some(stored.version),
        };
        Ok((stored, expected))
    }

    /// PUT (RFC 7644 section 3.5.1).
    pub async fn replace(
        &self,
        caller: &Caller,
        endpoint: &str,
        id: &str,
        body: &Value,
        if_match: Option<&Condition>,
        projection: &Projection,
    ) -> Result<Answer, ScimError> {
        self.audited(caller, endpoint, "replace", async {
            let (rt, store) = self.served_or_404(endpoint)?;
            let (before, expected) = self.current(rt, store.as_ref(), id, if_match)?;
            let attrs = validate::resource(rt, body, Some(&before.attributes))?;
            self.write(
                caller,
                rt,
                store.as_ref(),
                before,
                attrs,
                expected,
                EventKind::Put,
                projection,
            )
            .await
        })
        .await
    }

    /// PATCH (RFC 7644 section 3.5.2): all operations apply, or none.
    pub async fn patch(
        &self,
        caller: &Caller,
        endpoint: &str,
        id: &str,
        body: &Value,
        if_match: Option<&Condition>,
        projection: &Projection,
    ) -> Result<Answer, ScimError> {
        self.audited(caller, endpoint, "patch", async {
            let (rt, store) = self.served_or_404(endpoint)?;
            let (before, expected) = self.current(rt, store.as_ref(), id, if_match)?;
            let patched = patch::apply(rt, &before.attributes, body)?;
            let mut full = patched;
            full.insert(
                "schemas".into(),
                Value::Array(rt.schema_ids().map(Value::from).collect()),
            );
            let attrs = validate::resource(rt, &Value::Object(full), Some(&before.attributes))?;
            self.write(
                caller,
                rt,
                store.as_ref(),
                before,
                attrs,
                expected,
                EventKind::Patch,
                projection,
            )
            .await
        })
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn write(
        &self,
        caller: &Caller,
        rt: &ResourceType,
        store: &dyn ResourceStore,
        before: Stored,
        attrs: Map<String, Value>,
        expected: Option<u64>,
        kind: EventKind,
        projection: &Projection,
    ) -> Result<Answer, ScimError> {
        if attrs == validate::writable(rt, &before.attributes) {
            return Ok(self.answer(rt, &before, projection));
        }
        self.check_unique(rt, store, &attrs, Some(&before.id))?;
        let stored = store.replace(caller, &before.id, attrs, expected).await?;
        let mut kinds = vec![kind];
        let was = before
            .attributes
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let is = stored
            .attributes
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        match (was, is) {
            (true, false) => kinds.push(EventKind::Deactivate),
            (false, true) => kinds.push(EventKind::Activate),
            _ => {}
        }
        self.publish(caller, rt, &stored, &before.attributes, &kinds);
        Ok(self.answer(rt, &stored, projection))
    }

    /// DELETE (RFC 7644 section 3.6).
    pub async fn delete(
        &self,
        caller: &Caller,
        endpoint: &str,
        id: &str,
        if_match: Option<&Condition>,
    ) -> Result<(), ScimError> {
        self.audited(caller, endpoint, "delete", async {
            let (rt, store) = self.served_or_404(endpoint)?;
            let (before, expected) = self.current(rt, store.as_ref(), id, if_match)?;
            store.delete(caller, id, expected).await?;
            self.publish(
                caller,
                rt,
                &before,
                &before.attributes,
                &[EventKind::Delete],
            );
            Ok(())
        })
        .await
    }

    /// GET on a resource type endpoint, or `POST .search` there (`Some`) or at
    /// the root (`None`: every type; RFC 7644 section 3.4.3).
    pub fn query(&self, endpoint: Option<&str>, query: &Query) -> Result<Value, ScimError> {
        let types: Vec<(&ResourceType, &Arc<dyn ResourceStore>)> = match endpoint {
            Some(e) => vec![self.served_or_404(e)?],
            None => self.inner.types.iter().map(|(rt, s)| (rt, s)).collect(),
        };
        let mut all = Vec::new();
        for (rt, store) in types {
            for stored in super::plan::candidates(store.as_ref(), rt, query.filter.as_ref())? {
                all.push((rt, render::full(rt, &self.inner.base, &stored)));
            }
        }
        query.run(all, self.inner.config.max_results)
    }

    /// Runs a write, auditing its refusal (a success is audited with its event).
    async fn audited<T>(
        &self,
        caller: &Caller,
        endpoint: &str,
        verb: &str,
        f: impl std::future::Future<Output = Result<T, ScimError>>,
    ) -> Result<T, ScimError> {
        f.await.inspect_err(|e| {
            let rt = self.served(endpoint).map(|(rt, _)| rt);
            let act = rt.map_or(AuditAction::Other("provisioning".into()), action);
            self.inner.authority.audit(act, Outcome::Denied, |ev| {
                ev.agent(caller.client_id.clone())
                    .reason(e.scim_type().map_or("refused", |t| t.as_str()))
                    .detail(
                        "resource_type",
                        rt.map_or(endpoint.to_owned(), |r| r.name.to_owned()),
                    )
                    .detail("operation", verb.to_owned())
                    .detail("status", e.status())
            });
        })
    }

    fn publish(
        &self,
        caller: &Caller,
        rt: &ResourceType,
        stored: &Stored,
        before: &Map<String, Value>,
        kinds: &[EventKind],
    ) {
        let txn = super::new_id().unwrap_or_default();
        let path = format!("{}/{}", rt.endpoint, stored.id);
        let external_id = stored
            .attributes
            .get("externalId")
            .or_else(|| before.get("externalId"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let attributes = changed_attributes(before, &stored.attributes);
        for kind in kinds {
            let event = ScimEvent {
                kind: *kind,
                resource_type: rt.name,
                path: path.clone(),
                id: stored.id.clone(),
                external_id: external_id.clone(),
                attributes: if kind.is_notice() {
                    attributes.clone()
                } else {
                    Vec::new()
                },
                actor: caller.client_id.clone(),
                time: self.inner.authority.now(),
                txn: txn.clone(),
            };
            self.inner
                .authority
                .audit(action(rt), Outcome::Success, |ev| {
                    let ev = ev
                        .agent(caller.client_id.clone())
                        .detail("resource_type", rt.name)
                        .detail("id", stored.id.clone())
                        .detail("event", kind.uri());
                    if rt.name == "User" {
                        ev.user(stored.id.clone())
                    } else {
                        ev
                    }
                });
            let authority = &self.inner.authority;
            authority.emit(event.authority_event(authority.issuer()));
            let _ = self.inner.events.send(event);
        }
    }
}

fn action(rt: &ResourceType) -> AuditAction {
    if rt.name == "Agent" {
        AuditAction::AgentLifecycle
    } else {
        AuditAction::Other("provisioning".into())
    }
}
