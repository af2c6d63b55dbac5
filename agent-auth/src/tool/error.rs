//! Why a tool call did not run, or failed. Messages name what failed; they
//! never carry token bytes or credential values.

use crate::audit::Outcome;

/// A tool call's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The relationship check denied the call: the tool did not run.
    #[error("not authorized: `{user}` lacks `{relation}` on `{object}`")]
    Forbidden {
        /// The FGA user checked.
        user: String,
        /// The relation checked.
        relation: String,
        /// The object checked.
        object: String,
    },
    /// No authorization rule covers this tool, or the call names no user to
    /// check: the tool did not run.
    #[error("not authorized: {0}")]
    Unauthorized(String),
    /// The authorization check itself failed (backend error): the tool did not run.
    #[error("the authorization check failed: {0}")]
    AuthorizationFailed(String),
    /// The arguments cannot be checked (e.g. they name an invalid object).
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The person denied the action: the tool did not run.
    #[error("the action was denied")]
    ApprovalDenied,
    /// Nobody decided in time: the tool did not run.
    #[error("the approval request expired")]
    ApprovalExpired,
    /// Asking for approval failed, or the approval granted less than the tool
    /// needs: the tool did not run.
    #[error("approval failed: {0}")]
    ApprovalFailed(String),
    /// The user must connect (or reconnect) an account: the tool did not run.
    #[error("consent required for connection `{connection}`")]
    ConsentRequired {
        /// The connection (`google`, `salesforce`, ...).
        connection: String,
        /// Scopes the stored grant lacks.
        missing_scopes: Vec<String>,
        /// Where to send the user to connect, if the connection has one.
        connect_url: Option<String>,
    },
    /// The credential could not be fetched: the tool did not run.
    #[error("credential for connection `{connection}` unavailable: {reason}")]
    CredentialUnavailable {
        /// The connection.
        connection: String,
        /// Why (a short reason, never a value).
        reason: String,
    },
    /// The provider refused the credential the tool was given (HTTP 401): a
    /// tool returns this so the credential layer refreshes and retries once.
    #[error("the provider refused the credential")]
    CredentialRejected,
    /// The output held credentials and the filter withheld all of it.
    #[error("output withheld: credentials found ({})", rules.join(", "))]
    OutputWithheld {
        /// The rules that matched.
        rules: Vec<String>,
    },
    /// The tool itself failed.
    #[error("the tool failed: {0}")]
    Tool(Box<dyn std::error::Error + Send + Sync>),
}

impl ToolError {
    /// The tool's own failure.
    pub fn tool(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Tool(error.into())
    }

    /// A short machine-readable reason, for audit events.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Forbidden { .. } => "forbidden",
            Self::Unauthorized(_) => "unauthorized",
            Self::AuthorizationFailed(_) => "authorization_failed",
            Self::InvalidArguments(_) => "invalid_arguments",
            Self::ApprovalDenied => "approval_denied",
            Self::ApprovalExpired => "approval_expired",
            Self::ApprovalFailed(_) => "approval_failed",
            Self::ConsentRequired { .. } => "consent_required",
            Self::CredentialUnavailable { .. } => "credential_unavailable",
            Self::CredentialRejected => "credential_rejected",
            Self::OutputWithheld { .. } => "output_withheld",
            Self::Tool(_) => "tool_error",
        }
    }

    /// How an audit event records this failure: refusals by policy or by a
    /// person are [`Outcome::Denied`], the rest [`Outcome::Error`].
    pub fn outcome(&self) -> Outcome {
        match self {
            Self::Forbidden { .. }
            | Self::Unauthorized(_)
            | Self::ApprovalDenied
            | Self::ApprovalExpired
            | Self::ConsentRequired { .. }
            | Self::OutputWithheld { .. } => Outcome::Denied,
            _ => Outcome::Error,
        }
    }
}
