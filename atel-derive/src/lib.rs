//! Derive macros for `atel-sdk`. Use them through `atel_sdk`, which re-exports them.

use proc_macro::TokenStream;

/// Derives `atel_sdk::Datasource` for a row struct.
#[proc_macro_derive(Datasource, attributes(tinybird))]
pub fn derive_datasource(input: TokenStream) -> TokenStream {
    let _ = input;
    TokenStream::new()
}
