//! A type-safe Tinybird SDK.
//!
//! Define datasources and pipes as Rust types with `#[derive(Datasource)]` and `#[pipe(...)]`; get the
//! Tinybird datafiles, typed ingest and typed queries, with mistakes caught by the compiler.

// The derives expand to `::atel_sdk::…` paths; this makes them resolve inside this crate too.
extern crate self as atel_sdk;

pub mod client;
pub mod datafile;
pub mod error;
pub mod param;
pub mod schema;
pub mod telemetry;

pub use atel_derive::{Datasource, pipe};
pub use client::TinybirdClient;
pub use error::Error;
pub use schema::{
    ChType, Column, ColumnType, Datasource, DatasourceSchema, Engine, Pipe, PipeSchema,
};

/// Not public API: paths used by the code the macros generate.
#[doc(hidden)]
pub mod __private {
    pub use crate::schema::{
        ChType, Column, ColumnType, Datasource, DatasourceSchema, Engine, Node, Param,
    };
    pub use crate::param::{ParamKind, ParamValue, Scalar, TemplateType, accepts};
    pub use serde;
    pub use std::borrow::Cow;
    pub use std::boxed::Box;
    pub use std::string::String;
    pub use std::vec::Vec;
}
