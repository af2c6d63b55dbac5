//! Subject identifiers (RFC 9493, SSF 1.0 sections 3.2 to 3.4): parsing from
//! untrusted JSON, rendering, and the subject matching of SSF 1.0 section
//! 8.1.3.1.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Largest number of members a complex subject or identifiers an `aliases`
/// subject may hold (a bound on work done for one request).
const MAX_MEMBERS: usize = 16;
/// Longest string member accepted, in bytes.
const MAX_STRING: usize = 1024;

/// A subject identifier: who or what an event is about.
///
/// ```
/// use reference_authority::signals::SubjectId;
///
/// let s = SubjectId::from_json(&serde_json::json!({"format": "email", "email": "sarah@acme.example"}))?;
/// assert_eq!(s, SubjectId::Email("sarah@acme.example".into()));
/// assert_eq!(s.to_json()["format"], "email");
/// # Ok::<(), reference_authority::signals::SubjectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubjectId {
    /// `account`: an `acct:` URI (RFC 9493 section 3.2.1).
    Account(String),
    /// `email` (RFC 9493 section 3.2.2).
    Email(String),
    /// `iss_sub`: a subject at an issuer (RFC 9493 section 3.2.3).
    IssSub {
        /// The issuer.
        iss: String,
        /// The subject.
        sub: String,
    },
    /// `opaque` (RFC 9493 section 3.2.4).
    Opaque(String),
    /// `phone_number`, E.164 (RFC 9493 section 3.2.5).
    PhoneNumber(String),
    /// `did` (RFC 9493 section 3.2.6).
    Did(String),
    /// `uri` (RFC 9493 section 3.2.7).
    Uri(String),
    /// `aliases`: several identifiers of one subject (RFC 9493 section 3.2.8).
    Aliases(Vec<SubjectId>),
    /// `jwt_id`: one JWT (SSF 1.0 section 3.4.1).
    JwtId {
        /// The JWT's issuer.
        iss: String,
        /// The JWT's `jti`.
        jti: String,
    },
    /// `complex`: members (`user`, `application`, `tenant`, ...) describing
    /// one principal (SSF 1.0 section 3.3).
    Complex(BTreeMap<String, SubjectId>),
    /// `scim`: a SCIM resource (RFC 9967 section 2.1): its `uri` relative to
    /// the SCIM base, such as `/Users/42`, and the client's `externalId`.
    Scim {
        /// The resource's path relative to the SCIM base.
        uri: String,
        /// The provisioning client's identifier of the resource, if any.
        external_id: Option<String>,
    },
}

/// Why a subject identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubjectError {
    /// Not an object with a string `format` and the members the format needs.
    #[error("malformed subject identifier: {0}")]
    Malformed(&'static str),
    /// The format is not one this authority handles.
    #[error("unsupported subject identifier format")]
    UnsupportedFormat,
}

impl SubjectId {
    /// An `iss_sub` subject.
    pub fn iss_sub(iss: impl Into<String>, sub: impl Into<String>) -> Self {
        SubjectId::IssSub {
            iss: iss.into(),
            sub: sub.into(),
        }
    }

    /// A `complex` subject from its members.
    pub fn complex<'a>(members: impl IntoIterator<Item = (&'a str, SubjectId)>) -> Self {
        SubjectId::Complex(
            members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    /// Reads a subject identifier from untrusted JSON. Every format of RFC 9493
    /// plus SSF's `jwt_id` and `complex` is read; others are
    /// [`SubjectError::UnsupportedFormat`].
    pub fn from_json(value: &Value) -> Result<Self, SubjectError> {
        Self::parse(value, 0)
    }

    fn parse(value: &Value, depth: u8) -> Result<Self, SubjectError> {
        let obj = value
            .as_object()
            .ok_or(SubjectError::Malformed("not an object"))?;
        let format = obj
            .get("format")
            .and_then(Value::as_str)
            .ok_or(SubjectError::Malformed("no string `format`"))?;
        let s = |name: &'static str| member(obj, name);
        Ok(match format {
            "account" => {
                let uri = s("uri")?;
                // RFC 9493 section 3.2.1: the `acct` URI scheme (RFC 7565).
                if !uri.starts_with("acct:") || uri.len() < 6 {
                    return Err(SubjectError::Malformed("`uri` is not an acct URI"));
                }
                SubjectId::Account(uri)
            }
            "email" => {
                let email = s("email")?;
                if !email.contains('@') {
                    return Err(SubjectError::Malformed("`email` is not an address"));
                }
                SubjectId::Email(email)
            }
            "iss_sub" => SubjectId::IssSub {
                iss: s("iss")?,
                sub: s("sub")?,
            },
            "opaque" => SubjectId::Opaque(s("id")?),
            "phone_number" => {
                let phone = s("phone_number")?;
                // RFC 9493 section 3.2.5: E.164, a `+` and digits.
                let digits = phone.strip_prefix('+').unwrap_or_default();
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(SubjectError::Malformed("`phone_number` is not E.164"));
                }
                SubjectId::PhoneNumber(phone)
            }
            "did" => SubjectId::Did(s("url")?),
            "uri" => SubjectId::Uri(s("uri")?),
            "scim" => SubjectId::Scim {
                uri: s("uri")?,
                external_id: match obj.get("externalId") {
                    None => None,
                    Some(_) => Some(s("externalId")?),
                },
            },
            "jwt_id" => SubjectId::JwtId {
                iss: s("iss")?,
                jti: s("jti")?,
            },
            "aliases" if depth == 0 => {
                let ids = obj
                    .get("identifiers")
                    .and_then(Value::as_array)
                    .filter(|a| !a.is_empty() && a.len() <= MAX_MEMBERS)
                    .ok_or(SubjectError::Malformed(
                        "`identifiers` is not a short array",
                    ))?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    // RFC 9493 section 3.2.8: no nested `aliases`.
                    let parsed = Self::parse(id, 1)?;
                    if matches!(parsed, SubjectId::Complex(_)) {
                        return Err(SubjectError::Malformed("an alias is complex"));
                    }
                    out.push(parsed);
                }
                SubjectId::Aliases(out)
            }
            "complex" if depth == 0 => {
                let mut members = BTreeMap::new();
                for (name, v) in obj.iter().filter(|(k, _)| k.as_str() != "format") {
                    // SSF 1.0 section 3.3: each member is a simple subject.
                    let parsed = Self::parse(v, 1)?;
                    members.insert(name.clone(), parsed);
                }
                if members.is_empty() || members.len() > MAX_MEMBERS {
                    return Err(SubjectError::Malformed("a complex subject needs members"));
                }
                SubjectId::Complex(members)
            }
            "aliases" | "complex" => return Err(SubjectError::Malformed("nested subject")),
            _ => return Err(SubjectError::UnsupportedFormat),
        })
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        let (format, _) = match self {
            SubjectId::Account(uri) => ("account", put("uri", uri.clone().into())),
            SubjectId::Email(e) => ("email", put("email", e.clone().into())),
            SubjectId::IssSub { iss, sub } => {
                put("iss", iss.clone().into());
                ("iss_sub", put("sub", sub.clone().into()))
            }
            SubjectId::Opaque(id) => ("opaque", put("id", id.clone().into())),
            SubjectId::PhoneNumber(p) => ("phone_number", put("phone_number", p.clone().into())),
            SubjectId::Did(u) => ("did", put("url", u.clone().into())),
            SubjectId::Uri(u) => ("uri", put("uri", u.clone().into())),
            SubjectId::Scim { uri, external_id } => {
                if let Some(e) = external_id {
                    put("externalId", e.clone().into());
                }
                ("scim", put("uri", uri.clone().into()))
            }
            SubjectId::JwtId { iss, jti } => {
                put("iss", iss.clone().into());
                ("jwt_id", put("jti", jti.clone().into()))
            }
            SubjectId::Aliases(ids) => (
                "aliases",
                put(
                    "identifiers",
                    Value::Array(ids.iter().map(SubjectId::to_json).collect()),
                ),
            ),
            SubjectId::Complex(members) => {
                for (k, v) in members {
                    put(k, v.to_json());
                }
                ("complex", ())
            }
        };
        m.insert("format".into(), format.into());
        Value::Object(m)
    }

    /// The format name.
    pub fn format(&self) -> &'static str {
        match self {
            SubjectId::Account(_) => "account",
            SubjectId::Email(_) => "email",
            SubjectId::IssSub { .. } => "iss_sub",
            SubjectId::Opaque(_) => "opaque",
            SubjectId::PhoneNumber(_) => "phone_number",
            SubjectId::Did(_) => "did",
            SubjectId::Uri(_) => "uri",
            SubjectId::Scim { .. } => "scim",
            SubjectId::Aliases(_) => "aliases",
            SubjectId::JwtId { .. } => "jwt_id",
            SubjectId::Complex(_) => "complex",
        }
    }

    /// Whether an event about `self` goes to a stream interested in `other`
    /// (SSF 1.0 section 8.1.3.1): simple subjects match when identical;
    /// complex subjects match when every member defined in both is identical.
    /// A simple subject matches a complex one that holds it as a member, and
    /// `aliases` match when any of their identifiers does. Two `scim`
    /// subjects match when they name one resource (`uri`), whether or not
    /// both carry the `externalId`.
    pub fn matches(&self, other: &SubjectId) -> bool {
        match (self, other) {
            (SubjectId::Scim { uri: a, .. }, SubjectId::Scim { uri: b, .. }) => a == b,
            (SubjectId::Aliases(ids), o) => ids.iter().any(|i| i.matches(o)),
            (s, SubjectId::Aliases(ids)) => ids.iter().any(|i| s.matches(i)),
            (SubjectId::Complex(a), SubjectId::Complex(b)) => {
                a.iter().all(|(k, v)| b.get(k).is_none_or(|w| v.matches(w)))
            }
            (SubjectId::Complex(a), s) | (s, SubjectId::Complex(a)) => {
                a.values().any(|v| v.matches(s))
            }
            (a, b) => a == b,
        }
    }
}

fn member(obj: &Map<String, Value>, name: &'static str) -> Result<String, SubjectError> {
    obj.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= MAX_STRING)
        .map(str::to_owned)
        .ok_or(SubjectError::Malformed(name))
}
