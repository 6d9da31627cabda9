//! `#[derive(Datasource)]`: `attr` reads `#[tinybird(...)]` / `#[serde(...)]`, `ast` builds the model,
//! `check` enforces rules across attributes and columns, `expand` writes the impl, `fallback` stands in
//! for it after an error.

mod ast;
pub(crate) mod attr;
pub(crate) mod case;
mod check;
mod chtype;
mod clause;
mod connector;
mod connector_keys;
mod expand;
mod fallback;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ctxt::Ctxt;

pub(crate) use fallback::fallback;

/// The `impl Datasource` for `input`, or every error found in it.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::new();
    let cont = ast::Container::from_ast(&mut cx, input);
    if let Some(cont) = &cont {
        check::check(&mut cx, cont);
    }
    cx.check()?;
    // `from_ast` returns `None` only after reporting an error, so `check` has returned early above.
    Ok(cont
        .map(|cont| expand::impl_datasource(&cont))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests;
