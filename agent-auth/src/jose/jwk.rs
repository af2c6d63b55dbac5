//! JSON Web Keys (RFC 7517), their JWK Set form and RFC 7638 thumbprints.

use super::{KeyError, base64url, json};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The members of a JWK this crate reads. Private members are zeroized on drop.
#[derive(Deserialize, Default)]
pub(crate) struct JwkFields {
    pub(crate) kty: Option<String>,
    #[serde(rename = "use")]
    pub(crate) use_: Option<String>,
    pub(crate) key_ops: Option<Vec<String>>,
    pub(crate) alg: Option<String>,
    pub(crate) kid: Option<String>,
    pub(crate) crv: Option<String>,
    pub(crate) x: Option<String>,
    pub(crate) y: Option<String>,
    pub(crate) n: Option<String>,
    pub(crate) e: Option<String>,
    pub(crate) d: Option<Zeroizing<String>>,
    pub(crate) p: Option<Zeroizing<String>>,
    pub(crate) q: Option<Zeroizing<String>>,
    pub(crate) dp: Option<Zeroizing<String>>,
    pub(crate) dq: Option<Zeroizing<String>>,
    pub(crate) qi: Option<Zeroizing<String>>,
    pub(crate) oth: Option<serde_json::Value>,
    pub(crate) k: Option<Zeroizing<String>>,
}

/// Maximum size of one JWK or JWK Set document accepted.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

impl JwkFields {
    /// Parses one JWK strictly (duplicates refused, nesting limited).
    pub(crate) fn parse(text: &[u8]) -> Result<Self, KeyError> {
        let value = parse_document(text)?;
        Self::from_value(value)
    }

    pub(crate) fn from_value(value: serde_json::Value) -> Result<Self, KeyError> {
        if !value.is_object() {
            return Err(KeyError::Malformed("a JWK must be a JSON object"));
        }
        serde_json::from_value(value).map_err(|_| KeyError::Malformed("JWK member of wrong type"))
    }

    pub(crate) fn required<'a>(
        field: &'a Option<String>,
        name: &'static str,
    ) -> Result<&'a str, KeyError> {
        field.as_deref().ok_or(KeyError::MissingMember(name))
    }

    /// Whether the key may verify signatures (RFC 7517 sections 4.2 and 4.3).
    pub(crate) fn is_for_signatures(&self) -> bool {
        let use_ok = self.use_.as_deref().is_none_or(|u| u == "sig");
        let ops_ok = self
            .key_ops
            .as_ref()
            .is_none_or(|ops| ops.iter().any(|op| op == "verify"));
        use_ok && ops_ok
    }
}

pub(crate) fn parse_document(text: &[u8]) -> Result<serde_json::Value, KeyError> {
    if text.len() > MAX_JWKS_BYTES {
        return Err(KeyError::Malformed("document too large"));
    }
    json::parse_strict(text, json::DEFAULT_MAX_DEPTH).map_err(|problem| match problem {
        json::JsonProblem::Duplicate => KeyError::Malformed("duplicate member name"),
        json::JsonProblem::TooDeep => KeyError::Malformed("nesting too deep"),
        json::JsonProblem::Syntax => KeyError::Malformed("not a JSON document"),
    })
}

/// Decodes a base64url member into bytes.
pub(crate) fn decode_member(value: &str, name: &'static str) -> Result<Vec<u8>, KeyError> {
    base64url::decode(value).ok_or(KeyError::Malformed(match name {
        "n" => "member `n` is not base64url",
        "e" => "member `e` is not base64url",
        "x" => "member `x` is not base64url",
        "y" => "member `y` is not base64url",
        _ => "private member is not base64url",
    }))
}

/// The public half of a key as published in a JWK Set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The one algorithm the key is used with.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Curve, for EC and OKP keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// X coordinate (EC) or public key (OKP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// Y coordinate (EC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

impl PublicJwk {
    /// The RFC 7638 thumbprint (SHA-256, base64url): a hash of the required
    /// members in lexicographic order without white space.
    pub fn thumbprint(&self) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let canonical = match self.kty.as_str() {
            "RSA" => serde_json::json!({"e": opt(&self.e), "kty": "RSA", "n": opt(&self.n)}),
            "EC" => serde_json::json!({
                "crv": opt(&self.crv), "kty": "EC", "x": opt(&self.x), "y": opt(&self.y)
            }),
            _ => serde_json::json!({"crv": opt(&self.crv), "kty": self.kty, "x": opt(&self.x)}),
        };
        // serde_json's map is ordered by key, which is the order RFC 7638 section 3.3 asks.
        thumbprint_of(&canonical.to_string())
    }
}

pub(crate) fn thumbprint_of(canonical_json: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical_json.as_bytes());
    base64url::encode(digest.as_ref())
}

/// A JWK Set document (RFC 7517 section 5) holding public keys only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<PublicJwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_section_3_1_example_thumbprint() {
        let jwk = PublicJwk {
            kty: "RSA".into(),
            kid: Some("2011-04-29".into()),
            alg: "RS256".into(),
            use_: "sig".into(),
            crv: None,
            x: None,
            y: None,
            n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into()),
            e: Some("AQAB".into()),
        };
        assert_eq!(
            jwk.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn jwk_parse_refuses_duplicates_and_non_objects() {
        assert!(matches!(
            JwkFields::parse(br#"{"kty":"EC","kty":"RSA"}"#),
            Err(KeyError::Malformed(_))
        ));
        assert!(matches!(
            JwkFields::parse(b"[]"),
            Err(KeyError::Malformed(_))
        ));
        assert!(matches!(
            JwkFields::parse(br#"{"kty":5}"#),
            Err(KeyError::Malformed(_))
        ));
    }
}
