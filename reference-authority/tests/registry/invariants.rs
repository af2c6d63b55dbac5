//! Random sequences of registry and directory operations, checked after every
//! step against the invariants and against a naive recomputation of the
//! indexes from the stored records.

use super::*;
use proptest::prelude::*;
use reference_authority::registry::{
    AgentPatch, AgentStatus, Entitlement, GrantOrigin, NewGrant, Resource,
};
use std::collections::BTreeSet;

const PEOPLE: [&str; 4] = ["p0", "p1", "p2", "p3"];
const AGENTS: [&str; 3] = ["a0", "a1", "a2"];

#[derive(Debug, Clone)]
enum Op {
    Activate(usize),
    Suspend(usize),
    Delete(usize),
    SetPerson(usize, bool),
    Sponsors(usize, Vec<usize>),
    Owners(usize, Vec<usize>, bool),
    GroupMembers(Vec<usize>),
    Grant(usize, usize, Option<i64>),
    Revoke(usize, usize),
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let agent = 0..AGENTS.len();
    let person = 0..PEOPLE.len();
    let people = proptest::collection::vec(0..PEOPLE.len(), 0..3);
    prop_oneof![
        agent.clone().prop_map(Op::Activate),
        agent.clone().prop_map(Op::Suspend),
        agent.clone().prop_map(Op::Delete),
        (person, any::<bool>()).prop_map(|(p, a)| Op::SetPerson(p, a)),
        (agent.clone(), people.clone()).prop_map(|(a, s)| Op::Sponsors(a, s)),
        (agent.clone(), people.clone(), any::<bool>()).prop_map(|(a, o, g)| Op::Owners(a, o, g)),
        people.prop_map(Op::GroupMembers),
        (agent.clone(), 0..3usize, proptest::option::of(1..100i64))
            .prop_map(|(a, e, x)| Op::Grant(a, e, x)),
        (agent, 0..3usize).prop_map(|(a, e)| Op::Revoke(a, e)),
        (1..60i64).prop_map(Op::Advance),
    ]
}

fn entitlement(i: usize) -> Entitlement {
    match i {
        0 => Entitlement::VaultConnection {
            connection: "google".into(),
        },
        1 => Entitlement::scope("crm:read", "https://crm.example/mcp"),
        _ => Entitlement::FgaRelation {
            object: "document:plan".into(),
            relation: "viewer".into(),
        },
    }
}

fn setup() -> (Authority, ManualClock) {
    let clock = ManualClock::new(NOW);
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let directory = authority.directory();
    for (i, id) in PEOPLE.iter().enumerate() {
        authority.register_user(UserSpec::new(*id).id(*id)).unwrap();
        let manager = (i > 0 && i < 3).then(|| PEOPLE[i - 1].to_owned());
        directory
            .create_person(id, PersonPatch::new().manager(manager), &admin())
            .unwrap();
    }
    directory
        .create_group(GroupSpec::new("g", "G").member("p3"), &admin())
        .unwrap();
    for (i, id) in AGENTS.iter().enumerate() {
        let client = format!("c{i}");
        authority
            .register_client(ClientSpec::confidential(&client, AGENT_SECRET))
            .unwrap();
        authority
            .registry()
            .register(
                AgentSpec::new(*id, *id)
                    .owner(Principal::Person(PEOPLE[i].into()))
                    .sponsor(PEOPLE[(i + 1) % PEOPLE.len()])
                    .client(client),
                &admin(),
            )
            .unwrap();
    }
    (authority, clock)
}

async fn apply(authority: &Authority, clock: &ManualClock, op: &Op) -> bool {
    let registry = authority.registry();
    let directory = authority.directory();
    let who = |ix: &[usize]| ix.iter().map(|i| PEOPLE[*i].to_owned()).collect::<Vec<_>>();
    match op {
        Op::Activate(a) => registry.activate(AGENTS[*a], &admin()).is_ok(),
        Op::Suspend(a) => registry.suspend(AGENTS[*a], None, &admin()).is_ok(),
        Op::Delete(a) => registry.delete(AGENTS[*a], &admin()).is_ok(),
        Op::SetPerson(p, active) => directory
            .set_active(PEOPLE[*p], *active, None, &admin())
            .await
            .is_ok(),
        Op::Sponsors(a, s) => registry
            .update(
                AGENTS[*a],
                AgentPatch::new().sponsors(who(s)),
                None,
                &admin(),
            )
            .is_ok(),
        Op::Owners(a, o, group) => {
            let mut owners: Vec<Principal> = who(o).into_iter().map(Principal::Person).collect();
            if *group {
                owners.push(Principal::Group("g".into()));
            }
            registry
                .update(AGENTS[*a], AgentPatch::new().owners(owners), None, &admin())
                .is_ok()
        }
        Op::GroupMembers(m) => {
            let mut spec = GroupSpec::new("g", "G");
            for p in who(m) {
                spec = spec.member(p);
            }
            directory.replace_group(spec, None, &admin()).await.is_ok()
        }
        Op::Grant(a, e, expires) => {
            let mut grant = NewGrant::new(entitlement(*e));
            if let Some(x) = expires {
                grant = grant
                    .origin(GrantOrigin::JustInTime(format!("r{x}")))
                    .expires(authority.now() + x);
            }
            registry.grant(AGENTS[*a], grant, &admin()).is_ok()
        }
        Op::Revoke(a, e) => registry
            .revoke(AGENTS[*a], &entitlement(*e), &GrantOrigin::Direct, &admin())
            .is_ok(),
        Op::Advance(s) => {
            clock.advance(*s);
            true
        }
    }
}

fn check(authority: &Authority) -> Result<(), TestCaseError> {
    let registry = authority.registry();
    let directory = authority.directory();
    let active = |p: &str| directory.is_active(p).unwrap();
    let now = authority.now();
    let agents = registry.agents().unwrap();
    for agent in &agents {
        // Only an ACTIVE agent's clients work.
        for client in &agent.clients {
            prop_assert_eq!(
                authority.client_disabled(client),
                agent.status != AgentStatus::Active,
                "client {} of {} in {}",
                client,
                agent.id,
                agent.status
            );
        }
        if agent.status == AgentStatus::Active {
            let owner = agent.owners.iter().any(|o| match o {
                Principal::Person(p) => active(p),
                Principal::Group(g) => directory
                    .group(g)
                    .unwrap()
                    .is_some_and(|g| g.members.iter().any(|m| active(m))),
            });
            prop_assert!(owner, "{} is ACTIVE without an active owner", agent.id);
            prop_assert!(
                agent.sponsors.iter().any(|s| active(s)),
                "{} is ACTIVE without an active sponsor",
                agent.id
            );
            prop_assert!(!agent.clients.is_empty());
        }
        if agent.status == AgentStatus::Deleted {
            prop_assert!(agent.entitlements.is_empty());
            prop_assert!(agent.tombstone.is_some());
        }
    }
    // The indexes agree with a naive recomputation from the records.
    for e in 0..3 {
        let resource: Resource = entitlement(e).resource();
        let naive: Vec<String> = agents
            .iter()
            .filter(|a| {
                a.status != AgentStatus::Deleted
                    && a.entitlements
                        .iter()
                        .any(|g| g.entitlement.resource() == resource && g.in_force(now))
            })
            .map(|a| a.id.clone())
            .collect();
        prop_assert_eq!(registry.agents_granted(&resource).unwrap(), naive);
    }
    for person in PEOPLE {
        let naive: BTreeSet<String> = agents
            .iter()
            .filter(|a| a.status != AgentStatus::Deleted && a.sponsors.iter().any(|s| s == person))
            .map(|a| a.id.clone())
            .collect();
        let indexed: BTreeSet<String> =
            registry.sponsored_by(person).unwrap().into_iter().collect();
        prop_assert_eq!(indexed, naive);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn invariants_hold_after_every_operation(ops in proptest::collection::vec(op(), 1..25)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (authority, clock) = setup();
        for op in &ops {
            let before = authority.registry().agents().unwrap();
            let ok = runtime.block_on(apply(&authority, &clock, op));
            if !ok {
                // A refused operation changes nothing.
                prop_assert_eq!(&authority.registry().agents().unwrap(), &before, "{:?}", op);
            }
            check(&authority)?;
        }
    }
}
