//! Sending the spool within the run's budget: what a transient failure stops stays in the spool, what
//! Tinybird refuses for good is set aside in `spool.rejected`.

use std::time::Duration;

use atel_sdk::error::Report;
use atel_sdk::{Datasource, Error, TinybirdClient};
use serde::Serialize;
use tokio::time::{Instant, timeout_at};

use crate::rows::{Batches, OtelRow, Row};
use crate::spool::Spool;
use crate::table::plural;

/// What one delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Rows the server took (quarantined ones included: sending them again would quarantine them again).
    pub delivered: usize,
    /// Rows the server put in quarantine.
    pub quarantined: u64,
    /// Claimed rows put back in the spool after a transient failure.
    pub kept: usize,
    /// Rows Tinybird refused for good, set aside in `spool.rejected`.
    pub rejected: usize,
    /// Spool lines found corrupt and set aside.
    pub corrupt: usize,
    /// Why rows stay in the spool (no client, a transient failure, a spool error), when they do.
    pub error: Option<String>,
    /// Why rows were rejected, when they were.
    pub rejection: Option<String>,
    /// What kind of transient failure stopped the delivery, when one did (not a spool error): what
    /// the [backoff](crate::backoff) goes by.
    pub setback: Option<Setback>,
}

/// A failure that may pass, as the [backoff](crate::backoff) sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setback {
    /// Tinybird did not act on the rows: nothing was sent (no client), or it said "not now" (429,
    /// 503) or refused the token (401). `retry_after`: what a 429 asked for.
    NotWritten {
        /// How long Tinybird asked to wait.
        retry_after: Option<Duration>,
    },
    /// Tinybird may have written the rows: no answer in time, a broken connection, 500/502/504.
    MaybeWritten,
}

impl Setback {
    /// The setback of a transient (not [`Error::is_permanent`]) error.
    pub(crate) fn of(err: &Error) -> Self {
        match err {
            Error::RateLimited { retry_after } => Self::NotWritten {
                retry_after: *retry_after,
            },
            Error::Api {
                status: 500 | 502 | 504,
                ..
            } => Self::MaybeWritten,
            Error::Config(_) | Error::Api { .. } => Self::NotWritten { retry_after: None },
            // A timeout, a broken connection, and whatever else may come.
            _ => Self::MaybeWritten,
        }
    }
}

impl Delivery {
    /// Whether nothing went wrong: no row stayed behind or was rejected (quarantined rows and corrupt
    /// lines are reported, but the spool is empty of what this run claimed).
    pub(crate) fn is_complete(&self) -> bool {
        self.error.is_none() && self.rejected == 0
    }

    /// One line for stderr, or `None` when everything went through cleanly.
    pub(crate) fn problem(&self, spool: &Spool) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(why) = &self.error {
            let rows = match self.kept {
                0 => "rows".to_owned(),
                n => format!("{n} row{}", plural(n)),
            };
            parts.push(format!(
                "{rows} kept in the spool at {} ({why}); `atel-hooks flush` or the next hook sends them",
                spool.dir().display(),
            ));
        }
        if self.rejected > 0 {
            parts.push(format!(
                "{} row{} refused by Tinybird set aside in {} ({})",
                self.rejected,
                plural(self.rejected),
                spool.rejected_path().display(),
                self.rejection.as_deref().unwrap_or("refused"),
            ));
        }
        if self.quarantined > 0 {
            parts.push(format!(
                "{} row{} went to a quarantine datasource",
                self.quarantined,
                plural(self.quarantined)
            ));
        }
        if self.corrupt > 0 {
            parts.push(format!(
                "{} corrupt spool line{} set aside in {}",
                self.corrupt,
                plural(self.corrupt),
                spool.corrupt_path().display()
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// A client from the environment (see [`TinybirdClient::from_env`]) whose own deadline is `budget`,
/// built before `deadline` (configuring may ask Tinybird Local for its token).
pub(crate) async fn connect(budget: Duration, deadline: Instant) -> Result<TinybirdClient, String> {
    let build = TinybirdClient::builder().deadline(budget).build_from_env();
    match timeout_at(deadline, build).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(err)) => Err(Report(&err).to_string()),
        Err(_) => Err("timed out configuring the Tinybird client".to_owned()),
    }
}

/// Claims the spool (at most `cap` bytes, see [`Spool::claim`]) and sends it, one request per
/// datasource, until `deadline`. After a transient failure the remaining datasources are not tried
/// and their rows go back to the spool; rows refused for good ([`Error::is_permanent`]: a bad row, a
/// missing datasource, a body too large, a token without the scope) are set aside. With
/// no client (`Err` says why) nothing is claimed: the rows stay.
pub(crate) async fn deliver(
    spool: &Spool,
    client: Result<&TinybirdClient, &str>,
    cap: Option<u64>,
    deadline: Instant,
) -> Delivery {
    let mut delivery = Delivery::default();
    let client = match client {
        Ok(client) => client,
        Err(why) => {
            delivery.error = Some(why.to_owned());
            delivery.setback = Some(Setback::NotWritten { retry_after: None });
            return delivery;
        }
    };
    let spool_error =
        |err: std::io::Error| format!("spool error in {}: {err}", spool.dir().display());
    let mut claim = match spool.claim(cap) {
        Ok(Some(claim)) => claim,
        Ok(None) => return delivery,
        Err(err) => {
            delivery.error = Some(spool_error(err));
            return delivery;
        }
    };
    delivery.corrupt = claim.corrupt();
    let batches = Batches::split(claim.take_rows());
    let mut undelivered = Vec::new();
    let mut rejected = Vec::new();
    let mut sender = Sender {
        client,
        deadline,
        delivery: &mut delivery,
        undelivered: &mut undelivered,
        rejected: &mut rejected,
    };
    sender.send(batches.agents, Row::Agent).await;
    sender.send(batches.skills, Row::Skill).await;
    sender.send(batches.requests, Row::Request).await;
    for ds in crate::otel::Datasource::ALL {
        let rows: Vec<OtelRow> = batches
            .otel
            .iter()
            .filter(|r| r.ds == ds)
            .cloned()
            .collect();
        sender.send_otel(ds, rows).await;
    }

    if let Err(err) = spool.reject(&rejected) {
        // Not set aside: keep them rather than lose them.
        delivery.error = Some(format!(
            "cannot set refused rows aside: {}",
            spool_error(err)
        ));
        delivery.rejected = 0;
        undelivered.append(&mut rejected);
    }
    delivery.kept = undelivered.len();
    if let Err(err) = claim.finish(spool, &undelivered) {
        // The claim files stay: a later run sends all of them again.
        delivery.error = Some(spool_error(err));
    }
    delivery
}

struct Sender<'a> {
    client: &'a TinybirdClient,
    deadline: Instant,
    delivery: &'a mut Delivery,
    undelivered: &'a mut Vec<Row>,
    rejected: &'a mut Vec<Row>,
}

impl Sender<'_> {
    /// Sends one datasource's rows, unless an earlier send failed transiently (the server is the
    /// same: do not spend the budget on it twice).
    async fn send<D: Datasource + Serialize>(&mut self, rows: Vec<D>, wrap: fn(D) -> Row) {
        if rows.is_empty() {
            return;
        }
        if self.delivery.error.is_some() {
            self.undelivered.extend(rows.into_iter().map(wrap));
            return;
        }
        let answer = timeout_at(self.deadline, self.client.ingest(&rows)).await;
        self.settle(D::NAME, answer, rows.into_iter().map(wrap).collect());
    }

    /// Sends one `otel_*` datasource's rows, as the exporter's NDJSON, under the same rules.
    async fn send_otel(&mut self, ds: crate::otel::Datasource, rows: Vec<OtelRow>) {
        if rows.is_empty() {
            return;
        }
        if self.delivery.error.is_some() {
            self.undelivered.extend(rows.into_iter().map(Row::Otel));
            return;
        }
        let mut body = Vec::with_capacity(rows.iter().map(|r| r.json.get().len() + 1).sum());
        for row in &rows {
            body.extend_from_slice(row.json.get().as_bytes());
            body.push(b'\n');
        }
        let answer = timeout_at(self.deadline, self.client.ingest_ndjson(ds.name(), &body)).await;
        self.settle(ds.name(), answer, rows.into_iter().map(Row::Otel).collect());
    }

    /// Books what Tinybird answered for `rows` of datasource `name`.
    fn settle(
        &mut self,
        name: &str,
        answer: Result<Result<atel_sdk::client::IngestSummary, Error>, tokio::time::error::Elapsed>,
        rows: Vec<Row>,
    ) {
        match answer {
            Ok(Ok(summary)) => {
                self.delivery.delivered += rows.len();
                self.delivery.quarantined += summary.quarantined_rows;
            }
            Ok(Err(err)) if err.is_permanent() => {
                self.delivery.rejected += rows.len();
                self.delivery.rejection = Some(format!("{name}: {}", Report(&err)));
                self.rejected.extend(rows);
            }
            Ok(Err(err)) => {
                self.delivery.error = Some(Report(&err).to_string());
                self.delivery.setback = Some(Setback::of(&err));
                self.undelivered.extend(rows);
            }
            Err(_) => {
                self.delivery.error = Some(format!(
                    "no answer from Tinybird within the budget, sending {name}"
                ));
                self.delivery.setback = Some(Setback::MaybeWritten);
                self.undelivered.extend(rows);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            message: "m".into(),
            documentation: None,
        }
    }

    #[test]
    fn refusals_are_permanent_outages_are_not() {
        for status in [400, 403, 404, 413] {
            assert!(api(status).is_permanent(), "{status}");
        }
        for status in [401, 408, 429, 500, 502, 503, 504] {
            assert!(!api(status).is_permanent(), "{status}");
        }
        assert!(
            !Error::Timeout {
                elapsed: Duration::from_secs(1)
            }
            .is_permanent()
        );
        assert!(!Error::RateLimited { retry_after: None }.is_permanent());
        assert!(!Error::Transport("refused".into()).is_permanent());
        assert!(Error::Encode("NaN".into()).is_permanent());
    }

    #[test]
    fn setbacks_say_whether_the_rows_may_have_been_written() {
        let not_written = Setback::NotWritten { retry_after: None };
        for status in [401, 408, 503] {
            assert_eq!(Setback::of(&api(status)), not_written, "{status}");
        }
        for status in [500, 502, 504] {
            assert_eq!(Setback::of(&api(status)), Setback::MaybeWritten, "{status}");
        }
        let wait = Some(Duration::from_secs(3));
        assert_eq!(
            Setback::of(&Error::RateLimited { retry_after: wait }),
            Setback::NotWritten { retry_after: wait }
        );
        assert_eq!(Setback::of(&Error::Config("no token".into())), not_written);
        assert_eq!(
            Setback::of(&Error::Timeout {
                elapsed: Duration::from_secs(1)
            }),
            Setback::MaybeWritten
        );
        assert_eq!(
            Setback::of(&Error::Transport("reset".into())),
            Setback::MaybeWritten
        );
    }
}
