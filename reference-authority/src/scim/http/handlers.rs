//! The routes: discovery, resource type endpoints, resources, `.search`,
//! `/Bulk` and `/Me`, dispatched on the path's segments.

use super::auth::{authorize, refuse};
use super::respond::{self, or_error};
use crate::scim::etag::{self, Condition};
use crate::scim::query::Query;
use crate::scim::render::Projection;
use crate::scim::{Scim, ScimError, ScimType, discovery};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use std::collections::HashMap;

fn params(raw: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn projection(p: &HashMap<String, String>) -> Result<Projection, ScimError> {
    Projection::from_params(
        p.get("attributes").map(String::as_str),
        p.get("excludedAttributes").map(String::as_str),
    )
}

/// Parses a request body: JSON within the payload limit.
fn body(scim: &Scim, bytes: &Bytes) -> Result<Value, ScimError> {
    if bytes.len() > scim.config().max_payload_size {
        return Err(ScimError::status_only(
            413,
            "the request body is larger than maxPayloadSize",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|_| ScimError::bad(ScimType::InvalidSyntax, "the request body is not JSON"))
}

fn condition(
    headers: &HeaderMap,
    name: header::HeaderName,
) -> Result<Option<Condition>, ScimError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| {
                    ScimError::bad(ScimType::InvalidSyntax, "a precondition header is not text")
                })
                .and_then(etag::parse)
        })
        .transpose()
}

fn method_not_allowed() -> ScimError {
    ScimError::status_only(405, "the method is not allowed here")
}

/// `/{first}`.
pub(super) async fn one(
    State(scim): State<Scim>,
    method: Method,
    Path(first): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let caller = match authorize(&scim, &headers) {
        Ok(c) => c,
        Err(r) => return refuse(&scim, r),
    };
    let p = params(raw.as_deref());
    or_error(
        async {
            let base = scim.base_url();
            match (first.as_str(), &method) {
                ("ServiceProviderConfig", &Method::GET) => Ok(respond::json(
                    StatusCode::OK,
                    &discovery::service_provider_config(base, scim.config()),
                )),
                ("ResourceTypes", &Method::GET) => Ok(respond::json(
                    StatusCode::OK,
                    &discovery::list(
                        scim.resource_types()
                            .map(|rt| discovery::resource_type(base, rt))
                            .collect(),
                    ),
                )),
                ("Schemas", &Method::GET) => Ok(respond::json(
                    StatusCode::OK,
                    &discovery::list(
                        schemas(&scim)
                            .into_iter()
                            .map(|s| discovery::schema(base, s))
                            .collect(),
                    ),
                )),
                ("Me", _) => Err(ScimError::not_implemented(
                    "/Me is not supported: callers are OAuth clients",
                )),
                ("Bulk", &Method::POST) => Ok(respond::json(
                    StatusCode::OK,
                    &scim.bulk(&caller, &body(&scim, &bytes)?).await?,
                )),
                (".search", &Method::POST) => {
                    let q = Query::from_search(&body(&scim, &bytes)?)?;
                    Ok(respond::json(StatusCode::OK, &scim.query(None, &q)?))
                }
                (endpoint, &Method::GET) if scim.served(endpoint).is_some() => {
                    let q = Query::from_params(&|n| p.get(n).cloned())?;
                    Ok(respond::json(
                        StatusCode::OK,
                        &scim.query(Some(endpoint), &q)?,
                    ))
                }
                (endpoint, &Method::POST) if scim.served(endpoint).is_some() => {
                    let answer = scim
                        .create(&caller, endpoint, &body(&scim, &bytes)?, &projection(&p)?)
                        .await?;
                    Ok(respond::resource(StatusCode::CREATED, &answer))
                }
                (endpoint, _)
                    if scim.served(endpoint).is_some()
                        || [
                            "ServiceProviderConfig",
                            "ResourceTypes",
                            "Schemas",
                            "Bulk",
                            ".search",
                        ]
                        .contains(&endpoint) =>
                {
                    Err(method_not_allowed())
                }
                _ => Err(ScimError::not_found("no such endpoint")),
            }
        }
        .await,
    )
}

fn schemas(scim: &Scim) -> Vec<&crate::scim::schema::Schema> {
    let mut out: Vec<&crate::scim::schema::Schema> = Vec::new();
    for rt in scim.resource_types() {
        for s in std::iter::once(&rt.schema).chain(rt.extensions.iter().map(|(s, _)| s)) {
            if !out.iter().any(|o| o.id == s.id) {
                out.push(s);
            }
        }
    }
    out
}

/// `/{first}/{second}`.
pub(super) async fn two(
    State(scim): State<Scim>,
    method: Method,
    Path((first, second)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let caller = match authorize(&scim, &headers) {
        Ok(c) => c,
        Err(r) => return refuse(&scim, r),
    };
    let p = params(raw.as_deref());
    or_error(
        async {
            let base = scim.base_url();
            match (first.as_str(), second.as_str(), &method) {
                ("ResourceTypes", id, &Method::GET) => scim
                    .resource_types()
                    .find(|rt| rt.name == id)
                    .map(|rt| respond::json(StatusCode::OK, &discovery::resource_type(base, rt)))
                    .ok_or_else(|| ScimError::not_found("no such resource type")),
                ("Schemas", id, &Method::GET) => schemas(&scim)
                    .into_iter()
                    .find(|s| s.id == id)
                    .map(|s| respond::json(StatusCode::OK, &discovery::schema(base, s)))
                    .ok_or_else(|| ScimError::not_found("no such schema")),
                (endpoint, ".search", &Method::POST) if scim.served(endpoint).is_some() => {
                    let q = Query::from_search(&body(&scim, &bytes)?)?;
                    Ok(respond::json(
                        StatusCode::OK,
                        &scim.query(Some(endpoint), &q)?,
                    ))
                }
                (endpoint, id, m) if scim.served(endpoint).is_some() => {
                    let if_match = condition(&headers, header::IF_MATCH)?;
                    match *m {
                        Method::GET => {
                            let answer = scim.get(endpoint, id, &projection(&p)?)?;
                            // RFC 7644 section 3.14: If-None-Match with the current version is 304.
                            if condition(&headers, header::IF_NONE_MATCH)?
                                .is_some_and(|c| c.matches(answer.version))
                            {
                                let mut r = respond::resource(StatusCode::NOT_MODIFIED, &answer);
                                *r.body_mut() = axum::body::Body::empty();
                                return Ok(r);
                            }
                            Ok(respond::resource(StatusCode::OK, &answer))
                        }
                        Method::PUT => {
                            let answer = scim
                                .replace(
                                    &caller,
                                    endpoint,
                                    id,
                                    &body(&scim, &bytes)?,
                                    if_match.as_ref(),
                                    &projection(&p)?,
                                )
                                .await?;
                            Ok(respond::resource(StatusCode::OK, &answer))
                        }
                        Method::PATCH => {
                            let answer = scim
                                .patch(
                                    &caller,
                                    endpoint,
                                    id,
                                    &body(&scim, &bytes)?,
                                    if_match.as_ref(),
                                    &projection(&p)?,
                                )
                                .await?;
                            Ok(respond::resource(StatusCode::OK, &answer))
                        }
                        Method::DELETE => {
                            scim.delete(&caller, endpoint, id, if_match.as_ref())
                                .await?;
                            Ok(axum::response::IntoResponse::into_response(
                                StatusCode::NO_CONTENT,
                            ))
                        }
                        _ => Err(method_not_allowed()),
                    }
                }
                _ => Err(ScimError::not_found("no such endpoint")),
            }
        }
        .await,
    )
}

/// Anything else under the base path.
pub(super) async fn fallback() -> Response {
    respond::error(&ScimError::not_found("no such endpoint"))
}
