//! The durable spool: rows that could not be delivered yet, one JSON line each.
//!
//! Files in the state directory (all mode 0600 on Unix):
//! - `spool.lock`: every append, every claim and every set-aside takes an exclusive lock on it, so
//!   lines from parallel hooks never interleave and a claim never races an append.
//! - `spool.ndjson`: rows waiting for delivery, appended with one `write` per batch.
//! - `claimed-<pid>-<nanos>.ndjson`: rows a run is delivering right now. The claiming run holds a lock
//!   on the file until it is done; a file whose lock can be taken belongs to a run that died, and the
//!   next claim adopts it. That is why delivery is at-least-once: a run killed after the server took
//!   its rows but before it deleted the claim delivers them again later.
//! - `spool.corrupt`: lines that are not valid rows, set aside (never sent, never dropped silently).
//! - `spool.rejected`: rows Tinybird refused for good (a 400, say), set aside the same way; they are
//!   spool lines, so appending them back to `spool.ndjson` sends them again.
//!
//! A finishing run deletes its claim file and then releases its lock without taking `spool.lock`, so
//! a claim running at that moment may open the file just before it is deleted and take its lock just
//! after: a claim therefore adopts a file only when, once locked, its path still names that same file
//! (device and inode), and a finishing run treats a claim file already gone as deleted.
//!
//! A claim may be capped ([`HOOK_CLAIM_BYTES`] for a hook run, less after a failure: see
//! [`crate::backoff`]): it then takes the newest lines of `spool.ndjson` up to the cap and leaves the
//! older ones for the next run or `atel-hooks flush`.
//!
//! A failed append (full disk) is rolled back to the previous length so the spool stays line-aligned.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use crate::rows::Row;

const LOCK: &str = "spool.lock";
const PENDING: &str = "spool.ndjson";
const CORRUPT: &str = "spool.corrupt";
const REJECTED: &str = "spool.rejected";
const CLAIM_PREFIX: &str = "claimed-";

/// The most one hook run claims, in bytes of spool lines (about 3,000 rows): after an outage each hook
/// sends a slice of the backlog within its budget instead of all of it; `flush` takes everything.
pub(crate) const HOOK_CLAIM_BYTES: u64 = 1024 * 1024;

/// The spool in one state directory.
#[derive(Debug, Clone)]
pub(crate) struct Spool {
    dir: PathBuf,
}

/// Rows taken out of the spool for delivery. Give back what was not delivered with
/// [`Claim::finish`]; dropping a claim without finishing leaves its files for a later run (delivered
/// again: at-least-once).
#[derive(Debug)]
pub(crate) struct Claim {
    files: Vec<(PathBuf, File)>,
    rows: Vec<Row>,
    corrupt: usize,
}

impl Spool {
    /// The spool in `dir`, created (mode 0700) when missing.
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        create_private_dir(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where rows Tinybird refused for good are set aside.
    pub(crate) fn rejected_path(&self) -> PathBuf {
        self.dir.join(REJECTED)
    }

    /// Where corrupt spool lines are set aside.
    pub(crate) fn corrupt_path(&self) -> PathBuf {
        self.dir.join(CORRUPT)
    }

    /// Appends `rows` under the lock, in one write. With `durable`, waits until the data is on disk.
    pub(crate) fn append(&self, rows: &[Row], durable: bool) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let text = encode(rows)?;
        let _lock = self.lock()?;
        append_lines(&self.dir.join(PENDING), &text, durable)
    }

    /// Sets `rows` aside in `spool.rejected` (synced to disk): never sent again by a run.
    pub(crate) fn reject(&self, rows: &[Row]) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let text = encode(rows)?;
        let _lock = self.lock()?;
        append_lines(&self.rejected_path(), &text, true)
    }

    /// How many rows wait in the spool (pending and claimed), and how many lines were set aside.
    #[cfg(test)]
    fn count(&self) -> io::Result<(usize, usize)> {
        let mut rows = 0;
        let mut paths = self.claim_files()?;
        paths.push(self.dir.join(PENDING));
        for path in paths {
            rows += count_lines(&path)?;
        }
        Ok((rows, count_lines(&self.corrupt_path())?))
    }

    /// Whether any row waits (pending or claimed by a run that may have died); one `stat` and one
    /// directory read, no lock.
    pub(crate) fn has_rows(&self) -> bool {
        fs::metadata(self.dir.join(PENDING)).is_ok_and(|m| m.len() > 0)
            || self.claim_files().is_ok_and(|files| !files.is_empty())
    }

    /// Takes the rows of claims left by runs that died, then pending rows: all of them, or with
    /// `cap`, about `cap` bytes (adopted claims are taken whole; pending rows newest first). `None`
    /// when there is nothing (checked without taking the lock, so an empty spool costs one `stat`
    /// and one directory read).
    pub(crate) fn claim(&self, cap: Option<u64>) -> io::Result<Option<Claim>> {
        if !self.has_rows() {
            return Ok(None);
        }
        let lock = self.lock()?;
        let mut files = Vec::new();
        let mut taken = 0_u64;
        // Adopt claims whose owner is gone (their lock is free).
        for path in self.claim_files()? {
            if cap.is_some_and(|cap| taken >= cap) {
                break;
            }
            let Ok(file) = OpenOptions::new().read(true).write(true).open(&path) else {
                continue;
            };
            // A run that just finished deleted the file, then released its lock: the path no longer
            // names what we locked, and its rows were delivered.
            if file.try_lock().is_ok() && still_linked(&file, &path) {
                taken += file.metadata().map_or(0, |m| m.len());
                files.push((path, file));
            }
        }
        let room = cap.map(|cap| cap.saturating_sub(taken));
        if room != Some(0)
            && let Some(claimed) = self.claim_pending(room)?
        {
            files.push(claimed);
        }
        drop(lock);

        let mut rows = Vec::new();
        let mut bad = Vec::new();
        let mut corrupt = 0;
        for (_, file) in &mut files {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                if let Ok(row) = serde_json::from_slice::<Row>(line) {
                    rows.push(row);
                } else {
                    bad.extend_from_slice(line);
                    bad.push(b'\n');
                    corrupt += 1;
                }
            }
        }
        if !bad.is_empty() {
            let _lock = self.lock()?;
            append_lines(&self.corrupt_path(), &bad, true)?;
        }
        Ok(Some(Claim {
            files,
            rows,
            corrupt,
        }))
    }

    /// Moves pending rows into a new claim file, locked: all of them (a rename), or with `room`, the
    /// newest lines up to `room` bytes (copied out, then cut off `spool.ndjson`). Called under the
    /// spool lock.
    fn claim_pending(&self, room: Option<u64>) -> io::Result<Option<(PathBuf, File)>> {
        let pending = self.dir.join(PENDING);
        let len = match fs::metadata(&pending) {
            Ok(meta) => meta.len(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => 0,
            Err(err) => return Err(err),
        };
        if len == 0 {
            return Ok(None);
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let claimed = self.dir.join(format!(
            "{CLAIM_PREFIX}{}-{nanos}.ndjson",
            std::process::id()
        ));
        if let Some(room) = room.filter(|room| len > *room) {
            let mut source = OpenOptions::new().read(true).write(true).open(&pending)?;
            // The byte before the window too, to know whether the window starts a line.
            let from = len - room - 1;
            let mut tail = vec![0; usize::try_from(room + 1).map_err(io::Error::other)?];
            source.seek(SeekFrom::Start(from))?;
            source.read_exact(&mut tail)?;
            // No line starts in the window (one line longer than `room`): take the whole file.
            if let Some(newline) = memchr::memchr(b'\n', &tail).filter(|i| i + 1 < tail.len()) {
                let lines = tail.get(newline + 1..).unwrap_or_default();
                let mut file = private_options()
                    .create_new(true)
                    .read(true)
                    .write(true)
                    .open(&claimed)?;
                let moved = file
                    .lock()
                    .and_then(|()| file.write_all(lines))
                    .and_then(|()| file.sync_data())
                    .and_then(|()| source.set_len(len - lines.len() as u64))
                    .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop));
                if let Err(err) = moved {
                    let _ = fs::remove_file(&claimed);
                    return Err(err);
                }
                return Ok(Some((claimed, file)));
            }
        }
        fs::rename(&pending, &claimed)?;
        let file = OpenOptions::new().read(true).write(true).open(&claimed)?;
        file.lock()?;
        Ok(Some((claimed, file)))
    }

    fn claim_files(&self) -> io::Result<Vec<PathBuf>> {
        let mut paths = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(CLAIM_PREFIX) && name.ends_with(".ndjson") {
                paths.push(entry.path());
            }
        }
        paths.sort();
        Ok(paths)
    }

    fn lock(&self) -> io::Result<File> {
        let file = private_options()
            .read(true)
            .write(true)
            .truncate(false)
            .open(self.dir.join(LOCK))?;
        file.lock()?;
        Ok(file)
    }
}

impl Claim {
    /// The claimed rows, oldest first.
    #[cfg(test)]
    fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Takes the claimed rows out.
    pub(crate) fn take_rows(&mut self) -> Vec<Row> {
        std::mem::take(&mut self.rows)
    }

    /// How many corrupt lines were set aside into `spool.corrupt` while claiming.
    pub(crate) fn corrupt(&self) -> usize {
        self.corrupt
    }

    /// Puts `undelivered` back into the spool and deletes the claim files. If putting back fails
    /// (full disk), the claim files stay and a later run delivers all of them again.
    pub(crate) fn finish(self, spool: &Spool, undelivered: &[Row]) -> io::Result<()> {
        spool.append(undelivered, true)?;
        for (path, file) in self.files {
            match fs::remove_file(&path) {
                Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
                _ => drop(file),
            }
        }
        Ok(())
    }
}

/// Rows as spool lines.
fn encode(rows: &[Row]) -> io::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(rows.len() * 256);
    for row in rows {
        serde_json::to_writer(&mut text, row).map_err(io::Error::other)?;
        text.push(b'\n');
    }
    Ok(text)
}

/// The non-empty lines of the file at `path`; 0 when it does not exist.
#[cfg(test)]
fn count_lines(path: &Path) -> io::Result<usize> {
    match fs::read(path) {
        Ok(bytes) => Ok(bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(err) => Err(err),
    }
}

/// Whether `path` still names the open `file` (not deleted, not replaced).
#[cfg(unix)]
fn still_linked(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Whether `path` still exists (an open file cannot be deleted on Windows).
#[cfg(not(unix))]
fn still_linked(_file: &File, path: &Path) -> bool {
    path.exists()
}

fn append_lines(path: &Path, text: &[u8], durable: bool) -> io::Result<()> {
    let mut file = private_options().append(true).read(true).open(path)?;
    let len = file.metadata()?.len();
    let mut buf = Vec::with_capacity(text.len() + 1);
    // A writer that died mid-line (or a full disk) may have left a line without its newline: end it,
    // so only that line is set aside as corrupt, not the next one too.
    if len > 0 && !ends_with_newline(&file, len)? {
        buf.push(b'\n');
    }
    buf.extend_from_slice(text);
    let written = file
        .write_all(&buf)
        .and_then(|()| if durable { file.sync_data() } else { Ok(()) });
    if let Err(err) = written {
        let _ = file.set_len(len);
        return Err(err);
    }
    Ok(())
}

#[cfg(unix)]
fn ends_with_newline(file: &File, len: u64) -> io::Result<bool> {
    use std::os::unix::fs::FileExt as _;
    let mut last = [0_u8];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last == [b'\n'])
}

#[cfg(not(unix))]
fn ends_with_newline(file: &File, len: u64) -> io::Result<bool> {
    use std::io::{Seek as _, SeekFrom};
    let mut file = file;
    let mut last = [0_u8];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    Ok(last == [b'\n'])
}

/// `create`, and mode 0600 on Unix: how every state file is opened.
pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` and its parents; the last component gets mode 0700 on Unix.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atel_sdk::telemetry::SkillActivation;
    use chrono::{TimeZone, Utc};

    fn skill(n: u64) -> Row {
        Row::Skill(SkillActivation {
            timestamp: Utc.timestamp_millis_opt(1_764_000_000_000).unwrap(),
            session_id: format!("s{n}"),
            skill_name: "fake-skill".into(),
            duration_ms: n,
            success: true,
            tool_use_id: format!("toolu_{n}"),
        })
    }

    #[test]
    fn append_claim_finish_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        assert!(spool.claim(None).unwrap().is_none());
        spool.append(&[skill(1), skill(2)], false).unwrap();
        spool.append(&[skill(3)], true).unwrap();
        assert_eq!(spool.count().unwrap(), (3, 0));

        let claim = spool.claim(None).unwrap().unwrap();
        assert_eq!(claim.rows(), &[skill(1), skill(2), skill(3)]);
        // Appends during delivery go to a fresh spool file.
        spool.append(&[skill(4)], false).unwrap();
        claim.finish(&spool, &[skill(2)]).unwrap();
        let claim = spool.claim(None).unwrap().unwrap();
        assert_eq!(claim.rows(), &[skill(4), skill(2)]);
        claim.finish(&spool, &[]).unwrap();
        assert!(spool.claim(None).unwrap().is_none());
        assert_eq!(spool.count().unwrap(), (0, 0));
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let spool = Spool::open(&state).unwrap();
        spool.append(&[skill(1)], false).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join(PENDING)), 0o600);
        assert_eq!(mode(&state.join(LOCK)), 0o600);
    }

    #[test]
    fn corrupt_and_cut_lines_are_set_aside_without_losing_others() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.append(&[skill(1)], false).unwrap();
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join(PENDING))
            .unwrap();
        file.write_all(b"not json\n{\"ds\":\"unknown\",\"row\":{}}\n{\"ds\":\"skill_act")
            .unwrap();
        drop(file);
        // The cut line gets its newline before the next append, so row 2 survives.
        spool.append(&[skill(2)], false).unwrap();
        let claim = spool.claim(None).unwrap().unwrap();
        assert_eq!(claim.rows(), &[skill(1), skill(2)]);
        assert_eq!(claim.corrupt(), 3);
        claim.finish(&spool, &[]).unwrap();
        assert_eq!(spool.count().unwrap(), (0, 3));
        let aside = fs::read_to_string(dir.path().join(CORRUPT)).unwrap();
        assert_eq!(
            aside,
            "not json\n{\"ds\":\"unknown\",\"row\":{}}\n{\"ds\":\"skill_act\n"
        );
    }

    #[test]
    fn a_capped_claim_takes_the_newest_lines_and_leaves_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        // Two-digit numbers: every line has the same length.
        let all: Vec<Row> = (10..100).map(skill).collect();
        spool.append(&all, false).unwrap();
        let line = encode(&[skill(10)]).unwrap().len() as u64;
        let claim = spool.claim(Some(10 * line + line / 2)).unwrap().unwrap();
        assert_eq!(claim.rows(), &all[80..]);
        claim.finish(&spool, &[]).unwrap();
        assert_eq!(spool.count().unwrap(), (80, 0));
        // No line starts within a cap shorter than a line: everything goes rather than nothing.
        let claim = spool.claim(Some(line / 2)).unwrap().unwrap();
        assert_eq!(claim.rows(), &all[..80]);
        claim.finish(&spool, &[]).unwrap();
        assert!(spool.claim(Some(line)).unwrap().is_none());
    }

    #[test]
    fn a_claim_file_deleted_while_being_adopted_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.append(&[skill(1)], false).unwrap();
        let live = spool.claim(None).unwrap().unwrap();
        let path = spool.claim_files().unwrap().remove(0);
        // Another run opens the claim file while its owner still holds it...
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        assert!(opened.try_lock().is_err());
        // ...the owner finishes (deletes it, then unlocks)...
        live.finish(&spool, &[]).unwrap();
        // ...and the lock is free, on a file that is no longer in the spool.
        assert!(opened.try_lock().is_ok());
        assert!(!still_linked(&opened, &path));
        assert!(spool.claim(None).unwrap().is_none());
    }

    #[test]
    fn finishing_a_claim_whose_file_is_gone_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.append(&[skill(1)], false).unwrap();
        let claim = spool.claim(None).unwrap().unwrap();
        fs::remove_file(spool.claim_files().unwrap().remove(0)).unwrap();
        claim.finish(&spool, &[skill(1)]).unwrap();
        assert_eq!(spool.count().unwrap(), (1, 0));
    }

    #[test]
    fn rejected_rows_are_set_aside_as_spool_lines() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.reject(&[skill(1)]).unwrap();
        let text = fs::read(spool.rejected_path()).unwrap();
        assert_eq!(text, encode(&[skill(1)]).unwrap());
        assert!(!spool.has_rows());
    }

    #[test]
    fn a_dead_runs_claim_is_adopted_a_live_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.append(&[skill(1)], false).unwrap();
        let live = spool.claim(None).unwrap().unwrap();
        // Its lock is held: another claim does not take its rows.
        spool.append(&[skill(2)], false).unwrap();
        let other = spool.claim(None).unwrap().unwrap();
        assert_eq!(other.rows(), &[skill(2)]);
        other.finish(&spool, &[]).unwrap();
        // The first run "dies": its claim file stays, its lock goes.
        drop(live);
        let adopted = spool.claim(None).unwrap().unwrap();
        assert_eq!(adopted.rows(), &[skill(1)]);
        adopted.finish(&spool, &[]).unwrap();
        assert!(spool.claim(None).unwrap().is_none());
    }
}
