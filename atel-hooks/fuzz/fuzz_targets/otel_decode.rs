//! Arbitrary bytes as an OTLP request body: the first byte picks the signal (`% 3`: logs, traces,
//! metrics) and the encoding (high bit: protobuf, else JSON). Decoding returns rows or an error and
//! never panics; every row is a JSON object; redaction never changes which rows there are; an
//! accepted JSON body, re-encoded as protobuf by prost, gives exactly the same rows (the two decoders
//! agree); the typed fast path of JSON logs gives the generic reader's exact answer, message or
//! error, and the rows it writes directly are the generic message's rows; and gzip never inflates
//! past its cap.

#![no_main]

use atel_hooks::otel::server::gunzip;
use atel_hooks::otel::{self, Encoding, Redaction, Signal, json};
use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let signal = match selector % 3 {
        0 => Signal::Logs,
        1 => Signal::Traces,
        _ => Signal::Metrics,
    };
    let encoding = if selector & 0x80 == 0 {
        Encoding::Json
    } else {
        Encoding::Protobuf
    };
    let kept = otel::export(signal, encoding, body, Redaction::Keep);
    let redacted = otel::export(signal, encoding, body, Redaction::Content);
    match (&kept, &redacted) {
        (Ok(kept), Ok(redacted)) => {
            assert_eq!(kept.rejected, redacted.rejected);
            let ds = |e: &otel::Export| e.rows.iter().map(|(ds, _)| *ds).collect::<Vec<_>>();
            assert_eq!(ds(kept), ds(redacted));
            for (_, row) in kept.rows.iter().chain(&redacted.rows) {
                let value: Value = serde_json::from_str(row).expect("a row that is not JSON");
                assert!(value.is_object(), "a row that is not an object: {row}");
            }
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            assert!(!a.0.is_empty());
        }
        _ => panic!("redaction changed whether the body decodes"),
    }
    if encoding == Encoding::Json
        && let Ok(kept) = &kept
    {
        let protobuf = match signal {
            Signal::Logs => json::logs(body).map(|r| r.encode_to_vec()),
            Signal::Traces => json::traces(body).map(|r| r.encode_to_vec()),
            Signal::Metrics => json::metrics(body).map(|r| r.encode_to_vec()),
        }
        .expect("export accepted what json rejects");
        let again = otel::export(signal, Encoding::Protobuf, &protobuf, Redaction::Keep)
            .expect("the protobuf encoding of an accepted JSON body is rejected");
        assert_eq!(&again, kept, "JSON and protobuf disagree");
    }
    if signal == Signal::Logs && encoding == Encoding::Json {
        let fast = json::logs(body).map(|r| r.encode_to_vec());
        let generic = json::logs_generic(body).map(|r| r.encode_to_vec());
        assert_eq!(fast, generic, "the fast path read the body differently");
        // And its rows, written without the message, are the generic message's rows.
        for (redaction, export) in [(Redaction::Keep, &kept), (Redaction::Content, &redacted)] {
            let generic = json::logs_generic(body).map(|r| otel::rows::log_rows(&r, redaction));
            let export = export
                .clone()
                .map(|e| e.rows.into_iter().map(|(_, row)| row).collect::<Vec<_>>());
            assert_eq!(export, generic, "the fast path's rows differ");
        }
    }
    if let Ok(Some(out)) = gunzip(body, 4096) {
        assert!(out.len() <= 4096);
    }
});
