//! Renders schemas as Tinybird datafile text, in the layout Tinybird's own tooling writes: sections
//! separated by a blank line, block bodies indented by four spaces, `KEY "value"` engine lines.

use std::fmt::Write as _;

use crate::schema::{Column, DatasourceSchema, PipeSchema};

const INDENT: &str = "    ";

/// The `.datasource` text of a schema.
pub fn render_datasource(schema: &DatasourceSchema) -> String {
    let mut out = String::new();
    if let Some(description) = schema.description {
        write_block(&mut out, "DESCRIPTION", description);
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
    let engine = &schema.engine;
    let _ = writeln!(out, "ENGINE \"{}\"", engine.kind.unwrap_or("MergeTree"));
    for (key, value) in [
        ("ENGINE_PARTITION_KEY", engine.partition_key),
        ("ENGINE_SORTING_KEY", engine.sorting_key),
        ("ENGINE_VER", engine.ver),
        ("ENGINE_TTL", engine.ttl),
        ("ENGINE_SETTINGS", engine.settings),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "{key} \"{}\"", escape_quoted(value));
        }
    }
    out
}

/// The `.pipe` text of a pipe: its description, then every node; the last node is the endpoint.
pub fn render_pipe(schema: &PipeSchema) -> String {
    let mut out = String::new();
    if let Some(description) = schema.description {
        write_block(&mut out, "DESCRIPTION", description);
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
        out.push_str("\nTYPE endpoint\n");
    }
    out
}

fn render_column(out: &mut String, column: &Column) {
    let _ = write!(
        out,
        "{} {} `json:{}`",
        quote_identifier(column.name),
        column.ty,
        column.effective_json_path()
    );
    if let Some(default) = column.default {
        let _ = write!(out, " DEFAULT {default}");
    }
    if let Some(codec) = column.codec {
        let _ = write!(out, " CODEC({codec})");
    }
}

/// Writes `KEY >` and the text indented by four spaces, one line per line (blank lines stay blank).
fn write_block(out: &mut String, key: &str, text: &str) {
    let _ = writeln!(out, "{key} >");
    for line in text.trim_matches('\n').lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{INDENT}{line}");
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

fn escape_quoted(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}
