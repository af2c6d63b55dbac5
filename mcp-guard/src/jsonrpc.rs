//! Just enough of an MCP JSON-RPC request body to decide what it needs: the
//! method, the tool name of `tools/call` and the URI of `resources/read`.
//! Parsing is strict: a repeated member is an error, so the guard and the MCP
//! server can never read two different methods out of one body.

use serde::Deserialize;

/// One JSON-RPC message of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Call {
    /// `method` (absent in a response sent by the client).
    pub method: Option<String>,
    /// `params.name` of `tools/call` and `prompts/get`.
    pub name: Option<String>,
    /// `params.uri` of `resources/read`, `resources/subscribe`, `resources/unsubscribe`.
    pub uri: Option<String>,
    /// `id`, kept to answer a refused call in JSON-RPC.
    pub id: Option<serde_json::Value>,
    /// `params.arguments` of `tools/call`.
    pub arguments: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Message {
    method: Option<String>,
    id: Option<serde_json::Value>,
    params: Option<Params>,
}

#[derive(Deserialize)]
struct Params {
    name: Option<serde_json::Value>,
    uri: Option<serde_json::Value>,
    arguments: Option<serde_json::Value>,
}

/// Why a body is not a JSON-RPC request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request body is not JSON-RPC")]
pub struct NotJsonRpc;

/// Reads the calls of a request body (a single message or a batch).
pub fn parse(body: &[u8]) -> Result<Vec<Call>, NotJsonRpc> {
    // A batch is a JSON array (JSON-RPC 2.0 section 6); deciding by the first
    // byte spares serde's buffering of an untagged enum on every request.
    let is_batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let messages: Vec<Message> = if is_batch {
        serde_json::from_slice(body).map_err(|_| NotJsonRpc)?
    } else {
        vec![serde_json::from_slice(body).map_err(|_| NotJsonRpc)?]
    };
    if messages.is_empty() {
        return Err(NotJsonRpc);
    }
    messages
        .into_iter()
        .map(|m| {
            let (name, uri, arguments) = match m.params {
                Some(p) => (text(p.name)?, text(p.uri)?, p.arguments),
                None => (None, None, None),
            };
            Ok(Call {
                method: m.method,
                name,
                uri,
                id: m.id,
                arguments,
            })
        })
        .collect()
}

fn text(v: Option<serde_json::Value>) -> Result<Option<String>, NotJsonRpc> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(NotJsonRpc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_calls() -> Result<(), NotJsonRpc> {
        let calls = parse(br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"crm","arguments":{}}}"#)?;
        assert_eq!(calls.first().and_then(|c| c.name.as_deref()), Some("crm"));
        let calls = parse(br#"[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"crm://x"}}]"#)?;
        assert_eq!(calls.len(), 2);
        assert_eq!(calls.get(1).and_then(|c| c.uri.as_deref()), Some("crm://x"));
        Ok(())
    }

    #[test]
    fn refuses_ambiguity() {
        assert!(parse(br#"{"method":"tools/list","method":"tools/call"}"#).is_err());
        assert!(parse(br#"{"method":"tools/call","params":{"name":"a","name":"b"}}"#).is_err());
        assert!(parse(br#"{"method":"tools/call","params":{"name":5}}"#).is_err());
        assert!(parse(b"[]").is_err());
        assert!(parse(b"not json").is_err());
    }
}
