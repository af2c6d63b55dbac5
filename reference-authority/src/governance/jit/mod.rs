//! Just-in-time elevation: an agent (or its user) asks for an entitlement
//! for a while, with a reason; an owner, a named person through CIBA, or N of
//! M approvers decide; the grant lasts exactly the asked duration (within the
//! cap) from its approval, and [`Governance::holds`] reads the clock against
//! its window, so it is unusable from the second it ends.
//!
//! - `request`: what is asked, who approves, where it stands;
//! - `policy`: duration caps and the decision window;
//! - `ask`: filing a request (checks first, nothing stored on refusal);
//! - `decide`: votes, channel answers, the deadline;
//! - `grants`: the entitlement check and revocation;
//! - `quorum`: N of M counting;
//! - `channel`, `ciba`: out-of-band approval, the authority's CIBA OP as one;
//! - `records`: storage, one record per agent;
//! - `error`: why something was refused.

mod ask;
mod channel;
#[cfg(feature = "server")]
mod ciba;
mod decide;
mod error;
mod grants;
mod policy;
mod quorum;
mod records;
mod request;

pub use channel::{Answer, ApprovalChannel, ChannelError, ElevationAsk, Ticket};
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub use ciba::{CibaChannel, ELEVATION_DETAILS_TYPE};
pub use error::JitError;
pub use grants::ActiveGrant;
pub use policy::JitPolicy;
pub use request::{Approver, Elevation, RequestView, Status};
