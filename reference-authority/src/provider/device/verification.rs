//! The user's side (RFC 8628 section 3.3): a signed-in user enters the user
//! code, sees which client asks for what, and approves or denies.

use super::record::{DEVICE_CODES, DeviceRecord, DeviceState, USER_CODES, UserCodeLink};
use super::user_code::{display, normalize_user_code};
use crate::provider::crypto::handle_key;
use crate::provider::{Authority, SessionHandle, StoreError};
use agent_auth::audit::{AuditAction, Outcome};

/// What the verification page shows about a pending request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePrompt {
    /// The user code, as `XXXX-XXXX`.
    pub user_code: String,
    /// The requesting client.
    pub client_id: String,
    /// Its display name.
    pub client_name: String,
    /// The scope it asks for.
    pub scope: Vec<String>,
}

/// Why a user code was not accepted. The messages never repeat the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceVerifyError {
    /// No live session: the user must sign in first.
    #[error("sign in first")]
    NotSignedIn,
    /// No pending request has this code (wrong, expired or already decided).
    #[error("unknown or expired code")]
    UnknownCode,
    /// Too many wrong codes (RFC 8628 section 5.1); try again later.
    #[error("too many wrong codes; try again later")]
    TooManyAttempts,
    /// The store failed.
    #[error("storage unavailable")]
    Storage,
}

impl From<StoreError> for DeviceVerifyError {
    fn from(_: StoreError) -> Self {
        DeviceVerifyError::Storage
    }
}

impl Authority {
    /// The pending request a signed-in user's typed code names. Every wrong
    /// code counts against the user (RFC 8628 section 5.1).
    pub fn device_prompt(
        &self,
        session: &SessionHandle,
        typed: &str,
    ) -> Result<DevicePrompt, DeviceVerifyError> {
        let user_id = self.device_user(session)?.user_id;
        let (code, key, rec) = self.pending_device(&user_id, typed)?;
        let _ = key;
        Ok(prompt(&code, &rec))
    }

    /// Records the signed-in user's decision on the request a typed code names.
    /// Only a pending, unexpired request can be decided, once.
    pub fn device_decide(
        &self,
        session: &SessionHandle,
        typed: &str,
        approve: bool,
    ) -> Result<DevicePrompt, DeviceVerifyError> {
        let record = self.device_user(session)?;
        let (code, key, _) = self.pending_device(&record.user_id, typed)?;
        let now = self.now();
        let decided = self.tables().update::<DeviceRecord, Option<DeviceRecord>>(
            DEVICE_CODES,
            &key,
            |current| match current {
                Some(mut rec) if rec.state == DeviceState::Pending && rec.expires > now => {
                    rec.state = if approve {
                        DeviceState::Approved {
                            user_id: record.user_id.clone(),
                            auth_time: record.auth_time,
                            acr: record.acr.clone(),
                            amr: record.amr.clone(),
                            sid: record.sid.clone(),
                        }
                    } else {
                        DeviceState::Denied
                    };
                    (Some(rec.clone()), Some(rec))
                }
                _ => (None, None),
            },
        )?;
        let rec = decided.ok_or(DeviceVerifyError::UnknownCode)?;
        // The code is spent: it can be neither looked up nor decided again.
        self.tables().delete(USER_CODES, &handle_key(&code))?;
        let outcome = if approve {
            Outcome::Success
        } else {
            Outcome::Denied
        };
        self.audit(AuditAction::ApprovalDecided, outcome, |e| {
            e.agent(rec.client_id.clone())
                .user(record.user_id.clone())
                .reason(if approve { "approved" } else { "denied" })
                .detail("grant_type", super::DEVICE_CODE_GRANT)
        });
        Ok(prompt(&code, &rec))
    }

    fn device_user(
        &self,
        session: &SessionHandle,
    ) -> Result<crate::provider::model::SessionRecord, DeviceVerifyError> {
        self.session(session).ok_or(DeviceVerifyError::NotSignedIn)
    }

    /// The normalized code, the device key and the pending record of a typed code.
    fn pending_device(
        &self,
        user_id: &str,
        typed: &str,
    ) -> Result<(String, String, DeviceRecord), DeviceVerifyError> {
        if self.user_code_locked(user_id)? {
            self.audit(AuditAction::Authentication, Outcome::Denied, |e| {
                e.user(user_id.to_owned()).reason("user_code_locked_out")
            });
            return Err(DeviceVerifyError::TooManyAttempts);
        }
        let now = self.now();
        let found = match normalize_user_code(typed) {
            None => None,
            Some(code) => self
                .tables()
                .get::<UserCodeLink>(USER_CODES, &handle_key(&code))?
                .filter(|link| link.expires > now)
                .map(|link| link.device_key)
                .and_then(
                    |key| match self.tables().get::<DeviceRecord>(DEVICE_CODES, &key) {
                        Ok(rec) => rec.map(|rec| Ok((code.clone(), key, rec))),
                        Err(e) => Some(Err(e)),
                    },
                )
                .transpose()?
                .filter(|(_, _, rec)| rec.state == DeviceState::Pending && rec.expires > now),
        };
        match found {
            Some(found) => Ok(found),
            None => {
                self.user_code_failed(user_id)?;
                Err(DeviceVerifyError::UnknownCode)
            }
        }
    }
}

fn prompt(code: &str, rec: &DeviceRecord) -> DevicePrompt {
    DevicePrompt {
        user_code: display(code),
        client_id: rec.client_id.clone(),
        client_name: rec.client_name.clone(),
        scope: rec.scope.clone(),
    }
}
