//! Where Claude Code keeps its transcripts, and which files under there are transcripts.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// What a transcript file is, from where it sits in a `projects` tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `<slug>/<session>.jsonl` (and any other `*.jsonl` that is not a subagent's): a session.
    Session,
    /// `<slug>/<session>/subagents/agent-<id>.jsonl`: one subagent run.
    Subagent {
        /// `<id>` of the file name: the `agent_id` hooks see.
        agent_id: String,
    },
}

/// One `*.jsonl` file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// The path as found (under one of the directories).
    pub path: PathBuf,
    /// Its size when found.
    pub len: u64,
    /// The session the path names: the file stem of a session transcript, the `<session>`
    /// directory of a subagent's. Lines naming their own session (`sessionId`, `requestSessionId`)
    /// take precedence for the requests.
    pub session_id: String,
    /// Session or subagent.
    pub kind: Kind,
}

/// What [`find`] saw.
#[derive(Debug, Default)]
pub struct Found {
    /// Every transcript, by path, each file once (however many of the directories hold it).
    pub transcripts: Vec<Transcript>,
    /// Paths that could not be read, each with why.
    pub problems: Vec<(PathBuf, String)>,
}

/// The `projects` directories to import when none is given, the way Claude Code and ccusage find
/// them: each entry of `CLAUDE_CONFIG_DIR` (comma-separated; a config directory holding
/// `projects/`, or a `projects/` directory itself) when it is set, else those of
/// `$XDG_CONFIG_HOME/claude/projects` (`~/.config/claude/projects`) and `~/.claude/projects` that
/// exist. `Err` says where it looked.
pub fn default_dirs(lookup: impl Fn(&str) -> Option<String>) -> Result<Vec<PathBuf>, String> {
    let non_empty = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
    let home = non_empty("HOME").map(PathBuf::from);
    if let Some(list) = non_empty("CLAUDE_CONFIG_DIR") {
        let dirs: Vec<PathBuf> = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .filter_map(|entry| projects_dir(&expand_home(entry, home.as_deref())))
            .collect();
        if dirs.is_empty() {
            return Err(format!(
                "no Claude Code projects directory in CLAUDE_CONFIG_DIR={list}: each entry must be a \
                 config directory holding `projects/`, or a `projects/` directory"
            ));
        }
        return Ok(dedup(dirs));
    }
    let Some(home) = home else {
        return Err("HOME is not set: pass `--projects DIR` or set CLAUDE_CONFIG_DIR".to_owned());
    };
    let xdg = non_empty("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from);
    let candidates = [xdg.join("claude/projects"), home.join(".claude/projects")];
    let dirs: Vec<PathBuf> = candidates.iter().filter(|d| d.is_dir()).cloned().collect();
    let [xdg_dir, dot_dir] = &candidates;
    if dirs.is_empty() {
        return Err(format!(
            "no Claude Code transcripts: neither {} nor {} exists (pass `--projects DIR` or set \
             CLAUDE_CONFIG_DIR)",
            xdg_dir.display(),
            dot_dir.display()
        ));
    }
    Ok(dedup(dirs))
}

/// A `--projects` argument or a `CLAUDE_CONFIG_DIR` entry as the `projects` directory it means: a
/// config directory holding `projects/` means that, anything else is taken as it is (`None` when
/// it is not a directory, for `CLAUDE_CONFIG_DIR`, whose invalid entries are skipped).
fn projects_dir(path: &Path) -> Option<PathBuf> {
    let inner = path.join("projects");
    if inner.is_dir() {
        Some(inner)
    } else if path.is_dir() {
        Some(path.to_path_buf())
    } else {
        None
    }
}

/// `--projects DIR`: like a `CLAUDE_CONFIG_DIR` entry, but kept when it does not exist (so that
/// [`find`] reports it).
pub fn given_dir(path: &Path) -> PathBuf {
    projects_dir(path).unwrap_or_else(|| path.to_path_buf())
}

fn expand_home(entry: &str, home: Option<&Path>) -> PathBuf {
    match (entry.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if entry == "~" => home.map_or_else(|| PathBuf::from(entry), Path::to_path_buf),
        _ => PathBuf::from(entry),
    }
}

/// The same directory named twice (or through a symlink) is read once.
fn dedup(dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    dirs.into_iter()
        .filter(|d| seen.insert(fs::canonicalize(d).unwrap_or_else(|_| d.clone())))
        .collect()
}

/// Every `*.jsonl` under `dirs`, recursively, each file once (by its canonical path), sorted by
/// path. A directory named `*.jsonl`, a dangling link and a directory that cannot be listed are
/// problems; symlinked directories are followed once.
pub fn find(dirs: &[PathBuf]) -> Found {
    let mut walk = Walk {
        found: Found::default(),
        seen_dirs: HashSet::new(),
        seen_files: HashSet::new(),
    };
    for dir in dirs {
        match fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => walk.dir(dir),
            Ok(_) => walk.problem(dir, "not a directory".to_owned()),
            Err(err) => walk.problem(dir, err.to_string()),
        }
    }
    let mut found = walk.found;
    found.transcripts.sort_by(|a, b| a.path.cmp(&b.path));
    found.problems.sort();
    found
}

struct Walk {
    found: Found,
    seen_dirs: HashSet<PathBuf>,
    seen_files: HashSet<PathBuf>,
}

impl Walk {
    fn problem(&mut self, path: &Path, why: String) {
        self.found.problems.push((path.to_path_buf(), why));
    }

    fn dir(&mut self, dir: &Path) {
        let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.seen_dirs.insert(canonical) {
            return;
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) => return self.problem(dir, err.to_string()),
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(entry.path()),
                Err(err) => self.problem(dir, err.to_string()),
            }
        }
        paths.sort();
        for path in paths {
            let is_jsonl = path.extension().is_some_and(|e| e == "jsonl");
            // Follows symlinks: a link to a transcript is a transcript.
            match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() && is_jsonl => {
                    self.problem(&path, "is a directory".to_owned());
                }
                Ok(meta) if meta.is_dir() => self.dir(&path),
                Ok(meta) if is_jsonl => {
                    let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                    if self.seen_files.insert(canonical) {
                        self.found.transcripts.push(classify(path, meta.len()));
                    }
                }
                Err(err) if is_jsonl => self.problem(&path, err.to_string()),
                // Not a transcript (or a dangling link to something that is not one).
                Ok(_) | Err(_) => {}
            }
        }
    }
}

/// A transcript's kind and session, from its path.
pub fn classify(path: PathBuf, len: u64) -> Transcript {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned()
    };
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let parent = path.parent();
    let agent_id = stem.strip_prefix("agent-").filter(|id| !id.is_empty());
    match agent_id {
        Some(agent_id) if name(parent) == "subagents" => Transcript {
            kind: Kind::Subagent {
                agent_id: agent_id.to_owned(),
            },
            session_id: name(parent.and_then(Path::parent)),
            path,
            len,
        },
        _ => Transcript {
            kind: Kind::Session,
            session_id: stem,
            path,
            len,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn paths_name_sessions_and_subagent_runs() {
        let main = classify(PathBuf::from("/p/-home-dev-x/4d63.jsonl"), 1);
        assert_eq!(
            (main.kind, main.session_id.as_str()),
            (Kind::Session, "4d63")
        );
        let sub = classify(
            PathBuf::from("/p/-home-dev-x/4d63/subagents/agent-aacc27.jsonl"),
            1,
        );
        assert_eq!(
            (sub.kind, sub.session_id.as_str()),
            (
                Kind::Subagent {
                    agent_id: "aacc27".into()
                },
                "4d63"
            )
        );
        // `agent-*.jsonl` outside `subagents/` is a session file like any other.
        let odd = classify(PathBuf::from("/p/x/agent-1.jsonl"), 1);
        assert_eq!(odd.kind, Kind::Session);
    }

    #[test]
    fn default_dirs_follow_claude_code_and_ccusage() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let dot = home.join(".claude/projects");
        let xdg = home.join(".config/claude/projects");
        fs::create_dir_all(&dot).unwrap();
        let home_var = ("HOME", home.display().to_string());
        let just_home = lookup(std::slice::from_ref(&home_var));
        assert_eq!(default_dirs(&just_home), Ok(vec![dot.clone()]));
        fs::create_dir_all(&xdg).unwrap();
        assert_eq!(default_dirs(&just_home), Ok(vec![xdg, dot.clone()]));
        // CLAUDE_CONFIG_DIR replaces the defaults: config dirs or projects dirs, comma-separated,
        // `~` expanded, invalid entries skipped, the same directory once.
        let other = root.path().join("other");
        fs::create_dir_all(other.join("projects")).unwrap();
        let list = format!(
            " {} ,~/.claude, {}/projects,/nowhere",
            other.display(),
            other.display()
        );
        assert_eq!(
            default_dirs(lookup(&[home_var.clone(), ("CLAUDE_CONFIG_DIR", list)])),
            Ok(vec![other.join("projects"), dot])
        );
        let err = default_dirs(lookup(&[
            home_var,
            ("CLAUDE_CONFIG_DIR", "/nowhere".to_owned()),
        ]))
        .unwrap_err();
        assert!(err.contains("CLAUDE_CONFIG_DIR=/nowhere"), "{err}");
        let err = default_dirs(lookup(&[("HOME", root.path().display().to_string())]));
        assert!(err.unwrap_err().contains("no Claude Code transcripts"));
    }

    #[test]
    fn find_reports_what_cannot_be_read_and_reads_each_file_once() {
        let root = tempfile::tempdir().unwrap();
        let projects = root.path().join("projects");
        let slug = projects.join("-x");
        fs::create_dir_all(slug.join("s1/subagents")).unwrap();
        fs::write(slug.join("s1.jsonl"), "{}\n").unwrap();
        fs::write(slug.join("s1/subagents/agent-a1.jsonl"), "{}\n").unwrap();
        fs::write(slug.join("s1/subagents/agent-a1.meta.json"), "{}").unwrap();
        fs::write(slug.join("notes.txt"), "").unwrap();
        fs::create_dir_all(slug.join("x.jsonl")).unwrap();
        std::os::unix::fs::symlink(root.path().join("gone"), slug.join("gone.jsonl")).unwrap();
        std::os::unix::fs::symlink(&slug, projects.join("alias")).unwrap();
        let found = find(&[
            projects.clone(),
            projects.join("-x"),
            root.path().join("nope"),
        ]);
        let paths: Vec<&Path> = found.transcripts.iter().map(|t| t.path.as_path()).collect();
        assert_eq!(
            paths,
            // Path order compares components: `s1` before `s1.jsonl`.
            [
                slug.join("s1/subagents/agent-a1.jsonl").as_path(),
                slug.join("s1.jsonl").as_path(),
            ]
        );
        let problems: Vec<&Path> = found.problems.iter().map(|(p, _)| p.as_path()).collect();
        assert_eq!(
            problems,
            [
                root.path().join("nope").as_path(),
                slug.join("gone.jsonl").as_path(),
                slug.join("x.jsonl").as_path(),
            ]
        );
        assert_eq!(found.problems[2].1, "is a directory");
    }
}
