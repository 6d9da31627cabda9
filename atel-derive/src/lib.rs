//! Derive macros for `atel-sdk`. Use them through `atel_sdk`, which re-exports them.

use proc_macro::TokenStream;

mod ctxt;
mod datasource;
mod pipe;

/// Derives `atel_sdk::Datasource` for a row struct.
#[proc_macro_derive(Datasource, attributes(tinybird))]
pub fn derive_datasource(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let expanded =
        datasource::expand(&input).unwrap_or_else(|error| datasource::fallback(&input, &error));
    expanded.into()
}

/// Turns a params struct into a Tinybird pipe: `impl atel_sdk::Pipe` and a typed query method.
#[proc_macro_attribute]
pub fn pipe(args: TokenStream, input: TokenStream) -> TokenStream {
    pipe::expand(args.into(), input.into()).into()
}
