//! Writes the Rust source: one `#[derive(Datasource)]` struct per datasource, one `#[pipe]` params
//! struct per pipe, in rustfmt's layout (so the text is what `cargo fmt` leaves alone).

use std::fmt::Write as _;

use super::connection::ConnectionDef;
use super::params::{ParamField, params};
use super::read::{ColumnDef, DatasourceDef, KindDef, PipeDef, ReadError};
use super::types::{ENUM, EnumDef, field_type};
use crate::schema::ChType;

/// rustfmt's `max_width` and `attr_fn_like_width`.
const MAX_WIDTH: usize = 100;
const ATTR_WIDTH: usize = 70;

/// The `EXPORT_*` directive of each `sink(...)` key, in the order `#[pipe]` writes them.
const SINK_DIRECTIVES: &[(&str, &str)] = &[
    ("connection", "EXPORT_CONNECTION_NAME"),
    ("kafka_topic", "EXPORT_KAFKA_TOPIC"),
    ("bucket_uri", "EXPORT_BUCKET_URI"),
    ("file_template", "EXPORT_FILE_TEMPLATE"),
    ("format", "EXPORT_FORMAT"),
    ("compression", "EXPORT_COMPRESSION"),
    ("write_strategy", "EXPORT_WRITE_STRATEGY"),
    ("schedule", "EXPORT_SCHEDULE"),
];

/// The engines `#[derive(Datasource)]` accepts.
const ENGINES: &[&str] = &[
    "MergeTree",
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
    "Null",
];

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield",
];

/// A datasource or pipe, with the file it came from (for errors).
pub(crate) struct Source<T> {
    pub(crate) file: String,
    pub(crate) def: T,
}

fn error(file: &str, line: usize, message: impl Into<String>) -> ReadError {
    ReadError {
        file: file.to_owned(),
        line,
        message: message.into(),
    }
}

/// The whole Rust source.
pub(crate) fn source(
    header: &str,
    datasources: &[Source<DatasourceDef>],
    pipes: &[Source<PipeDef>],
    connections: &[Source<ConnectionDef>],
) -> Result<String, ReadError> {
    let mut out = String::new();
    for line in header.lines() {
        let _ = writeln!(out, "//!{}{line}", if line.is_empty() { "" } else { " " });
    }
    out.push('\n');
    match (datasources.is_empty(), pipes.is_empty()) {
        (false, false) => out.push_str("use atel_sdk::{Datasource, pipe};\n"),
        (false, true) => out.push_str("use atel_sdk::Datasource;\n"),
        (true, false) => out.push_str("use atel_sdk::pipe;\n"),
        (true, true) => {}
    }
    if !datasources.is_empty() {
        out.push_str("use serde::{Deserialize, Serialize};\n");
    }
    for ds in datasources {
        out.push('\n');
        datasource(&mut out, ds)?;
    }
    for pipe_source in pipes {
        out.push('\n');
        pipe(&mut out, pipe_source, datasources)?;
    }
    let mut idents = Vec::new();
    for connection in connections {
        let name = match &connection.def {
            ConnectionDef::Kafka { name, .. } | ConnectionDef::S3 { name, .. } => name,
        };
        out.push('\n');
        super::connection::write(
            &mut out,
            &connection.def,
            &unique(&snake(name), &mut idents),
        );
    }
    Ok(out)
}

fn datasource(out: &mut String, ds: &Source<DatasourceDef>) -> Result<(), ReadError> {
    let def = &ds.def;
    let mut items = vec![format!("name = {:?}", def.name)];
    if let Some(description) = &def.description {
        items.push(format!("description = {description:?}"));
    }
    if let Some(engine) = def.engine.as_deref().filter(|e| *e != "MergeTree") {
        if !ENGINES.contains(&engine) {
            return Err(error(
                &ds.file,
                1,
                format!(
                    "engine `{engine}` is not one `#[derive(Datasource)]` knows: expected one of {}",
                    ENGINES.join(", ")
                ),
            ));
        }
        items.push(format!("engine = {engine:?}"));
    }
    let mut settings = Vec::new();
    for (key, value, line) in &def.engine_settings {
        let attr = match key.as_str() {
            "ENGINE_PARTITION_KEY" => "partition_key",
            "ENGINE_SORTING_KEY" => "sorting_key",
            "ENGINE_TTL" => "ttl",
            "ENGINE_VER" => "ver",
            "ENGINE_SETTINGS" => "settings",
            "ENGINE_PRIMARY_KEY" => "primary_key",
            "ENGINE_SAMPLING_KEY" => "sampling_key",
            "ENGINE_IS_DELETED" => "is_deleted",
            "ENGINE_SIGN" => "sign",
            "ENGINE_VERSION" => "version",
            "ENGINE_COLUMNS" => "summing_columns",
            other => {
                return Err(error(
                    &ds.file,
                    *line,
                    format!(
                        "`{other}` has no `#[tinybird(...)]` attribute: expected one of `ENGINE_PARTITION_KEY`, `ENGINE_SORTING_KEY`, `ENGINE_PRIMARY_KEY`, `ENGINE_SAMPLING_KEY`, `ENGINE_TTL`, `ENGINE_VER`, `ENGINE_IS_DELETED`, `ENGINE_SIGN`, `ENGINE_VERSION`, `ENGINE_COLUMNS` or `ENGINE_SETTINGS`"
                    ),
                ));
            }
        };
        settings.push((attr, value));
    }
    for attr in [
        "partition_key",
        "sorting_key",
        "primary_key",
        "sampling_key",
        "ttl",
        "ver",
        "is_deleted",
        "sign",
        "version",
        "summing_columns",
        "settings",
    ] {
        if let Some((_, value)) = settings.iter().find(|(a, _)| *a == attr) {
            items.push(format!("{attr} = {value:?}"));
        }
    }
    for (name, permission) in &def.tokens {
        items.push(format!("token = \"{name} {permission}\""));
    }
    for (index, _) in &def.indexes {
        items.push(format!("index = {index:?}"));
    }
    if let Some(connector) = connector(&def.connector) {
        items.push(connector);
    }
    if let Some(query) = &def.forward_query {
        items.push(format!("forward_query = {query:?}"));
    }
    let ident = camel(&def.name);
    let mut body = String::new();
    let mut keys: Vec<String> = Vec::new();
    let mut idents: Vec<String> = Vec::new();
    let mut enums = Vec::new();
    for column in &def.columns {
        let enum_name = format!("{ident}{}", camel(&column.name));
        if let Some(values) = field(
            &mut body,
            &ds.file,
            column,
            &mut keys,
            &mut idents,
            &enum_name,
        )? {
            enums.push((column, enum_name, values));
        }
    }
    for (column, name, values) in enums {
        enumeration(out, &def.name, column, &name, &values);
        out.push('\n');
    }
    let _ = writeln!(out, "/// The `{}` datasource: one row.", def.name);
    out.push_str("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]\n");
    attribute(out, "", "tinybird", &items);
    let _ = writeln!(out, "pub struct {ident} {{");
    out.push_str(&body);
    out.push_str("}\n");
    Ok(())
}

/// A `#[derive(Enum)]` enum for an `Enum8` / `Enum16` column: each value by its name.
fn enumeration(out: &mut String, datasource: &str, column: &ColumnDef, name: &str, def: &EnumDef) {
    let _ = writeln!(
        out,
        "/// The values of `{datasource}.{}`.",
        column.name.replace('`', "'")
    );
    out.push_str(
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, atel_sdk::Enum)]\n",
    );
    if def.wide {
        out.push_str("#[tinybird(enum16)]\n");
    }
    let _ = writeln!(out, "pub enum {name} {{");
    let mut taken = Vec::new();
    for (value_name, value) in &def.values {
        let variant = unique(&camel(value_name), &mut taken);
        let _ = writeln!(out, "    /// `{}`.", value_name.replace('`', "'"));
        if variant != *value_name {
            let _ = writeln!(out, "    #[serde(rename = {value_name:?})]");
        }
        let _ = writeln!(out, "    {variant} = {value},");
    }
    out.push_str("}\n");
}

/// The JSON key a path names, when it is `$.key` (`$.key[:]` for an array column).
fn simple_key(path: &str, array: bool) -> Option<&str> {
    let key = path.strip_prefix("$.")?;
    let key = if array { key.strip_suffix("[:]")? } else { key };
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    simple.then_some(key)
}

/// Writes the field of `column`; returns the enum it needs written, named `enum_name`.
fn field(
    out: &mut String,
    file: &str,
    column: &ColumnDef,
    keys: &mut Vec<String>,
    idents: &mut Vec<String>,
    enum_name: &str,
) -> Result<Option<EnumDef>, ReadError> {
    let ty = field_type(&column.ty).ok_or_else(|| {
        error(file, column.line, format!("column `{}`: no Rust type holds `{}` (and no hand-written `type` can say it today)", column.name, column.ty))
    })?;
    let array = ChType::Raw(column.ty.clone()).is_array();
    let key = match column.json_path.as_deref() {
        None => Some(column.name.as_str()),
        Some(path) => simple_key(path, array),
    };
    let phantom = key.is_some_and(|k| keys.iter().any(|seen| seen == k));
    let mut serde = Vec::new();
    let mut tinybird = Vec::new();
    let ident;
    if phantom || key.is_none() {
        // Read from a key another field sends, or from a path that is not one key: the column is
        // named by its column name, and its path is written out.
        ident = unique(&snake(&column.name), idents);
        let key_of_field = column.name.clone();
        if phantom {
            serde.push("skip".to_owned());
        } else {
            if ident != key_of_field {
                serde.push(format!("rename = {key_of_field:?}"));
            }
            keys.push(key_of_field);
        }
        if phantom || ident != column.name {
            tinybird.push(format!("column = {:?}", column.name));
        }
        if let Some(path) = &column.json_path {
            tinybird.push(format!("json_path = {path:?}"));
        }
    } else {
        let key = key.unwrap_or_default();
        ident = unique(&snake(key), idents);
        if ident != key {
            serde.push(format!("rename = {key:?}"));
        }
        if column.name != key {
            tinybird.push(format!("column = {:?}", column.name));
        }
        keys.push(key.to_owned());
    }
    if let (Some(precision), false) = (ty.datetime_precision, phantom) {
        serde.push(format!(
            "with = \"atel_sdk::client::de::DateTime64::<{precision}>\""
        ));
    }
    tinybird.extend(ty.flags.iter().cloned());
    if let Some(default) = &column.default {
        tinybird.push(format!("default = {default:?}"));
    }
    if let Some(codec) = &column.codec {
        tinybird.push(format!("codec = {codec:?}"));
    }
    let rust = ty.rust.replace(ENUM, enum_name);
    let rust = if phantom {
        format!("std::marker::PhantomData<{rust}>")
    } else {
        rust
    };
    let _ = writeln!(
        out,
        "    /// `{}` `{}`.",
        column.name.replace('`', "'"),
        column.ty.replace('`', "'")
    );
    if !serde.is_empty() {
        attribute(out, "    ", "serde", &serde);
    }
    if !tinybird.is_empty() {
        attribute(out, "    ", "tinybird", &tinybird);
    }
    let _ = writeln!(out, "    pub {ident}: {rust},");
    Ok(ty.enumeration)
}

fn pipe(
    out: &mut String,
    source: &Source<PipeDef>,
    datasources: &[Source<DatasourceDef>],
) -> Result<(), ReadError> {
    let def = &source.def;
    let ident = camel(&def.name);
    let target = |name: &str| -> Result<String, ReadError> {
        if datasources.iter().any(|d| d.def.name == name) {
            Ok(camel(name))
        } else {
            Err(error(
                &source.file,
                def.kind_line,
                format!(
                    "pipe `{}` writes to the datasource `{name}`, which is not in the folder",
                    def.name
                ),
            ))
        }
    };
    let mut items = vec![format!("name = {:?}", def.name)];
    if let Some(description) = &def.description {
        items.push(format!("description = {description:?}"));
    }
    let mut row = None;
    match &def.kind {
        KindDef::Endpoint => {
            let name = format!("{ident}Row");
            items.push(format!("output = {name}"));
            row = Some(name);
        }
        KindDef::Materialized { datasource } => {
            items.push(format!("materialized = {}", target(datasource)?));
        }
        KindDef::Copy {
            target: to,
            schedule,
            mode,
        } => {
            let mut copy = vec![format!("target = {}", target(to)?)];
            if let Some(schedule) = schedule {
                copy.push(format!("schedule = {schedule:?}"));
            }
            if let Some(mode) = mode {
                copy.push(format!("mode = {mode:?}"));
            }
            items.push(call("    ", "copy", &copy));
        }
        KindDef::Sink { settings } => {
            let mut sink = Vec::new();
            for (directive, value) in settings {
                let key = SINK_DIRECTIVES
                    .iter()
                    .find(|(_, d)| d == directive)
                    .ok_or_else(|| {
                        error(
                            &source.file,
                            def.kind_line,
                            format!(
                                "`{directive}` has no `sink(...)` key: expected one of {}",
                                SINK_DIRECTIVES
                                    .iter()
                                    .map(|(_, d)| *d)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?;
                sink.push(format!("{} = {value:?}", key.0));
            }
            items.push(call("    ", "sink", &sink));
        }
    }
    for token in &def.tokens {
        items.push(format!("token = {token:?}"));
    }
    for node in &def.nodes {
        let mut node_items = vec![format!("name = {:?}", node.name)];
        if let Some(description) = &node.description {
            node_items.push(format!("description = {description:?}"));
        }
        node_items.push(format!("sql = {}", sql_literal(&node.sql, "        ")));
        items.push(call("    ", "node", &node_items));
    }
    let sqls: Vec<&str> = def.nodes.iter().map(|n| n.sql.as_str()).collect();
    let fields = params(&sqls).map_err(|message| {
        error(
            &source.file,
            def.nodes.first().map_or(1, |n| n.line),
            message,
        )
    })?;
    if let Some(row) = &row {
        let _ = writeln!(
            out,
            "/// A row of [`{ident}`]. The datafiles do not say an endpoint's columns: TODO replace"
        );
        out.push_str("/// this map with a `Deserialize` struct of one field per column.\n");
        let _ = writeln!(
            out,
            "pub type {row} = serde_json::Map<String, serde_json::Value>;\n"
        );
    }
    let _ = writeln!(out, "/// The params of the `{}` pipe.", def.name);
    attribute(out, "", "pipe", &items);
    out.push_str("#[derive(Debug, Clone, PartialEq)]\n");
    if fields.is_empty() {
        let _ = writeln!(out, "pub struct {ident} {{}}");
        return Ok(());
    }
    let _ = writeln!(out, "pub struct {ident} {{");
    let mut idents = Vec::new();
    for ParamField {
        name,
        rust,
        attrs,
        description,
        template,
    } in &fields
    {
        let field_ident = unique(&snake(name), &mut idents);
        let mut attrs = attrs.clone();
        if field_ident != *name {
            attrs.push(format!("rename = {name:?}"));
        }
        match description {
            Some(text) => {
                for line in text.lines() {
                    let _ = writeln!(out, "    /// {}", line.trim());
                }
            }
            None => {
                let _ = writeln!(out, "    /// `{name}` (`{template}`).");
            }
        }
        if !attrs.is_empty() {
            attribute(out, "    ", "param", &attrs);
        }
        let _ = writeln!(out, "    pub {field_ident}: {rust},");
    }
    out.push_str("}\n");
    Ok(())
}

/// `#[name(items)]` on one line when rustfmt would keep it there, else one item per line.
fn attribute(out: &mut String, indent: &str, name: &str, items: &[String]) {
    let _ = writeln!(out, "{indent}#[{}]", call(indent, name, items));
}

/// The `KAFKA_*` / `IMPORT_*` lines (checked by the reader) as the derive's `kafka(...)` /
/// `import(...)`, keys in the order the derive writes them back.
fn connector(lines: &[(String, String, usize)]) -> Option<String> {
    let (first, ..) = lines.first()?;
    let (name, table) = super::read::connector_table(first);
    let mut items = Vec::new();
    for key in table {
        let Some((_, value, _)) = lines.iter().find(|(d, ..)| d == key.directive) else {
            continue;
        };
        if key.flag {
            // `False` is Tinybird's default: nothing to write.
            if value == "True" {
                items.push(key.name.to_owned());
            }
        } else {
            items.push(format!("{} = {value:?}", key.name));
        }
    }
    Some(call("    ", name, &items))
}

/// `name(items)`: one line when it fits, else one item per line at `indent` + 4.
fn call(indent: &str, name: &str, items: &[String]) -> String {
    let joined = items.join(", ");
    let one_line = !joined.contains('\n')
        && joined.len() <= ATTR_WIDTH
        && indent.len() + name.len() + joined.len() + 5 <= MAX_WIDTH;
    if one_line {
        return format!("{name}({joined})");
    }
    let mut text = format!("{name}(\n");
    for (i, item) in items.iter().enumerate() {
        let _ = write!(text, "{indent}    {item}");
        text.push_str(if i + 1 == items.len() { "\n" } else { ",\n" });
    }
    let _ = write!(text, "{indent})");
    text
}

/// A raw string of the SQL, one line per line, indented under `indent` (the renderer drops the
/// common indentation and the blank lines again).
fn sql_literal(sql: &str, indent: &str) -> String {
    let mut hashes = "#".to_owned();
    while sql.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    let mut text = format!("r{hashes}\"\n");
    for line in sql.lines().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(text, "{indent}    {}", line.trim_end());
    }
    let _ = write!(text, "{indent}\"{hashes}");
    text
}

/// `otel_traces` → `OtelTraces`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    for word in snake(name).split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// A `snake_case` Rust identifier for any name: `TraceId` → `trace_id`, `type` → `type_`.
pub(super) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() {
                let prev = i.checked_sub(1).and_then(|p| chars.get(p));
                let next = chars.get(i + 1);
                let boundary = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                    || (prev.is_some_and(char::is_ascii_uppercase)
                        && next.is_some_and(char::is_ascii_lowercase));
                if boundary && !out.ends_with('_') {
                    out.push('_');
                }
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let mut out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        out.push_str("field");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "f_");
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `ident`, or `ident_2`, `ident_3`… when taken; records it.
fn unique(ident: &str, taken: &mut Vec<String>) -> String {
    let mut candidate = ident.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{ident}_{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_rust_identifiers() {
        assert_eq!(snake("TraceId"), "trace_id");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("event.name"), "event_name");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("1st"), "f_1st");
        assert_eq!(snake("--"), "field");
        assert_eq!(camel("otel_metrics_sum"), "OtelMetricsSum");
        assert_eq!(camel("9lives"), "F9lives");
        let mut taken = Vec::new();
        assert_eq!(unique("a", &mut taken), "a");
        assert_eq!(unique("a", &mut taken), "a_2");
    }

    #[test]
    fn raw_strings_outgrow_the_sql() {
        assert_eq!(
            sql_literal("SELECT '\"#'", ""),
            "r##\"\n    SELECT '\"#'\n\"##"
        );
    }
}
