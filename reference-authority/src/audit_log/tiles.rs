//! The C2SP `tlog-tiles` layout (<https://c2sp.org/tlog-tiles>): tile paths,
//! hash tiles and entry bundles.

use super::error::AuditLogError;
use super::tree::Tree;

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels spanned by one tile level.
const TILE_HEIGHT: usize = 8;

/// One tile resource: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    /// `None` for an entry bundle, else the tile level `L` (0 to 63).
    pub level: Option<u8>,
    /// The tile index `N`.
    pub index: u64,
    /// `Some(W)` (1 to 255) for a partial tile.
    pub width: Option<u8>,
}

impl TilePath {
    /// Parses the path after `tile/` (e.g. `0/x001/234`, `entries/005.p/7`).
    /// Every rule of the spec is checked: level 0..=63 without leading zeroes,
    /// 3-digit index elements with `x` on all but the last, width 1..=255.
    ///
    /// ```
    /// use reference_authority::audit_log::TilePath;
    /// let p = TilePath::parse("1/x001/x234/067.p/8").unwrap();
    /// assert_eq!((p.level, p.index, p.width), (Some(1), 1_234_067, Some(8)));
    /// assert_eq!(p.to_string(), "tile/1/x001/x234/067.p/8");
    /// assert!(TilePath::parse("01/000").is_none());
    /// ```
    pub fn parse(path: &str) -> Option<Self> {
        let (head, rest) = path.split_once('/')?;
        let level = if head == "entries" {
            None
        } else {
            Some(decimal(head, 63)?)
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((index, w)) => (index, Some(decimal(w, 255).filter(|w| *w >= 1)?)),
            None => (rest, None),
        };
        let elements: Vec<&str> = index_part.split('/').collect();
        let (last, init) = elements.split_last()?;
        let mut index: u64 = 0;
        for element in init {
            index = push_digits(index, element.strip_prefix('x')?)?;
        }
        index = push_digits(index, last)?;
        let parsed = Self {
            level: level.and_then(|l| u8::try_from(l).ok()),
            index,
            width: width.and_then(|w| u8::try_from(w).ok()),
        };
        // Only the canonical encoding names a tile.
        (parsed.to_string().strip_prefix("tile/") == Some(path)).then_some(parsed)
    }
}

impl std::fmt::Display for TilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tile/")?;
        match self.level {
            Some(l) => write!(f, "{l}/")?,
            None => f.write_str("entries/")?,
        }
        let mut groups = Vec::new();
        let mut n = self.index;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        let last = groups.len().saturating_sub(1);
        for (i, g) in groups.iter().rev().enumerate() {
            if i < last {
                write!(f, "x{g:03}/")?;
            } else {
                write!(f, "{g:03}")?;
            }
        }
        if let Some(w) = self.width {
            write!(f, ".p/{w}")?;
        }
        Ok(())
    }
}

fn decimal(text: &str, max: u64) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|v| *v <= max)
}

fn push_digits(acc: u64, group: &str) -> Option<u64> {
    if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    acc.checked_mul(1000)?.checked_add(group.parse().ok()?)
}

/// The width a tile has in a tree of `size` leaves: 256 when full, else
/// `floor(size / 256^L) mod 256` for the rightmost tile, 0 when it does not exist.
pub fn tile_width(size: u64, level: u8, index: u64) -> u64 {
    let shift = u32::from(level) * TILE_HEIGHT as u32;
    let hashes = if shift >= 64 { 0 } else { size >> shift };
    let start = index.saturating_mul(TILE_WIDTH);
    hashes.saturating_sub(start).min(TILE_WIDTH)
}

/// The bytes of a hash tile: `W` concatenated 32-byte hashes of tree level `8 L`.
pub fn hash_tile(tree: &Tree, path: &TilePath) -> Result<Vec<u8>, AuditLogError> {
    let level = path.level.ok_or(AuditLogError::NotFound("tile"))?;
    let width = requested_width(tree.size(), level, path)?;
    let row = tree
        .row(
            usize::from(level) * TILE_HEIGHT,
            path.index.saturating_mul(TILE_WIDTH),
            width,
        )
        .ok_or(AuditLogError::NotFound("tile"))?;
    Ok(row.iter().flat_map(|h| h.0).collect())
}

/// The width asked for, if the tree has that tile: a full tile needs 256
/// hashes; a partial one at most as many as the tree has (partial tiles of
/// sizes a checkpoint was issued for stay valid: their hashes never change).
pub(crate) fn requested_width(size: u64, level: u8, path: &TilePath) -> Result<u64, AuditLogError> {
    let available = tile_width(size, level, path.index);
    let wanted = path.width.map_or(TILE_WIDTH, u64::from);
    if wanted == 0 || wanted > available {
        return Err(AuditLogError::NotFound("tile"));
    }
    Ok(wanted)
}

/// An entry bundle: each entry as a big-endian `uint16` length and its bytes.
pub fn entry_bundle(entries: &[Vec<u8>]) -> Result<Vec<u8>, AuditLogError> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
    for entry in entries {
        let len = u16::try_from(entry.len())
            .map_err(|_| AuditLogError::EntryTooLarge { bytes: entry.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Splits an entry bundle back into entries (for clients and tests).
pub fn parse_entry_bundle(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        let (entry, rest) = rest.split_at_checked(len)?;
        out.push(entry);
        bytes = rest;
    }
    Some(out)
}
