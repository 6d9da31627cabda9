//! Shared code of the atel-hooks fuzz targets (`fuzz_targets/`); run them with `scripts/fuzz`.

pub mod line;
