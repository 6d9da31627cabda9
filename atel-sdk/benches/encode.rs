//! NDJSON encoding benchmark (filled in below).

fn main() {}
