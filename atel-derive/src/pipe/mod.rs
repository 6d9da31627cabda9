//! `#[pipe(...)]`: a params struct becomes a Tinybird pipe, checked against its SQL at compile time.
//!
//! `attr` reads `#[pipe(...)]` / `#[param(...)]`, `ast` builds the model, `check` enforces the rules
//! between the struct and the SQL (`template` reads the SQL), `expand` writes the impls, `fallback`
//! stands in for them after an error.

mod ast;
mod attr;
mod check;
mod expand;
mod fallback;
mod template;

use proc_macro2::{Span, TokenStream};
use syn::Item;

use crate::ctxt::Ctxt;

/// Expands `#[pipe(args)] input`.
pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse2::<Item>(input) {
        Ok(Item::Struct(item)) => item,
        Ok(other) => return fallback::not_a_struct(&other),
        Err(error) => return error.to_compile_error(),
    };
    let mut cx = Ctxt::new();
    let pipe = ast::Pipe::from_ast(&mut cx, args, &item);
    let params = check::check(&mut cx, &pipe);
    match (cx.check(), pipe.endpoint()) {
        (Ok(()), Some(endpoint)) => expand::impl_pipe(&pipe, &endpoint, &params),
        (result, _) => {
            // Without an endpoint a missing key was reported, so `result` is an error.
            let error = result
                .err()
                .unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid `#[pipe]`"));
            fallback::fallback(&pipe, &params, &error)
        }
    }
}

#[cfg(test)]
mod tests;
