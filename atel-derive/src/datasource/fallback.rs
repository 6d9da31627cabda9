//! After an error: the errors plus a stub `impl Datasource`, so uses of the type elsewhere (ingest,
//! `T::NAME`) do not drown the real error in follow-on "trait not implemented" errors.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;
use syn::ext::IdentExt as _;

use super::case::to_snake_case;

pub(crate) fn fallback(input: &DeriveInput, error: &syn::Error) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let name = to_snake_case(&ident.unraw().to_string());
    let error = error.to_compile_error();
    quote! {
        #error
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::atel_sdk::__private::Datasource for #ident #ty_generics #where_clause {
                const NAME: &'static str = #name;

                fn schema() -> ::atel_sdk::__private::DatasourceSchema {
                    ::core::unimplemented!("`#[derive(Datasource)]` failed to expand")
                }
            }
        };
    }
}
