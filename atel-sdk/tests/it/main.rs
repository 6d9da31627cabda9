//! Client behaviour against wiremock: one test binary, a module per area.

mod common;
mod config;
mod copy;
mod datasources;
mod deploy;
mod ingest;
mod inserter;
mod query;
mod retry;
mod secrecy;
mod stream;
