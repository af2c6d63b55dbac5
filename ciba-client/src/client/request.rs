//! The backchannel authentication request (CIBA Core 1.0 section 7.1).

use crate::details::AuthorizationDetails;
use agent_auth::secret::Token;

/// Who is asked: exactly one hint (CIBA Core 1.0 section 7.1), so the type
/// allows no other combination.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Hint {
    /// `login_hint`: a user name or identifier the OP knows.
    LoginHint(String),
    /// `login_hint` as an RFC 9493 `iss_sub` subject identifier (JSON).
    IssSub {
        /// The issuer of the subject identifier.
        iss: String,
        /// The subject.
        sub: String,
    },
    /// `id_token_hint`: an ID token the OP issued to this client.
    IdTokenHint(Token),
    /// `login_hint_token`: a token naming the user.
    LoginHintToken(Token),
}

/// A request for approval.
#[derive(Debug, Clone)]
pub struct AuthenticationRequest {
    pub(crate) hint: Hint,
    pub(crate) scope: Vec<String>,
    pub(crate) binding_message: Option<String>,
    pub(crate) user_code: Option<agent_auth::secret::SecretString>,
    pub(crate) requested_expiry: Option<u64>,
    pub(crate) acr_values: Vec<String>,
    pub(crate) details: Option<AuthorizationDetails>,
}

impl AuthenticationRequest {
    /// A request for `openid` addressed by `hint`.
    pub fn new(hint: Hint) -> Self {
        Self {
            hint,
            scope: vec!["openid".into()],
            binding_message: None,
            user_code: None,
            requested_expiry: None,
            acr_values: Vec::new(),
            details: None,
        }
    }

    /// Adds scopes (`openid` is always included: CIBA Core 1.0 section 7.1).
    #[must_use]
    pub fn scope(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        for s in scopes {
            let s = s.into();
            if !self.scope.contains(&s) {
                self.scope.push(s);
            }
        }
        self
    }

    /// The message shown on both the agent's and the person's device.
    #[must_use]
    pub fn binding_message(mut self, message: impl Into<String>) -> Self {
        self.binding_message = Some(message.into());
        self
    }

    /// A secret code the person knows (`user_code`).
    #[must_use]
    pub fn user_code(mut self, code: impl Into<String>) -> Self {
        self.user_code = Some(agent_auth::secret::SecretString::new(code.into()));
        self
    }

    /// The lifetime asked for, in seconds (`requested_expiry`).
    #[must_use]
    pub fn requested_expiry(mut self, seconds: u64) -> Self {
        self.requested_expiry = Some(seconds);
        self
    }

    /// Requested authentication context classes.
    #[must_use]
    pub fn acr_values(mut self, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.acr_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// RFC 9396 authorization details, sent as a JSON string.
    #[must_use]
    pub fn authorization_details(mut self, details: AuthorizationDetails) -> Self {
        self.details = Some(details);
        self
    }

    /// The user the hint names, for the audit trail (never a token).
    pub(crate) fn user_label(&self) -> Option<String> {
        match &self.hint {
            Hint::LoginHint(h) => Some(h.clone()),
            Hint::IssSub { sub, .. } => Some(sub.clone()),
            Hint::IdTokenHint(_) | Hint::LoginHintToken(_) => None,
        }
    }

    /// The form parameters (without client authentication or notification token).
    pub(crate) fn to_form(&self) -> Vec<(String, String)> {
        let mut f = vec![("scope".to_owned(), self.scope.join(" "))];
        match &self.hint {
            Hint::LoginHint(h) => f.push(("login_hint".into(), h.clone())),
            Hint::IssSub { iss, sub } => f.push((
                "login_hint".into(),
                serde_json::json!({"format": "iss_sub", "iss": iss, "sub": sub}).to_string(),
            )),
            Hint::IdTokenHint(t) => f.push(("id_token_hint".into(), t.expose_secret().to_owned())),
            Hint::LoginHintToken(t) => {
                f.push(("login_hint_token".into(), t.expose_secret().to_owned()));
            }
        }
        if let Some(m) = &self.binding_message {
            f.push(("binding_message".into(), m.clone()));
        }
        if let Some(c) = &self.user_code {
            f.push(("user_code".into(), c.expose_secret().to_owned()));
        }
        if let Some(e) = self.requested_expiry {
            f.push(("requested_expiry".into(), e.to_string()));
        }
        if !self.acr_values.is_empty() {
            f.push(("acr_values".into(), self.acr_values.join(" ")));
        }
        if let Some(d) = &self.details {
            f.push(("authorization_details".into(), d.to_json_string()));
        }
        f
    }
}
