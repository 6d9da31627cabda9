//! NDJSON bodies for the Events API: encoding rows, splitting at row boundaries.
//!
//! [`TinybirdClient::ingest`](super::TinybirdClient::ingest) uses these; they are public for callers that
//! keep rows as NDJSON themselves (a spool file, say) and send them with
//! [`ingest_ndjson`](super::TinybirdClient::ingest_ndjson).

use std::ops::Range;

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
        ranges: split_ranges(ndjson, max_bytes),
    }
}

/// The iterator of [`split`].
#[derive(Debug, Clone)]
pub struct Split<'a> {
    ranges: SplitRanges<'a>,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let range = self.ranges.next()?;
        Some(&self.ranges.ndjson[range])
    }
}

/// Like [`split`], as byte ranges of `ndjson`.
pub fn split_ranges(ndjson: &[u8], max_bytes: usize) -> SplitRanges<'_> {
    SplitRanges {
        ndjson,
        start: 0,
        max_bytes: max_bytes.max(1),
    }
}

/// The iterator of [`split_ranges`].
#[derive(Debug, Clone)]
pub struct SplitRanges<'a> {
    ndjson: &'a [u8],
    start: usize,
    max_bytes: usize,
}

impl Iterator for SplitRanges<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let rest = &self.ndjson[self.start..];
        if rest.is_empty() {
            return None;
        }
        let len = if rest.len() <= self.max_bytes {
            rest.len()
        } else {
            match rest[..self.max_bytes].iter().rposition(|&b| b == b'\n') {
                Some(newline) => newline + 1,
                // The first row alone is longer than the limit: it goes whole.
                None => rest[self.max_bytes..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |i| self.max_bytes + i + 1),
            }
        };
        let range = self.start..self.start + len;
        self.start += len;
        Some(range)
    }
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
        assert_eq!(
            split_ranges(data, 8).collect::<Vec<_>>(),
            [0..8, 8..15, 15..17]
        );
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
}
