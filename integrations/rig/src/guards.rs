//! The standard guard stack around one tool, built from the existing tool
//! layers: audit outermost (it records every refusal), then the output
//! credential filter (on by default), the FGA check, the CIBA approval of
//! risky calls, and the vault credential innermost.

use agent_auth::tool::{AuditLayer, BoxTool, FgaLayer, Tool, boxed};
use ciba_client::guard::ApprovalLayer;
use token_vault_client::agent::CredentialLayer;
use token_vault_client::filter::{FilterMode, OutputFilter, OutputFilterLayer};
use tower::Layer as _;

/// Which guards wrap a tool. Built with an audit layer (every call is
/// recorded) and the output filter in redact mode with the built-in rules;
/// the rest is added as the tool needs.
#[derive(Debug, Clone)]
pub struct Guards {
    audit: AuditLayer,
    filter: OutputFilterLayer,
    fga: Option<FgaLayer>,
    approval: Option<ApprovalLayer>,
    credential: Option<CredentialLayer>,
}

impl Guards {
    /// Audit through `audit`, output redacted by the built-in credential rules.
    pub fn new(audit: AuditLayer) -> Self {
        Self {
            audit,
            filter: OutputFilterLayer::new(OutputFilter::new(FilterMode::Redact)),
            fga: None,
            approval: None,
            credential: None,
        }
    }

    /// Replaces the output filter (e.g. one that also knows the vault's
    /// exact values, or withholds instead of redacting).
    #[must_use]
    pub fn output_filter(mut self, filter: OutputFilterLayer) -> Self {
        self.filter = filter;
        self
    }

    /// Checks each call against FGA before anything else runs.
    #[must_use]
    pub fn fga(mut self, fga: FgaLayer) -> Self {
        self.fga = Some(fga);
        self
    }

    /// Asks a person over CIBA for the calls the layer's rule names risky.
    #[must_use]
    pub fn approval(mut self, approval: ApprovalLayer) -> Self {
        self.approval = Some(approval);
        self
    }

    /// Hands the tool the vault's credential for the call's user.
    #[must_use]
    pub fn credential(mut self, credential: CredentialLayer) -> Self {
        self.credential = Some(credential);
        self
    }

    /// `tool` inside the guards.
    pub fn wrap<S: Tool>(&self, tool: S) -> BoxTool {
        let mut guarded = boxed(tool);
        if let Some(credential) = &self.credential {
            guarded = boxed(credential.layer(guarded));
        }
        if let Some(approval) = &self.approval {
            guarded = boxed(approval.layer(guarded));
        }
        if let Some(fga) = &self.fga {
            guarded = boxed(fga.layer(guarded));
        }
        guarded = boxed(self.filter.layer(guarded));
        boxed(self.audit.layer(guarded))
    }
}
