//! After an error: the struct, the errors, and stub impls, so code using the pipe does not drown in
//! follow-on errors.

use proc_macro2::TokenStream;
use quote::{ToTokens as _, quote};
use syn::{Item, Type};

use super::ast::Pipe;
use super::check::Param;
use super::expand::{ext_trait_with, fit_checks};

/// The struct, the errors, stub impls of whatever is known, and the type checks (so a type error is
/// reported along with the others).
pub(crate) fn fallback(pipe: &Pipe<'_>, params: &[Param], error: &syn::Error) -> TokenStream {
    let item = &pipe.item;
    let ident = &item.ident;
    let errors = error.to_compile_error();
    let unit: Type = syn::parse_quote!(());
    let output = pipe.attrs.output.as_ref().unwrap_or(&unit);
    let name = pipe
        .attrs
        .name
        .as_ref()
        .map(syn::LitStr::value)
        .unwrap_or_default();
    let ext = pipe
        .method
        .as_ref()
        .map(|method| ext_trait_with(item, &name, &quote!(#output), method, &pipe.fields, false));
    let fits = fit_checks(&pipe.fields, params);
    quote! {
        #errors
        #item

        #[automatically_derived]
        impl ::atel_sdk::__private::Pipe for #ident {
            const NAME: &'static str = #name;
            type Output = #output;

            fn params(&self) -> ::atel_sdk::__private::Vec<(&'static str, ::atel_sdk::__private::String)> {
                ::core::unimplemented!()
            }

            fn schema() -> ::atel_sdk::__private::PipeSchema {
                ::core::unimplemented!()
            }
        }

        #fits

        #ext
    }
}

/// `#[pipe]` on something other than a struct: the error on its keyword, and the item unchanged.
pub(crate) fn not_a_struct(item: &Item) -> TokenStream {
    let keyword = match item {
        Item::Enum(item) => item.enum_token.to_token_stream(),
        Item::Fn(item) => item.sig.fn_token.to_token_stream(),
        Item::Union(item) => item.union_token.to_token_stream(),
        other => other.to_token_stream(),
    };
    let error = syn::Error::new_spanned(
        keyword,
        "`#[pipe(...)]` goes on a struct whose fields are the pipe's params",
    )
    .to_compile_error();
    quote!(#error #item)
}
