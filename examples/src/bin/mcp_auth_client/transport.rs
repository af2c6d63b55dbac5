//! rmcp's streamable HTTP client over reqwest, with the bearer token of an
//! [`McpAuthSession`]: every request carries the session's token (refreshed
//! first when it has expired), and a 401 or a 403 `insufficient_scope` is
//! handed to the session, which decides whether a new token is worth one more
//! attempt.

use agent_auth::mcp_client::{McpAuthSession, RequestAttempt, Retry};
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::common::client_side_sse::BoxedSseResponse;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

type HttpError = StreamableHttpError<reqwest::Error>;

/// rmcp's default limit of one server-sent event.
const MAX_SSE_EVENT_SIZE: usize = 16 * 1024 * 1024;

/// A reqwest client whose requests are authorized by an [`McpAuthSession`].
#[derive(Debug, Clone)]
pub(crate) struct AuthorizedHttp {
    http: reqwest::Client,
    session: Arc<McpAuthSession>,
}

impl AuthorizedHttp {
    pub(crate) fn new(http: reqwest::Client, session: Arc<McpAuthSession>) -> Self {
        Self { http, session }
    }

    async fn bearer(&self) -> Option<String> {
        self.session
            .valid_bearer()
            .await
            .map(|t| t.expose_secret().to_owned())
    }

    /// Sends a request with the session's bearer token, and once more with a
    /// new one when the session says a new token is worth it.
    async fn authorized<T, F, Fut>(&self, mut send: F) -> Result<T, HttpError>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: std::future::Future<Output = Result<T, HttpError>>,
    {
        let mut attempt = RequestAttempt::new();
        loop {
            match send(self.bearer().await).await {
                Err(e) if self.retry(&mut attempt, &e).await? => {}
                other => return other,
            }
        }
    }

    /// Whether to send the request again after `error`.
    async fn retry(
        &self,
        attempt: &mut RequestAttempt,
        error: &HttpError,
    ) -> Result<bool, HttpError> {
        let (status, header) = match error {
            StreamableHttpError::AuthRequired(e) => (401, Some(e.www_authenticate_header.as_str())),
            StreamableHttpError::InsufficientScope(e) => {
                (403, Some(e.www_authenticate_header.as_str()))
            }
            // A 401 without a challenge: rmcp reports it with its status line.
            StreamableHttpError::UnexpectedServerResponse(text) if text.starts_with("HTTP 401") => {
                (401, None)
            }
            _ => return Ok(false),
        };
        match self.session.on_rejection(attempt, status, header).await {
            Ok(Retry::WithNewToken) => Ok(true),
            Ok(_) => Ok(false),
            Err(e) => Err(StreamableHttpError::UnexpectedServerResponse(Cow::Owned(
                format!("authorization failed: {e}"),
            ))),
        }
    }
}

impl StreamableHttpClient for AuthorizedHttp {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            None,
            custom_headers,
            StreamableHttpResponseLimits::default(),
        )
        .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        self.authorized(|bearer| {
            self.http.post_message_with_response_limits(
                Arc::clone(&uri),
                message.clone(),
                session_id.clone(),
                bearer,
                custom_headers.clone(),
                limits,
            )
        })
        .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), HttpError> {
        self.http
            .delete_session(uri, session_id, self.bearer().await, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxedSseResponse, HttpError> {
        self.get_stream_with_max_sse_event_size(
            uri,
            session_id,
            last_event_id,
            auth_header,
            custom_headers,
            MAX_SSE_EVENT_SIZE,
        )
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxedSseResponse, HttpError> {
        self.authorized(|bearer| {
            self.http.get_stream_with_max_sse_event_size(
                Arc::clone(&uri),
                session_id.clone(),
                last_event_id.clone(),
                bearer,
                custom_headers.clone(),
                max_sse_event_size,
            )
        })
        .await
    }
}
