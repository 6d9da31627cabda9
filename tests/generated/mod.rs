//! Rust source that `atel_sdk::codegen` generates from Tinybird project folders, committed and
//! compiled: `tests/it/codegen.rs` checks that codegen still writes exactly this, and that these
//! types give the folders' datafiles back (after Tinybird's formatter), byte for byte.
//!
//! Regenerate with `cargo run -p atel-examples --example codegen -- tinybird -o
//! tests/generated/telemetry.rs` (and `tests/fixtures/otel-template -o tests/generated/otel_template.rs`,
//! `tests/fixtures/codegen-kinds -o tests/generated/kinds.rs`, `examples/shop/tinybird -o
//! tests/generated/shop.rs`).

pub mod kinds;
pub mod otel_template;
pub mod shop;
pub mod telemetry;
