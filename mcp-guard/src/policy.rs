//! Which scopes a request needs: per route, per MCP JSON-RPC method, per tool
//! name and per resource URI pattern. A request needs the union of every rule
//! that applies to it.

use crate::jsonrpc::Call;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The scope rules of a protected MCP server.
#[derive(Debug, Clone, Default)]
pub struct ScopePolicy {
    always: Vec<String>,
    routes: Vec<(String, Vec<String>)>,
    methods: HashMap<String, Vec<String>>,
    tools: HashMap<String, Vec<String>>,
    resources: Vec<(UriPattern, Vec<String>)>,
    public_methods: HashSet<String>,
    advertised: Vec<String>,
}

fn owned(scopes: &[&str]) -> Vec<String> {
    scopes.iter().map(|s| (*s).to_owned()).collect()
}

impl ScopePolicy {
    /// No rules: any valid token for the resource may do anything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scopes every authenticated request needs.
    #[must_use]
    pub fn always(mut self, scopes: &[&str]) -> Self {
        self.always.extend(owned(scopes));
        self
    }

    /// Scopes for requests whose path starts with `prefix`.
    #[must_use]
    pub fn route(mut self, prefix: &str, scopes: &[&str]) -> Self {
        self.routes.push((prefix.to_owned(), owned(scopes)));
        self
    }

    /// Scopes for a JSON-RPC method (`tools/list`, `resources/read`, ...).
    #[must_use]
    pub fn method(mut self, method: &str, scopes: &[&str]) -> Self {
        self.methods.insert(method.to_owned(), owned(scopes));
        self
    }

    /// Scopes for `tools/call` of the tool `name`; `tools/list` shows the tool
    /// only to tokens holding them.
    #[must_use]
    pub fn tool(mut self, name: &str, scopes: &[&str]) -> Self {
        self.tools.insert(name.to_owned(), owned(scopes));
        self
    }

    /// Scopes for `resources/read` and `resources/subscribe` of URIs matching
    /// `pattern` (`*` matches any run of characters: `crm://*`).
    #[must_use]
    pub fn resource(mut self, pattern: &str, scopes: &[&str]) -> Self {
        self.resources
            .push((UriPattern::new(pattern), owned(scopes)));
        self
    }

    /// Methods allowed without a token (e.g. `initialize` and `ping` on a server
    /// that wants the MCP handshake open). Empty by default.
    #[must_use]
    pub fn public_method(mut self, method: &str) -> Self {
        self.public_methods.insert(method.to_owned());
        self
    }

    /// Scopes to advertise in metadata beyond those named by rules.
    #[must_use]
    pub fn advertise(mut self, scopes: &[&str]) -> Self {
        self.advertised.extend(owned(scopes));
        self
    }

    /// Whether any method is public.
    pub fn has_public_methods(&self) -> bool {
        !self.public_methods.is_empty()
    }

    /// Whether every call of the request is a public method.
    pub fn all_public(&self, calls: &[Call]) -> bool {
        !calls.is_empty()
            && calls.iter().all(|c| {
                c.method
                    .as_deref()
                    .is_some_and(|m| self.public_methods.contains(m))
            })
    }

    /// The scopes a request to `path` carrying `calls` needs, sorted and unique.
    pub fn required(&self, path: &str, calls: &[Call]) -> Vec<String> {
        let mut set: BTreeSet<&str> = self.always.iter().map(String::as_str).collect();
        for (prefix, scopes) in &self.routes {
            if path.starts_with(prefix.as_str()) {
                set.extend(scopes.iter().map(String::as_str));
            }
        }
        for call in calls {
            let Some(method) = call.method.as_deref() else {
                continue;
            };
            if let Some(s) = self.methods.get(method) {
                set.extend(s.iter().map(String::as_str));
            }
            if method == "tools/call"
                && let Some(name) = &call.name
                && let Some(s) = self.tools.get(name)
            {
                set.extend(s.iter().map(String::as_str));
            }
            if let Some(uri) = &call.uri {
                for (pattern, s) in &self.resources {
                    if pattern.matches(uri) {
                        set.extend(s.iter().map(String::as_str));
                    }
                }
            }
        }
        set.into_iter().map(str::to_owned).collect()
    }

    /// The scopes calling `tool` needs (`tools/call` method rule included).
    pub fn tool_scopes(&self, tool: &str) -> Vec<String> {
        let mut v: BTreeSet<&str> = self.always.iter().map(String::as_str).collect();
        if let Some(s) = self.methods.get("tools/call") {
            v.extend(s.iter().map(String::as_str));
        }
        if let Some(s) = self.tools.get(tool) {
            v.extend(s.iter().map(String::as_str));
        }
        v.into_iter().map(str::to_owned).collect()
    }

    /// Whether a token with `scopes` may call `tool`.
    pub fn may_call(&self, scopes: &[String], tool: &str) -> bool {
        self.tool_scopes(tool).iter().all(|s| scopes.contains(s))
    }

    /// Whether a token with `scopes` may read `uri`.
    pub fn may_read(&self, scopes: &[String], uri: &str) -> bool {
        let call = Call {
            method: Some("resources/read".into()),
            name: None,
            uri: Some(uri.to_owned()),
            ..Call::default()
        };
        self.required("", std::slice::from_ref(&call))
            .iter()
            .all(|s| scopes.contains(s))
    }

    /// Every scope the rules name, for `scopes_supported`.
    pub fn scopes_supported(&self) -> Vec<String> {
        let mut set: BTreeSet<&str> = BTreeSet::new();
        set.extend(self.always.iter().map(String::as_str));
        set.extend(self.advertised.iter().map(String::as_str));
        for (_, s) in &self.routes {
            set.extend(s.iter().map(String::as_str));
        }
        for s in self.methods.values().chain(self.tools.values()) {
            set.extend(s.iter().map(String::as_str));
        }
        for (_, s) in &self.resources {
            set.extend(s.iter().map(String::as_str));
        }
        set.into_iter().map(str::to_owned).collect()
    }
}

/// A URI glob: `*` matches any run of characters, everything else itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriPattern {
    parts: Vec<String>,
    exact: bool,
}

impl UriPattern {
    /// Compiles a pattern.
    pub fn new(pattern: &str) -> Self {
        Self {
            parts: pattern.split('*').map(str::to_owned).collect(),
            exact: !pattern.contains('*'),
        }
    }

    /// Whether `uri` matches.
    pub fn matches(&self, uri: &str) -> bool {
        if self.exact {
            return self.parts.first().is_some_and(|p| p == uri);
        }
        let (Some(first), Some(last)) = (self.parts.first(), self.parts.last()) else {
            return false;
        };
        let Some(mut rest) = uri.strip_prefix(first.as_str()) else {
            return false;
        };
        let middle = self
            .parts
            .get(1..self.parts.len().saturating_sub(1))
            .unwrap_or(&[]);
        for part in middle {
            match rest.find(part.as_str()) {
                Some(i) => rest = rest.get(i + part.len()..).unwrap_or(""),
                None => return false,
            }
        }
        rest.len() >= last.len() && rest.ends_with(last.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: &str, name: Option<&str>, uri: Option<&str>) -> Call {
        Call {
            method: Some(method.into()),
            name: name.map(Into::into),
            uri: uri.map(Into::into),
            ..Call::default()
        }
    }

    #[test]
    fn patterns() {
        assert!(UriPattern::new("crm://*").matches("crm://contacts/acme"));
        assert!(!UriPattern::new("crm://*").matches("docs://x"));
        assert!(UriPattern::new("a*b*c").matches("a-b-c"));
        assert!(!UriPattern::new("a*b*c").matches("a-c"));
        assert!(!UriPattern::new("ab*ba").matches("aba"));
        assert!(UriPattern::new("exact://x").matches("exact://x"));
        assert!(!UriPattern::new("exact://x").matches("exact://xy"));
    }

    #[test]
    fn union_of_rules() {
        let p = ScopePolicy::new()
            .always(&["mcp"])
            .route("/admin", &["admin"])
            .method("tools/list", &["tools"])
            .tool("crm_lookup", &["mcp:crm:read"])
            .resource("docs://*", &["mcp:docs:read"]);
        assert_eq!(
            p.required("/mcp", &[call("tools/list", None, None)]),
            ["mcp", "tools"]
        );
        assert_eq!(
            p.required("/mcp", &[call("tools/call", Some("crm_lookup"), None)]),
            ["mcp", "mcp:crm:read"]
        );
        assert_eq!(
            p.required(
                "/admin/x",
                &[call("resources/read", None, Some("docs://a"))]
            ),
            ["admin", "mcp", "mcp:docs:read"]
        );
        assert!(p.may_call(&["mcp".into(), "mcp:crm:read".into()], "crm_lookup"));
        assert!(!p.may_call(&["mcp".into()], "crm_lookup"));
        assert_eq!(
            p.scopes_supported(),
            ["admin", "mcp", "mcp:crm:read", "mcp:docs:read", "tools"]
        );
    }
}
