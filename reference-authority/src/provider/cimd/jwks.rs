//! The keys of a `private_key_jwt` client whose document gives `jwks_uri`:
//! fetched under the document's own rules (URL checks, pinned public
//! addresses, no redirects, size and time limits, `Cache-Control`), and
//! fetched again, once per cooldown, when an assertion names a `kid` they
//! lack (the client rotated its keys; RFC 7517 section 4.5, RFC 7523
//! section 3 item 9).

use super::{CimdError, CimdPolicy, fetch, freshness};
use agent_auth::jose::base64url;
use agent_auth::validate::StaticKeys;
use serde_json::Value;

/// Least time between two refetches of one client's keys for an unknown
/// `kid`, so that assertions with made-up `kid`s cannot drive fetches.
pub(super) const KID_REFETCH_COOLDOWN_SECS: i64 = 30;

/// A fetched JWK Set and how long it stays fresh.
pub(super) struct FetchedKeys {
    pub(super) jwks: String,
    pub(super) fresh_for: i64,
}

/// Fetches and checks the JWK Set at `uri`.
pub(super) async fn fetch_keys(
    uri: &url::Url,
    policy: &CimdPolicy,
) -> Result<FetchedKeys, CimdError> {
    let fetched = fetch::fetch(uri, policy).await?;
    let not_a_set = || CimdError::InvalidDocument("`jwks_uri` does not serve a JWK Set");
    StaticKeys::from_jwks(&fetched.body).map_err(|_| not_a_set())?;
    let jwks = String::from_utf8(fetched.body).map_err(|_| not_a_set())?;
    Ok(FetchedKeys {
        jwks,
        fresh_for: freshness(fetched.cache_control.as_deref(), policy.max_cache_secs),
    })
}

/// The `kid` of a compact JWS's protected header, unverified.
pub(super) fn assertion_kid(assertion: &str) -> Option<String> {
    let header = assertion.split('.').next()?;
    let bytes = base64url::decode(header)?;
    match serde_json::from_slice::<Value>(&bytes).ok()?.get("kid")? {
        Value::String(kid) => Some(kid.clone()),
        _ => None,
    }
}

/// Whether the JWK Set (JSON) has a key with this `kid`.
pub(super) fn has_kid(jwks: &str, kid: &str) -> bool {
    serde_json::from_str::<Value>(jwks)
        .ok()
        .and_then(|set| {
            set.get("keys")?.as_array().map(|keys| {
                keys.iter()
                    .any(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
            })
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kid_of_a_header() {
        let header = base64url::encode(br#"{"alg":"ES256","kid":"k2"}"#);
        assert_eq!(
            assertion_kid(&format!("{header}.e30.sig")).as_deref(),
            Some("k2")
        );
        let no_kid = base64url::encode(br#"{"alg":"ES256"}"#);
        assert_eq!(assertion_kid(&format!("{no_kid}.e30.sig")), None);
        for junk in ["", "...", "%%%.e30.x", "e30"] {
            assert_eq!(assertion_kid(junk), None, "{junk}");
        }
    }

    #[test]
    fn finds_a_kid_in_a_set() {
        let set = r#"{"keys":[{"kty":"EC","kid":"k1"},{"kty":"EC"}]}"#;
        assert!(has_kid(set, "k1"));
        assert!(!has_kid(set, "k2"));
        assert!(!has_kid("not json", "k1"));
    }
}
