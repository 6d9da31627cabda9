//! The `atel-hooks` binary, spawned as Claude Code would: payloads on stdin, a wiremock Tinybird.

mod backfill;
mod dashboard;
mod events;
mod faults;
mod input;
mod install;
mod local;
mod otel_reconcile;
mod otel_rows;
mod otel_server;
mod spool;
mod support;
mod usage;
