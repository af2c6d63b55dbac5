//! SCIM 2.0 at `/scim/v2`: the filter grammar, PATCH, listing, ETags, bulk,
//! schema validation, events and the endpoint's authentication.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod agent_profile;
mod bulk;
mod events;
mod filter_grammar;
mod filter_index;
mod http_endpoint;
mod listing;
mod mapping;
mod patch_ops;
mod validation;

use agent_auth::audit::MemorySink;
use agent_auth::clock::ManualClock;
use reference_authority::scim::render::Projection;
use reference_authority::scim::{Caller, Scim};
use reference_authority::{Authority, AuthorityConfig};
use serde_json::{Value, json};
use std::sync::Arc;

pub(crate) const ISSUER: &str = "https://idp.example";
pub(crate) const NOW: i64 = 1_750_000_000;
pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub(crate) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const AGENT: &str = "urn:ietf:params:scim:schemas:core:2.0:Agent";
pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub(crate) struct Fixture {
    pub(crate) authority: Authority,
    pub(crate) scim: Scim,
    pub(crate) clock: ManualClock,
    pub(crate) audit: MemorySink,
    pub(crate) caller: Caller,
}

pub(crate) fn fixture() -> Fixture {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    let scim = Scim::for_authority(&authority);
    Fixture {
        authority,
        scim,
        clock,
        audit,
        caller: Caller::new("hr-system"),
    }
}

impl Fixture {
    pub(crate) async fn create(&self, endpoint: &str, body: Value) -> Value {
        self.scim
            .create(&self.caller, endpoint, &body, &Projection::Default)
            .await
            .unwrap()
            .body
    }

    pub(crate) async fn user(&self, name: &str) -> Value {
        self.create(
            "Users",
            json!({"schemas": [USER], "userName": name, "displayName": name}),
        )
        .await
    }

    pub(crate) fn get(&self, endpoint: &str, id: &str) -> Value {
        self.scim
            .get(endpoint, id, &Projection::Default)
            .unwrap()
            .body
    }
}

pub(crate) fn id(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_owned()
}
