//! Renders schemas as Tinybird datafile text, in the layout Tinybird's own tooling writes: sections
//! separated by a blank line, block bodies indented by four spaces, `KEY "value"` engine lines.

use std::fmt::Write as _;

use crate::schema::{Column, DatasourceSchema, PipeKind, PipeSchema};

const INDENT: &str = "    ";

/// The `.datasource` text of a schema.
pub fn render_datasource(schema: &DatasourceSchema) -> String {
    let mut out = String::new();
    if let Some(description) = schema.description {
        write_block(&mut out, "DESCRIPTION", description);
        out.push('\n');
    }
    for token in &schema.tokens {
        let _ = writeln!(out, "TOKEN \"{}\" {}", token.name, token.permission);
    }
    if !schema.tokens.is_empty() {
        out.push('\n');
    }
    out.push_str("SCHEMA >\n");
    let last = schema.columns.len().saturating_sub(1);
    for (i, column) in schema.columns.iter().enumerate() {
        out.push_str(INDENT);
        render_column(&mut out, column);
        if i != last {
            out.push(',');
        }
        out.push('\n');
    }
    out.push('\n');
    if !schema.indexes.is_empty() {
        // One per line and no commas: what `tb fmt` writes.
        out.push_str("INDEXES >\n");
        for index in &schema.indexes {
            let _ = writeln!(
                out,
                "{INDENT}{} {} TYPE {} GRANULARITY {}",
                index.name,
                one_line(index.expr),
                one_line(index.kind),
                index.granularity
            );
        }
        out.push('\n');
    }
    let engine = &schema.engine;
    let _ = writeln!(out, "ENGINE {}", engine.kind.unwrap_or("MergeTree"));
    // Alphabetical, unquoted: exactly what `tb fmt` writes, so a generated file is a fixed point of it.
    for (key, value) in [
        ("ENGINE_COLUMNS", engine.summing_columns),
        ("ENGINE_IS_DELETED", engine.is_deleted),
        ("ENGINE_PARTITION_KEY", engine.partition_key),
        ("ENGINE_PRIMARY_KEY", engine.primary_key),
        ("ENGINE_SAMPLING_KEY", engine.sampling_key),
        ("ENGINE_SETTINGS", engine.settings),
        ("ENGINE_SIGN", engine.sign),
        ("ENGINE_SORTING_KEY", engine.sorting_key),
        ("ENGINE_TTL", engine.ttl),
        ("ENGINE_VER", engine.ver),
        ("ENGINE_VERSION", engine.version),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "{key} {}", one_line(value));
        }
    }
    // After the engine, in the order given, as `tb fmt` keeps them.
    if !schema.connector.is_empty() {
        out.push('\n');
        for (directive, value) in &schema.connector {
            let _ = writeln!(out, "{directive} {}", one_line(value));
        }
    }
    if let Some(query) = schema.forward_query {
        out.push('\n');
        write_block(&mut out, "FORWARD_QUERY", query);
    }
    out
}

/// The `.pipe` text of a pipe: its description, its tokens, then every node; the last node's
/// `TYPE` (endpoint, materialized, copy or sink) and its settings close the file, in the layout of
/// Tinybird's formatter.
pub fn render_pipe(schema: &PipeSchema) -> String {
    let mut out = String::new();
    if let Some(description) = schema.description {
        write_block(&mut out, "DESCRIPTION", description);
        out.push('\n');
    }
    for token in &schema.tokens {
        let _ = writeln!(out, "TOKEN \"{token}\" READ");
    }
    if !schema.tokens.is_empty() {
        out.push('\n');
    }
    for (i, node) in schema.nodes.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "NODE {}", node.name);
        if let Some(description) = node.description {
            write_block(&mut out, "DESCRIPTION", description);
            out.push('\n');
        }
        write_block(&mut out, "SQL", node.sql);
    }
    if !schema.nodes.is_empty() {
        out.push('\n');
        render_kind(&mut out, &schema.kind);
    }
    out
}

fn render_kind(out: &mut String, kind: &PipeKind) {
    match kind {
        PipeKind::Endpoint => out.push_str("TYPE endpoint\n"),
        PipeKind::Materialized { datasource } => {
            let _ = writeln!(out, "TYPE materialized\nDATASOURCE {datasource}");
        }
        PipeKind::Copy {
            target,
            schedule,
            mode,
        } => {
            let _ = writeln!(out, "TYPE copy\nTARGET_DATASOURCE {target}");
            if let Some(mode) = mode {
                let _ = writeln!(out, "COPY_MODE {mode}");
            }
            if let Some(schedule) = schedule {
                let _ = writeln!(out, "COPY_SCHEDULE {schedule}");
            }
        }
        PipeKind::Sink { settings } => {
            out.push_str("TYPE sink\n");
            for (directive, value) in settings {
                let _ = writeln!(out, "{directive} {value}");
            }
        }
    }
}

fn render_column(out: &mut String, column: &Column) {
    let _ = write!(out, "{} {}", quote_identifier(column.name), column.ty);
    if let Some(path) = column.effective_json_path() {
        let _ = write!(out, " `json:{path}`");
    }
    if let Some(default) = column.default {
        let _ = write!(out, " DEFAULT {default}");
    }
    if let Some(codec) = column.codec {
        let _ = write!(out, " CODEC({codec})");
    }
}

/// Writes `KEY >` and the text's non-blank lines indented by four spaces. Descriptions are trimmed
/// (as `tb fmt` does); SQL keeps its own indentation.
fn write_block(out: &mut String, key: &str, text: &str) {
    let _ = writeln!(out, "{key} >");
    let lines = text.lines().filter(|line| !line.trim().is_empty());
    if matches!(key, "SQL" | "FORWARD_QUERY") {
        // Relative indentation is kept, the common indentation (of an indented Rust string) is not.
        let common = lines
            .clone()
            .map(|line| line.len() - line.trim_start().len())
            .min()
            .unwrap_or(0);
        for line in lines {
            let _ = writeln!(
                out,
                "{INDENT}{}",
                line.get(common..).unwrap_or(line).trim_end()
            );
        }
    } else {
        for line in lines {
            let _ = writeln!(out, "{INDENT}{}", line.trim());
        }
    }
}

/// Backquotes a column name, escaping backslashes and backquotes inside it.
pub fn quote_identifier(name: &str) -> String {
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('`');
    for ch in name.chars() {
        if matches!(ch, '`' | '\\') {
            quoted.push('\\');
        }
        quoted.push(ch);
    }
    quoted.push('`');
    quoted
}

/// Engine values live on one line: folds any line breaks and runs of spaces into single spaces.
pub(crate) fn one_line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}
