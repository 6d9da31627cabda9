//! The library behind the `atel-hooks` binary: transcript parsing, hook handling, the spool.

pub mod transcript;
