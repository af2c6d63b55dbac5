//! An `application/x-www-form-urlencoded` request body whose values are
//! secret types: a form carries codes, secrets and assertions.

use crate::secret::SecretString;
use std::fmt;
use zeroize::Zeroizing;

/// Form parameters in order. `Debug` prints the names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Form(Vec<(String, SecretString)>);

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `name=value`.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), SecretString::new(value)));
    }

    /// Appends `name=value` for a value already held as a secret.
    pub fn push_secret(&mut self, name: impl Into<String>, value: SecretString) {
        self.0.push((name.into(), value));
    }

    /// Builder form of [`push`](Self::push).
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(name, value);
        self
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&SecretString> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The parameters, in order.
    pub fn pairs(&self) -> &[(String, SecretString)] {
        &self.0
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// The urlencoded body, zeroized when dropped.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            body.append_pair(k, v.expose_secret());
        }
        Zeroizing::new(body.finish())
    }
}

impl From<Vec<(String, String)>> for Form {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k, SecretString::new(v)))
                .collect(),
        )
    }
}

impl From<&[(String, SecretString)]> for Form {
    fn from(pairs: &[(String, SecretString)]) -> Self {
        Self(pairs.to_vec())
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Form")
            .field(&self.names().collect::<Vec<_>>())
            .finish()
    }
}
