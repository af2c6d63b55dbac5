//! Reading a client ID metadata document (draft-ietf-oauth-client-id-metadata-document
//! section 4) into the client it describes.

use super::client_id_url::check_jwks_uri;
use super::{CimdError, CimdPolicy};
use crate::provider::registration::check_registered_redirect;
use crate::provider::{ClientSpec, grant_types};
use serde_json::{Map, Value};

/// The grant types such a client may use.
const GRANTS: [&str; 2] = [grant_types::AUTHORIZATION_CODE, grant_types::REFRESH_TOKEN];

/// A checked document: the client it describes and, for a `private_key_jwt`
/// client that publishes `jwks_uri`, where its keys are (to fetch under the
/// same rules before the client is registered).
#[derive(Debug, Clone)]
pub struct ClientDocument {
    spec: ClientSpec,
    jwks_uri: Option<url::Url>,
}

impl ClientDocument {
    /// The client, with its inline `jwks` if it gave them.
    pub fn spec(&self) -> &ClientSpec {
        &self.spec
    }

    /// The checked `jwks_uri`, when the keys are published there.
    pub fn jwks_uri(&self) -> Option<&url::Url> {
        self.jwks_uri.as_ref()
    }

    pub(super) fn into_parts(self) -> (ClientSpec, Option<url::Url>) {
        (self.spec, self.jwks_uri)
    }
}

/// Parses and checks the document fetched from `client_id`:
/// - a JSON object whose `client_id` equals the URL it was fetched from
///   (section 4.1);
/// - no shared secret: no `client_secret` or `client_secret_expires_at`, and
///   `token_endpoint_auth_method` `none` (the default here) or
///   `private_key_jwt` with an inline `jwks` or a `jwks_uri`, not both
///   (section 4.1: symmetric methods MUST NOT be used; RFC 7591 section 2);
///   `jwks_uri` follows the client id's URL rules;
/// - `redirect_uris`: a non-empty list, each https or loopback http
///   (RFC 8252 section 7.3); these alone are the client's redirect URIs;
/// - `grant_types` among `authorization_code` and `refresh_token`
///   (default `authorization_code`), `response_types` only `code`;
/// - `scope` narrowed to the policy's scopes (all of them when absent).
///
/// ```
/// use reference_authority::cimd::{CimdPolicy, parse_client_metadata_document};
/// let id = "https://app.example/client.json";
/// let doc = br#"{"client_id":"https://app.example/client.json","redirect_uris":["http://127.0.0.1/cb"]}"#;
/// assert!(parse_client_metadata_document(id, doc, &CimdPolicy::new()).is_ok());
/// let other = br#"{"client_id":"https://evil.example/client.json","redirect_uris":["http://127.0.0.1/cb"]}"#;
/// assert!(parse_client_metadata_document(id, other, &CimdPolicy::new()).is_err());
/// ```
pub fn parse_client_metadata_document(
    client_id: &str,
    body: &[u8],
    policy: &CimdPolicy,
) -> Result<ClientDocument, CimdError> {
    if body.len() > policy.max_bytes {
        return Err(CimdError::TooLarge);
    }
    let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(body) else {
        return Err(CimdError::InvalidDocument("not a JSON object"));
    };
    if doc.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(CimdError::InvalidDocument(
            "`client_id` is not the document's URL",
        ));
    }
    if doc.contains_key("client_secret") || doc.contains_key("client_secret_expires_at") {
        return Err(CimdError::InvalidDocument("a client secret"));
    }
    let mut jwks_uri = None;
    let mut spec = match text(&doc, "token_endpoint_auth_method")?.unwrap_or("none") {
        "none" => ClientSpec::public(client_id),
        "private_key_jwt" => match (doc.get("jwks"), text(&doc, "jwks_uri")?) {
            (Some(_), Some(_)) => {
                return Err(CimdError::InvalidDocument(
                    "`jwks` and `jwks_uri` must not both be present",
                ));
            }
            (Some(Value::Object(jwks)), None) if jwks.get("keys").is_some_and(Value::is_array) => {
                ClientSpec::private_key_jwt(client_id, Value::Object(jwks.clone()).to_string())
            }
            (Some(_), None) => return Err(CimdError::InvalidDocument("`jwks` is not a JWK Set")),
            (None, Some(uri)) => {
                jwks_uri = Some(check_jwks_uri(uri, policy)?);
                // The keys are set once fetched; without them the client
                // cannot be registered.
                ClientSpec::private_key_jwt(client_id, String::new())
            }
            (None, None) => {
                return Err(CimdError::InvalidDocument(
                    "private_key_jwt without `jwks` or `jwks_uri`",
                ));
            }
        },
        _ => {
            return Err(CimdError::InvalidDocument(
                "`token_endpoint_auth_method` must be none or private_key_jwt",
            ));
        }
    };
    let redirects = list(&doc, "redirect_uris")?.unwrap_or_default();
    if redirects.is_empty() {
        return Err(CimdError::InvalidDocument("no `redirect_uris`"));
    }
    for uri in &redirects {
        check_registered_redirect(uri)
            .map_err(|_| CimdError::InvalidDocument("a redirect URI is not acceptable"))?;
        spec = spec.redirect_uri(*uri);
    }
    let grants = list(&doc, "grant_types")?.unwrap_or(vec![grant_types::AUTHORIZATION_CODE]);
    if grants.iter().any(|g| !GRANTS.contains(g)) || !grants.contains(&"authorization_code") {
        return Err(CimdError::InvalidDocument(
            "`grant_types` beyond authorization_code and refresh_token",
        ));
    }
    if list(&doc, "response_types")?.is_some_and(|r| r != ["code"]) {
        return Err(CimdError::InvalidDocument(
            "`response_types` other than code",
        ));
    }
    let scopes: Vec<&str> = match text(&doc, "scope")? {
        Some(scope) => scope
            .split(' ')
            .filter(|s| policy.scopes.iter().any(|allowed| allowed == s))
            .collect(),
        None => policy.scopes.iter().map(String::as_str).collect(),
    };
    spec = spec
        .grant_types(grants)
        .scopes(scopes)
        .resources(policy.resources.iter().cloned());
    if let Some(name) = text(&doc, "client_name")? {
        spec = spec.name(name);
    }
    Ok(ClientDocument { spec, jwks_uri })
}

fn text<'a>(doc: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, CimdError> {
    match doc.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(CimdError::InvalidDocument("a member has the wrong type")),
    }
}

fn list<'a>(doc: &'a Map<String, Value>, name: &str) -> Result<Option<Vec<&'a str>>, CimdError> {
    match doc.get(name) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or(CimdError::InvalidDocument("a member has the wrong type"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(CimdError::InvalidDocument("a member has the wrong type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "https://app.example/client.json";

    fn parse(doc: Value) -> Result<ClientDocument, CimdError> {
        parse_client_metadata_document(
            ID,
            doc.to_string().as_bytes(),
            &CimdPolicy::new().scopes(["a", "b"]),
        )
    }

    fn good() -> Value {
        json!({"client_id": ID, "client_name": "App", "redirect_uris": ["http://127.0.0.1/cb"]})
    }

    fn with(member: &str, value: Value) -> Value {
        let mut doc = good();
        doc[member] = value;
        doc
    }

    #[test]
    fn a_public_client_document_is_accepted() {
        assert!(parse(good()).is_ok());
    }

    #[test]
    fn client_id_must_be_the_url() {
        assert!(parse(with("client_id", json!("https://app.example/other.json"))).is_err());
        let mut doc = good();
        doc.as_object_mut().unwrap().remove("client_id");
        assert!(parse(doc).is_err());
    }

    #[test]
    fn no_shared_secret() {
        assert!(parse(with("client_secret", json!("s3cret-0123456789"))).is_err());
        assert!(parse(with("client_secret_expires_at", json!(0))).is_err());
        for method in [
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
        ] {
            assert!(
                parse(with("token_endpoint_auth_method", json!(method))).is_err(),
                "{method}"
            );
        }
    }

    #[test]
    fn private_key_jwt_needs_jwks_or_jwks_uri_not_both() {
        let doc = with("token_endpoint_auth_method", json!("private_key_jwt"));
        assert!(parse(doc.clone()).is_err());
        let mut uri = doc.clone();
        uri["jwks_uri"] = json!("https://app.example/jwks.json");
        let parsed = parse(uri.clone()).unwrap();
        assert_eq!(
            parsed.jwks_uri().map(url::Url::as_str),
            Some("https://app.example/jwks.json")
        );
        let mut jwks = doc;
        jwks["jwks"] = json!({"keys": []});
        assert!(parse(jwks.clone()).unwrap().jwks_uri().is_none());
        jwks["jwks_uri"] = json!("https://app.example/jwks.json");
        assert_eq!(
            parse(jwks).unwrap_err(),
            CimdError::InvalidDocument("`jwks` and `jwks_uri` must not both be present")
        );
        uri["jwks_uri"] = json!(7);
        assert!(parse(uri).is_err());
    }

    #[test]
    fn jwks_uri_follows_the_url_rules() {
        let mut doc = with("token_endpoint_auth_method", json!("private_key_jwt"));
        for (uri, reason) in [
            ("http://app.example/jwks.json", "the scheme must be https"),
            ("https://app.example/jwks.json#k", "a fragment"),
            ("https://user@app.example/jwks.json", "user information"),
            ("not a url", "not a URL"),
        ] {
            doc["jwks_uri"] = json!(uri);
            assert_eq!(
                parse(doc.clone()).unwrap_err(),
                CimdError::InvalidJwksUri(reason),
                "{uri}"
            );
        }
    }

    #[test]
    fn redirect_uris_are_required_and_checked() {
        let mut doc = good();
        doc.as_object_mut().unwrap().remove("redirect_uris");
        assert!(parse(doc).is_err());
        assert!(parse(with("redirect_uris", json!([]))).is_err());
        assert!(parse(with("redirect_uris", json!(["http://evil.example/cb"]))).is_err());
        assert!(parse(with("redirect_uris", json!(["https://app.example/cb#f"]))).is_err());
        assert!(parse(with("redirect_uris", json!([7]))).is_err());
    }

    #[test]
    fn only_code_grants() {
        assert!(parse(with("grant_types", json!(["client_credentials"]))).is_err());
        assert!(parse(with("grant_types", json!(["refresh_token"]))).is_err());
        assert!(
            parse(with(
                "grant_types",
                json!(["authorization_code", "refresh_token"])
            ))
            .is_ok()
        );
        assert!(parse(with("response_types", json!(["token"]))).is_err());
    }

    #[test]
    fn not_an_object_or_too_large() {
        for body in [&b"[]"[..], b"", b"{", b"null"] {
            assert!(parse_client_metadata_document(ID, body, &CimdPolicy::new()).is_err());
        }
        let big = vec![b' '; 6000];
        assert_eq!(
            parse_client_metadata_document(ID, &big, &CimdPolicy::new()).unwrap_err(),
            CimdError::TooLarge
        );
    }

    #[test]
    fn wrong_member_types_are_refused() {
        assert!(parse(with("scope", json!(["a"]))).is_err());
        assert!(parse(with("token_endpoint_auth_method", json!(1))).is_err());
    }
}
