//! Every occurrence of a few dozen keywords, case-insensitively, found with
//! packed (Teddy, SIMD) searchers over an ASCII-lowercased copy of the text.
//! A keyword is looked for by its rarest piece of three bytes (its `_`, `-`,
//! `.` or digits where it has them, else its rarest letters), and each hit
//! of a piece is checked against the keywords that hold it.

use super::index::Hit;
use aho_corasick::Span;
use aho_corasick::packed::{Config, MatchKind, Searcher};

/// Bytes in a piece (shorter keywords are their own piece).
const PIECE: usize = 3;

/// Pieces per searcher: Teddy's limit.
const PER_SEARCHER: usize = 64;

/// One keyword held by a piece.
#[derive(Debug, Clone)]
struct Holder {
    pattern: usize,
    /// The keyword.
    keyword: Box<[u8]>,
    /// Where the piece starts in the keyword.
    offset: usize,
    /// The piece.
    piece: Box<[u8]>,
}

/// Pieces of one length, searched together.
#[derive(Debug, Clone)]
struct Group {
    searcher: Searcher,
    /// Holders by the first byte of their piece.
    by_first: Vec<Vec<Holder>>,
}

/// The searchers for a set of keywords.
#[derive(Debug, Clone, Default)]
pub(super) struct GramSearch {
    groups: Vec<Group>,
}

impl GramSearch {
    /// The search for `patterns` (id, lowercase keyword); `None` when the
    /// pieces need more than `max_searchers` searchers (the text would be
    /// read once per searcher).
    pub(super) fn build(patterns: Vec<(usize, &str)>, max_searchers: usize) -> Option<Self> {
        let patterns: Vec<(usize, Box<[u8]>)> = patterns
            .into_iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(id, p)| (id, Box::from(p.as_bytes())))
            .collect();
        let holders: Vec<Holder> = patterns
            .iter()
            .map(|(id, p)| {
                let offset = rarest(p);
                Holder {
                    pattern: *id,
                    keyword: p.clone(),
                    offset,
                    piece: Box::from(p.get(offset..offset + PIECE.min(p.len())).unwrap_or(p)),
                }
            })
            .collect();
        let mut groups = Vec::new();
        for len in 1..=PIECE {
            let mut pieces: Vec<&[u8]> = holders
                .iter()
                .map(|h| &*h.piece)
                .filter(|p| p.len() == len)
                .collect();
            pieces.sort_unstable();
            pieces.dedup();
            for chunk in pieces.chunks(PER_SEARCHER) {
                let searcher = Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .builder()
                    .extend(chunk)
                    .build()?;
                let mut by_first: Vec<Vec<Holder>> = vec![Vec::new(); 256];
                for h in holders.iter().filter(|h| chunk.contains(&&*h.piece)) {
                    if let Some(list) = h
                        .piece
                        .first()
                        .and_then(|b| by_first.get_mut(usize::from(*b)))
                    {
                        list.push(h.clone());
                    }
                }
                groups.push(Group { searcher, by_first });
            }
        }
        (groups.len() <= max_searchers).then_some(Self { groups })
    }

    /// Appends every occurrence of the keywords in `lower` (a lowercase text).
    pub(super) fn find(&self, lower: &[u8], out: &mut Vec<Hit>) {
        for group in &self.groups {
            let mut at = 0;
            while at < lower.len() {
                let Some(m) = group.searcher.find_in(lower, Span::from(at..lower.len())) else {
                    break;
                };
                let p = m.start();
                let holders = lower
                    .get(p)
                    .and_then(|b| group.by_first.get(usize::from(*b)))
                    .map_or(&[][..], Vec::as_slice);
                for h in holders {
                    check(lower, p, h, out);
                }
                at = p + 1;
            }
        }
    }
}

/// Appends the holder's keyword if its piece is at `p` and the keyword
/// around it.
fn check(lower: &[u8], p: usize, h: &Holder, out: &mut Vec<Hit>) {
    if lower.get(p..p + h.piece.len()) != Some(&*h.piece) {
        return;
    }
    let Some(start) = p.checked_sub(h.offset) else {
        return;
    };
    let end = start + h.keyword.len();
    if lower.get(start..end) == Some(&*h.keyword) {
        out.push(Hit {
            pattern: h.pattern,
            start,
            end,
        });
    }
}

/// Where the rarest piece of `pattern` starts.
fn rarest(pattern: &[u8]) -> usize {
    let len = PIECE.min(pattern.len());
    (0..=pattern.len() - len)
        .min_by_key(|&i| {
            pattern
                .get(i..i + len)
                .unwrap_or_default()
                .iter()
                .map(|b| commonness(*b))
                .sum::<u32>()
        })
        .unwrap_or(0)
}

/// How common a (lowercase) byte is in prose, JSON and logs, roughly.
fn commonness(b: u8) -> u32 {
    match b {
        b' ' | b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'h' => 12,
        b'l' | b'd' | b'c' | b'u' | b'm' | b'f' | b'p' | b'g' | b'w' | b'y' | b'b' => 9,
        b'"' | b',' | b'.' | b':' | b'\n' | b'0'..=b'9' => 7,
        b'v' | b'k' | b'-' | b'(' | b')' => 5,
        b'x' | b'j' | b'q' | b'z' | b'/' | b'_' | b'=' => 3,
        _ => 1,
    }
}
