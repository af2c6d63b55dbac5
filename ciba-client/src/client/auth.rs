//! Client authentication at the backchannel and token endpoints, and the
//! authenticated form POST both share, on the OAuth core of `agent-auth`:
//! [`ClientAuth`] builds the credentials (a `private_key_jwt` assertion
//! included), [`HttpClient`] sends under its policy and [`TokenError`] reads
//! the RFC 6749 section 5.2 error.

use super::{CibaClient, CibaError};
use agent_auth::oauth::{ClientAuth, Form, HttpClient, HttpError, HttpRequest, TokenError};
use serde_json::Value;

/// CIBA Core 1.0 section 7.1: "The Client MUST authenticate to the
/// Backchannel Authentication Endpoint" (and section 10.1 to the token
/// endpoint with the same method), so a public client (`none`) is refused
/// before anything is sent. The assertion of `private_key_jwt` names the OP's
/// issuer as its audience, which section 7.1 makes a valid one.
pub(crate) fn authenticate(
    auth: &ClientAuth,
    form: &mut Form,
    issuer: &str,
    now: i64,
) -> Result<Option<agent_auth::secret::SecretString>, CibaError> {
    if auth.method() == "none" {
        return Err(CibaError::Config(
            "CIBA requires client authentication; a public client (`none`) cannot use it",
        ));
    }
    auth.apply(form, issuer, now).map_err(|e| {
        CibaError::Config(match e {
            agent_auth::oauth::ClientAuthError::Randomness => {
                "client assertion: randomness unavailable"
            }
            _ => "client assertion: signing failed",
        })
    })
}

impl CibaClient {
    /// The HTTP client, or why none could be built.
    fn http(&self, endpoint: &'static str) -> Result<&HttpClient, CibaError> {
        self.inner.http.as_ref().map_err(|e| CibaError::Transport {
            endpoint,
            source: e.clone(),
        })
    }

    /// POSTs `form` with client authentication to `url` and returns the JSON
    /// of a 2xx answer; an OAuth error answer is [`CibaError::Refused`].
    pub(crate) async fn post_form(
        &self,
        url: &str,
        form: Vec<(String, String)>,
        endpoint: &'static str,
    ) -> Result<Value, CibaError> {
        let inner = &self.inner;
        let transport = |source: HttpError| CibaError::Transport { endpoint, source };
        let http = self.http(endpoint)?;
        let mut form = Form::from(form);
        let authorization = authenticate(
            &inner.auth,
            &mut form,
            &inner.endpoints.issuer,
            inner.clock.now(),
        )?;
        let mut request = HttpRequest::post_form(url, &form).map_err(transport)?;
        if let Some(value) = authorization {
            request = request.secret_header("authorization", value);
        }
        let host = request.host();
        let response = http.send(request).await.map_err(transport)?;
        let body = response.json_body();
        let status = response.status();
        if response.is_success() {
            return body.ok_or(CibaError::MalformedResponse("the body is not JSON"));
        }
        match body.and_then(|b| TokenError::from_error_body(status, &b)) {
            Some(TokenError::Refused {
                error, description, ..
            }) => Err(CibaError::Refused {
                code: error,
                description,
            }),
            _ => Err(transport(HttpError::Status { host, status })),
        }
    }
}
