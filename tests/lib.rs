//! Integration tests for atel live under `tests/`; this library holds their shared support code.
