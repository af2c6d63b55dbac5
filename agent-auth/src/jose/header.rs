//! The JWS protected header (RFC 7515 section 4.1), parsed strictly.
//!
//! Every member is parsed: duplicates are refused (one hash set, so the check
//! stays linear in the number of members), nesting is limited, and the members
//! RFC 7515 gives a type must have it. Only `alg`, `typ`, `kid` and `cty` are
//! kept; `crit` is only noted. Key-carrying members (`jwk`, `jku`, `x5u`, `x5c`,
//! `x5t`, `x5t#S256`) are type-checked and then dropped: keys are never taken
//! from the token (RFC 8725 section 3.10).

use super::json::{DUPLICATE, Key, StrictValue};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// A header member whose JSON type is not the one RFC 7515 gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WrongType {
    /// The member name.
    pub(crate) member: &'static str,
    /// What it must be, for example "a string".
    pub(crate) expected: &'static str,
}

/// The protected header members validation reads.
#[derive(Debug, Default)]
pub(crate) struct Header<'a> {
    pub(crate) alg: Option<Cow<'a, str>>,
    pub(crate) typ: Option<Cow<'a, str>>,
    pub(crate) kid: Option<Cow<'a, str>>,
    pub(crate) cty: Option<Cow<'a, str>>,
    pub(crate) crit: bool,
    /// The first member found with the wrong JSON type.
    pub(crate) wrong_type: Option<WrongType>,
}

/// The JSON types RFC 7515 section 4.1 gives header members.
#[derive(Debug, Clone, Copy)]
enum Shape {
    String,
    StringArray,
    Object,
}

impl Shape {
    fn text(self) -> &'static str {
        match self {
            Shape::String => "a string",
            Shape::StringArray => "an array of strings",
            Shape::Object => "an object",
        }
    }

    fn fits(self, value: &Value) -> bool {
        match self {
            Shape::String => value.is_string(),
            Shape::StringArray => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            Shape::Object => value.is_object(),
        }
    }
}

/// The shape of a registered member other than those kept (RFC 7515 sections
/// 4.1.2 to 4.1.8), with its name as a static string for error messages.
/// `crit` is absent: any `crit` is refused, whatever its value.
fn registered(name: &str) -> Option<(&'static str, Shape)> {
    Some(match name {
        "jku" => ("jku", Shape::String),
        "x5u" => ("x5u", Shape::String),
        "x5t" => ("x5t", Shape::String),
        "x5t#S256" => ("x5t#S256", Shape::String),
        "x5c" => ("x5c", Shape::StringArray),
        "jwk" => ("jwk", Shape::Object),
        _ => return None,
    })
}

pub(crate) struct HeaderSeed {
    pub(crate) max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = Header<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Header<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header<'de>, A::Error> {
        let depth = self.max_depth;
        let mut header = Header::default();
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            let kept = match name.as_ref() {
                "alg" => Some(("alg", &mut header.alg)),
                "typ" => Some(("typ", &mut header.typ)),
                "kid" => Some(("kid", &mut header.kid)),
                "cty" => Some(("cty", &mut header.cty)),
                _ => None,
            };
            if let Some((member, slot)) = kept {
                // Borrowed from the input when the string has no escapes.
                match map.next_value_seed(StringOrOther { depth })? {
                    Some(text) => *slot = Some(text),
                    None => note(&mut header.wrong_type, member, Shape::String),
                }
            } else {
                let value = map.next_value_seed(StrictValue { depth_left: depth })?;
                if let Some((member, shape)) = registered(&name)
                    && !shape.fits(&value)
                {
                    note(&mut header.wrong_type, member, shape);
                }
                header.crit |= name == "crit";
            }
            if !seen.insert(name) {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(header)
    }
}

fn note(slot: &mut Option<WrongType>, member: &'static str, shape: Shape) {
    slot.get_or_insert(WrongType {
        member,
        expected: shape.text(),
    });
}

/// A member value that should be a string: the string (borrowed when it has no
/// escapes), or `None` for any other JSON value, still parsed strictly.
struct StringOrOther {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for StringOrOther {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringOrOther {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let strict = StrictValue {
            depth_left: self.depth,
        };
        Visitor::visit_seq(strict, seq).map(|_| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let strict = StrictValue {
            depth_left: self.depth,
        };
        Visitor::visit_map(strict, map).map(|_| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::json::{JsonProblem, parse_with};

    fn parse(text: &str) -> Result<Header<'_>, JsonProblem> {
        parse_with(text.as_bytes(), HeaderSeed { max_depth: 4 })
    }

    #[test]
    fn keeps_alg_typ_kid_cty_and_notes_crit() {
        let h = parse(r#"{"alg":"ES256","typ":"at+jwt","kid":"k\u0031","cty":"JWT","crit":[]}"#)
            .unwrap();
        assert_eq!(h.alg.as_deref(), Some("ES256"));
        assert_eq!(h.typ.as_deref(), Some("at+jwt"));
        assert_eq!(h.kid.as_deref(), Some("k1"));
        assert_eq!(h.cty.as_deref(), Some("JWT"));
        assert!(h.crit);
        assert_eq!(h.wrong_type, None);
    }

    #[test]
    fn names_the_first_member_of_the_wrong_type() {
        let wrong = |text: &str| parse(text).unwrap().wrong_type.map(|w| w.member);
        assert_eq!(wrong(r#"{"alg":"ES256","kid":7}"#), Some("kid"));
        assert_eq!(wrong(r#"{"alg":["ES256"]}"#), Some("alg"));
        assert_eq!(wrong(r#"{"typ":null,"kid":7}"#), Some("typ"));
        assert_eq!(wrong(r#"{"cty":{"a":1}}"#), Some("cty"));
        assert_eq!(wrong(r#"{"x5c":"MIIB"}"#), Some("x5c"));
        assert_eq!(wrong(r#"{"x5c":["MIIB",1]}"#), Some("x5c"));
        assert_eq!(wrong(r#"{"jwk":"k"}"#), Some("jwk"));
        assert_eq!(wrong(r#"{"x5t#S256":1}"#), Some("x5t#S256"));
        assert_eq!(
            wrong(r#"{"x5c":["MIIB"],"jwk":{},"jku":"u","x-1":7}"#),
            None
        );
    }

    #[test]
    fn duplicates_are_refused_whatever_their_types() {
        for text in [
            r#"{"alg":"ES256","alg":"none"}"#,
            r#"{"kid":1,"kid":"a"}"#,
            r#"{"kid":1,"kid":2}"#,
            r#"{"x":1,"y":2,"x":3}"#,
            r#"{"crit":[],"\u0063rit":[]}"#,
        ] {
            assert_eq!(parse(text).err(), Some(JsonProblem::Duplicate), "{text}");
        }
    }

    #[test]
    fn values_of_the_wrong_type_are_still_parsed_strictly() {
        assert_eq!(
            parse(r#"{"kid":[[[[[1]]]]]}"#).err(),
            Some(JsonProblem::TooDeep)
        );
        assert_eq!(
            parse(r#"{"kid":{"a":1,"a":2}}"#).err(),
            Some(JsonProblem::Duplicate)
        );
    }
}
