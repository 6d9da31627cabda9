//! The keys of `kafka(...)` and `import(...)` on a datasource and the datafile directives they write.
//! Plain data with no dependencies: `atel-sdk`'s codegen compiles this file too (`#[path]`), so the
//! derive and the reader of existing datafiles agree on every key.

/// One key of `kafka(...)` / `import(...)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    /// The derive's key: `topic`.
    pub(crate) name: &'static str,
    /// The directive it writes: `KAFKA_TOPIC`.
    pub(crate) directive: &'static str,
    /// A flag: `store_raw_value` alone writes `True` (Tinybird's default is `False`).
    pub(crate) flag: bool,
    /// Tinybird's parser refuses the datasource without it.
    pub(crate) required: bool,
}

const fn text(name: &'static str, directive: &'static str, required: bool) -> Key {
    Key {
        name,
        directive,
        flag: false,
        required,
    }
}

const fn flag(name: &'static str, directive: &'static str) -> Key {
    Key {
        name,
        directive,
        flag: true,
        required: false,
    }
}

/// `kafka(...)`, in the order Tinybird's own templates write the directives.
pub(crate) const KAFKA: &[Key] = &[
    text("connection", "KAFKA_CONNECTION_NAME", true),
    text("topic", "KAFKA_TOPIC", true),
    text("group_id", "KAFKA_GROUP_ID", true),
    text("auto_offset_reset", "KAFKA_AUTO_OFFSET_RESET", false),
    flag("store_raw_value", "KAFKA_STORE_RAW_VALUE"),
    flag("store_headers", "KAFKA_STORE_HEADERS"),
    text("key_format", "KAFKA_KEY_FORMAT", false),
    text("value_format", "KAFKA_VALUE_FORMAT", false),
];

/// `import(...)`: files from an S3 or GCS bucket.
pub(crate) const IMPORT: &[Key] = &[
    text("connection", "IMPORT_CONNECTION_NAME", true),
    text("bucket_uri", "IMPORT_BUCKET_URI", true),
    text("schedule", "IMPORT_SCHEDULE", true),
    text("format", "IMPORT_FORMAT", false),
    text("from_timestamp", "IMPORT_FROM_TIMESTAMP", false),
];
