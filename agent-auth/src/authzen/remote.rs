//! [`RemotePdp`]: a PDP over HTTP, through the OAuth core's [`HttpClient`]
//! (its URL rule, timeout, body cap and redirect refusal apply).

use super::decision::Decision;
use super::decision_point::{DecisionPoint, PdpError};
use super::evaluation::{EvaluationRequest, EvaluationsRequest, EvaluationsResponse};
use super::metadata::{PdpMetadata, paths};
use crate::oauth::{HttpClient, HttpError, HttpRequest, HttpResponse};
use crate::secret::SecretString;
use std::fmt;
use std::sync::Arc;

/// Where a [`RemotePdp`] gets the bearer token it presents (for example an
/// access token from a client credentials grant, refreshed by the caller).
#[async_trait::async_trait]
pub trait BearerSource: Send + Sync {
    /// The current token.
    async fn bearer(&self) -> Result<SecretString, PdpError>;
}

#[async_trait::async_trait]
impl BearerSource for SecretString {
    async fn bearer(&self) -> Result<SecretString, PdpError> {
        Ok(self.clone())
    }
}

/// A PDP reached over HTTP (AuthZEN 1.0 section 10: JSON over HTTPS; plain
/// HTTP on loopback only, as the OAuth core allows).
///
/// ```
/// use agent_auth::authzen::RemotePdp;
/// use agent_auth::oauth::HttpClient;
/// use agent_auth::secret::SecretString;
///
/// let pdp = RemotePdp::new(HttpClient::new()?, "https://pdp.example")
///     .bearer(SecretString::new("access-token-of-the-pep"));
/// assert!(!format!("{pdp:?}").contains("access-token"));
/// # Ok::<(), agent_auth::oauth::HttpError>(())
/// ```
#[derive(Clone)]
pub struct RemotePdp {
    http: HttpClient,
    metadata: PdpMetadata,
    bearer: Option<Arc<dyn BearerSource>>,
}

impl fmt::Debug for RemotePdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemotePdp")
            .field("pdp", &self.metadata.policy_decision_point)
            .field("authenticated", &self.bearer.is_some())
            .finish_non_exhaustive()
    }
}

impl RemotePdp {
    /// A PDP serving the APIs at their default paths under `base`.
    pub fn new(http: HttpClient, base: &str) -> Self {
        Self::from_metadata(http, PdpMetadata::for_base(base))
    }

    /// A PDP at the endpoints of `metadata`.
    pub fn from_metadata(http: HttpClient, metadata: PdpMetadata) -> Self {
        Self {
            http,
            metadata,
            bearer: None,
        }
    }

    /// Reads the PDP's metadata (AuthZEN 1.0 section 9.2); its
    /// `policy_decision_point` must equal `base` (section 9.3), so that a
    /// document served elsewhere cannot redirect the PEP's questions.
    pub async fn discover(http: HttpClient, base: &str) -> Result<Self, PdpError> {
        let url = well_known(base)?;
        let request = HttpRequest::get(&url, "application/json").map_err(unavailable)?;
        let response = http.send(request).await.map_err(unavailable)?;
        let metadata: PdpMetadata = json(&response)?;
        if metadata.policy_decision_point.trim_end_matches('/') != base.trim_end_matches('/') {
            return Err(PdpError::InvalidResponse(
                "policy_decision_point differs from the PDP's URL".into(),
            ));
        }
        Ok(Self::from_metadata(http, metadata))
    }

    /// Presents `token` as a bearer token on every call.
    #[must_use]
    pub fn bearer(self, token: SecretString) -> Self {
        self.bearer_source(Arc::new(token))
    }

    /// Asks `source` for the bearer token before every call.
    #[must_use]
    pub fn bearer_source(mut self, source: Arc<dyn BearerSource>) -> Self {
        self.bearer = Some(source);
        self
    }

    /// The metadata in use.
    pub fn metadata(&self) -> &PdpMetadata {
        &self.metadata
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: serde_json::Value,
    ) -> Result<T, PdpError> {
        let mut request = HttpRequest::post_json(url, &body).map_err(unavailable)?;
        if let Some(source) = &self.bearer {
            let token = source.bearer().await?;
            request = request.secret_header(
                "authorization",
                SecretString::new(format!("Bearer {}", token.expose_secret())),
            );
        }
        let response = self.http.send(request).await.map_err(unavailable)?;
        json(&response)
    }
}

fn well_known(base: &str) -> Result<String, PdpError> {
    let url = url::Url::parse(base)
        .map_err(|_| PdpError::Unavailable("the PDP's URL is not a URL".into()))?;
    let path = url.path().trim_end_matches('/');
    let mut origin = url.origin().ascii_serialization();
    origin.push_str(paths::METADATA);
    origin.push_str(path);
    Ok(origin)
}

fn unavailable(e: HttpError) -> PdpError {
    PdpError::Unavailable(e.to_string())
}

fn json<T: serde::de::DeserializeOwned>(response: &HttpResponse) -> Result<T, PdpError> {
    if !response.is_success() {
        return Err(PdpError::Refused {
            status: response.status(),
        });
    }
    serde_json::from_slice(response.body())
        .map_err(|e| PdpError::InvalidResponse(format!("not an AuthZEN response ({e})")))
}

#[async_trait::async_trait]
impl DecisionPoint for RemotePdp {
    async fn evaluate(&self, request: &EvaluationRequest) -> Result<Decision, PdpError> {
        let body = serde_json::to_value(request).map_err(|e| PdpError::Internal(e.to_string()))?;
        self.post(&self.metadata.access_evaluation_endpoint, body)
            .await
    }

    async fn evaluations(
        &self,
        request: &EvaluationsRequest,
    ) -> Result<EvaluationsResponse, PdpError> {
        let Some(url) = &self.metadata.access_evaluations_endpoint else {
            // COAZ-MCP "Mapping Envelopes": without the batch API, one
            // evaluation per entry, defaults applied as the API defines.
            let mut evaluations = Vec::new();
            for (i, item) in request.evaluations.iter().enumerate() {
                let decision = self.evaluate(&request.resolve(item, i)?).await?;
                let stop = request.semantic.stops_after(decision.decision);
                evaluations.push(decision);
                if stop {
                    break;
                }
            }
            return Ok(EvaluationsResponse { evaluations });
        };
        let body = serde_json::to_value(request).map_err(|e| PdpError::Internal(e.to_string()))?;
        let response: EvaluationsResponse = self.post(url, body).await?;
        if response.evaluations.len() > request.evaluations.len()
            || (request.semantic == super::Semantic::ExecuteAll
                && response.evaluations.len() != request.evaluations.len())
        {
            return Err(PdpError::InvalidResponse(
                "the number of decisions does not match the request".into(),
            ));
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::authzen::{Action, EvaluationItem, Resource, Subject};

    fn answering(status: u16, body: serde_json::Value) -> HttpClient {
        HttpClient::with_transport(move |_req: HttpRequest| {
            let response = HttpResponse::json(status, &body);
            async move { Ok(response) }
        })
    }

    fn question() -> EvaluationRequest {
        EvaluationRequest::new(
            Subject::new("user", "alice"),
            Action::new("read"),
            Resource::new("doc", "1"),
        )
    }

    #[tokio::test]
    async fn an_answer_without_a_boolean_decision_is_invalid() {
        for body in [
            serde_json::json!({"decision": "yes"}),
            serde_json::json!({"allowed": true}),
        ] {
            let pdp = RemotePdp::new(answering(200, body), "https://pdp.example");
            assert!(matches!(
                pdp.evaluate(&question()).await,
                Err(PdpError::InvalidResponse(_))
            ));
        }
        let refused = RemotePdp::new(answering(403, serde_json::json!({})), "https://pdp.example");
        assert_eq!(
            refused.evaluate(&question()).await,
            Err(PdpError::Refused { status: 403 })
        );
    }

    #[tokio::test]
    async fn a_batch_answer_of_another_length_is_invalid() {
        let request = EvaluationsRequest {
            subject: Some(Subject::new("user", "alice")),
            action: Some(Action::new("read")),
            evaluations: vec![
                EvaluationItem {
                    resource: Some(Resource::new("doc", "1")),
                    ..EvaluationItem::default()
                };
                2
            ],
            ..EvaluationsRequest::default()
        };
        let one = serde_json::json!({"evaluations": [{"decision": true}]});
        let pdp = RemotePdp::new(answering(200, one), "https://pdp.example");
        assert!(matches!(
            pdp.evaluations(&request).await,
            Err(PdpError::InvalidResponse(_))
        ));
    }

    #[tokio::test]
    async fn discovery_refuses_metadata_that_names_another_pdp() {
        let elsewhere =
            serde_json::to_value(PdpMetadata::for_base("https://evil.example")).unwrap();
        let err = RemotePdp::discover(answering(200, elsewhere), "https://pdp.example")
            .await
            .unwrap_err();
        assert!(matches!(err, PdpError::InvalidResponse(_)), "{err}");
    }

    #[tokio::test]
    async fn the_bearer_token_is_sent_and_never_printed() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        let record = seen.clone();
        let http = HttpClient::with_transport(move |req: HttpRequest| {
            let auth = req
                .header_value("authorization")
                .map(|v| v.expose_secret().to_owned());
            *record.lock().unwrap() = auth;
            async move {
                Ok(HttpResponse::json(
                    200,
                    &serde_json::json!({"decision": true}),
                ))
            }
        });
        let pdp = RemotePdp::new(http, "https://pdp.example").bearer(SecretString::new("tok-123"));
        assert!(pdp.evaluate(&question()).await.unwrap().decision);
        assert_eq!(seen.lock().unwrap().as_deref(), Some("Bearer tok-123"));
        assert!(!format!("{pdp:?}").contains("tok-123"));
    }

    #[test]
    fn the_well_known_path_goes_before_the_pdp_path() {
        assert_eq!(
            well_known("https://pdp.example").unwrap(),
            "https://pdp.example/.well-known/authzen-configuration"
        );
        assert_eq!(
            well_known("https://pdp.example/tenant1").unwrap(),
            "https://pdp.example/.well-known/authzen-configuration/tenant1"
        );
    }
}
