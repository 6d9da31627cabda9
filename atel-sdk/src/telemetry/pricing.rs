//! Per-model prices and the per-request cost rules Claude Code itself applies.
