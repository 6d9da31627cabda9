//! The reader's errors on bad input (file, line, what was expected) and the writer on small inputs.

use super::*;

fn ds(text: &str) -> Result<DatasourceDef, ReadError> {
    read_datasource("datasources/x.datasource", "x", text)
}

fn pipe(text: &str) -> Result<PipeDef, ReadError> {
    read_pipe("endpoints/p.pipe", "p", text)
}

fn err(result: Result<impl std::fmt::Debug, ReadError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn reads_tinybirds_looser_layout() {
    // Quoted engine values, an unquoted token, tabs, commas after indexes, no final newline.
    let def = ds("TOKEN T APPEND\n\nSCHEMA >\n    `a` String `json:$.a` DEFAULT 'x' CODEC(ZSTD(1)),\n\t`b` Map(String, Array(UInt8)) `json:$.b`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"a, b\"\n\nINDEXES >\n    i a TYPE bloom_filter(0.01) GRANULARITY 1,\n    j b TYPE minmax GRANULARITY 4").unwrap();
    assert_eq!(def.tokens, [("T".to_owned(), "APPEND".to_owned())]);
    assert_eq!(def.engine.as_deref(), Some("MergeTree"));
    assert_eq!(
        def.engine_settings,
        [("ENGINE_SORTING_KEY".to_owned(), "a, b".to_owned(), 8)]
    );
    assert_eq!(
        def.columns[0],
        ColumnDef {
            name: "a".into(),
            ty: "String".into(),
            json_path: Some("$.a".into()),
            default: Some("'x'".into()),
            codec: Some("ZSTD(1)".into()),
            line: 4,
        }
    );
    assert_eq!(def.columns[1].ty, "Map(String, Array(UInt8))");
    assert_eq!(def.columns[1].line, 5);
    assert_eq!(
        def.indexes,
        [
            ("i a TYPE bloom_filter(0.01) GRANULARITY 1".to_owned(), 11),
            ("j b TYPE minmax GRANULARITY 4".to_owned(), 12)
        ]
    );
}

#[test]
fn datasource_errors_name_the_line_and_what_was_expected() {
    assert_eq!(
        err(ds("ENGINE MergeTree\n")),
        "datasources/x.datasource:1: no `SCHEMA >` block: a datasource needs its columns"
    );
    assert_eq!(
        err(ds("SCHEMA >\n    `a` String `json:$.a`,\n    `b`\n")),
        "datasources/x.datasource:3: column `b` has no type"
    );
    assert_eq!(
        err(ds("SCHEMA >\n    `a` Array(String `json:$.a`\n")),
        "datasources/x.datasource:2: column `a`: unbalanced parentheses in type `Array(String `json:$.a``"
    );
    assert_eq!(
        err(ds("SCHEMA >\n    `a` String `json:$.a` NULL\n")),
        "datasources/x.datasource:2: column `a`: unexpected `NULL`: expected `` `json:$.path` ``, \
         `DEFAULT expr` or `CODEC(...)`"
    );
    assert_eq!(
        err(ds("SCHEMA >\n    `a` String CODEC(ZSTD(1)\n")),
        "datasources/x.datasource:2: column `a`: `CODEC(` has no closing `)`"
    );
    assert_eq!(
        err(ds("SCHEMA >\n    `a String\n")),
        "datasources/x.datasource:2: unterminated column name: expected a closing `` ` ``"
    );
    assert_eq!(
        err(ds("SCHEMA >\n\nENGINE MergeTree\n")),
        "datasources/x.datasource:1: `SCHEMA >` has no body: expected indented lines after it"
    );
    assert_eq!(
        err(ds(
            "SCHEMA >\n    `a` String\nINDEXES >\n    broken index\n"
        )),
        "datasources/x.datasource:4: expected an index `name expr TYPE kind GRANULARITY n`, found \
         `broken index`"
    );
    assert_eq!(
        err(ds("KAFKA_TOPIC t\nSCHEMA >\n    `a` String\n")),
        "datasources/x.datasource:1: `KAFKA_CONNECTION_NAME` is missing: a kafka datasource needs \
         KAFKA_CONNECTION_NAME, KAFKA_TOPIC, KAFKA_GROUP_ID"
    );
    assert_eq!(
        err(ds(
            "SCHEMA >\n    `a` String\n\nIMPORT_CONNECTION_NAME s3\nIMPORT_BUCKET_URI s3://b/*.csv\n\
             IMPORT_SCHEDULE @auto\nIMPORT_STRATEGY append\n"
        )),
        "datasources/x.datasource:7: `IMPORT_STRATEGY` has no `import(...)` key: a datasource reads \
         IMPORT_CONNECTION_NAME, IMPORT_BUCKET_URI, IMPORT_SCHEDULE, IMPORT_FORMAT, \
         IMPORT_FROM_TIMESTAMP"
    );
    assert_eq!(
        err(ds(
            "SCHEMA >\n    `a` String\n\nKAFKA_CONNECTION_NAME k\nKAFKA_TOPIC t\nKAFKA_GROUP_ID g\n\
             KAFKA_STORE_HEADERS yes\n"
        )),
        "datasources/x.datasource:7: `KAFKA_STORE_HEADERS yes`: expected `True` or `False`"
    );
    assert_eq!(
        err(ds("FOO bar\nSCHEMA >\n    `a` String\n")),
        "datasources/x.datasource:1: unknown datasource directive `FOO`: expected `DESCRIPTION`, \
         `TOKEN`, `SCHEMA`, `INDEXES`, `ENGINE`, `ENGINE_*`, `KAFKA_*`, `IMPORT_*` or `FORWARD_QUERY`"
    );
    assert_eq!(
        err(ds("TOKEN\nSCHEMA >\n    `a` String\n")),
        "datasources/x.datasource:1: `TOKEN` needs a value: `TOKEN value` or `TOKEN >` and \
         indented lines"
    );
    assert_eq!(
        err(ds("TOKEN \"t\" WRITE\nSCHEMA >\n    `a` String\n")),
        "datasources/x.datasource:1: expected `TOKEN \"name\" READ` or `APPEND`"
    );
    assert_eq!(
        err(ds("  SCHEMA >\n")),
        "datasources/x.datasource:1: unexpected indented line `SCHEMA >`: expected a directive \
         (`KEY value` or `KEY >`) at the start of the line"
    );
}

#[test]
fn pipe_errors_name_the_line_and_what_was_expected() {
    assert_eq!(
        err(pipe("DESCRIPTION >\n    d\n")),
        "endpoints/p.pipe:1: no `NODE`: a pipe needs at least one node"
    );
    assert_eq!(
        err(pipe("SQL >\n    SELECT 1\n")),
        "endpoints/p.pipe:1: `SQL` before any `NODE`: expected `DESCRIPTION`, `TOKEN` or `NODE name`"
    );
    assert_eq!(
        err(pipe("NODE a\nDESCRIPTION x\n")),
        "endpoints/p.pipe:1: node `a` has no `SQL >` block"
    );
    assert_eq!(
        err(pipe("NODE a\nSQL >\n    SELECT 1\nTYPE view\n")),
        "endpoints/p.pipe:4: unknown `TYPE view`: expected `endpoint`, `materialized`, `copy` or \
         `sink`"
    );
    assert_eq!(
        err(pipe("NODE a\nSQL >\n    SELECT 1\nTYPE materialized\n")),
        "endpoints/p.pipe:4: `TYPE materialized` needs `DATASOURCE name`"
    );
    assert_eq!(
        err(pipe(
            "NODE a\nSQL >\n    SELECT 1\nTYPE endpoint\nNODE b\nSQL >\n    SELECT 2\n"
        )),
        "endpoints/p.pipe:5: `NODE b` after the `TYPE` on line 4: only the last node has a `TYPE`"
    );
    assert_eq!(
        err(pipe(
            "NODE a\nSQL >\n    SELECT 1\nTYPE endpoint\nCOPY_MODE append\n"
        )),
        "endpoints/p.pipe:5: `COPY_MODE` does not belong to a `TYPE endpoint` pipe"
    );
    assert_eq!(
        err(pipe("TOKEN \"t\" APPEND\nNODE a\nSQL >\n    SELECT 1\n")),
        "endpoints/p.pipe:1: a pipe token is `TOKEN \"name\" READ`"
    );
    let copy = pipe(
        "NODE a\nSQL >\n    SELECT 1\nTYPE COPY\nTARGET_DATASOURCE t\nCOPY_SCHEDULE @on-demand\n",
    )
    .unwrap();
    assert_eq!(
        copy.kind,
        KindDef::Copy {
            target: "t".into(),
            schedule: Some("@on-demand".into()),
            mode: None
        }
    );
}

#[test]
fn the_writer_says_what_it_cannot_express() {
    let files = |path: &str, text: &str| vec![(path.to_owned(), text.to_owned())];
    let unsupported = generate_from(
        "p",
        &files(
            "x.datasource",
            "SCHEMA >\n    `a` String `json:$.a`\n\nENGINE MergeTree\nENGINE_BACKFILL a\n",
        ),
    );
    assert_eq!(
        unsupported.unwrap_err().to_string(),
        "x.datasource:5: `ENGINE_BACKFILL` has no `#[tinybird(...)]` attribute: expected one of \
         `ENGINE_PARTITION_KEY`, `ENGINE_SORTING_KEY`, `ENGINE_PRIMARY_KEY`, `ENGINE_SAMPLING_KEY`, \
         `ENGINE_TTL`, `ENGINE_VER`, `ENGINE_IS_DELETED`, `ENGINE_SIGN`, `ENGINE_VERSION`, \
         `ENGINE_COLUMNS` or `ENGINE_SETTINGS`"
    );
    let aggregate = generate_from(
        "p",
        &files(
            "x.datasource",
            "SCHEMA >\n    `a` AggregateFunction(argMax, String, UInt64) `json:$.a`\n",
        ),
    );
    assert_eq!(
        aggregate.unwrap_err().to_string(),
        "x.datasource:2: column `a`: no Rust type holds `AggregateFunction(argMax, String, UInt64)` \
         (and no hand-written `type` can say it today)"
    );
    let template = generate_from(
        "p",
        &files(
            "p.pipe",
            "NODE a\nSQL >\n    %\n    SELECT {{ Int32(x, 1)\n",
        ),
    );
    assert_eq!(
        template.unwrap_err().to_string(),
        "p.pipe:1: template error: missing `}}` after `{{`"
    );
    let target = generate_from(
        "p",
        &files(
            "m.pipe",
            "NODE a\nSQL >\n    SELECT 1\nTYPE materialized\nDATASOURCE gone\n",
        ),
    );
    assert_eq!(
        target.unwrap_err().to_string(),
        "m.pipe:4: pipe `m` writes to the datasource `gone`, which is not in the folder"
    );
    assert_eq!(
        generate_from("p", &[]).unwrap_err().to_string(),
        "no .datasource, .pipe or .connection files in p"
    );
}

#[test]
fn params_become_fields() {
    let source = generate_from(
        "p",
        &[(
            "endpoints/q.pipe".to_owned(),
            "NODE a\nSQL >\n    %\n    SELECT * FROM t\n    WHERE d > {{ Int32(days, 7) }}\n    {% if defined(model) %} AND m = {{ String(model) }} {% end %}\n    AND id IN {{ Array(ids, 'UInt64') }}\n    AND s = {{ String(session, required=True) }}\n    AND r > {{ Float64(ratio, 1) }}\n    AND {{ type }}\n".to_owned(),
        )],
    )
    .unwrap();
    let fields: Vec<&str> = source
        .lines()
        .filter(|l| l.starts_with("    pub ") || l.starts_with("    #[param"))
        .collect();
    assert_eq!(
        fields,
        [
            "    #[param(default = 7)]",
            "    pub days: i32,",
            "    pub model: Option<String>,",
            "    pub ids: Vec<u64>,",
            "    #[param(required)]",
            "    pub session: String,",
            "    #[param(default = 1.0)]",
            "    pub ratio: f64,",
            "    #[param(rename = \"type\")]",
            "    pub type_: Option<String>,",
        ]
    );
    assert!(source.contains("pub type QRow = serde_json::Map<String, serde_json::Value>;"));
}
