//! Every occurrence of a few keywords, case-insensitively, found with packed
//! (Teddy, SIMD) searchers. A keyword is looked for by its rarest piece of
//! three bytes (its `_`, `-`, `.` or digits where it has them, else its
//! rarest letters) in each of the piece's ASCII cases (`---`; `pp-`, `Pp-`,
//! `pP-`, `PP-`), and each hit of a piece is checked against the keywords
//! that hold it. The cases of a piece differ only in the high half of their
//! letters' bytes, so Teddy puts them in one bucket.

use super::index::Hit;
use aho_corasick::Span;
use aho_corasick::packed::{Config, MatchKind, Searcher};

/// Bytes in a piece (shorter keywords are their own piece).
const PIECE: usize = 3;

/// Patterns (pieces in each of their cases) per searcher: Teddy's limit.
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
            for chunk in chunks(&pieces) {
                // The pieces first, so that each starts its own bucket.
                let cased = chunk.iter().flat_map(|p| cases(p).into_iter().skip(1));
                let searcher = Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .builder()
                    .extend(chunk.iter().map(|p| p.to_vec()).chain(cased))
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

    /// Appends every occurrence of the keywords in `text`, in any case.
    pub(super) fn find(&self, text: &[u8], out: &mut Vec<Hit>) {
        for group in &self.groups {
            let mut at = 0;
            while at < text.len() {
                let Some(m) = group.searcher.find_in(text, Span::from(at..text.len())) else {
                    break;
                };
                let p = m.start();
                let holders = text
                    .get(p)
                    .and_then(|b| group.by_first.get(usize::from(b.to_ascii_lowercase())))
                    .map_or(&[][..], Vec::as_slice);
                for h in holders {
                    check(text, p, h, out);
                }
                at = p + 1;
            }
        }
    }
}

/// Appends the holder's keyword if it occurs, in any case, with its piece
/// at `p`.
fn check(text: &[u8], p: usize, h: &Holder, out: &mut Vec<Hit>) {
    let Some(start) = p.checked_sub(h.offset) else {
        return;
    };
    let end = start + h.keyword.len();
    if text
        .get(start..end)
        .is_some_and(|t| t.eq_ignore_ascii_case(&h.keyword))
    {
        out.push(Hit {
            pattern: h.pattern,
            start,
            end,
        });
    }
}

/// `pieces` in runs whose pieces, in all their cases, fit one searcher.
fn chunks<'a>(pieces: &[&'a [u8]]) -> Vec<Vec<&'a [u8]>> {
    let mut out: Vec<Vec<&[u8]>> = Vec::new();
    let mut size = 0;
    for piece in pieces {
        let n = cases(piece).len();
        match out.last_mut() {
            Some(chunk) if size + n <= PER_SEARCHER => chunk.push(piece),
            _ => {
                out.push(vec![piece]);
                size = 0;
            }
        }
        size += n;
    }
    out
}

/// `piece` (lowercase) in each ASCII case of its letters, itself first.
fn cases(piece: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![piece.to_vec()];
    for (i, b) in piece.iter().enumerate() {
        if b.is_ascii_lowercase() {
            let upper: Vec<Vec<u8>> = out
                .iter()
                .map(|p| {
                    let mut p = p.clone();
                    if let Some(c) = p.get_mut(i) {
                        c.make_ascii_uppercase();
                    }
                    p
                })
                .collect();
            out.extend(upper);
        }
    }
    out
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
