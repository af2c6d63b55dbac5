//! The `control` group at scale: 1,000,000 entitlements over the 100,000
//! agents of the SCIM comparison, then the time of one agent lookup and of
//! the dependency map of one agent, in that one process.

use reference_authority::Authority;
use reference_authority::registry::{Actor, Entitlement, NewGrant};
use std::hint::black_box;
use std::time::Instant;

/// Entitlements per agent (ten FGA relations each).
const PER_AGENT: usize = 10;

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("control bench setup failed: {e}");
    std::process::exit(1)
}

/// Grants `PER_AGENT` entitlements to each of `agents` agents
/// (`agent-0` ...), through the registry like any grant.
pub(super) fn grant(authority: &Authority, agents: usize) {
    let start = Instant::now();
    let registry = authority.registry();
    let admin = Actor::system("bench");
    for a in 0..agents {
        for k in 0..PER_AGENT {
            let entitlement = Entitlement::FgaRelation {
                object: format!("doc:d{}", (a * PER_AGENT + k) % 50_000),
                relation: "viewer".into(),
            };
            registry
                .grant(&format!("agent-{a}"), NewGrant::new(entitlement), &admin)
                .unwrap_or_else(|e| fail(&e));
        }
    }
    println!(
        "  control: {} entitlements granted in {:.1} s",
        agents * PER_AGENT,
        start.elapsed().as_secs_f64()
    );
}

/// Median time per call of `f`, in nanoseconds (31 batches of `n` calls).
fn per_call(n: u32, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..31)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(n)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Measures and prints the lookup and the dependency map of one agent.
pub(super) fn run(authority: &Authority, agents: usize) {
    let registry = authority.registry();
    let id = format!("agent-{}", agents / 2);
    let map = registry.dependencies(&id).unwrap_or_else(|e| fail(&e));
    if map.fga_relations.len() != PER_AGENT {
        fail(&"the agent does not hold its entitlements");
    }
    let lookup = per_call(1_000, || {
        black_box(registry.agent(&id).ok());
    });
    let dependencies = per_call(1_000, || {
        black_box(registry.dependencies(&id).ok());
    });
    let total = agents * PER_AGENT;
    println!(
        "  control.agent_lookup: {:.2} us per lookup over {agents} agents with {total} entitlements",
        lookup / 1e3
    );
    println!(
        "  control.dependency_map: {:.2} us per dependency map of one agent over {agents} agents with {total} entitlements",
        dependencies / 1e3
    );
}
