//! BatchCheck planning: identical checks answered once, the checks of one user (same
//! context, no contextual tuples) sharing a memo of sub-results, and the work spread over
//! the available cores.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::eval::Memo;
use super::{BatchCheckItem, CheckRequest, Engine};
use crate::Error;
use crate::tuple::Context;

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

/// The answer of every item of the batch, in order.
pub(super) fn answers(engine: &Engine, items: &[BatchCheckItem]) -> Vec<Result<bool, Error>> {
    let requests: Vec<&CheckRequest> = items.iter().map(|i| &i.request).collect();
    let plan = plan(items);
    let workers = if items.len() < PARALLEL_MIN {
        1
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    };
    let chunks = chunks(&plan, workers);
    let mut unique: Vec<Option<Result<bool, Error>>> = vec![None; items.len()];
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
