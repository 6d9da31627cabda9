//! The three telemetry datasources.
