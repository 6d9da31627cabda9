//! How ingest bodies are compressed on the wire.

use std::io::Write as _;

/// The `Content-Encoding` of ingest bodies: none, gzip or zstd, each with its level.
///
/// Only bodies over [`COMPRESSION_THRESHOLD_BYTES`](super::COMPRESSION_THRESHOLD_BYTES) are compressed.
/// The body limit ([`max_body_bytes`](super::TinybirdClientBuilder::max_body_bytes)) always counts
/// *uncompressed* bytes, so a request stays under Tinybird's limit however well its rows compress.
///
/// **The default is [`Zstd`](Self::Zstd) at level 1** ([`Compression::DEFAULT`]). On
/// `agent_activations` rows it sends about half the bytes of gzip at its fastest level and costs about half
/// the CPU (README, "Benchmarks"). Tinybird's Events API takes `Content-Encoding: zstd`: it is what the
/// OpenTelemetry Collector's `tinybird` exporter (the one Tinybird's OpenTelemetry template uses) sends
/// to `/v0/events` by default; Tinybird's docs name only gzip. Choose
/// [`Gzip`](Self::Gzip) for a server that only knows gzip (one that answers `400`/`415` to zstd), and
/// [`None`](Self::None) when CPU matters more than bytes (a fast local link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// Plain NDJSON.
    None,
    /// gzip (`Content-Encoding: gzip`) at a level from 0 (stored) to 9 (smallest); 1 is the fastest that
    /// compresses. Every Tinybird region and version accepts it.
    Gzip(u32),
    /// zstd (`Content-Encoding: zstd`) at a level from 1 to 22, or negative for faster and larger; see
    /// [`zstd_levels`](Self::zstd_levels).
    Zstd(i32),
}

impl Compression {
    /// zstd at level 1: on NDJSON rows it is smaller than level 3 (zstd's own default) and faster.
    pub const DEFAULT: Self = Self::Zstd(1);

    /// gzip at level 1, the fastest level that compresses (the client's default before zstd).
    pub const GZIP_FAST: Self = Self::Gzip(1);

    /// The zstd levels this build accepts (from a large negative one to 22).
    pub fn zstd_levels() -> std::ops::RangeInclusive<i32> {
        zstd::compression_level_range()
    }

    /// The `Content-Encoding` header value, `None` for plain bodies.
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Gzip(_) => Some("gzip"),
            Self::Zstd(_) => Some("zstd"),
        }
    }

    /// Whether the level is one this encoding knows; the builder refuses others.
    pub(crate) fn check(self) -> Result<(), String> {
        match self {
            Self::None => Ok(()),
            Self::Gzip(level) if level <= 9 => Ok(()),
            Self::Gzip(level) => Err(format!("gzip level {level} is not in 0..=9")),
            Self::Zstd(level) if Self::zstd_levels().contains(&level) => Ok(()),
            Self::Zstd(level) => {
                let levels = Self::zstd_levels();
                Err(format!(
                    "zstd level {level} is not in {}..={}",
                    levels.start(),
                    levels.end()
                ))
            }
        }
    }

    /// `data` compressed with this encoding, or `None` for [`Compression::None`].
    ///
    /// The output is a complete gzip member or zstd frame (with the content size in its header); the same
    /// input and setting always give the same bytes. Compressing into memory cannot fail for a level that
    /// the builder accepts; should zstd fail anyway, the result is `None` and the body goes
    /// plain, which every server reads.
    pub fn compress(self, data: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::None => None,
            Self::Gzip(level) => {
                let out = Vec::with_capacity(data.len() / 4 + 64);
                let mut encoder =
                    flate2::write::GzEncoder::new(out, flate2::Compression::new(level.min(9)));
                // Writing to a Vec cannot fail.
                encoder.write_all(data).and_then(|()| encoder.finish()).ok()
            }
            Self::Zstd(level) => zstd::bulk::compress(data, level)
                .inspect_err(|e| {
                    tracing::warn!(level, error = %e, "zstd failed; sending the body uncompressed");
                })
                .ok(),
        }
    }
}

impl Default for Compression {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn rows() -> Vec<u8> {
        (0..200)
            .flat_map(|i| format!("{{\"seq\":{i},\"agent_type\":\"Explore\"}}\n").into_bytes())
            .collect()
    }

    #[test]
    fn gzip_round_trips() {
        let data = rows();
        let packed = Compression::GZIP_FAST.compress(&data).unwrap();
        assert!(packed.len() < data.len() / 3);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn zstd_round_trips_and_records_the_size() {
        let data = rows();
        for level in [-5, 1, 3, 19] {
            let packed = Compression::Zstd(level).compress(&data).unwrap();
            assert!(packed.len() < data.len() / 3, "level {level}");
            assert_eq!(
                zstd::zstd_safe::get_frame_content_size(&packed).ok(),
                Some(Some(data.len() as u64))
            );
            assert_eq!(zstd::decode_all(&packed[..]).unwrap(), data);
        }
    }

    #[test]
    fn the_same_input_compresses_to_the_same_bytes() {
        let data = rows();
        for setting in [Compression::DEFAULT, Compression::GZIP_FAST] {
            assert_eq!(setting.compress(&data), setting.compress(&data));
        }
    }

    #[test]
    fn levels_are_checked() {
        assert!(Compression::None.check().is_ok());
        assert!(Compression::Gzip(0).check().is_ok());
        assert!(Compression::Gzip(9).check().is_ok());
        assert_eq!(
            Compression::Gzip(10).check().unwrap_err(),
            "gzip level 10 is not in 0..=9"
        );
        assert!(Compression::Zstd(22).check().is_ok());
        assert!(Compression::Zstd(-7).check().is_ok());
        assert!(Compression::Zstd(23).check().is_err());
        assert_eq!(Compression::None.compress(b"x"), None);
        assert_eq!(Compression::DEFAULT.content_encoding(), Some("zstd"));
        assert_eq!(Compression::GZIP_FAST.content_encoding(), Some("gzip"));
    }
}
