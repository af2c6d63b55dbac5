//! RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256.
//!
//! RFC 9162 section 2.1.1: the leaf hash is `SHA-256(0x00 || leaf)` and an
//! interior node's is `SHA-256(0x01 || left || right)`; the prefixes keep a
//! leaf from ever being read as a node (second-preimage resistance).

use aws_lc_rs::digest;
use std::fmt;

/// A SHA-256 Merkle tree hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The hash of a leaf: `SHA-256(0x00 || data)`.
    ///
    /// ```
    /// use reference_authority::audit_log::Hash;
    /// // RFC 6962 test vector: the empty leaf.
    /// assert_eq!(
    ///     Hash::leaf(b"").to_hex(),
    ///     "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    /// );
    /// ```
    pub fn leaf(data: &[u8]) -> Self {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&[0x00]);
        ctx.update(data);
        Self::from_digest(&ctx.finish())
    }

    /// The hash of an interior node: `SHA-256(0x01 || left || right)`.
    pub fn node(left: &Self, right: &Self) -> Self {
        let mut buf = [0u8; 65];
        buf[0] = 0x01;
        buf[1..33].copy_from_slice(&left.0);
        buf[33..].copy_from_slice(&right.0);
        Self::from_digest(&digest::digest(&digest::SHA256, &buf))
    }

    /// The root of the empty tree: `SHA-256()` (RFC 9162 section 2.1.1).
    pub fn empty_root() -> Self {
        Self::from_digest(&digest::digest(&digest::SHA256, b""))
    }

    fn from_digest(d: &digest::Digest) -> Self {
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Self(out)
    }

    /// The 32 bytes from a slice, if it has exactly 32.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(64);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }

    /// Parses 64 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }

    /// Standard base64 (RFC 4648 section 4), as in checkpoints.
    pub fn to_base64(&self) -> String {
        base64_simd::STANDARD.encode_to_string(self.0)
    }

    /// Parses standard base64 of 32 bytes.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = base64_simd::STANDARD.decode_to_vec(text).ok()?;
        Self::from_slice(&bytes)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
