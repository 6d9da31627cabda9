//! Run-time options: the `ATEL_*` environment variables and where state lives.

use std::path::PathBuf;
use std::time::Duration;

/// How long the whole network step of one run may take unless `ATEL_BUDGET_MS` says otherwise:
/// Claude Code gives all `SessionEnd` hooks 1.5 s together, and no hook should make a user wait longer.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(1500);

/// The window of the `SessionStart` summary and of `report` unless `ATEL_DAYS` / `--days` say otherwise.
pub const DEFAULT_DAYS: u16 = 7;

/// The most stdin a hook reads: real payloads are a few KiB; anything past this is not a hook payload
/// worth parsing (a `PostToolUse` of a huge file read, or garbage).
pub const MAX_STDIN_BYTES: u64 = 1024 * 1024;

/// The options of one run, read once from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where the spool and the transcript cursors live.
    pub state_dir: PathBuf,
    /// The bound on the network step (`ATEL_BUDGET_MS`).
    pub budget: Duration,
    /// The window in days of the `SessionStart` summary (`ATEL_DAYS`).
    pub days: u16,
    /// `ATEL_DISABLE=1`: the hook reads its input and does nothing.
    pub disabled: bool,
}

impl Config {
    /// Reads the options from the process environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the options through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let non_empty = |key: &str| lookup(key).filter(|value| !value.is_empty());
        let state_dir = if let Some(dir) = non_empty("ATEL_STATE_DIR") {
            PathBuf::from(dir)
        } else if let Some(dir) = non_empty("XDG_STATE_HOME") {
            PathBuf::from(dir).join("atel")
        } else if let Some(home) = non_empty("HOME") {
            PathBuf::from(home).join(".local/state/atel")
        } else {
            return Err("no state directory: set ATEL_STATE_DIR, XDG_STATE_HOME or HOME".into());
        };
        let budget = match non_empty("ATEL_BUDGET_MS") {
            Some(text) => Duration::from_millis(parse_number(&text, "ATEL_BUDGET_MS")?),
            None => DEFAULT_BUDGET,
        };
        let days = match non_empty("ATEL_DAYS") {
            Some(text) => u16::try_from(parse_number(&text, "ATEL_DAYS")?)
                .map_err(|_| format!("ATEL_DAYS is too large: `{text}`"))?,
            None => DEFAULT_DAYS,
        };
        let disabled = non_empty("ATEL_DISABLE").is_some_and(|value| value != "0");
        Ok(Self {
            state_dir,
            budget,
            days,
            disabled,
        })
    }
}

fn parse_number(text: &str, key: &str) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{key} must be a whole number, got `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|key| map.get(key).cloned())
    }

    #[test]
    fn state_dir_precedence() {
        let all = [
            ("ATEL_STATE_DIR", "/a"),
            ("XDG_STATE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(config(&all).map(|c| c.state_dir), Ok(PathBuf::from("/a")));
        assert_eq!(
            config(&all[1..]).map(|c| c.state_dir),
            Ok(PathBuf::from("/x/atel"))
        );
        assert_eq!(
            config(&all[2..]).map(|c| c.state_dir),
            Ok(PathBuf::from("/h/.local/state/atel"))
        );
        assert!(config(&[]).is_err());
    }

    #[test]
    fn defaults_and_overrides() {
        let base = config(&[("HOME", "/h")]);
        assert_eq!(base.as_ref().map(|c| c.budget), Ok(DEFAULT_BUDGET));
        assert_eq!(base.as_ref().map(|c| c.days), Ok(7));
        assert_eq!(base.map(|c| c.disabled), Ok(false));
        let set = config(&[
            ("HOME", "/h"),
            ("ATEL_BUDGET_MS", "250"),
            ("ATEL_DAYS", "30"),
            ("ATEL_DISABLE", "1"),
        ]);
        assert_eq!(
            set,
            Ok(Config {
                state_dir: PathBuf::from("/h/.local/state/atel"),
                budget: Duration::from_millis(250),
                days: 30,
                disabled: true,
            })
        );
        assert_eq!(
            config(&[("HOME", "/h"), ("ATEL_DAYS", "week")]),
            Err("ATEL_DAYS must be a whole number, got `week`".to_owned())
        );
    }
}
