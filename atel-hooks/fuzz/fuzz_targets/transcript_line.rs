//! Structured fuzzing of one transcript line: `arbitrary` builds an `assistant` (or other) line — usage
//! numbers near `u64::MAX` and past it, floats, negatives, escaped quotes and backslashes in every
//! string, `\u` escapes and surrogate pairs, nested objects with their own `type` and `timestamp`, keys in
//! any order, odd whitespace — and the scan of that line (repeated 1–3 times) must find exactly the
//! request, tokens and timestamp that `serde_json::Value` reads from the same text (the oracle: an
//! independent parser, plus the rules of the transcript module docs).

#![no_main]

use atel_hooks::transcript::{Cursor, scan_reader};
use atel_hooks_fuzz::line::oracle::{self, Expect};
use atel_hooks_fuzz::line::{Line, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: Line| {
    let rendered = render::line(&line);
    let text = &rendered.text;
    let copies = usize::from(line.copies % 3) + 1;
    let end = if line.crlf { "\r\n" } else { "\n" };
    let transcript = format!("{text}{end}").repeat(copies);
    let scan = scan_reader(transcript.as_bytes(), &Cursor::default()).expect("a slice reads");
    let expect = oracle::expect(&rendered);
    if let Some(ts) = expect.timestamp {
        assert_eq!(scan.first_ts, ts, "line timestamp of {text}");
        assert_eq!(scan.last_ts, ts, "line timestamp of {text}");
    }
    match expect.request {
        Expect::Nothing => assert!(
            scan.requests.is_empty(),
            "counted {:?} from {text}",
            scan.requests
        ),
        Expect::Unspecified => {}
        Expect::Request(want) => {
            let [got] = scan.requests.as_slice() else {
                panic!("{} requests from {text}", scan.requests.len());
            };
            assert_eq!(got.message_id, want.message_id, "{text}");
            assert_eq!(got.request_id, want.request_id, "{text}");
            assert_eq!(got.model, want.model, "{text}");
            assert_eq!(got.usage, want.usage, "{text}");
            assert_eq!(got.first_ts, want.timestamp, "{text}");
            assert_eq!(got.last_ts, want.timestamp, "{text}");
            assert_eq!(usize::try_from(got.lines).ok(), Some(copies));
            assert_eq!(scan.stats.duplicate_lines, copies as u64 - 1);
        }
    }
});
