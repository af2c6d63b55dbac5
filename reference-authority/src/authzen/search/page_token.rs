//! Page tokens: an offset bound to the query it pages through, so a token
//! from one search cannot be replayed against another.

use agent_auth::authzen::RequestError;
use aws_lc_rs::digest;

/// A fingerprint of a search query (without its page).
pub(super) fn fingerprint(kind: &str, query: &impl std::fmt::Debug) -> String {
    let text = format!("{kind}\n{query:?}");
    let hash = digest::digest(&digest::SHA256, text.as_bytes());
    hash.as_ref()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The token of the page starting at `offset`.
pub(super) fn token(offset: usize, fingerprint: &str) -> String {
    format!("{offset}.{fingerprint}")
}

/// The offset of `token`, if it was issued for this query.
pub(super) fn offset(token: &str, fingerprint: &str) -> Result<usize, RequestError> {
    let (offset, bound) = token.split_once('.').ok_or(RequestError::PageToken)?;
    if bound != fingerprint || offset.len() > 10 || !offset.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RequestError::PageToken);
    }
    offset.parse().map_err(|_| RequestError::PageToken)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_of_another_query_is_refused() {
        let a = fingerprint("subject", &"read record-1");
        let b = fingerprint("subject", &"read record-2");
        let t = token(5, &a);
        assert_eq!(offset(&t, &a).unwrap(), 5);
        assert_eq!(offset(&t, &b), Err(RequestError::PageToken));
        assert_eq!(offset("x.y", &a), Err(RequestError::PageToken));
        assert_eq!(offset(&format!("-1.{a}"), &a), Err(RequestError::PageToken));
        assert_eq!(
            offset(&format!("99999999999.{a}"), &a),
            Err(RequestError::PageToken)
        );
    }
}
