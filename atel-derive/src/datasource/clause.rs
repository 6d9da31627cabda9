//! The small grammars inside attribute values that ClickHouse checks at deploy time and the derive
//! checks at compile time instead: `CODEC(...)` lists and index `TYPE`s.

use super::chtype::distance;
use crate::meta::list;

/// Index types ClickHouse has, with how many arguments each may take (their values ClickHouse checks).
const INDEX_TYPES: &[(&str, &[usize])] = &[
    ("minmax", &[0]),
    ("set", &[1]),
    ("bloom_filter", &[0, 1]),
    ("tokenbf_v1", &[3]),
    ("ngrambf_v1", &[4]),
];

/// `bloom_filter(0.01)`: a known index type with as many arguments as it takes.
pub(crate) fn check_index_type(text: &str) -> Result<(), String> {
    let text = text.trim();
    let (family, args) = match text.split_once('(') {
        Some((family, rest)) => {
            let Some(args) = rest.trim_end().strip_suffix(')') else {
                return Err(format!("invalid index type `{text}`: `(` is not closed"));
            };
            let count = if args.trim().is_empty() {
                0
            } else {
                args.split(',').count()
            };
            (family.trim(), count)
        }
        None => (text, 0),
    };
    let Some((_, counts)) = INDEX_TYPES.iter().find(|(name, _)| *name == family) else {
        let names: Vec<&str> = INDEX_TYPES.iter().map(|(name, _)| *name).collect();
        return Err(format!(
            "unknown index type `{family}`, expected one of {}",
            list(&names)
        ));
    };
    if counts.contains(&args) {
        return Ok(());
    }
    let example = match family {
        "set" => "`set(100)`",
        "bloom_filter" => "`bloom_filter` or `bloom_filter(0.01)`",
        "tokenbf_v1" => "`tokenbf_v1(32768, 3, 0)`",
        "ngrambf_v1" => "`ngrambf_v1(3, 256, 2, 0)`",
        _ => "`minmax`",
    };
    Err(format!(
        "`{family}` takes {} argument{}, e.g. {example}",
        counts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" or "),
        if counts == &[1] { "" } else { "s" }
    ))
}

/// The codecs ClickHouse has, and the arguments each takes: `None` for none, else the allowed values.
const CODECS: &[(&str, Option<&[i64]>)] = &[
    ("NONE", None),
    ("LZ4", None),
    ("LZ4HC", Some(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
    (
        "ZSTD",
        Some(&[
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
        ]),
    ),
    ("Delta", Some(&[1, 2, 4, 8])),
    ("DoubleDelta", Some(&[1, 2, 4, 8])),
    ("Gorilla", Some(&[1, 2, 4, 8])),
    ("T64", None),
    ("GCD", None),
    (
        "FPC",
        Some(&[
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
            25, 26, 27, 28,
        ]),
    ),
];

/// `Delta(8), ZSTD(1)`: a list of known codecs, each with an argument it takes (or none, its default).
pub(crate) fn check_codec(text: &str) -> Result<(), String> {
    let trimmed = text.trim();
    if trimmed.len() >= 6 && trimmed[..6].eq_ignore_ascii_case("codec(") {
        return Err(format!(
            "write the codecs without `CODEC(...)`, e.g. `codec = \"{}\"`",
            trimmed[6..].strip_suffix(')').unwrap_or(&trimmed[6..])
        ));
    }
    let names: Vec<&str> = CODECS.iter().map(|(name, _)| *name).collect();
    let mut depth = 0_usize;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, ch) in trimmed.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&trimmed[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&trimmed[start..]);
    for part in parts {
        let part = part.trim();
        let (name, arg) = match part.split_once('(') {
            Some((name, rest)) => match rest.strip_suffix(')') {
                Some(arg) => (name.trim(), Some(arg.trim())),
                None => return Err(format!("invalid codec `{part}`: `(` is not closed")),
            },
            None => (part, None),
        };
        if name.is_empty() {
            return Err(format!(
                "invalid codec list `{trimmed}`: a codec is missing"
            ));
        }
        let Some((name, args)) = CODECS
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
        else {
            return Err(format!(
                "unknown codec `{name}`, expected one of {}",
                list(&names)
            ));
        };
        match (arg, args) {
            (None, _) => {}
            (Some(_), None) => return Err(format!("`{name}` takes no argument")),
            (Some(arg), Some(allowed)) => {
                if !arg
                    .parse::<i64>()
                    .is_ok_and(|value| allowed.contains(&value))
                {
                    let range = match allowed {
                        [first, .., last]
                            if *last - *first + 1 == i64::try_from(allowed.len()).unwrap_or(0) =>
                        {
                            format!("from {first} to {last}")
                        }
                        _ => format!(
                            "one of {}",
                            allowed
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    return Err(format!("`{name}` takes {range}, found `{arg}`"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_codec, check_index_type};

    #[test]
    fn codecs_of_the_template_and_their_mistakes() {
        for ok in [
            "ZSTD(1)",
            "Delta(8), ZSTD(1)",
            "Delta, ZSTD(1)",
            "LZ4",
            "T64, lz4hc(9)",
        ] {
            assert_eq!(check_codec(ok), Ok(()), "{ok}");
        }
        let err = |text: &str| check_codec(text).unwrap_err();
        assert_eq!(
            err("CODEC(ZSTD(1))"),
            "write the codecs without `CODEC(...)`, e.g. `codec = \"ZSTD(1)\"`"
        );
        assert_eq!(err("ZSTD(23)"), "`ZSTD` takes from 1 to 22, found `23`");
        assert_eq!(
            err("Delta(3)"),
            "`Delta` takes one of 1, 2, 4, 8, found `3`"
        );
        assert_eq!(err("LZ4(1)"), "`LZ4` takes no argument");
        assert!(
            err("Zstandard(1)").starts_with("unknown codec `Zstandard`, expected one of `NONE`")
        );
        assert_eq!(
            err("ZSTD(1),"),
            "invalid codec list `ZSTD(1),`: a codec is missing"
        );
        assert_eq!(err("ZSTD(1"), "invalid codec `ZSTD(1`: `(` is not closed");
    }

    #[test]
    fn index_types_and_their_arguments() {
        for ok in [
            "minmax",
            "set(100)",
            "bloom_filter",
            "bloom_filter(0.001)",
            "tokenbf_v1(32768, 3, 0)",
            "ngrambf_v1(3, 256, 2, 0)",
        ] {
            assert_eq!(check_index_type(ok), Ok(()), "{ok}");
        }
        let err = |text: &str| check_index_type(text).unwrap_err();
        assert_eq!(
            err("tokenbf_v1(32768)"),
            "`tokenbf_v1` takes 3 arguments, e.g. `tokenbf_v1(32768, 3, 0)`"
        );
        assert_eq!(err("set"), "`set` takes 1 argument, e.g. `set(100)`");
        assert!(
            err("bloom(0.1)").starts_with("unknown index type `bloom`, expected one of `minmax`")
        );
    }
}

/// Aggregate functions a `-State` column commonly holds. Combinator suffixes (`uniqIf`,
/// `sumArray`, …) are taken off before the name is looked up.
const AGGREGATE_FUNCTIONS: &[&str] = &[
    "sum",
    "uniq",
    "quantiles",
    "any",
    "anyHeavy",
    "anyLast",
    "argMax",
    "argMin",
    "avg",
    "avgWeighted",
    "count",
    "entropy",
    "groupArray",
    "groupArraySample",
    "groupBitAnd",
    "groupBitOr",
    "groupBitXor",
    "groupBitmap",
    "groupUniqArray",
    "histogram",
    "max",
    "maxMap",
    "median",
    "min",
    "minMap",
    "quantile",
    "quantileExact",
    "quantileTDigest",
    "quantileTiming",
    "quantilesExact",
    "quantilesTDigest",
    "quantilesTiming",
    "stddevPop",
    "stddevSamp",
    "sumMap",
    "sumWithOverflow",
    "topK",
    "topKWeighted",
    "uniqCombined",
    "uniqCombined64",
    "uniqExact",
    "uniqHLL12",
    "uniqTheta",
    "varPop",
    "varSamp",
];

/// Functions `SimpleAggregateFunction` accepts: the result of merging two values is the function of
/// them, so the column stores plain values.
const SIMPLE_AGGREGATE_FUNCTIONS: &[&str] = &[
    "sum",
    "max",
    "min",
    "any",
    "anyLast",
    "sumWithOverflow",
    "groupBitAnd",
    "groupBitOr",
    "groupBitXor",
    "groupArrayArray",
    "groupUniqArrayArray",
    "sumMap",
    "minMap",
    "maxMap",
];

const COMBINATORS: &[&str] = &[
    "If",
    "Array",
    "Distinct",
    "OrNull",
    "OrDefault",
    "ForEach",
    "Map",
    "Resample",
];

/// `uniq`, `quantiles(0.5, 0.9)`, `uniqIf`: the function of an `AggregateFunction` column, checked.
pub(crate) fn check_aggregate_function(text: &str) -> Result<(), String> {
    let name = function_name(text)?;
    let mut base = name;
    loop {
        if AGGREGATE_FUNCTIONS.contains(&base) {
            return Ok(());
        }
        match COMBINATORS
            .iter()
            .find_map(|combinator| base.strip_suffix(combinator).filter(|b| !b.is_empty()))
        {
            Some(shorter) => base = shorter,
            None => break,
        }
    }
    Err(unknown_function(
        name,
        AGGREGATE_FUNCTIONS,
        "an aggregate function",
    ))
}

/// `sum`, `max`, `anyLast`: the function of a `SimpleAggregateFunction` column, checked.
pub(crate) fn check_simple_aggregate_function(text: &str) -> Result<(), String> {
    let name = function_name(text)?;
    if text.contains('(') {
        return Err(format!(
            "`SimpleAggregateFunction` takes a function without parameters, found `{}`",
            text.trim()
        ));
    }
    if SIMPLE_AGGREGATE_FUNCTIONS.contains(&name) {
        return Ok(());
    }
    Err(unknown_function(
        name,
        SIMPLE_AGGREGATE_FUNCTIONS,
        "a function `SimpleAggregateFunction` takes (its merge of two values is the function of them)",
    ))
}

/// The identifier before an optional `(params)`, which must be closed.
fn function_name(text: &str) -> Result<&str, String> {
    let text = text.trim();
    let (name, rest) = text.split_once('(').unwrap_or((text, ""));
    let name = name.trim();
    let identifier = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return Err(format!(
            "invalid aggregate function `{text}`, expected a name with optional parameters, e.g. \
             `uniq` or `quantiles(0.5, 0.9)`"
        ));
    }
    if text.contains('(') && !rest.trim_end().ends_with(')') {
        return Err(format!(
            "invalid aggregate function `{text}`: `(` is not closed"
        ));
    }
    Ok(name)
}

/// `` `a`, `b` or `c` ``
fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!("{} or `{last}`", list(init)),
    }
}

fn unknown_function(name: &str, known: &[&str], what: &str) -> String {
    let examples = or_list(&known[..3.min(known.len())]);
    let lower = name.to_ascii_lowercase();
    let close: Vec<&str> = known
        .iter()
        .copied()
        .filter(|known| {
            let known = known.to_ascii_lowercase();
            known == lower || distance(&known, &lower) <= 2
        })
        .take(3)
        .collect();
    if close.is_empty() {
        format!("unknown aggregate function `{name}`, expected {what}, such as {examples}")
    } else {
        format!(
            "unknown aggregate function `{name}`, did you mean {}?",
            or_list(&close)
        )
    }
}

#[cfg(test)]
mod aggregate_tests {
    use super::{check_aggregate_function, check_simple_aggregate_function};

    #[test]
    fn aggregate_functions_are_checked() {
        assert!(check_aggregate_function("uniq").is_ok());
        assert!(check_aggregate_function("quantiles(0.5, 0.9)").is_ok());
        assert!(check_aggregate_function("uniqIf").is_ok());
        assert!(check_aggregate_function("sumArrayIf").is_ok());
        assert!(check_aggregate_function("argMax").is_ok());
        assert_eq!(
            check_aggregate_function("summ").unwrap_err(),
            "unknown aggregate function `summ`, did you mean `sum` or `sumMap`?"
        );
        assert!(check_aggregate_function("quantiles(0.5").is_err());
        assert!(check_aggregate_function("1x").is_err());
        assert!(check_simple_aggregate_function("max").is_ok());
        assert!(check_simple_aggregate_function("uniq").is_err());
        assert!(check_simple_aggregate_function("sum(1)").is_err());
    }
}
