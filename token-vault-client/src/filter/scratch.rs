//! Per-thread buffers of a scan (the marks of runs), kept between
//! scans so that a scan allocates nothing.

use super::assignments::{RUN, run_byte};
use std::cell::RefCell;

/// Buffers kept beyond this size are released after a scan.
const KEEP: usize = 1 << 20;

/// Bytes of text marked at a time.
const BLOCK: usize = 4096;

/// The buffers.
#[derive(Debug, Default)]
pub(super) struct Scratch {
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
    /// For each position of `text`, 1 if the [`RUN`] bytes from it are all
    /// [`run_byte`]s, else 0 (shorter than the text by `RUN - 1`). Each step
    /// is a byte-wise pass that the compiler vectorizes, over blocks of the
    /// text small enough that the steps between stay in the first-level cache.
    pub(super) fn runs(&mut self, text: &[u8]) -> &[u8] {
        const _: () = assert!(RUN == 10, "the passes below cover 10 bytes");
        let [one, four, ten] = &mut self.marks;
        ten.clear();
        for at in (0..text.len()).step_by(BLOCK) {
            let block = text
                .get(at..text.len().min(at + BLOCK + RUN - 1))
                .unwrap_or_default();
            one.clear();
            one.extend(block.iter().map(|b| u8::from(run_byte(*b))));
            // Four run bytes in a row.
            four.clear();
            four.extend(
                one.iter()
                    .zip(tail(one, 1))
                    .zip(tail(one, 2))
                    .zip(tail(one, 3))
                    .map(|(((a, b), c), d)| a & b & c & d),
            );
            // Four at 0, 4 and 6: ten in a row.
            ten.extend(
                four.iter()
                    .zip(tail(four, 4))
                    .zip(tail(four, 6))
                    .map(|((a, b), c)| a & b & c)
                    .take(BLOCK),
            );
        }
        ten
    }

    fn trim(&mut self) {
        for buffer in &mut self.marks {
            if buffer.capacity() > KEEP {
                *buffer = Vec::new();
            }
        }
    }
}

/// `bytes` from `at` on (empty past its end).
fn tail(bytes: &[u8], at: usize) -> &[u8] {
    bytes.get(at..).unwrap_or_default()
}
