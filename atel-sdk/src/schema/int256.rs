//! `Int256` and `UInt256` columns: 256-bit integers on [`ethnum`], written and read as decimal text.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ChType, ColumnType};
use crate::param::Scalar;
use crate::shape::Shape;

macro_rules! wide_integer {
    ($(#[$doc:meta])* $name:ident($inner:ty), $ch:ident, $scalar:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $inner);

        impl $name {
            /// The value as the 256-bit integer of `ethnum`, for arithmetic.
            pub const fn get(self) -> $inner {
                self.0
            }
        }

        impl From<$inner> for $name {
            fn from(value: $inner) -> Self {
                Self(value)
            }
        }

        impl From<$name> for $inner {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        /// Decimal text, as ClickHouse writes it: `"-42"`, optionally signed with `+`.
        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$inner>::from_str_radix(text.strip_prefix('+').unwrap_or(text), 10).map(Self)
            }
        }

        /// As decimal text (`"-42"`): JSON numbers past 2⁵³ lose digits in many readers, and
        /// ClickHouse writes these columns quoted too.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        /// From decimal text or a JSON integer.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Wide;
                impl Visitor<'_> for Wide {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("an integer or its decimal text for ", stringify!($ch)))
                    }
                    fn visit_str<E: de::Error>(self, text: &str) -> Result<$name, E> {
                        text.trim().parse().map_err(|err| {
                            E::custom(format_args!(
                                concat!("invalid ", stringify!($ch), " `{}`: {}"),
                                text, err
                            ))
                        })
                    }
                    fn visit_i64<E: de::Error>(self, value: i64) -> Result<$name, E> {
                        self.visit_i128(i128::from(value))
                    }
                    fn visit_u64<E: de::Error>(self, value: u64) -> Result<$name, E> {
                        self.visit_u128(u128::from(value))
                    }
                    fn visit_i128<E: de::Error>(self, value: i128) -> Result<$name, E> {
                        <$inner>::try_from(value).map($name).map_err(|_| {
                            E::custom(format_args!(
                                concat!("{} is out of range for ", stringify!($ch)),
                                value
                            ))
                        })
                    }
                    fn visit_u128<E: de::Error>(self, value: u128) -> Result<$name, E> {
                        <$inner>::try_from(value).map($name).map_err(|_| {
                            E::custom(format_args!(
                                concat!("{} is out of range for ", stringify!($ch)),
                                value
                            ))
                        })
                    }
                }
                deserializer.deserialize_any(Wide)
            }
        }

        impl ColumnType for $name {
            const SHAPE: Shape = Shape::Scalar($scalar);
            fn ch_type() -> ChType {
                ChType::$ch
            }
        }
    };
}

wide_integer!(
    /// An `Int256` column: a signed 256-bit integer (feature `int256`).
    ///
    /// ```
    /// use atel_sdk::schema::Int256;
    ///
    /// let min: Int256 = "-57896044618658097711785492504343953926634992332820282019728792003956564819968"
    ///     .parse()
    ///     .unwrap();
    /// assert_eq!(min.get(), ethnum::I256::MIN);
    /// assert_eq!(serde_json::to_string(&Int256::from(ethnum::I256::new(-42))).unwrap(), r#""-42""#);
    /// let back: Int256 = serde_json::from_str("-42").unwrap();
    /// assert_eq!(back.to_string(), "-42");
    /// ```
    Int256(ethnum::I256), Int256, Scalar::Int(256)
);

wide_integer!(
    /// A `UInt256` column: an unsigned 256-bit integer (feature `int256`).
    ///
    /// ```
    /// use atel_sdk::schema::UInt256;
    ///
    /// let max: UInt256 = serde_json::from_str(
    ///     r#""115792089237316195423570985008687907853269984665640564039457584007913129639935""#,
    /// )
    /// .unwrap();
    /// assert_eq!(max.get(), ethnum::U256::MAX);
    /// assert!(serde_json::from_str::<UInt256>("-1").is_err());
    /// ```
    UInt256(ethnum::U256), UInt256, Scalar::UInt(256)
);
