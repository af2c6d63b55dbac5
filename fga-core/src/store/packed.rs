//! The packed base of a tuple store: bulk-loaded tuples in sorted arrays, with no
//! allocation per tuple.
//!
//! Tuples are grouped in blocks by object type and relation; within a block, by object
//! id (the type's dense id numbers), each object's tuples in load order. Per position
//! the arrays hold the user's id (u32) and kind (type and relation, u16) side by side,
//! so that matching a position reads one cache line, and the object's id (u32); each
//! block has CSR offsets by object id. The reverse index has, per user kind, CSR
//! offsets by user id into the forward positions, in increasing order. An exact-tuple
//! index ([`Exact`]) finds a tuple's position from its strings. Userset and wildcard
//! positions are listed apart, and conditions sit in a side map by position. Deleting
//! a packed tuple sets its bit in a removal bitmap.

use std::ops::Range;
use std::sync::Arc;

use hashbrown::HashMap;

use super::exact::Exact;
use super::index::{StoredCondition, TupleView};
use super::interner::Sym;
use super::symbols::Symbols;

/// No symbol.
pub(super) const NONE: u32 = u32::MAX;

/// The type and relation (`NONE` for none) of a tuple's user.
type Kind = (Sym, Sym);

/// The user of a position: its id (as two halves, to keep the record six bytes) and
/// kind.
#[derive(Debug, Clone, Copy)]
struct Subject {
    id: [u16; 2],
    kind: u16,
}

impl Subject {
    const NONE: Self = Self::new(NONE, u16::MAX);

    const fn new(id: u32, kind: u16) -> Self {
        Self {
            id: [id as u16, (id >> 16) as u16],
            kind,
        }
    }

    const fn id(self) -> u32 {
        self.id[0] as u32 | (self.id[1] as u32) << 16
    }
}

/// The tuples of one object type and relation.
#[derive(Debug, Clone, Default)]
struct Block {
    object_type: Sym,
    relation: Sym,
    /// Start position of each object's tuples, by object id; one entry more than ids.
    offsets: Vec<u32>,
}

/// The positions of the tuples of each user of one kind.
#[derive(Debug, Clone, Default)]
struct Reverse {
    /// Start of each user's positions, by user id; one entry more than ids.
    offsets: Vec<u32>,
    positions: Vec<u32>,
}

/// Tuples packed in sorted arrays (see the module documentation).
#[derive(Debug, Clone, Default)]
pub(crate) struct Packed {
    blocks: Vec<Block>,
    block_of: HashMap<(Sym, Sym), u16>,
    /// First position of each block, increasing.
    starts: Vec<u32>,
    kinds: Vec<Kind>,
    kind_of: HashMap<Kind, u16>,
    subjects: Vec<Subject>,
    objects: Vec<u32>,
    reverse: Vec<Reverse>,
    /// Positions of the userset and wildcard tuples, increasing.
    sets: Vec<u32>,
    conditions: HashMap<u32, Arc<StoredCondition>>,
    removed: Vec<u64>,
    removed_count: usize,
    exact: Exact,
}

/// A look-up in the exact index under way (see [`Packed::probe`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    block: u16,
    kind: u16,
    hash: u64,
}

/// Reads `v[i]`, or `default` past the end.
fn at<T: Copy>(v: &[T], i: usize, default: T) -> T {
    v.get(i).copied().unwrap_or(default)
}

impl Packed {
    /// Live tuples.
    pub(crate) fn len(&self) -> usize {
        self.subjects.len() - self.removed_count
    }

    /// Positions held, live or removed.
    pub(crate) fn positions(&self) -> usize {
        self.subjects.len()
    }

    pub(crate) fn has_conditions(&self) -> bool {
        !self.conditions.is_empty()
    }

    fn is_removed(&self, pos: u32) -> bool {
        self.removed_count != 0 && at(&self.removed, pos as usize / 64, 0) >> (pos % 64) & 1 == 1
    }

    /// The positions of `object#relation` (by symbols), live or removed.
    fn range(&self, key: (Sym, Sym, Sym)) -> Range<u32> {
        let Some(&b) = self.block_of.get(&(key.0, key.2)) else {
            return 0..0;
        };
        let Some(block) = self.blocks.get(usize::from(b)) else {
            return 0..0;
        };
        let o = key.1 as usize;
        match (block.offsets.get(o), block.offsets.get(o + 1)) {
            (Some(&start), Some(&end)) => start..end,
            _ => 0..0,
        }
    }

    /// Starts looking a tuple up in the exact index: the numbers of its block (object
    /// type and relation symbols) and user kind (type and relation symbols, `NONE` for
    /// none), and its hash, whose bucket is read ahead; `None` when no tuple has that
    /// block or kind.
    pub(crate) fn probe(
        &self,
        block: (Sym, Sym),
        kind: Kind,
        object_id: &str,
        user_id: &str,
    ) -> Option<Probe> {
        let (block, kind) = (*self.block_of.get(&block)?, *self.kind_of.get(&kind)?);
        let hash = self.exact.hash(block, kind, object_id, user_id);
        self.exact.prefetch(hash);
        Some(Probe { block, kind, hash })
    }

    /// The live position of the tuple of a probe, by the symbols of its object's id and
    /// its user's id.
    pub(crate) fn position(&self, probe: Probe, object_id: Sym, user_id: Sym) -> Option<u32> {
        let b = usize::from(probe.block);
        let start = at(&self.starts, b, 0);
        let end = at(
            &self.starts,
            b + 1,
            u32::try_from(self.subjects.len()).unwrap_or(NONE),
        );
        self.exact
            .find(probe.hash, |p| {
                let subject = at(&self.subjects, p as usize, Subject::NONE);
                (start..end).contains(&p)
                    && at(&self.objects, p as usize, NONE) == object_id
                    && subject.id() == user_id
                    && subject.kind == probe.kind
            })
            .filter(|&p| !self.is_removed(p))
    }

    /// Whether the tuple at a live position carries a condition.
    pub(crate) fn is_conditional(&self, pos: u32) -> bool {
        !self.conditions.is_empty() && self.conditions.contains_key(&pos)
    }

    /// Marks a position removed; false when it already was.
    pub(crate) fn remove(&mut self, pos: u32) -> bool {
        if pos as usize >= self.subjects.len() || self.is_removed(pos) {
            return false;
        }
        let word = pos as usize / 64;
        if self.removed.len() <= word {
            self.removed.resize(self.subjects.len().div_ceil(64), 0);
        }
        if let Some(w) = self.removed.get_mut(word) {
            *w |= 1 << (pos % 64);
        }
        self.removed_count += 1;
        true
    }

    /// The view of a position whose object is known.
    pub(crate) fn view<'a>(
        &'a self,
        symbols: &'a Symbols,
        object: (Sym, Sym, Sym),
        pos: u32,
    ) -> TupleView<'a> {
        let subject = at(&self.subjects, pos as usize, Subject::NONE);
        let (user, kind) = (subject.id(), subject.kind);
        let (ut, ur) = at(&self.kinds, usize::from(kind), (NONE, NONE));
        TupleView {
            symbols,
            object,
            user_type: symbols.resolve_name(ut),
            user_id: symbols.resolve_id(ut, user),
            user_relation: (ur != NONE).then(|| symbols.resolve_name(ur)),
            condition: if self.conditions.is_empty() {
                None
            } else {
                self.conditions.get(&pos).map(|c| &**c)
            },
            user_key: (ut, user),
        }
    }

    /// The object (type, id, relation symbols) of a position.
    fn object_of(&self, pos: u32) -> (Sym, Sym, Sym) {
        let b = self.starts.partition_point(|&s| s <= pos).saturating_sub(1);
        let (t, r) = self
            .blocks
            .get(b)
            .map_or((NONE, NONE), |b| (b.object_type, b.relation));
        (t, at(&self.objects, pos as usize, NONE), r)
    }

    /// The live tuples of `object#relation`, in load order.
    pub(crate) fn by_object<'a>(
        &'a self,
        symbols: &'a Symbols,
        key: (Sym, Sym, Sym),
    ) -> impl Iterator<Item = TupleView<'a>> + 'a {
        self.range(key)
            .filter(move |&p| !self.is_removed(p))
            .map(move |p| self.view(symbols, key, p))
    }

    /// The live userset and wildcard tuples of `object#relation`, in load order.
    pub(crate) fn sets<'a>(
        &'a self,
        symbols: &'a Symbols,
        key: (Sym, Sym, Sym),
    ) -> impl Iterator<Item = TupleView<'a>> + Clone + 'a {
        let range = self.range(key);
        let from = self.sets.partition_point(|&p| p < range.start);
        let to = self.sets.partition_point(|&p| p < range.end);
        self.sets
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .filter(move |&&p| !self.is_removed(p))
            .map(move |&p| self.view(symbols, key, p))
    }

    /// The live tuples whose user is `(type, id, relation)` (`NONE` for none).
    pub(crate) fn by_user<'a>(
        &'a self,
        symbols: &'a Symbols,
        user: (Sym, Sym, Sym),
    ) -> impl Iterator<Item = TupleView<'a>> + 'a {
        let list = self
            .kind_of
            .get(&(user.0, user.2))
            .and_then(|&k| self.reverse.get(usize::from(k)))
            .and_then(|rev| {
                let u = user.1 as usize;
                let (start, end) = (at(&rev.offsets, u, 0), at(&rev.offsets, u + 1, 0));
                rev.positions.get(start as usize..end as usize)
            })
            .unwrap_or_default();
        list.iter()
            .filter(move |&&p| !self.is_removed(p))
            .map(move |&p| self.view(symbols, self.object_of(p), p))
    }

    /// Every live tuple, in position order.
    pub(crate) fn iter<'a>(
        &'a self,
        symbols: &'a Symbols,
    ) -> impl Iterator<Item = TupleView<'a>> + 'a {
        let end = u32::try_from(self.subjects.len()).unwrap_or(NONE);
        (0..end)
            .filter(move |&p| !self.is_removed(p))
            .map(move |p| self.view(symbols, self.object_of(p), p))
    }

    /// The parts of every live tuple in position order, as symbols, with its condition:
    /// `((object type, id, relation), (user type, id, relation))`.
    pub(crate) fn each_live(
        &self,
        mut f: impl FnMut((Sym, Sym, Sym), (Sym, Sym, Sym), Option<&Arc<StoredCondition>>),
    ) {
        let end = u32::try_from(self.subjects.len()).unwrap_or(NONE);
        for p in (0..end).filter(|&p| !self.is_removed(p)) {
            let subject = at(&self.subjects, p as usize, Subject::NONE);
            let (ut, ur) = at(&self.kinds, usize::from(subject.kind), (NONE, NONE));
            f(
                self.object_of(p),
                (ut, subject.id(), ur),
                self.conditions.get(&p),
            );
        }
    }

    /// Heap bytes held, from the containers' capacities.
    pub(crate) fn heap_bytes(&self) -> usize {
        let map = |entries: usize, entry: usize| entries * 8 / 7 * (entry + 1);
        self.blocks
            .iter()
            .map(|b| b.offsets.capacity() * 4 + std::mem::size_of::<Block>())
            .sum::<usize>()
            + map(self.block_of.capacity(), 10)
            + self.starts.capacity() * 4
            + self.kinds.capacity() * 8
            + map(self.kind_of.capacity(), 10)
            + self.subjects.capacity() * std::mem::size_of::<Subject>()
            + self.objects.capacity() * 4
            + self
                .reverse
                .iter()
                .map(|r| (r.offsets.capacity() + r.positions.capacity()) * 4)
                .sum::<usize>()
            + self.sets.capacity() * 4
            + map(
                self.conditions.capacity(),
                std::mem::size_of::<(u32, Arc<StoredCondition>)>(),
            )
            + self
                .conditions
                .values()
                .map(|c| std::mem::size_of::<StoredCondition>() + 16 + c.name.capacity())
                .sum::<usize>()
            + self.removed.capacity() * 8
            + self.exact.heap_bytes()
    }
}

/// A tuple of a bulk load that is already present (in the load or in the store).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Duplicate {
    pub(crate) object: (Sym, Sym, Sym),
    pub(crate) user: (Sym, Sym, Sym),
}

/// More distinct object type#relation pairs or user kinds than a block or kind number
/// holds (65,535 each).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TooManyKinds;

/// Builds a [`Packed`] base: tuples are pushed as symbols, then sorted and packed.
///
/// Each tuple is one 128-bit record: block (16 bits), object id (32), user kind (16),
/// user id (32) and load sequence number (32); sorting the records groups them by
/// block and object and puts duplicates side by side.
#[derive(Debug, Default)]
pub(crate) struct Loader {
    records: Vec<u128>,
    blocks: Vec<(Sym, Sym)>,
    block_of: HashMap<(Sym, Sym), u16>,
    kinds: Vec<Kind>,
    kind_of: HashMap<Kind, u16>,
    conditions: HashMap<u32, Arc<StoredCondition>>,
}

fn number<K: std::hash::Hash + Eq + Copy>(
    list: &mut Vec<K>,
    index: &mut HashMap<K, u16>,
    key: K,
) -> Result<u16, TooManyKinds> {
    if let Some(&n) = index.get(&key) {
        return Ok(n);
    }
    let n = u16::try_from(list.len())
        .ok()
        .filter(|&n| n != u16::MAX)
        .ok_or(TooManyKinds)?;
    list.push(key);
    index.insert(key, n);
    Ok(n)
}

const fn seq_of(record: u128) -> u32 {
    record as u32
}

impl Loader {
    /// A loader with room for `n` tuples.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            records: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    /// Tuples pushed so far.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Adds a tuple by the symbols of its parts (`NONE` for no user relation).
    pub(crate) fn push(
        &mut self,
        object: (Sym, Sym, Sym),
        user: (Sym, Sym, Sym),
        condition: Option<Arc<StoredCondition>>,
    ) -> Result<(), TooManyKinds> {
        let block = number(&mut self.blocks, &mut self.block_of, (object.0, object.2))?;
        let kind = number(&mut self.kinds, &mut self.kind_of, (user.0, user.2))?;
        let seq = u32::try_from(self.records.len()).map_err(|_| TooManyKinds)?;
        if let Some(c) = condition {
            self.conditions.insert(seq, c);
        }
        self.records.push(
            u128::from(block) << 112
                | u128::from(object.1) << 80
                | u128::from(kind) << 64
                | u128::from(user.1) << 32
                | u128::from(seq),
        );
        Ok(())
    }

    fn parts(&self, record: u128) -> Duplicate {
        let block = (record >> 112) as usize;
        let kind = (record >> 64) as u16;
        let (t, r) = at(&self.blocks, block, (NONE, NONE));
        let (ut, ur) = at(&self.kinds, usize::from(kind), (NONE, NONE));
        Duplicate {
            object: (t, (record >> 80) as u32, r),
            user: (ut, (record >> 32) as u32, ur),
        }
    }

    /// Sorts and packs the tuples; the first duplicate found fails the build.
    pub(crate) fn finish(mut self, symbols: &Symbols) -> Result<Packed, Duplicate> {
        sort(&mut self.records);
        if let Some(pair) = self
            .records
            .windows(2)
            .find(|w| matches!(w, [a, b] if a >> 32 == b >> 32))
            && let Some(&first) = pair.first()
        {
            return Err(self.parts(first));
        }
        // Each object's tuples back in load order.
        let mut from = 0;
        while from < self.records.len() {
            let key = self.records.get(from).map_or(0, |r| r >> 80);
            let len = self
                .records
                .get(from..)
                .unwrap_or_default()
                .iter()
                .take_while(|r| *r >> 80 == key)
                .count()
                .max(1);
            if let Some(run) = self.records.get_mut(from..from + len)
                && len > 1
            {
                run.sort_unstable_by_key(|r| seq_of(*r));
            }
            from += len;
        }
        Ok(self.pack(symbols))
    }

    fn pack(self, symbols: &Symbols) -> Packed {
        let n = self.records.len();
        let mut subjects = Vec::with_capacity(n);
        let mut objects = Vec::with_capacity(n);
        let mut sets = Vec::new();
        let mut conditions = HashMap::new();
        let mut blocks: Vec<Block> = self
            .blocks
            .iter()
            .map(|&(t, r)| Block {
                object_type: t,
                relation: r,
                offsets: Vec::new(),
            })
            .collect();
        let mut starts = vec![0u32; blocks.len()];
        let stars: Vec<Option<Sym>> = self.kinds.iter().map(|k| symbols.id(k.0, "*")).collect();
        let mut current: Option<usize> = None;
        for (pos, &record) in self.records.iter().enumerate() {
            let pos = u32::try_from(pos).unwrap_or(NONE);
            let block = (record >> 112) as usize;
            let object = (record >> 80) as u32;
            let kind = (record >> 64) as u16;
            let user = (record >> 32) as u32;
            if current != Some(block) {
                current = Some(block);
                if let Some(s) = starts.get_mut(block) {
                    *s = pos;
                }
                if let Some(b) = blocks.get_mut(block) {
                    b.offsets = vec![0; symbols.id_count(b.object_type) + 1];
                }
            }
            if let Some(count) = blocks
                .get_mut(block)
                .and_then(|b| b.offsets.get_mut(object as usize + 1))
            {
                *count += 1;
            }
            subjects.push(Subject::new(user, kind));
            objects.push(object);
            let (_, ur) = at(&self.kinds, usize::from(kind), (NONE, NONE));
            if ur != NONE || at(&stars, usize::from(kind), None) == Some(user) {
                sets.push(pos);
            }
            if !self.conditions.is_empty()
                && let Some(c) = self.conditions.get(&seq_of(record))
            {
                conditions.insert(pos, c.clone());
            }
        }
        drop(self.records);
        for (block, &start) in blocks.iter_mut().zip(&starts) {
            let mut sum = start;
            for o in &mut block.offsets {
                sum += *o;
                *o = sum;
            }
        }
        // Blocks are numbered in load order, not position order: sort their starts.
        let mut order: Vec<usize> = (0..blocks.len()).collect();
        order.sort_by_key(|&b| at(&starts, b, 0));
        let blocks: Vec<Block> = order
            .iter()
            .filter_map(|&b| blocks.get(b).cloned())
            .collect();
        let starts: Vec<u32> = order.iter().map(|&b| at(&starts, b, 0)).collect();
        let block_of = blocks
            .iter()
            .enumerate()
            .map(|(i, b)| ((b.object_type, b.relation), u16::try_from(i).unwrap_or(0)))
            .collect();
        let reverse = build_reverse(&self.kinds, &subjects, symbols);
        let exact = build_exact(&blocks, &starts, &self.kinds, &subjects, &objects, symbols);
        Packed {
            blocks,
            block_of,
            starts,
            kinds: self.kinds,
            kind_of: self.kind_of,
            subjects,
            objects,
            reverse,
            sets,
            conditions,
            removed: Vec::new(),
            removed_count: 0,
            exact,
        }
    }
}

/// The reverse index: per kind, the positions of each user, increasing.
fn build_reverse(kinds: &[Kind], subjects: &[Subject], symbols: &Symbols) -> Vec<Reverse> {
    let mut reverse: Vec<Reverse> = kinds
        .iter()
        .map(|k| Reverse {
            offsets: vec![0; symbols.id_count(k.0) + 1],
            positions: Vec::new(),
        })
        .collect();
    for (u, k) in subjects.iter().map(|s| (s.id(), s.kind)) {
        if let Some(c) = reverse
            .get_mut(usize::from(k))
            .and_then(|r| r.offsets.get_mut(u as usize + 1))
        {
            *c += 1;
        }
    }
    let mut cursors: Vec<Vec<u32>> = Vec::with_capacity(reverse.len());
    for r in &mut reverse {
        let mut sum = 0u32;
        for o in &mut r.offsets {
            sum += *o;
            *o = sum;
        }
        r.positions = vec![0; sum as usize];
        cursors.push(r.offsets.clone());
    }
    for (pos, (u, k)) in subjects.iter().map(|s| (s.id(), s.kind)).enumerate() {
        let k = usize::from(k);
        if let (Some(r), Some(cursor)) = (reverse.get_mut(k), cursors.get_mut(k))
            && let Some(c) = cursor.get_mut(u as usize)
            && let Some(slot) = r.positions.get_mut(*c as usize)
        {
            *slot = u32::try_from(pos).unwrap_or(NONE);
            *c += 1;
        }
    }
    reverse
}

/// The exact index: every position, by the hash of its block, kind, object id and
/// user id.
fn build_exact(
    blocks: &[Block],
    starts: &[u32],
    kinds: &[Kind],
    subjects: &[Subject],
    objects: &[u32],
    symbols: &Symbols,
) -> Exact {
    let mut exact = Exact::with_capacity(subjects.len());
    for (b, block) in blocks.iter().enumerate() {
        let start = at(starts, b, 0) as usize;
        let end = starts.get(b + 1).map_or(subjects.len(), |&s| s as usize);
        let number = u16::try_from(b).unwrap_or(u16::MAX);
        for pos in start..end {
            let subject = at(subjects, pos, Subject::NONE);
            let (ut, _) = at(kinds, usize::from(subject.kind), (NONE, NONE));
            let hash = exact.hash(
                number,
                subject.kind,
                symbols.resolve_id(block.object_type, at(objects, pos, NONE)),
                symbols.resolve_id(ut, subject.id()),
            );
            exact.insert(hash, u32::try_from(pos).unwrap_or(NONE));
        }
    }
    exact
}

/// Sorts the records, on two threads when there are many.
fn sort(records: &mut [u128]) {
    const PARALLEL_MIN: usize = 1 << 20;
    if records.len() < PARALLEL_MIN
        || std::thread::available_parallelism().map_or(1, usize::from) < 2
    {
        records.sort_unstable();
        return;
    }
    let mid = records.len() / 2;
    records.select_nth_unstable(mid);
    let (low, high) = records.split_at_mut(mid);
    std::thread::scope(|s| {
        s.spawn(|| low.sort_unstable());
        high.sort_unstable();
    });
}
