//! Client integration tests (wiremock).
