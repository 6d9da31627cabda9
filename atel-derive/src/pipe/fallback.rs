//! After an error: the struct, the errors, and stub impls, so code using the pipe does not drown in
//! follow-on errors.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, ItemStruct, Type};

use super::attr::Field;
use super::expand::ext_trait_with;

pub(crate) fn fallback(
    item: &ItemStruct,
    name: Option<String>,
    output: Option<&Type>,
    method: Option<&Ident>,
    fields: &[Field<'_>],
    error: &syn::Error,
) -> TokenStream {
    let ident = &item.ident;
    let errors = error.to_compile_error();
    let unit: Type = syn::parse_quote!(());
    let output = output.unwrap_or(&unit);
    let name = name.unwrap_or_default();
    let body = quote!(async { ::core::unimplemented!() });
    let ext = method.map(|method| ext_trait_with(item, &name, output, method, fields, &body));
    quote! {
        #errors
        #item

        #[automatically_derived]
        impl ::atel_sdk::Pipe for #ident {
            const NAME: &'static str = #name;
            type Output = #output;

            fn params(&self) -> ::atel_sdk::__private::Vec<(&'static str, ::atel_sdk::__private::String)> {
                ::core::unimplemented!()
            }

            fn schema() -> ::atel_sdk::PipeSchema {
                ::core::unimplemented!()
            }
        }

        #ext
    }
}
