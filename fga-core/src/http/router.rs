//! An OpenFGA-compatible HTTP API (the v1 JSON endpoints) over embedded engines, one per
//! store. Calls always use the store's latest model; `authorization_model_id` in a body
//! is accepted and not used for selection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::wire;
use crate::Error;
use crate::engine::{BatchCheckItem, CheckRequest, Engine, ListObjectsRequest, ListUsersRequest};
use crate::model::AuthorizationModel;
use crate::store::ReadFilter;

#[derive(Debug, Default)]
struct StoreState {
    name: String,
    models: Vec<AuthorizationModel>,
    engine: Option<Engine>,
}

/// The stores served by the router.
#[derive(Debug, Default)]
pub struct Stores {
    stores: RwLock<HashMap<String, StoreState>>,
    counter: AtomicU64,
}

impl Stores {
    fn next_id(&self) -> String {
        format!("{:026}", self.counter.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

/// An error response in OpenFGA's shape.
struct ApiError(StatusCode, wire::ErrorBody);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match e {
            Error::Backend(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::DepthExceeded => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, wire::ErrorBody::from_error(&e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

fn not_found(what: &str) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        wire::ErrorBody {
            code: serde_json::Value::String("not_found".into()),
            message: format!("{what} not found"),
        },
    )
}

fn poisoned() -> ApiError {
    ApiError::from(Error::Backend("store lock poisoned".into()))
}

type Shared = Arc<Stores>;
type ApiResult<T> = Result<Json<T>, ApiError>;

/// The router: `POST /stores`, and under `/stores/{store_id}`: `authorization-models`
/// (POST, GET, GET `/{id}`), `write`, `read`, `check`, `batch-check`, `list-objects`,
/// `list-users`.
pub fn router(stores: Shared) -> Router {
    Router::new()
        .route("/stores", post(create_store))
        .route(
            "/stores/{store_id}/authorization-models",
            post(write_model).get(read_models),
        )
        .route(
            "/stores/{store_id}/authorization-models/{model_id}",
            get(read_model),
        )
        .route("/stores/{store_id}/write", post(write))
        .route("/stores/{store_id}/read", post(read))
        .route("/stores/{store_id}/check", post(check))
        .route("/stores/{store_id}/batch-check", post(batch_check))
        .route("/stores/{store_id}/list-objects", post(list_objects))
        .route("/stores/{store_id}/list-users", post(list_users))
        .with_state(stores)
}

async fn create_store(
    State(s): State<Shared>,
    Json(body): Json<wire::CreateStoreBody>,
) -> ApiResult<wire::StoreBody> {
    let id = s.next_id();
    let mut stores = s.stores.write().map_err(|_| poisoned())?;
    stores.insert(
        id.clone(),
        StoreState {
            name: body.name.clone(),
            ..StoreState::default()
        },
    );
    Ok(Json(wire::StoreBody {
        id,
        name: body.name,
    }))
}

async fn write_model(
    State(s): State<Shared>,
    Path(store_id): Path<String>,
    Json(mut model): Json<AuthorizationModel>,
) -> ApiResult<wire::WriteModelResponse> {
    let id = s.next_id();
    model.id = id.clone();
    let mut stores = s.stores.write().map_err(|_| poisoned())?;
    let store = stores
        .get_mut(&store_id)
        .ok_or_else(|| not_found("store"))?;
    match store.engine.as_mut() {
        Some(engine) => engine.set_model(model.clone())?,
        None => store.engine = Some(Engine::new(model.clone())?),
    }
    store.models.push(model);
    Ok(Json(wire::WriteModelResponse {
        authorization_model_id: id,
    }))
}

async fn read_models(
    State(s): State<Shared>,
    Path(store_id): Path<String>,
) -> ApiResult<wire::ReadModelsResponse> {
    let stores = s.stores.read().map_err(|_| poisoned())?;
    let store = stores.get(&store_id).ok_or_else(|| not_found("store"))?;
    let _ = &store.name;
    Ok(Json(wire::ReadModelsResponse {
        authorization_models: store.models.iter().rev().cloned().collect(),
    }))
}

async fn read_model(
    State(s): State<Shared>,
    Path((store_id, model_id)): Path<(String, String)>,
) -> ApiResult<wire::ReadModelResponse> {
    let stores = s.stores.read().map_err(|_| poisoned())?;
    let store = stores.get(&store_id).ok_or_else(|| not_found("store"))?;
    let model = store
        .models
        .iter()
        .find(|m| m.id == model_id)
        .ok_or_else(|| not_found("authorization model"))?;
    Ok(Json(wire::ReadModelResponse {
        authorization_model: model.clone(),
    }))
}

fn with_engine<T>(
    s: &Stores,
    store_id: &str,
    f: impl FnOnce(&Engine) -> Result<T, Error>,
) -> Result<T, ApiError> {
    let stores = s.stores.read().map_err(|_| poisoned())?;
    let store = stores.get(store_id).ok_or_else(|| not_found("store"))?;
    let engine = store
        .engine
        .as_ref()
        .ok_or_else(|| not_found("authorization model"))?;
    Ok(f(engine)?)
}

async fn write(
    State(s): State<Shared>,
    Path(store_id): Path<String>,
    Json(body): Json<wire::WriteBody>,
) -> ApiResult<serde_json::Value> {
    let mut stores = s.stores.write().map_err(|_| poisoned())?;
    let store = stores
        .get_mut(&store_id)
        .ok_or_else(|| not_found("store"))?;
    let engine = store
        .engine
        .as_mut()
        .ok_or_else(|| not_found("authorization model"))?;
    let writes = body.writes.map(|w| w.tuple_keys).unwrap_or_default();
    let deletes = body.deletes.map(|d| d.tuple_keys).unwrap_or_default();
    engine.write(&writes, &deletes)?;
    Ok(Json(serde_json::json!({})))
}

async fn read(
    State(s): State<Shared>,
    Path(store_id): Path<String>,
    Json(body): Json<wire::ReadBody>,
) -> ApiResult<wire::ReadResponse> {
    let filter = body
        .tuple_key
        .map_or_else(ReadFilter::default, |k| ReadFilter {
            object: (!k.object.is_empty()).then_some(k.object),
            relation: (!k.relation.is_empty()).then_some(k.relation),
            user: (!k.user.is_empty()).then_some(k.user),
        });
    let tuples = with_engine(&s, &store_id, |e| Ok(e.read(&filter)))?;
    Ok(Json(wire::ReadResponse {
        tuples: tuples
            .into_iter()
            .map(|key| wire::ReadTuple {
                key,
                timestamp: None,
            })
            .collect(),
        continuation_token: String::new(),
    }))
}

async fn check(
    State(s): State<Shared>,
    Path(store_id): Path<String>,
    Json(body): Json<wire::CheckBody>,
) -> ApiResult<wire::CheckResponse> {
    let request = CheckRequest {
        object: body.tuple_key.object,
        relation: body.tuple_key.relation,
        user: body.tuple_key.user,
        contextual_tuples: body
            .contextual_tuples
            .map(|c| c.tuple_keys)
            .unwrap_or_default(),
        context: body.context,
    };
    let allowed = with_engine(&s, &store_id, |e| e.check(&request))?;
    Ok(Json(wire::CheckResponse { allowed }))
}

async fn batch_check(
    State(s): State<Shared>,
    Path(store_id): Path<String>,
    Json(body): Json<wire::BatchCheckBody>,
) -> ApiResult<wire::BatchCheckResponse> {
    let items: Vec<BatchCheckItem> = body
        .checks
        .into_iter()
        .map(|c| BatchCheckItem {
            correlation_id: c.correlation_id,
            request: CheckRequest {
                object: c.tuple_key.object,
                relation: c.tuple_key.relation,
                user: c.tuple_key.user,
                contextual_tuples: c
                    .contextual_tuples
                    .map(|t| t.tuple_keys)
                    .unwrap_or_default(),
                context: c.context,
            },
        })
        .collect();
    let results = with_engine(&s, &store_id, |e| Ok(e.batch_check(&items)))?;
    Ok(Json(wire::BatchCheckResponse {
        result: results
            .into_iter()
            .map(|r| {
                let single = match r.result {
                    Ok(allowed) => wire::BatchCheckSingle {
                        allowed,
                        error: None,
                    },
                    Err(e) => wire::BatchCheckSingle {
                        allowed: false,
                        error: Some(wire::ErrorBody::from_error(&e)),
                    },
                };
                (r.correlation_id, single)
            })
            .collect(),
    }))
}

async fn list_objects(
    State(s): State<Shared>,
    Path(store_id): Path<String>,
    Json(body): Json<wire::ListObjectsBody>,
) -> ApiResult<wire::ListObjectsResponse> {
    let request = ListObjectsRequest {
        object_type: body.object_type,
        relation: body.relation,
        user: body.user,
        contextual_tuples: body
            .contextual_tuples
            .map(|c| c.tuple_keys)
            .unwrap_or_default(),
        context: body.context,
        limit: None,
    };
    let response = with_engine(&s, &store_id, |e| e.list_objects(&request))?;
    Ok(Json(wire::ListObjectsResponse {
        objects: response.objects,
    }))
}

async fn list_users(
    State(s): State<Shared>,
    Path(store_id): Path<String>,
    Json(body): Json<wire::ListUsersBody>,
) -> ApiResult<wire::ListUsersResponse> {
    let request = ListUsersRequest {
        object: format!("{}:{}", body.object.type_name, body.object.id),
        relation: body.relation,
        user_filters: body
            .user_filters
            .into_iter()
            .map(|f| match f.relation {
                Some(r) => format!("{}#{r}", f.type_name),
                None => f.type_name,
            })
            .collect(),
        contextual_tuples: body.contextual_tuples,
        context: body.context,
    };
    let users = with_engine(&s, &store_id, |e| e.list_users(&request))?;
    Ok(Json(wire::ListUsersResponse {
        users: users
            .iter()
            .map(|u| wire::UserBody::from_user_string(u))
            .collect(),
    }))
}
