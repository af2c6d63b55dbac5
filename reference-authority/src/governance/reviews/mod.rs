//! Access reviews: scheduled campaigns (monthly, quarterly, custom) over
//! every agent x entitlement pair, reviewed by the agents' owners, who
//! certify, revoke (at once) or delegate; at the deadline the non-response
//! policy applies; reminders go through the registry's notifier; every
//! decision is audited and the report says what was certified, revoked and
//! by whom.
//!
//! - `cadence`: when campaigns start;
//! - `campaign`: schedules, campaigns, items;
//! - `driver`: [`Governance::run_reviews`], opening, reminding, closing;
//! - `decision`: a reviewer's decision;
//! - `report`: the campaign report;
//! - `inbox`: the items waiting for one reviewer;
//! - `records`: storage;
//! - `error`: why something was refused.

mod cadence;
mod campaign;
mod decision;
mod driver;
mod error;
mod inbox;
mod records;
mod report;

pub use cadence::Cadence;
pub use campaign::{
    Campaign, CampaignSchedule, ItemDecision, ItemOutcome, NonResponse, ReviewItem,
};
pub use decision::ReviewDecision;
pub use driver::ReviewRun;
pub use error::ReviewError;
pub use inbox::InboxItem;
pub use report::{CampaignReport, ReportLine};
