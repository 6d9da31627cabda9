//! The typed model of a `#[pipe(...)]` input: the params struct with its attribute, its typed method and
//! its fields, each keeping the `syn` node it came from for spans.

use proc_macro2::TokenStream;
use syn::ext::IdentExt as _;
use syn::{Expr, Fields, Ident, ItemStruct, LitStr, Type};

use super::attr;
use super::template::Literal;
use crate::ctxt::Ctxt;
use crate::meta::is_resource_name;

/// The params struct a pipe is made of.
pub(crate) struct Pipe<'a> {
    /// The struct as written.
    pub(crate) original: &'a ItemStruct,
    /// The struct as the expansion writes it back: without `#[param]`, which is not a real attribute.
    pub(crate) item: ItemStruct,
    pub(crate) attrs: attr::Pipe,
    /// The typed method: `method`, else the pipe name; `None` when that is not a Rust identifier
    /// (reported) or there is no name.
    pub(crate) method: Option<Ident>,
    /// The named fields, in order.
    pub(crate) fields: Vec<Field<'a>>,
}

/// One field of the params struct: one template param.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The query-string name: `rename`, or the field name.
    pub(crate) name: String,
    /// `Option<...>`, written as such.
    pub(crate) optional: bool,
    /// How the typed call takes the field: an argument of the method, or a setter of the call.
    pub(crate) call: CallArg<'a>,
    pub(crate) default: Option<(Expr, Literal)>,
    /// The `required` flag, for spans.
    pub(crate) required: Option<TokenStream>,
    /// `description`, else the doc comment.
    pub(crate) description: Option<String>,
}

/// How the typed call (`client.method(args).setter(v).await`) takes one field.
pub(crate) struct CallArg<'a> {
    /// A method argument (neither `Option` nor defaulted: the call needs it), else a setter.
    pub(crate) positional: bool,
    /// The type the argument or setter takes: the field's, or `T` of an `Option<T>` (wrapped in `Some`).
    pub(crate) ty: &'a Type,
    /// That type is `String`: taken as `impl Into<String>`, so `"text"` works too.
    pub(crate) into_string: bool,
}

/// What the expansion needs beyond the model, all present: there is no pipe without them.
pub(crate) struct Endpoint<'a> {
    pub(crate) name: &'a LitStr,
    /// `Pipe::Output`: the endpoint's row type; `()` (`None`) for the other kinds, which are not
    /// queried.
    pub(crate) output: Option<&'a Type>,
    /// The typed call's method: endpoints only.
    pub(crate) method: Option<&'a Ident>,
    pub(crate) kind: attr::Kind<'a>,
}

impl<'a> Pipe<'a> {
    /// The model; every problem of the attribute, the struct and its fields is reported to `cx`.
    pub(crate) fn from_ast(cx: &mut Ctxt, args: TokenStream, original: &'a ItemStruct) -> Self {
        let attrs = attr::Pipe::from_ast(cx, args);
        if !original.generics.params.is_empty() {
            cx.error_spanned_by(
                &original.generics,
                "`#[pipe]` params structs cannot be generic",
            );
        }
        if let Fields::Unnamed(fields) = &original.fields {
            cx.error_spanned_by(
                fields,
                "`#[pipe]` params need named fields: `struct Params { days: u32 }`",
            );
        }
        let fields = original
            .fields
            .iter()
            .filter_map(|field| Field::from_ast(cx, field))
            .collect();
        let method = match attrs.kind() {
            attr::Kind::Endpoint => method_ident(cx, &attrs),
            _ => None,
        };
        // (`ItemStruct` is not `Clone` without syn's `clone-impls`.)
        let mut item: ItemStruct = syn::parse_quote!(#original);
        for field in &mut item.fields {
            field.attrs.retain(|attr| !attr.path().is_ident("param"));
        }
        Self {
            original,
            item,
            attrs,
            method,
            fields,
        }
    }

    /// The pipe's name, kind, and for an endpoint its output and method, when all are known.
    pub(crate) fn endpoint(&self) -> Option<Endpoint<'_>> {
        let kind = self.attrs.kind();
        let (output, method) = match kind {
            attr::Kind::Endpoint => (
                Some(self.attrs.output.as_ref()?),
                Some(self.method.as_ref()?),
            ),
            attr::Kind::Copy(copy) => {
                copy.target.as_ref()?;
                (None, None)
            }
            attr::Kind::Materialized(_) | attr::Kind::Sink(_) => (None, None),
        };
        Some(Endpoint {
            name: self.attrs.name.as_ref()?,
            output,
            method,
            kind,
        })
    }
}

impl<'a> Field<'a> {
    /// `None` for a field without a name (the struct was reported as a tuple struct).
    fn from_ast(cx: &mut Ctxt, field: &'a syn::Field) -> Option<Self> {
        let ident = field.ident.as_ref()?;
        let attrs = attr::Param::from_ast(cx, &field.attrs);
        let name = attrs
            .rename
            .as_ref()
            .map_or_else(|| ident.unraw().to_string(), LitStr::value);
        let description =
            attrs.description.as_ref().map(LitStr::value).or_else(|| {
                (!attrs.docs.is_empty()).then(|| attrs.docs.join(" ").trim().to_owned())
            });
        let optional = attr::is_option(&field.ty);
        let taken = attr::option_inner(&field.ty).unwrap_or(&field.ty);
        let call = CallArg {
            positional: !optional && attrs.default.is_none(),
            ty: taken,
            into_string: attr::is_string(taken),
        };
        Some(Self {
            ident,
            ty: &field.ty,
            name,
            optional,
            call,
            default: attrs.default,
            required: attrs.required,
            description,
        })
    }
}

/// The typed method's name: `method = "..."`, or the pipe name.
fn method_ident(cx: &mut Ctxt, attrs: &attr::Pipe) -> Option<Ident> {
    let lit = attrs.method.as_ref().or(attrs.name.as_ref())?;
    match syn::parse_str::<Ident>(&lit.value()) {
        Ok(ident) => Some(Ident::new(&ident.to_string(), lit.span())),
        Err(_) if attrs.method.is_some() => {
            cx.error_spanned_by(lit, "`method` must be a Rust identifier");
            None
        }
        Err(_) if !is_resource_name(&lit.value()) => None, // reported as a bad pipe name
        Err(_) => {
            cx.error_spanned_by(
                lit,
                "the pipe name is not a Rust identifier: name the typed method with `method = \"...\"`",
            );
            None
        }
    }
}
