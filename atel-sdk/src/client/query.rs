//! Typed reads: pipe endpoints and SQL.

use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use super::config::MAX_GET_URL_LEN;
use super::transport::{MAX_ERROR_BODY, Reply};
use super::validate::ColumnMeta;
use super::{TinybirdClient, lenient};
use crate::error::{Error, Result, truncate};
use crate::resource::Pipe;

impl TinybirdClient {
    /// Calls the endpoint of pipe `P` with `params` and decodes its `data` rows into `P::Output`.
    ///
    /// `GET /v0/pipes/<name>.json?<params>`, or a `POST` with the same pairs as a form body when the URL
    /// would be longer than [`MAX_GET_URL_LEN`]. Integer columns may arrive as JSON numbers or strings
    /// (ClickHouse quotes 64-bit ones); both decode. Rows are decoded from the answer's text, never
    /// through `f64` unless the field is a float: a `Decimal(20, 2)` reaches a `rust_decimal::Decimal`
    /// exactly (see [`de::from_str`](super::de::from_str)). A row that does not fit `P::Output` is an
    /// [`Error::Decode`] naming the pipe, the row, the column and showing the row.
    ///
    /// Before any row is decoded, the answer's `meta` is checked against `P::Output` (once per
    /// endpoint, row type and `meta`; see [`validate`](super::validate)): a missing column or a column
    /// type the field cannot read is one [`Error::SchemaMismatch`] naming both.
    pub async fn query<P: Pipe>(&self, params: &P) -> Result<Vec<P::Output>> {
        let path = format!("/v0/pipes/{}.json", P::NAME);
        let reply = self.get_or_post(&path, &params.params()).await?;
        self.decode_rows(
            &reply,
            &path,
            || format!("pipe `{}`", P::NAME),
            || format!("the response of pipe `{}`", P::NAME),
        )
    }

    /// Runs a `SELECT` through `/v0/sql` and decodes its rows into `T`.
    ///
    /// `FORMAT JSON` is appended unless the query already ends with it (another format is a
    /// [`Error::Config`]). Long queries go as a `POST` form, like [`query`](Self::query). The answer's
    /// `meta` is checked against `T` as [`query`](Self::query) checks it.
    pub async fn sql<T: DeserializeOwned>(&self, sql: &str) -> Result<Vec<T>> {
        let reply = self.sql_reply(sql).await?;
        self.decode_rows(
            &reply,
            sql,
            || "the `/v0/sql` query".to_owned(),
            || "the response of `/v0/sql`".to_owned(),
        )
    }

    /// Runs a `SELECT` through `/v0/sql` and returns the whole JSON answer: `meta`, `data`, `rows`,
    /// `statistics`.
    pub async fn sql_json(&self, sql: &str) -> Result<Value> {
        let reply = self.sql_reply(sql).await?;
        serde_json::from_slice(&reply.body)
            .map_err(|e| decode_error("the response of `/v0/sql`", None, e, &reply.body))
    }

    async fn sql_reply(&self, sql: &str) -> Result<Reply> {
        let q = with_format_json(sql)?;
        self.get_or_post("/v0/sql", &[("q", q)]).await
    }

    /// Decodes `data` of a `FORMAT JSON` answer, row by row, each from its own text (see
    /// [`lenient`]: no number goes through `f64` unless the field is a float), after checking its
    /// `meta` against `T` under `key` (the endpoint), unless schema validation is off.
    pub(super) fn decode_rows<T: DeserializeOwned>(
        &self,
        reply: &Reply,
        key: &str,
        what: impl FnOnce() -> String,
        context: impl Fn() -> String,
    ) -> Result<Vec<T>> {
        let schemas = self.inner.schemas.as_ref();
        let check = |meta: &[ColumnMeta]| match schemas {
            Some(cache) if !meta.is_empty() => cache.check::<T>(key, what, meta),
            _ => Ok(()),
        };
        rows(&reply.body, check).map_err(|error| match error {
            RowsError::Answer(e) => decode_error(&context(), None, e, &reply.body),
            RowsError::Schema(e) => e,
            RowsError::Row {
                index,
                column,
                source,
                row,
            } => Error::Decode {
                context: context(),
                row: Some(index),
                column,
                source: Box::new(source),
                body: truncate(&row, MAX_ERROR_BODY),
            },
        })
    }

    /// `GET path?pairs`, or `POST path` with the pairs as a form when the URL would be too long.
    pub(super) async fn get_or_post(&self, path: &str, pairs: &[(&str, String)]) -> Result<Reply> {
        let url = self.url(path);
        let query = serde_urlencoded::to_string(pairs)
            .map_err(|e| Error::Config(format!("could not encode the query parameters: {e}")))?;
        let full = if query.is_empty() {
            url.clone()
        } else {
            format!("{url}?{query}")
        };
        if full.len() <= MAX_GET_URL_LEN {
            self.send("GET", path, |http| http.get(&full)).await
        } else {
            self.send("POST", path, |http| {
                http.post(&url)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(query.clone())
            })
            .await
        }
    }
}

/// Appends `FORMAT JSON` unless the query already names a format.
fn with_format_json(sql: &str) -> Result<String> {
    let sql = sql.trim().trim_end_matches(';').trim_end();
    let mut words = sql.split_whitespace().rev();
    let last = words.next();
    let before_last = words.next();
    match (before_last, last) {
        (Some(keyword), Some(format)) if keyword.eq_ignore_ascii_case("format") => {
            if format.eq_ignore_ascii_case("json") {
                Ok(sql.to_owned())
            } else {
                Err(Error::Config(format!(
                    "`sql` decodes `FORMAT JSON`; the query asks for `FORMAT {format}`"
                )))
            }
        }
        _ => Ok(format!("{sql} FORMAT JSON")),
    }
}

/// Why [`rows`] failed.
pub(crate) enum RowsError {
    /// The answer is not JSON with a `data` array.
    Answer(serde_json::Error),
    /// Its `meta` does not fit the row type.
    Schema(Error),
    /// Row `index` does not fit the row type.
    Row {
        index: usize,
        column: Option<String>,
        source: serde_json::Error,
        /// The row, on one line.
        row: String,
    },
}

/// The `data` rows of a `FORMAT JSON` answer, once `check` accepts its `meta` (empty when absent).
pub(crate) fn rows<T: DeserializeOwned>(
    body: &[u8],
    check: impl FnOnce(&[ColumnMeta]) -> Result<()>,
) -> std::result::Result<Vec<T>, RowsError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(default)]
        meta: Vec<ColumnMeta>,
        #[serde(borrow)]
        data: Vec<&'a RawValue>,
    }
    let text =
        std::str::from_utf8(body).map_err(|e| RowsError::Answer(serde::de::Error::custom(e)))?;
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(RowsError::Answer)?;
    check(&envelope.meta).map_err(RowsError::Schema)?;
    envelope
        .data
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            lenient::row::<T>(raw.get()).map_err(|(source, column)| RowsError::Row {
                index,
                column,
                source,
                // FORMAT JSON is indented: the row as one line, like the answer's other errors.
                row: serde_json::from_str::<Value>(raw.get())
                    .map_or_else(|_| raw.get().to_owned(), |value| value.to_string()),
            })
        })
        .collect()
}

fn decode_error(
    context: &str,
    row: Option<usize>,
    source: serde_json::Error,
    body: &[u8],
) -> Error {
    Error::Decode {
        context: context.to_owned(),
        row,
        column: None,
        source: Box::new(source),
        body: truncate(&String::from_utf8_lossy(body), MAX_ERROR_BODY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_json_is_appended_once() {
        assert_eq!(
            with_format_json("SELECT 1").unwrap(),
            "SELECT 1 FORMAT JSON"
        );
        assert_eq!(
            with_format_json(" SELECT 1 ;\n").unwrap(),
            "SELECT 1 FORMAT JSON"
        );
        assert_eq!(
            with_format_json("SELECT 1 format json").unwrap(),
            "SELECT 1 format json"
        );
        assert!(matches!(
            with_format_json("SELECT 1 FORMAT TSV"),
            Err(Error::Config(_))
        ));
    }
}
