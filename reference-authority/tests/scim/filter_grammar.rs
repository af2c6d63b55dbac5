//! RFC 7644 section 3.4.2.2: the grammar, its precedence, and evaluation
//! rules; every malformed filter is `invalidFilter`, never a panic.

use reference_authority::scim::filter::{CompValue, CompareOp, Filter, MAX_DEPTH, matches, parse};
use reference_authority::scim::{ScimType, resource_types};
use serde_json::json;

fn user() -> serde_json::Value {
    json!({
        "schemas": [super::USER, super::ENTERPRISE],
        "id": "2819c223",
        "userName": "BJensen",
        "displayName": "Babs Jensen",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        super::ENTERPRISE: {"department": "Sales", "manager": {"value": "26118915"}},
        "meta": {"resourceType": "User", "created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49Z"}
    })
}

fn check(filter: &str) -> bool {
    matches(&parse(filter).unwrap(), &user(), &resource_types::user()).unwrap()
}

fn invalid(filter: &str) {
    let e = parse(filter).expect_err(filter);
    assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter), "{filter}");
    assert_eq!(e.status(), 400);
}

#[test]
fn rfc_examples_parse_and_match() {
    assert!(check(r#"userName eq "bjensen""#));
    assert!(check(r#"name.familyName co "O'Malley" or userName sw "B""#));
    assert!(check(r#"userName sw "J" or userName ew "sen""#));
    assert!(check("emails pr"));
    assert!(!check("title pr"));
    assert!(check(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#));
    assert!(check(r#"meta.lastModified ge "2011-08-01T18:29:49Z""#));
    assert!(!check(r#"meta.lastModified lt "2011-05-13T04:42:34Z""#));
    assert!(check(
        r#"emails[type eq "work" and value co "@example.com"]"#
    ));
    assert!(check(
        r#"userName eq "bjensen" and (emails co "example.com" or emails co "example.org")"#
    ));
}

#[test]
fn attribute_names_and_operators_are_case_insensitive() {
    assert!(check(r#"USERNAME EQ "bjensen""#));
    assert!(check(r#"Emails[TYPE Eq "work"] AND Active eq TRUE"#));
}

#[test]
fn case_exact_attributes_compare_case_sensitively() {
    // `id` is caseExact (RFC 7643 section 3.1), userName is not.
    assert!(check(r#"id eq "2819c223""#));
    assert!(!check(r#"id eq "2819C223""#));
    assert!(check(r#"userName eq "BJENSEN""#));
}

#[test]
fn and_binds_tighter_than_or() {
    let f = parse(r#"a eq 1 or b eq 2 and c eq 3"#).unwrap();
    match f {
        Filter::Or(_, right) => assert!(matches!(*right, Filter::And(..))),
        other => panic!("{other:?}"),
    }
    assert!(check(
        r#"userName eq "x" or active eq true and displayName pr"#
    ));
    assert!(!check(
        r#"(userName eq "x" or active eq true) and title pr"#
    ));
}

#[test]
fn not_negates_a_group() {
    assert!(check(r#"not (userName eq "x")"#));
    assert!(!check(r#"not (emails[type eq "home"])"#));
}

#[test]
fn fully_qualified_extension_attributes_resolve() {
    assert!(check(&format!(
        r#"{}:department eq "sales""#,
        super::ENTERPRISE
    )));
    assert!(check(&format!(
        r#"{}:manager.value eq "26118915""#,
        super::ENTERPRISE
    )));
    assert!(check(&format!(r#"{}:userName eq "bjensen""#, super::USER)));
}

#[test]
fn values_decode_json_escapes_and_numbers() {
    let f = parse(r#"displayName eq "Babs \"B\" J\u00e9nsen""#).unwrap();
    match f {
        Filter::Compare {
            value: CompValue::String(s),
            op: CompareOp::Eq,
            ..
        } => assert_eq!(s, "Babs \"B\" Jénsen"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse("x gt -1.5e3").unwrap(),
        Filter::Compare {
            value: CompValue::Number(_),
            ..
        }
    ));
}

#[test]
fn a_missing_attribute_matches_ne_and_eq_null() {
    assert!(check(r#"title ne "boss""#));
    assert!(check("title eq null"));
    assert!(!check("userName eq null"));
}

#[test]
fn ordering_on_a_boolean_is_invalid_filter() {
    // RFC 7644 section 3.4.2.2: gt/ge/lt/le on boolean SHALL fail with invalidFilter.
    let e = matches(
        &parse("active gt true").unwrap(),
        &user(),
        &resource_types::user(),
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
}

#[test]
fn a_value_of_the_wrong_type_is_invalid_filter() {
    for f in [
        "active eq \"yes\"",
        "userName eq 3",
        "meta.created gt \"yesterday\"",
    ] {
        let e = matches(&parse(f).unwrap(), &user(), &resource_types::user()).unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter), "{f}");
    }
}

#[test]
fn malformed_filters_are_invalid_filter() {
    for f in [
        "",
        "userName",
        "userName eq",
        r#"userName xx "a""#,
        r#"userName eq "unterminated"#,
        r#"userName eq "bad \q escape""#,
        r#"(userName eq "a""#,
        r#"userName eq "a")"#,
        r#"not userName eq "a""#,
        r#"emails[type eq "work""#,
        r#"emails[type eq "work"]]"#,
        r#"emails[addresses[type eq "x"]]"#,
        r#"emails.value[type eq "x"]"#,
        r#"userName eq "a" and"#,
        r#"userName eq "a" userName eq "b""#,
        r#"1abc eq "a""#,
        r#"user@name eq "a""#,
        r#"a.b.c eq "a""#,
        r#":name eq "a""#,
        r#"userName eq bjensen"#,
        r#"userName eq 1.2.3"#,
        "userName eq \"a\" \u{1F600}",
    ] {
        invalid(f);
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!(
        "{}userName pr{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    invalid(&deep);
    let nots = format!(
        "{}userName pr{}",
        "not (".repeat(10_000),
        ")".repeat(10_000)
    );
    invalid(&nots);
}

#[test]
fn an_overlong_filter_is_refused() {
    let long = format!(r#"userName eq "{}""#, "a".repeat(5000));
    invalid(&long);
}
