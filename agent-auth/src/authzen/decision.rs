//! The answer to one question (AuthZEN 1.0 section 6.2), with its reason
//! kept as text until the answer is serialized.

use super::entity::Properties;
use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The context member that carries the reason for administrators (the
/// specification's example names it `reason_admin`, keyed by language).
const REASON: &str = "reason_admin";
/// The language the reason is written in.
const LANGUAGE: &str = "en";

/// The answer to one question (AuthZEN 1.0 section 6.2): `decision`, and an
/// optional `context`. The reason is held apart and written into the wire
/// context as `{"reason_admin": {"en": reason}}` only when serialized, so a
/// decision made in process builds no JSON.
///
/// ```
/// use agent_auth::authzen::Decision;
/// let d = Decision::deny().with_reason("fga: no relation");
/// assert!(!d.decision);
/// assert_eq!(d.reason(), Some("fga: no relation"));
/// let wire = serde_json::to_value(&d)?;
/// assert_eq!(wire["context"]["reason_admin"]["en"], "fga: no relation");
/// assert_eq!(serde_json::from_value::<Decision>(wire)?, d);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// `true` permits, `false` denies.
    pub decision: bool,
    /// The response context's other members (the reason is not among them:
    /// see [`Decision::reason`]).
    pub context: Properties,
    reason: Option<String>,
}

impl Decision {
    /// A permit without context.
    pub fn permit() -> Self {
        Self::new(true)
    }

    /// A deny without context.
    pub fn deny() -> Self {
        Self::new(false)
    }

    fn new(decision: bool) -> Self {
        Self {
            decision,
            context: Map::new(),
            reason: None,
        }
    }

    /// Records why; on the wire, `{"reason_admin": {"en": reason}}` in the
    /// context (replacing any `reason_admin` member set directly).
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.context.remove(REASON);
        self.reason = Some(reason.into());
        self
    }

    /// The reason recorded by [`Decision::with_reason`] or received as
    /// `reason_admin.en`.
    pub fn reason(&self) -> Option<&str> {
        match &self.reason {
            Some(r) => Some(r),
            None => self.context.get(REASON)?.get(LANGUAGE)?.as_str(),
        }
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let with_context = !self.context.is_empty() || self.reason.is_some();
        let mut map = out.serialize_map(Some(1 + usize::from(with_context)))?;
        map.serialize_entry("decision", &self.decision)?;
        if with_context {
            map.serialize_entry(
                "context",
                &WireContext {
                    members: &self.context,
                    reason: self.reason.as_deref(),
                },
            )?;
        }
        map.end()
    }
}

/// The context as sent: the members, with the reason in key order.
struct WireContext<'a> {
    members: &'a Properties,
    reason: Option<&'a str>,
}

impl Serialize for WireContext<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        // A reason held apart wins over a `reason_admin` member.
        let others = self
            .members
            .iter()
            .filter(|(k, _)| self.reason.is_none() || k.as_str() != REASON);
        let mut map = out.serialize_map(None)?;
        let mut pending = self.reason;
        for (key, value) in others {
            if let Some(reason) = pending.filter(|_| key.as_str() > REASON) {
                map.serialize_entry(REASON, &ByLanguage(reason))?;
                pending = None;
            }
            map.serialize_entry(key, value)?;
        }
        if let Some(reason) = pending {
            map.serialize_entry(REASON, &ByLanguage(reason))?;
        }
        map.end()
    }
}

/// `{"en": reason}`.
struct ByLanguage<'a>(&'a str);

impl Serialize for ByLanguage<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let mut map = out.serialize_map(Some(1))?;
        map.serialize_entry(LANGUAGE, self.0)?;
        map.end()
    }
}

/// The wire shape, read before the reason is taken out.
#[derive(Deserialize)]
struct Wire {
    decision: bool,
    #[serde(default)]
    context: Properties,
}

impl<'de> Deserialize<'de> for Decision {
    fn deserialize<D: Deserializer<'de>>(input: D) -> Result<Self, D::Error> {
        let Wire {
            decision,
            mut context,
        } = Wire::deserialize(input)?;
        // Only a reason of exactly the shape `with_reason` writes is taken
        // out; any other `reason_admin` stays a context member as received.
        let reason = match context.get(REASON) {
            Some(Value::Object(by)) if by.len() == 1 => {
                by.get(LANGUAGE).and_then(Value::as_str).map(str::to_owned)
            }
            _ => None,
        };
        if reason.is_some() {
            context.remove(REASON);
        }
        Ok(Self {
            decision,
            context,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_reason_is_written_in_key_order_among_other_members() -> serde_json::Result<()> {
        let mut d = Decision::permit().with_reason("fga: holds");
        d.context.insert("a".into(), json!(1));
        d.context.insert("z".into(), json!(2));
        let text = serde_json::to_string(&d)?;
        assert_eq!(
            text,
            r#"{"decision":true,"context":{"a":1,"reason_admin":{"en":"fga: holds"},"z":2}}"#
        );
        assert_eq!(serde_json::from_str::<Decision>(&text)?, d);
        Ok(())
    }

    #[test]
    fn a_decision_without_context_has_none_on_the_wire() -> serde_json::Result<()> {
        assert_eq!(
            serde_json::to_value(Decision::deny())?,
            json!({"decision": false})
        );
        Ok(())
    }

    #[test]
    fn a_reason_in_other_languages_stays_in_the_context() -> serde_json::Result<()> {
        let wire =
            json!({"decision": false, "context": {"reason_admin": {"en": "no", "fr": "non"}}});
        let d: Decision = serde_json::from_value(wire.clone())?;
        assert_eq!(d.reason(), Some("no"));
        assert_eq!(serde_json::to_value(&d)?, wire);
        Ok(())
    }

    #[test]
    fn with_reason_replaces_a_reason_member_set_directly() -> serde_json::Result<()> {
        let mut d = Decision::deny();
        d.context
            .insert(REASON.into(), json!({"en": "old", "fr": "vieux"}));
        let d = d.with_reason("new");
        assert_eq!(
            serde_json::to_value(&d)?,
            json!({"decision": false, "context": {"reason_admin": {"en": "new"}}})
        );
        Ok(())
    }

    #[test]
    fn a_non_boolean_decision_is_refused() {
        let read = serde_json::from_value::<Decision>(json!({"decision": "yes"}));
        assert!(read.is_err_and(|e| e.to_string().contains("boolean")));
    }
}
