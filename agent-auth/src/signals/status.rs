//! The status of an event stream (SSF 1.0 section 8.1.2), one type for both
//! ends: the receiver's [`StreamClient`](super::StreamClient) reads and sets
//! it, a transmitter stores and reports it.

use serde::{Deserialize, Serialize};

/// The status of a stream (SSF 1.0 section 8.1.2). The specification
/// defines exactly these three, so the enum is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    /// Events are transmitted.
    Enabled,
    /// Events are held by the transmitter until the stream is enabled again.
    Paused,
    /// Events are not transmitted and are lost.
    Disabled,
}

impl StreamStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Paused => "paused",
            Self::Disabled => "disabled",
        }
    }

    /// The status of a wire name; `None` for any other value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "enabled" => Some(Self::Enabled),
            "paused" => Some(Self::Paused),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StreamStatus;

    #[test]
    fn wire_names_round_trip_and_unknown_names_are_refused() {
        for s in [
            StreamStatus::Enabled,
            StreamStatus::Paused,
            StreamStatus::Disabled,
        ] {
            assert_eq!(StreamStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_value(s).ok();
            assert_eq!(json, Some(serde_json::Value::from(s.as_str())));
        }
        for bad in ["Enabled", "", "deleted", "enabled "] {
            assert_eq!(StreamStatus::parse(bad), None);
        }
    }
}
