//! `TinybirdClient`: ingest, query and deploy over Tinybird's HTTP API.

/// A Tinybird API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TinybirdClient {}
