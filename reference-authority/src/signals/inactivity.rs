//! Stream inactivity (SSF 1.0 section 8.1.1 `inactivity_timeout`): every
//! request a receiver makes about a stream (management call, poll,
//! verification request) is activity; a stream without any for longer than
//! the timeout is paused, its receiver told by a stream-updated event
//! (section 8.1.5), and its events held until the receiver enables it again.

use super::Transmitter;
use super::error::SsfError;
use super::stream::{StreamRecord, StreamStatus};
use super::streams::STREAMS;
use crate::store::update_json;

/// The `reason` of a stream paused for inactivity.
pub const INACTIVITY_REASON: &str = "inactivity_timeout";

impl Transmitter {
    /// Records receiver activity on a stream now; returns the time.
    pub(crate) fn touch(&self, stream_id: &str) -> Result<i64, SsfError> {
        let now = self.authority.now();
        if self.config.inactivity_timeout.is_some() {
            update_json::<StreamRecord, ()>(
                self.authority.store().as_ref(),
                STREAMS,
                stream_id,
                |cur| match cur {
                    Some(mut r) => {
                        r.last_activity = Some(now);
                        (Some(r), ())
                    }
                    None => (None, ()),
                },
            )?;
        }
        Ok(now)
    }

    /// Pauses every enabled stream whose receiver was inactive longer than
    /// `inactivity_timeout` (none when it is unset); returns their ids. The
    /// delivery task runs it each round.
    pub fn pause_inactive(&self) -> Result<Vec<String>, SsfError> {
        let Some(timeout) = self.config.inactivity_timeout else {
            return Ok(Vec::new());
        };
        let now = self.authority.now();
        let mut paused = Vec::new();
        for s in self.all_streams()? {
            if s.status != StreamStatus::Enabled {
                continue;
            }
            let Some(last) = s.last_activity else {
                // Kept from before activity was recorded: the clock starts now.
                self.touch(&s.stream_id)?;
                continue;
            };
            if now.saturating_sub(last) > timeout {
                self.change_status(&s.stream_id, StreamStatus::Paused, Some(INACTIVITY_REASON))?;
                paused.push(s.stream_id);
            }
        }
        Ok(paused)
    }
}
