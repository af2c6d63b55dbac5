//! Who a signal is about: an RFC 9493 subject identifier.

/// Why a subject identifier was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubjectError {
    /// The identifier is not an object with a string `format` and the members
    /// its format requires (RFC 9493 section 3).
    #[error("malformed subject identifier")]
    Malformed,
    /// The `format` is one this crate does not match tokens by.
    #[error("unsupported subject identifier format")]
    Unsupported,
}

/// A subject named by a signal (RFC 9493 subject identifier formats).
///
/// ```
/// use agent_auth::signals::Subject;
/// let id = serde_json::json!({"format": "iss_sub", "iss": "https://idp.example", "sub": "sarah"});
/// let subject = Subject::from_sub_id(&id)?;
/// assert!(subject.names("https://idp.example", "sarah"));
/// assert!(!subject.names("https://other.example", "sarah"));
/// # Ok::<(), agent_auth::signals::SubjectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Subject {
    /// `iss_sub` (RFC 9493 section 3.2.5): a subject at one issuer.
    IssSub {
        /// The issuer.
        iss: String,
        /// The subject.
        sub: String,
    },
    /// `opaque` (RFC 9493 section 3.2.4): a subject at the issuers the signal
    /// is scoped to.
    Opaque(String),
    /// `email` (RFC 9493 section 3.2.2), lower-cased: matched against an
    /// email-shaped user name at the issuers the signal is scoped to.
    Email(String),
    /// A `complex` subject (SSF 1.0 section 3.3) naming an `application`
    /// (an `opaque` client id) and no user: an agent or client, at the
    /// issuers the signal is scoped to.
    Client(String),
    /// A `complex` subject (SSF 1.0 section 3.3) naming only a `tenant`
    /// whose `opaque` id is a token issuer: every subject of that issuer.
    Tenant(String),
}

impl Subject {
    /// Reads an RFC 9493 subject identifier object. A `complex` identifier
    /// (SSF 1.0 section 3.3) is read through its `user` member when it has
    /// one (the user's tokens are affected, whichever application held
    /// them: the safe side), else through its `application` member, an
    /// `opaque` client id ([`Subject::Client`]), else through its `tenant`
    /// member, an `opaque` issuer ([`Subject::Tenant`]).
    pub fn from_sub_id(value: &serde_json::Value) -> Result<Self, SubjectError> {
        let obj = value.as_object().ok_or(SubjectError::Malformed)?;
        let format = obj
            .get("format")
            .and_then(serde_json::Value::as_str)
            .ok_or(SubjectError::Malformed)?;
        let member = |name: &str| {
            obj.get(name)
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or(SubjectError::Malformed)
        };
        match format {
            "iss_sub" => Ok(Self::IssSub {
                iss: member("iss")?,
                sub: member("sub")?,
            }),
            "opaque" => Ok(Self::Opaque(member("id")?)),
            "email" => Ok(Self::Email(member("email")?.to_ascii_lowercase())),
            "complex" => match (obj.get("user"), obj.get("application")) {
                // One level only: a `complex` user inside a `complex` is refused.
                (Some(user), _)
                    if user.get("format").and_then(|f| f.as_str()) != Some("complex") =>
                {
                    Self::from_sub_id(user)
                }
                (Some(_), _) => Err(SubjectError::Malformed),
                (None, Some(app)) => match Self::from_sub_id(app)? {
                    Self::Opaque(id) => Ok(Self::Client(id)),
                    _ => Err(SubjectError::Unsupported),
                },
                (None, None) => match obj.get("tenant").map(Self::from_sub_id) {
                    Some(Ok(Self::Opaque(id))) => Ok(Self::Tenant(id)),
                    Some(Err(e)) => Err(e),
                    _ => Err(SubjectError::Unsupported),
                },
            },
            _ => Err(SubjectError::Unsupported),
        }
    }

    /// Whether a sender allowed to speak for subjects of `issuers` may name
    /// this subject: an `iss_sub` of one of them, or an `opaque` or `email`
    /// subject (which then matches only users of those issuers). With no
    /// issuers, none.
    pub fn is_within(&self, issuers: &[String]) -> bool {
        match self {
            Self::IssSub { iss, .. } | Self::Tenant(iss) => issuers.contains(iss),
            Self::Opaque(_) | Self::Email(_) | Self::Client(_) => !issuers.is_empty(),
        }
    }

    /// Whether this subject names `user` of `issuer`, by the subject alone:
    /// an `iss_sub` needs both equal; an `opaque` id names the user of that
    /// name; an `email` names a user of that name, compared without case; a
    /// client or a tenant names no one user.
    /// Which issuers an `opaque` or `email` subject may reach is the
    /// signal's scope ([`Signal::concerns`](super::Signal::concerns)).
    pub fn names(&self, issuer: &str, user: &str) -> bool {
        match self {
            Self::IssSub { iss, sub } => iss == issuer && sub == user,
            Self::Opaque(id) => id == user,
            Self::Email(email) => email.eq_ignore_ascii_case(user),
            Self::Client(_) | Self::Tenant(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_and_refusals() {
        assert_eq!(
            Subject::from_sub_id(&json!({"format": "email", "email": "Sarah@Example.com"})),
            Ok(Subject::Email("sarah@example.com".into()))
        );
        assert_eq!(
            Subject::from_sub_id(
                &json!({"format": "complex", "user": {"format": "opaque", "id": "u1"}})
            ),
            Ok(Subject::Opaque("u1".into()))
        );
        assert_eq!(
            Subject::from_sub_id(&json!({
                "format": "complex",
                "application": {"format": "opaque", "id": "sales-agent"},
                "tenant": {"format": "opaque", "id": "acme"}
            })),
            Ok(Subject::Client("sales-agent".into()))
        );
        let tenant =
            json!({"format": "complex", "tenant": {"format": "opaque", "id": "https://i"}});
        let tenant = Subject::from_sub_id(&tenant).unwrap();
        assert_eq!(tenant, Subject::Tenant("https://i".into()));
        assert!(tenant.is_within(&["https://i".into()]));
        assert!(!tenant.is_within(&["https://other".into()]));
        assert_eq!(
            Subject::from_sub_id(&json!({"format": "phone_number", "phone_number": "+1"})),
            Err(SubjectError::Unsupported)
        );
        for bad in [
            json!("sarah"),
            json!({"format": "iss_sub", "iss": "https://i"}),
            json!({"format": "opaque", "id": ""}),
            json!({"format": 3, "id": "x"}),
            json!({"format": "complex", "user": {"format": "complex", "user": {}}}),
        ] {
            assert_eq!(Subject::from_sub_id(&bad), Err(SubjectError::Malformed));
        }
    }
}
