//! Who acts in a tool call: the agent, the user it acts for, and the chain of
//! actors the authority recorded. Built only from verified token claims.

use crate::validate::{Claims, TokenKind, Validated};
use serde_json::Value;

/// The most actors an `act` chain may nest before it is refused.
const MAX_CHAIN: usize = 16;

/// One actor of an RFC 8693 delegation chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    subject: String,
    issuer: Option<String>,
}

impl Actor {
    /// The actor's `sub`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The actor's `iss`, when it differs from the token's issuer.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }
}

/// Why verified claims do not name who acts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// Neither `client_id` nor `azp` names the agent.
    #[error("the token names no client (`client_id` or `azp`)")]
    NoClient,
    /// An `act` member is not an object with a string `sub`.
    #[error("the `act` claim at depth {depth} is not an object with a string `sub`")]
    MalformedActor {
        /// How deep in the chain (0 = the outermost `act`).
        depth: usize,
    },
    /// The `act` chain nests deeper than the limit.
    #[error("the `act` chain nests deeper than {MAX_CHAIN} actors")]
    ChainTooDeep,
}

/// Who acts in a tool call. Fields are private: a context comes only from
/// verified claims, so no layer and no model output can name another agent or
/// user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolContext {
    agent: String,
    user: Option<String>,
    issuer: Option<String>,
    chain: Vec<Actor>,
}

impl ToolContext {
    /// The context of a call made with a validated token (an access token the
    /// agent holds, or one a resource server received).
    pub fn from_token<K: TokenKind>(token: &Validated<K>) -> Result<Self, ContextError> {
        Self::from_verified_claims(token.claims())
    }

    /// The context from claims that were verified by other means (RFC 7662
    /// introspection, a resource server's verified principal). Never pass
    /// claims a model wrote or a client sent unsigned.
    ///
    /// The agent is `client_id` (RFC 9068 section 2.2, RFC 8693 section 4.3),
    /// else `azp` (OpenID Connect Core section 2); the user is `sub`; the chain
    /// is the nested `act` claim, current actor first (RFC 8693 section 4.1:
    /// each `act` is an object whose `sub` names the actor).
    pub fn from_verified_claims(claims: &Claims) -> Result<Self, ContextError> {
        let agent = claims
            .str("client_id")
            .or_else(|| claims.str("azp"))
            .ok_or(ContextError::NoClient)?
            .to_owned();
        Ok(Self {
            agent,
            user: claims.sub.clone(),
            issuer: claims.iss.clone(),
            chain: act_chain(claims.extra.get("act"))?,
        })
    }

    /// The acting agent (its client id).
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// The user the agent acts for (`sub`).
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The issuer that vouched for the token.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The delegation chain, current actor first (empty without `act`).
    pub fn on_behalf_of(&self) -> &[Actor] {
        &self.chain
    }
}

/// Reads the nested `act` claim (RFC 8693 section 4.1).
fn act_chain(mut act: Option<&Value>) -> Result<Vec<Actor>, ContextError> {
    let mut chain = Vec::new();
    while let Some(value) = act {
        let depth = chain.len();
        if depth == MAX_CHAIN {
            return Err(ContextError::ChainTooDeep);
        }
        let object = value
            .as_object()
            .ok_or(ContextError::MalformedActor { depth })?;
        let subject = object
            .get("sub")
            .and_then(Value::as_str)
            .ok_or(ContextError::MalformedActor { depth })?;
        let issuer = match object.get("iss") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(ContextError::MalformedActor { depth }),
        };
        chain.push(Actor {
            subject: subject.to_owned(),
            issuer,
        });
        act = object.get("act");
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use serde_json::json;

    fn claims() -> Claims {
        let mut c = Claims::new().with("client_id", "sales-agent");
        c.sub = Some("user-sarah".into());
        c.iss = Some("https://auth.example".into());
        c
    }

    #[test]
    fn agent_user_and_chain_come_from_the_claims() {
        let c = claims().with(
            "act",
            json!({"sub": "sales-agent", "act": {"sub": "planner", "iss": "https://other.example"}}),
        );
        let ctx = ToolContext::from_verified_claims(&c).unwrap();
        assert_eq!(ctx.agent(), "sales-agent");
        assert_eq!(ctx.user(), Some("user-sarah"));
        assert_eq!(ctx.issuer(), Some("https://auth.example"));
        let chain: Vec<_> = ctx.on_behalf_of().iter().map(Actor::subject).collect();
        assert_eq!(chain, ["sales-agent", "planner"]);
        assert_eq!(
            ctx.on_behalf_of()[1].issuer(),
            Some("https://other.example")
        );
    }

    #[test]
    fn azp_names_the_agent_without_client_id() {
        let mut c = Claims::new().with("azp", "assistant");
        c.sub = Some("alice".into());
        assert_eq!(
            ToolContext::from_verified_claims(&c).unwrap().agent(),
            "assistant"
        );
    }

    #[test]
    fn a_token_without_a_client_names_no_agent() {
        let mut c = Claims::new();
        c.sub = Some("alice".into());
        assert_eq!(
            ToolContext::from_verified_claims(&c),
            Err(ContextError::NoClient)
        );
    }

    #[test]
    fn a_malformed_act_claim_is_refused() {
        for act in [
            json!("sales-agent"),
            json!({"iss": "x"}),
            json!({"sub": 7}),
            json!({"sub": "a", "iss": 1}),
        ] {
            let err = ToolContext::from_verified_claims(&claims().with("act", act)).unwrap_err();
            assert_eq!(err, ContextError::MalformedActor { depth: 0 });
        }
        let nested = json!({"sub": "a", "act": {"sub": ["b"]}});
        assert_eq!(
            ToolContext::from_verified_claims(&claims().with("act", nested)),
            Err(ContextError::MalformedActor { depth: 1 })
        );
    }

    #[test]
    fn an_overly_deep_act_chain_is_refused() {
        let mut act = json!({"sub": "last"});
        for i in 0..MAX_CHAIN {
            act = json!({"sub": format!("a{i}"), "act": act});
        }
        assert_eq!(
            ToolContext::from_verified_claims(&claims().with("act", act)),
            Err(ContextError::ChainTooDeep)
        );
    }
}
