//! `#[derive(Enum)]`: a fieldless Rust enum as a ClickHouse `Enum8` / `Enum16` column, sent and read
//! by name (serde's name of each variant, `rename` and `rename_all` honoured), and as a pipe param.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt as _;
use syn::{Data, DeriveInput, Expr, ExprLit, ExprUnary, Fields, Lit, UnOp};

use crate::ctxt::Ctxt;
use crate::datasource::attr::serialize_half;
use crate::datasource::case::RenameRule;
use crate::meta::{Grammar, flag_value, skip_value};

const CONTAINER: Grammar = Grammar {
    what: "tinybird enum attribute",
    keys: &["enum16"],
};

/// One variant: serde's name for it and its ClickHouse value.
struct Variant {
    ident: syn::Ident,
    name: String,
    value: i64,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::new();
    let mut enum16 = None;
    let mut rename_all = None;
    for attr in &input.attrs {
        if attr.path().is_ident("tinybird") {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("enum16") {
                    CONTAINER.read(&mut cx, &meta, &mut enum16, flag_value)
                } else {
                    CONTAINER.unknown_key(&mut cx, &meta)
                }
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        } else if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    if let Some(rule) = serialize_half(&meta)? {
                        rename_all = RenameRule::from_name(&rule.value());
                    }
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            });
        }
    }
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Enum` can only be derived for enums whose variants have no fields",
        ));
    };
    if data.variants.is_empty() {
        cx.error_spanned_by(
            &input.ident,
            "an `Enum` needs at least one variant: ClickHouse has no empty enums",
        );
    }
    let explicit = data
        .variants
        .iter()
        .filter(|v| v.discriminant.is_some())
        .count();
    if explicit != 0 && explicit != data.variants.len() {
        cx.error_spanned_by(
            &input.ident,
            "give every variant its ClickHouse value (`Paid = 2`) or none (then they are 1, 2, 3, …)",
        );
    }
    let mut variants = Vec::with_capacity(data.variants.len());
    for (i, variant) in data.variants.iter().enumerate() {
        if !matches!(variant.fields, Fields::Unit) {
            cx.error_spanned_by(
                &variant.fields,
                "an `Enum` variant cannot have fields: the column stores the variant's name",
            );
            continue;
        }
        let mut rename = None;
        let mut skipped = false;
        for attr in &variant.attrs {
            if attr.path().is_ident("serde") {
                let _ = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("rename") {
                        rename = serialize_half(&meta)?;
                    } else if meta.path.is_ident("skip") || meta.path.is_ident("other") {
                        skipped = true;
                    } else {
                        skip_value(&meta)?;
                    }
                    Ok(())
                });
            }
        }
        if skipped {
            cx.error_spanned_by(
                &variant.ident,
                "an `Enum` variant cannot be `#[serde(skip)]` or `#[serde(other)]`: every variant is \
                 a value of the column",
            );
        }
        let ident = variant.ident.unraw().to_string();
        let name = match (rename, rename_all) {
            (Some(lit), _) => lit.value(),
            (None, Some(rule)) => rule.apply_to_variant(&ident),
            (None, None) => ident,
        };
        let value = if let Some((_, expr)) = &variant.discriminant {
            let Some(value) = integer(expr) else {
                cx.error_spanned_by(
                    expr,
                    "an `Enum` value must be an integer literal, e.g. `Paid = 2`",
                );
                continue;
            };
            value
        } else {
            i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1)
        };
        if let Some(first) = variants.iter().find(|v: &&Variant| v.name == name) {
            cx.error_spanned_by(
                &variant.ident,
                format!("`{}` has the name `{name}` too", first.ident),
            );
        }
        if let Some(first) = variants.iter().find(|v: &&Variant| v.value == value) {
            cx.error_spanned_by(
                &variant.ident,
                format!("`{}` has the value {value} too", first.ident),
            );
        }
        variants.push(Variant {
            ident: variant.ident.clone(),
            name,
            value,
        });
    }
    let fits_8 = variants.iter().all(|v| i8::try_from(v.value).is_ok());
    for variant in variants.iter().filter(|v| i16::try_from(v.value).is_err()) {
        cx.error_spanned_by(
            &variant.ident,
            format!(
                "`{}` is {}: ClickHouse enums hold values from -32768 to 32767 (`Enum16`)",
                variant.ident, variant.value
            ),
        );
    }
    cx.check()?;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let names = variants.iter().map(|v| &v.name);
    let idents = variants.iter().map(|v| &v.ident);
    let (family, values) = if enum16.is_some() || !fits_8 {
        let values = variants.iter().map(|v| {
            let (name, value) = (&v.name, i16::try_from(v.value).unwrap_or_default());
            quote!((::atel_sdk::__private::String::from(#name), #value))
        });
        (quote!(Enum16), values.collect::<Vec<_>>())
    } else {
        let values = variants.iter().map(|v| {
            let (name, value) = (&v.name, i8::try_from(v.value).unwrap_or_default());
            quote!((::atel_sdk::__private::String::from(#name), #value))
        });
        (quote!(Enum8), values.collect::<Vec<_>>())
    };
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::atel_sdk::__private::ColumnType for #ident #ty_generics #where_clause {
                const SHAPE: ::atel_sdk::__private::Shape =
                    ::atel_sdk::__private::Shape::Scalar(::atel_sdk::__private::Scalar::Enum);
                fn ch_type() -> ::atel_sdk::__private::ChType {
                    ::atel_sdk::__private::ChType::#family(::atel_sdk::__private::Vec::from([#(#values),*]))
                }
            }

            #[automatically_derived]
            impl #impl_generics ::atel_sdk::__private::ParamValue for #ident #ty_generics #where_clause {
                const KIND: ::atel_sdk::__private::ParamKind =
                    ::atel_sdk::__private::ParamKind::Single(::atel_sdk::__private::Scalar::Enum);
                fn to_param(
                    &self,
                    _: ::atel_sdk::__private::TemplateType,
                ) -> ::core::option::Option<::atel_sdk::__private::String> {
                    ::core::option::Option::Some(::atel_sdk::__private::String::from(match self {
                        #(Self::#idents => #names,)*
                    }))
                }
            }
        };
    })
}

/// The value of `2`, `-1`, `0x10` as written in a discriminant.
fn integer(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse().ok(),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => integer(expr).map(|value| -value),
        Expr::Group(group) => integer(&group.expr),
        Expr::Paren(paren) => integer(&paren.expr),
        _ => None,
    }
}

/// What stands in for the impls after an error, so uses of the type report nothing more.
pub(crate) fn fallback(input: &DeriveInput, error: &syn::Error) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let error = error.to_compile_error();
    quote! {
        #error
        const _: () = {
            impl #impl_generics ::atel_sdk::__private::ColumnType for #ident #ty_generics #where_clause {
                fn ch_type() -> ::atel_sdk::__private::ChType {
                    ::atel_sdk::__private::ChType::String
                }
            }
        };
    }
}
