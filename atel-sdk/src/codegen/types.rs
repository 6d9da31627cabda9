//! ClickHouse column types to Rust field types, by the table of [`ColumnType`](crate::ColumnType):
//! the type a field gets, the `#[tinybird(...)]` flags that turn it back into the written type, and a
//! check through [`ChType`]'s own transforms (what the derive runs) that the result renders exactly as
//! written. A type with no Rust mapping, or one whose text would render otherwise, gets a hand-written
//! `type = "..."` and a Rust type it round-trips with (see [`crate::shape`]).

use crate::schema::ChType;

/// A parsed type: `Name(arg, arg)`; a literal argument (`9`, `'UTC'`) is a node with no args.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    name: String,
    args: Vec<Self>,
}

/// How a column's field is written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FieldType {
    /// The Rust type, fully qualified.
    pub(crate) rust: String,
    /// `#[tinybird(...)]` flags: `low_cardinality`, `datetime64(9)`, `type = "..."`, ….
    pub(crate) flags: Vec<String>,
    /// `DateTime64::<P>` for `#[serde(with = ...)]` when the type holds a date-time.
    pub(crate) datetime_precision: Option<u8>,
    /// An `Enum8` / `Enum16` in the type: a `#[derive(Enum)]` enum to write, whose name the writer
    /// puts where `rust` says [`ENUM`].
    pub(crate) enumeration: Option<EnumDef>,
}

/// Where the generated enum's name goes in [`FieldType::rust`].
pub(crate) const ENUM: &str = "$enum";

/// The values of an `Enum8` / `Enum16` column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnumDef {
    /// `Enum16`: written with `#[tinybird(enum16)]` when every value would fit an `Enum8`.
    pub(crate) wide: bool,
    /// (name, value), in order.
    pub(crate) values: Vec<(String, i16)>,
}

/// The field type of a ClickHouse type, or `None` when no Rust type holds it.
pub(crate) fn field_type(written: &str) -> Option<FieldType> {
    let mut node = parse(written)?;
    let mut found = Found::default();
    // The aggregate wrappers hold the whole column; anywhere else they have no flag.
    let mut simple_aggregate = None;
    let mut aggregate = None;
    match (node.name.as_str(), node.args.as_slice()) {
        ("SimpleAggregateFunction", [function, inner]) if function.args.is_empty() => {
            simple_aggregate = Some(function.name.clone());
            node = inner.clone();
        }
        ("AggregateFunction", [function, inner]) => {
            aggregate = Some(function.text());
            node = inner.clone();
        }
        _ => {}
    }
    let (mut rust, base) = rust_type(&node, false, &mut found)?;
    let mut ty = base;
    if aggregate.is_some() {
        rust = format!("atel_sdk::schema::AggregateState<{rust}>");
        ty = ChType::AggregateFunction {
            function: String::new(),
            args: vec![ty],
        };
    }
    let mut flags = Vec::new();
    if let Some((precision, scale)) = found.decimal {
        ty = ty.with_decimal(precision, scale);
        flags.push(format!("decimal({precision}, {scale})"));
    }
    let mut datetime_precision = None;
    if let Some(to) = &found.datetime {
        ty = ty.with_datetime(to);
        match to {
            ChType::DateTime => {
                flags.push("datetime".to_owned());
                datetime_precision = Some(0);
            }
            ChType::DateTime64(precision) => {
                if *precision != 3 {
                    flags.push(format!("datetime64({precision})"));
                }
                datetime_precision = Some(*precision);
            }
            ChType::DateTime64Tz(precision, tz) => {
                flags.push(format!("datetime64({precision}, {tz:?})"));
                datetime_precision = Some(*precision);
            }
            _ => {}
        }
    }
    if found.date32 {
        ty = ty.with_date32();
        flags.push("date32".to_owned());
    }
    if let Some(n) = found.fixed_string {
        ty = ty.with_fixed_string(n);
        flags.push(format!("fixed_string({n})"));
    }
    if found.low_cardinality {
        ty = ty.low_cardinality();
        flags.push("low_cardinality".to_owned());
    }
    if found.low_cardinality_keys {
        ty = ty.low_cardinality_keys();
        flags.push("low_cardinality_keys".to_owned());
    }
    if let Some(function) = &aggregate {
        ty = ty.with_aggregate(function);
        flags.push(format!("aggregate = {function:?}"));
    }
    if let Some(function) = &simple_aggregate {
        ty = ty.simple_aggregate(function);
        flags.push(format!("simple_aggregate = {function:?}"));
    }
    if found.raw || ty.to_string() != written {
        flags = vec![format!("type = {written:?}")];
    }
    Some(FieldType {
        rust,
        flags,
        datetime_precision,
        enumeration: found.enumeration,
    })
}

/// What the parts of a type asked for, as the derive's flags.
#[derive(Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one independent flag each, as the attributes are"
)]
struct Found {
    low_cardinality: bool,
    low_cardinality_keys: bool,
    decimal: Option<(u8, u8)>,
    datetime: Option<ChType>,
    date32: bool,
    fixed_string: Option<u32>,
    enumeration: Option<EnumDef>,
    /// A part has no flag to express it: the column needs `type = "..."`.
    raw: bool,
}

impl Found {
    fn datetime(&mut self, to: ChType) {
        if self.datetime.as_ref().is_some_and(|seen| *seen != to) {
            self.raw = true;
        }
        self.datetime = Some(to);
    }
}

/// (Rust type, the `ChType` of that Rust type before any flag).
fn rust_type(node: &Node, map_key: bool, found: &mut Found) -> Option<(String, ChType)> {
    let arg = |i: usize| node.args.get(i);
    let scalar = |rust: &str, ty: ChType| Some((rust.to_owned(), ty));
    match (node.name.as_str(), node.args.len()) {
        ("LowCardinality", 1) => {
            if map_key {
                found.low_cardinality_keys = true;
            } else {
                found.low_cardinality = true;
            }
            rust_type(arg(0)?, false, found)
        }
        ("Nullable", 1) => {
            let (rust, ty) = rust_type(arg(0)?, false, found)?;
            Some((format!("Option<{rust}>"), ChType::Nullable(Box::new(ty))))
        }
        ("Array", 1) => {
            let (rust, ty) = rust_type(arg(0)?, false, found)?;
            Some((format!("Vec<{rust}>"), ChType::Array(Box::new(ty))))
        }
        ("Map", 2) => {
            let (key, _) = rust_type(arg(0)?, true, found)?;
            if key != "String" {
                return None;
            }
            let (value, ty) = rust_type(arg(1)?, false, found)?;
            Some((
                format!("std::collections::BTreeMap<String, {value}>"),
                ChType::Map(Box::new(ChType::String), Box::new(ty)),
            ))
        }
        ("SimpleAggregateFunction", 2) => {
            found.raw = true;
            rust_type(arg(1)?, false, found)
        }
        ("String", 0) => scalar("String", ChType::String),
        ("Bool", 0) => scalar("bool", ChType::Bool),
        ("UInt8", 0) => scalar("u8", ChType::UInt8),
        ("UInt16", 0) => scalar("u16", ChType::UInt16),
        ("UInt32", 0) => scalar("u32", ChType::UInt32),
        ("UInt64", 0) => scalar("u64", ChType::UInt64),
        ("Int8", 0) => scalar("i8", ChType::Int8),
        ("Int16", 0) => scalar("i16", ChType::Int16),
        ("Int32", 0) => scalar("i32", ChType::Int32),
        ("Int64", 0) => scalar("i64", ChType::Int64),
        ("Float32", 0) => scalar("f32", ChType::Float32),
        ("Float64", 0) => scalar("f64", ChType::Float64),
        ("UUID", 0) => scalar("uuid::Uuid", ChType::Uuid),
        ("Date", 0) => scalar("chrono::NaiveDate", ChType::Date),
        ("DateTime", 0) => {
            found.datetime(ChType::DateTime);
            scalar("chrono::DateTime<chrono::Utc>", ChType::DateTime64(3))
        }
        ("DateTime64", 1 | 2) => {
            let precision: u8 = arg(0)?.literal()?.parse().ok().filter(|p| *p <= 9)?;
            match arg(1) {
                None => found.datetime(ChType::DateTime64(precision)),
                Some(tz) => {
                    let tz = tz.literal()?.strip_prefix('\'')?.strip_suffix('\'')?;
                    if tz.contains(['\\', '\'']) {
                        found.raw = true;
                    }
                    found.datetime(ChType::DateTime64Tz(precision, tz.to_owned()));
                }
            }
            scalar("chrono::DateTime<chrono::Utc>", ChType::DateTime64(3))
        }
        ("Decimal", 2) => {
            let precision: u8 = arg(0)?.literal()?.parse().ok()?;
            let scale: u8 = arg(1)?.literal()?.parse().ok()?;
            if found.decimal.is_some_and(|seen| seen != (precision, scale)) || scale > precision {
                found.raw = true;
            }
            found.decimal = Some((precision, scale));
            scalar(
                "rust_decimal::Decimal",
                ChType::Decimal {
                    precision: 10,
                    scale: 0,
                },
            )
        }
        ("Date32", 0) => {
            found.date32 = true;
            scalar("chrono::NaiveDate", ChType::Date)
        }
        ("FixedString", 1) => {
            let n: u32 = arg(0)?.literal()?.parse().ok().filter(|n| *n > 0)?;
            if found.fixed_string.is_some_and(|seen| seen != n) {
                found.raw = true;
            }
            found.fixed_string = Some(n);
            scalar("String", ChType::String)
        }
        ("IPv4", 0) => scalar("std::net::Ipv4Addr", ChType::Ipv4),
        ("IPv6", 0) => scalar("std::net::Ipv6Addr", ChType::Ipv6),
        ("Int128", 0) => scalar("i128", ChType::Int128),
        ("UInt128", 0) => scalar("u128", ChType::UInt128),
        ("Enum8" | "Enum16", n) if n > 0 => {
            let sixteen = node.name == "Enum16";
            let mut values = Vec::new();
            for item in &node.args {
                values.push(enum_item(item.literal()?)?);
            }
            if found.enumeration.is_some() {
                // Two enums in one column: no flag says which is which.
                found.raw = true;
            }
            let narrow: Option<Vec<(String, i8)>> = values
                .iter()
                .map(|(name, v)| i8::try_from(*v).ok().map(|v| (name.clone(), v)))
                .collect();
            let ty = match (&narrow, sixteen) {
                (Some(narrow), false) => ChType::Enum8(narrow.clone()),
                _ => ChType::Enum16(values.clone()),
            };
            found.enumeration = Some(EnumDef {
                wide: sixteen && narrow.is_some(),
                values,
            });
            Some((ENUM.to_owned(), ty))
        }
        ("Int256", 0) => scalar("atel_sdk::schema::Int256", ChType::Int256),
        ("UInt256", 0) => scalar("atel_sdk::schema::UInt256", ChType::UInt256),
        ("JSON", 0) => scalar("serde_json::Value", ChType::Json),
        // Unnamed only: a named tuple's `a String` does not parse as a node.
        ("Tuple", n) if n > 0 => {
            let mut rust = Vec::with_capacity(n);
            let mut types = Vec::with_capacity(n);
            for item in &node.args {
                let (item_rust, item_ty) = rust_type(item, false, found)?;
                rust.push(item_rust);
                types.push(item_ty);
            }
            let rust = if n == 1 {
                format!("({},)", rust[0])
            } else {
                format!("({})", rust.join(", "))
            };
            Some((rust, ChType::Tuple(types)))
        }
        _ => None,
    }
}

/// `'pending' = 1` → the name (quotes and escapes undone) and the value.
fn enum_item(text: &str) -> Option<(String, i16)> {
    let (name, value) = text.rsplit_once('=')?;
    let name = name.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let mut unescaped = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            unescaped.push(chars.next()?);
        } else {
            unescaped.push(c);
        }
    }
    Some((unescaped, value.trim().parse().ok()?))
}

impl Node {
    /// The node as written: `quantiles(0.5, 0.9)`.
    fn text(&self) -> String {
        if self.args.is_empty() {
            return self.name.clone();
        }
        let args: Vec<String> = self.args.iter().map(Self::text).collect();
        format!("{}({})", self.name, args.join(", "))
    }

    /// The text of a literal argument.
    fn literal(&self) -> Option<&str> {
        self.args.is_empty().then_some(self.name.as_str())
    }
}

/// Parses `Name(arg, ...)`; literals (numbers, quoted strings, `'a' = 1`) are arg nodes as written.
fn parse(text: &str) -> Option<Node> {
    let (node, rest) = parse_node(text.trim())?;
    rest.trim().is_empty().then_some(node)
}

fn parse_node(text: &str) -> Option<(Node, &str)> {
    let text = text.trim_start();
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        let end = text.find(|c: char| !is_name(c)).unwrap_or(text.len());
        let name = text[..end].to_owned();
        let rest = &text[end..];
        let Some(mut rest) = rest.strip_prefix('(') else {
            return Some((
                Node {
                    name,
                    args: Vec::new(),
                },
                rest,
            ));
        };
        let mut args = Vec::new();
        loop {
            let (arg, after) = parse_node(rest)?;
            args.push(arg);
            let after = after.trim_start();
            if let Some(after) = after.strip_prefix(',') {
                rest = after;
            } else {
                return Some((Node { name, args }, after.strip_prefix(')')?));
            }
        }
    }
    // A literal: up to a top-level `,` or `)`, quotes respected.
    let mut quote = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '\'' {
                quote = false;
            }
        } else if c == '\'' {
            quote = true;
        } else if c == ',' || c == ')' || c == '(' {
            let literal = text[..i].trim();
            return (!literal.is_empty() && c != '(').then(|| {
                (
                    Node {
                        name: literal.to_owned(),
                        args: Vec::new(),
                    },
                    &text[i..],
                )
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(written: &str) -> (String, Vec<String>) {
        let field = field_type(written).unwrap();
        (field.rust, field.flags)
    }

    #[test]
    fn types_map_to_rust_types_and_flags() {
        assert_eq!(mapped("String"), ("String".into(), vec![]));
        assert_eq!(
            mapped("LowCardinality(Nullable(String))"),
            ("Option<String>".into(), vec!["low_cardinality".into()])
        );
        assert_eq!(
            mapped("Array(Map(LowCardinality(String), String))"),
            (
                "Vec<std::collections::BTreeMap<String, String>>".into(),
                vec!["low_cardinality_keys".into()]
            )
        );
        assert_eq!(
            mapped("Array(DateTime64(9))"),
            (
                "Vec<chrono::DateTime<chrono::Utc>>".into(),
                vec!["datetime64(9)".into()]
            )
        );
        assert_eq!(
            mapped("DateTime64(6, 'Europe/Madrid')"),
            (
                "chrono::DateTime<chrono::Utc>".into(),
                vec!["datetime64(6, \"Europe/Madrid\")".into()]
            )
        );
        assert_eq!(
            mapped("Nullable(Decimal(20, 2))"),
            (
                "Option<rust_decimal::Decimal>".into(),
                vec!["decimal(20, 2)".into()]
            )
        );
        assert_eq!(
            mapped("DateTime"),
            (
                "chrono::DateTime<chrono::Utc>".into(),
                vec!["datetime".into()]
            )
        );
    }

    #[test]
    fn the_newer_types_map_to_their_rust_types_and_flags() {
        assert_eq!(mapped("Int128"), ("i128".into(), vec![]));
        assert_eq!(
            mapped("Nullable(IPv6)"),
            ("Option<std::net::Ipv6Addr>".into(), vec![])
        );
        assert_eq!(
            mapped("Array(Date32)"),
            ("Vec<chrono::NaiveDate>".into(), vec!["date32".into()])
        );
        assert_eq!(
            mapped("LowCardinality(FixedString(3))"),
            (
                "String".into(),
                vec!["fixed_string(3)".into(), "low_cardinality".into()]
            )
        );
        assert_eq!(
            mapped("AggregateFunction(sum, Decimal(20, 2))"),
            (
                "atel_sdk::schema::AggregateState<rust_decimal::Decimal>".into(),
                vec!["decimal(20, 2)".into(), r#"aggregate = "sum""#.into()]
            )
        );
        assert_eq!(
            mapped("AggregateFunction(quantiles(0.5, 0.9), Float64)").1,
            vec![r#"aggregate = "quantiles(0.5, 0.9)""#.to_owned()]
        );
        assert_eq!(
            mapped("SimpleAggregateFunction(sum, UInt64)"),
            ("u64".into(), vec![r#"simple_aggregate = "sum""#.into()])
        );
        let field = field_type("Enum16('it\\'s' = -1, 'b' = 2)").unwrap();
        assert_eq!((field.rust.as_str(), field.flags.len()), (ENUM, 0));
        assert_eq!(
            field.enumeration,
            Some(EnumDef {
                wide: true,
                values: vec![("it's".into(), -1), ("b".into(), 2)]
            })
        );
        let wide = field_type("Enum16('a' = 1000)")
            .unwrap()
            .enumeration
            .unwrap();
        assert!(!wide.wide, "the derive picks Enum16 for 1000 itself");
    }

    #[test]
    fn unmapped_or_differently_written_types_are_hand_written() {
        assert_eq!(
            mapped("Enum8('a' = 1,'b' = 2)"),
            (
                ENUM.into(),
                vec![r#"type = "Enum8('a' = 1,'b' = 2)""#.into()]
            )
        );
        assert_eq!(
            mapped("Map(String,UInt64)"),
            (
                "std::collections::BTreeMap<String, u64>".into(),
                vec![r#"type = "Map(String,UInt64)""#.into()]
            )
        );
        // `LowCardinality` outside `Nullable` is the only place the derive puts it.
        assert_eq!(
            mapped("Nullable(LowCardinality(String))").1,
            vec![r#"type = "Nullable(LowCardinality(String))""#.to_owned()]
        );
        assert_eq!(
            mapped("Int256"),
            ("atel_sdk::schema::Int256".into(), vec![])
        );
        assert_eq!(
            mapped("UInt256"),
            ("atel_sdk::schema::UInt256".into(), vec![])
        );
        assert_eq!(mapped("JSON"), ("serde_json::Value".into(), vec![]));
        assert_eq!(
            mapped("Tuple(String, Nullable(UInt8))"),
            ("(String, Option<u8>)".into(), vec![])
        );
        assert_eq!(
            mapped("Tuple(Date32)"),
            ("(chrono::NaiveDate,)".into(), vec!["date32".into()])
        );
        assert_eq!(
            mapped("Tuple(LowCardinality(String), UInt8)"),
            (
                "(String, u8)".into(),
                vec![r#"type = "Tuple(LowCardinality(String), UInt8)""#.into()]
            )
        );
        assert_eq!(field_type("Tuple(a String, b UInt8)"), None);
        assert_eq!(
            field_type("AggregateFunction(argMax, String, UInt64)"),
            None
        );
        assert_eq!(field_type("Map(UInt64, String)"), None);
        assert_eq!(field_type("Array(String"), None);
        assert_eq!(field_type("DateTime64(12)"), None);
    }
}
