//! The one error type of the SDK.

/// Everything that can go wrong talking to Tinybird.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client is misconfigured; nothing was sent.
    #[error("configuration error: {0}")]
    Config(String),
}
