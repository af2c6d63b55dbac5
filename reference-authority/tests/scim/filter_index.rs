//! The query planner: a filter answered through the registry's indexes
//! returns exactly what the full scan returns (same resources, same order,
//! same errors), and the indexes follow changes made outside SCIM.

use super::*;
use proptest::prelude::*;
use reference_authority::directory::PersonPatch;
use reference_authority::registry::{Actor, AgentPatch, AgentSpec, Principal};
use reference_authority::scim::filter::parse;
use reference_authority::scim::plan::index_terms;
use reference_authority::scim::query::Query;
use reference_authority::scim::render;
use reference_authority::scim::resource_types;
use reference_authority::scim::resources::Agents;
use reference_authority::scim::store::ResourceStore;
use reference_authority::{ClientSpec, UserSpec};

const NAMES: &[&str] = &[
    "Alpha",
    "alpha",
    "ALPHA-2",
    "alpha bot",
    "Beta",
    "beta",
    "ΟΔΟΣ",
    "οδος",
    "Straße",
];
const EXTERNAL: &[&str] = &["x-1", "X-1", "x-2", "hr:42"];
const OWNERS: &[&str] = &["ann", "Ann", "bob"];

/// One agent of a generated registry.
#[derive(Debug, Clone)]
struct Gen {
    name: usize,
    external: Option<usize>,
    owners: Vec<usize>,
    /// 0: staged, 1: active, 2: suspended.
    state: u8,
    /// Seconds to wait before registering it.
    wait: i64,
    /// Renamed afterwards to this name.
    renamed: Option<usize>,
}

fn agent() -> impl Strategy<Value = Gen> {
    (
        0..NAMES.len(),
        proptest::option::of(0..EXTERNAL.len()),
        proptest::collection::vec(0..OWNERS.len(), 0..3),
        0u8..3,
        0i64..3,
        proptest::option::of(0..NAMES.len()),
    )
        .prop_map(|(name, external, owners, state, wait, renamed)| Gen {
            name,
            external,
            owners,
            state,
            wait,
            renamed,
        })
}

fn value() -> impl Strategy<Value = String> {
    let mut pool: Vec<String> = NAMES
        .iter()
        .chain(EXTERNAL)
        .chain(OWNERS)
        .map(|s| format!("{s:?}"))
        .collect();
    pool.extend(
        [
            "\"al\"",
            "\"AL\"",
            "\"οδ\"",
            "\"ΟΔΟς\"",
            "\"\"",
            "true",
            "false",
            "null",
            "42",
            "\"2025-06-15T15:06:40Z\"",
            "\"2025-06-15T15:06:41.5Z\"",
            "\"2025-06-15T15:06:45+01:00\"",
            "\"not a date\"",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    proptest::sample::select(pool)
}

fn comparison() -> impl Strategy<Value = String> {
    let attrs = proptest::sample::select(vec![
        "name",
        "NAME",
        "urn:ietf:params:scim:schemas:core:2.0:Agent:name",
        "externalId",
        "owners.value",
        "owners",
        "active",
        "meta.lastModified",
        "id",
        "description",
        "agentType",
        "nosuch",
    ]);
    let ops = proptest::sample::select(vec!["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);
    prop_oneof![
        4 => (attrs.clone(), ops, value()).prop_map(|(a, o, v)| format!("{a} {o} {v}")),
        1 => attrs.prop_map(|a| format!("{a} pr")),
        1 => value().prop_map(|v| format!("owners[value eq {v}]")),
    ]
}

fn filter() -> impl Strategy<Value = String> {
    comparison().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            3 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            1 => inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

fn admin() -> Actor {
    Actor::user("admin")
}

fn registry(agents: &[Gen]) -> Fixture {
    let f = fixture();
    for owner in OWNERS {
        f.authority
            .register_user(UserSpec::new(*owner).id(*owner))
            .unwrap();
        f.authority
            .directory()
            .create_person(owner, PersonPatch::new(), &admin())
            .unwrap();
    }
    let registry = f.authority.registry();
    for (i, a) in agents.iter().enumerate() {
        f.clock.advance(a.wait);
        let id = format!("agent-{i:02}");
        let mut spec = AgentSpec::new(&id, NAMES[a.name]).sponsor("bob");
        for o in &a.owners {
            spec = spec.owner(Principal::Person(OWNERS[*o].into()));
        }
        if let Some(x) = a.external {
            spec = spec.external_id(EXTERNAL[x]);
        }
        if a.state > 0 && !a.owners.is_empty() {
            f.authority
                .register_client(ClientSpec::confidential(&id, "client-secret-0123456789"))
                .unwrap();
            spec = spec.client(&id);
        }
        let record = registry.register(spec, &admin()).unwrap();
        if a.state > 0 && !a.owners.is_empty() {
            registry.activate(&id, &admin()).unwrap();
            if a.state == 2 {
                registry.suspend(&id, Some("test"), &admin()).unwrap();
            }
        }
        if let Some(n) = a.renamed {
            f.clock.advance(1);
            let current = registry.agent(&id).unwrap().unwrap();
            registry
                .update(
                    &id,
                    AgentPatch::new()
                        .name(NAMES[n])
                        .owners(record.owners.clone())
                        .external_id(record.external_id.clone()),
                    Some(current.meta.version),
                    &admin(),
                )
                .unwrap();
        }
    }
    f
}

/// The scan the planner must agree with: every Agent, rendered, filtered.
fn scanned(f: &Fixture, query: &Query) -> Result<Value, String> {
    let rt = resource_types::agent();
    let store = Agents::new(&f.authority, f.scim.base_url());
    let all = store
        .list()
        .map_err(|e| format!("{e:?}"))?
        .iter()
        .map(|s| (&rt, render::full(&rt, f.scim.base_url(), s)))
        .collect();
    query
        .run(all, f.scim.config().max_results)
        .map_err(|e| format!("{e:?}"))
}

fn filtered(f: &str) -> Query {
    Query {
        filter: Some(parse(f).unwrap()),
        start_index: 1,
        ..Query::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn an_indexed_query_returns_what_the_scan_returns(
        agents in proptest::collection::vec(agent(), 0..14),
        filters in proptest::collection::vec(filter(), 1..24),
    ) {
        let f = registry(&agents);
        for text in filters {
            let Ok(parsed) = parse(&text) else { continue };
            let query = Query { filter: Some(parsed), start_index: 1, ..Query::default() };
            let indexed = f.scim.query(Some("Agents"), &query).map_err(|e| format!("{e:?}"));
            prop_assert_eq!(indexed, scanned(&f, &query), "filter {}", text);
        }
    }
}

#[test]
fn the_planner_uses_the_indexable_terms_of_the_top_level_and() {
    let rt = resource_types::agent();
    let terms = index_terms(
        &parse("owners.value eq \"u42\" and description co \"x\" and active eq true").unwrap(),
        &rt,
    );
    let named: Vec<_> = terms.iter().map(|t| (t.attribute, t.sub)).collect();
    assert_eq!(named, [("owners", Some("value")), ("active", None)]);
    assert!(index_terms(&parse("name eq \"a\" or active eq true").unwrap(), &rt).is_empty());
}

#[test]
fn a_filter_that_can_fail_is_never_narrowed_by_an_index() {
    // `active gt true` fails (RFC 7644 section 3.4.2.2): which resources reach
    // it decides the answer, so the planner leaves the filter to the scan.
    let rt = resource_types::agent();
    let f = parse("name eq \"a\" and active gt true").unwrap();
    assert!(index_terms(&f, &rt).is_empty());
}

#[tokio::test]
async fn the_indexes_follow_changes_made_through_the_registry() {
    let gens = [Gen {
        name: 0,
        external: Some(3),
        owners: vec![0],
        state: 1,
        wait: 0,
        renamed: None,
    }];
    let f = registry(&gens);
    let count = |filter: &str| {
        f.scim.query(Some("Agents"), &filtered(filter)).unwrap()["totalResults"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count("name eq \"alpha\""), 1);
    assert_eq!(count("active eq true"), 1);
    let registry = f.authority.registry();
    let current = registry.agent("agent-00").unwrap().unwrap();
    registry
        .update(
            "agent-00",
            AgentPatch::new()
                .name("Gamma")
                .owners(vec![Principal::Person("bob".into())])
                .external_id(None),
            Some(current.meta.version),
            &admin(),
        )
        .unwrap();
    registry.suspend("agent-00", None, &admin()).unwrap();
    assert_eq!(count("name eq \"alpha\""), 0);
    assert_eq!(count("name sw \"GAM\""), 1);
    assert_eq!(count("owners.value eq \"ann\""), 0);
    assert_eq!(count("owners.value eq \"bob\""), 1);
    assert_eq!(count("externalId eq \"hr:42\""), 0);
    assert_eq!(count("active eq true"), 0);
    assert_eq!(count("active eq false"), 1);
}

#[tokio::test]
async fn a_complex_attribute_named_alone_compares_its_value_even_when_absent() {
    // `owners eq "bob"` on an agent without owners is a plain non-match, not
    // an invalidFilter error that depends on which agents exist.
    let gens = [Gen {
        name: 4,
        external: None,
        owners: vec![],
        state: 0,
        wait: 0,
        renamed: None,
    }];
    let f = registry(&gens);
    let out = f
        .scim
        .query(Some("Agents"), &filtered("owners eq \"bob\""))
        .unwrap();
    assert_eq!(out["totalResults"], 0);
}
