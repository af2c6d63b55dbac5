//! Keywords that enable their rule only as the key of an assignment (provider
//! names, `key`, `secret`, `token`): found from the assignment's side. Such a
//! keyword is followed, within a few characters, by an operator and a value
//! of at least ten bytes of `[A-Za-z0-9_\-+/=.~]` (see
//! [`Assignment`](super::rule::Assignment)). The runs of ten [`run_byte`]s
//! (value bytes, or bytes of non-ASCII characters, which only join runs:
//! the search may look at more keys than needed, never fewer) are found with
//! byte-wise passes the compiler vectorizes; only the key before each one is
//! looked at, for a keyword ending there. The keyword's rule still checks
//! its own context, so the occurrences that pass are exactly those a full
//! scan passes.

use super::index::Hit;

/// The shortest value: runs shorter than this are skipped.
pub(super) const RUN: usize = 10;

/// Most bytes between an operator and its value: the operator itself (at
/// most 4 bytes, `:::=`) and 5 quotes or spaces of up to 3 bytes each.
const GAP_BYTES: usize = 24;

/// Keywords found from assignments.
#[derive(Debug, Clone, Default)]
pub(super) struct AssignmentSearch {
    /// (pattern id, lowercase bytes), sorted by their last three bytes.
    patterns: Vec<(usize, Box<[u8]>)>,
    /// The last three bytes of each pattern (see [`suffix`]), in the order
    /// of `patterns`.
    suffixes: Vec<u32>,
    /// Bit `hash(suffix)` is set for every suffix.
    bloom: Vec<u64>,
    /// Most bytes between a keyword's end and its operator.
    key_bytes: usize,
}

impl AssignmentSearch {
    /// Whether a pattern can be found this way: three bytes or more, the
    /// last of them no byte of the gap before a value (so the keyword ends
    /// before the gap).
    pub(super) fn accepts(pattern: &str) -> bool {
        pattern.len() >= 3 && pattern.bytes().last().is_some_and(|b| !gap(b))
    }

    /// The search for `patterns` (id, lowercase keyword, at least three
    /// bytes), whose rules put at most `key_chars` characters between the
    /// keyword and the operator.
    pub(super) fn build(patterns: Vec<(usize, &str)>, key_chars: usize) -> Self {
        let mut patterns: Vec<(usize, Box<[u8]>)> = patterns
            .into_iter()
            .filter(|(_, p)| Self::accepts(p))
            .map(|(id, p)| (id, Box::from(p.as_bytes())))
            .collect();
        patterns.sort_by_key(|(_, p)| suffix(p, p.len()));
        let suffixes: Vec<u32> = patterns
            .iter()
            .filter_map(|(_, p)| suffix(p, p.len()))
            .collect();
        let mut bloom = vec![0u64; BLOOM_WORDS];
        for s in &suffixes {
            let bit = hash(*s);
            if let Some(word) = bloom.get_mut(bit / 64) {
                *word |= 1 << (bit % 64);
            }
        }
        Self {
            patterns,
            suffixes,
            bloom,
            // A character is at most 4 bytes.
            key_bytes: key_chars.saturating_mul(4),
        }
    }

    /// Whether there is nothing to search for.
    pub(super) fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Appends the keywords that may own a value in the run
    /// `text[start..end]` (a whole run of [`run_byte`]s): one before the
    /// operator in front of the run, or one before an `=` inside it with a
    /// full value after it. Together over every run of at least [`RUN`]
    /// bytes: every occurrence of the patterns that is followed by an
    /// assignment as described in the module docs (and possibly others).
    pub(super) fn run(&self, text: &[u8], start: usize, end: usize, out: &mut Vec<Hit>) {
        if self.is_empty() {
            return;
        }
        let mut from = start;
        let mut operator = false;
        while from > 0 && start - from < GAP_BYTES {
            let Some(&b) = text.get(from - 1) else { break };
            if !gap(b) {
                break;
            }
            operator |= is_operator(b);
            from -= 1;
        }
        if operator {
            self.keys(text, from, out);
        }
        let inner = text.get(start..end.saturating_sub(RUN)).unwrap_or_default();
        for (i, _) in inner.iter().enumerate().filter(|(_, b)| **b == b'=') {
            self.keys(text, start + i, out);
        }
    }

    /// Appends the patterns ending at `at` or before it in the key that
    /// ends there (at most `key_bytes` back): the three bytes before each
    /// position, kept as one number while the key is walked backwards, go
    /// through the suffix filter first.
    fn keys(&self, text: &[u8], at: usize, out: &mut Vec<Hit>) {
        let byte = |i: usize| u32::from(text.get(i).map_or(0, u8::to_ascii_lowercase));
        let mut end = at;
        let mut tail = 0u32;
        loop {
            if end < 3 {
                return;
            }
            tail = if end == at {
                byte(end - 3) << 16 | byte(end - 2) << 8 | byte(end - 1)
            } else {
                byte(end - 3) << 16 | tail >> 8
            };
            let bit = hash(tail);
            if self
                .bloom
                .get(bit / 64)
                .is_some_and(|word| word & (1 << (bit % 64)) != 0)
            {
                self.ending(text, end, tail, out);
            }
            if at - end >= self.key_bytes || !text.get(end - 1).is_some_and(|b| key(*b)) {
                return;
            }
            end -= 1;
        }
    }

    /// Appends the patterns with the last three bytes `tail` that end at `end`.
    fn ending(&self, text: &[u8], end: usize, tail: u32, out: &mut Vec<Hit>) {
        let from = self.suffixes.partition_point(|s| *s < tail);
        let to = self.suffixes.partition_point(|s| *s <= tail);
        for (id, pattern) in self.patterns.get(from..to).unwrap_or_default() {
            let Some(start) = end.checked_sub(pattern.len()) else {
                continue;
            };
            if text
                .get(start..end)
                .is_some_and(|t| t.eq_ignore_ascii_case(pattern))
            {
                out.push(Hit {
                    pattern: *id,
                    start,
                    end,
                });
            }
        }
    }
}

/// Words of the suffix filter.
const BLOOM_WORDS: usize = 1 << 9;

fn hash(tail: u32) -> usize {
    (tail.wrapping_mul(0x9E37_79B1) >> 17) as usize
}

/// The three bytes before `end`, lowercase, as one number (the first byte
/// highest).
fn suffix(text: &[u8], end: usize) -> Option<u32> {
    let s = text.get(end.checked_sub(3)?..end)?;
    Some(
        s.iter()
            .fold(0, |tail, b| tail << 8 | u32::from(b.to_ascii_lowercase())),
    )
}

/// A byte of a run: a value byte (`[A-Za-z0-9_\-+/=.~]`) or a byte of a
/// non-ASCII character, which a Unicode class (`\d`) or a case-insensitive
/// letter (`k` folds to the Kelvin sign) of a rule may match. Written without
/// branches, so that a pass over a text vectorizes.
pub(super) fn run_byte(b: u8) -> bool {
    let alpha = (b | 0x20).wrapping_sub(b'a') < 26;
    // `+`, `-`, `.`, `/` and the digits (and not `,`, between them).
    let sign = b.wrapping_sub(b'+') < 15 && b != b',';
    alpha | sign | (b == b'_') | (b == b'=') | (b == b'~') | (b >= 0x80)
}

/// An operator byte of an assignment.
fn is_operator(b: u8) -> bool {
    matches!(b, b'=' | b'>' | b':' | b'|' | b'?' | b',')
}

/// A byte between a key and its value: operators, quotes, spaces (a
/// non-ASCII byte may belong to a Unicode space).
fn gap(b: u8) -> bool {
    is_operator(b)
        || matches!(b, b'"' | b'\'' | b'`')
        || b.is_ascii_whitespace()
        || b == 0x0b
        || b >= 0x80
}

/// A byte between a keyword and its operator: word characters, `.`, `-`,
/// spaces and quotes (a non-ASCII byte may belong to a Unicode word
/// character or space).
fn key(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'_' | b'.' | b'-' | b'"' | b'\'' | b'`' | 0x0b)
        || b.is_ascii_whitespace()
        || b >= 0x80
}

/// Calls `f(start, end)` for each whole run of [`run_byte`]s in `text` that
/// is at least [`RUN`] bytes long, in order, given the `marks` of `text`
/// (see `Scratch::runs`). The first mark after a position without one is
/// a run's start (the byte before it is none of a run), and a run of `n`
/// bytes has `n - RUN + 1` marks, so both ends come from SIMD searches of
/// the marks.
pub(super) fn each_run(text: &[u8], marks: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut at = 0;
    while let Some(found) = marks.get(at..).and_then(|rest| memchr::memchr(1, rest)) {
        let start = at + found;
        let rest = marks.get(start..).unwrap_or_default();
        // Most runs are short: a few marks are read before a SIMD search.
        let ones = rest
            .iter()
            .take(16)
            .position(|m| *m == 0)
            .or_else(|| memchr::memchr(0, rest))
            .unwrap_or(rest.len());
        let end = (start + ones + RUN - 1).min(text.len());
        f(start, end);
        at = start + ones;
    }
}
