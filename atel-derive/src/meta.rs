//! Reading `key = value`, `flag` and `key(...)` lists, for both macros' grammars (serde's
//! `internals/attr.rs` helpers).
//!
//! Every reader reports a problem to the [`Ctxt`] on the narrowest span (the key for an unknown, repeated
//! or valueless key, the value for a value of the wrong kind), consumes the value, and returns `Ok`, so
//! the rest of the list is still read and one compile shows every mistake. An `Err` is left for token
//! streams that are not a list at all.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::discouraged::Speculative as _;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprLit, Lit, LitStr, Token};

use crate::ctxt::Ctxt;

/// One attribute list: how messages name it and the keys it takes.
#[derive(Clone, Copy)]
pub(crate) struct Grammar {
    /// What a key of the list is called: `tinybird attribute`, `pipe node attribute`, ….
    pub(crate) what: &'static str,
    /// Every key, in the order messages list them.
    pub(crate) keys: &'static [&'static str],
}

impl Grammar {
    /// Reports an unknown key on the key, with the keys the list takes, and skips its value.
    pub(crate) fn unknown_key(&self, cx: &mut Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        skip_value(meta)?;
        cx.error_spanned_by(
            &meta.path,
            format!(
                "unknown {} `{}`, expected one of {}",
                self.what,
                key_name(&meta.path),
                list(self.keys)
            ),
        );
        Ok(())
    }

    /// Reads the key's value with `read` (which reports a bad one) into `slot`; a repeated key is
    /// reported on the key and the first value kept.
    pub(crate) fn read<T>(
        &self,
        cx: &mut Ctxt,
        meta: &ParseNestedMeta<'_>,
        slot: &mut Option<T>,
        read: impl FnOnce(&mut Ctxt, &ParseNestedMeta<'_>) -> syn::Result<Option<T>>,
    ) -> syn::Result<()> {
        let Some(value) = read(cx, meta)? else {
            return Ok(());
        };
        if slot.is_some() {
            cx.error_spanned_by(
                &meta.path,
                format!("duplicate {} `{}`", self.what, key_name(&meta.path)),
            );
        } else {
            *slot = Some(value);
        }
        Ok(())
    }
}

/// A bare-word flag: the key's tokens (for spans), or `None` after reporting a value given to it.
pub(crate) fn flag_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
) -> syn::Result<Option<TokenStream>> {
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        return Ok(Some(meta.path.to_token_stream()));
    }
    let value = value_tokens(meta)?;
    let key = key_name(&meta.path);
    cx.error_spanned_by(
        value,
        format!("`{key}` is a flag and takes no value, write `{key}` alone"),
    );
    Ok(None)
}

/// `key = "..."`: the literal, or `None` after reporting a missing or non-string value.
pub(crate) fn string_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
) -> syn::Result<Option<LitStr>> {
    let key = key_name(&meta.path);
    let Some(expr) = value::<Expr>(cx, meta, "\"...\"", "an expression")? else {
        return Ok(None);
    };
    if let Expr::Lit(ExprLit {
        lit: Lit::Str(lit), ..
    }) = expr
    {
        return Ok(Some(lit));
    }
    cx.error_spanned_by(
        &expr,
        format!("expected a string literal for `{key}`, e.g. `{key} = \"...\"`"),
    );
    Ok(None)
}

/// `key = <T>`: the value, or `None` after reporting a missing `=` (as "expected `key = {example}`") or
/// a value that is not a `T` (as "expected {kind} for `key`"). Either way the value is consumed.
pub(crate) fn value<T: Parse>(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
    example: &str,
    kind: &str,
) -> syn::Result<Option<T>> {
    let key = key_name(&meta.path);
    if !meta.input.peek(Token![=]) {
        skip_value(meta)?;
        cx.error_spanned_by(&meta.path, format!("expected `{key} = {example}`"));
        return Ok(None);
    }
    let input = meta.value()?;
    let fork = input.fork();
    if let Ok(value) = fork.parse::<T>()
        && (fork.is_empty() || fork.peek(Token![,]))
    {
        input.advance_to(&fork);
        return Ok(Some(value));
    }
    let rest = skip_to_comma(input)?;
    let message = format!("expected {kind} for `{key}`, e.g. `{key} = {example}`");
    if rest.is_empty() {
        // `key =` and nothing after it.
        cx.error_spanned_by(&meta.path, message);
    } else {
        cx.error_spanned_by(rest, message);
    }
    Ok(None)
}

/// `key(<T>)`: the contents, or `None` after reporting a missing list (as "expected `key({example})`")
/// or contents that are not a `T` (as "expected {kind} in `key(...)`"). Either way the value is consumed.
pub(crate) fn list_value<T: Parse>(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
    example: &str,
    kind: &str,
) -> syn::Result<Option<T>> {
    let key = key_name(&meta.path);
    if !meta.input.peek(syn::token::Paren) {
        skip_value(meta)?;
        cx.error_spanned_by(&meta.path, format!("expected `{key}({example})`"));
        return Ok(None);
    }
    let group: proc_macro2::Group = meta.input.parse()?;
    if let Ok(value) = syn::parse2::<T>(group.stream()) {
        return Ok(Some(value));
    }
    cx.error_spanned_by(
        group,
        format!("expected {kind} in `{key}(...)`, e.g. `{key}({example})`"),
    );
    Ok(None)
}

/// `` `a`, `b`, `c` ``
pub(crate) fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Tinybird resource name (datasource, pipe, node): `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_resource_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The key as written, `type` included (a keyword, which `parse_nested_meta` accepts).
pub(crate) fn key_name(path: &syn::Path) -> String {
    path.get_ident().map_or_else(
        || path.to_token_stream().to_string().replace(' ', ""),
        ToString::to_string,
    )
}

/// Consumes whatever follows a key (`= expr` or `(...)`), e.g. of a key another crate reads.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    value_tokens(meta).map(drop)
}

/// The tokens of whatever follows a key (`= expr` or `(...)`), consumed.
fn value_tokens(meta: &ParseNestedMeta<'_>) -> syn::Result<TokenStream> {
    if meta.input.peek(Token![=]) {
        skip_to_comma(meta.value()?)
    } else if meta.input.peek(syn::token::Paren) {
        let group: proc_macro2::Group = meta.input.parse()?;
        Ok(group.into_token_stream())
    } else {
        Ok(TokenStream::new())
    }
}

/// Consumes the tokens up to the next `,` of the list (or its end) and returns them.
fn skip_to_comma(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    input.step(|cursor| {
        let mut rest = *cursor;
        let mut tokens = TokenStream::new();
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            tokens.extend([tt]);
            rest = next;
        }
        Ok((tokens, rest))
    })
}
