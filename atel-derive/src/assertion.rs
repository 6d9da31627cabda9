//! Compile-time checks of a field's real type: `const` assertions spanned at the type, so a failure
//! is reported there, through aliases and user impls alike (both macros' type checks).

use proc_macro2::{Delimiter, Group, TokenStream};
use quote::{ToTokens as _, quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned as _;

/// `assert!(condition, message)` underlining the whole of `ty`: the tokens are spanned from the type's
/// first token to its last (as `syn::Error::new_spanned` does).
pub(crate) fn assert_at(ty: &Type, condition: &TokenStream, message: &str) -> TokenStream {
    let span = ty.span();
    let last = ty
        .to_token_stream()
        .into_iter()
        .last()
        .map_or(span, |t| t.span());
    let mut args = Group::new(
        Delimiter::Parenthesis,
        quote_spanned! {span=> #condition, #message, },
    );
    args.set_span(last);
    quote_spanned! {span=> ::core::assert! #args }
}

/// A module-level `const _: () = assert!(...);`, checked whenever the crate compiles.
pub(crate) fn const_assert(ty: &Type, condition: &TokenStream, message: &str) -> TokenStream {
    let assertion = assert_at(ty, condition, message);
    let span = ty.span();
    quote_spanned! {span=> const _: () = #assertion; }
}

/// A `const { assert!(...) };` statement, for a function body whose generics the condition names
/// (checked when the function is instantiated).
pub(crate) fn inline_assert(ty: &Type, condition: &TokenStream, message: &str) -> TokenStream {
    let assertion = assert_at(ty, condition, message);
    let span = ty.span();
    quote_spanned! {span=> const { #assertion }; }
}

/// A type as the user would write it: `Option<u64>`, not `Option < u64 >`.
pub(crate) fn pretty_type(ty: &Type) -> String {
    let text = quote!(#ty).to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let prev = out.chars().last();
        let glue = c == ' '
            && (matches!(next, Some('<' | '>' | ',' | ':' | ')' | ']'))
                || matches!(prev, Some('<' | ':' | '&' | '(' | '[')));
        if !glue {
            out.push(c);
        }
    }
    out
}
