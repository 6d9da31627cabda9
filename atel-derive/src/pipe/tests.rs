//! Expansion snapshots: the exact code `#[pipe]` writes for a happy-path input, and the fallback.

use proc_macro2::TokenTree;
use quote::quote;

use super::expand;

#[test]
fn expands_impl_checks_and_typed_method() {
    let args = quote! {
        name = "usage",
        description = "Usage.",
        output = Row,
        node(name = "endpoint", sql = "%\nSELECT 1 WHERE d > {{ UInt16(days, 7) }} {% if defined(m) %} AND {{ String(m) }} {% end %}")
    };
    let input = quote! {
        pub struct Usage {
            /// Window.
            #[param(default = 7)]
            pub days: u16,
            pub m: Option<String>,
        }
    };
    let expected = quote! {
        pub struct Usage {
            /// Window.
            pub days: u16,
            pub m: Option<String>,
        }

        #[automatically_derived]
        impl ::atel_sdk::__private::Pipe for Usage {
            const NAME: &'static str = "usage";
            type Output = Row;

            fn params(&self) -> ::atel_sdk::__private::Vec<(&'static str, ::atel_sdk::__private::String)> {
                let mut pairs = ::atel_sdk::__private::Vec::with_capacity(2usize);
                if let ::core::option::Option::Some(value) =
                    <u16 as ::atel_sdk::__private::ParamValue>::to_param(
                        &self.days,
                        ::atel_sdk::__private::TemplateType::UInt16
                    )
                {
                    pairs.push(("days", value));
                }
                if let ::core::option::Option::Some(value) =
                    <Option<String> as ::atel_sdk::__private::ParamValue>::to_param(
                        &self.m,
                        ::atel_sdk::__private::TemplateType::String
                    )
                {
                    pairs.push(("m", value));
                }
                pairs
            }

            fn schema() -> ::atel_sdk::__private::PipeSchema {
                ::atel_sdk::__private::PipeSchema {
                    name: "usage",
                    description: ::core::option::Option::Some("Usage."),
                    nodes: ::atel_sdk::__private::Vec::from([::atel_sdk::__private::Node {
                        name: "endpoint",
                        description: ::core::option::Option::None,
                        sql: "%\nSELECT 1 WHERE d > {{ UInt16(days, 7) }} {% if defined(m) %} AND {{ String(m) }} {% end %}"
                    }]),
                    params: ::atel_sdk::__private::Vec::from([
                        ::atel_sdk::__private::Param {
                            name: "days",
                            template_type: "UInt16",
                            default: ::core::option::Option::Some("7"),
                            required: false,
                            description: ::core::option::Option::Some("Window."),
                        },
                        ::atel_sdk::__private::Param {
                            name: "m",
                            template_type: "String",
                            default: ::core::option::Option::None,
                            required: false,
                            description: ::core::option::Option::None,
                        }
                    ]),
                    kind: ::atel_sdk::__private::PipeKind::Endpoint,
                    tokens: ::atel_sdk::__private::Vec::from([]),
                }
            }
        }

        const _: () = ::core::assert!(
            ::atel_sdk::__private::accepts(
                ::atel_sdk::__private::TemplateType::UInt16,
                false,
                <u16 as ::atel_sdk::__private::ParamValue>::KIND,
            ),
            "`u16` (field `days`) does not fit `UInt16`, its template type in node `endpoint`: see the compatibility table in `atel_sdk::param`",
        );
        const _: () = ::core::assert!(
            ::atel_sdk::__private::accepts(
                ::atel_sdk::__private::TemplateType::String,
                false,
                <Option<String> as ::atel_sdk::__private::ParamValue>::KIND,
            ),
            "`Option<String>` (field `m`) does not fit `String`, its template type in node `endpoint`: see the compatibility table in `atel_sdk::param`",
        );

        #[doc = "The typed call of the `usage` pipe: `client.usage(…).await` returns its rows."]
        pub trait UsageExt {
            #[doc = "Queries the `usage` endpoint: set optional params on the returned [`UsageCall`], then `.await` it."]
            #[allow(clippy::too_many_arguments)]
            fn usage(&self) -> UsageCall<'_>;
        }

        #[automatically_derived]
        impl UsageExt for ::atel_sdk::__private::TinybirdClient {
            #[allow(clippy::too_many_arguments)]
            fn usage(&self) -> UsageCall<'_> {
                UsageCall { client: self, params: Usage { days: 7, m: ::core::option::Option::None } }
            }
        }

        #[doc = "A call of the `usage` endpoint with its params ([`Usage`]); `.await` runs it."]
        #[must_use = "a pipe call does nothing until it is awaited"]
        pub struct UsageCall<'a> {
            client: &'a ::atel_sdk::__private::TinybirdClient,
            params: Usage,
        }

        #[automatically_derived]
        impl UsageCall<'_> {
            #[doc = "`days`: Window."]
            pub fn days(mut self, value: u16) -> Self {
                self.params.days = value;
                self
            }
            #[doc = "`m` (not sent unless set)."]
            pub fn m(mut self, value: impl ::core::convert::Into<::atel_sdk::__private::String>) -> Self {
                self.params.m = ::core::option::Option::Some(::core::convert::Into::into(value));
                self
            }
        }

        #[automatically_derived]
        impl ::core::fmt::Debug for UsageCall<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(UsageCall))
                    .field("pipe", &"usage")
                    .finish_non_exhaustive()
            }
        }

        #[automatically_derived]
        impl<'a> ::core::future::IntoFuture for UsageCall<'a> {
            type Output = ::core::result::Result<::atel_sdk::__private::Vec<Row>, ::atel_sdk::__private::Error>;
            type IntoFuture = ::core::pin::Pin<::atel_sdk::__private::Box<
                dyn ::core::future::Future<
                    Output = ::core::result::Result<::atel_sdk::__private::Vec<Row>, ::atel_sdk::__private::Error>
                > + ::core::marker::Send + 'a,
            >>;

            fn into_future(self) -> Self::IntoFuture {
                ::atel_sdk::__private::Box::pin(async move {
                    ::atel_sdk::__private::TinybirdClient::query(self.client, &self.params).await
                })
            }
        }
    };
    assert_eq!(expand(args, input).to_string(), expected.to_string());
}

#[test]
fn errors_are_collected_and_the_struct_survives() {
    let args = quote! {
        name = "usage",
        colour = "red",
        output = Row,
        node(name = "endpoint", sql = "SELECT {{ Int32(days) }}")
    };
    let input = quote! {
        struct Usage {
            #[param(default = 1)]
            days: u64,
            unused: String,
        }
    };
    let tokens = expand(args, input);
    let output = tokens.to_string();
    assert_eq!(
        messages(&tokens),
        [
            "unknown pipe attribute `colour`, expected one of `name`, `description`, `output`, `method`, `node`, `materialized`, `copy`, `sink`, `token`",
            "node `endpoint` uses templates, so its SQL must start with a `%` line",
            "`days` defaults to `1` here but has no default in the SQL: add it there, as in `Int32(days, ...)`",
            "field `unused` is not a param of any node: no node's SQL reads `unused`",
        ]
    );
    // The struct is still there without `#[param]`, with stub impls so uses of it type-check.
    assert!(output.contains("struct Usage { days : u64 , unused : String , }"));
    assert!(output.contains("impl :: atel_sdk :: __private :: Pipe for Usage"));
    assert!(output.contains("trait UsageExt"));
}

/// The `compile_error!` messages of an expansion, in order.
fn messages(output: &proc_macro2::TokenStream) -> Vec<String> {
    let tokens: Vec<TokenTree> = output.clone().into_iter().collect();
    tokens
        .windows(3)
        .filter_map(|window| match window {
            [
                TokenTree::Ident(ident),
                TokenTree::Punct(bang),
                TokenTree::Group(group),
            ] if ident == "compile_error" && bang.as_char() == '!' => {
                syn::parse2::<syn::LitStr>(group.stream())
                    .ok()
                    .map(|lit| lit.value())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_bad_value_is_reported_and_the_list_read_on() {
    let args = quote! {
        name = 5,
        output = 5,
        node = "endpoint",
        node(name = "endpoint", sql = 7, sqll = "x"),
        method,
        colour = "red",
    };
    let input = quote! {
        struct Usage {
            #[param(default = days, required = true, rename)]
            days: u16,
        }
    };
    let tokens = expand(args, input);
    // Reported as written wrong, not again as missing.
    assert_eq!(
        messages(&tokens),
        [
            r#"expected a string literal for `name`, e.g. `name = "..."`"#,
            "expected a type for `output`, e.g. `output = RowType`",
            r#"expected `node(name = "...", sql = "...")`"#,
            r#"expected a string literal for `sql`, e.g. `sql = "..."`"#,
            "unknown pipe node attribute `sqll`, expected one of `name`, `description`, `sql`, `sql_file`",
            r#"expected `method = "..."`"#,
            "unknown pipe attribute `colour`, expected one of `name`, `description`, `output`, `method`, `node`, `materialized`, `copy`, `sink`, `token`",
            "expected a literal default: a number, a string or a bool",
            "`required` is a flag and takes no value, write `required` alone",
            r#"expected `rename = "..."`"#,
            "field `days` is not a param of any node: no node's SQL reads `days`",
        ]
    );
    assert!(tokens.to_string().contains("struct Usage { days : u16 , }"));
}
