//! Subject identifiers from untrusted JSON (RFC 9493, SSF 1.0 sections 3.2 to
//! 3.4): what is refused, round trips, and the matching of SSF 1.0 section
//! 8.1.3.1.

use proptest::prelude::*;
use reference_authority::signals::{SubjectError, SubjectId};
use serde_json::json;

#[test]
fn malformed_subject_identifiers_are_refused_with_a_typed_error() {
    for bad in [
        json!("user-sarah"),
        json!([]),
        json!({}),
        json!({"format": 7}),
        json!({"format": "email"}),
        json!({"format": "email", "email": "no-at-sign"}),
        json!({"format": "email", "email": ""}),
        json!({"format": "iss_sub", "iss": "https://idp.example"}),
        json!({"format": "iss_sub", "iss": "https://idp.example", "sub": 42}),
        json!({"format": "opaque", "id": ""}),
        json!({"format": "account", "uri": "mailto:sarah@acme.example"}),
        json!({"format": "phone_number", "phone_number": "555-0100"}),
        json!({"format": "phone_number", "phone_number": "+"}),
        json!({"format": "aliases", "identifiers": []}),
        json!({"format": "aliases", "identifiers": [{"format": "aliases", "identifiers": [{"format": "opaque", "id": "x"}]}]}),
        json!({"format": "complex"}),
        json!({"format": "complex", "user": "sarah"}),
        json!({"format": "complex", "user": {"format": "complex", "user": {"format": "opaque", "id": "x"}}}),
        json!({"format": "opaque", "id": "x".repeat(2000)}),
    ] {
        assert!(
            matches!(SubjectId::from_json(&bad), Err(SubjectError::Malformed(_))),
            "{bad}"
        );
    }
    assert_eq!(
        SubjectId::from_json(&json!({"format": "carrier-pigeon", "id": "x"})),
        Err(SubjectError::UnsupportedFormat)
    );
}

#[test]
fn every_rfc_9493_and_ssf_format_is_read() {
    for (good, format) in [
        (
            json!({"format": "account", "uri": "acct:sarah@acme.example"}),
            "account",
        ),
        (
            json!({"format": "email", "email": "sarah@acme.example"}),
            "email",
        ),
        (
            json!({"format": "iss_sub", "iss": "https://idp.example", "sub": "u1"}),
            "iss_sub",
        ),
        (json!({"format": "opaque", "id": "u1"}), "opaque"),
        (
            json!({"format": "phone_number", "phone_number": "+12065550100"}),
            "phone_number",
        ),
        (json!({"format": "did", "url": "did:example:123"}), "did"),
        (
            json!({"format": "uri", "uri": "https://sarah.example/"}),
            "uri",
        ),
        (
            json!({"format": "jwt_id", "iss": "https://idp.example", "jti": "j1"}),
            "jwt_id",
        ),
        (
            json!({"format": "aliases", "identifiers": [{"format": "opaque", "id": "u1"}, {"format": "email", "email": "a@b.example"}]}),
            "aliases",
        ),
        (
            json!({"format": "complex", "user": {"format": "opaque", "id": "u1"}, "tenant": {"format": "opaque", "id": "t1"}}),
            "complex",
        ),
    ] {
        let s = SubjectId::from_json(&good).unwrap();
        assert_eq!(s.format(), format);
        assert_eq!(s.to_json(), good);
    }
}

#[test]
fn complex_subjects_match_per_ssf_section_8_1_3_1() {
    let sarah = SubjectId::Email("jdoe@example.com".into());
    let tenant = SubjectId::Opaque("example-a38h4792-uw2".into());
    let less = SubjectId::complex([("tenant", tenant.clone())]);
    let event = SubjectId::complex([("tenant", tenant.clone()), ("user", sarah.clone())]);
    // A less restrictive subject added by the receiver matches.
    assert!(event.matches(&less));
    // A more restrictive one matches too (fields undefined on one side are wildcards).
    let more = SubjectId::complex([
        ("user", sarah.clone()),
        ("device", SubjectId::Opaque("laptop-1".into())),
    ]);
    assert!(SubjectId::complex([("user", sarah.clone())]).matches(&more));
    // A defined field that differs does not.
    let g1 = SubjectId::complex([
        ("user", sarah.clone()),
        ("group", SubjectId::Did("did:example:123456".into())),
    ]);
    let g2 = SubjectId::complex([
        ("user", sarah.clone()),
        ("group", SubjectId::Did("did:example:9999999".into())),
    ]);
    assert!(!g1.matches(&g2));
    // Simple subjects match when identical, and inside a complex one.
    assert!(event.matches(&sarah) && sarah.matches(&event));
    assert!(!sarah.matches(&SubjectId::Email("other@example.com".into())));
    let aliases = SubjectId::Aliases(vec![SubjectId::Opaque("u1".into()), sarah.clone()]);
    assert!(aliases.matches(&sarah));
}

fn simple() -> impl Strategy<Value = SubjectId> {
    let s = "[a-zA-Z0-9._-]{1,20}";
    prop_oneof![
        s.prop_map(SubjectId::Opaque),
        (s, s).prop_map(|(a, b)| SubjectId::iss_sub(format!("https://{a}"), b)),
        (s, s).prop_map(|(a, b)| SubjectId::Email(format!("{a}@{b}"))),
        "[0-9]{1,15}".prop_map(|d| SubjectId::PhoneNumber(format!("+{d}"))),
        (s, s).prop_map(|(a, b)| SubjectId::JwtId { iss: a, jti: b }),
    ]
}

fn any_subject() -> impl Strategy<Value = SubjectId> {
    prop_oneof![
        simple(),
        prop::collection::vec(simple(), 1..4).prop_map(SubjectId::Aliases),
        prop::collection::btree_map("(user|tenant|application|device)", simple(), 1..4)
            .prop_map(SubjectId::Complex),
    ]
}

proptest! {
    #[test]
    fn subjects_round_trip_and_match_themselves(s in any_subject()) {
        prop_assert_eq!(SubjectId::from_json(&s.to_json()), Ok(s.clone()));
        prop_assert!(s.matches(&s));
    }

    #[test]
    fn matching_is_symmetric(a in any_subject(), b in any_subject()) {
        prop_assert_eq!(a.matches(&b), b.matches(&a));
    }
}
