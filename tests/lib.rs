//! Support for the workspace integration tests: row factories, the local Tinybird-compatible server and a
//! fault-injecting proxy to put in front of it.
//!
//! The tests themselves live in `tests/it/`.

pub mod factories;
pub mod fault_proxy;
pub mod generated;
pub mod server;

use std::path::PathBuf;

/// The real Claude Code captures the tests replay: `$ATEL_FIXTURES` if set and non-empty, else the
/// project's copy in `tests/fixtures/claude-code`.
///
/// # Panics
/// When the directory holds no capture (no `README.md`): the tests cannot run without it.
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("ATEL_FIXTURES")
        .filter(|d| !d.is_empty())
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/claude-code"),
            PathBuf::from,
        );
    assert!(
        dir.join("README.md").is_file(),
        "Claude Code fixtures not found at {}: set ATEL_FIXTURES",
        dir.display()
    );
    dir
}
