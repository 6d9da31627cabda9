//! ClickHouse type names as an answer's `meta` writes them, parsed as far as validation cares.

/// A parsed ClickHouse type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ChType {
    Bool,
    UInt(u16),
    Int(u16),
    Float,
    Decimal,
    /// Written as a JSON string: `String`, `FixedString`, `Enum*`, `UUID`, `Date*`, `DateTime*`, `IP*`.
    Text,
    Nullable(Box<Self>),
    /// `LowCardinality(X)`, `SimpleAggregateFunction(f, X)`: read as `X`.
    Wrapper(Box<Self>),
    Array(Box<Self>),
    Map(Box<Self>, Box<Self>),
    Tuple,
    /// `JSON`, `Object(...)`: a JSON object.
    Object,
    /// Anything else: not judged.
    Other,
}

impl ChType {
    /// Parses `Nullable(UInt64)`, `Map(String, Array(LowCardinality(String)))`, …; what it does not
    /// know is [`ChType::Other`].
    pub(super) fn parse(text: &str) -> Self {
        let text = text.trim();
        let (name, args) = match text.find('(') {
            Some(open) if text.ends_with(')') => (
                text[..open].trim(),
                split_args(&text[open + 1..text.len() - 1]),
            ),
            _ => (text, Vec::new()),
        };
        let arg = |i: usize| args.get(i).map_or(Self::Other, |a| Self::parse(a));
        match name {
            "Bool" | "Boolean" => Self::Bool,
            "Float32" | "Float64" | "BFloat16" => Self::Float,
            "String" | "FixedString" | "UUID" | "Date" | "Date32" | "DateTime" | "DateTime32"
            | "DateTime64" | "IPv4" | "IPv6" | "Enum" | "Enum8" | "Enum16" => Self::Text,
            "Nullable" => Self::Nullable(Box::new(arg(0))),
            "LowCardinality" => Self::Wrapper(Box::new(arg(0))),
            "SimpleAggregateFunction" => Self::Wrapper(Box::new(arg(args.len().saturating_sub(1)))),
            "Array" => Self::Array(Box::new(arg(0))),
            "Map" => Self::Map(Box::new(arg(0)), Box::new(arg(1))),
            "Tuple" | "Nested" => Self::Tuple,
            "JSON" | "Object" => Self::Object,
            _ if name.starts_with("Decimal") => Self::Decimal,
            _ => {
                if let Some(bits) = name.strip_prefix("UInt").and_then(|b| b.parse().ok()) {
                    Self::UInt(bits)
                } else if let Some(bits) = name.strip_prefix("Int").and_then(|b| b.parse().ok()) {
                    Self::Int(bits)
                } else {
                    Self::Other
                }
            }
        }
    }
}

/// The arguments of a type, split at top-level commas (not inside parentheses or quotes).
fn split_args(text: &str) -> Vec<&str> {
    let mut args = Vec::new();
    let (mut depth, mut quote, mut escaped, mut start) = (0_u32, false, false, 0);
    for (i, c) in text.char_indices() {
        if quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '\'' => quote = false,
                _ => {}
            }
            continue;
        }
        match c {
            '\'' => quote = true,
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                args.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(text[start..].trim());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_types_parse() {
        assert_eq!(
            ChType::parse("Map(String, Array(LowCardinality(Nullable(String))))"),
            ChType::Map(
                Box::new(ChType::Text),
                Box::new(ChType::Array(Box::new(ChType::Wrapper(Box::new(
                    ChType::Nullable(Box::new(ChType::Text))
                )))))
            )
        );
        assert_eq!(
            ChType::parse("SimpleAggregateFunction(anyLast, Nullable(Int32))"),
            ChType::Wrapper(Box::new(ChType::Nullable(Box::new(ChType::Int(32)))))
        );
        assert_eq!(ChType::parse("Enum8('a,(b' = 1, 'c' = 2)"), ChType::Text);
        assert_eq!(ChType::parse("UInt256"), ChType::UInt(256));
        assert_eq!(ChType::parse("Decimal128(4)"), ChType::Decimal);
        assert_eq!(ChType::parse("Point"), ChType::Other);
        assert_eq!(ChType::parse("Interval"), ChType::Other);
    }
}
