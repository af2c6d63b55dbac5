//! The FGA layer: a per-tool rule maps the call to (object, relation), the
//! user it acts for to an FGA user, and the relationship check decides. A
//! denied call never reaches the layers inside.

use super::{Tool, ToolCall, ToolContext, ToolError, ToolFuture, ToolOutput, ready_inner};
use fga_core::{CheckRequest, FgaBackend};
use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};

/// What one call must be allowed: `relation` on `object`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FgaCheck {
    /// `type:id` of the object.
    pub object: String,
    /// The relation the user must have.
    pub relation: String,
}

impl FgaCheck {
    /// The check of `relation` on `object`.
    pub fn new(object: impl Into<String>, relation: impl Into<String>) -> Self {
        Self {
            object: object.into(),
            relation: relation.into(),
        }
    }
}

type Rule = Arc<dyn Fn(&ToolCall) -> Result<FgaCheck, ToolError> + Send + Sync>;
type UserMap = Arc<dyn Fn(&ToolContext) -> Option<String> + Send + Sync>;

/// Checks each call against an FGA backend. A tool without a rule is refused
/// (fail closed); so is a call that names no user.
#[derive(Clone)]
pub struct FgaLayer {
    backend: Arc<dyn FgaBackend>,
    rules: Arc<HashMap<String, Rule>>,
    user: UserMap,
}

impl std::fmt::Debug for FgaLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut tools: Vec<&String> = self.rules.keys().collect();
        tools.sort();
        f.debug_struct("FgaLayer")
            .field("tools", &tools)
            .finish_non_exhaustive()
    }
}

impl FgaLayer {
    /// Checks against `backend`; the user is `user:<sub>`.
    pub fn new(backend: Arc<dyn FgaBackend>) -> Self {
        Self {
            backend,
            rules: Arc::new(HashMap::new()),
            user: Arc::new(|ctx: &ToolContext| ctx.user().map(|u| format!("user:{u}"))),
        }
    }

    /// The rule of tool `name`: which relation on which object a call needs.
    /// Rules read the arguments, which the model wrote: the object is checked
    /// to be one `type:id` before the backend sees it.
    #[must_use]
    pub fn rule<F>(mut self, name: impl Into<String>, rule: F) -> Self
    where
        F: Fn(&ToolCall) -> Result<FgaCheck, ToolError> + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.rules).insert(name.into(), Arc::new(rule));
        self
    }

    /// How the user a call acts for becomes an FGA user (default `user:<sub>`);
    /// `None` refuses the call.
    #[must_use]
    pub fn user_mapping<F>(mut self, map: F) -> Self
    where
        F: Fn(&ToolContext) -> Option<String> + Send + Sync + 'static,
    {
        self.user = Arc::new(map);
        self
    }

    async fn check(&self, call: &ToolCall) -> Result<(), ToolError> {
        let rule = self.rules.get(call.name()).ok_or_else(|| {
            ToolError::Unauthorized(format!("no authorization rule for tool `{}`", call.name()))
        })?;
        let check = rule(call)?;
        valid_object(&check.object)?;
        let user = (self.user)(call.context())
            .ok_or_else(|| ToolError::Unauthorized("the call names no user to check".into()))?;
        let request = CheckRequest::new(check.object.clone(), check.relation.clone(), user.clone());
        match self.backend.check(request).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ToolError::Forbidden {
                user,
                relation: check.relation,
                object: check.object,
            }),
            Err(e) => Err(ToolError::AuthorizationFailed(e.to_string())),
        }
    }
}

/// An object is exactly one `type:id`: no second `:`, no `#` (a userset
/// relation), no whitespace, nothing empty. Rules build objects from
/// model-written arguments; this keeps an argument such as
/// `acme#owner` or `doc:*` from changing what is checked (OpenFGA's object
/// syntax, "Concepts: Object").
fn valid_object(object: &str) -> Result<(), ToolError> {
    let invalid = || ToolError::InvalidArguments("the call names an invalid object".into());
    let (kind, id) = object.split_once(':').ok_or_else(invalid)?;
    let clean = |s: &str| {
        !s.is_empty()
            && !s
                .chars()
                .any(|c| c == ':' || c == '#' || c == '*' || c.is_whitespace() || c.is_control())
    };
    if clean(kind) && clean(id) {
        Ok(())
    } else {
        Err(invalid())
    }
}

impl<S> tower::Layer<S> for FgaLayer {
    type Service = FgaService<S>;

    fn layer(&self, inner: S) -> FgaService<S> {
        FgaService {
            inner,
            layer: self.clone(),
        }
    }
}

/// A tool inside an [`FgaLayer`].
#[derive(Debug, Clone)]
pub struct FgaService<S> {
    inner: S,
    layer: FgaLayer,
}

impl<S: Tool> tower::Service<ToolCall> for FgaService<S> {
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
            layer.check(&call).await?;
            inner.call(call).await
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::validate::Claims;
    use fga_core::{EmbeddedBackend, Engine, TupleKey};
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::{Layer as _, ServiceExt as _};

    async fn backend() -> Arc<dyn FgaBackend> {
        let backend = EmbeddedBackend::new(
            Engine::from_dsl(
                "model\n  schema 1.1\ntype user\ntype account\n  relations\n    define editor: [user]\n",
            )
            .unwrap(),
        );
        backend
            .write(
                vec![TupleKey::new("account:acme", "editor", "user:sarah")],
                vec![],
            )
            .await
            .unwrap();
        Arc::new(backend)
    }

    fn call(user: &str, customer: &str) -> ToolCall {
        let mut claims = Claims::new().with("client_id", "sales-agent");
        claims.sub = Some(user.into());
        let ctx = ToolContext::from_verified_claims(&claims).unwrap();
        ToolCall::new("update_crm", json!({"customer": customer}), ctx)
    }

    fn layer(backend: Arc<dyn FgaBackend>) -> FgaLayer {
        FgaLayer::new(backend).rule("update_crm", |call: &ToolCall| {
            let customer = call.arguments()["customer"]
                .as_str()
                .ok_or_else(|| ToolError::InvalidArguments("no customer".into()))?;
            Ok(FgaCheck::new(format!("account:{customer}"), "editor"))
        })
    }

    fn counting() -> (Arc<AtomicUsize>, impl Tool) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let tool = crate::tool::tool_fn(move |_| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(ToolOutput::text("updated"))
            }
        });
        (runs, tool)
    }

    #[tokio::test]
    async fn an_allowed_user_reaches_the_tool_a_denied_one_never_does() {
        let (runs, tool) = counting();
        let guarded = layer(backend().await).layer(tool);
        guarded
            .clone()
            .oneshot(call("sarah", "acme"))
            .await
            .unwrap();
        let err = guarded.oneshot(call("mallory", "acme")).await.unwrap_err();
        assert!(
            matches!(&err, ToolError::Forbidden { user, relation, object }
                if user == "user:mallory" && relation == "editor" && object == "account:acme"),
            "{err:?}"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_tool_without_a_rule_is_refused() {
        let (runs, tool) = counting();
        let guarded = layer(backend().await).layer(tool);
        let mut claims = Claims::new().with("client_id", "sales-agent");
        claims.sub = Some("sarah".into());
        let ctx = ToolContext::from_verified_claims(&claims).unwrap();
        let err = guarded
            .oneshot(ToolCall::new("delete_everything", json!({}), ctx))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::Unauthorized(_)), "{err:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_call_without_a_user_is_refused() {
        let (runs, tool) = counting();
        let guarded = layer(backend().await).layer(tool);
        let ctx =
            ToolContext::from_verified_claims(&Claims::new().with("client_id", "sales-agent"))
                .unwrap();
        let err = guarded
            .oneshot(ToolCall::new(
                "update_crm",
                json!({"customer": "acme"}),
                ctx,
            ))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::Unauthorized(_)), "{err:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn argument_injection_into_the_object_is_refused() {
        let (runs, tool) = counting();
        let guarded = layer(backend().await).layer(tool);
        for customer in ["acme#editor", "acme:x", "*", "", "ac me"] {
            let err = guarded
                .clone()
                .oneshot(call("sarah", customer))
                .await
                .unwrap_err();
            assert!(
                matches!(err, ToolError::InvalidArguments(_)),
                "{customer}: {err:?}"
            );
        }
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }
}
