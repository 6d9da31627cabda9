//! Expansion snapshots: the exact impl the derive writes for a happy-path input.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse_quote;

use super::expand;

#[test]
fn expands_struct_and_field_attributes() {
    let input = parse_quote! {
        #[derive(Serialize, Datasource)]
        #[serde(rename_all = "camelCase")]
        #[tinybird(name = "events", engine = "ReplacingMergeTree", sorting_key = "sessionId", ver = "v")]
        struct Event {
            session_id: String,
            #[serde(rename = "v")]
            version: u64,
            #[tinybird(low_cardinality, json_path = "$.k", default = "'x'", codec = "ZSTD(1)")]
            kind: Option<String>,
            #[tinybird(type = "DateTime")]
            at: String,
            #[serde(skip)]
            cache: (),
        }
    };
    let expected = quote! {
        const _: () = {
            #[automatically_derived]
            impl ::atel_sdk::__private::Datasource for Event {
                const NAME: &'static str = "events";

                fn schema() -> ::atel_sdk::__private::DatasourceSchema {
                    ::atel_sdk::__private::DatasourceSchema {
                        name: "events",
                        description: ::core::option::Option::None,
                        columns: ::atel_sdk::__private::Vec::from([
                            ::atel_sdk::__private::Column {
                                name: "sessionId",
                                ty: <String as ::atel_sdk::__private::ColumnType>::ch_type(),
                                json_path: ::core::option::Option::None,
                                default: ::core::option::Option::None,
                                codec: ::core::option::Option::None,
                            },
                            ::atel_sdk::__private::Column {
                                name: "v",
                                ty: <u64 as ::atel_sdk::__private::ColumnType>::ch_type(),
                                json_path: ::core::option::Option::None,
                                default: ::core::option::Option::None,
                                codec: ::core::option::Option::None,
                            },
                            ::atel_sdk::__private::Column {
                                name: "kind",
                                ty: ::atel_sdk::__private::ChType::low_cardinality(
                                    <Option<String> as ::atel_sdk::__private::ColumnType>::ch_type()
                                ),
                                json_path: ::core::option::Option::Some("$.k"),
                                default: ::core::option::Option::Some("'x'"),
                                codec: ::core::option::Option::Some("ZSTD(1)"),
                            },
                            ::atel_sdk::__private::Column {
                                name: "at",
                                ty: ::atel_sdk::__private::ChType::Raw(::atel_sdk::__private::String::from("DateTime")),
                                json_path: ::core::option::Option::None,
                                default: ::core::option::Option::None,
                                codec: ::core::option::Option::None,
                            }
                        ]),
                        engine: ::atel_sdk::__private::Engine {
                            kind: ::core::option::Option::Some("ReplacingMergeTree"),
                            sorting_key: ::core::option::Option::Some("sessionId"),
                            partition_key: ::core::option::Option::None,
                            ttl: ::core::option::Option::None,
                            ver: ::core::option::Option::Some("v"),
                            settings: ::core::option::Option::None,
                        },
                        forward_query: ::core::option::Option::None,
                    }
                }
            }
        };
    };
    let output = expand(&input).unwrap().to_string();
    // The impl, then the type checks (in `atel-sdk/tests/ui`), one per rule and field, before `};`.
    let checks_at = output.find("const _ : () = :: core :: assert").unwrap();
    let (impl_part, checks) = output.split_at(checks_at);
    let expected = expected.to_string();
    assert_eq!(
        format!("{impl_part}}} ;"),
        expected,
        "the impl, without the checks"
    );
    let shape =
        |ty: TokenStream| quote!(<#ty as ::atel_sdk::__private::ColumnType>::SHAPE).to_string();
    for condition in [
        format!("{} . nullable_ok ()", shape(quote!(String))),
        format!("! {} . has_decimal ()", shape(quote!(u64))),
        format!("{} . low_cardinality_ok ()", shape(quote!(Option<String>))),
        format!(
            "fits (& {} , & :: atel_sdk :: __private :: ChShape :: DateTime)",
            shape(quote!(String))
        ),
    ] {
        assert!(checks.contains(&condition), "{condition} in {checks}");
    }
    assert_eq!(checks.matches("assert !").count(), 3 * 2 + 1 + 1);
}

#[test]
fn checks_of_generic_fields_are_in_schema() {
    let input = parse_quote! {
        struct Row<T> { value: T, n: u8 }
    };
    let output = expand(&input).unwrap().to_string();
    let schema = output.find("fn schema").unwrap();
    let inline = output.find("const { :: core :: assert ! (< T as").unwrap();
    let fixed = output
        .find("const _ : () = :: core :: assert ! (< u8 as")
        .unwrap();
    assert!(schema < inline && inline < fixed, "{output}");
}

#[test]
fn keeps_generics() {
    let input = parse_quote! {
        struct Row<T: Copy> where T: Default { value: T }
    };
    let output = expand(&input).unwrap().to_string();
    let header = quote! {
        impl<T: Copy> ::atel_sdk::__private::Datasource for Row<T> where T: Default
    };
    assert!(output.contains(&header.to_string()), "{output}");
    assert!(
        output.contains(
            &quote!(
                const NAME: &'static str = "row";
            )
            .to_string()
        )
    );
}

#[test]
fn errors_are_collected_in_one_result() {
    let input = parse_quote! {
        #[tinybird(engine = "Log", sortkey = "x", name = 5)]
        struct Row {
            #[tinybird(lowcard, codec = "")]
            value: u8,
        }
    };
    let messages: Vec<String> = expand(&input)
        .unwrap_err()
        .into_iter()
        .map(|error| error.to_string())
        .collect();
    assert_eq!(
        messages,
        [
            "unknown tinybird attribute `sortkey`, expected one of `name`, `description`, `engine`, \
             `sorting_key`, `partition_key`, `ttl`, `ver`, `settings`, `forward_query`",
            "expected a string literal for `name`, e.g. `name = \"...\"`",
            "unknown engine `Log`, expected one of `MergeTree`, `ReplacingMergeTree`, \
             `SummingMergeTree`, `AggregatingMergeTree`, `CollapsingMergeTree`, \
             `VersionedCollapsingMergeTree`, `Null`",
            "unknown tinybird field attribute `lowcard`, expected one of `type`, `low_cardinality`, \
             `decimal`, `json_path`, `default`, `codec`, `skip`",
            "`codec` cannot be empty",
        ]
    );
}

#[test]
fn fallback_keeps_the_error_and_stubs_the_impl() {
    let input = parse_quote! { enum Row { A } };
    let error = expand(&input).unwrap_err();
    let output = super::fallback(&input, &error).to_string();
    assert!(output.contains("compile_error"), "{output}");
    assert!(
        output.contains("can only be derived for structs with named fields"),
        "{output}"
    );
    assert!(output.contains(&quote!(impl ::atel_sdk::__private::Datasource for Row).to_string()));
    assert!(
        output.contains(
            &quote!(
                const NAME: &'static str = "row";
            )
            .to_string()
        )
    );
}
