//! From a hook payload to rows: one code path per event.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use atel_sdk::telemetry::{AgentEvent, SkillActivation};
use chrono::{DateTime, Utc};

use crate::payload::HookInput;
use crate::rows::{self, Row};
use crate::spool::create_private_dir;
use crate::transcript::{self, Cursor, Scan};

/// What a hook run has to do.
#[derive(Debug)]
pub(crate) enum Plan {
    /// An event this tool does not record (or a tool other than `Skill`).
    Ignore,
    /// Send rows (through the spool). `durable` rows are synced to disk there (`SubagentStop` and
    /// `SessionEnd`: they cannot be made again once Claude Code has moved on).
    Rows {
        /// The rows.
        rows: Vec<Row>,
        /// Sync the spool to disk.
        durable: bool,
        /// Transcript cursors to save once the rows are in the spool.
        cursors: Option<CursorUpdate>,
        /// Something worth one stderr line even though rows were made.
        warning: Option<String>,
    },
    /// Print the usage summary for Claude.
    SessionStart,
}

/// Turns a payload into a plan. `Err` is the one stderr line when the payload cannot be recorded.
pub(crate) fn plan(
    input: &HookInput,
    state_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Plan, String> {
    match input.hook_event_name.as_str() {
        "SessionStart" => Ok(Plan::SessionStart),
        "SubagentStart" => Ok(plain_rows(vec![Row::Agent(rows::agent_row(
            AgentEvent::Start,
            now,
            &input.session_id,
            input.agent_type.as_deref().unwrap_or_default(),
            input.agent_id.as_deref().unwrap_or_default(),
        ))])),
        "SubagentStop" => Ok(subagent_stop(input, now)),
        "PostToolUse" | "PostToolUseFailure" if input.tool_name.as_deref() == Some("Skill") => {
            // A call whose skill name is missing still happened: it is counted, under an empty name.
            let warning = input.skill.is_none().then(|| {
                "a Skill tool call without `tool_input.skill`; recorded without a name".to_owned()
            });
            let success =
                input.hook_event_name == "PostToolUse" && input.tool_success.unwrap_or(true);
            Ok(Plan::Rows {
                rows: vec![Row::Skill(SkillActivation {
                    timestamp: now,
                    session_id: input.session_id.clone(),
                    skill_name: input.skill.clone().unwrap_or_default(),
                    duration_ms: input.duration_ms.unwrap_or(0),
                    success,
                    tool_use_id: input.tool_use_id.clone().unwrap_or_default(),
                })],
                durable: false,
                cursors: None,
                warning,
            })
        }
        "SessionEnd" => session_end(input, state_dir, now),
        _ => Ok(Plan::Ignore),
    }
}

fn plain_rows(rows: Vec<Row>) -> Plan {
    Plan::Rows {
        rows,
        durable: false,
        cursors: None,
        warning: None,
    }
}

/// `SubagentStop`: the run's usage from its transcript. A run whose transcript is missing, unreadable
/// or holds no complete API response is still recorded (the run happened), with zero usage and an
/// empty `model`: the pipes count it as a run and leave it out of their averages.
fn subagent_stop(input: &HookInput, now: DateTime<Utc>) -> Plan {
    let mut row = rows::agent_row(
        AgentEvent::Stop,
        now,
        &input.session_id,
        input.agent_type.as_deref().unwrap_or_default(),
        input.agent_id.as_deref().unwrap_or_default(),
    );
    let warning = match input.agent_transcript_path.as_deref() {
        None => Some(
            "SubagentStop without `agent_transcript_path`; recorded the run without usage"
                .to_owned(),
        ),
        Some(path) => match transcript::scan_file(path) {
            Err(err) => Some(format!(
                "cannot read the subagent transcript {}: {err}; recorded the run without usage",
                path.display()
            )),
            Ok(scan) => {
                let summary = scan.summary();
                if summary.requests == 0 {
                    Some(format!(
                        "no complete API response in the subagent transcript {}{}; recorded the run without usage",
                        path.display(),
                        if scan.stats.truncated_tail {
                            " (it ends in a cut-off line)"
                        } else {
                            ""
                        }
                    ))
                } else {
                    rows::add_run_usage(&mut row, &summary);
                    scan_warning(path, &scan)
                }
            }
        },
    };
    Plan::Rows {
        rows: vec![Row::Agent(row)],
        durable: true,
        cursors: None,
        warning,
    }
}

fn scan_warning(path: &Path, scan: &Scan) -> Option<String> {
    scan.stats.truncated_tail.then(|| {
        format!(
            "{} ends in a cut-off line; recorded what was complete",
            path.display()
        )
    })
}

/// The transcripts of a session: the main one and its subagents' (`<dir>/<session>/subagents/agent-*.jsonl`).
pub(crate) fn session_transcripts(main: &Path, session_id: &str) -> Vec<PathBuf> {
    let mut paths = vec![main.to_path_buf()];
    let subagents = main
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(session_id)
        .join("subagents");
    if let Ok(entries) = fs::read_dir(&subagents) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with("agent-")
                        && Path::new(n).extension().is_some_and(|e| e == "jsonl")
                })
            })
            .collect();
        found.sort();
        paths.extend(found);
    }
    paths
}

fn session_end(input: &HookInput, state_dir: &Path, now: DateTime<Utc>) -> Result<Plan, String> {
    let main = input
        .transcript_path
        .as_deref()
        .ok_or("SessionEnd without `transcript_path`; not recorded")?;
    if !main.is_file() {
        return Err(format!(
            "the session transcript {} is missing; not recorded",
            main.display()
        ));
    }
    let cursors = CursorUpdate::open(state_dir, &input.session_id).map_err(|err| {
        format!(
            "cannot open the transcript cursors in {}: {err}",
            state_dir.display()
        )
    })?;
    let mut next = cursors.cursors.clone();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for path in session_transcripts(main, &input.session_id) {
        let key = path.to_string_lossy().into_owned();
        let from = cursors.cursors.get(&key).cloned().unwrap_or_default();
        let scan = match transcript::scan_file_from(&path, &from) {
            Ok(scan) => scan,
            Err(err) => {
                problems.push(format!("cannot read {}: {err}", path.display()));
                continue;
            }
        };
        problems.extend(scan_warning(&path, &scan));
        rows.extend(
            scan.requests
                .iter()
                .map(|request| Row::Request(rows::request_row(request, &input.session_id, now))),
        );
        next.insert(key, scan.cursor);
    }
    Ok(Plan::Rows {
        rows,
        durable: true,
        cursors: Some(CursorUpdate { next, ..cursors }),
        warning: (!problems.is_empty()).then(|| problems.join("; ")),
    })
}

/// The transcript cursors of one session (`<state>/cursors/<session>.json`), locked from reading
/// until [`CursorUpdate::save`] so two `SessionEnd` runs of one session never count a request twice.
#[derive(Debug)]
pub(crate) struct CursorUpdate {
    path: PathBuf,
    _lock: File,
    cursors: BTreeMap<String, Cursor>,
    next: BTreeMap<String, Cursor>,
}

impl CursorUpdate {
    fn open(state_dir: &Path, session_id: &str) -> io::Result<Self> {
        let dir = state_dir.join("cursors");
        create_private_dir(&dir)?;
        let name: String = session_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{name}.json"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{name}.lock")))?;
        lock.lock()?;
        // A cursor file that does not parse is treated as absent: counting again beats losing counts.
        let cursors = fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Ok(Self {
            path,
            _lock: lock,
            cursors,
            next: BTreeMap::new(),
        })
    }

    /// Writes the advanced cursors (atomically: a temporary file renamed over the old one).
    pub(crate) fn save(self) -> io::Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_vec(&self.next).map_err(io::Error::other)?;
        fs::write(&tmp, text)?;
        fs::rename(&tmp, &self.path)
    }
}
