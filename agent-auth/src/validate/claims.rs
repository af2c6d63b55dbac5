//! JWT claims (RFC 7519 section 4): the registered ones typed, the rest as JSON.

use crate::jose::json::{DUPLICATE, Key, StrictValue};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// The claims of a token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    /// `iss`: who issued the token.
    pub iss: Option<String>,
    /// `sub`: whom the token is about.
    pub sub: Option<String>,
    /// `aud`: for whom the token is meant. A single string on the wire is one entry.
    pub aud: Vec<String>,
    /// `exp`: expiry, seconds since the epoch.
    pub exp: Option<i64>,
    /// `nbf`: not valid before, seconds since the epoch.
    pub nbf: Option<i64>,
    /// `iat`: issued at, seconds since the epoch.
    pub iat: Option<i64>,
    /// `jti`: unique token id.
    pub jti: Option<String>,
    /// Every other claim.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Empty claims.
    pub fn new() -> Self {
        Self::default()
    }

    /// Any claim by name, the registered ones included, as JSON.
    pub fn get(&self, name: &str) -> Option<Value> {
        match name {
            "iss" => self.iss.clone().map(Value::String),
            "sub" => self.sub.clone().map(Value::String),
            "jti" => self.jti.clone().map(Value::String),
            "aud" if self.aud.is_empty() => None,
            "aud" => Some(Value::from(self.aud.clone())),
            "exp" => self.exp.map(Value::from),
            "nbf" => self.nbf.map(Value::from),
            "iat" => self.iat.map(Value::from),
            _ => self.extra.get(name).cloned(),
        }
    }

    /// Whether a claim is present.
    pub fn has(&self, name: &str) -> bool {
        match name {
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "jti" => self.jti.is_some(),
            "aud" => !self.aud.is_empty(),
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            _ => self.extra.contains_key(name),
        }
    }

    /// A non-registered claim as a string, if it is one.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.extra.get(name).and_then(Value::as_str)
    }

    /// The space-separated `scope` claim (RFC 8693 section 4.2), split.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.str("scope")
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// Sets a non-registered claim.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(v) = &self.iss {
            map.serialize_entry("iss", v)?;
        }
        if let Some(v) = &self.sub {
            map.serialize_entry("sub", v)?;
        }
        match self.aud.as_slice() {
            [] => {}
            [one] => map.serialize_entry("aud", one)?,
            many => map.serialize_entry("aud", many)?,
        }
        for (name, value) in [("exp", self.exp), ("nbf", self.nbf), ("iat", self.iat)] {
            if let Some(v) = value {
                map.serialize_entry(name, &v)?;
            }
        }
        if let Some(v) = &self.jti {
            map.serialize_entry("jti", v)?;
        }
        for (name, value) in &self.extra {
            if !is_registered(name) {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

fn is_registered(name: &str) -> bool {
    matches!(name, "iss" | "sub" | "aud" | "exp" | "nbf" | "iat" | "jti")
}

/// Why the claims did not parse.
pub(crate) const BAD_CLAIM_PREFIX: &str = "bad claim ";

/// Deserializes claims strictly: duplicates refused, nesting of other claims limited.
pub(crate) struct ClaimsSeed {
    pub(crate) max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed {
    type Value = Claims;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Claims, D::Error> {
        d.deserialize_map(self)
    }
}

fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::custom(DUPLICATE));
    }
    Ok(())
}

fn bad<E: de::Error>(name: &'static str) -> E {
    E::custom(format_args!("{BAD_CLAIM_PREFIX}{name}"))
}

/// Largest magnitude of a NumericDate accepted, in seconds from the epoch
/// (about 31.7 million years). Larger values are refused as malformed, whether
/// written as integers or not, rather than saturated into "never".
pub(crate) const MAX_NUMERIC_DATE: i64 = 1_000_000_000_000_000;

/// Which way a fractional NumericDate goes: always toward the stricter check.
#[derive(Clone, Copy)]
enum Round {
    /// `exp`: the token expires at the whole second before.
    Down,
    /// `nbf` and `iat`: the token becomes valid (or was issued) at the whole
    /// second after.
    Up,
}

/// RFC 7519 section 2: a NumericDate is a JSON number of seconds and may carry
/// a fraction; it is rounded toward the stricter side (see [`Round`]).
fn numeric_date<E: de::Error>(value: &Value, name: &'static str, round: Round) -> Result<i64, E> {
    let limit = MAX_NUMERIC_DATE as f64;
    let seconds = match (value.as_i64(), value.as_f64()) {
        (Some(i), _) => Some(i),
        (None, Some(f)) if f.is_finite() && f.abs() <= limit => Some(match round {
            Round::Down => f.floor() as i64,
            Round::Up => f.ceil() as i64,
        }),
        _ => None,
    };
    match seconds {
        Some(s) if (-MAX_NUMERIC_DATE..=MAX_NUMERIC_DATE).contains(&s) => Ok(s),
        _ => Err(bad(name)),
    }
}

fn string<E: de::Error>(value: Value, name: &'static str) -> Result<String, E> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(bad(name)),
    }
}

fn audience<E: de::Error>(value: Value) -> Result<Vec<String>, E> {
    match value {
        Value::String(s) => Ok(vec![s]),
        Value::Array(items) => items.into_iter().map(|v| string(v, "aud")).collect(),
        _ => Err(bad("aud")),
    }
}

impl<'de> Visitor<'de> for ClaimsSeed {
    type Value = Claims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claims, A::Error> {
        let value_seed = StrictValue {
            depth_left: self.max_depth,
        };
        let mut claims = Claims::default();
        let mut aud = None;
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            let value = map.next_value_seed(value_seed)?;
            match name.as_ref() {
                "iss" => set_once(&mut claims.iss, string(value, "iss")?)?,
                "sub" => set_once(&mut claims.sub, string(value, "sub")?)?,
                "jti" => set_once(&mut claims.jti, string(value, "jti")?)?,
                "aud" => set_once(&mut aud, audience(value)?)?,
                "exp" => set_once(&mut claims.exp, numeric_date(&value, "exp", Round::Down)?)?,
                "nbf" => set_once(&mut claims.nbf, numeric_date(&value, "nbf", Round::Up)?)?,
                "iat" => set_once(&mut claims.iat, numeric_date(&value, "iat", Round::Up)?)?,
                // RFC 8693 section 4.3 and OpenID Connect Core section 2: both
                // are strings. They stay among the other claims, typed.
                "client_id" if !value.is_string() => return Err(bad("client_id")),
                "azp" if !value.is_string() => return Err(bad("azp")),
                _ => {
                    if claims.extra.insert(name.into_owned(), value).is_some() {
                        return Err(de::Error::custom(DUPLICATE));
                    }
                }
            }
        }
        claims.aud = aud.unwrap_or_default();
        Ok(claims)
    }
}

/// Claims that must be JSON strings, in every profile (RFC 7519 sections
/// 4.1.1, 4.1.2 and 4.1.7; RFC 8693 section 4.3; OpenID Connect Core section 2).
pub(crate) const STRING_CLAIMS: [&str; 5] = ["iss", "sub", "jti", "client_id", "azp"];

/// The claim name in a "bad claim" error, if it is one of those checked.
pub(crate) fn bad_claim_name(error_text: &str) -> Option<&'static str> {
    let name = error_text.strip_prefix(BAD_CLAIM_PREFIX)?;
    STRING_CLAIMS
        .into_iter()
        .chain(["aud", "exp", "nbf", "iat"])
        .find(|n| name.starts_with(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::json::parse_with;

    fn parse(text: &str) -> Result<Claims, crate::jose::json::JsonProblem> {
        parse_with(text.as_bytes(), ClaimsSeed { max_depth: 4 })
    }

    #[test]
    fn registered_claims_are_typed() {
        let c = parse(r#"{"iss":"i","aud":"a","exp":10.9,"iat":5,"scope":"a b","x":{"y":[1]}}"#)
            .unwrap();
        assert_eq!(c.iss.as_deref(), Some("i"));
        assert_eq!(c.aud, vec!["a".to_owned()]);
        assert_eq!(c.exp, Some(10));
        assert_eq!(c.scopes().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(c.get("x").unwrap()["y"][0], 1);
    }

    #[test]
    fn duplicates_and_bad_types_are_refused() {
        assert!(parse(r#"{"iss":"a","iss":"b"}"#).is_err());
        assert!(parse(r#"{"x":1,"x":1}"#).is_err());
        assert!(parse(r#"{"aud":["a",1]}"#).is_err());
        assert!(parse(r#"{"exp":"soon"}"#).is_err());
        assert!(parse(r#"{"x":[[[[[1]]]]]}"#).is_err());
        assert!(parse(r#"[]"#).is_err());
    }

    #[test]
    fn serializes_single_audience_as_string() {
        let mut c = Claims::new().with("scope", "a");
        c.aud = vec!["x".into()];
        c.iat = Some(1);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"aud":"x","iat":1,"scope":"a"}"#
        );
    }
}
