//! The `control` group: a SCIM filtered list of one page over 100,000 agents
//! with owners and 1,000,000 entitlements (the registry behind
//! `/scim/v2/Agents`), against fga-core's
//! ListObjects over the same number of objects and owner relations.

use crate::measure::{compare, keep};
use fga_core::{Engine, ListObjectsRequest, TupleKey};
use reference_authority::registry::{Actor, AgentSpec, Principal};
use reference_authority::scim::Scim;
use reference_authority::scim::query::Query;
use reference_authority::{Authority, AuthorityConfig, UserSpec};
use std::collections::HashMap;
use std::time::Instant;

const AGENTS: usize = 100_000;
const OWNERS: usize = 1_000;

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("control bench setup failed: {e}");
    std::process::exit(1)
}

fn registry() -> Authority {
    let authority = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap_or_else(|e| fail(&e));
    let admin = Actor::system("bench");
    let directory = authority.directory();
    for u in 0..OWNERS {
        let id = format!("u{u}");
        authority
            .register_user(UserSpec::new(id.clone()).id(id.clone()))
            .unwrap_or_else(|e| fail(&e));
        directory
            .create_person(&id, Default::default(), &admin)
            .unwrap_or_else(|e| fail(&e));
    }
    let registry = authority.registry();
    for a in 0..AGENTS {
        let spec = AgentSpec::new(format!("agent-{a}"), format!("agent {a}"))
            .owner(Principal::Person(format!("u{}", a % OWNERS)));
        registry.register(spec, &admin).unwrap_or_else(|e| fail(&e));
    }
    super::scale::grant(&authority, AGENTS);
    authority
}

fn fga() -> Engine {
    let mut engine = Engine::from_dsl(
        "model\n  schema 1.1\n\ntype user\n\ntype agent\n  relations\n    define owner: [user]\n",
    )
    .unwrap_or_else(|e| fail(&e));
    let tuples: Vec<TupleKey> = (0..AGENTS)
        .map(|a| {
            TupleKey::new(
                format!("agent:agent-{a}"),
                "owner",
                format!("user:u{}", a % OWNERS),
            )
        })
        .collect();
    for batch in tuples.chunks(10_000) {
        engine.write(batch, &[]).unwrap_or_else(|e| fail(&e));
    }
    engine
}

/// Runs the group.
pub(super) fn run() {
    let start = Instant::now();
    let authority = registry();
    println!(
        "  control: {AGENTS} agents registered in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let scim = Scim::for_authority(&authority);
    let params: HashMap<&str, String> = HashMap::from([
        ("filter", "owners.value eq \"u42\"".to_owned()),
        ("count", "100".to_owned()),
    ]);
    let query = Query::from_params(&|n| params.get(n).cloned()).unwrap_or_else(|e| fail(&e));
    let page = scim
        .query(Some("Agents"), &query)
        .unwrap_or_else(|e| fail(&e));
    let found = page
        .get("totalResults")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    let engine = fga();
    let request = ListObjectsRequest {
        object_type: "agent".into(),
        relation: "owner".into(),
        user: "user:u42".into(),
        ..ListObjectsRequest::default()
    };
    let listed = engine
        .list_objects(&request)
        .unwrap_or_else(|e| fail(&e))
        .objects
        .len();
    println!("  control: the SCIM filter finds {found} agents, ListObjects {listed}");
    let c = compare(
        "control.scim_filter.vs_fga_list_objects",
        || keep(scim.query(Some("Agents"), &query)),
        || keep(engine.list_objects(&request)),
    );
    println!(
        "  control.scim_filter: {:.2} ms per page of 100 over {AGENTS} agents; fga ListObjects {:.2} ms",
        c.ours_ns / 1e6,
        c.baseline_ns / 1e6
    );
    super::scale::run(&authority, AGENTS);
}
