//! BatchCheck planning: identical checks answered once; the checks of one plain user on
//! relations that only add access answered from one reverse expansion of the user's
//! tuples (see [`super::reverse`]); the other checks of one user (same context, no
//! contextual tuples) sharing a memo of sub-results; and the work spread over the
//! available cores.

use std::sync::atomic::{AtomicUsize, Ordering};

use hashbrown::{HashMap, HashSet};

use super::eval::Memo;
use super::reverse::{Outcome, expand};
use super::{BatchCheckItem, CheckRequest, Engine};
use crate::Error;
use crate::store::index::Sym;
use crate::tuple::{Context, User, split_object};

/// Facts a reverse expansion may find per check it answers before the batch falls back
/// to evaluating each check: past that, the user reaches far more than the batch asks.
const FACTS_PER_CHECK: usize = 8;

/// Batches smaller than this run on the calling thread: spawning costs more than it saves.
const PARALLEL_MIN: usize = 32;

/// A run of checks evaluated with one memo: unique items of one user and context.
struct Chunk<'i> {
    /// Whether the chunk's checks may share a memo (no contextual tuples).
    shared: bool,
    /// Indexes into the batch of the chunk's unique items.
    items: &'i [usize],
}

/// The checks of one user and context.
struct Group<'i> {
    user: &'i str,
    context: Option<&'i Context>,
    /// Unique items of the group, by index into the batch.
    unique: Vec<usize>,
    /// `(object, relation)` to its unique item.
    seen: hashbrown::HashMap<(&'i str, &'i str), usize>,
}

/// The batch's plan: for each item, the unique item whose answer it takes, and the unique
/// items grouped by user and context.
struct Plan<'i> {
    answer_of: Vec<usize>,
    groups: Vec<Group<'i>>,
    /// Items with contextual tuples: each is evaluated on its own.
    alone: Vec<usize>,
}

fn plan(items: &[BatchCheckItem]) -> Plan<'_> {
    let mut answer_of = Vec::with_capacity(items.len());
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut group_of: hashbrown::HashMap<&str, Vec<usize>> = hashbrown::HashMap::new();
    let mut alone = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let r = &item.request;
        if !r.contextual_tuples.is_empty() {
            alone.push(i);
            answer_of.push(i);
            continue;
        }
        let candidates = group_of.entry(r.user.as_str()).or_default();
        let found = candidates.iter().copied().find(|&g| {
            groups
                .get(g)
                .is_some_and(|g| g.context == r.context.as_ref())
        });
        let g = match found {
            Some(g) => g,
            None => {
                groups.push(Group {
                    user: r.user.as_str(),
                    context: r.context.as_ref(),
                    unique: Vec::new(),
                    seen: hashbrown::HashMap::new(),
                });
                candidates.push(groups.len() - 1);
                groups.len() - 1
            }
        };
        let Some(group) = groups.get_mut(g) else {
            answer_of.push(i);
            alone.push(i);
            continue;
        };
        debug_assert_eq!(group.user, r.user);
        let first = *group
            .seen
            .entry((r.object.as_str(), r.relation.as_str()))
            .or_insert(i);
        if first == i {
            group.unique.push(i);
        }
        answer_of.push(first);
    }
    Plan {
        answer_of,
        groups,
        alone,
    }
}

/// The chunks of a plan, cut so that `workers` threads get even shares.
fn chunks<'p>(plan: &'p Plan<'_>, workers: usize) -> Vec<Chunk<'p>> {
    let total: usize = plan.groups.iter().map(|g| g.unique.len()).sum::<usize>() + plan.alone.len();
    let size = total.div_ceil(workers.max(1)).max(1);
    let mut out = Vec::new();
    for group in &plan.groups {
        for items in group.unique.chunks(size) {
            out.push(Chunk {
                shared: true,
                items,
            });
        }
    }
    for items in plan.alone.chunks(size) {
        out.push(Chunk {
            shared: false,
            items,
        });
    }
    out
}

/// Evaluates a chunk with one fresh memo; answers are `(batch index, result)`.
fn run_chunk(
    engine: &Engine,
    requests: &[&CheckRequest],
    chunk: &Chunk<'_>,
    out: &mut Vec<(usize, Result<bool, Error>)>,
) {
    let memo = Memo::default();
    for &i in chunk.items {
        if let Some(r) = requests.get(i) {
            out.push((i, engine.check_with(r, chunk.shared.then_some(&memo))));
        }
    }
}

/// Answers the unique items of each group that one reverse expansion per object type and
/// relation can answer, and takes them out of the group.
fn answer_by_expansion(
    engine: &Engine,
    requests: &[&CheckRequest],
    plan: &mut Plan<'_>,
    unique: &mut [Option<Result<bool, Error>>],
) {
    for group in &mut plan.groups {
        if !engine.user_fits(group.user) {
            continue;
        }
        let Ok(user) = User::parse(group.user) else {
            continue;
        };
        let User::Object(o) = &user else {
            continue;
        };
        let mut by_target: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for &i in &group.unique {
            if let Some(r) = requests.get(i)
                && let Ok((t, _)) = split_object(&r.object)
            {
                by_target
                    .entry((t, r.relation.as_str()))
                    .or_default()
                    .push(i);
            }
        }
        let mut answered: HashSet<usize> = HashSet::new();
        for ((t, relation), targets) in by_target {
            let Some((reverse, _)) = engine.reverse_plan(t, relation, &user, false) else {
                continue;
            };
            let mut allowed: HashSet<Sym> = HashSet::new();
            let budget = targets.len().saturating_mul(FACTS_PER_CHECK) + 1024;
            let outcome = expand(
                &reverse,
                &engine.tuples,
                (o.type_name.as_str(), o.id.as_str()),
                budget,
                &mut |_, id| {
                    allowed.insert(id);
                    std::ops::ControlFlow::Continue(())
                },
            );
            if outcome == Outcome::OverBudget {
                continue;
            }
            for i in targets {
                if let (Some(r), Some(slot)) = (requests.get(i), unique.get_mut(i)) {
                    *slot = Some(engine.check_known(r, &allowed));
                    answered.insert(i);
                }
            }
        }
        group.unique.retain(|i| !answered.contains(i));
    }
}

/// The answer of every item of the batch, in order.
pub(super) fn answers(engine: &Engine, items: &[BatchCheckItem]) -> Vec<Result<bool, Error>> {
    let requests: Vec<&CheckRequest> = items.iter().map(|i| &i.request).collect();
    let mut plan = plan(items);
    let mut unique: Vec<Option<Result<bool, Error>>> = vec![None; items.len()];
    answer_by_expansion(engine, &requests, &mut plan, &mut unique);
    let workers = if items.len() < PARALLEL_MIN {
        1
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    };
    let chunks = chunks(&plan, workers);
    let mut scatter = |found: Vec<(usize, Result<bool, Error>)>| {
        for (i, r) in found {
            if let Some(slot) = unique.get_mut(i) {
                *slot = Some(r);
            }
        }
    };
    if workers <= 1 || chunks.len() <= 1 {
        let mut found = Vec::with_capacity(items.len());
        for chunk in &chunks {
            run_chunk(engine, &requests, chunk, &mut found);
        }
        scatter(found);
    } else {
        let next = AtomicUsize::new(0);
        let per_worker: Vec<Vec<(usize, Result<bool, Error>)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut found = Vec::new();
                        while let Some(chunk) = chunks.get(next.fetch_add(1, Ordering::Relaxed)) {
                            run_chunk(engine, &requests, chunk, &mut found);
                        }
                        found
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for found in per_worker {
            scatter(found);
        }
    }
    plan.answer_of
        .iter()
        .enumerate()
        .map(|(i, &first)| {
            match unique.get(first).cloned().flatten() {
                Some(r) => r,
                // Only reachable if a worker thread died: evaluate the item here.
                None => requests
                    .get(i)
                    .map_or(Ok(false), |r| engine.check_with(r, None)),
            }
        })
        .collect()
}
