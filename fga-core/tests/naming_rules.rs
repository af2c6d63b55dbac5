//! Object and user strings are accepted exactly by OpenFGA's naming rules, whatever the
//! characters: the parser's byte-wise path for ASCII text agrees with the rules stated
//! per character (written out here as the reference).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fga_core::{Error, User, tuple::ObjectRef};
use proptest::prelude::*;

/// A type or relation name: 1 to `max` characters, none of `: # @ *` or whitespace.
fn name_ok(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.chars().count())
        && !s
            .chars()
            .any(|c| matches!(c, ':' | '#' | '@' | '*') || c.is_whitespace())
}

/// An object id: letters, digits and `_ | * @ . + / -`, not starting with `*`, at most
/// 256 characters.
fn id_ok(s: &str) -> bool {
    let allowed =
        |c: char| c.is_alphanumeric() || matches!(c, '_' | '|' | '*' | '@' | '.' | '+' | '/' | '-');
    let count = s.chars().count();
    (1..=256).contains(&count) && !s.starts_with('*') && s.chars().all(allowed)
}

fn object_ok(s: &str) -> bool {
    s.split_once(':')
        .is_some_and(|(t, id)| name_ok(t, 254) && id_ok(id))
}

fn user_ok(s: &str) -> bool {
    let (object, relation) = match s.split_once('#') {
        Some((o, r)) => (o, Some(r)),
        None => (s, None),
    };
    let Some((t, id)) = object.split_once(':') else {
        return false;
    };
    if !name_ok(t, 254) {
        return false;
    }
    if id == "*" {
        return relation.is_none();
    }
    id_ok(id) && relation.is_none_or(|r| name_ok(r, 50))
}

/// Characters around every rule: separators, allowed punctuation, ASCII and other
/// whitespace (vertical tab, form feed, NEL, ideographic space), letters and digits of
/// other scripts.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9]{1,4}",
        1 => prop::sample::select(vec![
            ":", "#", "@", "*", "_", "|", ".", "+", "/", "-", " ", "\t", "\u{b}", "\u{c}",
            "\r", "\n", "\u{85}", "\u{3000}", "é", "ß", "٣", "\u{0}", "!", "~",
        ])
        .prop_map(str::to_owned),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..8).prop_map(|p| p.concat())
}

fn check_object(s: &str) {
    let parsed = ObjectRef::parse(s);
    assert_eq!(parsed.is_ok(), object_ok(s), "object {s:?}: {parsed:?}");
    match parsed {
        Ok(o) => assert_eq!(o.to_string(), s),
        Err(e) => assert!(matches!(e, Error::Validation(_)), "{e:?}"),
    }
}

fn check_user(s: &str) {
    let parsed = User::parse(s);
    assert_eq!(parsed.is_ok(), user_ok(s), "user {s:?}: {parsed:?}");
    match parsed {
        Ok(u) => assert_eq!(u.to_string(), s),
        Err(e) => assert!(matches!(e, Error::Validation(_)), "{e:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn objects_follow_the_naming_rules(t in text(), id in text()) {
        check_object(&format!("{t}:{id}"));
        check_object(&t);
    }

    #[test]
    fn users_follow_the_naming_rules(t in text(), id in text(), r in text()) {
        check_user(&format!("{t}:{id}"));
        check_user(&format!("{t}:{id}#{r}"));
        check_user(&format!("{t}:*"));
    }
}

#[test]
fn length_limits_count_characters_not_bytes() {
    let cases = [
        (format!("{}:1", "t".repeat(254)), true),
        (format!("{}:1", "t".repeat(255)), false),
        (format!("{}:1", "é".repeat(254)), true),
        (format!("{}:1", "é".repeat(255)), false),
        (format!("t:{}", "1".repeat(256)), true),
        (format!("t:{}", "1".repeat(257)), false),
        (format!("t:{}", "é".repeat(256)), true),
        (format!("t:{}", "é".repeat(257)), false),
    ];
    for (s, ok) in &cases {
        assert_eq!(ObjectRef::parse(s).is_ok(), *ok, "{s}");
        assert_eq!(object_ok(s), *ok, "reference disagrees on {s}");
    }
    for (r, ok) in [
        ("r".repeat(50), true),
        ("r".repeat(51), false),
        ("é".repeat(50), true),
    ] {
        let s = format!("t:1#{r}");
        assert_eq!(User::parse(&s).is_ok(), ok, "{s}");
    }
    // Whitespace outside ASCII's space and tab is still whitespace.
    for s in ["t:1\u{b}", "t\u{c}:1", "t:1#r\u{85}", "t\u{3000}:1"] {
        assert!(User::parse(s).is_err(), "{s:?}");
    }
}
