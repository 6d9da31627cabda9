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
use serde::{Deserialize, Deserializer, Serializer};

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

/// `#[serde(with = "atel_sdk::client::de::DateTime64::<P>")]`: a date-time column of precision `P` (0 to
/// 9), as `#[tinybird(datetime64(P))]` declares it, written with exactly `P` digits after the second.
///
/// Writes ClickHouse's own text, UTC: `2024-06-23 16:00:00.500000000` at `P = 9`,
/// `2024-06-23 16:00:00` at `P = 0` (digits past `P` are truncated, as ClickHouse does). It is what a
/// `DateTime64(P)` column gives back in a `FORMAT JSON` answer, so a value round-trips unchanged, and
/// every `date_time_input_format` reads it. Reads that text at any precision, or RFC 3339
/// (`2024-06-23T16:00:00.5Z`, what the OpenTelemetry Collector's Tinybird exporter sends).
///
/// Works for `DateTime<Utc>` and `NaiveDateTime` fields (and, with the feature `time`,
/// `time::OffsetDateTime` and `PrimitiveDateTime`), and `Option`s and `Vec`s of them
/// (`Array(DateTime64(9))`):
///
/// ```
/// use atel_sdk::client::de::DateTime64;
/// use chrono::{DateTime, TimeZone, Utc};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Point {
///     #[serde(with = "DateTime64::<9>")]
///     at: DateTime<Utc>,
///     #[serde(with = "DateTime64::<9>")]
///     exemplars: Vec<DateTime<Utc>>,
/// }
///
/// let at = Utc.timestamp_nanos(1_719_158_400_000_000_001);
/// let json = serde_json::to_string(&Point { at, exemplars: vec![at] }).unwrap();
/// assert_eq!(
///     json,
///     r#"{"at":"2024-06-23 16:00:00.000000001","exemplars":["2024-06-23 16:00:00.000000001"]}"#
/// );
/// let back: Point = serde_json::from_str(r#"{"at":"2024-06-23T16:00:00.5Z","exemplars":[]}"#).unwrap();
/// assert_eq!(back.at.timestamp_subsec_nanos(), 500_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateTime64<const P: u8>;

impl<const P: u8> DateTime64<P> {
    /// A precision past 9 is a compile error where the helper is used.
    const PRECISION: usize = {
        assert!(P <= 9, "a `DateTime64` precision is from 0 to 9");
        P as usize
    };

    /// The text written for `value`: `YYYY-MM-DD HH:MM:SS[.` `P` digits `]`, UTC.
    pub fn format(value: &NaiveDateTime) -> String {
        use chrono::{Datelike as _, Timelike as _};
        use std::fmt::Write as _;
        let precision = Self::PRECISION;
        let (date, time) = (value.date(), value.time());
        let mut text = String::with_capacity(20 + precision);
        let _ = write!(
            text,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            date.year(),
            date.month(),
            date.day(),
            time.hour(),
            time.minute(),
            time.second()
        );
        if precision > 0 {
            // A leap second's nanoseconds run past 999_999_999; ClickHouse has no leap seconds.
            let nanos = time.nanosecond().min(999_999_999);
            let _ = write!(text, ".{nanos:09}");
            text.truncate(text.len() - (9 - precision));
        }
        text
    }

    /// Writes the value (an `Option` as `null` or the text, a `Vec` as an array of texts).
    pub fn serialize<T: DateTimeValue, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.write(serializer, Self::format)
    }

    /// Reads ClickHouse's date-time text at any precision, or RFC 3339.
    pub fn deserialize<'de, T: DateTimeValue, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        T::read(deserializer)
    }
}

/// The field types [`DateTime64`] reads and writes: `DateTime<Utc>`, `NaiveDateTime` (taken as UTC),
/// with the feature `time` `time::OffsetDateTime` and `PrimitiveDateTime` (taken as UTC), and
/// `Option`s and `Vec`s of them. Sealed.
pub trait DateTimeValue: Sized + sealed::Sealed {
    #[doc(hidden)]
    fn write<S: Serializer>(
        &self,
        serializer: S,
        format: fn(&NaiveDateTime) -> String,
    ) -> Result<S::Ok, S::Error>;
    #[doc(hidden)]
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for chrono::DateTime<chrono::Utc> {}
    impl Sealed for chrono::NaiveDateTime {}
    #[cfg(feature = "time")]
    impl Sealed for time::OffsetDateTime {}
    #[cfg(feature = "time")]
    impl Sealed for time::PrimitiveDateTime {}
    impl<T: Sealed> Sealed for Option<T> {}
    impl<T: Sealed> Sealed for Vec<T> {}
}

fn read_datetime<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
    parse_datetime(&text).ok_or_else(|| {
        serde::de::Error::custom(format_args!(
            "invalid date-time `{text}`, expected `YYYY-MM-DD HH:MM:SS[.fffffffff]` or RFC 3339"
        ))
    })
}

impl DateTimeValue for DateTime<Utc> {
    fn write<S: Serializer>(
        &self,
        serializer: S,
        format: fn(&NaiveDateTime) -> String,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(&self.naive_utc()))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_datetime(deserializer)
    }
}

impl DateTimeValue for NaiveDateTime {
    fn write<S: Serializer>(
        &self,
        serializer: S,
        format: fn(&NaiveDateTime) -> String,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(self))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_datetime(deserializer).map(|value| value.naive_utc())
    }
}

/// `time`'s date-times through chrono's: nanoseconds since the epoch, which both hold exactly
/// from 1677 to 2262 (ClickHouse's `DateTime64(9)` range); outside it the value is an error.
#[cfg(feature = "time")]
mod time_values {
    use super::{DateTimeValue, NaiveDateTime, read_datetime};
    use serde::{Deserializer, Serializer, de, ser};

    fn to_chrono(value: time::OffsetDateTime) -> Option<NaiveDateTime> {
        let nanos = i64::try_from(value.unix_timestamp_nanos()).ok()?;
        Some(chrono::DateTime::from_timestamp_nanos(nanos).naive_utc())
    }

    fn from_chrono(value: &chrono::DateTime<chrono::Utc>) -> Option<time::OffsetDateTime> {
        let nanos = value.timestamp_nanos_opt()?;
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).ok()
    }

    const RANGE: &str =
        "a date-time from 1677 to 2262 (what nanoseconds since 1970 hold in 64 bits)";

    impl DateTimeValue for time::OffsetDateTime {
        fn write<S: Serializer>(
            &self,
            serializer: S,
            format: fn(&NaiveDateTime) -> String,
        ) -> Result<S::Ok, S::Error> {
            let value = to_chrono(*self).ok_or_else(|| ser::Error::custom(RANGE))?;
            serializer.serialize_str(&format(&value))
        }
        fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            from_chrono(&read_datetime(deserializer)?).ok_or_else(|| de::Error::custom(RANGE))
        }
    }

    impl DateTimeValue for time::PrimitiveDateTime {
        fn write<S: Serializer>(
            &self,
            serializer: S,
            format: fn(&NaiveDateTime) -> String,
        ) -> Result<S::Ok, S::Error> {
            self.assume_utc().write(serializer, format)
        }
        fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let value = time::OffsetDateTime::read(deserializer)?;
            Ok(Self::new(value.date(), value.time()))
        }
    }
}

/// One value through [`DateTimeValue`], for `Option` and `Vec`.
struct Wrapped<'a, T>(&'a T, fn(&NaiveDateTime) -> String);

impl<T: DateTimeValue> serde::Serialize for Wrapped<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.write(serializer, self.1)
    }
}

struct Owned<T>(T);

impl<'de, T: DateTimeValue> Deserialize<'de> for Owned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::read(deserializer).map(Owned)
    }
}

impl<T: DateTimeValue> DateTimeValue for Option<T> {
    fn write<S: Serializer>(
        &self,
        serializer: S,
        format: fn(&NaiveDateTime) -> String,
    ) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => serializer.serialize_some(&Wrapped(value, format)),
            None => serializer.serialize_none(),
        }
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Owned<T>>::deserialize(deserializer)?.map(|Owned(value)| value))
    }
}

impl<T: DateTimeValue> DateTimeValue for Vec<T> {
    fn write<S: Serializer>(
        &self,
        serializer: S,
        format: fn(&NaiveDateTime) -> String,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(|value| Wrapped(value, format)))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Owned<T>>::deserialize(deserializer)?
            .into_iter()
            .map(|Owned(value)| value)
            .collect())
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
    fn datetime64_writes_exactly_its_precision() {
        use chrono::TimeZone;
        // 2024-06-23 16:00:00 UTC is 1_719_158_400 s; + 123_456_789 ns.
        let at = Utc.timestamp_nanos(1_719_158_400_123_456_789).naive_utc();
        assert_eq!(
            DateTime64::<9>::format(&at),
            "2024-06-23 16:00:00.123456789"
        );
        assert_eq!(DateTime64::<6>::format(&at), "2024-06-23 16:00:00.123456");
        assert_eq!(DateTime64::<3>::format(&at), "2024-06-23 16:00:00.123");
        assert_eq!(DateTime64::<1>::format(&at), "2024-06-23 16:00:00.1");
        assert_eq!(DateTime64::<0>::format(&at), "2024-06-23 16:00:00");
        let epoch = Utc.timestamp_nanos(0).naive_utc();
        assert_eq!(
            DateTime64::<9>::format(&epoch),
            "1970-01-01 00:00:00.000000000"
        );
        // At 3 digits it agrees with the millisecond writer.
        let utc = Utc.timestamp_nanos(1_719_158_400_123_456_789);
        let mut fast = Vec::new();
        datetime::serialize(&utc, &mut serde_json::Serializer::new(&mut fast)).unwrap();
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            format!("\"{}\"", DateTime64::<3>::format(&at))
        );
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Nanos {
        #[serde(with = "DateTime64::<9>")]
        at: DateTime<Utc>,
        #[serde(with = "DateTime64::<9>")]
        naive: NaiveDateTime,
        #[serde(default, with = "DateTime64::<9>")]
        maybe: Option<DateTime<Utc>>,
        #[serde(with = "DateTime64::<9>")]
        many: Vec<DateTime<Utc>>,
    }

    #[test]
    fn datetime64_round_trips_through_its_text_and_reads_the_exporters() {
        use chrono::TimeZone;
        let at = Utc.timestamp_nanos(1_719_158_400_000_000_007);
        let row = Nanos {
            at,
            naive: at.naive_utc(),
            maybe: None,
            many: vec![at, Utc.timestamp_nanos(0)],
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json,
            r#"{"at":"2024-06-23 16:00:00.000000007","naive":"2024-06-23 16:00:00.000000007","maybe":null,"many":["2024-06-23 16:00:00.000000007","1970-01-01 00:00:00.000000000"]}"#
        );
        assert_eq!(serde_json::from_str::<Nanos>(&json).unwrap(), row);
        // The exporter's form: RFC 3339, trailing zeros trimmed.
        let exporter: Nanos = serde_json::from_str(
            r#"{"at":"2024-06-23T16:00:00.5Z","naive":"2024-06-23T16:00:00Z","maybe":"1970-01-01T00:00:00Z","many":["2024-06-23T16:00:00.000000001Z"]}"#,
        )
        .unwrap();
        assert_eq!(
            exporter.at.timestamp_nanos_opt(),
            Some(1_719_158_400_500_000_000)
        );
        assert_eq!(exporter.naive.and_utc().timestamp(), 1_719_158_400);
        assert_eq!(exporter.maybe, Some(Utc.timestamp_nanos(0)));
        assert_eq!(
            exporter.many[0].timestamp_nanos_opt(),
            Some(1_719_158_400_000_000_001)
        );
        let err =
            serde_json::from_str::<Nanos>(r#"{"at":"soon","naive":"x","many":[]}"#).unwrap_err();
        assert!(
            err.to_string().contains("invalid date-time `soon`"),
            "{err}"
        );
    }

    #[test]
    fn from_value_accepts_quoted_integers() {
        let n: u64 = from_value(&serde_json::json!("12")).unwrap();
        assert_eq!(n, 12);
    }
}
