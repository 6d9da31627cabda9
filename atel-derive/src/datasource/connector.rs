//! `kafka(...)` and `import(...)` on a datasource: Tinybird ingests it on its own, from a Kafka topic
//! (`KAFKA_*`) or from files in an S3/GCS bucket (`IMPORT_*`), through a connection of the project.

use proc_macro2::Span;
use syn::LitStr;
use syn::meta::ParseNestedMeta;

use super::connector_keys::{IMPORT, KAFKA};
use crate::ctxt::Ctxt;
use crate::meta::{self, Grammar, flag_value, is_resource_name, string_value};

const KAFKA_GRAMMAR: Grammar = Grammar {
    what: "kafka attribute",
    keys: &[
        "connection",
        "topic",
        "group_id",
        "auto_offset_reset",
        "store_raw_value",
        "store_headers",
        "key_format",
        "value_format",
    ],
};

const IMPORT_GRAMMAR: Grammar = Grammar {
    what: "import attribute",
    keys: &[
        "connection",
        "bucket_uri",
        "schedule",
        "format",
        "from_timestamp",
    ],
};

/// `kafka(...)` or `import(...)`, read and checked.
pub(crate) struct Connector {
    /// `kafka` or `import`, for errors.
    pub(crate) kind: &'static str,
    /// (directive, value), in datafile order.
    pub(crate) settings: Vec<(&'static str, String)>,
}

impl Connector {
    /// Reads `kafka(...)` (`kafka` true) or `import(...)`; `None` (reported) when the key is not
    /// followed by a list.
    pub(crate) fn from_ast(
        cx: &mut Ctxt,
        outer: &ParseNestedMeta<'_>,
        kafka: bool,
    ) -> syn::Result<Option<Self>> {
        let (kind, table, grammar, example) = if kafka {
            (
                "kafka",
                KAFKA,
                &KAFKA_GRAMMAR,
                "kafka(connection = \"...\", topic = \"...\", group_id = \"...\")",
            )
        } else {
            (
                "import",
                IMPORT,
                &IMPORT_GRAMMAR,
                "import(connection = \"...\", bucket_uri = \"s3://...\", schedule = \"@auto\")",
            )
        };
        let span = outer
            .path
            .get_ident()
            .map_or_else(Span::call_site, syn::Ident::span);
        if !outer.input.peek(syn::token::Paren) {
            meta::skip_value(outer)?;
            cx.error_spanned_by(&outer.path, format!("expected `{example}`"));
            return Ok(None);
        }
        let mut texts: Vec<Option<LitStr>> = table.iter().map(|_| None).collect();
        let mut flags: Vec<Option<proc_macro2::TokenStream>> = table.iter().map(|_| None).collect();
        let result = outer.parse_nested_meta(|meta| {
            let key = meta::key_name(&meta.path);
            match table.iter().position(|k| k.name == key) {
                Some(i) if table[i].flag => grammar.read(cx, &meta, &mut flags[i], flag_value),
                Some(i) => grammar.read(cx, &meta, &mut texts[i], string_value),
                None => grammar.unknown_key(cx, &meta),
            }
        });
        if let Err(error) = result {
            cx.syn_error(error);
        }
        let mut settings = Vec::new();
        let mut missing = Vec::new();
        for ((key, text), flag) in table.iter().zip(&texts).zip(&flags) {
            if let Some(lit) = text {
                let value = lit.value();
                if let Some(message) = invalid(kind, key.name, value.trim()) {
                    cx.error_spanned_by(lit, message);
                }
                settings.push((key.directive, value.trim().to_owned()));
            } else if flag.is_some() {
                settings.push((key.directive, "True".to_owned()));
            } else if key.required {
                missing.push(key.name);
            }
        }
        if !missing.is_empty() {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "`{kind}(...)` needs {}, e.g. `{example}`",
                    meta::list(&missing)
                ),
            ));
        }
        Ok(Some(Self { kind, settings }))
    }
}

/// Why `value` cannot be `key` of `kind(...)`, if it cannot.
fn invalid(kind: &str, key: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return Some(format!("`{key}` cannot be empty"));
    }
    match (kind, key) {
        (_, "connection") if !is_resource_name(value) => Some(format!(
            "`{value}` is not a connection name: the `.connection` file's name, letters, digits and \
             underscores"
        )),
        ("kafka", "auto_offset_reset") if !matches!(value, "earliest" | "latest") => Some(format!(
            "`auto_offset_reset = \"{value}\"`: expected `\"earliest\"` or `\"latest\"`"
        )),
        ("import", "schedule") if !matches!(value, "@auto" | "@once" | "@on-demand") => {
            Some(format!(
                "`schedule = \"{value}\"`: an import runs `\"@auto\"` (each new file, S3 only), \
                 `\"@once\"` or `\"@on-demand\"`"
            ))
        }
        ("import", "format") if !matches!(value, "csv" | "ndjson" | "parquet") => Some(format!(
            "`format = \"{value}\"`: expected `\"csv\"`, `\"ndjson\"` or `\"parquet\"`"
        )),
        ("import", "bucket_uri") if !(value.starts_with("s3://") || value.starts_with("gs://")) => {
            Some(format!(
                "`bucket_uri = \"{value}\"`: expected an `s3://` or `gs://` URI (a `*` matches many \
                 files)"
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{IMPORT, IMPORT_GRAMMAR, KAFKA, KAFKA_GRAMMAR};

    #[test]
    fn the_grammars_list_the_keys_of_their_tables() {
        let keys = |table: &[super::super::connector_keys::Key]| {
            table.iter().map(|k| k.name).collect::<Vec<_>>()
        };
        assert_eq!(KAFKA_GRAMMAR.keys, keys(KAFKA));
        assert_eq!(IMPORT_GRAMMAR.keys, keys(IMPORT));
    }
}
