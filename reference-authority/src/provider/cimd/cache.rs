//! How long a fetched document stays fresh (RFC 9111 section 5.2.2): its
//! `max-age`, never more than the policy's bound; `no-store`, `no-cache`,
//! `private` or no `max-age` mean not at all. At most `max_entries` are
//! kept: the stalest go first.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The seconds a response with `cache_control` stays fresh, at most `cap`.
///
/// ```
/// use reference_authority::cimd::freshness;
/// assert_eq!(freshness(Some("public, max-age=60"), 3600), 60);
/// assert_eq!(freshness(Some("max-age=999999"), 3600), 3600);
/// assert_eq!(freshness(Some("no-store, max-age=60"), 3600), 0);
/// assert_eq!(freshness(None, 3600), 0);
/// ```
pub fn freshness(cache_control: Option<&str>, cap: i64) -> i64 {
    let Some(header) = cache_control else {
        return 0;
    };
    let mut max_age = None;
    for directive in header.split(',').map(str::trim) {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        match name.to_ascii_lowercase().as_str() {
            "no-store" | "no-cache" => return 0,
            "max-age" => max_age = value.trim_matches('"').parse::<i64>().ok(),
            _ => {}
        }
    }
    max_age.unwrap_or(0).clamp(0, cap.max(0))
}

/// Client ids whose document is fresh, until when, and what was kept with
/// each.
#[derive(Debug)]
pub(super) struct Freshness<V> {
    until: Mutex<HashMap<String, (i64, V)>>,
}

impl<V> Default for Freshness<V> {
    fn default() -> Self {
        Self {
            until: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> Freshness<V> {
    pub(super) fn is_fresh(&self, client_id: &str, now: i64) -> bool {
        self.get(client_id, now).is_some()
    }

    /// Until when `client_id` is fresh and its value, if it is.
    pub(super) fn get(&self, client_id: &str, now: i64) -> Option<(i64, V)> {
        let map = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(client_id).filter(|(u, _)| *u > now).cloned()
    }

    pub(super) fn keep(&self, client_id: &str, until: i64, now: i64, max_entries: usize, value: V) {
        let mut map = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, (u, _)| *u > now);
        if until <= now || max_entries == 0 {
            map.remove(client_id);
            return;
        }
        while map.len() >= max_entries && !map.contains_key(client_id) {
            let Some(stalest) = map
                .iter()
                .min_by_key(|(_, (u, _))| *u)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            map.remove(&stalest);
        }
        map.insert(client_id.to_owned(), (until, value));
    }

    pub(super) fn forget(&self, client_id: &str) {
        let mut map = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(client_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded() {
        let f = Freshness::default();
        f.keep("a", 100, 0, 2, ());
        f.keep("b", 200, 0, 2, ());
        f.keep("c", 300, 0, 2, ());
        assert!(!f.is_fresh("a", 0), "the stalest went first");
        assert!(f.is_fresh("b", 0) && f.is_fresh("c", 0));
        assert!(!f.is_fresh("c", 300));
    }

    #[test]
    fn odd_headers_mean_no_caching() {
        assert_eq!(freshness(Some("max-age=-5"), 60), 0);
        assert_eq!(freshness(Some("max-age=abc"), 60), 0);
        assert_eq!(freshness(Some("NO-CACHE"), 60), 0);
        assert_eq!(freshness(Some("max-age=\"30\""), 60), 30);
    }
}
