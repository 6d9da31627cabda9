//! The durable spool: rows that could not be delivered yet, one JSON line each.
//!
//! Files in the state directory (all mode 0600 on Unix):
//! - `spool.lock`: every writer and every claim takes an exclusive lock on it, so lines from parallel
//!   hooks never interleave and a claim never races an append.
//! - `spool.ndjson`: rows waiting for delivery, appended with one `write` per batch.
//! - `claimed-<pid>-<nanos>.ndjson`: rows a run is delivering right now. The claiming run holds a lock
//!   on the file until it is done; a file whose lock can be taken belongs to a run that died, and the
//!   next claim adopts it. That is why delivery is at-least-once: a run killed after the server took
//!   its rows but before it deleted the claim delivers them again later.
//! - `spool.corrupt`: lines that are not valid rows, set aside (never sent, never dropped silently).
//!
//! A failed append (full disk) is rolled back to the previous length so the spool stays line-aligned.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::rows::Row;

const LOCK: &str = "spool.lock";
const PENDING: &str = "spool.ndjson";
const CORRUPT: &str = "spool.corrupt";
const CLAIM_PREFIX: &str = "claimed-";

/// The spool in one state directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

/// Rows taken out of the spool for delivery. Give back what was not delivered with
/// [`Claim::finish`]; dropping a claim without finishing leaves its files for a later run (delivered
/// again: at-least-once).
#[derive(Debug)]
pub struct Claim {
    files: Vec<(PathBuf, File)>,
    rows: Vec<Row>,
    corrupt: usize,
}

impl Spool {
    /// The spool in `dir`, created (mode 0700) when missing.
    pub fn open(dir: &Path) -> io::Result<Self> {
        create_private_dir(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends `rows` under the lock, in one write. With `durable`, waits until the data is on disk.
    pub fn append(&self, rows: &[Row], durable: bool) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut text = Vec::with_capacity(rows.len() * 256);
        for row in rows {
            serde_json::to_writer(&mut text, row).map_err(io::Error::other)?;
            text.push(b'\n');
        }
        let _lock = self.lock()?;
        append_lines(&self.dir.join(PENDING), &text, durable)
    }

    /// How many rows wait in the spool (pending and claimed), and how many lines were set aside.
    pub fn count(&self) -> io::Result<(usize, usize)> {
        let mut rows = 0;
        let mut paths = self.claim_files()?;
        paths.push(self.dir.join(PENDING));
        for path in paths {
            match fs::read(&path) {
                Ok(bytes) => {
                    rows += bytes
                        .split(|b| *b == b'\n')
                        .filter(|l| !l.is_empty())
                        .count();
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        let corrupt = match fs::read(self.dir.join(CORRUPT)) {
            Ok(bytes) => bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => 0,
            Err(err) => return Err(err),
        };
        Ok((rows, corrupt))
    }

    /// Whether any row waits (pending or claimed by a run that may have died); one `stat` and one
    /// directory read, no lock.
    pub fn has_rows(&self) -> bool {
        fs::metadata(self.dir.join(PENDING)).is_ok_and(|m| m.len() > 0)
            || self.claim_files().is_ok_and(|files| !files.is_empty())
    }

    /// Takes every pending row, and the rows of claims left by runs that died. `None` when there is
    /// nothing (checked without taking the lock, so an empty spool costs one `stat` and one
    /// directory read).
    pub fn claim(&self) -> io::Result<Option<Claim>> {
        if !self.has_rows() {
            return Ok(None);
        }
        let pending = self.dir.join(PENDING);
        let lock = self.lock()?;
        let mut files = Vec::new();
        // Adopt claims whose owner is gone (their lock is free).
        for path in self.claim_files()? {
            let Ok(file) = OpenOptions::new().read(true).write(true).open(&path) else {
                continue;
            };
            if file.try_lock().is_ok() {
                files.push((path, file));
            }
        }
        if fs::metadata(&pending).is_ok_and(|m| m.len() > 0) {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let claimed = self.dir.join(format!(
                "{CLAIM_PREFIX}{}-{nanos}.ndjson",
                std::process::id()
            ));
            fs::rename(&pending, &claimed)?;
            let file = OpenOptions::new().read(true).write(true).open(&claimed)?;
            file.lock()?;
            files.push((claimed, file));
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
            append_lines(&self.dir.join(CORRUPT), &bad, true)?;
        }
        Ok(Some(Claim {
            files,
            rows,
            corrupt,
        }))
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
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Takes the claimed rows out.
    pub fn take_rows(&mut self) -> Vec<Row> {
        std::mem::take(&mut self.rows)
    }

    /// How many corrupt lines were set aside into `spool.corrupt` while claiming.
    pub fn corrupt(&self) -> usize {
        self.corrupt
    }

    /// Puts `undelivered` back into the spool and deletes the claim files. If putting back fails
    /// (full disk), the claim files stay and a later run delivers all of them again.
    pub fn finish(self, spool: &Spool, undelivered: &[Row]) -> io::Result<()> {
        spool.append(undelivered, true)?;
        for (path, file) in self.files {
            fs::remove_file(&path)?;
            drop(file);
        }
        Ok(())
    }
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

fn private_options() -> OpenOptions {
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
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
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
        })
    }

    #[test]
    fn append_claim_finish_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        assert!(spool.claim().unwrap().is_none());
        spool.append(&[skill(1), skill(2)], false).unwrap();
        spool.append(&[skill(3)], true).unwrap();
        assert_eq!(spool.count().unwrap(), (3, 0));

        let claim = spool.claim().unwrap().unwrap();
        assert_eq!(claim.rows(), &[skill(1), skill(2), skill(3)]);
        // Appends during delivery go to a fresh spool file.
        spool.append(&[skill(4)], false).unwrap();
        claim.finish(&spool, &[skill(2)]).unwrap();
        let claim = spool.claim().unwrap().unwrap();
        assert_eq!(claim.rows(), &[skill(4), skill(2)]);
        claim.finish(&spool, &[]).unwrap();
        assert!(spool.claim().unwrap().is_none());
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
        let claim = spool.claim().unwrap().unwrap();
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
    fn a_dead_runs_claim_is_adopted_a_live_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.append(&[skill(1)], false).unwrap();
        let live = spool.claim().unwrap().unwrap();
        // Its lock is held: another claim does not take its rows.
        spool.append(&[skill(2)], false).unwrap();
        let other = spool.claim().unwrap().unwrap();
        assert_eq!(other.rows(), &[skill(2)]);
        other.finish(&spool, &[]).unwrap();
        // The first run "dies": its claim file stays, its lock goes.
        drop(live);
        let adopted = spool.claim().unwrap().unwrap();
        assert_eq!(adopted.rows(), &[skill(1)]);
        adopted.finish(&spool, &[]).unwrap();
        assert!(spool.claim().unwrap().is_none());
    }
}
