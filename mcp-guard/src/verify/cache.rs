//! A bounded cache of introspection answers, keyed by the SHA-256 of the token
//! (the token itself is never stored).

use crate::principal::Principal;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

pub(crate) type TokenHash = [u8; 32];

pub(crate) fn hash(token: &str) -> TokenHash {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

#[derive(Debug, Clone)]
pub(crate) enum Cached {
    Active(Box<Principal>),
    Inactive,
}

#[derive(Debug)]
pub(crate) struct Cache {
    entries: Mutex<HashMap<TokenHash, (Cached, i64)>>,
    capacity: usize,
}

impl Cache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn get(&self, key: &TokenHash, now: i64) -> Option<Cached> {
        let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match map.get(key) {
            Some((value, until)) if now < *until => Some(value.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    /// Stores `value` until `until` (exclusive). Full: expired entries go first,
    /// then the entries closest to expiry.
    pub(crate) fn put(&self, key: TokenHash, value: Cached, until: i64, now: i64) {
        if until <= now {
            return;
        }
        let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.retain(|_, (_, u)| *u > now);
            if map.len() >= self.capacity {
                let mut untils: Vec<i64> = map.values().map(|(_, u)| *u).collect();
                untils.sort_unstable();
                let cut = untils.get(untils.len() / 2).copied().unwrap_or(i64::MAX);
                map.retain(|_, (_, u)| *u > cut);
                if map.len() >= self.capacity {
                    map.clear();
                }
            }
        }
        map.insert(key, (value, until));
    }

    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
