//! Compile-fail tests of the macros: each `tests/ui/**/*.rs` is named after the error it shows, and its
//! `.stderr` pins the message and the token it points at. Regenerate with `TRYBUILD=overwrite` (rustc 1.95).

#[test]
fn datasource() {
    trybuild::TestCases::new().compile_fail("tests/ui/datasource/*.rs");
}

#[test]
fn pipe() {
    trybuild::TestCases::new().compile_fail("tests/ui/pipe/*.rs");
}
