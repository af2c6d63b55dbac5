//! How MCP names become FGA names: resource URIs become object ids, principals
//! become users. Both mappings are injective, so two different resources (or two
//! different people) never share one FGA name and its grants.

use crate::principal::Principal;
use std::collections::HashMap;
use std::sync::Arc;

/// Maps a resource URI to an FGA object (`type:id`), or `None` when the URI is
/// not governed (and then refused: the guard fails closed).
pub type UriMapper = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Maps a principal to an FGA user (`user:sarah`).
pub type UserMapper = Arc<dyn Fn(&Principal) -> Option<String> + Send + Sync>;

/// Longest object id OpenFGA accepts, in characters.
const MAX_ID_CHARS: usize = 256;

/// The escape character of [`UriMapping::escaped`].
const ESCAPE: u8 = b'+';

/// Built-in URI -> object rules.
#[derive(Debug, Clone, Copy)]
pub struct UriMapping;

impl UriMapping {
    /// `<object_type>:<escaped URI>`, a reversible escaping: ASCII letters,
    /// digits, `-`, `.`, `_` and `/` stay as they are; every other byte of the
    /// URI's UTF-8 becomes `+XX` (upper-case hex), `+` itself included. So
    /// `crm://contacts/acme-corp` -> `resource:crm+3A//contacts/acme-corp`, and
    /// `crm://contacts/acme/corp` -> `resource:crm+3A//contacts/acme/corp`: two
    /// URIs are never one object. The result uses only characters OpenFGA allows
    /// in an object id; an empty URI, or one whose id would pass OpenFGA's 256
    /// characters, maps to no object (refused). [`UriMapping::unescape`] inverts it.
    pub fn escaped(object_type: &str) -> UriMapper {
        let prefix = format!("{object_type}:");
        Arc::new(move |uri: &str| {
            let id = escape(uri);
            (!id.is_empty() && id.len() <= MAX_ID_CHARS).then(|| format!("{prefix}{id}"))
        })
    }

    /// The URI an id of [`UriMapping::escaped`] stands for (the id without its
    /// `type:`), or `None` when `id` is not such an id: e.g. for the objects
    /// an FGA `ListObjects` answer names.
    pub fn unescape(id: &str) -> Option<String> {
        let bytes = id.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b == ESCAPE {
                let hex = id.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(b);
                i += 1;
            }
        }
        let uri = String::from_utf8(out).ok()?;
        // Only the one canonical spelling inverts: `+2d` or `+41` are not ids.
        (escape(&uri) == id).then_some(uri)
    }

    /// A fixed table of URI -> object pairs.
    pub fn table(pairs: &[(&str, &str)]) -> UriMapper {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(u, o)| ((*u).to_owned(), (*o).to_owned()))
            .collect();
        Arc::new(move |uri: &str| map.get(uri).cloned())
    }
}

fn escape(uri: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut id = String::with_capacity(uri.len());
    for &b in uri.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/') {
            id.push(char::from(b));
        } else {
            id.push(char::from(ESCAPE));
            for nibble in [b >> 4, b & 0x0f] {
                if let Some(&h) = HEX.get(usize::from(nibble)) {
                    id.push(char::from(h));
                }
            }
        }
    }
    id
}

/// A principal -> FGA user rule the guard refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserMappingError {
    /// An alias is empty or holds a character other than ASCII letters,
    /// digits, `-`, `.` and `_`.
    #[error("FGA user alias `{alias}` must be 1 to 64 of A-Z a-z 0-9 - . _")]
    InvalidAlias {
        /// The alias.
        alias: String,
    },
    /// Two issuers share an alias: their users would merge.
    #[error("FGA user alias `{alias}` is given to two issuers")]
    DuplicateAlias {
        /// The alias.
        alias: String,
    },
    /// One issuer is given two aliases.
    #[error("issuer {issuer} is given two FGA user aliases")]
    DuplicateIssuer {
        /// The issuer.
        issuer: String,
    },
}

/// Separates an issuer's alias from the subject in an FGA user id.
pub(crate) const ALIAS_SEPARATOR: char = '|';

/// Who FGA users are.
#[derive(Clone)]
pub(crate) enum UserRule {
    /// `user:{sub}`: only right when one issuer is trusted.
    Subject,
    /// `user:{alias}|{sub}`, the alias naming the token's issuer.
    Aliased(Arc<HashMap<String, String>>),
    /// The caller's own rule.
    Custom(UserMapper),
}

impl UserRule {
    pub(crate) fn aliased(aliases: &[(&str, &str)]) -> Result<Self, UserMappingError> {
        let mut by_issuer = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for (issuer, alias) in aliases {
            let valid = (1..=64).contains(&alias.len())
                && alias
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            if !valid {
                return Err(UserMappingError::InvalidAlias {
                    alias: (*alias).to_owned(),
                });
            }
            if !seen.insert(*alias) {
                return Err(UserMappingError::DuplicateAlias {
                    alias: (*alias).to_owned(),
                });
            }
            if by_issuer
                .insert((*issuer).to_owned(), (*alias).to_owned())
                .is_some()
            {
                return Err(UserMappingError::DuplicateIssuer {
                    issuer: (*issuer).to_owned(),
                });
            }
        }
        Ok(Self::Aliased(Arc::new(by_issuer)))
    }

    /// The FGA user of `p`, or `None` (denied).
    pub(crate) fn user(&self, p: &Principal) -> Option<String> {
        match self {
            Self::Subject => p.subject.as_ref().map(|s| format!("user:{s}")),
            Self::Aliased(aliases) => {
                let alias = aliases.get(&p.issuer)?;
                let sub = p.subject.as_ref()?;
                Some(format!("user:{alias}{ALIAS_SEPARATOR}{sub}"))
            }
            Self::Custom(f) => f(p),
        }
    }

    /// The trusted issuers this rule names no FGA user for, or `Err` when the
    /// rule is `user:{sub}` and more than one issuer is trusted.
    pub(crate) fn check_issuers(&self, issuers: &[String]) -> Result<(), crate::ConfigError> {
        match self {
            Self::Subject if issuers.len() > 1 => Err(crate::ConfigError::AmbiguousFgaUsers),
            Self::Aliased(aliases) => match issuers.iter().find(|i| !aliases.contains_key(*i)) {
                Some(i) => Err(crate::ConfigError::NoFgaAlias(i.clone())),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_injective_and_reversible() {
        let map = UriMapping::escaped("resource");
        let a = map("crm://contacts/acme-corp");
        let b = map("crm://contacts/acme/corp");
        assert_eq!(a.as_deref(), Some("resource:crm+3A//contacts/acme-corp"));
        assert_ne!(a, b);
        for uri in [
            "crm://contacts/acme-corp",
            "a+b://x y/é?q=1#f",
            "svn+ssh://h/p%2F",
            "*",
        ] {
            let object = map(uri).unwrap_or_default();
            let id = object.strip_prefix("resource:").unwrap_or_default();
            assert_eq!(UriMapping::unescape(id).as_deref(), Some(uri));
        }
        assert_eq!(map(""), None);
        assert_eq!(map(&"x".repeat(257)), None);
        assert_eq!(UriMapping::unescape("a+2d"), None, "not canonical");
        assert_eq!(UriMapping::unescape("a+41"), None, "not canonical");
        assert_eq!(UriMapping::unescape("a+4"), None);
    }

    #[test]
    fn aliases_must_be_distinct_and_plain() {
        assert!(matches!(
            UserRule::aliased(&[("https://a", "x"), ("https://b", "x")]),
            Err(UserMappingError::DuplicateAlias { .. })
        ));
        assert!(matches!(
            UserRule::aliased(&[("https://a", "x|y")]),
            Err(UserMappingError::InvalidAlias { .. })
        ));
        assert!(matches!(
            UserRule::aliased(&[("https://a", "")]),
            Err(UserMappingError::InvalidAlias { .. })
        ));
        assert!(matches!(
            UserRule::aliased(&[("https://a", "x"), ("https://a", "y")]),
            Err(UserMappingError::DuplicateIssuer { .. })
        ));
    }
}
