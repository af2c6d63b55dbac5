//! The on-disk journal of a shipping sink: events appended as JSON lines and
//! synced before `record` returns, and a cursor file naming how far the
//! authority has acknowledged. A torn last line (a crash mid-write) is cut off
//! when the journal is opened; everything after the cursor is sent again after
//! a restart, and the authority deduplicates by event id.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The most bytes one batch read takes from the journal.
const MAX_READ: u64 = 4 * 1024 * 1024;

#[derive(Debug)]
struct State {
    file: File,
    len: u64,
    cursor: u64,
}

/// The journal files in one directory.
#[derive(Debug)]
pub(crate) struct Journal {
    cursor_path: PathBuf,
    state: Mutex<State>,
}

/// A batch of journal lines and the offset just after the last one.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) lines: Vec<Vec<u8>>,
    pub(crate) end: u64,
}

impl Journal {
    /// Opens (or creates) the journal in `dir`, repairing a torn last line.
    pub(crate) fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("events.jsonl");
        let cursor_path = dir.join("cursor");
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        let mut content = Vec::new();
        file.read_to_end(&mut content)?;
        let complete = content
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        if complete < content.len() {
            file.set_len(complete as u64)?;
            file.sync_all()?;
        }
        let len = complete as u64;
        let cursor = std::fs::read_to_string(&cursor_path)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|c| *c <= len)
            .unwrap_or(0);
        Ok(Self {
            cursor_path,
            state: Mutex::new(State { file, len, cursor }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one line (without newline) and syncs it to disk.
    pub(crate) fn append(&self, line: &[u8]) -> std::io::Result<()> {
        let mut state = self.state();
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line);
        buf.push(b'\n');
        state.file.write_all(&buf)?;
        state.file.sync_data()?;
        state.len += buf.len() as u64;
        Ok(())
    }

    /// Lines not yet acknowledged, at most `max` of them.
    pub(crate) fn pending(&self, max: usize) -> std::io::Result<Batch> {
        let mut state = self.state();
        let start = state.cursor;
        let want = (state.len - start).min(MAX_READ);
        state.file.seek(SeekFrom::Start(start))?;
        let mut bytes = vec![0u8; usize::try_from(want).unwrap_or(0)];
        state.file.read_exact(&mut bytes)?;
        let mut lines = Vec::new();
        let mut end = start;
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            if lines.len() >= max || !line.ends_with(b"\n") {
                break;
            }
            end += line.len() as u64;
            lines.push(line.strip_suffix(b"\n").unwrap_or(line).to_vec());
        }
        Ok(Batch { lines, end })
    }

    /// Whether every line was acknowledged.
    pub(crate) fn is_drained(&self) -> bool {
        let state = self.state();
        state.cursor == state.len
    }

    /// Records that the authority acknowledged everything before `end`; once
    /// everything is acknowledged the journal starts over, empty.
    pub(crate) fn acknowledge(&self, end: u64) -> std::io::Result<()> {
        let mut state = self.state();
        self.write_cursor(end)?;
        state.cursor = end;
        if end == state.len {
            state.file.set_len(0)?;
            state.file.sync_all()?;
            state.len = 0;
            self.write_cursor(0)?;
            state.cursor = 0;
        }
        Ok(())
    }

    /// Replaces the cursor file atomically (write, sync, rename).
    fn write_cursor(&self, value: u64) -> std::io::Result<()> {
        let tmp = self.cursor_path.with_extension("tmp");
        let mut f = File::create(&tmp)?;
        f.write_all(value.to_string().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.cursor_path)?;
        if let Some(dir) = self.cursor_path.parent() {
            // Makes the rename itself durable where directories can be synced.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn torn_last_line_from_a_crash_is_cut_off_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        journal.append(br#"{"id":"a"}"#).unwrap();
        drop(journal);
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("events.jsonl"))
            .unwrap();
        f.write_all(br#"{"id":"b","ti"#).unwrap();
        drop(f);
        let journal = Journal::open(dir.path()).unwrap();
        journal.append(br#"{"id":"c"}"#).unwrap();
        let batch = journal.pending(10).unwrap();
        assert_eq!(
            batch.lines,
            vec![br#"{"id":"a"}"#.to_vec(), br#"{"id":"c"}"#.to_vec()]
        );
    }

    #[test]
    fn acknowledged_lines_are_not_sent_again_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        for id in ["a", "b", "c"] {
            journal
                .append(format!(r#"{{"id":"{id}"}}"#).as_bytes())
                .unwrap();
        }
        let first = journal.pending(2).unwrap();
        assert_eq!(first.lines.len(), 2);
        journal.acknowledge(first.end).unwrap();
        drop(journal);
        let journal = Journal::open(dir.path()).unwrap();
        let rest = journal.pending(10).unwrap();
        assert_eq!(rest.lines, vec![br#"{"id":"c"}"#.to_vec()]);
        journal.acknowledge(rest.end).unwrap();
        assert!(journal.is_drained());
        // Fully acknowledged: the journal started over, empty.
        assert_eq!(
            std::fs::metadata(dir.path().join("events.jsonl"))
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn stale_cursor_past_the_end_restarts_from_the_beginning() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cursor"), "999").unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        journal.append(br#"{"id":"a"}"#).unwrap();
        assert_eq!(journal.pending(10).unwrap().lines.len(), 1);
    }
}
