//! The generated code: `impl Pipe`, the compile-time type checks, and the typed query method. Quote only;
//! every decision was made in `attr`, `ast` and `check`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Ident, ItemStruct, LitStr, Type};

use super::ast::{Endpoint, Field, Pipe};
use super::attr::{Kind, SINK_DIRECTIVES, Sql};
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
    let output = endpoint
        .output
        .map_or_else(|| quote!(()), |output| quote!(#output));
    let kind = kind_expr(&endpoint.kind);
    let tokens = pipe.attrs.tokens.iter();
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
    let ext = endpoint.method.map(|method| {
        ext_trait_with(
            &pipe.item,
            &endpoint.name.value(),
            &output,
            method,
            &pipe.fields,
            true,
        )
    });
    let copy = matches!(endpoint.kind, Kind::Copy(_)).then(|| {
        quote! {
            #[automatically_derived]
            impl ::atel_sdk::__private::CopyPipe for #ident {}
        }
    });
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
                    kind: #kind,
                    tokens: ::atel_sdk::__private::Vec::from([#(#tokens),*]),
                }
            }
        }

        #copy

        #fits

        #ext
    }
}

/// `PipeKind::…` of the pipe; a target datasource's name is its type's `Datasource::NAME`, so a
/// target that is not a datasource type is an error on that type.
fn kind_expr(kind: &Kind<'_>) -> TokenStream {
    let name_of = |target: &Type| quote_spanned!(target.span()=> <#target as ::atel_sdk::__private::Datasource>::NAME);
    match kind {
        Kind::Endpoint => quote!(::atel_sdk::__private::PipeKind::Endpoint),
        Kind::Materialized(target) => {
            let datasource = name_of(target);
            quote!(::atel_sdk::__private::PipeKind::Materialized { datasource: #datasource })
        }
        Kind::Copy(copy) => {
            let target = copy.target.as_ref().map_or_else(|| quote!(""), name_of);
            let schedule = option_str(copy.schedule.as_ref().map(LitStr::value).as_deref());
            let mode = option_str(copy.mode.as_ref().map(LitStr::value).as_deref());
            quote! {
                ::atel_sdk::__private::PipeKind::Copy { target: #target, schedule: #schedule, mode: #mode }
            }
        }
        Kind::Sink(sink) => {
            let settings = sink.settings.iter().map(|(key, value)| {
                let directive = SINK_DIRECTIVES
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or("", |(_, directive)| directive);
                quote!((#directive, #value))
            });
            quote! {
                ::atel_sdk::__private::PipeKind::Sink {
                    settings: ::atel_sdk::__private::Vec::from([#(#settings),*]),
                }
            }
        }
    }
}

/// The typed call of a pipe, for `TinybirdClient`:
///
/// ```text
/// pub trait SessionRequestsExt { fn session_requests(&self, session_id: impl Into<String>) -> SessionRequestsCall<'_>; }
/// pub struct SessionRequestsCall<'a> { .. }   // one setter per optional or defaulted param; IntoFuture
/// ```
///
/// Params the call cannot do without (neither `Option` nor defaulted) are the method's arguments;
/// every other one is a setter named after its field, starting from its default (`None` for an
/// `Option`). `real = false` (after an error) makes every body `unimplemented!()`.
pub(crate) fn ext_trait_with(
    item: &ItemStruct,
    pipe_name: &str,
    output: &TokenStream,
    method: &Ident,
    fields: &[Field<'_>],
    real: bool,
) -> TokenStream {
    let ident = &item.ident;
    let vis = &item.vis;
    let trait_ident = format_ident!("{}Ext", ident);
    let call_ident = format_ident!("{}Call", ident);
    let arg = |field: &Field<'_>| {
        let ty = field.call.ty;
        if field.call.into_string {
            quote_spanned!(ty.span()=> impl ::core::convert::Into<::atel_sdk::__private::String>)
        } else {
            quote!(#ty)
        }
    };
    let positional: Vec<&Field<'_>> = fields.iter().filter(|f| f.call.positional).collect();
    let args: Vec<&Ident> = positional.iter().map(|f| f.ident).collect();
    let arg_tys: Vec<TokenStream> = positional.iter().map(|f| arg(f)).collect();
    let inits = fields.iter().map(|field| {
        let member = field.ident;
        let value = if field.call.positional {
            if field.call.into_string {
                quote!(::core::convert::Into::into(#member))
            } else {
                quote!(#member)
            }
        } else if let Some((expr, _)) = &field.default {
            if field.call.into_string {
                quote!(::core::convert::Into::into(#expr))
            } else {
                quote!(#expr)
            }
        } else {
            quote!(::core::option::Option::None)
        };
        quote!(#member: #value)
    });
    let setters = fields.iter().filter(|f| !f.call.positional).map(|field| {
        let member = field.ident;
        let ty = arg(field);
        let mut value = if field.call.into_string {
            quote!(::core::convert::Into::into(value))
        } else {
            quote!(value)
        };
        if field.optional {
            value = quote!(::core::option::Option::Some(#value));
        }
        let doc = match (&field.description, &field.default) {
            (Some(text), _) => format!("`{}`: {text}", field.name),
            (None, Some((_, literal))) => {
                format!("`{}` (default `{}`).", field.name, literal.in_rust())
            }
            (None, None) => format!("`{}` (not sent unless set).", field.name),
        };
        quote! {
            #[doc = #doc]
            pub fn #member(mut self, value: #ty) -> Self {
                self.params.#member = #value;
                self
            }
        }
    });
    let trait_doc = format!(
        "The typed call of the `{pipe_name}` pipe: `client.{method}(…).await` returns its rows."
    );
    let method_doc = format!(
        "Queries the `{pipe_name}` endpoint: set optional params on the returned [`{call_ident}`], then `.await` it."
    );
    let call_doc = format!(
        "A call of the `{pipe_name}` endpoint with its params ([`{ident}`]); `.await` runs it."
    );
    let construct = if real {
        quote! {
            #call_ident { client: self, params: #ident { #(#inits),* } }
        }
    } else {
        quote!(::core::unimplemented!())
    };
    let run = if real {
        quote!(::atel_sdk::__private::TinybirdClient::query(self.client, &self.params).await)
    } else {
        quote!(::core::unimplemented!())
    };
    let output_ty = quote! {
        ::core::result::Result<::atel_sdk::__private::Vec<#output>, ::atel_sdk::__private::Error>
    };
    quote! {
        #[doc = #trait_doc]
        #vis trait #trait_ident {
            #[doc = #method_doc]
            #[allow(clippy::too_many_arguments)]
            fn #method(&self #(, #args: #arg_tys)*) -> #call_ident<'_>;
        }

        #[automatically_derived]
        impl #trait_ident for ::atel_sdk::__private::TinybirdClient {
            #[allow(clippy::too_many_arguments)]
            fn #method(&self #(, #args: #arg_tys)*) -> #call_ident<'_> {
                #construct
            }
        }

        #[doc = #call_doc]
        #[must_use = "a pipe call does nothing until it is awaited"]
        #vis struct #call_ident<'a> {
            client: &'a ::atel_sdk::__private::TinybirdClient,
            params: #ident,
        }

        #[automatically_derived]
        impl #call_ident<'_> {
            #(#setters)*
        }

        #[automatically_derived]
        impl ::core::fmt::Debug for #call_ident<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#call_ident))
                    .field("pipe", &#pipe_name)
                    .finish_non_exhaustive()
            }
        }

        #[automatically_derived]
        impl<'a> ::core::future::IntoFuture for #call_ident<'a> {
            type Output = #output_ty;
            type IntoFuture = ::core::pin::Pin<::atel_sdk::__private::Box<
                dyn ::core::future::Future<Output = #output_ty> + ::core::marker::Send + 'a,
            >>;

            fn into_future(self) -> Self::IntoFuture {
                ::atel_sdk::__private::Box::pin(async move { #run })
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
