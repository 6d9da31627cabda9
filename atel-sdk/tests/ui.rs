//! Compile-fail tests of the macros: each `tests/ui/**/*.rs` is named after the error it shows, and its
//! `.stderr` pins the message and the token it points at. Regenerate with
//! `TRYBUILD=overwrite cargo test --workspace --test ui` (rustc 1.95; with the workspace's features, as
//! CI builds them: rustc's list of a trait's implementors depends on them).

#[test]
fn datasource() {
    trybuild::TestCases::new().compile_fail("tests/ui/datasource/*.rs");
}

#[test]
fn pipe() {
    trybuild::TestCases::new().compile_fail("tests/ui/pipe/*.rs");
}

/// `rust_decimal::Decimal` columns need the `rust_decimal` feature (the workspace's tests turn it on).
#[cfg(feature = "rust_decimal")]
#[test]
fn decimal() {
    trybuild::TestCases::new().compile_fail("tests/ui/decimal/*.rs");
}

#[test]
fn enumeration() {
    trybuild::TestCases::new().compile_fail("tests/ui/enum/*.rs");
}
