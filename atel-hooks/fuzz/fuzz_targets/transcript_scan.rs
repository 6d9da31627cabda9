//! Arbitrary bytes as a transcript: `scan_reader` from a default cursor, then in two pieces (scan up to a
//! split point, continue from the returned cursor over the rest, as a resumed session does), then once
//! more from the final cursor (a `SessionEnd` that fires twice). Checked: no panic, the cursor stays on a
//! line boundary inside the input, the counters and `summary()` agree with the requests, and no response
//! is counted by two scans unless its key had been pushed out of the cursor's `RECENT_KEYS`.

#![no_main]

use std::collections::{HashMap, HashSet};

use atel_hooks::transcript::{ApiRequestUsage, Cursor, RECENT_KEYS, RequestKey, Scan, scan_reader};
use atel_sdk::telemetry::pricing::Usage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = scan(data, &Cursor::default());
    check(&whole, data, &Cursor::default());

    // Resuming from the final cursor over what it left unread finds nothing new.
    let rescan = scan(data, &whole.cursor);
    check(&rescan, data, &whole.cursor);
    assert!(
        rescan.requests.is_empty(),
        "a second scan from the cursor counted {:?} again",
        keys(&rescan)
    );
    assert_eq!(rescan.cursor, whole.cursor);

    for split in [data.len() / 2, fnv(data) % (data.len() + 1)] {
        pieces(data, split, &whole);
    }
});

/// Scans `data` from `cursor` (the reader starts at `cursor.offset`, like `scan_file_from`).
fn scan(data: &[u8], cursor: &Cursor) -> Scan {
    let from = usize::try_from(cursor.offset).expect("offset fits usize");
    scan_reader(data.get(from..).expect("cursor inside the input"), cursor)
        .expect("reading a slice cannot fail")
}

/// The first `split` bytes, then the rest from the cursor the first scan returned.
fn pieces(data: &[u8], split: usize, whole: &Scan) {
    let head = data.get(..split).expect("split inside the input");
    let first = scan(head, &Cursor::default());
    check(&first, head, &Cursor::default());
    let second = scan(data, &first.cursor);
    check(&second, data, &first.cursor);
    // Both end after the input's last newline.
    assert_eq!(second.cursor.offset, whole.cursor.offset);

    let (first_keys, second_keys, whole_keys) = (keys(&first), keys(&second), keys(whole));
    for key in first_keys.intersection(&second_keys) {
        assert!(
            first.cursor.recent.len() == RECENT_KEYS && !first.cursor.recent.contains(key),
            "{key:?} counted before and after the cursor {:?}",
            first.cursor
        );
    }
    // Every response of the whole scan is in one of the pieces.
    for key in &whole_keys {
        assert!(
            first_keys.contains(key) || second_keys.contains(key),
            "{key:?} lost by splitting at {split}"
        );
    }
    // The pieces see the same lines, except the first piece's unterminated tail, which may be a
    // complete line of its own (the file ended there when it was scanned).
    let tail_start = usize::try_from(first.cursor.offset).expect("offset fits usize");
    let tail = keys(&scan(
        head.get(tail_start..).expect("cursor inside the head"),
        &Cursor::default(),
    ));
    for key in first_keys.union(&second_keys) {
        assert!(
            whole_keys.contains(key) || tail.contains(key),
            "{key:?} appeared by splitting at {split}"
        );
    }
    // A piece sees a subset of the lines of a response, so never more tokens than the whole scan.
    let by_key: HashMap<RequestKey, &ApiRequestUsage> =
        whole.requests.iter().map(|r| (key_of(r), r)).collect();
    for piece in [&first, &second] {
        for request in &piece.requests {
            let key = key_of(request);
            if tail.contains(&key) {
                continue;
            }
            let all = by_key.get(&key).expect("checked above");
            assert!(request.usage.total_tokens() <= all.usage.total_tokens());
            assert!(request.lines <= all.lines);
        }
    }
}

/// What must hold for any scan of `data` from `cursor`.
fn check(scan: &Scan, data: &[u8], cursor: &Cursor) {
    let stats = &scan.stats;
    let offset = usize::try_from(scan.cursor.offset).expect("offset fits usize");
    assert!(scan.cursor.offset >= cursor.offset && offset <= data.len());
    // The cursor is at the end of the last complete line.
    assert!(offset == 0 || data.get(offset - 1) == Some(&b'\n'));
    let unread = data.get(offset..).unwrap_or_default();
    assert!(
        !unread.contains(&b'\n'),
        "the cursor stopped before a newline"
    );
    if stats.truncated_tail {
        assert!(!unread.iter().all(u8::is_ascii_whitespace));
    }
    assert!(stats.bytes <= data.len() as u64 - cursor.offset);
    assert!(!stats.cursor_reset);
    assert!(scan.cursor.recent.len() <= RECENT_KEYS);
    let recent: HashSet<&RequestKey> = scan.cursor.recent.iter().collect();
    assert_eq!(
        recent.len(),
        scan.cursor.recent.len(),
        "a key twice in recent"
    );

    // Requests: unique keys, none counted by the scan the cursor came from.
    let found = keys(scan);
    assert_eq!(found.len(), scan.requests.len(), "a response counted twice");
    for key in &found {
        assert!(!cursor.recent.contains(key), "{key:?} was already counted");
    }
    if cursor.recent.is_empty() {
        assert_eq!(stats.already_counted_lines, 0);
    }
    let lines: u64 = scan.requests.iter().map(|r| u64::from(r.lines)).sum();
    assert!(scan.requests.iter().all(|r| r.lines >= 1));
    assert_eq!(lines, scan.requests.len() as u64 + stats.duplicate_lines);
    let sorted = lines + stats.already_counted_lines + stats.no_usage_lines;
    assert!(stats.assistant_lines >= sorted);
    assert!(stats.assistant_lines <= sorted + stats.malformed_lines);
    assert!(stats.lines >= stats.assistant_lines);

    // Timestamps: every request inside the scan's span.
    assert!(scan.first_ts <= scan.last_ts || scan.last_ts.is_none());
    for request in &scan.requests {
        if let (Some(first), Some(last)) = (request.first_ts, request.last_ts) {
            assert!(first <= last);
            assert!(scan.first_ts.is_some_and(|ts| ts <= first));
            assert!(scan.last_ts.is_some_and(|ts| ts >= last));
        }
        let _ = request.duration_ms();
        let cost = request.cost();
        assert!(cost.usd.is_finite() && cost.usd >= 0.0);
    }

    // The summary is the sum of the requests.
    let summary = scan.summary();
    assert_eq!(summary.requests, scan.requests.len());
    // Each field summed without overflow, then capped: what saturating sums give.
    let sum = |field: fn(&Usage) -> u64| {
        let total: u128 = scan
            .requests
            .iter()
            .map(|r| u128::from(field(&r.usage)))
            .sum();
        u64::try_from(total).unwrap_or(u64::MAX)
    };
    let every = |flag: fn(&Usage) -> bool| {
        !scan.requests.is_empty() && scan.requests.iter().all(|r| flag(&r.usage))
    };
    let expected = Usage {
        input: sum(|u| u.input),
        output: sum(|u| u.output),
        cache_read: sum(|u| u.cache_read),
        cache_creation: sum(|u| u.cache_creation),
        cache_creation_1h: sum(|u| u.cache_creation_1h),
        inference_geo_us: every(|u| u.inference_geo_us),
        fast: every(|u| u.fast),
    };
    assert_eq!(summary.usage, expected);
    assert_eq!(summary.model.is_some(), !scan.requests.is_empty());
    if let Some(model) = &summary.model {
        // The dominant model has the most output tokens.
        let mut output: HashMap<&str, u64> = HashMap::new();
        for request in &scan.requests {
            let sum = output.entry(&request.model).or_default();
            *sum = sum.saturating_add(request.usage.output);
        }
        let best = output.get(model.as_str()).copied();
        assert!(output.values().all(|&o| Some(o) <= best));
    }
    assert!(summary.cost_usd.is_finite() && summary.cost_usd >= 0.0);
    assert_eq!(summary.first_ts, scan.first_ts);
    assert_eq!(summary.last_ts, scan.last_ts);
    if let (Some(first), Some(last)) = (scan.first_ts, scan.last_ts) {
        assert_eq!(
            summary.duration_ms,
            u64::try_from((last - first).num_milliseconds()).ok()
        );
    }
}

fn key_of(request: &ApiRequestUsage) -> RequestKey {
    RequestKey {
        message_id: request.message_id.clone(),
        request_id: request.request_id.clone(),
    }
}

fn keys(scan: &Scan) -> HashSet<RequestKey> {
    scan.requests.iter().map(key_of).collect()
}

/// FNV-1a: a split point that moves with the input, the same on every run.
fn fnv(data: &[u8]) -> usize {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    usize::try_from(hash % (1 << 32)).expect("32 bits fit usize")
}
