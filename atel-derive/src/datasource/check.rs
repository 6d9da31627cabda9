//! Rules across attributes and columns: column names unique and present, engine keys and index
//! expressions naming real columns, `ver` only with `ReplacingMergeTree`.

use std::collections::{HashMap, HashSet};

use syn::LitStr;

use super::ast::{Column, Container};
use crate::ctxt::Ctxt;
use crate::meta::list;

pub(crate) fn check(cx: &mut Ctxt, cont: &Container<'_>) {
    check_columns(cx, cont);
    let columns: Vec<&str> = cont.columns.iter().map(|c| c.name.as_str()).collect();
    if columns.is_empty() {
        return;
    }
    let attrs = &cont.attrs;
    for (key, lit) in [
        ("sorting_key", &attrs.sorting_key),
        ("partition_key", &attrs.partition_key),
        ("ttl", &attrs.ttl),
        ("primary_key", &attrs.primary_key),
        ("sampling_key", &attrs.sampling_key),
        ("summing_columns", &attrs.summing_columns),
    ] {
        if let Some(lit) = lit {
            let mut reported = HashSet::new();
            for name in referenced_columns(&lit.value()) {
                if !columns.contains(&name.as_str()) && reported.insert(name.clone()) {
                    unknown_column(cx, lit, &name, key, &columns);
                }
            }
        }
    }
    for index in &attrs.indexes {
        let mut reported = HashSet::new();
        for name in referenced_columns(&index.expr) {
            if !columns.contains(&name.as_str()) && reported.insert(name.clone()) {
                unknown_column(cx, &index.lit, &name, "index", &columns);
            }
        }
    }
    if let Some(lit) = &attrs.sorting_key {
        let mut reported = HashSet::new();
        for name in referenced_columns(&lit.value()) {
            let column = cont.columns.iter().find(|c| c.name == name);
            if column.is_some_and(Column::is_nullable) && reported.insert(name.clone()) {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "column `{name}` is `Nullable` and cannot be in `sorting_key`, \
                         Tinybird rejects nullable sorting key columns"
                    ),
                );
            }
        }
    }
    check_engine_params(cx, cont, &columns);
    if let (Some(primary), Some(sorting)) = (&attrs.primary_key, &attrs.sorting_key) {
        let (primary_parts, sorting_parts) =
            (key_parts(&primary.value()), key_parts(&sorting.value()));
        if primary_parts.len() > sorting_parts.len()
            || primary_parts
                .iter()
                .zip(&sorting_parts)
                .any(|(p, s)| p != s)
        {
            cx.error_spanned_by(
                primary,
                format!(
                    "`primary_key` must be a prefix of `sorting_key` (`{}`), ClickHouse refuses any \
                     other",
                    sorting.value().trim()
                ),
            );
        }
    } else if let Some(primary) = &attrs.primary_key {
        cx.error_spanned_by(
            primary,
            "`primary_key` needs a `sorting_key` it is a prefix of",
        );
    }
}

const REPLACING: &[&str] = &["ReplacingMergeTree"];
const COLLAPSING: &[&str] = &["CollapsingMergeTree", "VersionedCollapsingMergeTree"];
const VERSIONED: &[&str] = &["VersionedCollapsingMergeTree"];
const SUMMING: &[&str] = &["SummingMergeTree"];

/// The engine's column parameters: each names one column and belongs to its engines; the engines
/// that need one have it.
fn check_engine_params(cx: &mut Ctxt, cont: &Container<'_>, columns: &[&str]) {
    let attrs = &cont.attrs;
    let engine = attrs
        .engine
        .as_ref()
        .map_or_else(|| "MergeTree".to_owned(), LitStr::value);
    for (key, lit, engines) in [
        ("ver", &attrs.ver, REPLACING),
        ("is_deleted", &attrs.is_deleted, REPLACING),
        ("sign", &attrs.sign, COLLAPSING),
        ("version", &attrs.version, VERSIONED),
        ("summing_columns", &attrs.summing_columns, SUMMING),
    ] {
        let Some(lit) = lit else {
            continue;
        };
        if !engines.contains(&engine.as_str()) {
            let wanted = engines
                .iter()
                .map(|e| format!("`engine = \"{e}\"`"))
                .collect::<Vec<_>>()
                .join(" or ");
            cx.error_spanned_by(
                lit,
                format!("`{key}` requires {wanted}, the engine is `{engine}`"),
            );
        }
        if key == "summing_columns" {
            continue;
        }
        let name = lit.value();
        let name = unquote(name.trim());
        if !name.is_empty() && !columns.contains(&name) {
            unknown_column(cx, lit, name, key, columns);
        }
    }
    if let (Some(is_deleted), None) = (&attrs.is_deleted, &attrs.ver) {
        cx.error_spanned_by(
            is_deleted,
            "`is_deleted` needs a `ver` column too: ClickHouse keeps the latest version of a row and \
             drops it when that version is marked deleted",
        );
    }
    let span = attrs.engine.as_ref();
    if let Some(engine_lit) = span {
        if COLLAPSING.contains(&engine.as_str()) && attrs.sign.is_none() {
            cx.error_spanned_by(
                engine_lit,
                format!("`{engine}` needs `sign = \"...\"`, the `Int8` column of 1 and -1"),
            );
        }
        if VERSIONED.contains(&engine.as_str()) && attrs.version.is_none() {
            cx.error_spanned_by(
                engine_lit,
                format!("`{engine}` needs `version = \"...\"`, the version column"),
            );
        }
    }
}

/// The top-level, comma-separated parts of a key expression, outer parentheses dropped and blanks
/// folded: `(a, toDate(b))` → `["a", "toDate(b)"]`.
fn key_parts(expr: &str) -> Vec<String> {
    let mut expr = expr.trim();
    while let Some(inner) = expr.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
        // Only when the parentheses match each other, not `(a), (b)`.
        let mut depth = 0_i32;
        let balanced = inner.chars().all(|ch| {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth >= 0
        });
        if !balanced {
            break;
        }
        expr = inner.trim();
    }
    let mut parts = Vec::new();
    let mut depth = 0_i32;
    let mut current = String::new();
    for ch in expr.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(current.split_whitespace().collect::<Vec<_>>().join(" "));
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current.split_whitespace().collect::<Vec<_>>().join(" "));
    parts.retain(|part| !part.is_empty());
    parts
}

/// Column names are unique and non-empty, and there is at least one column.
fn check_columns(cx: &mut Ctxt, cont: &Container<'_>) {
    let mut seen: HashMap<&str, &Column<'_>> = HashMap::new();
    for column in &cont.columns {
        if column.name.is_empty() {
            cx.error_spanned_by(column.name_tokens(), "column name cannot be empty");
        } else if let Some(first) = seen.get(column.name.as_str()) {
            cx.error_spanned_by(
                column.name_tokens(),
                format!(
                    "duplicate column `{}`, field `{}` already has that name",
                    column.name,
                    first.field_name()
                ),
            );
        } else {
            seen.insert(&column.name, column);
        }
    }
    if cont.columns.is_empty() {
        cx.error_spanned_by(
            &cont.original.ident,
            "a datasource needs at least one column, every field is skipped",
        );
    }
}

fn unknown_column(cx: &mut Ctxt, lit: &LitStr, name: &str, key: &str, columns: &[&str]) {
    cx.error_spanned_by(
        lit,
        format!(
            "unknown column `{name}` in `{key}`, expected one of {}",
            list(columns)
        ),
    );
}

/// `` `name` `` → `name`.
fn unquote(name: &str) -> &str {
    name.strip_prefix('`')
        .and_then(|n| n.strip_suffix('`'))
        .unwrap_or(name)
}

/// SQL words that can stand alone in a key or TTL expression without being columns.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "null",
    "true",
    "false",
    "is",
    "in",
    "like",
    "between",
    "case",
    "when",
    "then",
    "else",
    "end",
    "interval",
    "second",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "quarter",
    "year",
    "asc",
    "desc",
    "delete",
    "where",
    "to",
    "disk",
    "volume",
    "group",
    "by",
    "set",
    "recompress",
    "codec",
];

/// The column names an engine key expression refers to: bare identifiers that are not function names
/// (followed by `(`), SQL keywords or members after a `.`, and backquoted or double-quoted names.
/// String and number literals are skipped.
pub(crate) fn referenced_columns(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    let mut after_dot = false;
    while let Some(&ch) = chars.get(i) {
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        let was_after_dot = after_dot;
        after_dot = ch == '.';
        if ch == '\'' {
            i = skip_quoted(&chars, i, '\'').1;
        } else if ch == '`' || ch == '"' {
            let (name, end) = skip_quoted(&chars, i, ch);
            if !was_after_dot && !next_is_paren(&chars, end) {
                names.push(name);
            }
            i = end;
        } else if ch.is_ascii_alphabetic() || ch == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let keyword = KEYWORDS.contains(&word.to_ascii_lowercase().as_str());
            if !was_after_dot && !keyword && !next_is_paren(&chars, i) {
                names.push(word);
            }
        } else if ch.is_ascii_digit() {
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    names
}

/// The text of a quoted token starting at `start` (backslash escapes undone) and the index after it.
fn skip_quoted(chars: &[char], start: usize, quote: char) -> (String, usize) {
    let mut text = String::new();
    let mut i = start + 1;
    while let Some(&ch) = chars.get(i) {
        i += 1;
        if ch == '\\' {
            if let Some(&escaped) = chars.get(i) {
                text.push(escaped);
                i += 1;
            }
        } else if ch == quote {
            break;
        } else {
            text.push(ch);
        }
    }
    (text, i)
}

fn next_is_paren(chars: &[char], from: usize) -> bool {
    chars[from.min(chars.len())..]
        .iter()
        .find(|c| !c.is_whitespace())
        == Some(&'(')
}

#[cfg(test)]
mod tests {
    use super::{key_parts, referenced_columns};

    #[test]
    fn key_parts_split_at_top_level_commas() {
        assert_eq!(key_parts("(a, toDate(b, 'x'))"), ["a", "toDate(b, 'x')"]);
        assert_eq!(key_parts("a,b"), ["a", "b"]);
        assert_eq!(key_parts("(a), (b)"), ["(a)", "(b)"]);
        assert_eq!(key_parts("tuple()"), ["tuple()"]);
        assert!(key_parts("  ").is_empty());
    }

    #[test]
    fn key_expressions_name_their_columns() {
        assert_eq!(referenced_columns("a, b_2, c"), ["a", "b_2", "c"]);
        assert_eq!(
            referenced_columns("(agent_type, timestamp)"),
            ["agent_type", "timestamp"]
        );
        assert_eq!(referenced_columns("toYYYYMM(timestamp)"), ["timestamp"]);
        assert_eq!(referenced_columns("tuple()"), Vec::<String>::new());
        assert_eq!(
            referenced_columns("intDiv(user_id, 1000), cityHash64 (session_id)"),
            ["user_id", "session_id"]
        );
        assert_eq!(
            referenced_columns("`my col`, \"other\""),
            ["my col", "other"]
        );
        assert_eq!(
            referenced_columns("toStartOfInterval(ts, INTERVAL 1 DAY)"),
            ["ts"]
        );
        assert_eq!(
            referenced_columns("if(kind = 'a''b', x, y.field)"),
            ["kind", "x", "y"]
        );
        assert_eq!(referenced_columns("1e3, 0x1F, 2.5"), Vec::<String>::new());
        assert_eq!(
            referenced_columns("ts + INTERVAL 7 DAY TO DISK 'cold', ts + toIntervalDay(30) DELETE"),
            ["ts", "ts"]
        );
    }
}
