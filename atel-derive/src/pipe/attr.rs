//! The `#[pipe(...)]` grammar and the `#[param(...)]` field attributes, read into a typed model.

use std::path::Path;

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser as _;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, LitStr, Type, UnOp};

use super::template::Literal;
use crate::ctxt::Ctxt;

/// `#[pipe(...)]`.
pub(crate) struct PipeAttr {
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) output: Option<Type>,
    pub(crate) method: Option<LitStr>,
    pub(crate) nodes: Vec<NodeAttr>,
}

/// `node(name = "...", description = "...", sql = "..." | sql_file = "...")`.
pub(crate) struct NodeAttr {
    /// The `node` keyword, for errors about the node as a whole.
    pub(crate) span: Span,
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) sql: Option<Sql>,
    /// Whether `sql` or `sql_file` was given (the file may not have been readable).
    pub(crate) has_sql_key: bool,
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

/// One field of the params struct and its `#[param(...)]`.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The query-string name: `rename`, or the field name.
    pub(crate) name: String,
    /// `Option<...>`, written as such.
    pub(crate) optional: bool,
    pub(crate) default: Option<(Expr, Literal)>,
    pub(crate) required: Option<Ident>,
    pub(crate) description: Option<String>,
}

fn duplicate<T>(cx: &mut Ctxt, slot: Option<&T>, meta: &ParseNestedMeta<'_>, what: &str) -> bool {
    if slot.is_some() {
        let key = meta
            .path
            .get_ident()
            .map_or_else(String::new, ToString::to_string);
        cx.error_spanned_by(&meta.path, format!("duplicate {what} attribute `{key}`"));
    }
    slot.is_some()
}

/// Consumes the value of a key we do not know (`= expr` or `(...)`), so parsing can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

fn unknown(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, what: &str) -> syn::Result<()> {
    let key = meta.path.get_ident().map_or_else(
        || quote::ToTokens::to_token_stream(&meta.path).to_string(),
        ToString::to_string,
    );
    cx.error_spanned_by(&meta.path, format!("unknown {what} attribute `{key}`"));
    skip_value(meta)
}

/// Reads the arguments of `#[pipe(...)]`.
pub(crate) fn parse_pipe(cx: &mut Ctxt, args: TokenStream) -> PipeAttr {
    let mut attr = PipeAttr {
        name: None,
        description: None,
        output: None,
        method: None,
        nodes: Vec::new(),
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            let value = meta.value()?.parse()?;
            if !duplicate(cx, attr.name.as_ref(), &meta, "pipe") {
                attr.name = Some(value);
            }
        } else if meta.path.is_ident("description") {
            let value = meta.value()?.parse()?;
            if !duplicate(cx, attr.description.as_ref(), &meta, "pipe") {
                attr.description = Some(value);
            }
        } else if meta.path.is_ident("output") {
            let value = meta.value()?.parse()?;
            if !duplicate(cx, attr.output.as_ref(), &meta, "pipe") {
                attr.output = Some(value);
            }
        } else if meta.path.is_ident("method") {
            let value = meta.value()?.parse()?;
            if !duplicate(cx, attr.method.as_ref(), &meta, "pipe") {
                attr.method = Some(value);
            }
        } else if meta.path.is_ident("node") {
            let node = parse_node(cx, &meta)?;
            attr.nodes.push(node);
        } else {
            unknown(cx, &meta, "pipe")?;
        }
        Ok(())
    });
    if let Err(error) = parser.parse2(args) {
        cx.syn_error(error);
    }
    attr
}

fn parse_node(cx: &mut Ctxt, node: &ParseNestedMeta<'_>) -> syn::Result<NodeAttr> {
    let mut attr = NodeAttr {
        span: node.path.span(),
        name: None,
        description: None,
        sql: None,
        has_sql_key: false,
    };
    node.parse_nested_meta(|meta| {
        if meta.path.is_ident("name") {
            let value = meta.value()?.parse()?;
            if !duplicate(cx, attr.name.as_ref(), &meta, "node") {
                attr.name = Some(value);
            }
        } else if meta.path.is_ident("description") {
            let value = meta.value()?.parse()?;
            if !duplicate(cx, attr.description.as_ref(), &meta, "node") {
                attr.description = Some(value);
            }
        } else if meta.path.is_ident("sql") || meta.path.is_ident("sql_file") {
            let lit: LitStr = meta.value()?.parse()?;
            if attr.has_sql_key {
                cx.error_spanned_by(
                    &meta.path,
                    "a node takes one of `sql = \"...\"` and `sql_file = \"...\"`",
                );
            } else if meta.path.is_ident("sql") {
                attr.has_sql_key = true;
                attr.sql = Some(Sql {
                    text: dedent(&lit.value()),
                    lit,
                    file: None,
                });
            } else {
                attr.has_sql_key = true;
                attr.sql = read_sql_file(cx, lit);
            }
        } else {
            unknown(cx, &meta, "pipe node")?;
        }
        Ok(())
    })?;
    Ok(attr)
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

/// Reads a field and its `#[param(...)]`; `None` for a field without a name.
pub(crate) fn parse_field<'a>(cx: &mut Ctxt, field: &'a syn::Field) -> Option<Field<'a>> {
    let ident = field.ident.as_ref()?;
    let mut parsed = Field {
        ident,
        ty: &field.ty,
        name: ident.to_string().trim_start_matches("r#").to_owned(),
        optional: is_option(&field.ty),
        default: None,
        required: None,
        description: None,
    };
    let mut rename: Option<LitStr> = None;
    let mut description: Option<LitStr> = None;
    let mut docs = Vec::new();
    for attr in &field.attrs {
        if attr.path().is_ident("doc")
            && let syn::Meta::NameValue(doc) = &attr.meta
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) = &doc.value
        {
            docs.push(text.value().trim().to_owned());
        }
        if !attr.path().is_ident("param") {
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                let value: Expr = meta.value()?.parse()?;
                if !duplicate(cx, parsed.default.as_ref(), &meta, "param") {
                    match rust_literal(&value) {
                        Some(literal) => parsed.default = Some((value, literal)),
                        None => cx.error_spanned_by(
                            &value,
                            "expected a literal default: a number, a string or a bool",
                        ),
                    }
                }
            } else if meta.path.is_ident("required") {
                let key = meta.path.get_ident().cloned();
                if !duplicate(cx, parsed.required.as_ref(), &meta, "param") {
                    parsed.required = key;
                }
            } else if meta.path.is_ident("description") {
                let value = meta.value()?.parse()?;
                if !duplicate(cx, description.as_ref(), &meta, "param") {
                    description = Some(value);
                }
            } else if meta.path.is_ident("rename") {
                let value = meta.value()?.parse()?;
                if !duplicate(cx, rename.as_ref(), &meta, "param") {
                    rename = Some(value);
                }
            } else {
                unknown(cx, &meta, "param")?;
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.syn_error(error);
        }
    }
    if let Some(rename) = rename {
        parsed.name = rename.value();
    }
    parsed.description = description
        .map(|d| d.value())
        .or_else(|| (!docs.is_empty()).then(|| docs.join(" ").trim().to_owned()));
    Some(parsed)
}

/// `Option<...>` (also `std::option::Option<...>`), by its last path segment.
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Option"),
        Type::Group(group) => is_option(&group.elem),
        _ => false,
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
