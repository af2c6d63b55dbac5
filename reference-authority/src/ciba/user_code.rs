//! The person's `user_code` (CIBA Core 1.0 sections 7.1 and 13): a secret the
//! person knows, which the agent must present so that only someone who knows
//! it can make the person's device ring. Stored as an Argon2id hash, like a
//! password.

use super::CibaOp;
use super::lockout::Attempt;
use super::record::{self, ClientSettings};
use crate::password::{hash_password, verify_password};
use crate::{AuthorityError, ErrorCode, OAuthError};
use agent_auth::secret::SecretString;

/// Longest user code accepted, in bytes: longer ones are refused unhashed.
const MAX_USER_CODE: usize = 256;

fn error(code: &'static str, description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::Extension(code.into()), description)
}

impl CibaOp {
    /// Sets (or replaces) the user code of a registered user. Only its
    /// Argon2id hash is stored.
    pub fn set_user_code(&self, user_id: &str, code: &str) -> Result<(), AuthorityError> {
        if code.is_empty() || code.len() > MAX_USER_CODE {
            return Err(AuthorityError::InvalidConfig(
                "a user code has 1 to 256 bytes".into(),
            ));
        }
        if self.authority.user(user_id)?.is_none() {
            return Err(AuthorityError::InvalidConfig("no such user".into()));
        }
        let hash = hash_password(
            &SecretString::new(code),
            self.authority.config().password_params,
        )
        .ok_or_else(|| AuthorityError::InvalidConfig("user code hashing failed".into()))?;
        record::put(
            self.authority.store().as_ref(),
            record::USER_CODES,
            user_id,
            &hash,
        )?;
        Ok(())
    }

    /// Removes a user's code; returns whether there was one.
    pub fn remove_user_code(&self, user_id: &str) -> Result<bool, AuthorityError> {
        Ok(self.authority.store().delete(record::USER_CODES, user_id)?)
    }

    /// CIBA Core 1.0 section 7.1 and 13: a client registered with
    /// `backchannel_user_code_parameter` must send the user's code
    /// (`missing_user_code`), and it must match (`invalid_user_code`); a user
    /// without a code cannot be asked by such a client. A client not
    /// registered for user codes may not send one. Wrong codes are capped
    /// (see the `lockout` module): a locked code answers `invalid_user_code`
    /// without being checked.
    pub(super) async fn check_user_code(
        &self,
        client_id: &str,
        settings: &ClientSettings,
        user_id: &str,
        code: Option<&str>,
    ) -> Result<(), OAuthError> {
        let invalid = || error("invalid_user_code", "the user code is invalid");
        let code = match (settings.user_code, code) {
            (false, None) => return Ok(()),
            (false, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "the client is not registered for user_code",
                ));
            }
            (true, None) => {
                return Err(error("missing_user_code", "the user code is required"));
            }
            (true, Some(c)) => c,
        };
        let stored: Option<String> =
            record::get(self.authority.store().as_ref(), record::USER_CODES, user_id)?;
        let Some(stored) = stored else {
            return Err(invalid());
        };
        if self.begin_attempt(client_id, user_id)? != Attempt::Go {
            return Err(invalid());
        }
        let matches = if code.len() > MAX_USER_CODE {
            false
        } else {
            let code = SecretString::new(code);
            // Argon2id is deliberately slow: off the async threads.
            tokio::task::spawn_blocking(move || verify_password(&code, &stored))
                .await
                .map_err(|_| OAuthError::server_error("user code check failed"))?
        };
        if matches {
            self.attempt_succeeded(user_id)?;
            Ok(())
        } else {
            self.attempt_failed(client_id, user_id)?;
            Err(invalid())
        }
    }
}
