//! The `fga` group: the embedded OpenFGA engine over 1,000,000 tuples (users in groups,
//! documents in folders in divisions, viewers via group membership and folder
//! inheritance), against Cedar on the same decision, a bare `HashSet` lookup, and
//! single Checks; with absolute figures (Check times, BatchCheck, ListObjects, memory).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::{Duration, Instant};

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};
use fga_core::{CheckRequest, Engine, TupleKey};

use crate::measure::{compare, fail, keep, lcg, rss_bytes};

/// The model: documents in folders in divisions; viewers inherit down the tree.
pub const MODEL: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user]

type division
  relations
    define viewer: [user, group#member]

type folder
  relations
    define parent: [division]
    define viewer: [user, group#member] or viewer from parent

type document
  relations
    define parent: [folder]
    define viewer: [user, group#member] or viewer from parent
";

/// The same decision in Cedar: a viewer of the document, its folder or its division.
const CEDAR_POLICIES: &str = r#"
permit(principal, action == Action::"view", resource is Document)
  when { principal in resource.viewers };
permit(principal, action == Action::"view", resource is Document)
  when { principal in resource.folder.viewers };
permit(principal, action == Action::"view", resource is Document)
  when { principal in resource.folder.division.viewers };
"#;

const TOTAL: usize = 1_000_000;
const DIVISIONS: usize = 50;
const FOLDERS_PER_DIVISION: usize = 200;
const DOCS_PER_FOLDER: usize = 50;
const FOLDERS: usize = DIVISIONS * FOLDERS_PER_DIVISION;
const DOCS: usize = FOLDERS * DOCS_PER_FOLDER;
const GROUPS: usize = 2_000;
const USERS: usize = 100_000;
/// Every user is in their division's staff group and in this many other groups.
const EXTRA_GROUPS: usize = 3;
const MEMBERSHIPS: usize = USERS * (1 + EXTRA_GROUPS);
/// Each division is viewable by its staff group and by one cross-division group.
const DIVISION_VIEWERS: usize = DIVISIONS * 2;
/// Direct document viewers fill the store up to [`TOTAL`].
const DIRECT: usize = TOTAL - DOCS - FOLDERS - MEMBERSHIPS - DIVISION_VIEWERS;

fn division_of_doc(doc: usize) -> usize {
    doc / DOCS_PER_FOLDER / FOLDERS_PER_DIVISION
}

fn staff_group(user: usize) -> usize {
    user % DIVISIONS
}

fn extra_group(user: usize, k: usize) -> usize {
    2 * DIVISIONS + (user * 7 + k * 613) % (GROUPS - 2 * DIVISIONS)
}

fn direct_viewer(doc: usize) -> usize {
    (doc * 31 + 5) % USERS
}

/// Every tuple of the data set, generated as the load consumes them.
fn tuples() -> impl Iterator<Item = TupleKey> {
    let memberships = (0..USERS).flat_map(|u| {
        let user = format!("user:{u}");
        std::iter::once(staff_group(u))
            .chain((0..EXTRA_GROUPS).map(move |k| extra_group(u, k)))
            .map(move |g| TupleKey::new(format!("group:{g}"), "member", &user))
    });
    let division_viewers = (0..DIVISIONS).flat_map(|d| {
        [d, DIVISIONS + d].map(|g| {
            TupleKey::new(
                format!("division:{d}"),
                "viewer",
                format!("group:{g}#member"),
            )
        })
    });
    let folders = (0..FOLDERS).map(|f| {
        TupleKey::new(
            format!("folder:{f}"),
            "parent",
            format!("division:{}", f / FOLDERS_PER_DIVISION),
        )
    });
    let docs = (0..DOCS).map(|doc| {
        TupleKey::new(
            format!("document:{doc}"),
            "parent",
            format!("folder:{}", doc / DOCS_PER_FOLDER),
        )
    });
    let direct = (0..DIRECT).map(|doc| {
        TupleKey::new(
            format!("document:{doc}"),
            "viewer",
            format!("user:{}", direct_viewer(doc)),
        )
    });
    memberships
        .chain(division_viewers)
        .chain(folders)
        .chain(docs)
        .chain(direct)
}

fn uid(type_name: &str, id: impl std::fmt::Display) -> EntityUid {
    let t = EntityTypeName::from_str(type_name).unwrap_or_else(|e| fail(&e));
    EntityUid::from_type_name_and_id(t, EntityId::new(id.to_string()))
}

fn entity(
    uid: EntityUid,
    attrs: Vec<(&str, RestrictedExpression)>,
    parents: HashSet<EntityUid>,
) -> Entity {
    let attrs: HashMap<String, RestrictedExpression> =
        attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Entity::new(uid, attrs, parents).unwrap_or_else(|e| fail(&e))
}

fn uid_set(uids: impl IntoIterator<Item = EntityUid>) -> RestrictedExpression {
    RestrictedExpression::new_set(uids.into_iter().map(RestrictedExpression::new_entity_uid))
}

/// The same data as Cedar entities: users with their groups as parents, divisions with
/// their viewer groups, folders with their division, documents with their folder and
/// direct viewers.
fn cedar_entities() -> Entities {
    let mut direct: HashMap<usize, Vec<usize>> = HashMap::new();
    for doc in 0..DIRECT {
        direct.entry(doc).or_default().push(direct_viewer(doc));
    }
    let mut all = Vec::with_capacity(USERS + GROUPS + DIVISIONS + FOLDERS + DOCS);
    for u in 0..USERS {
        let parents = std::iter::once(staff_group(u))
            .chain((0..EXTRA_GROUPS).map(|k| extra_group(u, k)))
            .map(|g| uid("Group", g))
            .collect();
        all.push(entity(uid("User", u), Vec::new(), parents));
    }
    for g in 0..GROUPS {
        all.push(entity(uid("Group", g), Vec::new(), HashSet::new()));
    }
    for d in 0..DIVISIONS {
        let viewers = uid_set([uid("Group", d), uid("Group", DIVISIONS + d)]);
        all.push(entity(
            uid("Division", d),
            vec![("viewers", viewers)],
            HashSet::new(),
        ));
    }
    for f in 0..FOLDERS {
        let division =
            RestrictedExpression::new_entity_uid(uid("Division", f / FOLDERS_PER_DIVISION));
        all.push(entity(
            uid("Folder", f),
            vec![("division", division), ("viewers", uid_set([]))],
            HashSet::new(),
        ));
    }
    for doc in 0..DOCS {
        let folder = RestrictedExpression::new_entity_uid(uid("Folder", doc / DOCS_PER_FOLDER));
        let viewers = uid_set(
            direct
                .get(&doc)
                .into_iter()
                .flatten()
                .map(|u| uid("User", u)),
        );
        all.push(entity(
            uid("Document", doc),
            vec![("folder", folder), ("viewers", viewers)],
            HashSet::new(),
        ));
    }
    Entities::from_entities(all, None).unwrap_or_else(|e| fail(&e))
}

fn check(engine: &Engine, request: &CheckRequest) -> bool {
    engine.check(request).unwrap_or_else(|e| fail(&e))
}

fn time_it<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Runs the group: three `RATIO` lines and the absolute figures.
pub fn run() {
    let rss_before = rss_bytes();
    let mut engine = Engine::from_dsl(MODEL).unwrap_or_else(|e| fail(&e));
    // The packed layout checks are served from (see `Engine::bulk_load`), as a
    // deployment that loads its tuples at start-up has them.
    let (_, load) = time_it(|| engine.bulk_load(tuples()).unwrap_or_else(|e| fail(&e)));
    let rss_after = rss_bytes();
    println!(
        "  fga: bulk loaded {} tuples in {:.2} s",
        engine.len(),
        load.as_secs_f64()
    );
    if engine.len() != TOTAL {
        fail(&format!("expected {TOTAL} tuples, got {}", engine.len()));
    }

    // The 3-hop decision: a user in a division's staff group views a document of that
    // division that is not shared with them directly.
    let user = 77;
    let doc = (staff_group(user) * FOLDERS_PER_DIVISION + 123) * DOCS_PER_FOLDER + 7;
    if division_of_doc(doc) != staff_group(user) || doc < DIRECT {
        fail(&"the 3-hop fixture is not a 3-hop decision");
    }
    let hop3 = CheckRequest::new(format!("document:{doc}"), "viewer", format!("user:{user}"));
    if !check(&engine, &hop3) {
        fail(&"the 3-hop check is not allowed");
    }

    let (entities, cedar_build) = time_it(cedar_entities);
    println!(
        "  fga: cedar entity store built in {:.2} s",
        cedar_build.as_secs_f64()
    );
    let policies = PolicySet::from_str(CEDAR_POLICIES).unwrap_or_else(|e| fail(&e));
    let authorizer = Authorizer::new();
    let cedar_request = |u: usize, d: usize| {
        Request::new(
            uid("User", u),
            uid("Action", "view"),
            uid("Document", d),
            Context::empty(),
            None,
        )
        .unwrap_or_else(|e| fail(&e))
    };
    // Both sides agree on a sample of decisions, allowed and denied.
    let mut rng = lcg(7);
    for _ in 0..2_000 {
        let (u, d) = (rng(USERS), rng(DOCS));
        let ours = check(
            &engine,
            &CheckRequest::new(format!("document:{d}"), "viewer", format!("user:{u}")),
        );
        let cedar = authorizer
            .is_authorized(&cedar_request(u, d), &policies, &entities)
            .decision()
            == Decision::Allow;
        if ours != cedar {
            fail(&format!("user:{u} document:{d}: fga {ours}, cedar {cedar}"));
        }
    }
    let (principal, action, resource) = (
        uid("User", user),
        uid("Action", "view"),
        uid("Document", doc),
    );
    compare(
        "fga.check_3hop.vs_cedar",
        || keep(check(&engine, &hop3)),
        || {
            let request = Request::new(
                principal.clone(),
                action.clone(),
                resource.clone(),
                Context::empty(),
                None,
            )
            .unwrap_or_else(|e| fail(&e));
            keep(
                authorizer
                    .is_authorized(&request, &policies, &entities)
                    .decision(),
            );
        },
    );
    drop(entities);

    // A direct tuple against a bare set of the same tuples.
    let direct_doc = 4_242;
    let direct = CheckRequest::new(
        format!("document:{direct_doc}"),
        "viewer",
        format!("user:{}", direct_viewer(direct_doc)),
    );
    if !check(&engine, &direct) {
        fail(&"the direct check is not allowed");
    }
    let set: HashSet<String> = (0..DIRECT)
        .map(|d| format!("document:{d}#viewer@user:{}", direct_viewer(d)))
        .collect();
    let key = format!("{}#{}@{}", direct.object, direct.relation, direct.user);
    compare(
        "fga.check_direct.vs_hashmap",
        || keep(check(&engine, &direct)),
        || keep(set.contains(key.as_str())),
    );
    drop(set);

    let lister = format!("user:{user}");
    let lists = crate::fga_lists::run(&engine, &lister, DOCS, DOCS.max(DIRECT));

    let single = |r: &CheckRequest| {
        let mut times: Vec<Duration> = (0..20_001)
            .map(|_| time_it(|| keep(check(&engine, r))).1)
            .collect();
        times.sort();
        times.get(times.len() / 2).copied().unwrap_or_default()
    };
    println!(
        "  fga.check_direct p50: {} ns (each call timed on its own)",
        single(&direct).as_nanos()
    );
    println!(
        "  fga.check_3hop p50: {} ns (each call timed on its own)",
        single(&hop3).as_nanos()
    );
    println!("  fga.batch_check_10k: {:.2} ms", lists.batch_ms);
    println!(
        "  fga.list_objects: {:.2} ms for a user who sees {} documents",
        lists.list_ms, lists.seen
    );
    println!(
        "  fga.bytes_per_tuple: {:.1} (store's own accounting of its heap allocations), {:.1} (process RSS growth while loading)",
        engine.heap_bytes() as f64 / TOTAL as f64,
        rss_after.saturating_sub(rss_before) as f64 / TOTAL as f64
    );
}
