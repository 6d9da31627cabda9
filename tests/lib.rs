//! Support for the workspace integration tests: row factories and the local Tinybird-compatible server.
//!
//! The tests themselves live in `tests/it/`.

pub mod factories;
pub mod server;
