//! Standards rules of token validation, one test per rule, each named after
//! the rule or the attack it stops.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod forge;

use agent_auth::clock::ManualClock;
use agent_auth::jose::base64url;
use agent_auth::validate::{IdToken, LogoutToken, TokenKind, ValidationError, Validator};
use forge::{AUD, ISS, Kind, NOW, SESSION_REVOKED, es256, forge, forge_raw, trusted};
use serde_json::{Value, json};
use std::sync::Arc;

const OTHER: &str = "https://other-rp.example";

/// An ID or logout token validator for `AUD` that also trusts `also`.
fn strict<K: agent_auth::validate::StrictAudienceKind>(
    key: &agent_auth::jose::SigningKey,
    also: &[&str],
) -> Validator<K> {
    Validator::<K>::builder(trusted(key))
        .issuer(ISS)
        .audience(AUD)
        .also_trust_audiences(also.iter().copied())
        .clock(Arc::new(ManualClock::new(NOW)))
        .build()
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn profile_rule(result: Result<(), ValidationError>) -> &'static str {
    match result {
        Err(ValidationError::Profile { rule, .. }) => rule,
        other => panic!("expected a profile error, got {other:?}"),
    }
}

// ---- ID tokens: every audience trusted (OpenID Connect Core 3.1.3.7 step 3) ----

#[test]
fn id_token_with_an_untrusted_extra_audience_is_refused_even_when_azp_is_the_client() {
    let key = es256();
    let claims = with(Kind::Id.claims(), "aud", json!([AUD, OTHER]));
    let claims = with(claims, "azp", json!(AUD));
    let token = forge(&key, &Kind::Id.header(&key), &claims);
    assert_eq!(
        strict::<IdToken>(&key, &[]).validate_cached(&token).err(),
        Some(ValidationError::UntrustedAudience)
    );
    let text = ValidationError::UntrustedAudience.to_string();
    assert!(text.contains("`aud`") && !text.contains(OTHER), "{text}");
}

#[test]
fn id_token_extra_audience_is_accepted_once_explicitly_trusted() {
    let key = es256();
    let claims = with(Kind::Id.claims(), "aud", json!([AUD, OTHER]));
    let claims = with(claims, "azp", json!(AUD));
    let token = forge(&key, &Kind::Id.header(&key), &claims);
    let v = strict::<IdToken>(&key, &[OTHER]);
    assert_eq!(v.also_trusted_audiences(), [OTHER.to_owned()]);
    assert!(v.validate_cached(&token).is_ok());
    // One more, untrusted, value still spoils it.
    let claims = with(claims, "aud", json!([AUD, OTHER, "https://third.example"]));
    let token = forge(&key, &Kind::Id.header(&key), &claims);
    assert_eq!(
        v.validate_cached(&token).err(),
        Some(ValidationError::UntrustedAudience)
    );
}

#[test]
fn an_additionally_trusted_audience_never_stands_in_for_the_client() {
    let key = es256();
    let claims = with(Kind::Id.claims(), "aud", json!([OTHER]));
    let token = forge(&key, &Kind::Id.header(&key), &claims);
    assert_eq!(
        strict::<IdToken>(&key, &[OTHER])
            .validate_cached(&token)
            .err(),
        Some(ValidationError::WrongAudience)
    );
}

#[test]
fn id_token_whose_azp_is_only_additionally_trusted_is_refused() {
    let key = es256();
    let claims = with(Kind::Id.claims(), "aud", json!([AUD, OTHER]));
    let claims = with(claims, "azp", json!(OTHER));
    let token = forge(&key, &Kind::Id.header(&key), &claims);
    assert_eq!(
        profile_rule(
            strict::<IdToken>(&key, &[OTHER])
                .validate_cached(&token)
                .map(|_| ())
        ),
        "`azp` is not this client"
    );
}

#[test]
fn logout_token_with_an_untrusted_extra_audience_is_refused() {
    // Back-Channel Logout 1.0 section 2.6 step 5: `aud` as in ID tokens.
    let key = es256();
    let claims = with(Kind::Logout.claims(), "aud", json!([AUD, OTHER]));
    let token = forge(&key, &Kind::Logout.header(&key), &claims);
    assert_eq!(
        strict::<LogoutToken>(&key, &[])
            .validate_cached(&token)
            .err(),
        Some(ValidationError::UntrustedAudience)
    );
    assert!(
        strict::<LogoutToken>(&key, &[OTHER])
            .validate_cached(&token)
            .is_ok()
    );
}

#[test]
fn other_kinds_accept_audiences_they_do_not_know_next_to_theirs() {
    // RFC 7519 section 4.1.3: containment. Only ID and logout tokens ask more.
    let key = es256();
    for kind in [Kind::Access, Kind::SecurityEvent, Kind::Generic] {
        let claims = with(kind.claims(), "aud", json!([AUD, OTHER]));
        assert_eq!(kind.check(&key, &claims), Ok(()), "{kind:?}");
    }
}

// ---- claim types (RFC 7519 section 4.1, RFC 8693 section 4.3) ----

#[test]
fn string_claims_of_any_other_json_type_are_refused_in_every_profile() {
    let key = es256();
    let not_strings = [
        json!(7),
        json!(1.5),
        json!(true),
        json!(null),
        json!(["sarah"]),
        json!({"v": "sarah"}),
    ];
    let mut refused = 0;
    for kind in Kind::ALL {
        assert_eq!(kind.check(&key, &kind.claims()), Ok(()), "{kind:?}");
        for claim in ["iss", "sub", "jti", "client_id", "azp"] {
            for value in &not_strings {
                let claims = with(kind.claims(), claim, value.clone());
                let err = kind.check(&key, &claims).unwrap_err();
                assert_eq!(
                    err,
                    ValidationError::InvalidClaim(claim),
                    "{kind:?} {claim} {value}"
                );
                assert!(err.to_string().contains(&format!("`{claim}`")));
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 7 * 5 * 6);
}

#[test]
fn client_id_and_azp_as_strings_are_kept_among_the_claims() {
    let key = es256();
    let claims = with(Kind::Access.claims(), "azp", json!("agent"));
    let token = forge(&key, &Kind::Access.header(&key), &claims);
    let valid = forge::validator::<agent_auth::validate::AccessToken>(&key)
        .validate_cached(&token)
        .unwrap();
    assert_eq!(valid.str("client_id"), Some("agent"));
    assert_eq!(valid.str("azp"), Some("agent"));
}

// ---- Security Event Tokens (RFC 8417, SSF 1.0) ----

#[test]
fn security_event_token_with_exp_is_refused() {
    let key = es256();
    let claims = with(Kind::SecurityEvent.claims(), "exp", json!(NOW + 300));
    assert_eq!(
        profile_rule(Kind::SecurityEvent.check(&key, &claims)),
        "a security event token carries no `exp`"
    );
}

#[test]
fn security_event_token_with_sub_is_refused() {
    let key = es256();
    let claims = with(Kind::SecurityEvent.claims(), "sub", json!("sarah"));
    assert_eq!(
        profile_rule(Kind::SecurityEvent.check(&key, &claims)),
        "a security event token carries no `sub`"
    );
}

#[test]
fn security_event_values_that_are_not_objects_are_refused() {
    let key = es256();
    for event in [
        json!(true),
        json!("revoked"),
        json!(1),
        json!([]),
        json!(null),
    ] {
        let events = json!({SESSION_REVOKED: {}, "https://example.com/other": event});
        let claims = with(Kind::SecurityEvent.claims(), "events", events);
        assert_eq!(
            profile_rule(Kind::SecurityEvent.check(&key, &claims)),
            "every value of `events` must be an object",
            "{event}"
        );
    }
    for events in [json!({}), json!([SESSION_REVOKED]), json!(SESSION_REVOKED)] {
        let claims = with(Kind::SecurityEvent.claims(), "events", events.clone());
        assert_eq!(
            profile_rule(Kind::SecurityEvent.check(&key, &claims)),
            "`events` must be a non-empty object",
            "{events}"
        );
    }
}

// ---- Global Token Revocation (draft-parecki-oauth-global-token-revocation 3.2) ----

#[test]
fn global_token_revocation_with_a_second_subject_in_sub_is_refused() {
    let key = es256();
    let claims = with(
        Kind::GlobalTokenRevocation.claims(),
        "sub",
        json!("mallory"),
    );
    assert_eq!(
        profile_rule(Kind::GlobalTokenRevocation.check(&key, &claims)),
        "the subject is named by `sub_id` only, not `sub`"
    );
}

#[test]
fn global_token_revocation_sub_id_needs_a_format_and_an_identifier() {
    let key = es256();
    for sub_id in [
        json!({"format": "email"}),
        json!({"email": "sarah@example.com"}),
        json!({"format": 1, "email": "sarah@example.com"}),
        json!("sarah@example.com"),
    ] {
        let claims = with(
            Kind::GlobalTokenRevocation.claims(),
            "sub_id",
            sub_id.clone(),
        );
        assert_eq!(
            profile_rule(Kind::GlobalTokenRevocation.check(&key, &claims)),
            "`sub_id` must be an object with a `format` and an identifier",
            "{sub_id}"
        );
    }
    let claims = without(Kind::GlobalTokenRevocation.claims(), "sub_id");
    assert_eq!(
        Kind::GlobalTokenRevocation.check(&key, &claims),
        Err(ValidationError::MissingClaim("sub_id"))
    );
}

// ---- nested JWTs (RFC 7519 section 7.2 step 8) ----

#[test]
fn nested_jwt_content_type_is_refused_in_any_casing() {
    let key = es256();
    for cty in ["JWT", "jwt", "Jwt", "application/JWT", "APPLICATION/jwt"] {
        for kind in Kind::ALL {
            let mut header = kind.header(&key);
            header["cty"] = json!(cty);
            let token = forge(&key, &header, &kind.claims());
            assert_eq!(
                kind.validate(&key, &token),
                Err(ValidationError::NestedJwt),
                "{kind:?} {cty}"
            );
        }
    }
}

#[test]
fn other_content_types_are_not_mistaken_for_a_nested_jwt() {
    let key = es256();
    for cty in ["json", "application/json", "JWT ", "xJWT", "at+jwt"] {
        let mut header = Kind::Access.header(&key);
        header["cty"] = json!(cty);
        let token = forge(&key, &header, &Kind::Access.claims());
        assert_eq!(Kind::Access.validate(&key, &token), Ok(()), "{cty}");
    }
}

// ---- the protected header ----

fn many_members(count: usize) -> String {
    let mut header = String::from(r#"{"alg":"ES256","typ":"at+jwt""#);
    for i in 0..count {
        header.push_str(&format!(r#","m{i}":{i}"#));
    }
    header
}

fn large_validator(
    key: &agent_auth::jose::SigningKey,
) -> Validator<agent_auth::validate::AccessToken> {
    Validator::<agent_auth::validate::AccessToken>::builder(trusted(key))
        .issuer(ISS)
        .audience(AUD)
        .clock(Arc::new(ManualClock::new(NOW)))
        .max_token_bytes(4 << 20)
        .build()
}

#[test]
fn a_header_with_many_thousands_of_distinct_members_is_judged_correctly() {
    // The duplicate check is one hash-set insert per member, so a header of
    // 50,000 members costs 50,000 steps, not 1.25 billion comparisons.
    let key = es256();
    let claims = Kind::Access.claims().to_string();
    let header = format!(r#"{},"kid":"{}"}}"#, many_members(50_000), key.kid());
    let token = forge_raw(&key, header.as_bytes(), claims.as_bytes());
    assert!(large_validator(&key).validate_cached(&token).is_ok());
    // The same header with its first member repeated at the very end.
    let header = format!(r#"{},"kid":"{}","m0":0}}"#, many_members(50_000), key.kid());
    let token = forge_raw(&key, header.as_bytes(), claims.as_bytes());
    assert_eq!(
        large_validator(&key).validate_cached(&token).err(),
        Some(ValidationError::DuplicateMember)
    );
}

#[test]
fn header_members_of_the_wrong_type_are_named_in_the_error() {
    let key = es256();
    let cases = [
        ("kid", json!(7), "header member `kid` is not a string"),
        (
            "alg",
            json!(["ES256"]),
            "header member `alg` is not a string",
        ),
        ("typ", json!(null), "header member `typ` is not a string"),
        (
            "cty",
            json!({"t": "JWT"}),
            "header member `cty` is not a string",
        ),
        ("jku", json!(1), "header member `jku` is not a string"),
        ("x5u", json!(true), "header member `x5u` is not a string"),
        ("x5t", json!([]), "header member `x5t` is not a string"),
        (
            "x5t#S256",
            json!(0),
            "header member `x5t#S256` is not a string",
        ),
        (
            "x5c",
            json!("MIIB"),
            "header member `x5c` is not an array of strings",
        ),
        (
            "x5c",
            json!(["MIIB", 2]),
            "header member `x5c` is not an array of strings",
        ),
        ("jwk", json!("k"), "header member `jwk` is not an object"),
    ];
    for (member, value, text) in cases {
        let mut header = Kind::Access.header(&key);
        header[member] = value.clone();
        let token = forge(&key, &header, &Kind::Access.claims());
        let err = Kind::Access.validate(&key, &token).unwrap_err();
        assert!(
            matches!(err, ValidationError::InvalidHeaderMember { member: m, .. } if m == member),
            "{member} {value}: {err:?}"
        );
        assert_eq!(err.to_string(), text);
    }
}

#[test]
fn an_empty_signature_says_so_whatever_alg_claims() {
    let key = es256();
    let payload = base64url::encode(Kind::Access.claims().to_string());
    for alg in ["ES256", "none", "NONE"] {
        let header = base64url::encode(json!({"alg": alg, "typ": "at+jwt"}).to_string());
        let err = Kind::Access
            .validate(&key, &format!("{header}.{payload}."))
            .unwrap_err();
        assert_eq!(err, ValidationError::EmptySignature, "{alg}");
        assert_eq!(err.to_string(), "signature is empty");
    }
}

#[test]
fn structural_errors_name_the_part_at_fault() {
    let key = es256();
    let good = forge(&key, &Kind::Access.header(&key), &Kind::Access.claims());
    let (header, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let cases = [
        (format!(".{payload}.{signature}"), "header is empty"),
        (
            format!("{header}.{payload}"),
            "not three dot-separated parts",
        ),
        (
            format!("{header}!.{payload}.{signature}"),
            "header is not base64url",
        ),
        (
            format!("{header}.{payload}!.{signature}"),
            "payload is not base64url",
        ),
        (
            format!("{header}.{payload}.{signature}!"),
            "signature is not base64url",
        ),
        (
            format!("{header}.{payload}.{}", "A".repeat(700)),
            "signature is too long",
        ),
    ];
    for (token, what) in cases {
        assert_eq!(
            Kind::Access.validate(&key, &token),
            Err(ValidationError::Malformed(what)),
            "{what}"
        );
    }
}

#[test]
fn every_kind_accepts_its_own_well_formed_token() {
    let key = es256();
    for kind in Kind::ALL {
        assert_eq!(kind.check(&key, &kind.claims()), Ok(()), "{kind:?}");
    }
    assert!(IdToken::PROFILE.every_audience_trusted);
    assert!(LogoutToken::PROFILE.every_audience_trusted);
}
