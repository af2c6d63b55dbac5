//! Fetching a client's metadata document: the host's addresses checked
//! first and the connection pinned to them (no second lookup an attacker
//! could answer differently), no redirects, a timeout and a size limit.

use super::{CimdError, CimdPolicy, address};
use std::net::SocketAddr;

/// The document's bytes and its `Cache-Control` header.
pub(super) struct Fetched {
    pub(super) body: Vec<u8>,
    pub(super) cache_control: Option<String>,
}

pub(super) async fn fetch(url: &url::Url, policy: &CimdPolicy) -> Result<Fetched, CimdError> {
    let host = url.host_str().ok_or(CimdError::InvalidUrl("no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or(CimdError::InvalidUrl("no port"))?;
    let lookup_host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> =
        tokio::time::timeout(policy.timeout, tokio::net::lookup_host((lookup_host, port)))
            .await
            .map_err(|_| CimdError::Fetch("name lookup timed out".into()))?
            .map_err(|_| CimdError::Fetch("name lookup failed".into()))?
            .collect();
    if addrs.is_empty() {
        return Err(CimdError::Fetch("the host has no address".into()));
    }
    if addrs.iter().any(|a| !address::allowed(a.ip(), policy)) {
        return Err(CimdError::AddressRefused);
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(policy.timeout)
        .resolve_to_addrs(lookup_host, &addrs)
        .build()
        .map_err(|_| CimdError::Fetch("HTTP client".into()))?;
    let mut response = client
        .get(url.as_str())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| CimdError::Fetch(describe(&e)))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(CimdError::Fetch(format!(
            "status {}",
            response.status().as_u16()
        )));
    }
    if response
        .content_length()
        .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > policy.max_bytes))
    {
        return Err(CimdError::TooLarge);
    }
    let cache_control = response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| CimdError::Fetch(describe(&e)))?
    {
        if body.len().saturating_add(chunk.len()) > policy.max_bytes {
            return Err(CimdError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        body,
        cache_control,
    })
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "request failed".into()
    }
}
