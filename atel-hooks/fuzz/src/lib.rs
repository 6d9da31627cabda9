//! Shared code of the atel-hooks fuzz targets (`fuzz_targets/`); run them with `scripts/fuzz`.

pub mod line;

use serde::Deserialize;
use serde_json::Value;

/// `bytes` as one JSON value, nested as deep as it goes: the oracles' parser. serde skips the fields
/// a struct does not name without a depth limit (`IgnoredAny` is iterative), so a payload or a line
/// nesting past `serde_json`'s default 128 levels there is valid for the parsers under test, and
/// must be for the oracle too.
pub fn json(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let value = Value::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}
