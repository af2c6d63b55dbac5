//! Strict JSON for tokens and keys.
//!
//! Policy on duplicate member names: refused, at every depth. RFC 7515 section 5.2
//! and RFC 7519 section 4 allow a parser either to reject duplicates or to keep the
//! last one; parsers that disagree on which one wins let an attacker show one value
//! to a checker and another to a consumer (RFC 8725 section 2.8), so we reject.
//!
//! Nesting is limited (see [`DEFAULT_MAX_DEPTH`]) so that hostile input cannot
//! exhaust the stack or time. Input must be UTF-8 with no unpaired surrogate
//! escapes; text after the top-level value (other than white space) is refused.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// Default maximum nesting of objects and arrays inside a claim or header value.
pub const DEFAULT_MAX_DEPTH: usize = 16;

pub(crate) const DUPLICATE: &str = "duplicate member name";
pub(crate) const TOO_DEEP: &str = "nesting too deep";

/// Why strict JSON was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonProblem {
    Duplicate,
    TooDeep,
    Syntax,
}

/// Sorts a serde_json error into the problems callers distinguish. The error's
/// own text is never shown: it may quote the input.
pub(crate) fn classify(error: &serde_json::Error) -> JsonProblem {
    let text = error.to_string();
    if text.starts_with(DUPLICATE) {
        JsonProblem::Duplicate
    } else if text.starts_with(TOO_DEEP) || text.starts_with("recursion limit exceeded") {
        JsonProblem::TooDeep
    } else {
        JsonProblem::Syntax
    }
}

/// A member name, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Deserializes any JSON value, refusing duplicate member names and nesting
/// deeper than `depth_left` levels.
#[derive(Clone, Copy)]
pub(crate) struct StrictValue {
    pub(crate) depth_left: usize,
}

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl StrictValue {
    fn nested<E: de::Error>(self) -> Result<StrictValue, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(StrictValue { depth_left }),
            None => Err(E::custom(TOO_DEEP)),
        }
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut members = Map::new();
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            let value = map.next_value_seed(inner)?;
            if members.insert(name.into_owned(), value).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(members))
    }
}

/// Parses a whole JSON document strictly (see the module docs).
pub(crate) fn parse_strict(bytes: &[u8], max_depth: usize) -> Result<Value, JsonProblem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue {
        depth_left: max_depth,
    }
    .deserialize(&mut de)
    .map_err(|e| classify(&e))?;
    de.end().map_err(|_| JsonProblem::Syntax)?;
    Ok(value)
}

/// Parses a whole JSON document into `T` through `seed`, refusing trailing text.
pub(crate) fn parse_with<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    seed: S,
) -> Result<S::Value, JsonProblem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut de).map_err(|e| classify(&e))?;
    de.end().map_err(|_| JsonProblem::Syntax)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_documents() {
        let v = parse_strict(br#"{"a":[1,2,{"b":null}],"c":"\u00e9"}"#, 4).unwrap();
        assert_eq!(v["c"], "é");
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        assert_eq!(
            parse_strict(br#"{"a":1,"a":2}"#, 4),
            Err(JsonProblem::Duplicate)
        );
        assert_eq!(
            parse_strict(br#"{"x":{"a":1,"\u0061":2}}"#, 4),
            Err(JsonProblem::Duplicate)
        );
    }

    #[test]
    fn refuses_deep_nesting_and_trailing_text() {
        let deep = format!("{}{}", "[".repeat(5), "]".repeat(5));
        assert!(parse_strict(deep.as_bytes(), 5).is_ok());
        assert_eq!(parse_strict(deep.as_bytes(), 4), Err(JsonProblem::TooDeep));
        let very_deep = "[".repeat(100_000);
        assert_eq!(
            parse_strict(very_deep.as_bytes(), 16),
            Err(JsonProblem::TooDeep)
        );
        assert_eq!(parse_strict(b"{} x", 4), Err(JsonProblem::Syntax));
        assert!(parse_strict(b"{} \n", 4).is_ok());
    }

    #[test]
    fn refuses_bad_text() {
        assert_eq!(parse_strict(b"\"\xff\"", 4), Err(JsonProblem::Syntax));
        assert_eq!(parse_strict(br#""\ud800""#, 4), Err(JsonProblem::Syntax));
        assert_eq!(parse_strict(b"", 4), Err(JsonProblem::Syntax));
    }
}
