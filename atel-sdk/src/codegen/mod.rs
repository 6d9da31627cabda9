//! Codegen the other way: an existing Tinybird project folder → Rust source with the derives
//! (feature `codegen`), like `@tinybirdco/sdk`'s `migrate` does for TypeScript.
//!
//! [`generate`] reads every `.datasource` and `.pipe` of a folder (the folder itself and its
//! `datasources/`, `endpoints/`, `materializations/`, `copies/`, `sinks/` and `pipes/`) and writes one
//! `#[derive(Serialize, Deserialize, Datasource)]` struct per datasource and one `#[pipe(...)]`
//! params struct per pipe, already in rustfmt's layout. Written through
//! [`Project`](crate::project::Project), the types give the folder's datafiles back, in the layout of
//! Tinybird's formatter (the repository's tests check it byte for byte, with Tinybird's own
//! `format_datasource` / `format_pipe`).
//!
//! ```
//! # fn main() -> Result<(), atel_sdk::codegen::CodegenError> {
//! let source = atel_sdk::codegen::generate_from(
//!     "example",
//!     &[(
//!         "datasources/page_views.datasource".to_owned(),
//!         "SCHEMA >\n    `timestamp` DateTime `json:$.ts`,\n    `path` LowCardinality(String) `json:$.path`\n\nENGINE MergeTree\nENGINE_SORTING_KEY timestamp\n".to_owned(),
//!     )],
//! )?;
//! assert!(source.contains("pub struct PageViews {"));
//! assert!(source.contains("#[tinybird(column = \"timestamp\", datetime)]\n    pub ts: chrono::DateTime<chrono::Utc>,"));
//! assert!(source.contains("#[tinybird(low_cardinality)]\n    pub path: String,"));
//! # Ok(())
//! # }
//! ```
//!
//! # What the source says
//!
//! - **Columns.** A field per column, typed by the table of [`ColumnType`](crate::ColumnType):
//!   `Nullable` is `Option`, `Array` `Vec`, `Map(String, V)` a `BTreeMap`, date-times are
//!   `chrono::DateTime<Utc>` written through [`DateTime64`](crate::client::de::DateTime64) at the
//!   column's precision, with the flags that give the written type back (`low_cardinality`,
//!   `low_cardinality_keys`, `datetime64(P)`, `datetime`, `decimal(P, S)`, `date32`,
//!   `fixed_string(N)`, `aggregate = "f"` on an `AggregateState<T>`, `simple_aggregate = "f"`);
//!   `IPv4`/`IPv6` are `std::net` addresses, `Int128`/`UInt128` `i128`/`u128`, `Int256`/`UInt256`
//!   [`schema::Int256`](crate::schema)/`UInt256` (feature `int256`), an unnamed `Tuple(A, B)` a Rust
//!   tuple, `JSON` a `serde_json::Value`, and an `Enum8` /
//!   `Enum16` column gets a `#[derive(atel_sdk::Enum)]` enum of its own (`<Struct><Column>`, each
//!   variant renamed to its value's name, discriminants as the values). The field is named after the
//!   JSON key (`$.key`) in `snake_case` (`#[serde(rename)]` when the key is not that), `column = ...`
//!   when the column is named otherwise. A type whose text the flags would write otherwise
//!   (`Nullable(LowCardinality(String))`, a flag inside a tuple) is a checked `type = "..."` on the
//!   Rust type it round-trips with. A second column of one JSON key is a
//!   `PhantomData` with `#[serde(skip)]`; a path that is not one key is a `json_path`.
//! - **Params.** Found in the SQL by the template scanner `#[pipe]` itself checks the SQL with (the
//!   same source files): `{{ Int32(days, 7) }}` is `days: i32` with `#[param(default = 7)]`,
//!   `required=True` a `#[param(required)]` field, `{{ String(x) }}` inside `{% if defined(x) %}`
//!   an `Option<String>`, `{{ Array(ids, 'UInt64') }}` a `Vec<u64>`; a param read with no default
//!   outside such a guard is a plain field the call needs.
//! - **Endpoint rows.** The datafiles do not say which columns an endpoint answers, so each endpoint's
//!   `output` is a type alias, `serde_json::Map<String, serde_json::Value>`, with a `TODO` doc: the
//!   typed call works at once (one JSON object per row) and the alias is the one place to put a real
//!   row struct.
//! - **Connections.** Each `connections/NAME.connection` (Kafka or S3) is a `pub fn NAME()` that
//!   returns its [`KafkaConnection`](crate::connection::KafkaConnection) /
//!   [`S3Connection`](crate::connection::S3Connection), for
//!   [`Project::connection`](crate::project::Project::connection); a credential written as a literal
//!   is an error (the typed values hold only `tb_secret` references), as is a setting they lack.
//!
//! The generated source needs `atel-sdk`, `serde` (with `derive`), `serde_json` and `chrono`
//! (plus `uuid`, `rust_decimal` or the feature `int256` for those columns). A datasource's
//! `KAFKA_*` / `IMPORT_*` settings are its `kafka(...)` / `import(...)`. An `ENGINE_*` setting with no `#[tinybird]` attribute and a
//! type no Rust type holds (an `AggregateFunction` of several arguments, a map with non-`String`
//! keys, a named tuple) are errors that say so, with the file and line.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

mod connection;
// The keys of the derive's `kafka(...)` / `import(...)` and their directives: one table for both.
#[path = "../../../atel-derive/src/datasource/connector_keys.rs"]
mod connector_keys;
mod params;
mod read;
// The scanner of `atel-derive/src/pipe/template/`, compiled here too: a proc-macro crate can export
// nothing but macros, and one scanner means codegen finds exactly the params `#[pipe]` checks.
#[path = "../../../atel-derive/src/pipe/template/mod.rs"]
#[allow(dead_code, clippy::all, clippy::pedantic)]
mod template;
mod types;
mod write;

pub use read::{
    ColumnDef, DatasourceDef, KindDef, NodeDef, PipeDef, ReadError, read_datasource, read_pipe,
};

/// The folders of a project whose datafiles are read, besides the folder itself.
const FOLDERS: &[&str] = &[
    "datasources",
    "endpoints",
    "materializations",
    "copies",
    "sinks",
    "pipes",
    "connections",
];

/// Why a folder could not be turned into Rust.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodegenError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// A datafile is malformed, or says something the derives cannot express: `file:line: message`.
    #[error("{0}")]
    Datafile(#[from] ReadError),
    /// No `.datasource`, `.pipe` or `.connection` in the folder.
    #[error("no .datasource, .pipe or .connection files in {0}")]
    Empty(String),
}

/// The Rust source for the project folder `dir`.
pub fn generate(dir: impl AsRef<Path>) -> Result<String, CodegenError> {
    let dir = dir.as_ref();
    let mut files = Vec::new();
    for folder in std::iter::once("").chain(FOLDERS.iter().copied()) {
        let path = if folder.is_empty() {
            dir.to_owned()
        } else {
            dir.join(folder)
        };
        let entries = match fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound && !folder.is_empty() => continue,
            Err(source) => return Err(CodegenError::Io { path, source }),
        };
        for entry in entries {
            let entry = entry.map_err(|source| CodegenError::Io {
                path: path.clone(),
                source,
            })?;
            let file = entry.path();
            let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let datafile = Path::new(name)
                .extension()
                .is_some_and(|e| e == "datasource" || e == "pipe" || e == "connection");
            if !datafile || !file.is_file() {
                continue;
            }
            let text = fs::read_to_string(&file).map_err(|source| CodegenError::Io {
                path: file.clone(),
                source,
            })?;
            let relative = if folder.is_empty() {
                name.to_owned()
            } else {
                format!("{folder}/{name}")
            };
            files.push((relative, text));
        }
    }
    let label = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    generate_from(&label, &files)
}

/// The Rust source for datafiles given as (path relative to the project folder, text); `project`
/// names the folder in the source's header. Errors name the relative path and line.
pub fn generate_from(project: &str, files: &[(String, String)]) -> Result<String, CodegenError> {
    let mut files: Vec<&(String, String)> = files.iter().collect();
    files.sort_by(|a, b| stem(&a.0).cmp(stem(&b.0)).then(a.0.cmp(&b.0)));
    let mut datasources = Vec::new();
    let mut pipes = Vec::new();
    let mut connections = Vec::new();
    for (path, text) in files {
        let name = stem(path);
        let extension = Path::new(path).extension().and_then(|e| e.to_str());
        if extension == Some("datasource") {
            let def = read_datasource(path, name, text)?;
            datasources.push(write::Source {
                file: path.clone(),
                def,
            });
        } else if extension == Some("pipe") {
            let def = read_pipe(path, name, text)?;
            pipes.push(write::Source {
                file: path.clone(),
                def,
            });
        } else if extension == Some("connection") {
            let def = connection::read(path, name, text)?;
            connections.push(write::Source {
                file: path.clone(),
                def,
            });
        }
    }
    if datasources.is_empty() && pipes.is_empty() && connections.is_empty() {
        return Err(CodegenError::Empty(project.to_owned()));
    }
    let header = Header {
        project,
        datasources: datasources.len(),
        pipes: pipes.len(),
        connections: connections.len(),
    };
    Ok(write::source(
        &header.to_string(),
        &datasources,
        &pipes,
        &connections,
    )?)
}

struct Header<'a> {
    project: &'a str,
    datasources: usize,
    pipes: usize,
    connections: usize,
}

impl fmt::Display for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "The Tinybird project `{}` as Rust types: {} datasource{}, {} pipe{}",
            self.project.replace('`', "'"),
            self.datasources,
            plural(self.datasources),
            self.pipes,
            plural(self.pipes)
        )?;
        if self.connections > 0 {
            write!(
                f,
                ", {} connection{}",
                self.connections,
                plural(self.connections)
            )?;
        }
        writeln!(f, ".")?;
        writeln!(f)?;
        write!(
            f,
            "Generated by `atel_sdk::codegen` (`cargo run -p atel-examples --example codegen -- DIR`)."
        )
    }
}

/// The file stem of a relative path: the resource name.
fn stem(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.split('.').next().unwrap_or(file)
}

#[cfg(test)]
mod tests;
