//! Reads `.datasource` and `.pipe` text into plain values, line by line, as Tinybird's parser does:
//! `KEY value` lines and `KEY >` blocks whose body is indented (spaces or tabs). Untrusted text: every
//! problem is a [`ReadError`] naming the line and what was expected, never a panic.

use std::fmt;

use super::connector_keys::{IMPORT, KAFKA, Key};

/// A problem in a datafile: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The file, as given to the reader.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong, lowercase.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ReadError {}

/// One column of a `SCHEMA >` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// The column name, unquoted.
    pub name: String,
    /// The ClickHouse type, as written.
    pub ty: String,
    /// The JSONPath of `` `json:…` ``.
    pub json_path: Option<String>,
    /// The `DEFAULT` expression.
    pub default: Option<String>,
    /// The arguments of `CODEC(…)`.
    pub codec: Option<String>,
    /// Where the column is written.
    pub line: usize,
}

/// What a `.datasource` file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasourceDef {
    /// The file stem.
    pub name: String,
    /// `DESCRIPTION`, lines trimmed.
    pub description: Option<String>,
    /// `TOKEN name PERMISSION`, in order.
    pub tokens: Vec<(String, String)>,
    /// The columns, in order.
    pub columns: Vec<ColumnDef>,
    /// `INDEXES` lines: `name expr TYPE kind GRANULARITY n`, on one line, without a trailing comma.
    pub indexes: Vec<(String, usize)>,
    /// `ENGINE`, unquoted.
    pub engine: Option<String>,
    /// Every `ENGINE_*` line: (key, value unquoted, line).
    pub engine_settings: Vec<(String, String, usize)>,
    /// `FORWARD_QUERY`, its common indentation removed.
    pub forward_query: Option<String>,
    /// Every `KAFKA_*` or `IMPORT_*` line: (key, value unquoted, line), in order.
    pub connector: Vec<(String, String, usize)>,
}

/// One `NODE` of a pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDef {
    /// The node name.
    pub name: String,
    /// The node's `DESCRIPTION`.
    pub description: Option<String>,
    /// The SQL, its common indentation removed.
    pub sql: String,
    /// Where `NODE` is written.
    pub line: usize,
}

/// What a pipe's `TYPE` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindDef {
    /// No `TYPE`, or `TYPE endpoint`.
    Endpoint,
    /// `TYPE materialized` + `DATASOURCE`.
    Materialized {
        /// The target datasource.
        datasource: String,
    },
    /// `TYPE copy` + `TARGET_DATASOURCE`, `COPY_SCHEDULE`, `COPY_MODE`.
    Copy {
        /// The target datasource.
        target: String,
        /// `COPY_SCHEDULE`.
        schedule: Option<String>,
        /// `COPY_MODE`.
        mode: Option<String>,
    },
    /// `TYPE sink` + `EXPORT_*` lines.
    Sink {
        /// (directive, value), in file order.
        settings: Vec<(String, String)>,
    },
}

/// What a `.pipe` file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeDef {
    /// The file stem.
    pub name: String,
    /// `DESCRIPTION`.
    pub description: Option<String>,
    /// `TOKEN "name" READ`.
    pub tokens: Vec<String>,
    /// The nodes, in order.
    pub nodes: Vec<NodeDef>,
    /// The last node's `TYPE` and its settings.
    pub kind: KindDef,
    /// Where `TYPE` is written (the first line when there is none).
    pub kind_line: usize,
}

/// One top-level item: `KEY value` or `KEY >` with its block.
struct Item {
    key: String,
    value: String,
    block: Option<Vec<(usize, String)>>,
    line: usize,
}

struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn error(&self, line: usize, message: impl Into<String>) -> ReadError {
        ReadError {
            file: self.file.to_owned(),
            line,
            message: message.into(),
        }
    }

    /// Splits the text into items; block bodies keep their line numbers.
    fn items(&self, text: &str) -> Result<Vec<Item>, ReadError> {
        let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
        let mut items: Vec<Item> = Vec::new();
        let mut i = 0;
        while let Some(&(number, line)) = lines.get(i) {
            i += 1;
            let line = line.trim_end();
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                return Err(self.error(
                    number,
                    format!(
                        "unexpected indented line `{}`: expected a directive (`KEY value` or `KEY >`) at the start of the line",
                        shorten(line.trim())
                    ),
                ));
            }
            let (key, value) = line.split_once([' ', '\t']).unwrap_or((line, ""));
            let value = value.trim();
            let key = key.to_ascii_uppercase();
            if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(self.error(
                    number,
                    format!("expected a directive name, found `{}`", shorten(&key)),
                ));
            }
            let block = if value == ">" {
                let mut body = Vec::new();
                while let Some(&(n, l)) = lines.get(i) {
                    if !l.trim().is_empty() && !l.starts_with([' ', '\t']) {
                        break;
                    }
                    body.push((n, l.trim_end().to_owned()));
                    i += 1;
                }
                while body.last().is_some_and(|(_, l)| l.trim().is_empty()) {
                    body.pop();
                }
                if body.is_empty() {
                    return Err(self.error(
                        number,
                        format!("`{key} >` has no body: expected indented lines after it"),
                    ));
                }
                Some(dedent(body))
            } else {
                None
            };
            items.push(Item {
                key,
                value: value.to_owned(),
                block,
                line: number,
            });
        }
        Ok(items)
    }

    fn text(&self, item: &Item) -> Result<String, ReadError> {
        match &item.block {
            Some(body) => Ok(body
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join("\n")),
            None if item.value.is_empty() => Err(self.error(
                item.line,
                format!(
                    "`{}` needs a value: `{0} value` or `{0} >` and indented lines",
                    item.key
                ),
            )),
            None => Ok(unquote(&item.value).to_owned()),
        }
    }

    fn description(&self, item: &Item) -> Result<String, ReadError> {
        let text = self.text(item)?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"))
    }

    fn value(&self, item: &Item) -> Result<String, ReadError> {
        if item.block.is_some() {
            return Err(self.error(
                item.line,
                format!("`{}` takes a value on its line, not a `>` block", item.key),
            ));
        }
        self.text(item)
    }

    fn token(&self, item: &Item) -> Result<(String, String), ReadError> {
        let value = self.value(item)?;
        let (name, permission) = match value.strip_prefix('"') {
            Some(rest) => rest
                .split_once('"')
                .map(|(n, p)| (n.to_owned(), p.trim().to_owned())),
            None => value
                .split_once(char::is_whitespace)
                .map(|(n, p)| (n.to_owned(), p.trim().to_owned())),
        }
        .ok_or_else(|| self.error(item.line, "expected `TOKEN \"name\" READ` or `APPEND`"))?;
        let permission = permission.to_ascii_uppercase();
        if name.is_empty() || !matches!(permission.as_str(), "READ" | "APPEND") {
            return Err(self.error(item.line, "expected `TOKEN \"name\" READ` or `APPEND`"));
        }
        Ok((name, permission))
    }

    fn columns(&self, body: &[(usize, String)]) -> Result<Vec<ColumnDef>, ReadError> {
        let mut columns = Vec::new();
        for (line, text) in split_top_level(body) {
            if text.trim().is_empty() {
                return Err(self.error(
                    line,
                    "empty column: expected `` `name` Type `json:$.path` ``",
                ));
            }
            columns.push(self.column(line, text.trim())?);
        }
        Ok(columns)
    }

    fn column(&self, line: usize, text: &str) -> Result<ColumnDef, ReadError> {
        let (name, rest) = if let Some(rest) = text.strip_prefix('`') {
            let end = rest.find('`').ok_or_else(|| {
                self.error(line, "unterminated column name: expected a closing `` ` ``")
            })?;
            (rest[..end].to_owned(), &rest[end + 1..])
        } else {
            let (name, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
            (name.to_owned(), rest)
        };
        if name.is_empty() {
            return Err(self.error(line, "empty column name"));
        }
        let rest = rest.trim_start();
        let ty_end =
            scan_until(rest, |c, depth| depth == 0 && c.is_whitespace()).unwrap_or(rest.len());
        let ty = rest[..ty_end].to_owned();
        if ty.is_empty() || ty.starts_with('`') {
            return Err(self.error(line, format!("column `{name}` has no type")));
        }
        if balance(&ty) != 0 {
            return Err(self.error(
                line,
                format!("column `{name}`: unbalanced parentheses in type `{ty}`"),
            ));
        }
        let mut column = ColumnDef {
            name,
            ty,
            json_path: None,
            default: None,
            codec: None,
            line,
        };
        let mut rest = rest[ty_end..].trim_start();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("`json:") {
                let end = after.find('`').ok_or_else(|| {
                    self.error(
                        line,
                        "unterminated `` `json:…` ``: expected a closing `` ` ``",
                    )
                })?;
                column.json_path = Some(after[..end].to_owned());
                rest = after[end + 1..].trim_start();
            } else if let Some(after) = strip_keyword(rest, "DEFAULT") {
                let end = find_codec(after).unwrap_or(after.len());
                let default = after[..end].trim();
                if default.is_empty() {
                    return Err(self.error(
                        line,
                        format!("column `{}`: `DEFAULT` needs an expression", column.name),
                    ));
                }
                column.default = Some(default.to_owned());
                rest = after[end..].trim_start();
            } else if let Some(after) = strip_keyword(rest, "CODEC") {
                let after = after.trim_start();
                let inner = after.strip_prefix('(').ok_or_else(|| {
                    self.error(
                        line,
                        format!("column `{}`: expected `CODEC(...)`", column.name),
                    )
                })?;
                let end =
                    scan_until(inner, |c, depth| depth == 0 && c == ')').ok_or_else(|| {
                        self.error(
                            line,
                            format!("column `{}`: `CODEC(` has no closing `)`", column.name),
                        )
                    })?;
                column.codec = Some(inner[..end].trim().to_owned());
                rest = inner[end + 1..].trim_start();
            } else {
                return Err(self.error(
                    line,
                    format!(
                        "column `{}`: unexpected `{}`: expected `` `json:$.path` ``, `DEFAULT expr` or `CODEC(...)`",
                        column.name,
                        shorten(rest)
                    ),
                ));
            }
        }
        Ok(column)
    }

    fn index(&self, line: usize, text: &str) -> Result<String, ReadError> {
        let text = one_line(text.trim().trim_end_matches(',').trim_end());
        let valid = text.split_once(' ').is_some_and(|(name, rest)| {
            !name.is_empty()
                && rest.rfind(" GRANULARITY ").is_some_and(|at| {
                    rest[at + 13..].parse::<u32>().is_ok() && rest[..at].contains(" TYPE ")
                })
        });
        if valid {
            Ok(text)
        } else {
            Err(self.error(
                line,
                format!(
                    "expected an index `name expr TYPE kind GRANULARITY n`, found `{}`",
                    shorten(&text)
                ),
            ))
        }
    }
}

/// Reads a `.datasource` file. `file` names it in errors; `name` is its stem.
pub fn read_datasource(file: &str, name: &str, text: &str) -> Result<DatasourceDef, ReadError> {
    let reader = Reader { file };
    let mut def = DatasourceDef {
        name: name.to_owned(),
        ..DatasourceDef::default()
    };
    let mut schema_seen = false;
    for item in reader.items(text)? {
        match item.key.as_str() {
            "DESCRIPTION" => def.description = Some(reader.description(&item)?),
            "TOKEN" => def.tokens.push(reader.token(&item)?),
            "SCHEMA" => {
                let body = item.block.as_ref().ok_or_else(|| {
                    reader.error(
                        item.line,
                        "expected `SCHEMA >` followed by indented columns",
                    )
                })?;
                def.columns = reader.columns(body)?;
                schema_seen = true;
            }
            "INDEXES" => {
                let body = item.block.as_ref().ok_or_else(|| {
                    reader.error(
                        item.line,
                        "expected `INDEXES >` followed by indented indexes",
                    )
                })?;
                for (line, text) in body.iter().filter(|(_, t)| !t.trim().is_empty()) {
                    def.indexes.push((reader.index(*line, text)?, *line));
                }
            }
            "ENGINE" => def.engine = Some(reader.value(&item)?),
            "FORWARD_QUERY" => def.forward_query = Some(reader.text(&item)?),
            key if key.starts_with("ENGINE_") => {
                let value = one_line(&reader.text(&item)?);
                def.engine_settings
                    .push((item.key.clone(), value, item.line));
            }
            key if key.starts_with("KAFKA_") || key.starts_with("IMPORT_") => {
                let value = reader.value(&item)?;
                def.connector.push((item.key.clone(), value, item.line));
            }
            other => {
                return Err(reader.error(
                    item.line,
                    format!(
                        "unknown datasource directive `{other}`: expected `DESCRIPTION`, `TOKEN`, `SCHEMA`, `INDEXES`, `ENGINE`, `ENGINE_*`, `KAFKA_*`, `IMPORT_*` or `FORWARD_QUERY`"
                    ),
                ));
            }
        }
    }
    if !schema_seen {
        return Err(reader.error(1, "no `SCHEMA >` block: a datasource needs its columns"));
    }
    check_connector(&reader, &def.connector)?;
    Ok(def)
}

/// `kafka` or `import`, and its keys, for a datasource whose first connector line is `first`.
pub(crate) fn connector_table(first: &str) -> (&'static str, &'static [Key]) {
    if first.starts_with("KAFKA_") {
        ("kafka", KAFKA)
    } else {
        ("import", IMPORT)
    }
}

/// The connector lines say one thing the derive can write: one family, known keys, the required ones.
fn check_connector(
    reader: &Reader<'_>,
    lines: &[(String, String, usize)],
) -> Result<(), ReadError> {
    let Some((first, _, first_line)) = lines.first() else {
        return Ok(());
    };
    let (name, table) = connector_table(first);
    let names = |keys: &mut dyn Iterator<Item = &Key>| {
        keys.map(|k| k.directive).collect::<Vec<_>>().join(", ")
    };
    for (directive, value, line) in lines {
        let Some(key) = table.iter().find(|k| k.directive == directive) else {
            return Err(reader.error(
                *line,
                format!(
                    "`{directive}` has no `{name}(...)` key: a datasource reads {}",
                    names(&mut table.iter())
                ),
            ));
        };
        if key.flag && !matches!(value.as_str(), "True" | "False") {
            return Err(reader.error(
                *line,
                format!("`{directive} {value}`: expected `True` or `False`"),
            ));
        }
    }
    let required = || table.iter().filter(|k| k.required);
    if let Some(key) = required().find(|k| !lines.iter().any(|(seen, ..)| *seen == k.directive)) {
        return Err(reader.error(
            *first_line,
            format!(
                "`{}` is missing: a {name} datasource needs {}",
                key.directive,
                names(&mut required())
            ),
        ));
    }
    Ok(())
}

/// Reads a `.pipe` file. `file` names it in errors; `name` is its stem.
pub fn read_pipe(file: &str, name: &str, text: &str) -> Result<PipeDef, ReadError> {
    let reader = Reader { file };
    let mut def = PipeDef {
        name: name.to_owned(),
        description: None,
        tokens: Vec::new(),
        nodes: Vec::new(),
        kind: KindDef::Endpoint,
        kind_line: 1,
    };
    let mut kind: Option<(String, usize, usize)> = None;
    let mut settings: Vec<(String, String, usize)> = Vec::new();
    for item in reader.items(text)? {
        let in_node = !def.nodes.is_empty();
        match item.key.as_str() {
            "DESCRIPTION" if !in_node => def.description = Some(reader.description(&item)?),
            "DESCRIPTION" => {
                let description = reader.description(&item)?;
                if let Some(node) = def.nodes.last_mut() {
                    node.description = Some(description);
                }
            }
            "TOKEN" => {
                let (token, permission) = reader.token(&item)?;
                if permission != "READ" {
                    return Err(reader.error(item.line, "a pipe token is `TOKEN \"name\" READ`"));
                }
                def.tokens.push(token);
            }
            "NODE" => {
                let name = reader.value(&item)?;
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(reader.error(
                        item.line,
                        format!(
                            "bad node name `{}`: expected letters, digits and `_`",
                            shorten(&name)
                        ),
                    ));
                }
                if let Some((_, at, _)) = &kind {
                    return Err(reader.error(item.line, format!("`NODE {name}` after the `TYPE` on line {at}: only the last node has a `TYPE`")));
                }
                def.nodes.push(NodeDef {
                    name,
                    description: None,
                    sql: String::new(),
                    line: item.line,
                });
            }
            key if !in_node => {
                return Err(reader.error(
                    item.line,
                    format!(
                        "`{key}` before any `NODE`: expected `DESCRIPTION`, `TOKEN` or `NODE name`"
                    ),
                ));
            }
            "SQL" => {
                let sql = reader.text(&item)?;
                if let Some(node) = def.nodes.last_mut() {
                    node.sql = sql;
                }
            }
            "TYPE" => {
                let value = reader.value(&item)?.to_ascii_lowercase();
                if !matches!(
                    value.as_str(),
                    "endpoint" | "materialized" | "copy" | "sink"
                ) {
                    return Err(reader.error(item.line, format!("unknown `TYPE {value}`: expected `endpoint`, `materialized`, `copy` or `sink`")));
                }
                kind = Some((value, item.line, def.nodes.len()));
            }
            "DATASOURCE" | "TARGET_DATASOURCE" | "COPY_SCHEDULE" | "COPY_MODE" => {
                settings.push((item.key.clone(), reader.value(&item)?, item.line));
            }
            key if key.starts_with("EXPORT_") => {
                settings.push((item.key.clone(), reader.value(&item)?, item.line));
            }
            other => {
                return Err(reader.error(item.line, format!("unknown pipe directive `{other}`: expected `DESCRIPTION`, `SQL`, `TYPE`, `DATASOURCE`, `TARGET_DATASOURCE`, `COPY_SCHEDULE`, `COPY_MODE` or `EXPORT_*`")));
            }
        }
    }
    if def.nodes.is_empty() {
        return Err(reader.error(1, "no `NODE`: a pipe needs at least one node"));
    }
    if let Some(node) = def.nodes.iter().find(|n| n.sql.trim().is_empty()) {
        return Err(reader.error(
            node.line,
            format!("node `{}` has no `SQL >` block", node.name),
        ));
    }
    let (kind, line) = kind.map_or_else(|| ("endpoint".to_owned(), 1), |(k, line, _)| (k, line));
    def.kind_line = line;
    let take = |key: &str| {
        settings
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.clone())
    };
    let allowed: &[&str] = match kind.as_str() {
        "materialized" => &["DATASOURCE"],
        "copy" => &["TARGET_DATASOURCE", "COPY_SCHEDULE", "COPY_MODE"],
        _ => &[],
    };
    for (key, _, at) in &settings {
        let fits =
            allowed.contains(&key.as_str()) || (kind == "sink" && key.starts_with("EXPORT_"));
        if !fits {
            return Err(reader.error(
                *at,
                format!("`{key}` does not belong to a `TYPE {kind}` pipe"),
            ));
        }
    }
    def.kind = match kind.as_str() {
        "materialized" => KindDef::Materialized {
            datasource: take("DATASOURCE")
                .ok_or_else(|| reader.error(line, "`TYPE materialized` needs `DATASOURCE name`"))?,
        },
        "copy" => KindDef::Copy {
            target: take("TARGET_DATASOURCE")
                .ok_or_else(|| reader.error(line, "`TYPE copy` needs `TARGET_DATASOURCE name`"))?,
            schedule: take("COPY_SCHEDULE"),
            mode: take("COPY_MODE"),
        },
        "sink" => KindDef::Sink {
            settings: settings.into_iter().map(|(k, v, _)| (k, v)).collect(),
        },
        _ => KindDef::Endpoint,
    };
    Ok(def)
}

/// Removes the common leading whitespace of the non-blank lines.
fn dedent(body: Vec<(usize, String)>) -> Vec<(usize, String)> {
    let common = body
        .iter()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(_, l)| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    body.into_iter()
        .map(|(n, l)| {
            let text = l.get(common..).unwrap_or(l.trim_start()).to_owned();
            (n, text)
        })
        .collect()
}

/// The text without one pair of surrounding double quotes.
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

fn one_line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// `rest` after a case-insensitive keyword followed by whitespace or `(`.
fn strip_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let head = text.get(..keyword.len())?;
    let after = &text[keyword.len()..];
    (head.eq_ignore_ascii_case(keyword)
        && (after.is_empty() || after.starts_with([' ', '\t', '('])))
    .then_some(after)
}

/// The byte offset of a top-level ` CODEC` in a `DEFAULT` expression.
fn find_codec(text: &str) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = scan_until(&text[from..], |c, depth| depth == 0 && c.is_whitespace())? + from;
        let after = text[at..].trim_start();
        if strip_keyword(after, "CODEC").is_some() {
            return Some(at);
        }
        from = at + 1;
        if from >= text.len() {
            return None;
        }
    }
}

/// The byte offset of the first char, outside quotes, for which `stop(char, paren depth)` holds.
fn scan_until(text: &str, stop: impl Fn(char, usize) -> bool) -> Option<usize> {
    let mut depth = 0_usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if stop(c, depth) {
            return Some(i);
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Open minus closed parentheses outside quotes.
fn balance(text: &str) -> i64 {
    let mut open = 0_i64;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => open += 1,
            (None, ')') => open -= 1,
            _ => {}
        }
    }
    open
}

/// The schema body split at top-level commas: (line of the piece's first text, piece).
fn split_top_level(body: &[(usize, String)]) -> Vec<(usize, String)> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut start: Option<usize> = None;
    let mut depth = 0_usize;
    let mut quote: Option<char> = None;
    for (line, text) in body {
        for c in text.chars() {
            if start.is_none() && !c.is_whitespace() {
                start = Some(*line);
            }
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                current.push(c);
                continue;
            }
            match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' | '[' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    pieces.push((start.unwrap_or(*line), std::mem::take(&mut current)));
                    start = None;
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        current.push(' ');
    }
    if !current.trim().is_empty() || !pieces.is_empty() {
        let last = body.last().map_or(1, |(n, _)| *n);
        pieces.push((start.unwrap_or(last), current));
    }
    pieces
}
