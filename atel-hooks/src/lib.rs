//! The library behind the `atel-hooks` binary: transcript parsing, hook handling, the spool.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod cli;
pub mod config;
pub mod context;
pub mod deliver;
pub mod hook;
pub mod install;
pub mod payload;
pub mod report;
pub mod rows;
pub mod spool;
pub mod table;
pub mod transcript;
pub mod usage;
