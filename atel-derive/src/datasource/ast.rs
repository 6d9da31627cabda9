//! The typed model of a `#[derive(Datasource)]` input: the struct with its resolved datasource name and
//! its columns, each keeping the `syn` node it came from for spans.

use proc_macro2::TokenStream;
use quote::ToTokens as _;
use syn::ext::IdentExt as _;
use syn::{Data, DeriveInput, Fields, Type, TypeGroup, TypeParen, TypePath};

use super::attr;
use super::case::to_snake_case;
use crate::ctxt::Ctxt;

/// The struct a datasource is derived for.
pub(crate) struct Container<'a> {
    pub(crate) original: &'a DeriveInput,
    pub(crate) attrs: attr::Container,
    /// The datasource name: `#[tinybird(name)]`, else the struct name in `snake_case`.
    pub(crate) name: String,
    /// The columns in field order. Fields skipped by `#[tinybird(skip)]` are not here, nor fields serde
    /// never sends, unless their `json_path` says which sent key fills them (a second column of a key).
    pub(crate) columns: Vec<Column<'a>>,
}

/// One column, from one field.
pub(crate) struct Column<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) attrs: attr::Field,
    /// The column name: `#[tinybird(column)]`, else the JSON key serde sends for the field.
    pub(crate) name: String,
    /// The JSON key serde sends for the field; `None` when serde skips it (its `json_path` is set).
    pub(crate) key: Option<String>,
}

impl<'a> Container<'a> {
    /// The model, or `None` when the input is not a struct with named fields (reported to `cx`).
    pub(crate) fn from_ast(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = attr::Container::from_ast(cx, &input.attrs);
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => &fields.named,
                Fields::Unnamed(fields) => {
                    cx.error_spanned_by(fields, NAMED_FIELDS_ONLY);
                    return None;
                }
                Fields::Unit => {
                    cx.error_spanned_by(&input.ident, NAMED_FIELDS_ONLY);
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.syn_error(syn::Error::new(data.enum_token.span, NAMED_FIELDS_ONLY));
                return None;
            }
            Data::Union(data) => {
                cx.syn_error(syn::Error::new(data.union_token.span, NAMED_FIELDS_ONLY));
                return None;
            }
        };
        let mut columns = Vec::with_capacity(fields.len());
        for field in fields {
            let field_attrs = attr::Field::from_ast(cx, &field.attrs);
            if let Some(flatten) = &field_attrs.serde_flatten
                && field_attrs.skip.is_none()
            {
                cx.error_spanned_by(
                    flatten,
                    "`#[serde(flatten)]` is not supported by `Datasource`, list the columns as fields \
                     or add `#[tinybird(skip)]`",
                );
            }
            let derived = field_attrs.serde_skip && field_attrs.json_path.is_some();
            if (field_attrs.serde_skip && !derived) || field_attrs.skip.is_some() {
                continue;
            }
            let Some(ident) = &field.ident else {
                cx.error_spanned_by(field, NAMED_FIELDS_ONLY);
                continue;
            };
            let key = match (&field_attrs.serde_rename, attrs.rename_all) {
                (Some(rename), _) => rename.value(),
                (None, Some(rule)) => rule.apply_to_field(&ident.unraw().to_string()),
                (None, None) => ident.unraw().to_string(),
            };
            let name = field_attrs
                .column
                .as_ref()
                .map_or_else(|| key.clone(), syn::LitStr::value);
            columns.push(Column {
                original: field,
                attrs: field_attrs,
                name,
                key: (!derived).then_some(key),
            });
        }
        let name = attrs.name.as_ref().map_or_else(
            || to_snake_case(&input.ident.unraw().to_string()),
            syn::LitStr::value,
        );
        Some(Self {
            original: input,
            attrs,
            name,
            columns,
        })
    }
}

impl Column<'_> {
    /// Where the column name is written: the `column` or `#[serde(rename)]` literal, else the field name.
    pub(crate) fn name_tokens(&self) -> TokenStream {
        match (
            &self.attrs.column,
            &self.attrs.serde_rename,
            &self.original.ident,
        ) {
            (Some(column), _, _) => column.to_token_stream(),
            (None, Some(rename), _) => rename.to_token_stream(),
            (None, None, Some(ident)) => ident.to_token_stream(),
            (None, None, None) => self.original.to_token_stream(),
        }
    }

    /// Whether the column is visibly `Nullable`: an `Option<...>` field or a `type = "Nullable(...)"`.
    /// A type alias of an `Option` is not seen through.
    pub(crate) fn is_nullable(&self) -> bool {
        if let Some(raw) = &self.attrs.ty {
            let raw = raw.value();
            let raw = raw.trim_start();
            return raw.starts_with("Nullable(") || raw.starts_with("LowCardinality(Nullable(");
        }
        let mut ty = &self.original.ty;
        while let Type::Group(TypeGroup { elem, .. }) | Type::Paren(TypeParen { elem, .. }) = ty {
            ty = elem;
        }
        matches!(ty, Type::Path(TypePath { qself: None, path, .. })
            if path.segments.last().is_some_and(|segment| segment.ident == "Option"))
    }

    /// The Rust field name, for messages.
    pub(crate) fn field_name(&self) -> String {
        self.original
            .ident
            .as_ref()
            .map_or_else(String::new, |ident| ident.unraw().to_string())
    }
}

const NAMED_FIELDS_ONLY: &str = "`Datasource` can only be derived for structs with named fields";
