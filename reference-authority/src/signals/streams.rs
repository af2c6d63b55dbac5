//! Stream management (SSF 1.0 section 8.1.1 to 8.1.4) in process: create,
//! read, update, replace, delete, status, subjects, verification. Every
//! operation is scoped to the receiver (the client) that owns the stream.

use super::error::SsfError;
use super::event::{Event, EventKind};
use super::stream::{Delivery, ReceiverProps, StreamRecord, StreamStatus, receiver_props};
use super::subject::SubjectId;
use super::{Transmitter, outbox};
use crate::Table;
use crate::store::{get_json, put_json, update_json};
use serde_json::{Map, Value};

/// The streams table.
pub(crate) const STREAMS: Table = Table::Extension("ssf_streams");

impl Transmitter {
    fn load(&self, owner: &str, stream_id: &str) -> Result<StreamRecord, SsfError> {
        let rec: Option<StreamRecord> =
            get_json(self.authority.store().as_ref(), STREAMS, stream_id)?;
        // Another receiver's stream is answered as unknown (SSF 1.0 section
        // 8.1: only authorized receivers see their streams).
        let mut rec = rec.filter(|r| r.owner == owner).ok_or(SsfError::NotFound)?;
        rec.last_activity = Some(self.touch(stream_id)?);
        Ok(rec)
    }

    fn save(&self, rec: &StreamRecord) -> Result<(), SsfError> {
        put_json(
            self.authority.store().as_ref(),
            STREAMS,
            &rec.stream_id,
            rec,
        )?;
        Ok(())
    }

    /// Every stream (of every receiver).
    pub(crate) fn all_streams(&self) -> Result<Vec<StreamRecord>, SsfError> {
        let mut out = Vec::new();
        for (_, bytes) in self.authority.store().scan(STREAMS)? {
            let r: StreamRecord =
                serde_json::from_slice(&bytes).map_err(|_| SsfError::Unavailable)?;
            out.push(r);
        }
        out.sort_by(|a, b| a.stream_id.cmp(&b.stream_id));
        Ok(out)
    }

    /// Owner, push or not, and status of every stream, by id.
    pub(crate) fn streams_summary(
        &self,
    ) -> Result<std::collections::BTreeMap<String, (String, bool, StreamStatus)>, SsfError> {
        Ok(self
            .all_streams()?
            .into_iter()
            .map(|r| {
                let push = matches!(r.delivery, Delivery::Push { .. });
                (r.stream_id, (r.owner, push, r.status))
            })
            .collect())
    }

    /// The stream's configuration as JSON.
    pub(crate) fn show(&self, rec: &StreamRecord) -> Value {
        let mut shown = rec.to_json(self.authority.issuer(), &self.poll_url(&rec.stream_id));
        if let (Some(timeout), Some(m)) = (self.config.inactivity_timeout, shown.as_object_mut()) {
            m.insert("inactivity_timeout".into(), timeout.into());
        }
        shown
    }

    /// Creates a stream for `owner` (SSF 1.0 section 8.1.1.1). Without
    /// `delivery`, poll is assumed. Each call makes a new stream: several
    /// streams per receiver are allowed.
    pub fn create_stream(&self, owner: &str, body: &Map<String, Value>) -> Result<Value, SsfError> {
        let props = receiver_props(body, None)?;
        let stream_id = crate::provider::crypto::random_value().ok_or(SsfError::Unavailable)?;
        let rec = StreamRecord {
            stream_id,
            owner: owner.to_owned(),
            aud: vec![owner.to_owned()],
            events_requested: props.events_requested,
            delivery: props.delivery.unwrap_or(Delivery::Poll),
            description: props.description,
            status: StreamStatus::Enabled,
            reason: None,
            all_subjects: self.config.default_subjects_all,
            added: Vec::new(),
            removed: Vec::new(),
            last_verification: None,
            last_activity: Some(self.authority.now()),
        };
        self.save(&rec)?;
        self.audit_stream(owner, &rec.stream_id, "stream_created");
        Ok(self.show(&rec))
    }

    /// The configuration of one stream, or of all the receiver's streams
    /// (SSF 1.0 section 8.1.1.2: an empty list when there are none).
    pub fn read_streams(&self, owner: &str, stream_id: Option<&str>) -> Result<Value, SsfError> {
        match stream_id {
            Some(id) => Ok(self.show(&self.load(owner, id)?)),
            None => Ok(Value::Array(
                self.all_streams()?
                    .iter()
                    .filter(|r| r.owner == owner)
                    .map(|r| self.show(r))
                    .collect(),
            )),
        }
    }

    /// PATCH (SSF 1.0 section 8.1.1.3): the Receiver-Supplied properties present
    /// change, the others stay.
    pub fn update_stream(&self, owner: &str, body: &Map<String, Value>) -> Result<Value, SsfError> {
        self.change(owner, body, |rec, props| {
            if let Some(e) = props.events_requested {
                rec.events_requested = Some(e);
            }
            if let Some(d) = props.delivery {
                rec.delivery = d;
            }
            if let Some(d) = props.description {
                rec.description = Some(d);
            }
        })
    }

    /// PUT (SSF 1.0 section 8.1.1.4): missing Receiver-Supplied properties are
    /// deleted; a missing `delivery` means poll.
    pub fn replace_stream(
        &self,
        owner: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, SsfError> {
        self.change(owner, body, |rec, props| {
            rec.events_requested = props.events_requested;
            rec.delivery = props.delivery.unwrap_or(Delivery::Poll);
            rec.description = props.description;
        })
    }

    fn change(
        &self,
        owner: &str,
        body: &Map<String, Value>,
        apply: impl Fn(&mut StreamRecord, ReceiverProps),
    ) -> Result<Value, SsfError> {
        let id = body
            .get("stream_id")
            .and_then(Value::as_str)
            .ok_or(SsfError::BadRequest("`stream_id` is required"))?;
        let mut rec = self.load(owner, id)?;
        let shown = self.show(&rec);
        let props = receiver_props(body, Some((&rec, &shown)))?;
        apply(&mut rec, props);
        self.save(&rec)?;
        self.audit_stream(owner, id, "stream_updated");
        Ok(self.show(&rec))
    }

    /// DELETE (SSF 1.0 section 8.1.1.5): the stream and what it still owed.
    pub fn delete_stream(&self, owner: &str, stream_id: &str) -> Result<(), SsfError> {
        self.load(owner, stream_id)?;
        self.authority.store().delete(STREAMS, stream_id)?;
        outbox::drop_stream(&self.authority, stream_id)?;
        self.audit_stream(owner, stream_id, "stream_deleted");
        Ok(())
    }

    /// The status of a stream (SSF 1.0 section 8.1.2.1).
    pub fn stream_status(&self, owner: &str, stream_id: &str) -> Result<Value, SsfError> {
        let rec = self.load(owner, stream_id)?;
        Ok(status_json(&rec))
    }

    /// The receiver sets the status (SSF 1.0 section 8.1.2.2): paused holds
    /// events, disabled drops them, enabled sends what was held.
    pub fn set_stream_status(
        &self,
        owner: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, SsfError> {
        let id = body
            .get("stream_id")
            .and_then(Value::as_str)
            .ok_or(SsfError::BadRequest("`stream_id` is required"))?;
        let status = body
            .get("status")
            .and_then(Value::as_str)
            .and_then(StreamStatus::parse)
            .ok_or(SsfError::BadRequest(
                "`status` is not enabled, paused or disabled",
            ))?;
        let reason = match body.get("reason") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.chars().take(256).collect::<String>()),
            Some(_) => return Err(SsfError::BadRequest("`reason` is not a string")),
        };
        self.load(owner, id)?;
        let rec = self.apply_status(id, status, reason)?;
        self.audit_stream(owner, id, "stream_status_changed");
        Ok(status_json(&rec))
    }

    /// The transmitter changes a stream's status on its own: a stream-updated
    /// event goes out first when it stops, last when it starts again (SSF 1.0
    /// section 8.1.5).
    pub fn change_status(
        &self,
        stream_id: &str,
        status: StreamStatus,
        reason: Option<&str>,
    ) -> Result<(), SsfError> {
        let event = Event::new(
            EventKind::StreamUpdated {
                status: status.as_str().into(),
                reason: reason.map(str::to_owned),
            },
            self.authority.now(),
        );
        let subject = SubjectId::Opaque(stream_id.to_owned());
        if status != StreamStatus::Enabled {
            self.enqueue_control(stream_id, &subject, &event)?;
        }
        self.apply_status(stream_id, status, reason.map(str::to_owned))?;
        if status == StreamStatus::Enabled {
            self.enqueue_control(stream_id, &subject, &event)?;
        }
        Ok(())
    }

    fn apply_status(
        &self,
        stream_id: &str,
        status: StreamStatus,
        reason: Option<String>,
    ) -> Result<StreamRecord, SsfError> {
        let rec = update_json::<StreamRecord, Option<StreamRecord>>(
            self.authority.store().as_ref(),
            STREAMS,
            stream_id,
            |cur| match cur {
                Some(mut r) => {
                    r.status = status;
                    r.reason.clone_from(&reason);
                    (Some(r.clone()), Some(r))
                }
                None => (None, None),
            },
        )?
        .ok_or(SsfError::NotFound)?;
        match status {
            StreamStatus::Enabled => outbox::release(&self.authority, stream_id)?,
            StreamStatus::Disabled => {
                outbox::drop_stream(&self.authority, stream_id)?;
            }
            StreamStatus::Paused => {}
        }
        self.wake();
        Ok(rec)
    }

    /// Adds a subject (SSF 1.0 section 8.1.3.2).
    pub fn add_subject(&self, owner: &str, body: &Map<String, Value>) -> Result<(), SsfError> {
        self.subject_change(owner, body, true)
    }

    /// Removes a subject (SSF 1.0 section 8.1.3.3).
    pub fn remove_subject(&self, owner: &str, body: &Map<String, Value>) -> Result<(), SsfError> {
        self.subject_change(owner, body, false)
    }

    fn subject_change(
        &self,
        owner: &str,
        body: &Map<String, Value>,
        add: bool,
    ) -> Result<(), SsfError> {
        let id = body
            .get("stream_id")
            .and_then(Value::as_str)
            .ok_or(SsfError::BadRequest("`stream_id` is required"))?;
        let raw = body
            .get("subject")
            .ok_or(SsfError::BadRequest("`subject` is required"))?;
        let subject =
            SubjectId::from_json(raw).map_err(|_| SsfError::BadRequest("invalid `subject`"))?;
        if add && !matches!(body.get("verified"), None | Some(Value::Bool(_))) {
            return Err(SsfError::BadRequest("`verified` is not a boolean"));
        }
        let mut rec = self.load(owner, id)?;
        let json = subject.to_json();
        let same = |v: &Value| SubjectId::from_json(v).is_ok_and(|s| s == subject);
        if add {
            rec.removed.retain(|v| !same(v));
            if !rec.added.iter().any(same) {
                rec.added.push(json);
            }
        } else {
            rec.added.retain(|v| !same(v));
            if !rec.removed.iter().any(same) {
                rec.removed.push(json);
            }
        }
        self.save(&rec)?;
        self.audit_stream(
            owner,
            id,
            if add {
                "subject_added"
            } else {
                "subject_removed"
            },
        );
        Ok(())
    }

    /// Sends a verification event on the stream (SSF 1.0 section 8.1.4.2),
    /// at most once per `min_verification_interval`.
    pub fn request_verification(
        &self,
        owner: &str,
        body: &Map<String, Value>,
    ) -> Result<(), SsfError> {
        let id = body
            .get("stream_id")
            .and_then(Value::as_str)
            .ok_or(SsfError::BadRequest("`stream_id` is required"))?;
        let state = match body.get("state") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.len() <= 1024 => Some(s.clone()),
            Some(_) => return Err(SsfError::BadRequest("`state` is not a short string")),
        };
        self.load(owner, id)?;
        let now = self.authority.now();
        let interval = self.config.min_verification_interval;
        let allowed = update_json::<StreamRecord, Result<(), SsfError>>(
            self.authority.store().as_ref(),
            STREAMS,
            id,
            |cur| match cur {
                Some(mut r) => {
                    if r.last_verification.is_some_and(|t| now - t < interval) {
                        return (None, Err(SsfError::TooManyRequests));
                    }
                    r.last_verification = Some(now);
                    (Some(r), Ok(()))
                }
                None => (None, Err(SsfError::NotFound)),
            },
        )?;
        allowed?;
        let event = Event::new(EventKind::Verification { state }, now);
        // SSF 1.0 section 8.1.4.1: `sub_id` is the stream, as `opaque`.
        self.enqueue_control(id, &SubjectId::Opaque(id.to_owned()), &event)?;
        self.wake();
        Ok(())
    }

    fn audit_stream(&self, owner: &str, stream_id: &str, what: &'static str) {
        self.authority.audit(
            agent_auth::audit::AuditAction::Other("ssf_stream".into()),
            agent_auth::audit::Outcome::Success,
            |e| {
                e.agent(owner.to_owned())
                    .detail("stream_id", stream_id.to_owned())
                    .detail("operation", what)
            },
        );
    }
}

fn status_json(rec: &StreamRecord) -> Value {
    let mut m = Map::new();
    m.insert("stream_id".into(), rec.stream_id.clone().into());
    m.insert("status".into(), rec.status.as_str().into());
    if let Some(r) = &rec.reason {
        m.insert("reason".into(), r.clone().into());
    }
    Value::Object(m)
}
