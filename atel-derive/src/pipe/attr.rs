//! The `#[pipe(...)]` grammar (with its `node(...)` lists) and `#[param(...)]` on the fields.
//!
//! Every problem goes to the [`Ctxt`] on the narrowest span and parsing goes on (see [`crate::meta`]),
//! so one compile reports them all. Rules about one value alone are checked here; rules between the
//! struct and the SQL live in `check.rs`.

use std::collections::BTreeSet;
use std::path::Path;

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser as _;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Lit, LitStr, Type, UnOp};

use super::template::Literal;
use crate::ctxt::Ctxt;
use crate::meta::{self, Grammar, flag_value, is_resource_name, string_value};

/// `#[pipe(...)]`.
const PIPE: Grammar = Grammar {
    what: "pipe attribute",
    keys: &[
        "name",
        "description",
        "output",
        "method",
        "node",
        "materialized",
        "copy",
        "sink",
        "token",
    ],
};

/// `copy(...)` in `#[pipe(...)]`.
const COPY: Grammar = Grammar {
    what: "copy attribute",
    keys: &["target", "schedule", "mode"],
};

/// `sink(...)` in `#[pipe(...)]`: each key is one `EXPORT_*` line of the pipe.
const SINK: Grammar = Grammar {
    what: "sink attribute",
    keys: &[
        "connection",
        "bucket_uri",
        "file_template",
        "format",
        "compression",
        "write_strategy",
        "kafka_topic",
        "schedule",
    ],
};

/// The `EXPORT_*` directive of each `sink(...)` key, in the order the datafile lists them.
pub(crate) const SINK_DIRECTIVES: &[(&str, &str)] = &[
    ("connection", "EXPORT_CONNECTION_NAME"),
    ("kafka_topic", "EXPORT_KAFKA_TOPIC"),
    ("bucket_uri", "EXPORT_BUCKET_URI"),
    ("file_template", "EXPORT_FILE_TEMPLATE"),
    ("format", "EXPORT_FORMAT"),
    ("compression", "EXPORT_COMPRESSION"),
    ("write_strategy", "EXPORT_WRITE_STRATEGY"),
    ("schedule", "EXPORT_SCHEDULE"),
];

/// `node(...)` in `#[pipe(...)]`.
const NODE: Grammar = Grammar {
    what: "pipe node attribute",
    keys: &["name", "description", "sql", "sql_file"],
};

/// `#[param(...)]` on a field.
const PARAM: Grammar = Grammar {
    what: "param attribute",
    keys: &["default", "required", "description", "rename"],
};

/// `#[pipe(...)]`.
#[derive(Default)]
pub(crate) struct Pipe {
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) output: Option<Type>,
    pub(crate) method: Option<LitStr>,
    pub(crate) nodes: Vec<Node>,
    /// `materialized = TargetDatasource`.
    pub(crate) materialized: Option<Type>,
    pub(crate) copy: Option<Copy>,
    pub(crate) sink: Option<Sink>,
    /// `token = "name"` (repeatable): a token with READ access to this pipe.
    pub(crate) tokens: Vec<LitStr>,
    /// Every key written, whatever its value: a key with a bad value is reported as such, not as missing.
    written: BTreeSet<String>,
}

/// `copy(target = TargetDatasource, schedule = "...", mode = "append" | "replace")`.
pub(crate) struct Copy {
    pub(crate) span: Span,
    pub(crate) target: Option<Type>,
    /// A cron expression or `@on-demand`.
    pub(crate) schedule: Option<LitStr>,
    pub(crate) mode: Option<LitStr>,
}

/// `sink(connection = "...", ...)`: the `EXPORT_*` settings, by key of [`SINK_DIRECTIVES`].
pub(crate) struct Sink {
    pub(crate) settings: Vec<(&'static str, LitStr)>,
}

/// What a pipe is, from its attribute.
pub(crate) enum Kind<'a> {
    /// `output = Row`: an endpoint.
    Endpoint,
    Materialized(&'a Type),
    Copy(&'a Copy),
    Sink(&'a Sink),
}

/// `node(name = "...", description = "...", sql = "..." | sql_file = "...")`.
pub(crate) struct Node {
    /// The `node` keyword, for errors about the node as a whole.
    pub(crate) span: Span,
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) sql: Option<Sql>,
    /// Every key written, whatever its value (`sql` may be set aside for a bad value or file).
    written: BTreeSet<String>,
    /// Whether the list was read to its end; after a syntax error in it, missing keys are not reported.
    complete: bool,
}

/// A node's SQL and where it came from.
pub(crate) struct Sql {
    /// The `sql` or `sql_file` literal: errors about the SQL point here.
    pub(crate) lit: LitStr,
    /// The path of `sql_file`, relative to `CARGO_MANIFEST_DIR`.
    pub(crate) file: Option<String>,
    /// The SQL text (inline SQL dedented, file SQL as read).
    pub(crate) text: String,
}

/// `#[param(...)]` and the doc comment of a field.
#[derive(Default)]
pub(crate) struct Param {
    /// `default = <literal>`: the expression (for spans) and its value.
    pub(crate) default: Option<(Expr, Literal)>,
    /// The `required` flag, for spans.
    pub(crate) required: Option<TokenStream>,
    pub(crate) description: Option<LitStr>,
    pub(crate) rename: Option<LitStr>,
    /// The `///` lines, trimmed.
    pub(crate) docs: Vec<String>,
}

impl Pipe {
    /// Reads the arguments of `#[pipe(...)]` and checks the keys it needs.
    pub(crate) fn from_ast(cx: &mut Ctxt, args: TokenStream) -> Self {
        let mut this = Self::default();
        let parser = syn::meta::parser(|meta| {
            let key = meta::key_name(&meta.path);
            match key.as_str() {
                "name" => PIPE.read(cx, &meta, &mut this.name, string_value)?,
                "description" => PIPE.read(cx, &meta, &mut this.description, string_value)?,
                "method" => PIPE.read(cx, &meta, &mut this.method, string_value)?,
                "output" => PIPE.read(cx, &meta, &mut this.output, |cx, meta| {
                    meta::value(cx, meta, "RowType", "a type")
                })?,
                "node" => this.nodes.extend(Node::from_ast(cx, &meta)?),
                "materialized" => PIPE.read(cx, &meta, &mut this.materialized, |cx, meta| {
                    meta::value(cx, meta, "TargetDatasource", "a type")
                })?,
                "copy" => {
                    if let Some(copy) = Copy::from_ast(cx, &meta)? {
                        if this.copy.is_some() {
                            cx.error_spanned_by(&meta.path, "duplicate pipe attribute `copy`");
                        } else {
                            this.copy = Some(copy);
                        }
                    }
                }
                "sink" => {
                    if let Some(sink) = Sink::from_ast(cx, &meta)? {
                        if this.sink.is_some() {
                            cx.error_spanned_by(&meta.path, "duplicate pipe attribute `sink`");
                        } else {
                            this.sink = Some(sink);
                        }
                    }
                }
                "token" => {
                    if let Some(name) = string_value(cx, &meta)? {
                        if name.value().is_empty() || name.value().contains(['"', '\n']) {
                            cx.error_spanned_by(
                                &name,
                                "a token name is a non-empty line without `\"`",
                            );
                        } else if this.tokens.iter().any(|t| t.value() == name.value()) {
                            cx.error_spanned_by(
                                &name,
                                format!("duplicate token `{}`", name.value()),
                            );
                        } else {
                            this.tokens.push(name);
                        }
                    }
                }
                _ => PIPE.unknown_key(cx, &meta)?,
            }
            this.written.insert(key);
            Ok(())
        });
        if let Err(error) = parser.parse2(args) {
            cx.syn_error(error);
        }
        this.validate(cx);
        this
    }

    /// The keys a pipe needs, and the names in it.
    fn validate(&self, cx: &mut Ctxt) {
        let call_site = Span::call_site();
        match &self.name {
            None if self.written.contains("name") => {}
            None => cx.syn_error(syn::Error::new(
                call_site,
                "missing `name = \"...\"` in `#[pipe(...)]`",
            )),
            Some(name) if !is_resource_name(&name.value()) => cx.error_spanned_by(
                name,
                "pipe names are letters, digits and `_`, not starting with a digit",
            ),
            Some(_) => {}
        }
        let kinds: Vec<&str> = ["materialized", "copy", "sink"]
            .into_iter()
            .filter(|key| self.written.contains(*key))
            .collect();
        if kinds.len() > 1 {
            cx.syn_error(syn::Error::new(
                call_site,
                format!(
                    "a pipe is one of an endpoint, `materialized`, `copy` or `sink`, not {}",
                    kinds
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            ));
        }
        match (kinds.first().copied(), self.written.contains("output")) {
            (None, false) => cx.syn_error(syn::Error::new(
                call_site,
                "missing `output = RowType` in `#[pipe(...)]`: the type of one row of the endpoint",
            )),
            (Some(kind @ ("materialized" | "copy")), true) => {
                let span = self
                    .output
                    .as_ref()
                    .map_or(call_site, syn::spanned::Spanned::span);
                cx.syn_error(syn::Error::new(
                    span,
                    format!("a `{kind}` pipe writes rows of its target datasource: drop `output`"),
                ));
            }
            (Some("sink"), true) => {
                let span = self
                    .output
                    .as_ref()
                    .map_or(call_site, syn::spanned::Spanned::span);
                cx.syn_error(syn::Error::new(
                    span,
                    "a `sink` pipe exports its rows to a connection: drop `output`",
                ));
            }
            _ => {}
        }
        if self.method.is_some() && !kinds.is_empty() {
            let lit = self.method.as_ref().map_or(call_site, LitStr::span);
            cx.syn_error(syn::Error::new(
                lit,
                "only endpoints have a typed call: drop `method`",
            ));
        }
        if !self.written.contains("node") {
            cx.syn_error(syn::Error::new(
                call_site,
                "`#[pipe(...)]` needs at least one `node(name = \"...\", sql = \"...\")`; the last is the endpoint",
            ));
        }
        let mut names = BTreeSet::new();
        for node in &self.nodes {
            match &node.name {
                None if node.complete && !node.written.contains("name") => cx.syn_error(
                    syn::Error::new(node.span, "missing `name = \"...\"` in `node(...)`"),
                ),
                Some(name) if !is_resource_name(&name.value()) => cx.error_spanned_by(
                    name,
                    "node names are letters, digits and `_`, not starting with a digit",
                ),
                Some(name) if !names.insert(name.value()) => {
                    cx.error_spanned_by(name, format!("duplicate node name `{}`", name.value()));
                }
                None | Some(_) => {}
            }
            let has_sql = node.written.contains("sql") || node.written.contains("sql_file");
            if node.complete && !has_sql {
                cx.syn_error(syn::Error::new(
                    node.span,
                    "missing `sql = \"...\"` or `sql_file = \"...\"` in `node(...)`",
                ));
            }
        }
    }
}

impl Pipe {
    /// What the pipe is; an endpoint unless `materialized`, `copy` or `sink` says otherwise.
    pub(crate) fn kind(&self) -> Kind<'_> {
        if let Some(target) = &self.materialized {
            Kind::Materialized(target)
        } else if let Some(copy) = &self.copy {
            Kind::Copy(copy)
        } else if let Some(sink) = &self.sink {
            Kind::Sink(sink)
        } else {
            Kind::Endpoint
        }
    }
}

impl Copy {
    /// Reads `copy(...)`; `None` (reported) when `copy` is not followed by a list.
    fn from_ast(cx: &mut Ctxt, copy: &ParseNestedMeta<'_>) -> syn::Result<Option<Self>> {
        if !copy.input.peek(syn::token::Paren) {
            meta::skip_value(copy)?;
            cx.error_spanned_by(
                &copy.path,
                "expected `copy(target = TargetDatasource, schedule = \"...\", mode = \"append\")`",
            );
            return Ok(None);
        }
        let mut this = Self {
            span: copy.path.span(),
            target: None,
            schedule: None,
            mode: None,
        };
        let result = copy.parse_nested_meta(|meta| {
            match meta::key_name(&meta.path).as_str() {
                "target" => COPY.read(cx, &meta, &mut this.target, |cx, meta| {
                    meta::value(cx, meta, "TargetDatasource", "a type")
                })?,
                "schedule" => COPY.read(cx, &meta, &mut this.schedule, string_value)?,
                "mode" => COPY.read(cx, &meta, &mut this.mode, string_value)?,
                _ => COPY.unknown_key(cx, &meta)?,
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.syn_error(error);
            return Ok(Some(this));
        }
        if this.target.is_none() {
            cx.syn_error(syn::Error::new(
                this.span,
                "missing `target = TargetDatasource` in `copy(...)`",
            ));
        }
        if let Some(mode) = &this.mode
            && !matches!(mode.value().as_str(), "append" | "replace")
        {
            cx.error_spanned_by(mode, "expected `mode = \"append\"` or `\"replace\"`");
        }
        if let Some(schedule) = &this.schedule {
            check_schedule(cx, schedule);
        }
        Ok(Some(this))
    }
}

impl Sink {
    /// Reads `sink(...)`; `None` (reported) when `sink` is not followed by a list.
    fn from_ast(cx: &mut Ctxt, sink: &ParseNestedMeta<'_>) -> syn::Result<Option<Self>> {
        if !sink.input.peek(syn::token::Paren) {
            meta::skip_value(sink)?;
            cx.error_spanned_by(&sink.path, "expected `sink(connection = \"...\", ...)`");
            return Ok(None);
        }
        let mut slots: Vec<Option<LitStr>> = SINK_DIRECTIVES.iter().map(|_| None).collect();
        let result = sink.parse_nested_meta(|meta| {
            let key = meta::key_name(&meta.path);
            match SINK_DIRECTIVES.iter().position(|(k, _)| *k == key) {
                Some(i) => match slots.get_mut(i) {
                    Some(slot) => SINK.read(cx, &meta, slot, string_value)?,
                    None => SINK.unknown_key(cx, &meta)?,
                },
                None => SINK.unknown_key(cx, &meta)?,
            }
            Ok(())
        });
        let span = sink.path.span();
        let settings: Vec<(&'static str, LitStr)> = SINK_DIRECTIVES
            .iter()
            .zip(slots)
            .filter_map(|((key, _), value)| Some((*key, value?)))
            .collect();
        if let Err(error) = result {
            cx.syn_error(error);
            return Ok(Some(Self { settings }));
        }
        let has = |key: &str| settings.iter().any(|(k, _)| *k == key);
        if !has("connection") {
            cx.syn_error(syn::Error::new(
                span,
                "missing `connection = \"...\"` in `sink(...)`: the Kafka or S3/GCS connection it exports to",
            ));
        }
        let bucket = has("bucket_uri") || has("file_template");
        if has("kafka_topic") == bucket {
            cx.syn_error(syn::Error::new(
                span,
                "a sink exports to `kafka_topic = \"...\"` or to `bucket_uri` and `file_template`, one of the two",
            ));
        } else if bucket && !(has("bucket_uri") && has("file_template")) {
            cx.syn_error(syn::Error::new(
                span,
                "a bucket sink needs both `bucket_uri` and `file_template`",
            ));
        }
        for (key, value) in &settings {
            match *key {
                "format" if !matches!(value.value().as_str(), "csv" | "ndjson" | "parquet") => cx
                    .error_spanned_by(
                        value,
                        "expected `format = \"csv\"`, `\"ndjson\"` or `\"parquet\"`",
                    ),
                "schedule" => check_schedule(cx, value),
                _ => {}
            }
        }
        Ok(Some(Self { settings }))
    }
}

/// `@on-demand` or a five-field cron expression.
fn check_schedule(cx: &mut Ctxt, schedule: &LitStr) {
    let text = schedule.value();
    if text != "@on-demand" && text.split_whitespace().count() != 5 {
        cx.error_spanned_by(
            schedule,
            "expected `\"@on-demand\"` or a cron expression of five fields, as in `\"0 * * * *\"`",
        );
    }
}

impl Node {
    /// Reads `node(...)`; `None` (reported) when `node` is not followed by a list.
    fn from_ast(cx: &mut Ctxt, node: &ParseNestedMeta<'_>) -> syn::Result<Option<Self>> {
        if !node.input.peek(syn::token::Paren) {
            meta::skip_value(node)?;
            cx.error_spanned_by(&node.path, "expected `node(name = \"...\", sql = \"...\")`");
            return Ok(None);
        }
        let mut this = Self {
            span: node.path.span(),
            name: None,
            description: None,
            sql: None,
            written: BTreeSet::new(),
            complete: true,
        };
        let result = node.parse_nested_meta(|meta| {
            let key = meta::key_name(&meta.path);
            match key.as_str() {
                "name" => NODE.read(cx, &meta, &mut this.name, string_value)?,
                "description" => NODE.read(cx, &meta, &mut this.description, string_value)?,
                "sql" | "sql_file" => {
                    let had_sql = this.written.contains("sql") || this.written.contains("sql_file");
                    if let Some(lit) = string_value(cx, &meta)? {
                        this.read_sql(cx, &meta, had_sql, lit);
                    }
                }
                _ => NODE.unknown_key(cx, &meta)?,
            }
            this.written.insert(key);
            Ok(())
        });
        // The list is one parenthesized group, consumed whatever happened inside it: the keys after
        // the node are still read.
        if let Err(error) = result {
            cx.syn_error(error);
            this.complete = false;
        }
        Ok(Some(this))
    }

    /// `sql = "..."` or `sql_file = "..."`; a node takes one of them.
    fn read_sql(&mut self, cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, had_sql: bool, lit: LitStr) {
        if had_sql {
            cx.error_spanned_by(
                &meta.path,
                "a node takes one of `sql = \"...\"` and `sql_file = \"...\"`",
            );
        } else if meta.path.is_ident("sql") {
            self.sql = Some(Sql {
                text: dedent(&lit.value()),
                lit,
                file: None,
            });
        } else {
            self.sql = read_sql_file(cx, lit);
        }
    }
}

impl Param {
    /// Reads the `#[param(...)]` attributes and the doc comment of a field.
    pub(crate) fn from_ast(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut this = Self::default();
        for attr in attrs {
            if attr.path().is_ident("doc")
                && let syn::Meta::NameValue(doc) = &attr.meta
                && let Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) = &doc.value
            {
                this.docs.push(text.value().trim().to_owned());
            }
            if !attr.path().is_ident("param") {
                continue;
            }
            let result = attr.parse_nested_meta(|meta| {
                match meta::key_name(&meta.path).as_str() {
                    "default" => PARAM.read(cx, &meta, &mut this.default, default_value)?,
                    "required" => PARAM.read(cx, &meta, &mut this.required, flag_value)?,
                    "description" => PARAM.read(cx, &meta, &mut this.description, string_value)?,
                    "rename" => PARAM.read(cx, &meta, &mut this.rename, string_value)?,
                    _ => PARAM.unknown_key(cx, &meta)?,
                }
                Ok(())
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        }
        this
    }
}

/// `default = <literal>`: a number (possibly negative), a string or a bool, and its value.
fn default_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
) -> syn::Result<Option<(Expr, Literal)>> {
    let Some(value) = meta::value::<Expr>(cx, meta, "7", "a literal")? else {
        return Ok(None);
    };
    let Some(literal) = rust_literal(&value) else {
        cx.error_spanned_by(
            &value,
            "expected a literal default: a number, a string or a bool",
        );
        return Ok(None);
    };
    Ok(Some((value, literal)))
}

/// Reads `sql_file` against `CARGO_MANIFEST_DIR`, for checking; the expansion `include_str!`s it too so
/// cargo rebuilds when it changes.
fn read_sql_file(cx: &mut Ctxt, lit: LitStr) -> Option<Sql> {
    let relative = lit.value();
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        cx.error_spanned_by(
            &lit,
            "`sql_file` needs `CARGO_MANIFEST_DIR` (build with cargo)",
        );
        return None;
    };
    match std::fs::read_to_string(Path::new(&dir).join(&relative)) {
        Ok(text) => Some(Sql {
            lit,
            file: Some(relative),
            text,
        }),
        Err(error) => {
            cx.error_spanned_by(
                &lit,
                format!("cannot read `{relative}` (relative to `CARGO_MANIFEST_DIR`): {error}"),
            );
            None
        }
    }
}

/// Removes the indentation common to all non-blank lines and the blank lines around the text, so SQL can
/// be written as an indented raw string.
pub(crate) fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |i| i + 1);
    lines[start..end].join("\n")
}

/// `Option<...>` (also `std::option::Option<...>`), by its last path segment.
pub(crate) fn is_option(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|segment| segment.ident == "Option")
}

/// `T` of `Option<T>`, as written.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty).filter(|segment| segment.ident == "Option")?;
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// `String` (or `std::string::String`), as written.
pub(crate) fn is_string(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|segment| segment.ident == "String" && segment.arguments.is_none())
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        _ => None,
    }
}

/// A Rust literal (or a negated number) as a template [`Literal`].
fn rust_literal(expr: &Expr) -> Option<Literal> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Int(int) => Some(Literal::Int(normalize_int(int.base10_digits(), false))),
            Lit::Float(float) => Some(Literal::Float(float.base10_digits().to_owned())),
            Lit::Str(text) => Some(Literal::Str(text.value())),
            Lit::Bool(value) => Some(Literal::Bool(value.value)),
            _ => None,
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match rust_literal(expr)? {
            Literal::Int(digits) => Some(Literal::Int(normalize_int(&digits, true))),
            Literal::Float(digits) => Some(Literal::Float(format!("-{digits}"))),
            _ => None,
        },
        Expr::Group(group) => rust_literal(&group.expr),
        _ => None,
    }
}

fn normalize_int(digits: &str, negative: bool) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else if negative {
        format!("-{trimmed}")
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::dedent;

    #[test]
    fn dedent_strips_common_indent_and_outer_blank_lines() {
        let sql = "\n        %\n        SELECT a\n          FROM t\n\n        WHERE 1   \n    ";
        assert_eq!(dedent(sql), "%\nSELECT a\n  FROM t\n\nWHERE 1");
        assert_eq!(dedent("SELECT 1"), "SELECT 1");
    }
}
