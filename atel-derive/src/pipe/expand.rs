//! The generated code: `impl Pipe`, the compile-time type checks, and the typed query method. Quote only;
//! every decision was made in `attr`, `ast` and `check`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Ident, ItemStruct, LitStr, Type};

use super::ast::{Endpoint, Field, Pipe};
use super::attr::Sql;
use super::check::Param;
use crate::assertion::{const_assert, pretty_type};

fn option_str(value: Option<&str>) -> TokenStream {
    value.map_or_else(
        || quote!(::core::option::Option::None),
        |text| quote!(::core::option::Option::Some(#text)),
    )
}

fn template_type(name: &str, span: Span) -> TokenStream {
    let variant = Ident::new(if name == "JSON" { "Json" } else { name }, span);
    quote_spanned!(span=> ::atel_sdk::__private::TemplateType::#variant)
}

fn sql_expr(sql: &Sql) -> TokenStream {
    if let Some(file) = &sql.file {
        let path = format!("/{file}");
        quote_spanned!(sql.lit.span()=>
            ::core::include_str!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), #path))
        )
    } else {
        let text = &sql.text;
        quote!(#text)
    }
}

/// The checked pipe: the struct, `impl Pipe`, the type checks and the typed method.
pub(crate) fn impl_pipe(pipe: &Pipe<'_>, endpoint: &Endpoint<'_>, params: &[Param]) -> TokenStream {
    let ident = &pipe.item.ident;
    let name = endpoint.name;
    let output = endpoint.output;
    let pipe_description = option_str(
        pipe.attrs
            .description
            .as_ref()
            .map(LitStr::value)
            .as_deref(),
    );

    let nodes = pipe.attrs.nodes.iter().filter_map(|node| {
        let name = node.name.as_ref()?;
        let description = option_str(node.description.as_ref().map(LitStr::value).as_deref());
        let sql = sql_expr(node.sql.as_ref()?);
        Some(quote! {
            ::atel_sdk::__private::Node { name: #name, description: #description, sql: #sql }
        })
    });

    let param_values = pipe.fields.iter().zip(params).map(|(field, param)| {
        let name = &field.name;
        let template_type = &param.template_type;
        let default = option_str(param.default.as_deref());
        let required = param.required;
        let description = option_str(param.description.as_deref());
        quote! {
            ::atel_sdk::__private::Param {
                name: #name,
                template_type: #template_type,
                default: #default,
                required: #required,
                description: #description,
            }
        }
    });

    let pairs = pipe.fields.iter().zip(params).map(|(field, param)| {
        let member = field.ident;
        let name = &field.name;
        let format_as = template_type(&param.format_as, Span::call_site());
        let ty = field.ty;
        quote_spanned! {ty.span()=>
            if let ::core::option::Option::Some(value) =
                <#ty as ::atel_sdk::__private::ParamValue>::to_param(&self.#member, #format_as)
            {
                pairs.push((#name, value));
            }
        }
    });
    let count = pipe.fields.len();

    let fits = fit_checks(&pipe.fields, params);
    let ext = ext_trait(pipe, endpoint);
    let item = &pipe.item;
    quote! {
        #item

        #[automatically_derived]
        impl ::atel_sdk::__private::Pipe for #ident {
            const NAME: &'static str = #name;
            type Output = #output;

            fn params(&self) -> ::atel_sdk::__private::Vec<(&'static str, ::atel_sdk::__private::String)> {
                let mut pairs = ::atel_sdk::__private::Vec::with_capacity(#count);
                #(#pairs)*
                pairs
            }

            fn schema() -> ::atel_sdk::__private::PipeSchema {
                ::atel_sdk::__private::PipeSchema {
                    name: #name,
                    description: #pipe_description,
                    nodes: ::atel_sdk::__private::Vec::from([#(#nodes),*]),
                    params: ::atel_sdk::__private::Vec::from([#(#param_values),*]),
                }
            }
        }

        #fits

        #ext
    }
}

fn ext_trait(pipe: &Pipe<'_>, endpoint: &Endpoint<'_>) -> TokenStream {
    let ident = &pipe.item.ident;
    let args = pipe.fields.iter().map(|f| f.ident);
    let body = quote! {
        let params = #ident { #(#args),* };
        async move { ::atel_sdk::__private::TinybirdClient::query(self, &params).await }
    };
    ext_trait_with(
        &pipe.item,
        &endpoint.name.value(),
        endpoint.output,
        endpoint.method,
        &pipe.fields,
        &body,
    )
}

/// `pub trait AgentUsageSummaryExt { fn agent_usage_summary(&self, days: u32) -> … }` for `TinybirdClient`.
pub(crate) fn ext_trait_with(
    item: &ItemStruct,
    pipe_name: &str,
    output: &Type,
    method: &Ident,
    fields: &[Field<'_>],
    body: &TokenStream,
) -> TokenStream {
    let ident = &item.ident;
    let vis = &item.vis;
    let trait_ident = format_ident!("{}Ext", ident);
    let args: Vec<&Ident> = fields.iter().map(|f| f.ident).collect();
    let tys: Vec<&Type> = fields.iter().map(|f| f.ty).collect();
    let trait_doc = format!(
        "The typed call of the `{pipe_name}` pipe: `client.{method}(…).await` returns its rows."
    );
    let method_doc = format!("Queries the `{pipe_name}` endpoint with these params ([`{ident}`]).");
    let future = quote! {
        impl ::core::future::Future<
            Output = ::core::result::Result<::atel_sdk::__private::Vec<#output>, ::atel_sdk::__private::Error>,
        > + ::core::marker::Send
    };
    quote! {
        #[doc = #trait_doc]
        #vis trait #trait_ident {
            #[doc = #method_doc]
            #[allow(clippy::too_many_arguments)]
            fn #method(&self, #(#args: #tys),*) -> #future;
        }

        #[automatically_derived]
        impl #trait_ident for ::atel_sdk::__private::TinybirdClient {
            #[allow(clippy::too_many_arguments)]
            fn #method(&self, #(#args: #tys),*) -> #future {
                #body
            }
        }
    }
}

/// One `const` assertion per (field, template type) that the type holds the field's values; the check
/// runs on the real type through `atel_sdk::param`, so aliases and user impls are covered.
pub(crate) fn fit_checks(fields: &[Field<'_>], params: &[Param]) -> TokenStream {
    fields.iter().zip(params).flat_map(|(field, param)| {
        param.fits.iter().map(move |(template, array, node)| {
            let ty = field.ty;
            let span = ty.span();
            let shown = if *array { format!("Array({template})") } else { template.clone() };
            let message = format!(
                "`{}` (field `{}`) does not fit `{shown}`, its template type in node `{node}`: see the \
                 compatibility table in `atel_sdk::param`",
                pretty_type(ty),
                field.name,
            );
            let template = template_type(template, span);
            let condition = quote_spanned! {span=>
                ::atel_sdk::__private::accepts(
                    #template,
                    #array,
                    <#ty as ::atel_sdk::__private::ParamValue>::KIND,
                )
            };
            const_assert(ty, &condition, &message)
        })
    }).collect()
}
