//! A type-safe Tinybird SDK.
//!
//! Define datasources and pipes as Rust types with `#[derive(Datasource)]` and `#[pipe(...)]`; get the
//! Tinybird datafiles, typed ingest and typed queries, with mistakes caught by the compiler.
//!
//! ```no_run
//! use atel_sdk::client::{DeployOptions, RetryPolicy};
//! use atel_sdk::{Datasource, TinybirdClient, pipe};
//! use serde::{Deserialize, Serialize};
//!
//! /// One page view.
//! #[derive(Serialize, Datasource)]
//! #[tinybird(name = "page_views", sorting_key = "path, timestamp")]
//! struct PageView {
//!     #[serde(with = "atel_sdk::client::de::datetime")]
//!     timestamp: chrono::DateTime<chrono::Utc>,
//!     path: String,
//!     load_ms: u64,
//! }
//!
//! #[derive(Debug, Deserialize)]
//! struct TopPath {
//!     path: String,
//!     views: u64, // ClickHouse may send UInt64 as "42": both forms decode
//! }
//!
//! /// The most viewed paths of the last days.
//! #[pipe(
//!     name = "top_paths",
//!     output = TopPath,
//!     node(
//!         name = "endpoint",
//!         sql = r#"
//!             %
//!             SELECT path, count() AS views
//!             FROM page_views
//!             WHERE timestamp >= now() - INTERVAL {{ UInt16(days, 7) }} DAY
//!             GROUP BY path
//!             ORDER BY views DESC
//!         "#
//!     )
//! )]
//! struct TopPaths {
//!     #[param(default = 7)]
//!     days: u16,
//! }
//!
//! # async fn run() -> Result<(), atel_sdk::Error> {
//! // TINYBIRD_TOKEN / TINYBIRD_URL, TB_TOKEN / TB_HOST, `.tinyb`, or Tinybird Local.
//! let client = TinybirdClient::builder()
//!     .retry(RetryPolicy::new(4))
//!     .build_from_env()
//!     .await?;
//!
//! // The project folder holds PageView::datafile() and TopPaths::datafile() as written by your build.
//! client.deploy("tinybird", DeployOptions::default()).await?;
//!
//! let views = vec![PageView { timestamp: chrono::Utc::now(), path: "/".into(), load_ms: 84 }];
//! let written = client.ingest(&views).await?.check()?; // quarantined rows are an error here
//! assert_eq!(written.successful_rows, 1);
//!
//! for row in client.query(&TopPaths { days: 1 }).await? {
//!     println!("{} {}", row.path, row.views);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Column types come from the field types: the table is in [`ColumnType`], the compile-time checks
//! (no `Option<Vec<T>>`, `low_cardinality` only on strings, hand-written types that round-trip) in
//! [`shape`]. Features: `uuid` (default) for `uuid::Uuid` columns, `rust_decimal` for
//! `rust_decimal::Decimal` ones, `testing` for `atel_sdk::testing::MockTinybird` (an in-process
//! stand-in that records ingested rows and serves queued endpoint answers).

// The derives expand to `::atel_sdk::…` paths; this makes them resolve inside this crate too.
extern crate self as atel_sdk;

pub mod client;
#[cfg(feature = "codegen")]
pub mod codegen;
pub mod connection;
pub mod datafile;
pub mod error;
pub mod param;
pub mod project;
pub mod resource;
pub mod schema;
pub mod shape;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use atel_derive::{Datasource, Enum, pipe};
pub use client::TinybirdClient;
pub use error::Error;
pub use resource::{CopyPipe, Datasource, Pipe};
pub use schema::{
    AggregateState, ChType, Column, ColumnType, DatasourceSchema, Engine, Index, PipeKind,
    PipeSchema, Token,
};

/// Not public API: every path the code the macros generate names, and nothing else (`::core` aside).
#[doc(hidden)]
pub mod __private {
    pub use crate::client::TinybirdClient;
    pub use crate::error::Error;
    pub use crate::param::{ParamKind, ParamValue, Scalar, TemplateType, accepts};
    pub use crate::resource::{CopyPipe, Datasource, Pipe};
    pub use crate::schema::{
        ChType, Column, ColumnType, DatasourceSchema, Engine, Index, Node, Param, PipeKind,
        PipeSchema, Token,
    };
    pub use crate::shape::{ChShape, Shape, fits};
    pub use std::boxed::Box;
    pub use std::string::String;
    pub use std::vec::Vec;
}

/// The README's examples, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}
