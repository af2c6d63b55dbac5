//! C2SP signed notes with Ed25519 (<https://c2sp.org/signed-note>): text
//! ending in a newline, a blank line, then lines `— <name> base64(key ID || signature)`.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use std::fmt;
use thiserror::Error;
use zeroize::Zeroizing;

/// The signature type byte of Ed25519 in signed notes.
const ED25519: u8 = 0x01;
/// The most signature lines a note may carry (the spec asks for at least 16).
const MAX_SIGNATURES: usize = 64;

/// Why a note, a key or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note breaks the format (the reason says how).
    #[error("malformed signed note: {0}")]
    Malformed(&'static str),
    /// A key name is empty or holds a space or a `+` (signed-note, Format).
    #[error("invalid key name")]
    KeyName,
    /// A key string could not be read.
    #[error("malformed key: {0}")]
    Key(&'static str),
    /// A signature by a known key did not verify: the whole note is rejected
    /// (signed-note, Signatures: clients SHOULD reject the whole note).
    #[error("the signature of key {0} does not verify")]
    BadSignature(String),
    /// No signature by a known key: the note MUST be rejected.
    #[error("no signature by a trusted key")]
    Unverified,
}

/// Whether `name` may be a key name: non-empty, no Unicode space, no `+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// `key ID = SHA-256(key name || 0x0A || 0x01 || public key)[:4]`, big-endian.
fn key_id(name: &str, public: &[u8]) -> u32 {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(name.as_bytes());
    ctx.update(b"\n");
    ctx.update(&[ED25519]);
    ctx.update(public);
    let d = ctx.finish();
    let mut id = [0u8; 4];
    id.iter_mut().zip(d.as_ref()).for_each(|(o, i)| *o = *i);
    u32::from_be_bytes(id)
}

/// The log's note signing key: an Ed25519 key with a name.
pub struct NoteSigner {
    name: String,
    id: u32,
    pair: Ed25519KeyPair,
    seed: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A fresh random key named `name` (a schema-less URL is recommended).
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(seed.as_mut()).map_err(|_| NoteError::Key("no randomness"))?;
        Self::from_seed(name, &seed)
    }

    /// The key of a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::KeyName);
        }
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| NoteError::Key("not an Ed25519 seed"))?;
        let id = key_id(name, pair.public_key().as_ref());
        Ok(Self {
            name: name.to_owned(),
            id,
            pair,
            seed: Zeroizing::new(*seed),
        })
    }

    /// Reads `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`, the private
    /// key encoding of Go's `note` package.
    pub fn from_private_key(text: &str) -> Result<Self, NoteError> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::Key("no PRIVATE+KEY+ prefix"))?;
        let (name, id, key) = split_key(rest)?;
        let bytes = Zeroizing::new(
            base64_simd::STANDARD
                .decode_to_vec(key)
                .map_err(|_| NoteError::Key("key is not base64"))?,
        );
        let seed = match bytes.split_first() {
            Some((&ED25519, seed)) => <[u8; 32]>::try_from(seed)
                .map_err(|_| NoteError::Key("an Ed25519 seed has 32 bytes"))?,
            _ => return Err(NoteError::Key("not an Ed25519 key")),
        };
        let signer = Self::from_seed(name, &seed)?;
        if signer.id != id {
            return Err(NoteError::Key("key ID does not match the key"));
        }
        Ok(signer)
    }

    /// The private key encoding read by [`from_private_key`](Self::from_private_key).
    ///
    /// # Security
    /// This is the log's signing key: store it like any secret.
    pub fn private_key(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(33));
        bytes.push(ED25519);
        bytes.extend_from_slice(self.seed.as_ref());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            base64_simd::STANDARD.encode_to_string(bytes.as_slice())
        ))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        let mut public = [0u8; 32];
        public
            .iter_mut()
            .zip(self.pair.public_key().as_ref())
            .for_each(|(o, i)| *o = *i);
        NoteVerifier {
            name: self.name.clone(),
            id: self.id,
            public,
        }
    }

    /// Signs `text` (which must end in a newline) and returns the signed note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let sig = self.pair.sign(text.as_bytes());
        let mut blob = Vec::with_capacity(4 + 64);
        blob.extend_from_slice(&self.id.to_be_bytes());
        blob.extend_from_slice(sig.as_ref());
        Ok(format!(
            "{text}\n\u{2014} {} {}\n",
            self.name,
            base64_simd::STANDARD.encode_to_string(&blob)
        ))
    }
}

/// A trusted note key: name, key ID and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    public: [u8; 32],
}

impl NoteVerifier {
    /// Reads the verifier key encoding `<name>+<hex id>+<base64(0x01 || public key)>`.
    ///
    /// ```
    /// use reference_authority::audit_log::NoteSigner;
    /// let signer = NoteSigner::from_seed("audit.example/log", &[7; 32])?;
    /// let vkey = signer.verifier().to_string();
    /// assert_eq!(reference_authority::audit_log::NoteVerifier::parse(&vkey)?, signer.verifier());
    /// # Ok::<(), reference_authority::audit_log::NoteError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (name, id, key) = split_key(text.trim())?;
        let bytes = base64_simd::STANDARD
            .decode_to_vec(key)
            .map_err(|_| NoteError::Key("key is not base64"))?;
        let public = match bytes.split_first() {
            Some((&ED25519, public)) => <[u8; 32]>::try_from(public)
                .map_err(|_| NoteError::Key("an Ed25519 public key has 32 bytes"))?,
            _ => return Err(NoteError::Key("not an Ed25519 key")),
        };
        if key_id(name, &public) != id {
            return Err(NoteError::Key("key ID does not match the key"));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            public,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks `note` and returns its text (with its final newline) if a
    /// signature by this key verifies.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        open(note, std::slice::from_ref(self))
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(33);
        bytes.push(ED25519);
        bytes.extend_from_slice(&self.public);
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.id,
            base64_simd::STANDARD.encode_to_string(&bytes)
        )
    }
}

fn split_key(text: &str) -> Result<(&str, u32, &str), NoteError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::Key("expected <name>+<id>+<key>"));
    };
    if !valid_name(name) {
        return Err(NoteError::KeyName);
    }
    if id.len() != 8 {
        return Err(NoteError::Key("key ID must be 8 hex digits"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| NoteError::Key("key ID is not hex"))?;
    Ok((name, id, key))
}

/// Signed notes are UTF-8 without control characters other than newline.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text must end in a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("control character"));
    }
    Ok(())
}

/// Checks `note` against `trusted` keys and returns its text.
///
/// Signatures of unknown keys are ignored; a known key whose signature does not
/// verify rejects the whole note; at least one known key must verify.
pub fn open<'a>(note: &'a str, trusted: &[NoteVerifier]) -> Result<&'a str, NoteError> {
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("control character"));
    }
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
    let text = note.get(..=split).ok_or(NoteError::Malformed("no text"))?;
    let sigs = note
        .get(split + 2..)
        .ok_or(NoteError::Malformed("no signatures"))?;
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::Malformed("signatures must end in a newline"));
    }
    let mut verified = false;
    for (n, line) in sigs.split_terminator('\n').enumerate() {
        if n >= MAX_SIGNATURES {
            return Err(NoteError::Malformed("too many signatures"));
        }
        let rest = line.strip_prefix("\u{2014} ").ok_or(NoteError::Malformed(
            "a signature line starts with an em dash",
        ))?;
        let (name, b64) = rest.split_once(' ').ok_or(NoteError::Malformed(
            "a signature line has a name and a signature",
        ))?;
        if !valid_name(name) {
            return Err(NoteError::KeyName);
        }
        let blob = base64_simd::STANDARD
            .decode_to_vec(b64)
            .map_err(|_| NoteError::Malformed("signature is not base64"))?;
        let (id, sig) = blob
            .split_first_chunk::<4>()
            .ok_or(NoteError::Malformed("signature shorter than its key ID"))?;
        let id = u32::from_be_bytes(*id);
        for key in trusted.iter().filter(|k| k.name == name && k.id == id) {
            UnparsedPublicKey::new(&signature::ED25519, &key.public)
                .verify(text.as_bytes(), sig)
                .map_err(|_| NoteError::BadSignature(key.name.clone()))?;
            verified = true;
        }
    }
    if verified {
        Ok(text)
    } else {
        Err(NoteError::Unverified)
    }
}
