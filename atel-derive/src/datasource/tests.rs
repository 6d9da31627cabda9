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
                        tokens: ::atel_sdk::__private::Vec::from([]),
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
                        indexes: ::atel_sdk::__private::Vec::from([]),
                        engine: ::atel_sdk::__private::Engine {
                            kind: ::core::option::Option::Some("ReplacingMergeTree"),
                            sorting_key: ::core::option::Option::Some("sessionId"),
                            partition_key: ::core::option::Option::None,
                            ttl: ::core::option::Option::None,
                            ver: ::core::option::Option::Some("v"),
                            is_deleted: ::core::option::Option::None,
                            primary_key: ::core::option::Option::None,
                            sampling_key: ::core::option::Option::None,
                            sign: ::core::option::Option::None,
                            version: ::core::option::Option::None,
                            summing_columns: ::core::option::Option::None,
                            settings: ::core::option::Option::None,
                        },
                        forward_query: ::core::option::Option::None,
                        connector: ::atel_sdk::__private::Vec::from([]),
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
    // Per typed column: nullable, decimal, aggregate; one low_cardinality; one hand-written type.
    assert_eq!(checks.matches("assert !").count(), 3 * 3 + 1 + 1);
}

#[test]
fn expands_indexes_column_names_and_derived_columns() {
    let input = parse_quote! {
        #[tinybird(index = "idx_a mapKeys(Attrs) TYPE bloom_filter(0.01) GRANULARITY 4")]
        struct Row {
            #[tinybird(column = "At", datetime64(9, "UTC"))]
            at: Vec<DateTime<Utc>>,
            #[serde(skip)]
            #[tinybird(column = "AtSecond", datetime, json_path = "$.at")]
            at_second: PhantomData<DateTime<Utc>>,
            #[tinybird(column = "Attrs", low_cardinality_keys)]
            attrs: Attributes,
        }
    };
    let output = expand(&input).unwrap().to_string();
    let expected_parts = [
        quote! {
            indexes: ::atel_sdk::__private::Vec::from([::atel_sdk::__private::Index {
                name: "idx_a",
                expr: "mapKeys(Attrs)",
                kind: "bloom_filter(0.01)",
                granularity: 4u32,
            }]),
        },
        // Named apart from its key: the JSON path is the key's, `[:]` if the type is an array.
        quote! {
            {
                let ty = ::atel_sdk::__private::ChType::with_datetime(
                    <Vec<DateTime<Utc>> as ::atel_sdk::__private::ColumnType>::ch_type(),
                    &::atel_sdk::__private::ChType::DateTime64Tz(
                        9u8,
                        ::atel_sdk::__private::String::from("UTC")
                    )
                );
                ::atel_sdk::__private::Column {
                    name: "At",
                    json_path: ::core::option::Option::Some(
                        if ::atel_sdk::__private::ChType::is_array(&ty) { "$.at[:]" } else { "$.at" }
                    ),
                    ty,
                    default: ::core::option::Option::None,
                    codec: ::core::option::Option::None,
                }
            }
        },
        // Skipped by serde, so only a column because `json_path` says where its value comes from.
        quote! {
            ::atel_sdk::__private::Column {
                name: "AtSecond",
                ty: ::atel_sdk::__private::ChType::with_datetime(
                    <PhantomData<DateTime<Utc>> as ::atel_sdk::__private::ColumnType>::ch_type(),
                    &::atel_sdk::__private::ChType::DateTime
                ),
                json_path: ::core::option::Option::Some("$.at"),
                default: ::core::option::Option::None,
                codec: ::core::option::Option::None,
            }
        },
        quote! {
            let ty = ::atel_sdk::__private::ChType::low_cardinality_keys(
                <Attributes as ::atel_sdk::__private::ColumnType>::ch_type()
            );
        },
    ];
    // `>>` prints as one token or two depending on how it was made: compare without spaces.
    let squeeze = |text: String| text.replace(' ', "");
    let output = squeeze(output);
    for part in expected_parts {
        let part = squeeze(part.to_string());
        assert!(output.contains(&part), "{part}\nin\n{output}");
    }
    let shape =
        |ty: TokenStream| quote!(<#ty as ::atel_sdk::__private::ColumnType>::SHAPE).to_string();
    for condition in [
        format!("{} . has_datetime ()", shape(quote!(Vec<DateTime<Utc>>))),
        format!(
            "{} . has_datetime ()",
            shape(quote!(PhantomData<DateTime<Utc>>))
        ),
        format!("{} . has_string_keyed_map ()", shape(quote!(Attributes))),
    ] {
        let condition = squeeze(condition);
        assert!(output.contains(&condition), "{condition} in {output}");
    }
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
             `sorting_key`, `partition_key`, `ttl`, `ver`, `is_deleted`, `primary_key`, \
             `sampling_key`, `sign`, `version`, `summing_columns`, `settings`, `forward_query`, \
             `index`, `token`, `kafka`, `import`",
            "expected a string literal for `name`, e.g. `name = \"...\"`",
            "unknown engine `Log`, expected one of `MergeTree`, `ReplacingMergeTree`, \
             `SummingMergeTree`, `AggregatingMergeTree`, `CollapsingMergeTree`, \
             `VersionedCollapsingMergeTree`, `Null`",
            "unknown tinybird field attribute `lowcard`, expected one of `column`, `type`, \
             `low_cardinality`, `low_cardinality_keys`, `decimal`, `datetime64`, `datetime`, \
             `date32`, `fixed_string`, `aggregate`, `simple_aggregate`, `json_path`, `default`, \
             `codec`, `skip`",
            "`codec` cannot be empty",
        ]
    );
}

fn errors(input: &syn::DeriveInput) -> Vec<String> {
    expand(input)
        .unwrap_err()
        .into_iter()
        .map(|error| error.to_string())
        .collect()
}

#[test]
fn kafka_and_import_settings_are_written_in_order_and_checked() {
    let input = parse_quote! {
        #[tinybird(kafka(
            group_id = "tb-shop",
            connection = "shop_kafka",
            topic = "shop.events",
            store_raw_value,
            auto_offset_reset = "earliest",
        ))]
        struct Row { value: u8 }
    };
    let output = expand(&input).expect("expands").to_string();
    let settings = quote! {
        connector: ::atel_sdk::__private::Vec::from([
            ("KAFKA_CONNECTION_NAME", "shop_kafka"),
            ("KAFKA_TOPIC", "shop.events"),
            ("KAFKA_GROUP_ID", "tb-shop"),
            ("KAFKA_AUTO_OFFSET_RESET", "earliest"),
            ("KAFKA_STORE_RAW_VALUE", "True")
        ]),
    };
    assert!(output.contains(&settings.to_string()), "{output}");

    assert_eq!(
        errors(&parse_quote! {
            #[tinybird(kafka(connection = "shop-kafka", auto_offset_reset = "oldest", store_headers = "yes"))]
            struct Row { value: u8 }
        }),
        [
            "`store_headers` is a flag and takes no value, write `store_headers` alone",
            "`shop-kafka` is not a connection name: the `.connection` file's name, letters, digits \
             and underscores",
            "`auto_offset_reset = \"oldest\"`: expected `\"earliest\"` or `\"latest\"`",
            "`kafka(...)` needs `topic`, `group_id`, e.g. `kafka(connection = \"...\", topic = \"...\", \
             group_id = \"...\")`",
        ]
    );
    assert_eq!(
        errors(&parse_quote! {
            #[tinybird(
                import(connection = "lake", bucket_uri = "https://x/a.csv", schedule = "@hourly", format = "xml"),
                kafka(connection = "k", topic = "t", group_id = "g"),
            )]
            struct Row { value: u8 }
        }),
        [
            "`bucket_uri = \"https://x/a.csv\"`: expected an `s3://` or `gs://` URI (a `*` matches \
             many files)",
            "`schedule = \"@hourly\"`: an import runs `\"@auto\"` (each new file, S3 only), \
             `\"@once\"` or `\"@on-demand\"`",
            "`format = \"xml\"`: expected `\"csv\"`, `\"ndjson\"` or `\"parquet\"`",
            "a datasource is fed by one connector: `import(...)` is set already",
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
