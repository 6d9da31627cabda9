//! Writes the Tinybird datafiles of the telemetry schema into `tinybird/`.
fn main() {}
