//! `#[pipe(...)]`: a params struct becomes a Tinybird pipe, checked against its SQL at compile time.

mod attr;
mod check;
mod expand;
mod fallback;
mod template;

use proc_macro2::{Span, TokenStream};
use syn::{Fields, Ident, Item};

use crate::ctxt::Ctxt;

/// Expands `#[pipe(args)] input`.
pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Struct(item)) => item,
        Ok(other) => {
            let error = syn::Error::new_spanned(
                item_keyword(&other),
                "`#[pipe(...)]` goes on a struct whose fields are the pipe's params",
            );
            let errors = error.to_compile_error();
            return quote::quote!(#errors #input);
        }
        Err(error) => return error.to_compile_error(),
    };
    let mut cx = Ctxt::new();
    let pipe = attr::parse_pipe(&mut cx, args);

    // The struct without our `#[param]` attributes (they are not real attributes).
    let Ok(mut stripped) = syn::parse2::<syn::ItemStruct>(input) else {
        unreachable!("parsed as a struct above");
    };
    for field in &mut stripped.fields {
        field.attrs.retain(|attr| !attr.path().is_ident("param"));
    }

    if !item.generics.params.is_empty() {
        cx.error_spanned_by(&item.generics, "`#[pipe]` params structs cannot be generic");
    }
    if let Fields::Unnamed(fields) = &item.fields {
        cx.error_spanned_by(
            fields,
            "`#[pipe]` params need named fields: `struct Params { days: u32 }`",
        );
    }
    let fields: Vec<attr::Field<'_>> = item
        .fields
        .iter()
        .filter_map(|field| attr::parse_field(&mut cx, field))
        .collect();

    let call_site = Span::call_site();
    match &pipe.name {
        None => cx.syn_error(syn::Error::new(
            call_site,
            "missing `name = \"...\"` in `#[pipe(...)]`",
        )),
        Some(name) if !check::is_resource_name(&name.value()) => cx.error_spanned_by(
            name,
            "pipe names are letters, digits and `_`, not starting with a digit",
        ),
        Some(_) => {}
    }
    if pipe.output.is_none() {
        cx.syn_error(syn::Error::new(
            call_site,
            "missing `output = RowType` in `#[pipe(...)]`: the type of one row of the endpoint",
        ));
    }
    if pipe.nodes.is_empty() {
        cx.syn_error(syn::Error::new(
            call_site,
            "`#[pipe(...)]` needs at least one `node(name = \"...\", sql = \"...\")`; the last is the endpoint",
        ));
    }
    for node in &pipe.nodes {
        if node.name.is_none() {
            cx.syn_error(syn::Error::new(
                node.span,
                "missing `name = \"...\"` in `node(...)`",
            ));
        }
        if !node.has_sql_key {
            cx.syn_error(syn::Error::new(
                node.span,
                "missing `sql = \"...\"` or `sql_file = \"...\"` in `node(...)`",
            ));
        }
    }
    let method = method_ident(&mut cx, &pipe);
    let params = check::check(&mut cx, &pipe, &item.ident, &fields);

    let result = cx.check();
    match (result, &pipe.name, &pipe.output) {
        (Ok(()), Some(name), Some(output)) if method.is_some() => expand::expand(&expand::Model {
            item: &stripped,
            name,
            description: pipe.description.as_ref(),
            output,
            method: method.unwrap_or_else(|| Ident::new("_", call_site)),
            nodes: &pipe.nodes,
            fields: &fields,
            params: &params,
        }),
        (result, name, output) => {
            let error = result
                .err()
                .unwrap_or_else(|| syn::Error::new(call_site, "invalid `#[pipe]`"));
            fallback::fallback(
                &stripped,
                name.as_ref().map(syn::LitStr::value),
                output.as_ref(),
                method.as_ref(),
                &fields,
                &error,
            )
            .into_iter()
            .chain(expand::fit_checks(&fields, &params))
            .collect()
        }
    }
}

/// The typed method's name: `method = "..."`, or the pipe name.
fn method_ident(cx: &mut Ctxt, pipe: &attr::PipeAttr) -> Option<Ident> {
    let lit = pipe.method.as_ref().or(pipe.name.as_ref())?;
    match syn::parse_str::<Ident>(&lit.value()) {
        Ok(ident) => Some(Ident::new(&ident.to_string(), lit.span())),
        Err(_) if pipe.method.is_some() => {
            cx.error_spanned_by(lit, "`method` must be a Rust identifier");
            None
        }
        Err(_) if !check::is_resource_name(&lit.value()) => None, // reported as a bad pipe name
        Err(_) => {
            cx.error_spanned_by(
                lit,
                "the pipe name is not a Rust identifier: name the typed method with `method = \"...\"`",
            );
            None
        }
    }
}

/// The keyword of an item (`enum`, `fn`, …), for a narrow span.
fn item_keyword(item: &Item) -> TokenStream {
    use quote::ToTokens as _;
    match item {
        Item::Enum(item) => item.enum_token.to_token_stream(),
        Item::Fn(item) => item.sig.fn_token.to_token_stream(),
        Item::Union(item) => item.union_token.to_token_stream(),
        other => other.to_token_stream(),
    }
}

#[cfg(test)]
mod tests;
