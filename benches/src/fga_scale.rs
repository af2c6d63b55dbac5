//! The `fga_scale` group: the embedded OpenFGA engine bulk loading 100,000,000 tuples
//! in one process (`FGA_SCALE_TUPLES` sets another count): users in groups, groups
//! nested in groups, a tree of folders with owners and group viewers, documents in
//! folders with owners, editors and viewers. Prints the footprint and build time, and
//! a direct Check at that scale against a bare `HashSet` lookup of the same tuples.

use std::collections::HashSet;
use std::time::Instant;

use fga_core::{CheckRequest, Engine, TupleKey};

use crate::measure::{compare, fail, keep, lcg, rss_bytes};

/// The model.
pub const MODEL: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member]

type folder
  relations
    define parent: [folder]
    define owner: [user]
    define viewer: [user, group#member] or owner or viewer from parent

type document
  relations
    define parent: [folder]
    define owner: [user]
    define editor: [user, group#member] or owner
    define viewer: [user, group#member] or editor or viewer from parent
";

/// Tuples when `FGA_SCALE_TUPLES` is not set.
const DEFAULT_TUPLES: usize = 100_000_000;
/// Most tuples held in the `HashSet` baseline: 100,000,000 strings in a set take about
/// 8 GB beside the store, more than the machine is meant to give the group.
const SET_SAMPLE: usize = 10_000_000;
/// Groups each user is in.
const MEMBERSHIPS: usize = 3;
/// Direct viewers per document, at most.
const VIEWER_ROUNDS: usize = 8;

/// The sizes of one data set of `n` tuples.
#[derive(Debug, Clone, Copy)]
struct Shape {
    users: usize,
    groups: usize,
    folders: usize,
    docs: usize,
    /// Direct document viewers, filling the set up to `n`.
    viewers: usize,
}

impl Shape {
    fn new(n: usize) -> Self {
        let users = (n / 50).max(100);
        let groups = (n / 1000).max(20);
        let folders = (n / 100).max(10);
        let docs = (n / 5).max(10);
        let fixed = users * MEMBERSHIPS + groups + folders * 3 + docs * 2;
        let viewers = n.saturating_sub(fixed).min(docs * VIEWER_ROUNDS);
        Self {
            users,
            groups,
            folders,
            docs,
            viewers,
        }
    }

    fn total(&self) -> usize {
        self.users * MEMBERSHIPS + self.groups + self.folders * 3 + self.docs * 2 + self.viewers
    }

    /// The groups of a user (distinct: the steps differ modulo the group count).
    fn group_of(&self, user: usize, k: usize) -> usize {
        (user * 7 + k * 613) % self.groups
    }

    /// A group's parent group; groups below 10 are top-level.
    fn parent_group(g: usize) -> Option<usize> {
        (g >= 10).then_some(g / 10)
    }

    /// A folder's parent folder: a tree eight wide; folders below 8 are roots.
    fn parent_folder(f: usize) -> Option<usize> {
        (f >= 8).then_some(f / 8)
    }

    fn folder_of(&self, doc: usize) -> usize {
        (doc * 13) % self.folders
    }

    fn folder_viewer_group(&self, f: usize) -> usize {
        (f * 37 + 3) % self.groups
    }

    fn owner(&self, i: usize) -> usize {
        (i * 31 + 7) % self.users
    }

    /// The `i`th direct viewer tuple: document and user (distinct per document: the
    /// rounds step by a prime modulo the user count).
    fn viewer(&self, i: usize) -> (usize, usize) {
        let (doc, round) = (i % self.docs, i / self.docs);
        (doc, (doc * 7919 + round * 104_729 + 13) % self.users)
    }
}

fn key(object: String, relation: &str, user: String) -> TupleKey {
    TupleKey::new(object, relation, user)
}

/// Every tuple of the data set, lazily.
fn tuples(s: Shape) -> impl Iterator<Item = TupleKey> {
    let memberships = (0..s.users).flat_map(move |u| {
        (0..MEMBERSHIPS).map(move |k| {
            key(
                format!("group:{}", s.group_of(u, k)),
                "member",
                format!("user:{u}"),
            )
        })
    });
    let nesting = (0..s.groups).map(move |g| match Shape::parent_group(g) {
        Some(p) => key(format!("group:{p}"), "member", format!("group:{g}#member")),
        // A top-level group gets one more member instead.
        None => key(
            format!("group:{g}"),
            "member",
            format!("user:{}", s.users - 1 - g),
        ),
    });
    let folders = (0..s.folders).flat_map(move |f| {
        let parent = match Shape::parent_folder(f) {
            Some(p) => key(format!("folder:{f}"), "parent", format!("folder:{p}")),
            None => key(format!("folder:{f}"), "viewer", format!("user:{}", f + 1)),
        };
        [
            parent,
            key(
                format!("folder:{f}"),
                "owner",
                format!("user:{}", s.owner(f)),
            ),
            key(
                format!("folder:{f}"),
                "viewer",
                format!("group:{}#member", s.folder_viewer_group(f)),
            ),
        ]
    });
    let docs = (0..s.docs).flat_map(move |d| {
        [
            key(
                format!("document:{d}"),
                "parent",
                format!("folder:{}", s.folder_of(d)),
            ),
            key(
                format!("document:{d}"),
                "owner",
                format!("user:{}", s.owner(d)),
            ),
        ]
    });
    let viewers = (0..s.viewers).map(move |i| {
        let (d, u) = s.viewer(i);
        key(format!("document:{d}"), "viewer", format!("user:{u}"))
    });
    memberships
        .chain(nesting)
        .chain(folders)
        .chain(docs)
        .chain(viewers)
}

fn p50_ns(engine: &Engine, requests: &[CheckRequest]) -> u128 {
    let mut times: Vec<u128> = requests
        .iter()
        .map(|r| {
            let start = Instant::now();
            keep(engine.check(r));
            start.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or(0)
}

/// Runs the group: the `FGA_SCALE` line, one `RATIO` line and absolute figures.
pub fn run() {
    let n = std::env::var("FGA_SCALE_TUPLES")
        .ok()
        .and_then(|v| v.replace('_', "").parse::<usize>().ok())
        .unwrap_or(DEFAULT_TUPLES);
    let shape = Shape::new(n);
    let total = shape.total();
    println!(
        "  fga_scale: {total} tuples: {} users, {} groups, {} folders, {} documents, {} direct viewers",
        shape.users, shape.groups, shape.folders, shape.docs, shape.viewers
    );
    let rss_before = rss_bytes();
    let mut engine = Engine::from_dsl(MODEL).unwrap_or_else(|e| fail(&e));
    let start = Instant::now();
    let loaded = engine.bulk_load(tuples(shape)).unwrap_or_else(|e| fail(&e));
    let build = start.elapsed();
    let rss = rss_bytes();
    if loaded != total || engine.len() != total {
        fail(&format!("expected {total} tuples, loaded {loaded}"));
    }
    let heap = engine.heap_bytes();
    println!(
        "FGA_SCALE tuples={total} bytes_per_tuple={:.1} rss_gib={:.2} build_s={:.1}",
        heap as f64 / total as f64,
        rss as f64 / f64::from(1u32 << 30),
        build.as_secs_f64()
    );
    println!(
        "  fga_scale: bytes_per_tuple is the store's own accounting of its heap; process RSS grew by {:.1} bytes per tuple while loading",
        rss.saturating_sub(rss_before) as f64 / total as f64
    );

    // Direct checks of stored viewer tuples, picked at random, against a HashSet of the
    // same tuples as strings.
    let sample = shape.viewers.min(SET_SAMPLE);
    if sample == 0 {
        fail(&"the data set has no direct viewer tuples");
    }
    let start = Instant::now();
    let set: HashSet<String> = (0..sample)
        .map(|i| {
            let (d, u) = shape.viewer(i);
            format!("document:{d}#viewer@user:{u}")
        })
        .collect();
    println!(
        "  fga_scale: HashSet baseline: the first {sample} direct viewer tuples of the {total} as strings (built in {:.1} s){}",
        start.elapsed().as_secs_f64(),
        if sample < shape.viewers {
            "; a set of every tuple does not fit beside the store, so the set holds a sample and the checks pick from it"
        } else {
            ""
        }
    );
    let mut rng = lcg(5);
    let picks: Vec<(CheckRequest, String)> = (0..100_000)
        .map(|_| {
            let (d, u) = shape.viewer(rng(sample));
            (
                CheckRequest::new(format!("document:{d}"), "viewer", format!("user:{u}")),
                format!("document:{d}#viewer@user:{u}"),
            )
        })
        .collect();
    for (request, key) in picks.iter().take(1000) {
        if engine.check(request) != Ok(true) || !set.contains(key) {
            fail(&format!("{key} is not allowed"));
        }
    }
    let (mut i, mut j) = (0usize, 0usize);
    compare(
        "fga_scale.check_direct.vs_hashmap",
        || {
            i = (i + 1) % picks.len();
            if let Some((request, _)) = picks.get(i) {
                keep(engine.check(request));
            }
        },
        || {
            j = (j + 1) % picks.len();
            if let Some((_, key)) = picks.get(j) {
                keep(set.contains(key.as_str()));
            }
        },
    );
    drop(set);

    // Absolute figures: direct checks, and a document viewed through its folder chain
    // and nested groups.
    let direct: Vec<CheckRequest> = picks.iter().take(20_001).map(|(r, _)| r.clone()).collect();
    println!(
        "  fga_scale.check_direct p50: {} ns (random stored tuples, each call timed on its own)",
        p50_ns(&engine, &direct)
    );
    // user u is in group (7u mod groups) (its first membership): invert 7 to find a
    // member of a given group.
    let inverse_of_7 = (1..shape.groups)
        .find(|x| x * 7 % shape.groups == 1)
        .unwrap_or_else(|| fail(&"7 is not invertible modulo the group count"));
    let mut rng = lcg(9);
    let inherited: Vec<CheckRequest> = (0..2_001)
        .map(|_| {
            let d = rng(shape.docs);
            let g = shape.folder_viewer_group(shape.folder_of(d));
            // A member of a subgroup of the folder's viewer group, when it has one.
            let sub = g * 10 + rng(10);
            let member_of = if sub < shape.groups && sub >= 10 {
                sub
            } else {
                g
            };
            let user = member_of * inverse_of_7 % shape.groups;
            CheckRequest::new(format!("document:{d}"), "viewer", format!("user:{user}"))
        })
        .collect();
    let allowed = inherited
        .iter()
        .filter(|r| engine.check(r) == Ok(true))
        .count();
    println!(
        "  fga_scale.check_inherited p50: {} ns ({allowed} of {} allowed through folder and group chains)",
        p50_ns(&engine, &inherited),
        inherited.len()
    );
}
