//! Sending rows within the run's budget; what does not get through lands in the spool.

use std::io;
use std::time::Duration;

use atel_sdk::{Datasource, TinybirdClient};
use serde::Serialize;
use tokio::time::{Instant, timeout_at};

use crate::rows::{Batches, Row};
use crate::spool::Spool;

/// What one delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Rows the server took (quarantined ones included: sending them again would quarantine them again).
    pub delivered: usize,
    /// Rows the server put in quarantine.
    pub quarantined: u64,
    /// Rows written to (or left in) the spool.
    pub spooled: usize,
    /// Spool lines found corrupt and set aside.
    pub corrupt: usize,
    /// Why rows were not delivered, when they were not.
    pub error: Option<String>,
}

impl Delivery {
    /// One line for stderr, or `None` when everything went through cleanly.
    pub fn problem(&self, spool: &Spool) -> Option<String> {
        let mut parts = Vec::new();
        if self.spooled > 0 {
            parts.push(format!(
                "{} row{} kept in the spool at {} ({}); `atel-hooks flush` or the next hook sends them",
                self.spooled,
                if self.spooled == 1 { "" } else { "s" },
                spool.dir().display(),
                self.error.as_deref().unwrap_or("not sent"),
            ));
        }
        if self.quarantined > 0 {
            parts.push(format!(
                "{} row{} went to a quarantine datasource",
                self.quarantined,
                if self.quarantined == 1 { "" } else { "s" }
            ));
        }
        if self.corrupt > 0 {
            parts.push(format!(
                "{} corrupt spool line{} set aside in {}",
                self.corrupt,
                if self.corrupt == 1 { "" } else { "s" },
                spool.dir().join("spool.corrupt").display()
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// A client from the environment (see [`TinybirdClient::from_env`]) whose own deadline is `budget`,
/// built before `deadline` (configuring may ask Tinybird Local for its token).
pub async fn connect(budget: Duration, deadline: Instant) -> Result<TinybirdClient, String> {
    let build = TinybirdClient::builder().deadline(budget).build_from_env();
    match timeout_at(deadline, build).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("timed out configuring the Tinybird client".to_owned()),
    }
}

/// Sends the spooled rows and then `fresh`, one request per datasource, until `deadline`. Rows not
/// delivered go back to the spool (`fresh` ones too). With no client (`Err` says why), everything
/// stays in the spool.
pub async fn deliver(
    spool: &Spool,
    client: Result<&TinybirdClient, &str>,
    fresh: Vec<Row>,
    deadline: Instant,
) -> io::Result<Delivery> {
    let mut delivery = Delivery::default();
    let mut claim = match client {
        Ok(_) => spool.claim()?,
        Err(_) => None,
    };
    let mut rows = claim
        .as_mut()
        .map(crate::spool::Claim::take_rows)
        .unwrap_or_default();
    delivery.corrupt = claim.as_ref().map_or(0, crate::spool::Claim::corrupt);
    rows.extend(fresh);

    let mut undelivered = Vec::new();
    match client {
        Err(why) => {
            delivery.error = Some(why.to_owned());
            undelivered = rows;
        }
        Ok(client) => {
            let batches = Batches::split(rows);
            let mut sender = Sender {
                client,
                deadline,
                delivery: &mut delivery,
                undelivered: &mut undelivered,
            };
            sender.send(batches.agents, Row::Agent).await;
            sender.send(batches.skills, Row::Skill).await;
            sender.send(batches.requests, Row::Request).await;
        }
    }
    delivery.spooled = undelivered.len();
    match claim {
        Some(claim) => claim.finish(spool, &undelivered)?,
        None => spool.append(&undelivered, true)?,
    }
    Ok(delivery)
}

struct Sender<'a> {
    client: &'a TinybirdClient,
    deadline: Instant,
    delivery: &'a mut Delivery,
    undelivered: &'a mut Vec<Row>,
}

impl Sender<'_> {
    /// Sends one datasource's rows, unless an earlier send failed (the server is the same: do not
    /// spend the budget on it twice).
    async fn send<D: Datasource + Serialize>(&mut self, rows: Vec<D>, wrap: fn(D) -> Row) {
        if rows.is_empty() {
            return;
        }
        if self.delivery.error.is_none() {
            match timeout_at(self.deadline, self.client.ingest(&rows)).await {
                Ok(Ok(summary)) => {
                    self.delivery.delivered += rows.len();
                    self.delivery.quarantined += summary.quarantined_rows;
                    return;
                }
                Ok(Err(err)) => self.delivery.error = Some(err.to_string()),
                Err(_) => {
                    self.delivery.error = Some(format!(
                        "no answer from Tinybird within the budget, sending {}",
                        D::NAME
                    ));
                }
            }
        }
        self.undelivered.extend(rows.into_iter().map(wrap));
    }
}
