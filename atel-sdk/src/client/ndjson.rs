//! NDJSON bodies for the Events API: encoding rows, splitting at row boundaries, gzip.
//!
//! [`TinybirdClient::ingest`](super::TinybirdClient::ingest) uses these; they are public for callers that
//! keep rows as NDJSON themselves (a spool file, say) and send them with
//! [`ingest_ndjson`](super::TinybirdClient::ingest_ndjson).

use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;

use crate::error::{Error, Result};

/// Appends `rows` to `out`, one compact JSON object per line, each line ending in `\n`.
///
/// On error `out` keeps the rows encoded before the failing one.
pub fn encode<T: Serialize>(rows: &[T], out: &mut Vec<u8>) -> Result<()> {
    for row in rows {
        encode_one(row, out)?;
    }
    Ok(())
}

/// Appends one row and its `\n` to `out`; on error `out` is left as it was.
pub fn encode_one<T: Serialize>(row: &T, out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    if let Err(e) = serde_json::to_writer(&mut *out, row) {
        out.truncate(start);
        return Err(Error::Encode(Box::new(e)));
    }
    out.push(b'\n');
    Ok(())
}

/// Splits NDJSON into chunks of at most `max_bytes`, cutting only after a `\n`, so no row is ever split.
/// A single row longer than `max_bytes` becomes a chunk of its own.
pub fn split(ndjson: &[u8], max_bytes: usize) -> Split<'_> {
    Split {
        rest: ndjson,
        max_bytes: max_bytes.max(1),
    }
}

/// The iterator of [`split`].
#[derive(Debug, Clone)]
pub struct Split<'a> {
    rest: &'a [u8],
    max_bytes: usize,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let end = if self.rest.len() <= self.max_bytes {
            self.rest.len()
        } else {
            match self.rest[..self.max_bytes]
                .iter()
                .rposition(|&b| b == b'\n')
            {
                Some(newline) => newline + 1,
                // The first row alone is longer than the limit: it goes whole.
                None => self.rest[self.max_bytes..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(self.rest.len(), |i| self.max_bytes + i + 1),
            }
        };
        let (chunk, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(chunk)
    }
}

/// Gzips `data` at the fastest level: NDJSON still shrinks several-fold, at a fraction of the CPU.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::fast());
    // Writing to a Vec cannot fail.
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .unwrap_or_default()
}

/// The number of rows (lines) in an NDJSON chunk, counting a last line without `\n`.
pub fn count_rows(ndjson: &[u8]) -> usize {
    let newlines = ndjson.iter().fold(0, |n, &b| n + usize::from(b == b'\n'));
    newlines + usize::from(ndjson.last().is_some_and(|&b| b != b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_cuts_only_after_newlines() {
        let data = b"aaaa\nbb\ncccccc\nd\n";
        let chunks: Vec<&[u8]> = split(data, 8).collect();
        assert_eq!(chunks, [&b"aaaa\nbb\n"[..], &b"cccccc\n"[..], &b"d\n"[..]]);
        let chunks: Vec<&[u8]> = split(data, 3).collect();
        assert_eq!(
            chunks,
            [&b"aaaa\n"[..], &b"bb\n"[..], &b"cccccc\n"[..], &b"d\n"[..]]
        );
        assert_eq!(split(b"", 10).count(), 0);
        assert_eq!(split(b"no-newline", 4).collect::<Vec<_>>(), [b"no-newline"]);
    }

    #[test]
    fn encode_writes_one_line_per_row_and_counts_them() {
        let mut out = Vec::new();
        encode(
            &[
                serde_json::json!({"a": "x\ny"}),
                serde_json::json!({"a": 2}),
            ],
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"{\"a\":\"x\\ny\"}\n{\"a\":2}\n");
        assert_eq!(count_rows(&out), 2);
        assert_eq!(count_rows(b"{}\n{}"), 2);
    }

    #[test]
    fn failed_row_leaves_buffer_untouched() {
        use std::collections::BTreeMap;
        let mut bad = BTreeMap::new();
        bad.insert(vec![1u8], 1);
        let mut out = b"kept\n".to_vec();
        assert!(matches!(encode_one(&bad, &mut out), Err(Error::Encode(_))));
        assert_eq!(out, b"kept\n");
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read as _;
        let data = b"{\"a\":1}\n".repeat(100);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&data)[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }
}
