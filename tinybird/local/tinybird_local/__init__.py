"""A Tinybird-API-compatible server on real ClickHouse (chdb), for tests and machines without Docker."""
