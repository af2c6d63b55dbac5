//! The client address of a request, for login throttling: the connection's
//! peer, or, when the peer is one of the configured trusted proxies
//! ([`AuthorityConfig::trusted_proxies`](crate::AuthorityConfig)), the
//! nearest untrusted address in `X-Forwarded-For`. A client's own
//! `X-Forwarded-For` is never believed, so it cannot pick the address its
//! failures are counted under.

use crate::provider::Authority;
use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use std::net::{IpAddr, SocketAddr};

/// The address; `None` when the router is served without connection info
/// (`into_make_service_with_connect_info`), then only accounts are throttled.
pub(crate) fn client_address(
    authority: &Authority,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let trusted = &authority.config().trusted_proxies;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    // Each proxy appends the address it saw: read from the right, past the
    // trusted ones.
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .iter()
        .rev()
        .map_while(|s| s.parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .or(Some(peer))
}
