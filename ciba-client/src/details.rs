//! RFC 9396 `authorization_details`: a JSON array of objects, each with a
//! string `type` and, where present, the common fields in their defined shapes.

use serde_json::Value;

/// Largest accepted `authorization_details` text, in bytes.
pub const MAX_DETAILS_BYTES: usize = 16 * 1024;

/// Why `authorization_details` were refused (RFC 9396 section 5:
/// `invalid_authorization_details`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid authorization_details: {0}")]
pub struct DetailsError(&'static str);

impl DetailsError {
    /// What was wrong.
    pub fn reason(&self) -> &'static str {
        self.0
    }
}

/// Validated authorization details (RFC 9396 section 2).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationDetails(Vec<Value>);

impl AuthorizationDetails {
    /// Parses the JSON text of the `authorization_details` parameter.
    pub fn parse(text: &str) -> Result<Self, DetailsError> {
        if text.len() > MAX_DETAILS_BYTES {
            return Err(DetailsError("too large"));
        }
        let value: Value = serde_json::from_str(text).map_err(|_| DetailsError("not JSON"))?;
        Self::from_value(value)
    }

    /// Checks a JSON value.
    pub fn from_value(value: Value) -> Result<Self, DetailsError> {
        // RFC 9396 section 2: a JSON array of JSON objects.
        let Value::Array(items) = value else {
            return Err(DetailsError("not a JSON array"));
        };
        if items.is_empty() {
            return Err(DetailsError("empty array"));
        }
        for item in &items {
            let Value::Object(obj) = item else {
                return Err(DetailsError("an element is not an object"));
            };
            // RFC 9396 section 2: `type` is REQUIRED, a string.
            match obj.get("type") {
                Some(Value::String(t)) if !t.is_empty() => {}
                Some(_) => return Err(DetailsError("`type` is not a non-empty string")),
                None => return Err(DetailsError("an element has no `type`")),
            }
            // RFC 9396 section 2.2: common data fields and their shapes.
            for field in ["locations", "actions", "datatypes", "privileges"] {
                if let Some(v) = obj.get(field) {
                    let ok = matches!(v, Value::Array(a) if a.iter().all(Value::is_string));
                    if !ok {
                        return Err(DetailsError("a common field is not an array of strings"));
                    }
                }
            }
            if obj.get("identifier").is_some_and(|v| !v.is_string()) {
                return Err(DetailsError("`identifier` is not a string"));
            }
        }
        Ok(Self(items))
    }

    /// The elements.
    pub fn items(&self) -> &[Value] {
        &self.0
    }

    /// The JSON value (an array).
    pub fn to_value(&self) -> Value {
        Value::Array(self.0.clone())
    }

    /// The JSON text, as sent in the `authorization_details` parameter.
    pub fn to_json_string(&self) -> String {
        self.to_value().to_string()
    }

    /// Whether every element of `self` is one of `granted`'s elements.
    pub fn is_within(&self, granted: &AuthorizationDetails) -> bool {
        self.0.iter().all(|d| granted.0.contains(d))
    }
}

impl serde::Serialize for AuthorizationDetails {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for AuthorizationDetails {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Self::from_value(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(AuthorizationDetails::parse(r#"[{"type":"payment","actions":["send"]}]"#).is_ok());
        for bad in [
            "{}",
            "[]",
            "[1]",
            r#"[{"actions":["a"]}]"#,
            r#"[{"type":7}]"#,
            r#"[{"type":"x","actions":"send"}]"#,
            r#"[{"type":"x","identifier":1}]"#,
            "not json",
        ] {
            assert!(AuthorizationDetails::parse(bad).is_err(), "{bad}");
        }
    }
}
