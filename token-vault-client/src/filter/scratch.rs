//! Per-thread buffers of a scan (a lowercase copy of the text, the marks of
//! value runs), kept between scans so that a scan allocates nothing.

use super::assignments::{RUN, value};
use std::cell::RefCell;

/// Buffers kept beyond this size are released after a scan.
const KEEP: usize = 1 << 20;

/// The buffers.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    lower: Vec<u8>,
    marks: [Vec<u8>; 3],
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's buffers (fresh ones if they are in use).
pub(super) fn with<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let out = f(&mut scratch);
            scratch.trim();
            out
        }
        Err(_) => f(&mut Scratch::default()),
    })
}

impl Scratch {
    /// `text`, ASCII-lowercased.
    pub(super) fn lower(&mut self, text: &[u8]) -> &[u8] {
        self.lower.clear();
        self.lower.extend(text.iter().map(u8::to_ascii_lowercase));
        &self.lower
    }

    /// For each position of `text`, 1 if the [`RUN`] bytes from it are all
    /// value bytes, else 0 (shorter than the text by `RUN - 1`). Each step
    /// is a byte-wise pass that the compiler vectorizes.
    pub(super) fn runs(&mut self, text: &[u8]) -> &[u8] {
        const _: () = assert!(RUN == 10, "the passes below cover 10 bytes");
        let [one, two, three] = &mut self.marks;
        // one: a value byte; then two: 2 in a row.
        one.clear();
        one.extend(text.iter().map(|b| u8::from(value(*b))));
        and_shifted(two, one, 1);
        // one: 4 in a row; three: 8 in a row.
        and_shifted(one, two, 2);
        and_shifted(three, one, 4);
        // one: 8 in a row and 2 more.
        one.clear();
        one.extend(
            three
                .iter()
                .zip(two.get(8..).unwrap_or_default())
                .map(|(a, b)| a & b),
        );
        one
    }

    fn trim(&mut self) {
        for buffer in std::iter::once(&mut self.lower).chain(self.marks.iter_mut()) {
            if buffer.capacity() > KEEP {
                *buffer = Vec::new();
            }
        }
    }
}

/// `dst[i] = src[i] & src[i + shift]`.
fn and_shifted(dst: &mut Vec<u8>, src: &[u8], shift: usize) {
    dst.clear();
    dst.extend(
        src.iter()
            .zip(src.get(shift..).unwrap_or_default())
            .map(|(a, b)| a & b),
    );
}
