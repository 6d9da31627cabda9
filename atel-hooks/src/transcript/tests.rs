use chrono::Timelike;

use super::*;

/// An assistant line of response `n` (the fixtures' fake API numbers) at second `sec`.
fn assistant(n: u64, sec: u32, output: u64) -> String {
    format!(
        r#"{{"parentUuid":"p","message":{{"id":"msg_{n}","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{{"type":"text","text":"secret answer {n}"}}],"usage":{{"input_tokens":{},"cache_creation_input_tokens":{},"cache_read_input_tokens":{},"output_tokens":{output},"cache_creation":{{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":{}}},"inference_geo":"","speed":"standard"}}}},"requestId":"req_{n}","type":"assistant","uuid":"u","timestamp":"2026-11-25T07:57:{sec:02}.000Z"}}"#,
        100 + n,
        2000 + 10 * n,
        5000 + 100 * n,
        2000 + 10 * n,
    ) + "\n"
}

fn user(sec: u32) -> String {
    format!(
        r#"{{"type":"user","message":{{"role":"user","content":"secret prompt"}},"timestamp":"2026-11-25T07:57:{sec:02}.000Z"}}"#
    ) + "\n"
}

fn scan(text: &str) -> Scan {
    scan_reader(text.as_bytes(), &Cursor::default()).unwrap()
}

#[test]
fn dedupes_repeated_lines_of_one_response() {
    let text = [
        assistant(1, 1, 31),
        assistant(1, 2, 31),
        assistant(2, 3, 32),
    ]
    .concat();
    let scan = scan(&text);
    assert_eq!(scan.requests.len(), 2);
    let first = &scan.requests[0];
    assert_eq!(
        (first.message_id.as_str(), first.request_id.as_str()),
        ("msg_1", "req_1")
    );
    assert_eq!(first.lines, 2);
    assert_eq!(
        first.usage,
        Usage {
            input: 101,
            output: 31,
            cache_read: 5100,
            cache_creation: 2010,
            ..Usage::default()
        }
    );
    assert_eq!(first.first_ts.unwrap().timestamp_subsec_millis(), 0);
    assert_eq!(
        (first.last_ts.unwrap() - first.first_ts.unwrap()).num_seconds(),
        1
    );
    assert_eq!(scan.stats.duplicate_lines, 1);
    assert_eq!(scan.stats.assistant_lines, 3);
}

#[test]
fn keeps_the_copy_with_most_tokens() {
    // The streaming placeholder (output 1) first, the final usage later, and the reverse.
    let text = [
        assistant(1, 1, 1),
        assistant(1, 2, 31),
        assistant(2, 3, 32),
        assistant(2, 4, 1),
    ]
    .concat();
    let scan = scan(&text);
    let outputs: Vec<u64> = scan.requests.iter().map(|r| r.usage.output).collect();
    assert_eq!(outputs, [31, 32]);
}

#[test]
fn same_message_id_with_another_request_id_is_another_request() {
    let other = assistant(1, 2, 31).replace("req_1", "req_9");
    let scan = scan(&[assistant(1, 1, 31), other].concat());
    assert_eq!(scan.requests.len(), 2);
    assert_eq!(scan.requests[1].request_id, "req_9");
}

#[test]
fn many_request_ids_under_one_message_id_scan_in_linear_time() {
    // Found with the fuzz harness: each line searched every earlier request of its message id, so
    // 40 000 such lines took 800 million comparisons (26 s in a debug build; hours at a million lines).
    // Now 40 000 map lookups: milliseconds, so the bound below leaves a wide margin on a busy machine.
    let n = 40_000;
    let text: String = (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"assistant","requestId":"r{i}","message":{{"id":"m","usage":{{"output_tokens":1}}}}}}"#
            ) + "\n"
        })
        .collect();
    let started = std::time::Instant::now();
    let scan = scan(&text);
    let elapsed = started.elapsed();
    assert_eq!(scan.requests.len(), n);
    assert_eq!(scan.summary().usage.output, n as u64);
    assert_eq!(
        scan.requests.last().map(|r| r.request_id.as_str()),
        Some("r39999")
    );
    assert!(elapsed.as_secs() < 3, "{n} lines took {elapsed:?}");
}

#[test]
fn summary_totals_model_and_duration() {
    let haiku = assistant(3, 9, 500).replace("claude-opus-5-5", "claude-haiku-4-5");
    let text = [
        user(0),
        assistant(1, 1, 31),
        assistant(2, 5, 32),
        haiku,
        user(12),
    ]
    .concat();
    let summary = scan(&text).summary();
    assert_eq!(summary.requests, 3);
    assert_eq!(summary.usage.input, 101 + 102 + 103);
    assert_eq!(summary.usage.output, 31 + 32 + 500);
    assert_eq!(summary.usage.cache_read, 5100 + 5200 + 5300);
    assert_eq!(summary.usage.cache_creation, 2010 + 2020 + 2030);
    // Output by model: opus 63, haiku 500.
    assert_eq!(summary.model.as_deref(), Some("claude-haiku-4-5"));
    // From the first user line to the last one, not just the assistant lines.
    assert_eq!(summary.duration_ms, Some(12_000));
    assert!(!summary.cost_is_estimate);
    let expected = pricing::request_cost_usd(
        "claude-opus-5-5",
        &scan(&assistant(1, 1, 31)).requests[0].usage,
    )
    .usd + pricing::request_cost_usd(
        "claude-opus-5-5",
        &scan(&assistant(2, 1, 32)).requests[0].usage,
    )
    .usd + pricing::request_cost_usd(
        "claude-haiku-4-5",
        &scan(&assistant(3, 1, 500)).requests[0].usage,
    )
    .usd;
    assert!((summary.cost_usd - expected).abs() < 1e-15);
}

#[test]
fn duration_uses_min_and_max_not_line_order() {
    let text = [user(5), user(1), user(9), user(3)].concat();
    let summary = scan(&text).summary();
    assert_eq!(summary.duration_ms, Some(8_000));
    assert_eq!(summary.requests, 0);
    assert_eq!(summary.model, None);
}

#[test]
fn empty_input_gives_an_empty_summary() {
    let scan = scan("");
    assert_eq!(scan.summary(), TranscriptSummary::default());
    assert_eq!(scan.cursor, Cursor::default());
}

#[test]
fn skips_and_counts_malformed_unknown_and_synthetic_lines() {
    let synthetic = assistant(4, 4, 0).replace("claude-opus-5-5", "<synthetic>");
    let text = [
        "not json\n",
        "\n",
        "   \n",
        "[1,2,3]\n",
        r#"{"type":"brand-new-type","timestamp":"2026-11-25T07:57:30.000Z","x":{"deep":[1]}}"#,
        "\n",
        r#"{"no_type":true}"#,
        "\n",
        r#"{"type":"assistant","message":{"id":"m","usage":{"input_tokens":"many"}}}"#,
        "\n",
        r#"{"type":"assistant","timestamp":"2026-11-25T07:57:00.000Z","message":{"role":"assistant","content":[]}}"#,
        "\n",
        &synthetic,
        &assistant(1, 1, 31),
    ]
    .concat();
    let scan = scan(&text);
    assert_eq!(scan.requests.len(), 1);
    assert_eq!(scan.stats.lines, 8);
    assert_eq!(scan.stats.malformed_lines, 3);
    assert_eq!(scan.stats.unknown_type_lines, 2);
    assert_eq!(scan.stats.no_usage_lines, 2);
    assert_eq!(scan.stats.assistant_lines, 4);
    // Unknown line types still carry time.
    assert_eq!(scan.summary().duration_ms, Some(30_000));
}

#[test]
fn content_is_never_kept() {
    let scan = scan(&[user(0), assistant(1, 1, 31)].concat());
    let debug = format!("{scan:?} {:?}", scan.summary());
    assert!(!debug.contains("secret"), "{debug}");
}

#[test]
fn cursor_is_the_end_of_the_last_complete_line() {
    let complete = [assistant(1, 1, 31), user(2)].concat();
    let cut = &assistant(2, 3, 32)[..100];
    let text = format!("{complete}{cut}");
    let first = scan(&text);
    assert_eq!(first.cursor.offset, complete.len() as u64);
    assert!(first.stats.truncated_tail);
    assert_eq!(first.requests.len(), 1);

    // The writer finishes the line and adds more; the next scan starts at the cursor.
    let full = [
        complete.clone(),
        assistant(2, 3, 32),
        assistant(2, 4, 32),
        assistant(3, 5, 33),
    ]
    .concat();
    let rest = &full.as_bytes()[usize::try_from(first.cursor.offset).unwrap()..];
    let second = scan_reader(rest, &first.cursor).unwrap();
    let ids: Vec<&str> = second
        .requests
        .iter()
        .map(|r| r.request_id.as_str())
        .collect();
    assert_eq!(ids, ["req_2", "req_3"]);
    assert!(!second.stats.truncated_tail);
    assert_eq!(second.cursor.offset, full.len() as u64);
    assert_eq!(second.stats.bytes, (full.len() - complete.len()) as u64);
}

#[test]
fn a_response_split_across_the_cursor_is_counted_once() {
    let before = [assistant(1, 1, 31), assistant(2, 2, 32)].concat();
    let after = [assistant(2, 3, 32), assistant(3, 4, 33)].concat();
    let first = scan(&before);
    assert_eq!(first.requests.len(), 2);
    assert_eq!(
        first.cursor.recent.last().map(|k| k.request_id.as_str()),
        Some("req_2")
    );
    let second = scan_reader(after.as_bytes(), &first.cursor).unwrap();
    let ids: Vec<&str> = second
        .requests
        .iter()
        .map(|r| r.request_id.as_str())
        .collect();
    assert_eq!(ids, ["req_3"]);
    assert_eq!(second.stats.already_counted_lines, 1);
    // Totals over both scans equal one scan of everything.
    let all = scan(&[before, after].concat()).summary();
    let split = first.summary().usage.plus(&second.summary().usage);
    assert_eq!(split, all.usage);
}

#[test]
fn recent_keys_are_bounded_and_ordered() {
    let text: String = (1..=40).map(|n| assistant(n, 1, 31)).collect();
    let scan = scan(&text);
    assert_eq!(scan.cursor.recent.len(), RECENT_KEYS);
    assert_eq!(scan.cursor.recent.first().unwrap().request_id, "req_25");
    assert_eq!(scan.cursor.recent.last().unwrap().request_id, "req_40");
}

#[test]
fn complete_unterminated_last_line_is_used_but_not_consumed() {
    let first_line = assistant(1, 1, 31);
    let last = assistant(2, 2, 32);
    let text = format!("{first_line}{}", last.trim_end());
    let first = scan(&text);
    assert_eq!(first.requests.len(), 2);
    assert!(!first.stats.truncated_tail);
    assert_eq!(first.cursor.offset, first_line.len() as u64);
    // Re-reading it (now terminated) from the cursor does not count it again.
    let second = scan_reader(last.as_bytes(), &first.cursor).unwrap();
    assert!(second.requests.is_empty());
    assert_eq!(second.stats.already_counted_lines, 1);
}

#[test]
fn lines_longer_than_the_read_chunk_are_read_whole() {
    let big = "x".repeat(3 * READ_CHUNK);
    let line = assistant(1, 1, 31).replace("secret answer 1", &big);
    let text = [line.clone(), line, assistant(2, 2, 32)].concat();
    let scan = scan(&text);
    assert_eq!(scan.requests.len(), 2);
    assert_eq!(scan.requests[0].lines, 2);
    assert_eq!(scan.cursor.offset, text.len() as u64);
}

#[test]
fn escaped_quotes_in_content_do_not_confuse_the_line_scan() {
    let tricky = r#"{"type":"user","message":{"content":"{\"type\":\"assistant\",\"timestamp\":\"2030-01-01T00:00:00Z\"} \\"},"timestamp":"2026-11-25T07:57:02.000Z"}"#;
    let text = [user(0), format!("{tricky}\n")].concat();
    let scan = scan(&text);
    assert_eq!(scan.stats.assistant_lines, 0);
    assert_eq!(scan.stats.malformed_lines, 0);
    assert_eq!(scan.summary().duration_ms, Some(2_000));
}

#[test]
fn missing_file_is_not_found() {
    let err = scan_file(Path::new("/nonexistent/atel/transcript.jsonl")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn file_cursor_past_the_end_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let text = [assistant(1, 1, 31), assistant(2, 2, 32)].concat();
    std::fs::write(&path, &text).unwrap();
    let whole = scan_file(&path).unwrap();
    assert_eq!(whole.requests.len(), 2);
    let again = scan_file_from(&path, &whole.cursor).unwrap();
    assert!(again.requests.is_empty());
    assert_eq!(again.cursor.offset, text.len() as u64);
    let stale = Cursor {
        offset: 1 << 40,
        recent: Vec::new(),
    };
    let reset = scan_file_from(&path, &stale).unwrap();
    assert!(reset.stats.cursor_reset);
    assert_eq!(reset.requests.len(), 2);
}

#[test]
fn cursor_round_trips_through_json() {
    let scan = scan(&assistant(1, 1, 31));
    let json = serde_json::to_string(&scan.cursor).unwrap();
    let back: Cursor = serde_json::from_str(&json).unwrap();
    assert_eq!(back, scan.cursor);
    let minimal: Cursor = serde_json::from_str(r#"{"offset":7}"#).unwrap();
    assert_eq!(minimal.offset, 7);
}

#[test]
fn over_long_lines_are_skipped_and_counted() {
    let big = "x".repeat(3 * READ_CHUNK);
    let long = assistant(1, 1, 31).replace("secret answer 1", &big);
    let text = [assistant(2, 2, 32), long.clone(), assistant(3, 3, 33), long].concat();
    let capped = scan_reader_capped(text.as_bytes(), &Cursor::default(), 2 * READ_CHUNK).unwrap();
    let ids: Vec<&str> = capped
        .requests
        .iter()
        .map(|r| r.request_id.as_str())
        .collect();
    assert_eq!(ids, ["req_2", "req_3"]);
    assert_eq!(capped.stats.malformed_lines, 2);
    assert_eq!(capped.cursor.offset, text.len() as u64);
    // The same input under the real limit is read whole.
    assert_eq!(scan(&text).requests.len(), 3);
}

#[test]
fn a_file_ending_inside_an_over_long_line_leaves_the_cursor_at_its_start() {
    let big = "x".repeat(3 * READ_CHUNK);
    let long = assistant(1, 1, 31).replace("secret answer 1", &big);
    let first = assistant(2, 2, 32);
    // The over-long line is still being written: no newline yet.
    let partial = &long[..long.len() - 10];
    let text = [first.as_str(), partial].concat();
    let capped = scan_reader_capped(text.as_bytes(), &Cursor::default(), 2 * READ_CHUNK).unwrap();
    assert_eq!(capped.requests.len(), 1);
    assert_eq!(
        capped.cursor.offset,
        first.len() as u64,
        "not inside the long line"
    );

    // Once it is complete, the next scan skips it whole and reads what follows.
    let text = [first.as_str(), long.as_str(), assistant(3, 3, 33).as_str()].concat();
    let next = scan_reader_capped(
        text.as_bytes().get(first.len()..).unwrap(),
        &capped.cursor,
        2 * READ_CHUNK,
    )
    .unwrap();
    let ids: Vec<&str> = next
        .requests
        .iter()
        .map(|r| r.request_id.as_str())
        .collect();
    assert_eq!(ids, ["req_3"]);
    assert_eq!(next.stats.malformed_lines, 1);
    assert_eq!(next.cursor.offset, text.len() as u64);
}

/// A line of another type, stamped at second `sec`.
fn other(kind: &str, sec: u32) -> String {
    format!(r#"{{"type":"{kind}","timestamp":"2026-11-25T07:57:{sec:02}.000Z"}}"#) + "\n"
}

fn durations(scan: &Scan) -> Vec<Option<u64>> {
    scan.requests
        .iter()
        .map(ApiRequestUsage::duration_ms)
        .collect()
}

#[test]
fn a_request_lasts_from_its_triggering_line_to_its_last_line() {
    let text = [
        user(0),
        other("attachment", 1),
        assistant(1, 2, 31),
        assistant(1, 4, 31),
        // The tool result triggers the next call; a line without a timestamp is passed over.
        user(5),
        r#"{"type":"last-prompt"}"#.to_owned() + "\n",
        assistant(2, 7, 32),
    ]
    .concat();
    let scan = scan(&text);
    let prev: Vec<Option<u32>> = scan
        .requests
        .iter()
        .map(|r| r.prev_ts.map(|t| t.second()))
        .collect();
    assert_eq!(prev, [Some(1), Some(5)]);
    assert_eq!(durations(&scan), [Some(3_000), Some(2_000)]);
}

#[test]
fn a_line_written_out_of_order_is_not_the_trigger() {
    // 2.1.331 writes a `queue-operation` enqueued while the response streams before the response.
    let text = [
        other("api-request", 10),
        other("queue-operation", 20),
        assistant(1, 12, 31),
    ]
    .concat();
    let scan = scan(&text);
    assert_eq!(durations(&scan), [Some(2_000)]);
}

#[test]
fn no_earlier_line_means_no_duration() {
    // The first line of the scan, and a request right after a cursor.
    let first = scan(&[assistant(1, 1, 31), assistant(1, 3, 31)].concat());
    assert_eq!(first.requests[0].prev_ts, None);
    assert_eq!(durations(&first), [None]);
    let text = [user(0), assistant(2, 2, 32)].concat();
    let cursor = Cursor {
        offset: user(0).len() as u64,
        recent: Vec::new(),
    };
    let resumed = scan_reader(&text.as_bytes()[user(0).len()..], &cursor).unwrap();
    assert_eq!(durations(&resumed), [None]);
}

#[test]
fn only_the_latest_timestamps_are_searched() {
    let mut text = user(0);
    for _ in 0..PREV_TS_WINDOW {
        text.push_str(&other("queue-operation", 50));
    }
    text.push_str(&assistant(1, 10, 31));
    assert_eq!(durations(&scan(&text)), [None]);
    // One out-of-order line fewer, and the user line is found again.
    let text = text.replacen(&other("queue-operation", 50), "", 1);
    assert_eq!(durations(&scan(&text)), [Some(10_000)]);
}

#[test]
fn a_duration_is_never_negative() {
    // An assistant line without a timestamp takes the latest earlier one; a later copy stamped before it.
    let untimed = assistant(1, 0, 31).replace(r#","timestamp":"2026-11-25T07:57:00.000Z""#, "");
    let text = [user(9), untimed, assistant(1, 5, 31)].concat();
    let scan = scan(&text);
    assert_eq!(scan.requests[0].prev_ts.map(|t| t.second()), Some(9));
    assert_eq!(durations(&scan), [None]);
}
