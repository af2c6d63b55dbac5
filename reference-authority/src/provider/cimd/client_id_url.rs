//! The rules for a client id that is a URL (Client ID Metadata Document,
//! draft-ietf-oauth-client-id-metadata-document section 3).

use super::{CimdError, CimdPolicy};

/// Whether `client_id` is meant as a metadata document URL (an `https://`
/// id, or `http://` when local development allows it).
pub fn is_url_client_id(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Checks a URL client id (section 3): an `https` URL (`http` only on a
/// loopback host in local development) with a path, without fragment, user
/// information or dot segments, written in normal form (so that two
/// spellings cannot name one client).
pub fn check_client_id_url(client_id: &str, policy: &CimdPolicy) -> Result<url::Url, CimdError> {
    let url = url::Url::parse(client_id).map_err(|_| CimdError::InvalidUrl("not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http_loopback && is_loopback_host(&url) => {}
        "http" => return Err(CimdError::InvalidUrl("the scheme must be https")),
        _ => return Err(CimdError::InvalidUrl("the scheme must be https")),
    }
    if url.host().is_none() {
        return Err(CimdError::InvalidUrl("no host"));
    }
    if url.fragment().is_some() {
        return Err(CimdError::InvalidUrl("a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CimdError::InvalidUrl("user information"));
    }
    if url.path() == "/" {
        return Err(CimdError::InvalidUrl("no path"));
    }
    // The parser removes dot segments and normalizes case and escapes: an id
    // that changes in the process had them.
    if url.as_str() != client_id {
        return Err(CimdError::InvalidUrl(
            "not in normal form (dot segments, case, escapes)",
        ));
    }
    Ok(url)
}

/// Checks a document's `jwks_uri` by the same rules as the client id: the
/// keys come from where the document may come from.
pub(super) fn check_jwks_uri(uri: &str, policy: &CimdPolicy) -> Result<url::Url, CimdError> {
    check_client_id_url(uri, policy).map_err(|e| match e {
        CimdError::InvalidUrl(reason) => CimdError::InvalidJwksUri(reason),
        other => other,
    })
}

pub(super) fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_an_https_url_with_a_path() {
        let p = CimdPolicy::new();
        assert!(check_client_id_url("https://app.example/client.json", &p).is_ok());
        assert!(check_client_id_url("https://app.example:8443/c?v=1", &p).is_ok());
    }

    #[test]
    fn refuses_what_section_3_forbids() {
        let p = CimdPolicy::new();
        for bad in [
            "http://app.example/client.json",
            "http://127.0.0.1:9/client.json",
            "https://app.example",
            "https://app.example/",
            "https://app.example/client.json#x",
            "https://user:pw@app.example/client.json",
            "https://app.example/a/../client.json",
            "https://app.example/./client.json",
            "https://APP.example/client.json",
            "ftp://app.example/client.json",
            "not a url",
        ] {
            assert!(check_client_id_url(bad, &p).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_development_allows_http_on_loopback_only() {
        let p = CimdPolicy::new().local_development();
        assert!(check_client_id_url("http://127.0.0.1:9/client.json", &p).is_ok());
        assert!(check_client_id_url("http://localhost:9/client.json", &p).is_ok());
        assert!(check_client_id_url("http://app.example/client.json", &p).is_err());
    }
}
