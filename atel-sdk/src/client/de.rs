//! Serde helpers for values as ClickHouse writes them in JSON.
//!
//! The client already accepts 64-bit integers written as strings for any integer field, with no
//! annotation. Date-times need one: ClickHouse writes `DateTime64` as `"2026-11-25 09:00:00.123"` (no `T`,
//! no zone), which chrono's own `Deserialize` refuses. Annotate such fields:
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Row {
//!     #[serde(with = "atel_sdk::client::de::datetime")]
//!     last_seen: DateTime<Utc>,
//!     #[serde(default, with = "atel_sdk::client::de::option_datetime")]
//!     first_error: Option<DateTime<Utc>>,
//! }
//!
//! let row: Row = serde_json::from_str(
//!     r#"{"last_seen": "2026-11-25 09:00:00.123", "first_error": null}"#,
//! ).unwrap();
//! assert_eq!(row.last_seen.to_rfc3339(), "2026-11-25T09:00:00.123+00:00");
//! ```

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;

/// Deserializes JSON text the way the client decodes rows: numbers may be written as strings, and
/// are read from their text, so an `u64`, an `i128` or a `rust_decimal::Decimal` is exact.
///
/// A field that takes any value (a `Decimal`, a `serde_json::Value`, an untagged enum) gets a
/// fraction as an `f64` when the `f64` is exactly that number, else as the number's text:
/// `12345678901234567.89` reaches a `Decimal` whole instead of as `12345678901234568`.
///
/// ```
/// let n: u64 = atel_sdk::client::de::from_str(r#""18446744073709551615""#).unwrap();
/// assert_eq!(n, u64::MAX);
/// let value: serde_json::Value = atel_sdk::client::de::from_str("[0.5, 12345678901234567.89]").unwrap();
/// assert_eq!(value, serde_json::json!([0.5, "12345678901234567.89"]));
/// ```
pub fn from_str<T: DeserializeOwned>(json: &str) -> Result<T, serde_json::Error> {
    super::lenient::from_str(json)
}

/// Deserializes a JSON value the way the client decodes rows: numbers may be written as strings.
///
/// A `serde_json::Value` holds every fraction as an `f64` already: decode the text with
/// [`from_str`] to keep decimals exact.
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, serde_json::Error> {
    from_str(&value.to_string())
}

/// Parses a ClickHouse `DateTime` / `DateTime64` text (`2026-11-25 09:00:00[.123]`, taken as UTC) or an
/// RFC 3339 date-time.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(text).map(|dt| dt.with_timezone(&Utc)))
        .ok()
}

/// `#[serde(with = "atel_sdk::client::de::datetime")]` for `DateTime<Utc>`: reads ClickHouse's
/// `2026-11-25 09:00:00.123` or RFC 3339; writes `2026-11-25 09:00:00.123` (UTC, milliseconds), which
/// Tinybird's `DateTime64(3)` columns take as is.
pub mod datetime {
    use chrono::{DateTime, Datelike, Timelike, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// The format written: ClickHouse's own, milliseconds, UTC.
    pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3f";

    /// Writes `2026-11-25 09:00:00.123` (milliseconds truncated, like `FORMAT`).
    ///
    /// Digits are written by hand: going through chrono's `format` costs ~0.4 µs a value, most of the
    /// time it takes to encode a whole telemetry row.
    pub fn serialize<S: Serializer>(
        value: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let naive = value.naive_utc();
        let (date, time) = (naive.date(), naive.time());
        let millis = time.nanosecond() / 1_000_000;
        let year = u32::try_from(date.year()).unwrap_or(u32::MAX);
        if year > 9999 || millis > 999 {
            // Negative years, years past 9999 and leap seconds: rare enough for the slow path.
            return serializer.collect_str(&value.format(FORMAT));
        }
        let mut text = *b"0000-00-00 00:00:00.000";
        for (at, width, number) in [
            (0, 4, year),
            (5, 2, date.month()),
            (8, 2, date.day()),
            (11, 2, time.hour()),
            (14, 2, time.minute()),
            (17, 2, time.second()),
            (20, 3, millis),
        ] {
            let mut rest = number;
            for digit in text[at..at + width].iter_mut().rev() {
                *digit = b'0' + u8::try_from(rest % 10).unwrap_or(0);
                rest /= 10;
            }
        }
        // Only ASCII digits and separators were written.
        serializer.serialize_str(std::str::from_utf8(&text).unwrap_or_default())
    }

    /// Reads ClickHouse's date-time text or RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        super::parse_datetime(&text).ok_or_else(|| {
            de::Error::custom(format_args!(
                "invalid date-time `{text}`, expected `YYYY-MM-DD HH:MM:SS[.fff]` or RFC 3339"
            ))
        })
    }
}

/// `#[serde(default, with = "atel_sdk::client::de::option_datetime")]` for `Option<DateTime<Utc>>`;
/// `null` is `None`.
pub mod option_datetime {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `null` or `2026-11-25 09:00:00.123`.
    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::datetime::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null` or a date-time as [`datetime`](super::datetime) does.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::datetime")] DateTime<Utc>);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(dt)| dt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        #[serde(with = "datetime")]
        at: DateTime<Utc>,
        #[serde(default, with = "option_datetime")]
        maybe: Option<DateTime<Utc>>,
    }

    #[test]
    fn datetimes_round_trip_in_clickhouse_format() {
        let row: Row = serde_json::from_str(
            r#"{"at": "2026-11-25 09:00:00.123", "maybe": "2026-11-25T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(row.at.timestamp_millis(), 1_795_597_200_123);
        assert_eq!(row.maybe.unwrap().timestamp(), 1_795_600_800);
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"{"at":"2026-11-25 09:00:00.123","maybe":"2026-11-25 10:00:00.000"}"#
        );
        let row: Row = serde_json::from_str(r#"{"at": "2026-11-25 09:00:00"}"#).unwrap();
        assert_eq!(row.maybe, None);
        let err = serde_json::from_str::<Row>(r#"{"at": "yesterday"}"#).unwrap_err();
        assert!(
            err.to_string().contains("invalid date-time `yesterday`"),
            "{err}"
        );
    }

    #[test]
    fn the_fast_writer_matches_chrono_format() {
        use chrono::TimeZone;
        let cases = [
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            Utc.with_ymd_and_hms(999, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::nanoseconds(123_999_999),
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-5, 1, 1, 0, 0, 0).unwrap(),
        ];
        for at in cases {
            let mut fast = Vec::new();
            datetime::serialize(&at, &mut serde_json::Serializer::new(&mut fast)).unwrap();
            let slow = serde_json::to_vec(&at.format(datetime::FORMAT).to_string()).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(slow).unwrap()
            );
        }
    }

    #[test]
    fn from_value_accepts_quoted_integers() {
        let n: u64 = from_value(&serde_json::json!("12")).unwrap();
        assert_eq!(n, 12);
    }
}
