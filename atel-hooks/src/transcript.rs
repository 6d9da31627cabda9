//! Reads Claude Code transcripts (JSONL) and sums token usage over unique API responses.
//!
//! Claude Code writes one API response as several `assistant` lines (one per content block), each
//! repeating the response's full `message.usage`. [`scan_file`] keeps one record per
//! (`message.id`, `requestId`) — the copy with the most tokens — in order of first appearance, and
//! [`Scan::summary`] aggregates them for `SubagentStop`.
//!
//! What is read: the top-level `type` and `timestamp` of every line, and `message.id`, `message.model`,
//! `message.usage`, `requestId`, `sessionId`, `requestSessionId` and `isSidechain` of `assistant`
//! lines. Message content is skipped without being deserialized; nothing but ids, model names, counts
//! and timestamps is kept.
//!
//! A line is processed once it is complete: ended by `\n`, or, for the file's last line, when it
//! already parses as JSON (it is used, and the cursor stays before it so the next scan reads it
//! again; its response key is in the cursor, so it is not counted twice). Blank lines are ignored;
//! lines that are not JSON objects, and `assistant` lines that do not parse, are counted in
//! [`ScanStats::malformed_lines`]; line types this module does not know are counted in
//! [`ScanStats::unknown_type_lines`]. Neither stops the scan. Non-assistant lines are only checked structurally (as far as their `type` and `timestamp`).
//!
//! # Request durations
//! A request's [`prev_ts`](ApiRequestUsage::prev_ts) is the timestamp of the line that preceded it: the
//! nearest earlier line (of any type) stamped no later than the request's first line — the `user` prompt
//! or `tool_result` that triggered the call, or the `api-request` line 2.1.331 writes as it sends it.
//! Lines stamped later are skipped because Claude Code writes some out of order (a `queue-operation`
//! enqueued while the response streams lands before the response's lines). Only the last
//! [`PREV_TS_WINDOW`] timestamped lines of the scan are searched; a request whose trigger lies before the
//! cursor has none. [`ApiRequestUsage::duration_ms`] is `last_ts - prev_ts`: from the trigger to the last
//! content block written, which misses the stream's tail after that block (its `message_delta`).
//!
//! # Cursors (`SessionEnd`)
//! [`scan_file_from`] starts at a [`Cursor`] and returns the next one, whose offset is the end of the
//! last complete line: a line still being written is read again next time. A response whose lines
//! straddle the cursor (the session was cut mid-response, then resumed) would otherwise be counted twice:
//! the cursor also remembers the keys of the last [`RECENT_KEYS`] responses, and lines of those responses
//! found after the cursor are skipped ([`ScanStats::already_counted_lines`]). Such a response is counted
//! once, with the usage of the copies before the cursor — every copy repeats the same usage in the
//! transcripts seen so far, so nothing is lost in practice, and a count can never be taken back once
//! delivered.
//!
//! ```
//! use atel_hooks::transcript::{scan_reader, Cursor};
//!
//! let jsonl = concat!(
//!     r#"{"type":"user","timestamp":"2026-01-01T00:00:00.000Z","message":{"content":"hi"}}"#, "\n",
//!     r#"{"type":"assistant","timestamp":"2026-01-01T00:00:01.500Z","requestId":"req_1","message":{"id":"msg_1","model":"claude-opus-5-5","content":[],"usage":{"input_tokens":101,"output_tokens":31,"cache_read_input_tokens":5100,"cache_creation_input_tokens":2010}}}"#, "\n",
//! );
//! let scan = scan_reader(jsonl.as_bytes(), &Cursor::default()).unwrap();
//! let summary = scan.summary();
//! assert_eq!(summary.requests, 1);
//! assert_eq!(summary.usage.output, 31);
//! assert_eq!(summary.duration_ms, Some(1500));
//! // From the user line that triggered the request to the response's last line.
//! assert_eq!(scan.requests[0].duration_ms(), Some(1500));
//! assert_eq!(scan.cursor.offset, jsonl.len() as u64);
//! ```

mod line;

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use atel_sdk::telemetry::pricing::{self, Cost, Usage};
use chrono::{DateTime, Utc};
use memchr::{memchr_iter, memrchr};
use serde::{Deserialize, Serialize};

/// How many response keys a [`Cursor`] remembers to avoid counting a response split across it twice.
pub const RECENT_KEYS: usize = 16;

/// How many of the latest line timestamps a scan keeps to find a request's [`ApiRequestUsage::prev_ts`].
pub const PREV_TS_WINDOW: usize = 16;

/// Bytes read between two passes over the buffered lines; the buffer grows only for a longer line.
const READ_CHUNK: usize = 1 << 20;

/// A line longer than this is skipped (and counted as malformed) rather than buffered.
const MAX_LINE: usize = 256 << 20;

/// Line types Claude Code 2.1.197–2.1.331 writes; others are counted as unknown (and skipped).
const KNOWN_TYPES: &[&[u8]] = &[
    b"user",
    b"assistant",
    b"attachment",
    b"system",
    b"summary",
    b"queue-operation",
    b"last-prompt",
    b"cost-state",
    b"api-request",
    b"api-request-blob",
    b"api-request-shape",
    b"tools-used",
    b"atis-latch",
    b"file-history-snapshot",
];

/// Identifies one API response: `message.id` + `requestId` (empty when the line has none).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RequestKey {
    /// `message.id`.
    pub message_id: String,
    /// `requestId`.
    pub request_id: String,
}

/// Where a previous scan stopped. Store it (it is serde-serializable) and pass it to the next scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Byte offset of the end of the last complete line read.
    pub offset: u64,
    /// Keys of the most recent responses seen, oldest first (at most [`RECENT_KEYS`]).
    #[serde(default)]
    pub recent: Vec<RequestKey>,
}

/// One unique API request with its usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequestUsage {
    /// `message.id`.
    pub message_id: String,
    /// `requestId` (empty when absent).
    pub request_id: String,
    /// `message.model`, as written (not normalised).
    pub model: String,
    /// The session that made the request: `requestSessionId` (a forked session's transcript replays
    /// its parent's lines with the parent's id there), else the line's `sessionId`; `None` when the
    /// line has neither.
    pub session_id: Option<String>,
    /// The usage of the copy with the most tokens.
    pub usage: Usage,
    /// Earliest timestamp among the response's lines.
    pub first_ts: Option<DateTime<Utc>>,
    /// Latest timestamp among the response's lines.
    pub last_ts: Option<DateTime<Utc>>,
    /// The timestamp of the line that triggered the request (see the module docs): the nearest earlier
    /// line in this scan stamped no later than the request's first line.
    pub prev_ts: Option<DateTime<Utc>>,
    /// How many transcript lines repeated this response.
    pub lines: u32,
    /// The first copy's `isSidechain`: written in a sidechain (a subagent's transcript, a `/btw`
    /// side question's log), whose lines can replay a message of the parent conversation under a
    /// new `requestId`.
    pub sidechain: bool,
}

impl ApiRequestUsage {
    /// The request's cost under the shared price table.
    pub fn cost(&self) -> Cost {
        pricing::request_cost_usd(&self.model, &self.usage)
    }

    /// `last_ts - prev_ts` in milliseconds: from the line that triggered the request to the response's
    /// last line. `None` when either is unknown or the difference is negative.
    pub fn duration_ms(&self) -> Option<u64> {
        let (prev, last) = (self.prev_ts?, self.last_ts?);
        u64::try_from((last - prev).num_milliseconds()).ok()
    }
}

/// Counters of what a scan saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Bytes consumed (complete lines, plus a complete unterminated last line).
    pub bytes: u64,
    /// Non-blank lines.
    pub lines: u64,
    /// `assistant` lines.
    pub assistant_lines: u64,
    /// `assistant` lines repeating a response already seen in this scan.
    pub duplicate_lines: u64,
    /// `assistant` lines of a response counted by a previous scan (see [`Cursor`]).
    pub already_counted_lines: u64,
    /// `assistant` lines without `message.id` or usage, or with the `<synthetic>` model (local errors).
    pub no_usage_lines: u64,
    /// Lines that are not JSON objects, over-long lines, and `assistant` lines that do not parse.
    pub malformed_lines: u64,
    /// Lines whose `type` is missing or unknown.
    pub unknown_type_lines: u64,
    /// The file ended in an incomplete line (not consumed; the next scan reads it again).
    pub truncated_tail: bool,
    /// The cursor pointed past the end of the file (replaced or truncated): scanned from the start.
    pub cursor_reset: bool,
}

/// The result of one scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    /// Unique requests, in order of first appearance.
    pub requests: Vec<ApiRequestUsage>,
    /// Earliest timestamp on any line scanned.
    pub first_ts: Option<DateTime<Utc>>,
    /// Latest timestamp on any line scanned.
    pub last_ts: Option<DateTime<Utc>>,
    /// What was seen.
    pub stats: ScanStats,
    /// Where the next scan starts.
    pub cursor: Cursor,
}

/// The aggregate `SubagentStop` records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptSummary {
    /// Unique API requests.
    pub requests: usize,
    /// Summed token counts (the `inference_geo_us` / `fast` flags only if every request had them).
    pub usage: Usage,
    /// The model with the most output tokens (ties: the first seen).
    pub model: Option<String>,
    /// Earliest transcript timestamp (any line type).
    pub first_ts: Option<DateTime<Utc>>,
    /// Latest transcript timestamp (any line type).
    pub last_ts: Option<DateTime<Utc>>,
    /// `last_ts - first_ts` in milliseconds.
    pub duration_ms: Option<u64>,
    /// Summed per-request cost.
    pub cost_usd: f64,
    /// Some request's model was priced by a fallback (see [`pricing::PriceMatch`]).
    pub cost_is_estimate: bool,
}

impl Scan {
    /// Totals over the unique requests, the dominant model and the wall-clock span.
    pub fn summary(&self) -> TranscriptSummary {
        let mut usage: Option<Usage> = None;
        let mut by_model: Vec<(&str, u64)> = Vec::new();
        let mut cost_usd = 0.0;
        let mut cost_is_estimate = false;
        for request in &self.requests {
            usage = Some(usage.map_or(request.usage, |u| u.plus(&request.usage)));
            match by_model.iter_mut().find(|(m, _)| *m == request.model) {
                Some((_, output)) => *output = output.saturating_add(request.usage.output),
                None => by_model.push((&request.model, request.usage.output)),
            }
            let cost = request.cost();
            cost_usd += cost.usd;
            cost_is_estimate |= cost.matched.is_estimate();
        }
        let mut model: Option<(&str, u64)> = None;
        for (name, output) in by_model {
            if model.is_none_or(|(_, best)| output > best) {
                model = Some((name, output));
            }
        }
        let duration_ms = match (self.first_ts, self.last_ts) {
            (Some(first), Some(last)) => u64::try_from((last - first).num_milliseconds()).ok(),
            _ => None,
        };
        TranscriptSummary {
            requests: self.requests.len(),
            usage: usage.unwrap_or_default(),
            model: model.map(|(name, _)| name.to_owned()),
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            duration_ms,
            cost_usd,
            cost_is_estimate,
        }
    }
}

/// Scans a whole transcript. A missing file is an `io::ErrorKind::NotFound` error.
pub fn scan_file(path: &Path) -> io::Result<Scan> {
    scan_file_from(path, &Cursor::default())
}

/// Scans a transcript from a cursor (see the module docs). A cursor past the end of the file means the
/// file was replaced: the scan restarts at 0 and sets [`ScanStats::cursor_reset`].
pub fn scan_file_from(path: &Path, cursor: &Cursor) -> io::Result<Scan> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if cursor.offset > len {
        let mut scan = scan_reader(file, &Cursor::default())?;
        scan.stats.cursor_reset = true;
        return Ok(scan);
    }
    file.seek(SeekFrom::Start(cursor.offset))?;
    scan_reader(file, cursor)
}

/// Scans a reader positioned at `cursor.offset`.
pub fn scan_reader<R: Read>(reader: R, cursor: &Cursor) -> io::Result<Scan> {
    scan_reader_capped(reader, cursor, MAX_LINE)
}

/// [`scan_reader`] with the over-long line limit as a parameter (tests use a small one).
fn scan_reader_capped<R: Read>(
    mut reader: R,
    cursor: &Cursor,
    max_line: usize,
) -> io::Result<Scan> {
    let mut scanner = Scanner::new(cursor);
    let mut buf: Vec<u8> = Vec::new();
    let mut consumed = cursor.offset;
    // True while skipping the rest of an over-long line.
    let mut skipping = false;
    // Where that over-long line starts: if the file ends inside it, the cursor stays there.
    let mut skip_start = consumed;
    loop {
        if buf.len() >= max_line {
            if !skipping {
                scanner.stats.malformed_lines += 1;
                skip_start = consumed;
            }
            consumed += buf.len() as u64;
            buf.clear();
            skipping = true;
        }
        let searched = buf.len();
        buf.reserve(READ_CHUNK);
        // `read_to_end` appends into the spare capacity without zero-filling it first.
        let read = reader
            .by_ref()
            .take(READ_CHUNK as u64)
            .read_to_end(&mut buf)?;
        if read == 0 {
            break;
        }
        let Some(newline) = memrchr(b'\n', buf.get(searched..).unwrap_or_default()) else {
            continue;
        };
        let end = searched + newline + 1;
        let mut chunk = buf.get(..end).unwrap_or_default();
        if skipping {
            let first = memchr::memchr(b'\n', chunk).map_or(end, |i| i + 1);
            chunk = chunk.get(first..).unwrap_or_default();
            skipping = false;
        }
        scanner.lines(chunk);
        consumed += end as u64;
        buf.drain(..end);
    }
    let tail = buf.as_slice();
    if !skipping && !tail.iter().all(u8::is_ascii_whitespace) {
        if serde_json::from_slice::<serde::de::IgnoredAny>(tail).is_ok() {
            // A complete line whose newline is not written (yet): use it, but leave the cursor before
            // it so it is read again; its response key is in `recent`, so it is not counted twice.
            scanner.line(tail);
            scanner.stats.bytes += tail.len() as u64;
        } else {
            scanner.stats.truncated_tail = true;
        }
    }
    if skipping {
        // The over-long line is still being written: skip it whole next time, from its start.
        consumed = skip_start;
    }
    scanner.stats.bytes += consumed - cursor.offset;
    Ok(scanner.finish(consumed))
}

/// State of one scan.
struct Scanner<'c> {
    cursor: &'c Cursor,
    requests: Vec<ApiRequestUsage>,
    /// `message.id` → `requestId` → index into `requests` (usually one per message id; a map, so that
    /// many request ids under one message id stay linear).
    index: HashMap<String, HashMap<String, usize>>,
    recent: Vec<RequestKey>,
    first_ts: Option<DateTime<Utc>>,
    last_ts: Option<DateTime<Utc>>,
    /// The timestamps of the latest timestamped lines, in file order (at most [`PREV_TS_WINDOW`]).
    latest: VecDeque<DateTime<Utc>>,
    stats: ScanStats,
}

impl<'c> Scanner<'c> {
    fn new(cursor: &'c Cursor) -> Self {
        Self {
            cursor,
            requests: Vec::new(),
            index: HashMap::new(),
            recent: cursor.recent.clone(),
            first_ts: None,
            last_ts: None,
            latest: VecDeque::with_capacity(PREV_TS_WINDOW),
            stats: ScanStats::default(),
        }
    }

    /// Complete lines, each ending in `\n`.
    fn lines(&mut self, chunk: &[u8]) {
        let mut start = 0;
        for newline in memchr_iter(b'\n', chunk) {
            self.line(chunk.get(start..newline).unwrap_or_default());
            start = newline + 1;
        }
    }

    fn line(&mut self, line: &[u8]) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        self.stats.lines += 1;
        let Some(top) = line::top_level(line) else {
            self.stats.malformed_lines += 1;
            return;
        };
        match top.kind {
            Some(b"assistant") => {
                self.stats.assistant_lines += 1;
                self.assistant(line);
            }
            Some(kind) if KNOWN_TYPES.contains(&kind) => {
                self.timestamp(top.timestamp.and_then(parse_ts));
            }
            _ => {
                self.stats.unknown_type_lines += 1;
                self.timestamp(top.timestamp.and_then(parse_ts));
            }
        }
    }

    /// Widens the scan's time span and remembers the line's timestamp.
    fn timestamp(&mut self, ts: Option<DateTime<Utc>>) {
        let Some(ts) = ts else { return };
        if self.first_ts.is_none_or(|first| ts < first) {
            self.first_ts = Some(ts);
        }
        if self.last_ts.is_none_or(|last| ts > last) {
            self.last_ts = Some(ts);
        }
        if self.latest.len() == PREV_TS_WINDOW {
            self.latest.pop_front();
        }
        self.latest.push_back(ts);
    }

    /// The nearest earlier timestamp not after `ts` (any earlier one when the line has none).
    fn preceding(&self, ts: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        self.latest
            .iter()
            .rev()
            .copied()
            .find(|&prev| ts.is_none_or(|ts| prev <= ts))
    }

    fn assistant(&mut self, line: &[u8]) {
        let Ok(parsed) = serde_json::from_slice::<line::AssistantLine<'_>>(line) else {
            self.stats.malformed_lines += 1;
            return;
        };
        let ts = parsed
            .timestamp
            .as_deref()
            .and_then(|t| parse_ts(t.as_bytes()));
        let prev_ts = self.preceding(ts);
        self.timestamp(ts);
        let Some(message) = parsed.message else {
            self.stats.no_usage_lines += 1;
            return;
        };
        let model = message.model.as_deref().unwrap_or_default();
        let (Some(message_id), Some(raw_usage)) = (message.id.as_deref(), message.usage.as_ref())
        else {
            self.stats.no_usage_lines += 1;
            return;
        };
        if model == "<synthetic>" {
            self.stats.no_usage_lines += 1;
            return;
        }
        let request_id = parsed.request_id.as_deref().unwrap_or_default();
        let session_id = parsed
            .request_session_id
            .as_deref()
            .or(parsed.session_id.as_deref())
            .filter(|id| !id.is_empty());
        self.remember(message_id, request_id);
        if self
            .cursor
            .recent
            .iter()
            .any(|k| k.message_id == message_id && k.request_id == request_id)
        {
            self.stats.already_counted_lines += 1;
            return;
        }
        let usage = raw_usage.to_usage();
        let existing = self
            .index
            .get(message_id)
            .and_then(|slots| slots.get(request_id))
            .copied();
        if let Some(request) = existing.and_then(|i| self.requests.get_mut(i)) {
            self.stats.duplicate_lines += 1;
            request.lines = request.lines.saturating_add(1);
            if usage.total_tokens() > request.usage.total_tokens() {
                request.usage = usage;
                model.clone_into(&mut request.model);
            }
            if let Some(ts) = ts {
                request.first_ts = Some(request.first_ts.map_or(ts, |f| f.min(ts)));
                request.last_ts = Some(request.last_ts.map_or(ts, |l| l.max(ts)));
            }
        } else {
            self.index
                .entry(message_id.to_owned())
                .or_default()
                .insert(request_id.to_owned(), self.requests.len());
            self.requests.push(ApiRequestUsage {
                message_id: message_id.to_owned(),
                request_id: request_id.to_owned(),
                model: model.to_owned(),
                session_id: session_id.map(str::to_owned),
                usage,
                first_ts: ts,
                last_ts: ts,
                prev_ts,
                lines: 1,
                sidechain: parsed.is_sidechain.unwrap_or(false),
            });
        }
    }

    /// Moves a key to the end of the recent list.
    fn remember(&mut self, message_id: &str, request_id: &str) {
        if self
            .recent
            .last()
            .is_some_and(|k| k.message_id == message_id && k.request_id == request_id)
        {
            return;
        }
        self.recent
            .retain(|k| k.message_id != message_id || k.request_id != request_id);
        self.recent.push(RequestKey {
            message_id: message_id.to_owned(),
            request_id: request_id.to_owned(),
        });
        if self.recent.len() > RECENT_KEYS {
            self.recent.drain(..self.recent.len() - RECENT_KEYS);
        }
    }

    fn finish(self, offset: u64) -> Scan {
        Scan {
            requests: self.requests,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            stats: self.stats,
            cursor: Cursor {
                offset,
                recent: self.recent,
            },
        }
    }
}

fn parse_ts(raw: &[u8]) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(raw).ok()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|ts| ts.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
