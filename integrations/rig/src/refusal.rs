//! How a refusal or failure of the tool layers reaches rig: a
//! [`ToolExecutionError`] whose code is the layer's reason and whose message
//! (also the model's feedback) never carries the tool's own error text, which
//! may quote credentials.

use agent_auth::audit::Outcome;
use agent_auth::tool::ToolError;
use rig_core::tool::{ToolErrorKind, ToolExecutionError};

/// The rig error of a tool-layer error. Refusals by policy or by a person
/// become rig refusals ([`ToolExecutionError::refused`]); bad arguments
/// `InvalidArgs`; the rest `Other`.
///
/// ```
/// use agent_auth::tool::ToolError;
/// use agent_auth_rig::refusal::to_rig;
///
/// let error = to_rig(&ToolError::ApprovalDenied);
/// assert_eq!(error.code(), Some("approval_denied"));
/// assert_eq!(error.message(), "the action was denied");
/// ```
pub fn to_rig(error: &ToolError) -> ToolExecutionError {
    let message = match error {
        // The tool's own error may quote what it handled (a token, a body).
        ToolError::Tool(_) => "the tool failed".to_owned(),
        other => other.to_string(),
    };
    let base = match (error, error.outcome()) {
        (ToolError::InvalidArguments(_), _) => {
            ToolExecutionError::new(ToolErrorKind::InvalidArgs, message.clone())
        }
        (_, Outcome::Denied) => ToolExecutionError::refused(message.clone()),
        _ => ToolExecutionError::new(ToolErrorKind::Other, message.clone()),
    };
    base.with_code(error.reason()).with_model_feedback(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_error_never_passes_its_text_to_the_model() {
        let error = to_rig(&ToolError::tool("Authorization: Bearer sk-secret-value"));
        assert_eq!(error.message(), "the tool failed");
        assert_eq!(error.model_feedback(), Some("the tool failed"));
        assert_eq!(error.code(), Some("tool_error"));
    }

    #[test]
    fn refusals_by_policy_are_rig_refusals() {
        let forbidden = ToolError::Forbidden {
            user: "user:mallory".into(),
            relation: "editor".into(),
            object: "account:acme".into(),
        };
        let rig = to_rig(&forbidden);
        assert_eq!(rig.kind(), ToolErrorKind::PermissionDenied);
        assert_eq!(rig.code(), Some("forbidden"));
        let invalid = to_rig(&ToolError::InvalidArguments("bad object".into()));
        assert_eq!(invalid.kind(), ToolErrorKind::InvalidArgs);
    }
}
