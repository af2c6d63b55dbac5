//! Request parameters: form bodies and query strings, each name at most once
//! (RFC 6749 section 3.1 and 3.2: "Request and response parameters MUST NOT be
//! included more than once").

use super::OAuthError;
use std::collections::BTreeMap;

/// Parameters of an authorization, token, revocation or introspection request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: BTreeMap<String, String>,
}

/// Names that may repeat (RFC 8707 section 2 `resource`, RFC 8693 section 2.1
/// `audience`); their values, which are URIs without spaces, are joined with spaces.
const REPEATABLE: &[&str] = &["resource", "audience"];

/// Names whose values are credentials: never printed.
const SECRET_NAMES: &[&str] = &[
    "client_secret",
    "client_assertion",
    "code",
    "code_verifier",
    "refresh_token",
    "token",
    "password",
    "totp",
    "subject_token",
    "actor_token",
    "assertion",
    "id_token_hint",
    "access_token",
    "user_code",
    "request",
    "login_hint_token",
    "client_notification_token",
    "auth_req_id",
];

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.values {
            if SECRET_NAMES.contains(&k.as_str()) {
                map.entry(k, &"[redacted]");
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `application/x-www-form-urlencoded` text. A repeated name is
    /// `invalid_request`. Empty values count as absent (RFC 6749 section 3.1).
    pub fn parse(text: &str) -> Result<Self, OAuthError> {
        let mut values = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(text.as_bytes()) {
            if REPEATABLE.contains(&name.as_ref())
                && !value.is_empty()
                && let Some(existing) = values.get_mut(name.as_ref())
            {
                let existing: &mut String = existing;
                existing.push(' ');
                existing.push_str(&value);
                continue;
            }
            if values.contains_key(name.as_ref()) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{}` is repeated",
                    truncate(&name)
                )));
            }
            if !value.is_empty() {
                values.insert(name.into_owned(), value.into_owned());
            }
        }
        Ok(Self { values })
    }

    /// Parameters from pairs (later pairs replace earlier ones).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let values = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(_, v): &(String, String)| !v.is_empty())
            .collect();
        Self { values }
    }

    /// Sets a parameter.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.insert(name.into(), value.into());
        self
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A parameter that must be present.
    pub fn require(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter `{name}`")))
    }

    /// Every parameter.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Serializes as `application/x-www-form-urlencoded`.
    pub fn to_form(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.values {
            out.append_pair(k, v);
        }
        out.finish()
    }

    /// The space-separated list in `name`, split (RFC 6749 section 3.3).
    pub fn list(&self, name: &str) -> Vec<String> {
        split_list(self.get(name).unwrap_or_default())
    }
}

/// Splits a space-separated list, dropping empty entries and duplicates.
pub fn split_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in text.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|x| x == item) {
            out.push(item.to_owned());
        }
    }
    out
}

fn truncate(name: &str) -> String {
    name.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_and_secrets_not_printed() {
        assert!(Params::parse("a=1&a=2").is_err());
        let p = Params::parse("grant_type=x&code=supersecret&scope=a+b+a").unwrap();
        assert_eq!(p.list("scope"), ["a", "b"]);
        assert!(!format!("{p:?}").contains("supersecret"));
        assert_eq!(p.get("missing"), None);
        assert!(Params::parse("a=").unwrap().get("a").is_none());
        let r = Params::parse("resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb").unwrap();
        assert_eq!(r.list("resource"), ["https://a", "https://b"]);
    }

    #[test]
    fn ciba_credentials_are_not_printed() {
        let p = Params::parse(
            "user_code=uc-4711&request=eyJ.req.sig&login_hint_token=lht-9&\
             client_notification_token=cnt-8&auth_req_id=arid-7&scope=openid",
        )
        .unwrap();
        let printed = format!("{p:?}");
        for secret in ["uc-4711", "eyJ.req.sig", "lht-9", "cnt-8", "arid-7"] {
            assert!(!printed.contains(secret), "{secret} printed: {printed}");
        }
        assert!(printed.contains("openid"));
    }
}
