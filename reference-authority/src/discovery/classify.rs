//! Does a client act like an agent? The signals, and a risk score from them.

use super::evidence::ClientEvidence;
use crate::provider::model::ClientRecord;

/// Words in a client's name or id that suggest an AI agent.
const AI_WORDS: [&str; 12] = [
    "agent",
    "bot",
    "gpt",
    "llm",
    "ai-",
    "-ai",
    "assistant",
    "copilot",
    "claude",
    "langchain",
    "autogen",
    "mcp",
];

/// Scope prefixes or words that suggest an AI agent's tool use.
const AI_SCOPES: [&str; 4] = ["mcp", "tools", "llm", "agent"];

/// Scope words (between `:`, `.`, `_`, `/`) that make a credential privileged.
const PRIVILEGED: [&str; 5] = ["write", "admin", "delete", "all", "*"];

fn privileged(scope: &str) -> bool {
    scope
        .to_lowercase()
        .split([':', '.', '_', '/'])
        .any(|w| PRIVILEGED.contains(&w))
}

/// The agent-like signals of one client, each a sentence of evidence, and
/// the risk score (0-100) they add up to.
pub(crate) fn signals(
    client_id: &str,
    record: Option<&ClientRecord>,
    ev: Option<&ClientEvidence>,
) -> (Vec<String>, u32) {
    let mut out = Vec::new();
    let mut score = 0u32;
    let mut add = |points: u32, text: String| {
        score += points;
        out.push(text);
    };
    let name = record
        .and_then(|r| r.name.clone())
        .unwrap_or_default()
        .to_lowercase();
    let id = client_id.to_lowercase();
    if let Some(word) = AI_WORDS
        .iter()
        .find(|w| id.contains(*w) || name.contains(*w))
    {
        add(15, format!("AI-like name (\"{word}\")"));
    }
    if let Some(r) = record {
        if r.allows_grant("client_credentials") {
            add(
                15,
                "may use the client credentials grant (machine identity)".into(),
            );
        }
        if let Some(s) = r
            .scopes
            .iter()
            .find(|s| AI_SCOPES.iter().any(|w| s.to_lowercase().contains(w)))
        {
            add(15, format!("AI-like scope {s}"));
        }
        if let Some(s) = r.scopes.iter().find(|s| privileged(s)) {
            add(15, format!("privileged scope {s}"));
        }
        if r.issued_at.is_some() {
            add(5, "registered dynamically (RFC 7591)".into());
        }
    }
    if let Some(e) = ev {
        if e.machine_grants > 0 {
            add(
                20,
                format!("{} tokens as itself (machine grant)", e.machine_grants),
            );
        }
        if e.tool_calls > 0 {
            add(25, format!("{} tool calls through MCP", e.tool_calls));
        }
        if e.vault_reads > 0 {
            add(10, format!("{} vault reads", e.vault_reads));
        }
        if e.delegators.len() > 1 {
            add(10, format!("acts for {} users", e.delegators.len()));
        }
    }
    (out, score.min(100))
}

/// Whether the signals make a client an agent: tool calls, or a machine
/// identity with an AI-like name or scope.
pub(crate) fn acts_like_agent(signals: &[String]) -> bool {
    let has = |p: &str| signals.iter().any(|s| s.contains(p));
    has("tool calls")
        || ((has("machine") || has("vault reads")) && (has("AI-like name") || has("AI-like scope")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileged_scopes_are_whole_words() {
        assert!(privileged("crm:write"));
        assert!(privileged("admin"));
        assert!(!privileged("calendar:read"));
    }
}
