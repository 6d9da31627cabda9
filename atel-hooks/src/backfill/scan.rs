//! Scanning every transcript on all cores and merging what they hold into unique rows.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use atel_sdk::telemetry::{AgentActivation, AgentEvent, ApiRequest};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::discover::{Kind, Transcript};
use crate::rows;
use crate::transcript::{self, RequestKey, Scan};

/// One request as a file holds it, competing with its copies in other files.
#[derive(Debug, Clone)]
struct Candidate {
    /// Index of the file (in path order): breaks ties between equal copies the same way every run.
    file: usize,
    tokens: u64,
    estimate: bool,
    sidechain: bool,
    row: ApiRequest,
}

impl Candidate {
    /// The copy to keep: the most tokens (a copy written mid-stream can carry a placeholder
    /// `output_tokens`), then the first file in path order.
    fn beats(&self, other: &Self) -> bool {
        (self.tokens, std::cmp::Reverse(self.file)) > (other.tokens, std::cmp::Reverse(other.file))
    }
}

/// Counters over every file scanned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Transcripts read (both kinds).
    pub files: u64,
    /// Session transcripts read.
    pub session_files: u64,
    /// Subagent transcripts read (one run each).
    pub subagent_files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Non-blank lines.
    pub lines: u64,
    /// Lines that are not JSON objects, and `assistant` lines that do not parse.
    pub malformed_lines: u64,
    /// Files ending in a cut-off line (a session still being written, or a crash).
    pub truncated_files: u64,
    /// Unique requests per file, summed: a request in two files (a fork replaying its parent)
    /// counts twice here and once in [`Scanned::requests`].
    pub request_copies: u64,
    /// Subagent runs without a `.meta.json` (or without `agentType` in it): empty `agent_type`.
    pub runs_without_type: u64,
    /// Subagent runs whose transcript holds no complete API response: recorded without usage.
    pub runs_without_usage: u64,
    /// Copies of a parent's message that a sidechain log wrote under a new `requestId` (see
    /// `drop_sidechain_replays`): not requests, left out.
    pub sidechain_replays: u64,
}

impl Totals {
    fn add(&mut self, other: &Self) {
        self.files += other.files;
        self.session_files += other.session_files;
        self.subagent_files += other.subagent_files;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.malformed_lines += other.malformed_lines;
        self.truncated_files += other.truncated_files;
        self.request_copies += other.request_copies;
        self.runs_without_type += other.runs_without_type;
        self.runs_without_usage += other.runs_without_usage;
        self.sidechain_replays += other.sidechain_replays;
    }
}

/// What the transcripts hold, deduplicated.
#[derive(Debug, Default)]
pub struct Scanned {
    /// One row per unique request (`message.id` + `requestId`), in timestamp order.
    pub requests: Vec<ApiRequest>,
    /// Requests priced by a model-family fallback (an unknown model).
    pub estimated: u64,
    /// A `start` and a `stop` row per subagent run, in path order.
    pub agents: Vec<AgentActivation>,
    /// Distinct session ids of the session transcripts read.
    pub sessions: u64,
    /// What was seen.
    pub totals: Totals,
    /// Transcripts that could not be read, with why.
    pub problems: Vec<(PathBuf, String)>,
}

/// Per worker: what its files held.
#[derive(Default)]
struct Part {
    requests: HashMap<RequestKey, Candidate>,
    agents: Vec<(usize, [AgentActivation; 2])>,
    sessions: HashSet<String>,
    totals: Totals,
    problems: Vec<(PathBuf, String)>,
}

impl Part {
    fn offer(&mut self, key: RequestKey, candidate: Candidate) {
        match self.requests.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(candidate);
            }
            Entry::Occupied(mut slot) => {
                if candidate.beats(slot.get()) {
                    slot.insert(candidate);
                }
            }
        }
    }

    fn absorb(&mut self, other: Self) {
        for (key, candidate) in other.requests {
            self.offer(key, candidate);
        }
        self.agents.extend(other.agents);
        self.sessions.extend(other.sessions);
        self.totals.add(&other.totals);
        self.problems.extend(other.problems);
    }

    fn file(&mut self, index: usize, transcript: &Transcript, now: DateTime<Utc>) {
        let scan = match transcript::scan_file(&transcript.path) {
            Ok(scan) => scan,
            Err(err) => {
                self.problems
                    .push((transcript.path.clone(), err.to_string()));
                return;
            }
        };
        let totals = &mut self.totals;
        totals.files += 1;
        totals.bytes += scan.stats.bytes;
        totals.lines += scan.stats.lines;
        totals.malformed_lines += scan.stats.malformed_lines;
        totals.truncated_files += u64::from(scan.stats.truncated_tail);
        totals.request_copies += scan.requests.len() as u64;
        if let Kind::Subagent { agent_id } = &transcript.kind {
            totals.subagent_files += 1;
            let run = self.run(transcript, agent_id, &scan, now);
            self.agents.push((index, run));
        } else {
            totals.session_files += 1;
            self.sessions.insert(transcript.session_id.clone());
        }
        for request in &scan.requests {
            let candidate = Candidate {
                file: index,
                tokens: request.usage.total_tokens(),
                estimate: request.cost().matched.is_estimate(),
                sidechain: request.sidechain,
                row: rows::request_row(request, &transcript.session_id, now),
            };
            let key = RequestKey {
                message_id: request.message_id.clone(),
                request_id: request.request_id.clone(),
            };
            self.offer(key, candidate);
        }
    }

    /// A subagent run's `start` (its transcript's first line) and `stop` row (its last line, with
    /// the usage `SubagentStop` records). A transcript without timestamps is stamped with its
    /// modification time.
    fn run(
        &mut self,
        transcript: &Transcript,
        agent_id: &str,
        scan: &Scan,
        now: DateTime<Utc>,
    ) -> [AgentActivation; 2] {
        let agent_type = agent_type(&transcript.path);
        if agent_type.is_empty() {
            self.totals.runs_without_type += 1;
        }
        let modified = fs::metadata(&transcript.path)
            .and_then(|m| m.modified())
            .map_or(now, DateTime::<Utc>::from);
        let session = transcript.session_id.as_str();
        let start = rows::agent_row(
            AgentEvent::Start,
            scan.first_ts.unwrap_or(modified),
            session,
            &agent_type,
            agent_id,
        );
        let mut stop = rows::agent_row(
            AgentEvent::Stop,
            scan.last_ts.unwrap_or(modified),
            session,
            &agent_type,
            agent_id,
        );
        let summary = scan.summary();
        if summary.requests == 0 {
            self.totals.runs_without_usage += 1;
        }
        rows::add_run_usage(&mut stop, &summary);
        [start, stop]
    }
}

/// `agentType` from `agent-<id>.meta.json` beside the transcript; empty when there is none.
fn agent_type(transcript: &Path) -> String {
    #[derive(Deserialize)]
    struct Meta {
        #[serde(rename = "agentType")]
        agent_type: Option<String>,
    }
    let meta = transcript.with_extension("meta.json");
    fs::read(meta)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Meta>(&bytes).ok())
        .and_then(|meta| meta.agent_type)
        .unwrap_or_default()
}

/// Scans `transcripts` on up to `workers` threads (largest files first, from a shared queue),
/// calling `progress` with each file's size as it is done, and merges the requests of every file:
/// one row per `message.id` + `requestId`, the copy with the most tokens. `now` stamps what has no
/// timestamp at all.
pub fn scan_all(
    transcripts: &[Transcript],
    workers: usize,
    now: DateTime<Utc>,
    progress: &(dyn Fn(u64) + Sync),
) -> Scanned {
    let mut order: Vec<usize> = (0..transcripts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(transcripts.get(i).map_or(0, |t| t.len)));
    let next = AtomicUsize::new(0);
    let parts = Mutex::new(Vec::new());
    let workers = workers.clamp(1, transcripts.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut part = Part::default();
                loop {
                    let slot = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&index) = order.get(slot) else { break };
                    let Some(transcript) = transcripts.get(index) else {
                        break;
                    };
                    part.file(index, transcript, now);
                    progress(transcript.len);
                }
                if let Ok(mut parts) = parts.lock() {
                    parts.push(part);
                }
            });
        }
    });
    let mut merged = Part::default();
    for part in parts.into_inner().unwrap_or_default() {
        merged.absorb(part);
    }
    let mut candidates: Vec<Candidate> = merged.requests.into_values().collect();
    merged.totals.sidechain_replays = drop_sidechain_replays(&mut candidates);
    candidates.sort_by(|a, b| {
        (a.row.timestamp, &a.row.request_id, &a.row.message_id).cmp(&(
            b.row.timestamp,
            &b.row.request_id,
            &b.row.message_id,
        ))
    });
    merged.agents.sort_by_key(|(index, _)| *index);
    merged.problems.sort();
    Scanned {
        estimated: candidates.iter().filter(|c| c.estimate).count() as u64,
        requests: candidates.into_iter().map(|c| c.row).collect(),
        agents: merged.agents.into_iter().flat_map(|(_, run)| run).collect(),
        sessions: merged.sessions.len() as u64,
        totals: merged.totals,
        problems: merged.problems,
    }
}

/// Claude Code's sidechain logs (a `/btw` side question's, a subagent's) can replay a message of
/// the parent conversation — the same `message.id`, with its usage — under the sidechain's own
/// `requestId`: the same response, not a second request. So of a `message.id` held under several
/// `requestId`s, the copies written in a sidechain are left out when a copy outside one exists
/// (ccusage's rule since its fix of this overcount). Responses of the sidechain itself have ids of
/// their own and stay. Returns how many were left out.
fn drop_sidechain_replays(candidates: &mut Vec<Candidate>) -> u64 {
    // message.id → (copies under distinct requestIds, whether one is outside a sidechain)
    let mut by_message: HashMap<&str, (usize, bool)> = HashMap::new();
    for c in candidates.iter() {
        let entry = by_message.entry(c.row.message_id.as_str()).or_default();
        entry.0 += 1;
        entry.1 |= !c.sidechain;
    }
    let replays: HashSet<String> = candidates
        .iter()
        .filter(|c| {
            c.sidechain
                && by_message
                    .get(c.row.message_id.as_str())
                    .is_some_and(|&(copies, parent)| copies > 1 && parent)
        })
        .map(|c| c.row.message_id.clone())
        .collect();
    let before = candidates.len();
    candidates.retain(|c| !(c.sidechain && replays.contains(&c.row.message_id)));
    (before - candidates.len()) as u64
}

/// Both cores (or however many there are), at most `limit`.
pub fn workers(limit: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, NonZero::get)
        .min(limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backfill::discover::classify;

    fn assistant(session: &str, replayed_from: Option<&str>, id: u32, output: u64) -> String {
        let mut line = serde_json::json!({
            "type": "assistant",
            "timestamp": format!("2026-11-25T07:55:{id:02}.000Z"),
            "sessionId": session,
            "requestId": format!("req_{id}"),
            "message": {"id": format!("msg_{id}"), "model": "claude-opus-5-5", "content": [],
                "usage": {"input_tokens": 100, "output_tokens": output}},
        });
        if let Some(parent) = replayed_from {
            line["requestSessionId"] = parent.into();
        }
        line.to_string() + "\n"
    }

    #[test]
    fn a_fork_replaying_its_parent_adds_only_its_own_requests() {
        let root = tempfile::tempdir().unwrap();
        let slug = root.path().join("-x");
        fs::create_dir_all(slug.join("parent/subagents")).unwrap();
        let parent = assistant("parent", None, 1, 1) + &assistant("parent", None, 1, 30);
        // The fork replays request 1 (with its final usage) and makes request 2.
        let fork = assistant("fork", Some("parent"), 1, 30) + &assistant("fork", None, 2, 40);
        fs::write(slug.join("parent.jsonl"), &parent).unwrap();
        fs::write(slug.join("fork.jsonl"), &fork).unwrap();
        let agent = assistant("parent", None, 3, 50);
        fs::write(slug.join("parent/subagents/agent-a1.jsonl"), &agent).unwrap();
        fs::write(
            slug.join("parent/subagents/agent-a1.meta.json"),
            r#"{"agentType":"Explore","toolUseId":"t"}"#,
        )
        .unwrap();
        let transcripts: Vec<Transcript> = [
            "fork.jsonl",
            "parent.jsonl",
            "parent/subagents/agent-a1.jsonl",
        ]
        .iter()
        .map(|name| {
            let path = slug.join(name);
            let len = fs::metadata(&path).unwrap().len();
            classify(path, len)
        })
        .collect();
        for workers in [1, 2, 3] {
            let scanned = scan_all(&transcripts, workers, Utc::now(), &|_| {});
            let got: Vec<(&str, &str, u64)> = scanned
                .requests
                .iter()
                .map(|r| {
                    (
                        r.message_id.as_str(),
                        r.session_id.as_str(),
                        r.output_tokens,
                    )
                })
                .collect();
            assert_eq!(
                got,
                [
                    ("msg_1", "parent", 30),
                    ("msg_2", "fork", 40),
                    ("msg_3", "parent", 50)
                ],
                "{workers} workers"
            );
            assert_eq!(scanned.totals.request_copies, 4);
            assert_eq!(scanned.totals.files, 3);
            let [start, stop] = scanned.agents.as_slice() else {
                panic!("{:?}", scanned.agents)
            };
            assert_eq!(
                (
                    start.event,
                    start.agent_id.as_str(),
                    start.agent_type.as_str()
                ),
                (AgentEvent::Start, "a1", "Explore")
            );
            assert_eq!(
                (
                    stop.event,
                    stop.session_id.as_str(),
                    stop.output_tokens,
                    stop.model.as_str()
                ),
                (AgentEvent::Stop, "parent", 50, "claude-opus-5-5")
            );
        }
    }

    #[test]
    fn a_sidechain_replaying_a_parent_message_under_a_new_request_id_is_not_a_request() {
        let root = tempfile::tempdir().unwrap();
        let slug = root.path().join("-x");
        fs::create_dir_all(slug.join("s/subagents")).unwrap();
        fs::write(slug.join("s.jsonl"), assistant("s", None, 1, 30)).unwrap();
        // A `/btw` log: the parent's msg_1 under its own request id, then its own answer.
        let side = |line: String, request: &str| {
            let mut v: serde_json::Value = serde_json::from_str(&line).unwrap();
            v["isSidechain"] = true.into();
            v["requestId"] = request.into();
            v.to_string() + "\n"
        };
        let log = side(assistant("s", None, 1, 30), "req_side")
            + &side(assistant("s", None, 2, 7), "req_2");
        fs::write(slug.join("s/subagents/agent-aside_question-1.jsonl"), log).unwrap();
        let transcripts: Vec<Transcript> = ["s.jsonl", "s/subagents/agent-aside_question-1.jsonl"]
            .iter()
            .map(|name| classify(slug.join(name), 1))
            .collect();
        let scanned = scan_all(&transcripts, 2, Utc::now(), &|_| {});
        let got: Vec<(&str, &str)> = scanned
            .requests
            .iter()
            .map(|r| (r.message_id.as_str(), r.request_id.as_str()))
            .collect();
        assert_eq!(got, [("msg_1", "req_1"), ("msg_2", "req_2")]);
        assert_eq!(scanned.totals.sidechain_replays, 1);
    }

    #[test]
    fn ties_go_to_the_first_file_in_path_order() {
        let row = |session: &str| ApiRequest {
            timestamp: Utc::now(),
            session_id: session.into(),
            model: "m".into(),
            input_tokens: 1,
            output_tokens: 1,
            cache_read_tokens: 0,
            cache_creation_tokens: 0,
            cost_usd: 0.0,
            duration_ms: 0,
            request_id: "r".into(),
            message_id: "m".into(),
        };
        let candidate = |file, tokens, session| Candidate {
            file,
            tokens,
            estimate: false,
            sidechain: false,
            row: row(session),
        };
        assert!(candidate(0, 2, "a").beats(&candidate(1, 2, "b")));
        assert!(!candidate(1, 2, "b").beats(&candidate(0, 2, "a")));
        assert!(candidate(1, 3, "b").beats(&candidate(0, 2, "a")));
    }
}
