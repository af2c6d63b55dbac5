//! The part of `Cache-Control` (RFC 9111 section 5.2.2) a JWKS cache needs.

/// Seconds the response may be reused, from `max-age`; `Some(0)` for `no-store`
/// and `no-cache`; `None` when the header says neither.
pub(crate) fn max_age(header: &str) -> Option<u64> {
    let mut age = None;
    for directive in header.split(',') {
        let directive = directive.trim();
        let (name, value) = directive
            .split_once('=')
            .map_or((directive, None), |(n, v)| (n.trim(), Some(v.trim())));
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Some(0);
        }
        if name.eq_ignore_ascii_case("max-age") {
            age = value.and_then(|v| v.trim_matches('"').parse::<u64>().ok());
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::max_age;

    #[test]
    fn reads_max_age_and_no_store() {
        assert_eq!(max_age("public, max-age=600"), Some(600));
        assert_eq!(max_age("Max-Age=\"30\""), Some(30));
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("max-age=60, no-cache"), Some(0));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=-1"), None);
    }
}
