//! The Claude Code telemetry schema: three datasources, five pipes, and the price table.

pub mod datasources;
pub mod pricing;
