//! The `impl Datasource` for a checked model. Quote only: every decision was made in `ast` / `check`.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens as _, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{GenericArgument, LitStr, PathArguments, Type};

use super::ast::{Column, Container};
use super::chtype::Ty;
use crate::assertion::{const_assert, inline_assert, pretty_type};

pub(crate) fn impl_datasource(cont: &Container<'_>) -> TokenStream {
    let input = cont.original;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let name = &cont.name;
    let attrs = &cont.attrs;
    let description = opt(attrs.description.as_ref());
    let kind = opt(attrs.engine.as_ref());
    let sorting_key = opt(attrs.sorting_key.as_ref());
    let partition_key = opt(attrs.partition_key.as_ref());
    let ttl = opt(attrs.ttl.as_ref());
    let ver = opt(attrs.ver.as_ref());
    let settings = opt(attrs.settings.as_ref());
    let is_deleted = opt(attrs.is_deleted.as_ref());
    let primary_key = opt(attrs.primary_key.as_ref());
    let sampling_key = opt(attrs.sampling_key.as_ref());
    let sign = opt(attrs.sign.as_ref());
    let version = opt(attrs.version.as_ref());
    let summing_columns = opt(attrs.summing_columns.as_ref());
    let forward_query = opt(attrs.forward_query.as_ref());
    let connector = attrs
        .connector
        .iter()
        .flat_map(|connector| &connector.settings)
        .map(|(directive, value)| quote!((#directive, #value)));
    let columns = cont.columns.iter().map(column);
    let tokens = attrs.tokens.iter().map(|(_, name, permission)| {
        quote! {
            ::atel_sdk::__private::Token { name: #name, permission: #permission }
        }
    });
    let indexes = attrs.indexes.iter().map(|index| {
        let (name, expr, kind) = (&index.name, &index.expr, &index.kind);
        let granularity = index.granularity;
        quote! {
            ::atel_sdk::__private::Index {
                name: #name,
                expr: #expr,
                kind: #kind,
                granularity: #granularity,
            }
        }
    });
    let generics: Vec<String> = input
        .generics
        .type_params()
        .map(|param| param.ident.to_string())
        .collect();
    // A field whose type names the struct's generics is checked inside `schema()`, once instantiated.
    let (generic, fixed): (Vec<_>, Vec<_>) = cont
        .columns
        .iter()
        .partition(|column| mentions(&column.original.ty, &generics));
    let fixed_checks = fixed.iter().flat_map(|column| {
        type_checks(column)
            .into_iter()
            .map(|(condition, message)| const_assert(&column.original.ty, &condition, &message))
    });
    let generic_checks = generic.iter().flat_map(|column| {
        type_checks(column)
            .into_iter()
            .map(|(condition, message)| inline_assert(&column.original.ty, &condition, &message))
    });
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::atel_sdk::__private::Datasource for #ident #ty_generics #where_clause {
                const NAME: &'static str = #name;

                fn schema() -> ::atel_sdk::__private::DatasourceSchema {
                    #(#generic_checks)*
                    ::atel_sdk::__private::DatasourceSchema {
                        name: #name,
                        description: #description,
                        tokens: ::atel_sdk::__private::Vec::from([#(#tokens),*]),
                        columns: ::atel_sdk::__private::Vec::from([#(#columns),*]),
                        indexes: ::atel_sdk::__private::Vec::from([#(#indexes),*]),
                        engine: ::atel_sdk::__private::Engine {
                            kind: #kind,
                            sorting_key: #sorting_key,
                            partition_key: #partition_key,
                            ttl: #ttl,
                            ver: #ver,
                            is_deleted: #is_deleted,
                            primary_key: #primary_key,
                            sampling_key: #sampling_key,
                            sign: #sign,
                            version: #version,
                            summing_columns: #summing_columns,
                            settings: #settings,
                        },
                        forward_query: #forward_query,
                        connector: ::atel_sdk::__private::Vec::from([#(#connector),*]),
                    }
                }
            }

            #(#fixed_checks)*
        };
    }
}

/// Whether `ty` names one of `generics`.
fn mentions(ty: &Type, generics: &[String]) -> bool {
    fn walk(tokens: TokenStream, generics: &[String]) -> bool {
        tokens.into_iter().any(|tree| match tree {
            TokenTree::Ident(ident) => generics.contains(&ident.to_string()),
            TokenTree::Group(group) => walk(group.stream(), generics),
            _ => false,
        })
    }
    !generics.is_empty() && walk(ty.to_token_stream(), generics)
}

/// The compile-time checks of one column's type, as (condition, message) pairs on its `SHAPE`.
fn type_checks(column: &Column<'_>) -> Vec<(TokenStream, String)> {
    let ty = &column.original.ty;
    let span = ty.span();
    let shape = quote_spanned!(span=> <#ty as ::atel_sdk::__private::ColumnType>::SHAPE);
    let shown = pretty_type(ty);
    let field = column.field_name();
    let attrs = &column.attrs;
    if let Some(raw) = &attrs.raw_type {
        let text = attrs.ty.as_ref().map(LitStr::value).unwrap_or_default();
        let ch = ch_shape(raw);
        return vec![(
            quote_spanned!(span=> ::atel_sdk::__private::fits(&#shape, &#ch)),
            format!(
                "`{shown}` (field `{field}`) does not round-trip through `{text}`, its `type`: see the \
                 compatibility table in `atel_sdk::shape`"
            ),
        )];
    }
    if attrs.ty.is_some() {
        // A type that did not parse: reported already.
        return Vec::new();
    }
    let advice = match option_inner(ty) {
        Some(inner) if option_inner(inner).is_some() => {
            format!("make the field `{}`", pretty_type(inner))
        }
        Some(inner) => format!(
            "make the field `{}`, empty for none (`#[serde(default)]` reads a missing key as empty)",
            pretty_type(inner)
        ),
        None => "make the field the container itself, empty for none".to_owned(),
    };
    let mut checks = vec![(
        quote_spanned!(span=> #shape.nullable_ok()),
        format!(
            "`{shown}` (field `{field}`) cannot be a ClickHouse column: ClickHouse has no \
             `Nullable` of an array, a map, a tuple, a `JSON` or a `Nullable`; {advice}"
        ),
    )];
    if attrs.low_cardinality.is_some() {
        checks.push((
            quote_spanned!(span=> #shape.low_cardinality_ok()),
            format!(
                "`low_cardinality` cannot apply to `{shown}` (field `{field}`): ClickHouse (and so \
                 Tinybird) accepts `LowCardinality` only of `String` and `FixedString`, maybe \
                 `Nullable`, in arrays as `Array(LowCardinality(String))`; for a map's keys write \
                 `low_cardinality_keys`"
            ),
        ));
    }
    if attrs.low_cardinality_keys.is_some() {
        checks.push((
            quote_spanned!(span=> #shape.has_string_keyed_map()),
            format!(
                "`low_cardinality_keys` is for a map with `String` keys (`HashMap<String, V>`, \
                 `BTreeMap<String, V>`, or a `Vec` of one), field `{field}` is `{shown}`"
            ),
        ));
    }
    let datetime_key = if attrs.datetime.is_some() {
        Some("datetime")
    } else {
        attrs.datetime64.as_ref().map(|_| "datetime64")
    };
    if let Some(key) = datetime_key {
        checks.push((
            quote_spanned!(span=> #shape.has_datetime()),
            format!(
                "`{key}` is for a `chrono::DateTime<Utc>` or `NaiveDateTime` field (or an `Option`, \
                 `Vec` or map of them), field `{field}` is `{shown}`"
            ),
        ));
    }
    if attrs.date32.is_some() {
        checks.push((
            quote_spanned!(span=> #shape.has_date()),
            format!(
                "`date32` is for a `chrono::NaiveDate` field (or an `Option`, `Vec` or map of them), \
                 field `{field}` is `{shown}`"
            ),
        ));
    }
    if let Some(n) = &attrs.fixed_string {
        checks.push((
            quote_spanned!(span=> #shape.has_string()),
            format!(
                "`fixed_string({n})` is for a `String` field (or an `Option`, `Vec` or map of them), \
                 field `{field}` is `{shown}`"
            ),
        ));
    }
    match &attrs.aggregate {
        Some(function) => checks.push((
            quote_spanned!(span=> #shape.is_aggregate()),
            format!(
                "`aggregate = \"{}\"` is for an `atel_sdk::schema::AggregateState<T>` field, field \
                 `{field}` is `{shown}`",
                function.value()
            ),
        )),
        None => checks.push((
            quote_spanned!(span=> !#shape.has_aggregate()),
            format!(
                "`{shown}` (field `{field}`) needs its aggregate function: add \
                 `#[tinybird(aggregate = \"...\")]`, e.g. `aggregate = \"uniq\"` (and the \
                 `AggregateState` must be the field's type itself)"
            ),
        )),
    }
    if let Some(function) = &attrs.simple_aggregate {
        checks.push((
            quote_spanned!(span=> !#shape.has_aggregate()),
            format!(
                "`simple_aggregate = \"{}\"` holds plain values, field `{field}` is `{shown}`, an \
                 aggregate state",
                function.value()
            ),
        ));
    }
    match &attrs.decimal {
        Some(decimal) => checks.push((
            quote_spanned!(span=> #shape.has_decimal()),
            format!(
                "`decimal({}, {})` is for a `rust_decimal::Decimal` field (or an `Option` or `Vec` \
                 of one), field `{field}` is `{shown}`",
                decimal.precision, decimal.scale
            ),
        )),
        None => checks.push((
            quote_spanned!(span=> !#shape.has_decimal()),
            format!(
                "`{shown}` (field `{field}`) needs the precision and scale of its ClickHouse \
                 `Decimal`: add `#[tinybird(decimal(P, S))]`, e.g. `decimal(20, 2)` for money"
            ),
        )),
    }
    checks
}

/// `T` of a field written `Option<T>`, for suggestions.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if last.ident == "Option" => Some(inner),
        _ => None,
    }
}

/// The `atel_sdk::shape::ChShape` of a parsed hand-written type, as a `&'static` expression.
fn ch_shape(ty: &Ty) -> TokenStream {
    let path = quote!(::atel_sdk::__private::ChShape);
    let boxed = |variant: TokenStream, inner: &Ty| {
        let inner = ch_shape(inner);
        quote!(#path::#variant(&#inner))
    };
    match ty {
        Ty::String => quote!(#path::String),
        Ty::FixedString => quote!(#path::FixedString),
        Ty::Enum => quote!(#path::Enum),
        Ty::Uuid => quote!(#path::Uuid),
        Ty::Ipv4 => quote!(#path::Ipv4),
        Ty::Ipv6 => quote!(#path::Ipv6),
        Ty::AggregateFunction => quote!(#path::AggregateFunction),
        Ty::Bool => quote!(#path::Bool),
        Ty::UInt(bits) => quote!(#path::UInt(#bits)),
        Ty::Int(bits) => quote!(#path::Int(#bits)),
        Ty::Float(bits) => quote!(#path::Float(#bits)),
        Ty::Date => quote!(#path::Date),
        Ty::DateTime => quote!(#path::DateTime),
        Ty::Decimal => quote!(#path::Decimal),
        Ty::Nullable(inner) => boxed(quote!(Nullable), inner),
        Ty::LowCardinality(inner) => boxed(quote!(LowCardinality), inner),
        Ty::SimpleAggregate(inner) => boxed(quote!(SimpleAggregate), inner),
        Ty::Array(inner) => boxed(quote!(Array), inner),
        Ty::Map(key, value) => {
            let (key, value) = (ch_shape(key), ch_shape(value));
            quote!(#path::Map(&#key, &#value))
        }
        Ty::Tuple(items) => {
            let items = items.iter().map(ch_shape);
            quote!(#path::Tuple(&[#(#items),*]))
        }
        Ty::Json => quote!(#path::Json),
        Ty::Other => quote!(#path::Other),
    }
}

fn column(column: &Column<'_>) -> TokenStream {
    let name = &column.name;
    let attrs = &column.attrs;
    let default = opt(attrs.default.as_ref());
    let codec = opt(attrs.codec.as_ref());
    let ty = if let Some(raw) = &attrs.ty {
        let raw = raw.value();
        quote!(::atel_sdk::__private::ChType::Raw(::atel_sdk::__private::String::from(#raw)))
    } else {
        // Spanned at the field's type so a type without `ColumnType` is reported there.
        let rust_ty = &column.original.ty;
        let mut ty = quote_spanned!(rust_ty.span()=> <#rust_ty as ::atel_sdk::__private::ColumnType>::ch_type());
        if let Some(decimal) = &attrs.decimal {
            let (precision, scale) = (decimal.precision, decimal.scale);
            ty = quote!(::atel_sdk::__private::ChType::with_decimal(#ty, #precision, #scale));
        }
        if let Some(datetime64) = &attrs.datetime64 {
            let precision = datetime64.precision;
            let to = if let Some(tz) = &datetime64.timezone {
                let tz = tz.value();
                quote!(::atel_sdk::__private::ChType::DateTime64Tz(
                    #precision,
                    ::atel_sdk::__private::String::from(#tz)
                ))
            } else {
                quote!(::atel_sdk::__private::ChType::DateTime64(#precision))
            };
            ty = quote!(::atel_sdk::__private::ChType::with_datetime(#ty, &#to));
        }
        if attrs.datetime.is_some() {
            ty = quote!(::atel_sdk::__private::ChType::with_datetime(
                #ty,
                &::atel_sdk::__private::ChType::DateTime
            ));
        }
        if attrs.date32.is_some() {
            ty = quote!(::atel_sdk::__private::ChType::with_date32(#ty));
        }
        if let Some(n) = &attrs.fixed_string {
            ty = quote!(::atel_sdk::__private::ChType::with_fixed_string(#ty, #n));
        }
        if attrs.low_cardinality.is_some() {
            ty = quote!(::atel_sdk::__private::ChType::low_cardinality(#ty));
        }
        if attrs.low_cardinality_keys.is_some() {
            ty = quote!(::atel_sdk::__private::ChType::low_cardinality_keys(#ty));
        }
        if let Some(function) = &attrs.aggregate {
            let function = function.value();
            ty = quote!(::atel_sdk::__private::ChType::with_aggregate(#ty, #function));
        }
        if let Some(function) = &attrs.simple_aggregate {
            let function = function.value();
            ty = quote!(::atel_sdk::__private::ChType::simple_aggregate(#ty, #function));
        }
        ty
    };
    let json_path = match (&attrs.json_path, &column.key) {
        (Some(path), _) => opt(Some(path)),
        // Named apart from its JSON key: the path names the key (`[:]` added for arrays, which only
        // the type says).
        (None, Some(key)) if attrs.column.is_some() => {
            let (path, array_path) = (format!("$.{key}"), format!("$.{key}[:]"));
            return quote! {
                {
                    let ty = #ty;
                    ::atel_sdk::__private::Column {
                        name: #name,
                        json_path: ::core::option::Option::Some(
                            if ::atel_sdk::__private::ChType::is_array(&ty) { #array_path } else { #path }
                        ),
                        ty,
                        default: #default,
                        codec: #codec,
                    }
                }
            };
        }
        (None, _) => opt(None),
    };
    quote! {
        ::atel_sdk::__private::Column {
            name: #name,
            ty: #ty,
            json_path: #json_path,
            default: #default,
            codec: #codec,
        }
    }
}

/// `Some("value")` or `None` as an `Option<&'static str>` expression.
fn opt(lit: Option<&LitStr>) -> TokenStream {
    if let Some(lit) = lit {
        let value = lit.value();
        quote!(::core::option::Option::Some(#value))
    } else {
        quote!(::core::option::Option::None)
    }
}
