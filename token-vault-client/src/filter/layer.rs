//! The output filter as a layer: a tool's output (and its error message) is
//! scanned before it reaches the model; credentials are redacted, or the
//! output is withheld.

use super::{Blocked, OutputFilter};
use agent_auth::tool::{Tool, ToolCall, ToolError, ToolFuture, ToolOutput, ready_inner};
use std::sync::Arc;
use std::task::{Context, Poll};

/// Filters what the tools inside return. Outside the credential layer it also
/// sees what a tool echoed of its injected credential.
#[derive(Debug, Clone)]
pub struct OutputFilterLayer {
    filter: Arc<OutputFilter>,
}

impl OutputFilterLayer {
    /// Filters with `filter` (its mode decides: redact or withhold).
    pub fn new(filter: OutputFilter) -> Self {
        Self {
            filter: Arc::new(filter),
        }
    }

    fn output(&self, output: ToolOutput) -> Result<ToolOutput, ToolError> {
        let filtered = match &output {
            ToolOutput::Json(v) => self.filter.filter_json(v).map(ToolOutput::Json),
            ToolOutput::Text(t) => self.filter.filter_text(t).map(ToolOutput::Text),
            // A kind this layer does not know cannot be scanned: withheld.
            _ => Err(Blocked {
                findings: Vec::new(),
            }),
        };
        filtered.map_err(withheld)
    }

    /// A tool's own error message reaches the model too: it is filtered the
    /// same way (a failing HTTP client may quote the request it sent).
    fn error(&self, error: ToolError) -> ToolError {
        let ToolError::Tool(inner) = &error else {
            return error;
        };
        let message = inner.to_string();
        if self.filter.scan(&message).is_empty() {
            return error;
        }
        match self.filter.filter_text(&message) {
            Ok(redacted) => ToolError::tool(redacted),
            Err(blocked) => withheld(blocked),
        }
    }
}

fn withheld(blocked: Blocked) -> ToolError {
    let mut rules: Vec<String> = blocked
        .findings
        .iter()
        .map(|f| f.rule.to_string())
        .collect();
    rules.sort();
    rules.dedup();
    ToolError::OutputWithheld { rules }
}

impl<S> tower::Layer<S> for OutputFilterLayer {
    type Service = OutputFilterService<S>;

    fn layer(&self, inner: S) -> OutputFilterService<S> {
        OutputFilterService {
            inner,
            layer: self.clone(),
        }
    }
}

/// A tool inside an [`OutputFilterLayer`].
#[derive(Debug, Clone)]
pub struct OutputFilterService<S> {
    inner: S,
    layer: OutputFilterLayer,
}

impl<S: Tool> tower::Service<ToolCall> for OutputFilterService<S> {
    type Response = ToolOutput;
    type Error = ToolError;
    type Future = ToolFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ToolError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: ToolCall) -> ToolFuture {
        let mut inner = ready_inner(&mut self.inner);
        let layer = self.layer.clone();
        Box::pin(async move {
            match inner.call(call).await {
                Ok(output) => layer.output(output),
                Err(e) => Err(layer.error(e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::filter::FilterMode;
    use agent_auth::secret::SecretString;
    use agent_auth::tool::{ToolContext, tool_fn};
    use agent_auth::validate::Claims;
    use serde_json::json;
    use tower::{Layer as _, ServiceExt as _};

    const LEAK: &str = "ghp_0123456789abcdefghijABCDEFGHIJ012345";

    fn call() -> ToolCall {
        let mut claims = Claims::new().with("client_id", "assistant");
        claims.sub = Some("alice".into());
        ToolCall::new(
            "read",
            json!({}),
            ToolContext::from_verified_claims(&claims).unwrap(),
        )
    }

    #[tokio::test]
    async fn a_credential_in_json_output_is_redacted() {
        let tool = OutputFilterLayer::new(OutputFilter::new(FilterMode::Redact)).layer(tool_fn(
            |_| async { Ok(ToolOutput::json(json!({"note": format!("token {LEAK}")}))) },
        ));
        let out = tool.oneshot(call()).await.unwrap().to_string();
        assert!(!out.contains(LEAK), "{out}");
        assert!(out.contains("[REDACTED:github-token]"), "{out}");
    }

    #[tokio::test]
    async fn block_mode_withholds_the_whole_output_naming_only_rules() {
        const SECRET: &str = "vault-held-value-0042";
        let secret = SECRET;
        let filter = OutputFilter::new(FilterMode::Block).with_values(&[SecretString::new(secret)]);
        let tool = OutputFilterLayer::new(filter).layer(tool_fn(|_| async {
            Ok(ToolOutput::text(format!("it is {SECRET}")))
        }));
        let err = tool.oneshot(call()).await.unwrap_err();
        assert!(
            matches!(&err, ToolError::OutputWithheld { rules } if rules == &["vault-value"]),
            "{err:?}"
        );
        assert!(!err.to_string().contains(secret));
    }

    #[tokio::test]
    async fn a_credential_quoted_in_a_tool_error_is_redacted() {
        let tool = OutputFilterLayer::new(OutputFilter::new(FilterMode::Redact)).layer(tool_fn(
            |_| async { Err(ToolError::tool(format!("request with {LEAK} failed"))) },
        ));
        let err = tool.oneshot(call()).await.unwrap_err();
        assert!(matches!(err, ToolError::Tool(_)), "{err:?}");
        assert!(!err.to_string().contains(LEAK), "{err}");
        let refusal = OutputFilterLayer::new(OutputFilter::new(FilterMode::Redact))
            .layer(tool_fn(|_| async { Err(ToolError::ApprovalDenied) }));
        assert!(matches!(
            refusal.oneshot(call()).await.unwrap_err(),
            ToolError::ApprovalDenied
        ));
    }
}
