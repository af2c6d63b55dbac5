//! [`FgaBackend`] over an OpenFGA server's HTTP API.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::wire;
use crate::Error;
use crate::backend::FgaBackend;
use crate::engine::{
    BatchCheckItem, BatchCheckResult, CheckRequest, ListObjectsRequest, ListObjectsResponse,
    ListUsersRequest,
};
use crate::model::AuthorizationModel;
use crate::store::ReadFilter;
use crate::tuple::TupleKey;

/// How the client authenticates to the server.
#[derive(Clone, Default)]
pub enum Credentials {
    /// No authentication.
    #[default]
    None,
    /// A preshared API token sent as a bearer token.
    ApiToken(String),
    /// OAuth 2.0 client credentials, exchanged at `token_url` for a bearer token.
    ClientCredentials {
        /// The token endpoint.
        token_url: String,
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: String,
        /// The API audience, when the issuer needs one.
        audience: Option<String>,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::ApiToken(_) => f.write_str("ApiToken([redacted])"),
            Self::ClientCredentials {
                token_url,
                client_id,
                ..
            } => f
                .debug_struct("ClientCredentials")
                .field("token_url", token_url)
                .field("client_id", client_id)
                .field("client_secret", &"[redacted]")
                .finish(),
        }
    }
}

struct CachedToken {
    token: String,
    expires: Instant,
}

/// An OpenFGA HTTP API client for one store (and optionally one model).
pub struct OpenFgaClient {
    http: reqwest::Client,
    base_url: String,
    store_id: String,
    model_id: Option<String>,
    credentials: Credentials,
    token: Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for OpenFgaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenFgaClient")
            .field("base_url", &self.base_url)
            .field("store_id", &self.store_id)
            .field("model_id", &self.model_id)
            .field("credentials", &self.credentials)
            .finish()
    }
}

fn transport(e: reqwest::Error) -> Error {
    Error::Backend(format!("http: {e}"))
}

impl OpenFgaClient {
    /// A client for `store_id` at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str, store_id: &str, credentials: Credentials) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            store_id: store_id.to_owned(),
            model_id: None,
            credentials,
            token: Mutex::new(None),
        }
    }

    /// Pins every call to one authorization model id.
    pub fn with_model_id(mut self, model_id: impl Into<String>) -> Self {
        self.model_id = Some(model_id.into());
        self
    }

    /// Creates a store on the server; returns its id.
    pub async fn create_store(
        base_url: &str,
        name: &str,
        credentials: Credentials,
    ) -> Result<String, Error> {
        let client = Self::new(base_url, "", credentials);
        let store: wire::StoreBody = client
            .send("/stores", &wire::CreateStoreBody { name: name.into() })
            .await?;
        Ok(store.id)
    }

    async fn bearer(&self) -> Result<Option<String>, Error> {
        match &self.credentials {
            Credentials::None => Ok(None),
            Credentials::ApiToken(t) => Ok(Some(t.clone())),
            Credentials::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                audience,
            } => {
                if let Ok(guard) = self.token.lock()
                    && let Some(cached) = guard.as_ref()
                    && cached.expires > Instant::now()
                {
                    return Ok(Some(cached.token.clone()));
                }
                let mut form = vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.as_str()),
                ];
                if let Some(a) = audience {
                    form.push(("audience", a.as_str()));
                }
                let response = self
                    .http
                    .post(token_url)
                    .form(&form)
                    .send()
                    .await
                    .map_err(transport)?;
                if !response.status().is_success() {
                    return Err(Error::Backend(format!(
                        "token endpoint answered {}",
                        response.status()
                    )));
                }
                let body: serde_json::Value = response.json().await.map_err(transport)?;
                let token = body
                    .get("access_token")
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| Error::Backend("token response without access_token".into()))?
                    .to_owned();
                let lifetime = body
                    .get("expires_in")
                    .and_then(|e| e.as_u64())
                    .unwrap_or(300);
                if let Ok(mut guard) = self.token.lock() {
                    *guard = Some(CachedToken {
                        token: token.clone(),
                        expires: Instant::now() + Duration::from_secs(lifetime.saturating_sub(30)),
                    });
                }
                Ok(Some(token))
            }
        }
    }

    async fn send<B: Serialize + Sync, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, Error> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(body);
        if let Some(token) = self.bearer().await? {
            request = request.bearer_auth(token);
        }
        Self::decode(request.send().await.map_err(transport)?).await
    }

    async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, Error> {
        let mut request = self.http.get(format!("{}{path}", self.base_url));
        if let Some(token) = self.bearer().await? {
            request = request.bearer_auth(token);
        }
        Self::decode(request.send().await.map_err(transport)?).await
    }

    async fn decode<R: DeserializeOwned>(response: reqwest::Response) -> Result<R, Error> {
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            let body: wire::ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(match body.numeric_code() {
                Some(code) => Error::Remote {
                    code,
                    message: body.message,
                },
                None => Error::Backend(format!("server answered {status}: {}", body.message)),
            });
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Backend(format!("bad response body: {e}")))
    }

    fn path(&self, tail: &str) -> String {
        format!("/stores/{}/{tail}", self.store_id)
    }
}

fn contextual(tuples: Vec<TupleKey>) -> Option<wire::TupleKeys> {
    (!tuples.is_empty()).then_some(wire::TupleKeys { tuple_keys: tuples })
}

#[async_trait]
impl FgaBackend for OpenFgaClient {
    #[tracing::instrument(
        name = "fga.check",
        level = "debug",
        skip_all,
        fields(object = %request.object, relation = %request.relation, user = %request.user),
        ret,
        err
    )]
    async fn check(&self, request: CheckRequest) -> Result<bool, Error> {
        let body = wire::CheckBody {
            tuple_key: wire::PlainKey {
                user: request.user,
                relation: request.relation,
                object: request.object,
            },
            contextual_tuples: contextual(request.contextual_tuples),
            context: request.context,
            authorization_model_id: self.model_id.clone(),
        };
        let response: wire::CheckResponse = self.send(&self.path("check"), &body).await?;
        Ok(response.allowed)
    }

    async fn batch_check(
        &self,
        items: Vec<BatchCheckItem>,
    ) -> Result<Vec<BatchCheckResult>, Error> {
        let ids: Vec<String> = items.iter().map(|i| i.correlation_id.clone()).collect();
        let body = wire::BatchCheckBody {
            checks: items
                .into_iter()
                .map(|i| wire::BatchCheckItemBody {
                    tuple_key: wire::PlainKey {
                        user: i.request.user,
                        relation: i.request.relation,
                        object: i.request.object,
                    },
                    contextual_tuples: contextual(i.request.contextual_tuples),
                    context: i.request.context,
                    correlation_id: i.correlation_id,
                })
                .collect(),
            authorization_model_id: self.model_id.clone(),
        };
        let mut response: wire::BatchCheckResponse =
            self.send(&self.path("batch-check"), &body).await?;
        Ok(ids
            .into_iter()
            .map(|id| {
                let result = match response.result.remove(&id) {
                    Some(wire::BatchCheckSingle { error: Some(e), .. }) => Err(Error::Remote {
                        code: e.numeric_code().unwrap_or(4000),
                        message: e.message,
                    }),
                    Some(single) => Ok(single.allowed),
                    None => Err(Error::Backend(format!("no result for correlation id {id}"))),
                };
                BatchCheckResult {
                    correlation_id: id,
                    result,
                }
            })
            .collect())
    }

    async fn list_objects(
        &self,
        request: ListObjectsRequest,
    ) -> Result<ListObjectsResponse, Error> {
        let body = wire::ListObjectsBody {
            object_type: request.object_type,
            relation: request.relation,
            user: request.user,
            contextual_tuples: contextual(request.contextual_tuples),
            context: request.context,
            authorization_model_id: self.model_id.clone(),
        };
        let response: wire::ListObjectsResponse =
            self.send(&self.path("list-objects"), &body).await?;
        let mut objects = response.objects;
        objects.sort();
        let mut truncated = false;
        if let Some(limit) = request.limit
            && objects.len() > limit
        {
            objects.truncate(limit);
            truncated = true;
        }
        Ok(ListObjectsResponse { objects, truncated })
    }

    async fn list_users(&self, request: ListUsersRequest) -> Result<Vec<String>, Error> {
        let (t, id) = request
            .object
            .split_once(':')
            .ok_or_else(|| Error::Validation(format!("invalid object '{}'", request.object)))?;
        let body = wire::ListUsersBody {
            object: wire::ObjectBody {
                type_name: t.into(),
                id: id.into(),
            },
            relation: request.relation,
            user_filters: request
                .user_filters
                .iter()
                .map(|f| match f.split_once('#') {
                    Some((t, r)) => wire::UserFilterBody {
                        type_name: t.into(),
                        relation: Some(r.into()),
                    },
                    None => wire::UserFilterBody {
                        type_name: f.clone(),
                        relation: None,
                    },
                })
                .collect(),
            contextual_tuples: request.contextual_tuples,
            context: request.context,
            authorization_model_id: self.model_id.clone(),
        };
        let response: wire::ListUsersResponse = self.send(&self.path("list-users"), &body).await?;
        let mut users: Vec<String> = response
            .users
            .iter()
            .map(wire::UserBody::to_user_string)
            .collect();
        users.sort();
        Ok(users)
    }

    async fn read(&self, filter: ReadFilter) -> Result<Vec<TupleKey>, Error> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let key =
                (filter.object.is_some() || filter.relation.is_some() || filter.user.is_some())
                    .then(|| wire::PlainKey {
                        user: filter.user.clone().unwrap_or_default(),
                        relation: filter.relation.clone().unwrap_or_default(),
                        object: filter.object.clone().unwrap_or_default(),
                    });
            let body = wire::ReadBody {
                tuple_key: key,
                page_size: Some(100),
                continuation_token: token.take(),
            };
            let response: wire::ReadResponse = self.send(&self.path("read"), &body).await?;
            out.extend(response.tuples.into_iter().map(|t| t.key));
            if response.continuation_token.is_empty() {
                return Ok(out);
            }
            token = Some(response.continuation_token);
        }
    }

    async fn write(&self, writes: Vec<TupleKey>, deletes: Vec<TupleKey>) -> Result<(), Error> {
        let body = wire::WriteBody {
            writes: contextual(writes),
            deletes: contextual(deletes),
            authorization_model_id: self.model_id.clone(),
        };
        let _: serde_json::Value = self.send(&self.path("write"), &body).await?;
        Ok(())
    }

    async fn write_model(&self, model: AuthorizationModel) -> Result<String, Error> {
        let response: wire::WriteModelResponse = self
            .send(&self.path("authorization-models"), &model)
            .await?;
        Ok(response.authorization_model_id)
    }

    async fn read_model(&self) -> Result<AuthorizationModel, Error> {
        match &self.model_id {
            Some(id) => {
                let response: wire::ReadModelResponse = self
                    .get(&self.path(&format!("authorization-models/{id}")))
                    .await?;
                Ok(response.authorization_model)
            }
            None => {
                let response: wire::ReadModelsResponse =
                    self.get(&self.path("authorization-models")).await?;
                response
                    .authorization_models
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::Remote {
                        code: 2001,
                        message: "the store has no authorization model".into(),
                    })
            }
        }
    }
}
