//! The protected header of a DPoP proof (RFC 9449 section 4.2): `typ`, `alg`
//! and the public key in `jwk`. Unlike every other token kind here, the key
//! comes from the token itself; what the proof proves is possession of that
//! key, and the binding to a token is checked against its thumbprint.

use super::DpopError;
use crate::jose::json::{self, JsonProblem};
use crate::jose::jwk::JwkFields;
use crate::jose::{Algorithm, VerifyingKey, base64url};
use crate::validate::{DpopProof, TokenKind, TypRule};
use serde_json::Value;

/// JWK members that carry private key material (RFC 7518 sections 6.2.2,
/// 6.3.2, 6.4; RFC 8037 section 2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The checked header: the algorithm and the key that must verify the proof.
#[derive(Debug)]
pub(super) struct ProofHeader {
    pub(super) alg: Algorithm,
    pub(super) key: VerifyingKey,
}

/// Parses and checks the encoded header: strict JSON, no `crit`, `typ`
/// `dpop+jwt` (check 4), `alg` among `allowed` (check 5, asymmetric only),
/// and `jwk` a public key of `alg`'s type with no private member (check 7).
pub(super) fn parse(encoded: &[u8], allowed: &[Algorithm]) -> Result<ProofHeader, DpopError> {
    let bytes =
        base64url::decode(encoded).ok_or(DpopError::Malformed("header is not base64url"))?;
    let value = json::parse_strict(&bytes, json::DEFAULT_MAX_DEPTH).map_err(|p| match p {
        JsonProblem::Duplicate => DpopError::Malformed("duplicate header member"),
        JsonProblem::TooDeep => DpopError::Malformed("header nests too deeply"),
        JsonProblem::Syntax => DpopError::Malformed("header is not a JSON object"),
    })?;
    let Value::Object(mut members) = value else {
        return Err(DpopError::Malformed("header is not a JSON object"));
    };
    if members.contains_key("crit") {
        // RFC 7515 section 4.1.11: no extension is understood here.
        return Err(DpopError::Malformed("critical header parameter"));
    }
    let TypRule::Exact(expected) = DpopProof::PROFILE.typ else {
        return Err(DpopError::WrongType);
    };
    match members.get("typ").and_then(Value::as_str) {
        Some(typ) if crate::validate::typ_matches(typ, expected) => {}
        _ => return Err(DpopError::WrongType),
    }
    let alg = members
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Algorithm::from_name)
        .filter(|a| !a.is_symmetric() && allowed.contains(a))
        .ok_or(DpopError::Algorithm)?;
    let jwk = members
        .remove("jwk")
        .ok_or(DpopError::Key("header has no `jwk`"))?;
    let Value::Object(jwk_members) = &jwk else {
        return Err(DpopError::Key("`jwk` is not an object"));
    };
    if PRIVATE_MEMBERS.iter().any(|m| jwk_members.contains_key(*m)) {
        return Err(DpopError::Key("`jwk` contains a private key"));
    }
    let mut fields =
        JwkFields::from_value(jwk).map_err(|_| DpopError::Key("`jwk` is malformed"))?;
    match fields.alg.as_deref() {
        Some(named) if named != alg.name() => {
            return Err(DpopError::Key("`jwk` names another algorithm"));
        }
        _ => fields.alg = Some(alg.name().to_owned()),
    }
    let key = VerifyingKey::from_fields(&fields)
        .map_err(|_| DpopError::Key("`jwk` is not a public key for `alg`"))?;
    Ok(ProofHeader { alg, key })
}
