//! The traits that make a Rust type a Tinybird resource: a [`Datasource`] row, or a [`Pipe`]'s params.
//!
//! `#[derive(Datasource)]` and `#[pipe(...)]` implement them. They sit above the two modules they join,
//! so the crate reads one way: [`schema`](crate::schema) is plain data, [`datafile`] renders it, and
//! the traits here return a type's schema and, through `datafile`, its file text.

use crate::datafile;
use crate::schema::{DatasourceSchema, PipeSchema};

/// A row type of a Tinybird datasource. Derive it with `#[derive(Datasource)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Tinybird datasource",
    label = "not a datasource row type",
    note = "derive it: `#[derive(Serialize, Datasource)]` on the row struct"
)]
pub trait Datasource {
    /// The datasource name.
    const NAME: &'static str;

    /// The full schema.
    fn schema() -> DatasourceSchema;

    /// The `.datasource` file text.
    fn datafile() -> String {
        datafile::render_datasource(&Self::schema())
    }
}

/// The parameters of a Tinybird endpoint, with its typed output row. Generate it with `#[pipe(...)]`.
pub trait Pipe {
    /// The pipe name.
    const NAME: &'static str;
    /// One row of the endpoint's `data`.
    type Output: serde::de::DeserializeOwned;

    /// The parameters as query pairs; `None` values are left out.
    fn params(&self) -> Vec<(&'static str, String)>;

    /// The full schema.
    fn schema() -> PipeSchema;

    /// The `.pipe` file text.
    fn datafile() -> String {
        datafile::render_pipe(&Self::schema())
    }
}

/// A copy pipe: a [`Pipe`] whose last node is `TYPE copy`, run on demand with
/// [`TinybirdClient::copy`](crate::TinybirdClient::copy). `#[pipe(copy(...))]` implements it, and only
/// for copy pipes, so running an endpoint as a copy does not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a copy pipe",
    label = "not a `#[pipe(copy(...))]` type",
    note = "only a pipe declared with `copy(target = ..., ...)` can be run with `TinybirdClient::copy`"
)]
pub trait CopyPipe: Pipe {}
