//! The rules between the struct and the SQL: every param the SQL reads is a field, every field is read,
//! defaults agree, optional params are guarded, names are not Tinybird's. Type fit is checked by the
//! expansion through `atel_sdk::param` (so aliases resolve); this module lists what to check.

use std::collections::BTreeSet;

use super::ast::{Field, Pipe};
use super::attr::Node;
use super::template::names::{API_PARAM_NAMES, TEMPLATE_NAMES};
use super::template::{self, Kind, Literal, Scan, Use};
use crate::ctxt::Ctxt;

/// What the expansion needs to know about one param.
pub(crate) struct Param {
    /// The Tinybird type: `Int32`, `Array(UInt64)`, `String` when only used untyped.
    pub(crate) template_type: String,
    /// The `TemplateType` variant values are formatted for (the element type for arrays).
    pub(crate) format_as: String,
    /// The SQL default, as Tinybird's analysis reports it.
    pub(crate) default: Option<String>,
    pub(crate) required: bool,
    pub(crate) description: Option<String>,
    /// Every distinct `(type, array, node)` reading the field through a type function.
    pub(crate) fits: Vec<(String, bool, String)>,
}

fn node_name(node: &Node) -> String {
    node.name
        .as_ref()
        .map_or_else(String::new, syn::LitStr::value)
}

/// Checks the pipe; returns one [`Param`] per field, in field order.
pub(crate) fn check(cx: &mut Ctxt, pipe: &Pipe<'_>) -> Vec<Param> {
    let struct_ident = &pipe.original.ident;
    let fields = &pipe.fields;
    let nodes = &pipe.attrs.nodes;
    let scans: Vec<Option<Scan>> = nodes
        .iter()
        .map(|node| {
            let sql = node.sql.as_ref()?;
            let scan = template::scan(&sql.text);
            let node = node_name(node);
            for error in &scan.errors {
                cx.error_spanned_by(&sql.lit, format!("in the SQL of node `{node}`: {error}"));
            }
            let first_line = sql.text.lines().find(|line| !line.trim().is_empty());
            if scan.templated && first_line.map(str::trim) != Some("%") {
                cx.error_spanned_by(
                    &sql.lit,
                    format!("node `{node}` uses templates, so its SQL must start with a `%` line"),
                );
            }
            let mut reported = BTreeSet::new();
            for used in &scan.uses {
                if !fields.iter().any(|f| f.name == used.name) && reported.insert(&used.name) {
                    cx.error_spanned_by(
                        &sql.lit,
                        format!(
                            "node `{node}` reads the param `{}`, but `{struct_ident}` has no field `{0}`",
                            used.name
                        ),
                    );
                }
            }
            Some(scan)
        })
        .collect();
    let uses_of = |name: &str| -> Vec<(&Use, String, &syn::LitStr)> {
        nodes
            .iter()
            .zip(&scans)
            .filter_map(|(node, scan)| Some((node, scan.as_ref()?, &node.sql.as_ref()?.lit)))
            .flat_map(|(node, scan, lit)| {
                scan.uses
                    .iter()
                    .filter(move |u| u.name == name)
                    .map(move |u| (u, node_name(node), lit))
            })
            .collect()
    };
    fields
        .iter()
        .map(|field| check_field(cx, field, &uses_of(&field.name)))
        .collect()
}

fn check_field(cx: &mut Ctxt, field: &Field<'_>, uses: &[(&Use, String, &syn::LitStr)]) -> Param {
    let name = &field.name;
    let reserved = if API_PARAM_NAMES.contains(&name.as_str()) {
        Some("is a parameter of Tinybird's API")
    } else if TEMPLATE_NAMES.contains(&name.as_str()) || name.starts_with("__") {
        Some("is a built-in name in Tinybird templates")
    } else {
        None
    };
    if let Some(why) = reserved {
        cx.error_spanned_by(
            field.ident,
            format!("`{name}` {why}, so it cannot be a pipe param: rename the field or use `#[param(rename = \"...\")]`"),
        );
    } else if uses.is_empty() {
        cx.error_spanned_by(
            field.ident,
            format!("field `{name}` is not a param of any node: no node's SQL reads `{name}`"),
        );
    }
    let typed = uses.iter().find_map(|(u, _, _)| match &u.kind {
        Kind::Typed { ty, array } => Some((ty.clone(), *array)),
        Kind::Untyped => None,
    });
    let (template_type, format_as) = match &typed {
        Some((ty, true)) => (format!("Array({ty})"), ty.clone()),
        Some((ty, false)) => (ty.clone(), ty.clone()),
        None => ("String".to_owned(), "String".to_owned()),
    };
    let mut fits = Vec::new();
    for (used, node, _) in uses {
        if let Kind::Typed { ty, array } = &used.kind {
            let fit = (ty.clone(), *array, node.clone());
            if !fits.contains(&fit) {
                fits.push(fit);
            }
        }
    }

    if let Some(required) = &field.required {
        if field.optional {
            cx.error_spanned_by(
                required,
                "an `Option` field is an optional param, it cannot be `required`",
            );
        } else if !uses.is_empty() && !uses.iter().any(|(u, _, _)| u.required) {
            // Tinybird learns `required` from the SQL only; say it there so both agree.
            cx.error_spanned_by(
                required,
                format!(
                    "`{name}` is `required` here but not in the SQL: add `required=True` to a type \
                     function reading it, as in `{}({name}, required=True)`",
                    typed.as_ref().map_or("String", |(ty, _)| ty.as_str())
                ),
            );
        }
    }

    let default = check_defaults(cx, field, uses, typed.as_ref());

    if field.optional {
        let unguarded = uses.iter().find(|(u, _, _)| {
            matches!(u.kind, Kind::Typed { .. }) && u.default.is_none() && !u.guarded
        });
        if let Some((_, node, lit)) = unguarded {
            cx.error_spanned_by(
                lit,
                format!(
                    "node `{node}` reads the optional param `{name}` with no default outside \
                     `{{% if defined({name}) %}}`, so the query fails when it is `None`"
                ),
            );
        }
    }

    Param {
        template_type,
        format_as,
        default,
        required: field.required.is_some() || uses.iter().any(|(u, _, _)| u.required),
        description: field
            .description
            .clone()
            .or_else(|| uses.iter().find_map(|(u, _, _)| u.description.clone())),
        fits,
    }
}

/// Checks the SQL defaults against each other and against `#[param(default = ...)]`; returns the default.
fn check_defaults(
    cx: &mut Ctxt,
    field: &Field<'_>,
    uses: &[(&Use, String, &syn::LitStr)],
    typed: Option<&(String, bool)>,
) -> Option<String> {
    let name = &field.name;
    let mut first: Option<(Literal, &str)> = None;
    let mut text = None;
    for (used, node, lit) in uses {
        let Some(default) = &used.default else {
            continue;
        };
        let literal = match default {
            Ok(literal) => literal,
            Err(expr) => {
                text.get_or_insert_with(|| expr.clone());
                continue;
            }
        };
        text.get_or_insert_with(|| literal.text());
        if let Some((expr, wanted)) = &field.default {
            if !same(wanted, literal) {
                cx.error_spanned_by(
                    expr,
                    format!(
                        "`{name}` defaults to `{}` here but to `{}` in the SQL of node `{node}`",
                        wanted.in_rust(),
                        literal.in_sql()
                    ),
                );
            }
        } else if let Some((earlier, earlier_node)) = &first
            && !same(earlier, literal)
        {
            cx.error_spanned_by(
                lit,
                format!(
                    "`{name}` defaults to `{}` in node `{node}` but to `{}` in node `{earlier_node}`",
                    literal.in_sql(),
                    earlier.in_sql()
                ),
            );
        }
        if first.is_none() {
            first = Some((literal.clone(), node));
        }
    }
    if let (Some((expr, wanted)), None) = (&field.default, &text)
        && !uses.is_empty()
    {
        let example = match typed {
            Some((ty, true)) => format!("Array({name}, '{ty}', ...)"),
            Some((ty, false)) => format!("{ty}({name}, ...)"),
            None => format!("String({name}, ...)"),
        };
        cx.error_spanned_by(
            expr,
            format!(
                "`{name}` defaults to `{}` here but has no default in the SQL: add it there, as in `{example}`",
                wanted.in_rust()
            ),
        );
    }
    text
}

/// Whether two literals are the same value: numbers by value, the rest exactly.
fn same(a: &Literal, b: &Literal) -> bool {
    match (a, b) {
        (Literal::Int(x), Literal::Int(y)) => x == y,
        (Literal::Int(x) | Literal::Float(x), Literal::Int(y) | Literal::Float(y)) => {
            matches!((x.parse::<f64>(), y.parse::<f64>()), (Ok(x), Ok(y)) if x.total_cmp(&y).is_eq())
        }
        _ => a == b,
    }
}
