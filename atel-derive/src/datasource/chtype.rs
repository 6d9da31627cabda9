//! The ClickHouse type grammar of `#[tinybird(type = "...")]`: names with arguments, nested
//! `Nullable` / `LowCardinality` / `Array` / `Map` / `Tuple`, `DateTime64(3, 'UTC')`, `Decimal(20, 2)`,
//! `FixedString(2)`, `Enum8('a' = 1)`, …, checked as ClickHouse (and Tinybird's parser) check them.
//!
//! The result, a [`Ty`], is what the generated code compares with the field's Rust type
//! (`atel_sdk::shape::fits`); the text itself is written to the datafile as it was given.

/// A checked ClickHouse type, as far as the round-trip check cares (`atel_sdk::shape::ChShape`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    String,
    FixedString,
    Enum,
    Uuid,
    Ipv4,
    Ipv6,
    Bool,
    UInt(u16),
    Int(u16),
    Float(u16),
    Date,
    DateTime,
    Decimal,
    Nullable(Box<Self>),
    LowCardinality(Box<Self>),
    SimpleAggregate(Box<Self>),
    Array(Box<Self>),
    Map(Box<Self>, Box<Self>),
    /// `AggregateFunction(f, T...)`: only an `AggregateState` holds it.
    AggregateFunction,
    /// An unnamed `Tuple(A, B, ...)`.
    Tuple(Vec<Self>),
    /// `JSON`, with or without parameters.
    Json,
    /// Named tuples, `Variant`, `Dynamic`, …: valid, but no Rust type maps to them.
    Other,
}

/// Parses and checks `text`; the error is a message for the literal.
pub(crate) fn parse(text: &str) -> Result<Ty, String> {
    let tokens = lex(text)?;
    let mut parser = Parser { tokens, at: 0 };
    let node = parser.node()?;
    if let Some(token) = parser.peek() {
        return Err(format!(
            "invalid ClickHouse type `{text}`: unexpected `{}` after `{}`",
            token.text(),
            node.name
        ));
    }
    check(&node)
}

/// Every type family the grammar knows, for suggestions.
const FAMILIES: &[&str] = &[
    "String",
    "FixedString",
    "Bool",
    "UUID",
    "IPv4",
    "IPv6",
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "UInt128",
    "UInt256",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Int128",
    "Int256",
    "Float32",
    "Float64",
    "Date",
    "Date32",
    "DateTime",
    "DateTime64",
    "Decimal",
    "Decimal32",
    "Decimal64",
    "Decimal128",
    "Decimal256",
    "Enum",
    "Enum8",
    "Enum16",
    "Nullable",
    "LowCardinality",
    "Array",
    "Map",
    "Tuple",
    "Nested",
    "JSON",
    "Variant",
    "Dynamic",
    "SimpleAggregateFunction",
    "AggregateFunction",
    "Point",
    "Ring",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
];

/// SQL spellings ClickHouse takes as aliases, and the name to write instead.
const ALIASES: &[(&str, &str)] = &[
    ("INT", "Int32"),
    ("INTEGER", "Int32"),
    ("BIGINT", "Int64"),
    ("SMALLINT", "Int16"),
    ("TINYINT", "Int8"),
    ("DOUBLE", "Float64"),
    ("FLOAT", "Float32"),
    ("REAL", "Float32"),
    ("TEXT", "String"),
    ("VARCHAR", "String"),
    ("CHAR", "String"),
    ("BOOLEAN", "Bool"),
    ("TIMESTAMP", "DateTime"),
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Number(String),
    Str(String),
    Open,
    Close,
    Comma,
    Equals,
}

impl Token {
    fn text(&self) -> String {
        match self {
            Self::Ident(text) | Self::Number(text) => text.clone(),
            Self::Str(text) => format!("'{text}'"),
            Self::Open => "(".into(),
            Self::Close => ")".into(),
            Self::Comma => ",".into(),
            Self::Equals => "=".into(),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&ch) = chars.get(i) {
        let start = i;
        i += 1;
        match ch {
            c if c.is_whitespace() => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            ',' => tokens.push(Token::Comma),
            '=' => tokens.push(Token::Equals),
            '\'' => {
                let mut value = String::new();
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!("invalid ClickHouse type `{text}`: unclosed `'`"));
                        }
                        Some('\\') => {
                            value.extend(chars.get(i + 1));
                            i += 2;
                        }
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            value.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Str(value));
            }
            '`' => {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == '`')
                    .ok_or_else(|| format!("invalid ClickHouse type `{text}`: unclosed `` ` ``"))?;
                tokens.push(Token::Ident(chars[i..i + end].iter().collect()));
                i += end + 1;
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '.')
                {
                    i += 1;
                }
                tokens.push(Token::Number(chars[start..i].iter().collect()));
            }
            c if c.is_alphabetic() || c == '_' => {
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => {
                return Err(format!(
                    "invalid ClickHouse type `{text}`: unexpected `{other}`"
                ));
            }
        }
    }
    Ok(tokens)
}

/// `Name` or `Name(arg, ...)`, before any check.
#[derive(Debug)]
struct Node {
    name: String,
    args: Option<Vec<Arg>>,
}

#[derive(Debug)]
enum Arg {
    /// A type, or a function name (`AggregateFunction(sum, UInt64)`).
    Node(Node),
    /// `name Type`, in `Tuple` and `Nested`.
    Named(String, Node),
    Number(String),
    Str(String),
    /// `'name' = value`, in `Enum`.
    Item(String, String),
    /// `key = value`, in `JSON` and `Dynamic`.
    Setting(String),
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek2(&self) -> Option<&Token> {
        self.tokens.get(self.at + 1)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn node(&mut self) -> Result<Node, String> {
        let name = match self.next() {
            Some(Token::Ident(name)) => name,
            Some(other) => return Err(format!("expected a type name, found `{}`", other.text())),
            None => return Err("expected a type name".into()),
        };
        if self.peek() != Some(&Token::Open) {
            return Ok(Node { name, args: None });
        }
        self.at += 1;
        let mut args = Vec::new();
        if self.peek() == Some(&Token::Close) {
            self.at += 1;
            return Ok(Node {
                name,
                args: Some(args),
            });
        }
        loop {
            args.push(self.arg()?);
            match self.next() {
                Some(Token::Comma) => {}
                Some(Token::Close) => break,
                Some(other) => {
                    return Err(format!(
                        "expected `,` or `)` in `{name}(...)`, found `{}`",
                        other.text()
                    ));
                }
                None => return Err(format!("`{name}(` is not closed, expected `)`")),
            }
        }
        Ok(Node {
            name,
            args: Some(args),
        })
    }

    fn arg(&mut self) -> Result<Arg, String> {
        match (self.peek().cloned(), self.peek2()) {
            (Some(Token::Str(text)), Some(Token::Equals)) => {
                self.at += 2;
                match self.next() {
                    Some(Token::Number(value)) => Ok(Arg::Item(text, value)),
                    _ => Err(format!("expected a number after `'{text}' =`")),
                }
            }
            (Some(Token::Str(text)), _) => {
                self.at += 1;
                Ok(Arg::Str(text))
            }
            (Some(Token::Number(value)), _) => {
                self.at += 1;
                Ok(Arg::Number(value))
            }
            (Some(Token::Ident(key)), Some(Token::Equals)) => {
                self.at += 2;
                self.next();
                Ok(Arg::Setting(key))
            }
            (Some(Token::Ident(name)), Some(Token::Ident(_))) => {
                self.at += 1;
                Ok(Arg::Named(name, self.node()?))
            }
            _ => Ok(Arg::Node(self.node()?)),
        }
    }
}

/// The family's own rules, then its arguments'.
fn check(node: &Node) -> Result<Ty, String> {
    let name = node.name.as_str();
    let args = node.args.as_deref();
    let no_args = |ty: Ty| match args {
        None => Ok(ty),
        Some(_) => Err(format!("`{name}` takes no arguments")),
    };
    match name {
        "String" => no_args(Ty::String),
        "Bool" => no_args(Ty::Bool),
        "UUID" => no_args(Ty::Uuid),
        "IPv4" => no_args(Ty::Ipv4),
        "IPv6" => no_args(Ty::Ipv6),
        "Date" | "Date32" => no_args(Ty::Date),
        "Float32" => no_args(Ty::Float(32)),
        "Float64" => no_args(Ty::Float(64)),
        "Point" | "Ring" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon" => {
            no_args(Ty::Other)
        }
        _ if integer_bits(name).is_some() => {
            let (signed, bits) = integer_bits(name).unwrap_or_default();
            no_args(if signed {
                Ty::Int(bits)
            } else {
                Ty::UInt(bits)
            })
        }
        "FixedString" => match args {
            Some([Arg::Number(n)]) if n.parse::<u32>().is_ok_and(|n| n > 0) => Ok(Ty::FixedString),
            _ => Err("`FixedString` takes its length in bytes, e.g. `FixedString(2)`".into()),
        },
        "DateTime" => match args {
            None | Some([Arg::Str(_)]) => Ok(Ty::DateTime),
            _ => Err("`DateTime` takes an optional time zone, e.g. `DateTime('UTC')`".into()),
        },
        "DateTime64" => match args {
            Some([Arg::Number(p)] | [Arg::Number(p), Arg::Str(_)])
                if p.parse::<u8>().is_ok_and(|p| p <= 9) =>
            {
                Ok(Ty::DateTime)
            }
            _ => Err(
                "`DateTime64` takes a precision from 0 to 9 and an optional time zone, e.g. \
                 `DateTime64(3)` or `DateTime64(3, 'UTC')`"
                    .into(),
            ),
        },
        "Decimal" => decimal(args),
        "Decimal32" | "Decimal64" | "Decimal128" | "Decimal256" => {
            let max: u16 = match name {
                "Decimal32" => 9,
                "Decimal64" => 18,
                "Decimal128" => 38,
                _ => 76,
            };
            match args {
                Some([Arg::Number(s)]) if s.parse::<u16>().is_ok_and(|s| s <= max) => {
                    Ok(Ty::Decimal)
                }
                _ => Err(format!(
                    "`{name}` takes a scale from 0 to {max}, e.g. `{name}(2)`"
                )),
            }
        }
        "Enum" | "Enum8" | "Enum16" => enumeration(name, args),
        "Nullable" => {
            let inner = one_type(name, args)?;
            if nullable_holds(&inner) {
                Ok(Ty::Nullable(Box::new(inner)))
            } else {
                Err(format!(
                    "`Nullable` cannot hold `{}`: ClickHouse has no nullable arrays, maps, tuples, \
                     `LowCardinality` or `Nullable` (write `LowCardinality(Nullable(...))` for a \
                     nullable dictionary-encoded string)",
                    describe(args)
                ))
            }
        }
        "LowCardinality" => {
            let inner = one_type(name, args)?;
            let value = match &inner {
                Ty::Nullable(value) => value.as_ref(),
                other => other,
            };
            if matches!(value, Ty::String | Ty::FixedString) {
                Ok(Ty::LowCardinality(Box::new(inner)))
            } else {
                Err(format!(
                    "`LowCardinality` cannot hold `{}`: ClickHouse (and so Tinybird) accepts \
                     `LowCardinality` only of `String` and `FixedString`, maybe `Nullable` (so \
                     `Array(LowCardinality(String))`, not `LowCardinality(Array(String))`)",
                    describe(args)
                ))
            }
        }
        "Array" => Ok(Ty::Array(Box::new(one_type(name, args)?))),
        "Map" => match args {
            Some([Arg::Node(key), Arg::Node(value)]) => {
                let key = check(key)?;
                if matches!(&key, Ty::Nullable(_))
                    || matches!(&key, Ty::LowCardinality(inner) if matches!(**inner, Ty::Nullable(_)))
                {
                    return Err("a `Map` key cannot be `Nullable`".into());
                }
                Ok(Ty::Map(Box::new(key), Box::new(check(value)?)))
            }
            _ => Err("`Map` takes a key type and a value type, e.g. `Map(String, UInt64)`".into()),
        },
        "Tuple" | "Nested" | "Variant" => {
            let named = name == "Nested";
            for arg in args.unwrap_or_default() {
                match arg {
                    Arg::Named(_, ty) => check(ty).map(drop)?,
                    Arg::Node(ty) if !named => check(ty).map(drop)?,
                    _ if named => {
                        return Err(
                            "`Nested` takes named columns, e.g. `Nested(id UInt64, name String)`"
                                .into(),
                        );
                    }
                    _ => {
                        return Err(format!(
                            "`{name}` takes types, e.g. `{name}(String, UInt64)`"
                        ));
                    }
                }
            }
            if args.is_none_or(<[Arg]>::is_empty) && name != "Tuple" {
                return Err(format!("`{name}` takes at least one type"));
            }
            // An unnamed tuple is a JSON array, which a Rust tuple reads.
            let items: Option<Vec<&Node>> = args.filter(|args| !args.is_empty()).and_then(|args| {
                args.iter()
                    .map(|arg| match arg {
                        Arg::Node(ty) => Some(ty),
                        _ => None,
                    })
                    .collect()
            });
            match items {
                Some(items) if name == "Tuple" => Ok(Ty::Tuple(
                    items.into_iter().map(check).collect::<Result<_, _>>()?,
                )),
                _ => Ok(Ty::Other),
            }
        }
        "JSON" => Ok(Ty::Json),
        "Dynamic" => Ok(Ty::Other),
        "SimpleAggregateFunction" => match args {
            Some([Arg::Node(_), Arg::Node(ty)]) => Ok(Ty::SimpleAggregate(Box::new(check(ty)?))),
            _ => Err(
                "`SimpleAggregateFunction` takes a function and a type, e.g. \
                 `SimpleAggregateFunction(sum, UInt64)`"
                    .into(),
            ),
        },
        "AggregateFunction" => match args {
            Some([Arg::Node(_), types @ ..]) => {
                for arg in types {
                    match arg {
                        Arg::Node(ty) => check(ty).map(drop)?,
                        _ => return Err("`AggregateFunction` takes a function, then types".into()),
                    }
                }
                Ok(Ty::AggregateFunction)
            }
            _ => Err("`AggregateFunction` takes a function and types, e.g. \
                 `AggregateFunction(uniq, String)`"
                .into()),
        },
        unknown => Err(unknown_family(unknown)),
    }
}

/// `UInt8` → `(false, 8)`, `Int256` → `(true, 256)`.
fn integer_bits(name: &str) -> Option<(bool, u16)> {
    let (signed, bits) = match name.strip_prefix("UInt") {
        Some(bits) => (false, bits),
        None => (true, name.strip_prefix("Int")?),
    };
    let bits = bits.parse().ok()?;
    [8, 16, 32, 64, 128, 256]
        .contains(&bits)
        .then_some((signed, bits))
}

fn decimal(args: Option<&[Arg]>) -> Result<Ty, String> {
    let number = |text: &str| text.parse::<u16>().ok();
    let (precision, scale) = match args {
        None => return Ok(Ty::Decimal),
        Some([Arg::Number(p)]) => (number(p), Some(0)),
        Some([Arg::Number(p), Arg::Number(s)]) => (number(p), number(s)),
        _ => (None, None),
    };
    match (precision, scale) {
        (Some(p @ 1..=76), Some(s)) if s <= p => Ok(Ty::Decimal),
        (Some(p @ 1..=76), Some(s)) => Err(format!(
            "`Decimal({p}, {s})` has a scale larger than its precision"
        )),
        _ => Err(
            "`Decimal` takes a precision from 1 to 76 and a scale, e.g. `Decimal(20, 2)`".into(),
        ),
    }
}

fn enumeration(name: &str, args: Option<&[Arg]>) -> Result<Ty, String> {
    let (min, max) = match name {
        "Enum8" => (i64::from(i8::MIN), i64::from(i8::MAX)),
        _ => (i64::from(i16::MIN), i64::from(i16::MAX)),
    };
    let usage = format!("`{name}` takes named values, e.g. `{name}('draft' = 1, 'paid' = 2)`");
    let items = args
        .filter(|items| !items.is_empty())
        .ok_or_else(|| usage.clone())?;
    let mut names = Vec::new();
    let mut values = Vec::new();
    for item in items {
        let (label, value) = match item {
            Arg::Item(label, value) => (label, Some(value)),
            Arg::Str(label) => (label, None),
            _ => return Err(usage),
        };
        if names.contains(&label) {
            return Err(format!("`{name}` names `'{label}'` twice"));
        }
        names.push(label);
        if let Some(value) = value {
            match value.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => {
                    if values.contains(&n) {
                        return Err(format!("`{name}` gives the value {n} twice"));
                    }
                    values.push(n);
                }
                _ => {
                    return Err(format!(
                        "`{name}` values are from {min} to {max}, `'{label}'` is {value}"
                    ));
                }
            }
        }
    }
    Ok(Ty::Enum)
}

fn one_type(name: &str, args: Option<&[Arg]>) -> Result<Ty, String> {
    match args {
        Some([Arg::Node(inner)]) => check(inner),
        _ => Err(format!("`{name}` takes one type, e.g. `{name}(String)`")),
    }
}

/// The first argument as written, for messages.
fn describe(args: Option<&[Arg]>) -> String {
    fn node(node: &Node) -> String {
        match &node.args {
            None => node.name.clone(),
            Some(args) => format!(
                "{}({})",
                node.name,
                args.iter().map(arg).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    fn arg(arg: &Arg) -> String {
        match arg {
            Arg::Node(n) => node(n),
            Arg::Named(name, n) => format!("{name} {}", node(n)),
            Arg::Number(n) => n.clone(),
            Arg::Str(s) => format!("'{s}'"),
            Arg::Item(s, n) => format!("'{s}' = {n}"),
            Arg::Setting(key) => format!("{key} = …"),
        }
    }
    args.and_then(<[Arg]>::first).map(arg).unwrap_or_default()
}

/// What ClickHouse lets `Nullable` hold: a plain value.
fn nullable_holds(ty: &Ty) -> bool {
    !matches!(
        ty,
        Ty::Nullable(_)
            | Ty::LowCardinality(_)
            | Ty::SimpleAggregate(_)
            | Ty::Array(_)
            | Ty::Map(..)
            | Ty::AggregateFunction
            | Ty::Tuple(_)
            | Ty::Json
            | Ty::Other
    )
}

/// "unknown type", with the nearest names: an alias's canonical name or the same name in another
/// case, else the families at the smallest edit distance (at most 2, 1 for short names).
fn unknown_family(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let limit = if name.len() < 5 { 1 } else { 2 };
    let mut scored: Vec<(usize, &str)> = ALIASES
        .iter()
        .filter(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, canonical)| (0, *canonical))
        .chain(
            FAMILIES
                .iter()
                .map(|family| (distance(&family.to_ascii_lowercase(), &lower), *family)),
        )
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort_by_key(|(d, _)| *d);
    let best = scored.first().map(|(d, _)| *d);
    let close: Vec<String> = scored
        .iter()
        .filter(|(d, _)| Some(*d) == best)
        .take(3)
        .map(|(_, family)| format!("`{family}`"))
        .collect();
    match close.as_slice() {
        [] => format!(
            "unknown ClickHouse type `{name}`, expected a type such as `String`, `UInt64`, \
             `Float64`, `DateTime64(3)`, `Decimal(20, 2)` or `Array(String)`"
        ),
        [one] => format!("unknown ClickHouse type `{name}`, did you mean {one}?"),
        [init @ .., last] => format!(
            "unknown ClickHouse type `{name}`, did you mean {} or {last}?",
            init.join(", ")
        ),
    }
}

/// Levenshtein distance.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(current).min(row[j])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{Ty, parse};

    #[test]
    fn unnamed_tuples_and_json_are_checked_types_named_tuples_are_not() {
        assert_eq!(
            parse("Tuple(String, Nullable(UInt8))"),
            Ok(Ty::Tuple(vec![
                Ty::String,
                Ty::Nullable(Box::new(Ty::UInt(8)))
            ]))
        );
        assert_eq!(parse("Tuple(a String, b UInt8)"), Ok(Ty::Other));
        assert_eq!(parse("Tuple()"), Ok(Ty::Other));
        assert_eq!(parse("JSON"), Ok(Ty::Json));
        assert_eq!(parse("JSON(max_dynamic_paths = 10)"), Ok(Ty::Json));
        assert!(parse("Nullable(Tuple(String))").is_err());
        assert!(parse("Nullable(JSON)").is_err());
        assert!(parse("Tuple(Strng)").is_err());
    }

    #[test]
    fn what_the_repository_and_tinybird_use_parses() {
        for text in [
            "DateTime('UTC')",
            "Array(LowCardinality(String))",
            "LowCardinality(Nullable(String))",
            "DateTime64(3, 'Europe/Madrid')",
            "Decimal(20, 2)",
            "Decimal",
            "Decimal128(4)",
            "FixedString(2)",
            "Enum8('draft' = 1, 'paid' = 2, 'it''s' = -3)",
            "Enum('a', 'b')",
            "Map(LowCardinality(String), Array(Nullable(Float64)))",
            "Tuple(a String, b Nullable(UInt8))",
            "Tuple(String, UInt8)",
            "Nested(id UInt64, name String)",
            "SimpleAggregateFunction(sum, UInt64)",
            "AggregateFunction(quantiles(0.5, 0.9), UInt64)",
            "JSON(max_dynamic_paths = 10)",
            "Variant(String, UInt8)",
            "  UInt256 ",
            "IPv6",
        ] {
            assert!(parse(text).is_ok(), "{text}: {:?}", parse(text));
        }
        assert_eq!(
            parse("Array(LowCardinality(Nullable(String)))"),
            Ok(Ty::Array(Box::new(Ty::LowCardinality(Box::new(
                Ty::Nullable(Box::new(Ty::String))
            )))))
        );
        assert_eq!(
            parse("SimpleAggregateFunction(max, Int16)"),
            Ok(Ty::SimpleAggregate(Box::new(Ty::Int(16))))
        );
    }

    #[test]
    fn mistakes_are_named() {
        let error = |text: &str| parse(text).unwrap_err();
        assert_eq!(
            error("Strng"),
            "unknown ClickHouse type `Strng`, did you mean `String`?"
        );
        assert_eq!(
            error("uint8"),
            "unknown ClickHouse type `uint8`, did you mean `UInt8`?"
        );
        assert_eq!(
            error("DOUBLE"),
            "unknown ClickHouse type `DOUBLE`, did you mean `Float64`?"
        );
        assert_eq!(
            error("Int33"),
            "unknown ClickHouse type `Int33`, did you mean `Int32`?"
        );
        assert!(error("Blob").starts_with("unknown ClickHouse type `Blob`, expected a type"));
        assert!(
            error("Nullable(Array(String))").starts_with("`Nullable` cannot hold `Array(String)`")
        );
        assert!(
            error("LowCardinality(UInt64)").starts_with("`LowCardinality` cannot hold `UInt64`")
        );
        assert!(error("LowCardinality(Array(String))").starts_with("`LowCardinality` cannot hold"));
        assert_eq!(
            error("Map(Nullable(String), UInt8)"),
            "a `Map` key cannot be `Nullable`"
        );
        assert!(error("Decimal(77, 2)").starts_with("`Decimal` takes a precision from 1 to 76"));
        assert_eq!(
            error("Decimal(20, 21)"),
            "`Decimal(20, 21)` has a scale larger than its precision"
        );
        assert!(error("DateTime64(10)").starts_with("`DateTime64` takes a precision from 0 to 9"));
        assert!(error("FixedString(0)").starts_with("`FixedString` takes its length"));
        assert_eq!(
            error("Enum8('a' = 200)"),
            "`Enum8` values are from -128 to 127, `'a'` is 200"
        );
        assert_eq!(
            error("Enum8('a' = 1, 'a' = 2)"),
            "`Enum8` names `'a'` twice"
        );
        assert_eq!(error("String(3)"), "`String` takes no arguments");
        assert_eq!(
            error("Array(String"),
            "`Array(` is not closed, expected `)`"
        );
        assert!(error("Array(String) x").contains("unexpected `x`"));
        assert!(error("Map(String)").starts_with("`Map` takes a key type and a value type"));
        assert!(error("Nullable(Nullable(String))").starts_with("`Nullable` cannot hold"));
    }
}
