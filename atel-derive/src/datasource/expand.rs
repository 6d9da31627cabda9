//! The `impl Datasource` for a checked model. Quote only: every decision was made in `ast` / `check`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::LitStr;
use syn::spanned::Spanned as _;

use super::ast::{Column, Container};

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
    let forward_query = opt(attrs.forward_query.as_ref());
    let columns = cont.columns.iter().map(column);
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::atel_sdk::__private::Datasource for #ident #ty_generics #where_clause {
                const NAME: &'static str = #name;

                fn schema() -> ::atel_sdk::__private::DatasourceSchema {
                    ::atel_sdk::__private::DatasourceSchema {
                        name: #name,
                        description: #description,
                        columns: ::atel_sdk::__private::Vec::from([#(#columns),*]),
                        engine: ::atel_sdk::__private::Engine {
                            kind: #kind,
                            sorting_key: #sorting_key,
                            partition_key: #partition_key,
                            ttl: #ttl,
                            ver: #ver,
                            settings: #settings,
                        },
                        forward_query: #forward_query,
                    }
                }
            }
        };
    }
}

fn column(column: &Column<'_>) -> TokenStream {
    let name = &column.name;
    let attrs = &column.attrs;
    let mut ty = if let Some(raw) = &attrs.ty {
        let raw = raw.value();
        quote!(::atel_sdk::__private::ChType::Raw(::atel_sdk::__private::String::from(#raw)))
    } else {
        // Spanned at the field's type so a type without `ColumnType` is reported there.
        let rust_ty = &column.original.ty;
        quote_spanned!(rust_ty.span()=> <#rust_ty as ::atel_sdk::__private::ColumnType>::ch_type())
    };
    if attrs.low_cardinality.is_some() {
        ty = quote!(::atel_sdk::__private::ChType::LowCardinality(::atel_sdk::__private::Box::new(#ty)));
    }
    let json_path = opt(attrs.json_path.as_ref());
    let default = opt(attrs.default.as_ref());
    let codec = opt(attrs.codec.as_ref());
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
