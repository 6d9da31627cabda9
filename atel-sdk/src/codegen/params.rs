//! A pipe's template params, found by the same scanner `#[pipe]` checks the SQL with, as fields.

use super::template::{self, Kind, Literal};

/// One params-struct field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamField {
    /// The param name (the query-string key).
    pub(crate) name: String,
    /// The Rust type.
    pub(crate) rust: String,
    /// `#[param(...)]` items: `default = 7`, `required`, `rename = "..."`.
    pub(crate) attrs: Vec<String>,
    /// The SQL's `description='...'`.
    pub(crate) description: Option<String>,
    /// The template type and default, for the field's doc.
    pub(crate) template: String,
}

/// The Rust type a template type function holds; `None` for `JSON` arrays and unknown names.
fn scalar(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "String" | "JSON" => "String",
        "Boolean" => "bool",
        "DateTime64" | "DateTime" => "chrono::NaiveDateTime",
        "Date" => "chrono::NaiveDate",
        "Float32" => "f32",
        "Float64" => "f64",
        "Int8" => "i8",
        "Int16" => "i16",
        "Int32" => "i32",
        "Int64" => "i64",
        "Int128" | "Int256" => "i128",
        "UInt8" => "u8",
        "UInt16" => "u16",
        "UInt32" => "u32",
        "UInt64" => "u64",
        "UInt128" | "UInt256" => "u128",
        _ => return None,
    })
}

/// The params of a pipe's nodes, in order of first use; template errors as messages.
pub(crate) fn params(sqls: &[&str]) -> Result<Vec<ParamField>, String> {
    let scans: Vec<template::Scan> = sqls.iter().map(|sql| template::scan(sql)).collect();
    if let Some(error) = scans.iter().flat_map(|s| &s.errors).next() {
        return Err(format!("template error: {error}"));
    }
    let uses: Vec<&template::Use> = scans.iter().flat_map(|s| &s.uses).collect();
    let mut names: Vec<&str> = Vec::new();
    for used in &uses {
        if !names.contains(&used.name.as_str()) {
            names.push(&used.name);
        }
    }
    let mut fields = Vec::new();
    for name in names {
        let of: Vec<&&template::Use> = uses.iter().filter(|u| u.name == name).collect();
        let typed = of.iter().find_map(|u| match &u.kind {
            Kind::Typed { ty, array } => Some((ty.clone(), *array)),
            Kind::Untyped => None,
        });
        let (template_type, element, array) = match &typed {
            Some((ty, true)) => (format!("Array({ty})"), ty.clone(), true),
            Some((ty, false)) => (ty.clone(), ty.clone(), false),
            None => ("String".to_owned(), "String".to_owned(), false),
        };
        let element_rust = scalar(&element)
            .ok_or_else(|| format!("param `{name}`: no Rust type for template type `{element}`"))?;
        let rust = if array {
            format!("Vec<{element_rust}>")
        } else {
            element_rust.to_owned()
        };
        let default = of.iter().find_map(|u| u.default.clone());
        let required = of.iter().any(|u| u.required);
        let unguarded = of
            .iter()
            .any(|u| matches!(u.kind, Kind::Typed { .. }) && u.default.is_none() && !u.guarded);
        let description = of.iter().find_map(|u| u.description.clone());
        let mut attrs = Vec::new();
        let default_text = default.as_ref().map(|d| match d {
            Ok(literal) => literal.in_sql(),
            Err(text) => text.clone(),
        });
        let rust_default = match &default {
            Some(Ok(literal)) if !array => rust_literal(literal, element_rust),
            _ => None,
        };
        let rust = if let Some(literal) = rust_default {
            attrs.push(format!("default = {literal}"));
            rust
        } else if required {
            attrs.push("required".to_owned());
            rust
        } else if unguarded && default.is_none() {
            // Read with no default outside `{% if defined(..) %}`: the query needs it.
            rust
        } else {
            format!("Option<{rust}>")
        };
        let template = match default_text {
            Some(default) => format!("{template_type}, default {default}"),
            None => template_type,
        };
        fields.push(ParamField {
            name: name.to_owned(),
            rust,
            attrs,
            description,
            template,
        });
    }
    Ok(fields)
}

/// The default as a Rust literal of the field's type, when one can be the field's initial value.
fn rust_literal(literal: &Literal, rust: &str) -> Option<String> {
    let number = matches!(
        rust,
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128"
    );
    match literal {
        Literal::Int(text) if number && !(rust.starts_with('u') && text.starts_with('-')) => {
            Some(text.clone())
        }
        Literal::Int(text) if matches!(rust, "f32" | "f64") => Some(format!("{text}.0")),
        Literal::Float(text)
            if matches!(rust, "f32" | "f64")
                && text
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-'))
                && text.contains('.') =>
        {
            Some(text.clone())
        }
        Literal::Str(text) if rust == "String" => Some(format!("{text:?}")),
        Literal::Bool(value) if rust == "bool" => Some(value.to_string()),
        _ => None,
    }
}
