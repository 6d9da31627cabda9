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
    /// `ATEL_DISABLE=1` (or `true`, `yes`): the hook reads its input and does nothing.
    pub disabled: bool,
    /// One line per `ATEL_*` variable that could not be read; its default is used instead.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads the options from the process environment. Fails only when there is no state directory:
    /// an invalid `ATEL_*` value falls back to its default with a line in [`warnings`](Self::warnings).
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
        let mut warnings = Vec::new();
        let budget = non_empty("ATEL_BUDGET_MS")
            .and_then(|text| {
                let ms = parse_number(&text, "ATEL_BUDGET_MS", &DEFAULT_BUDGET.as_millis())
                    .and_then(|ms| match ms {
                        0 => Err(format!(
                            "ATEL_BUDGET_MS must be more than 0; using {}",
                            DEFAULT_BUDGET.as_millis()
                        )),
                        ms => Ok(ms),
                    });
                ms.map_err(|warning| warnings.push(warning)).ok()
            })
            .map_or(DEFAULT_BUDGET, Duration::from_millis);
        let days = non_empty("ATEL_DAYS")
            .and_then(|text| {
                let days = parse_number(&text, "ATEL_DAYS", &DEFAULT_DAYS).and_then(|n| {
                    u16::try_from(n).map_err(|_| {
                        format!("ATEL_DAYS is too large: `{text}`; using {DEFAULT_DAYS}")
                    })
                });
                days.map_err(|warning| warnings.push(warning)).ok()
            })
            .unwrap_or(DEFAULT_DAYS);
        let disabled = match non_empty("ATEL_DISABLE").map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(value) if matches!(value.as_str(), "1" | "true" | "yes") => true,
            Some(value) if matches!(value.as_str(), "0" | "false" | "no") => false,
            Some(value) => {
                warnings.push(format!(
                    "ATEL_DISABLE must be 1, true or yes (0, false or no to enable), got `{value}`; \
                     not disabled"
                ));
                false
            }
        };
        Ok(Self {
            state_dir,
            budget,
            days,
            disabled,
            warnings,
        })
    }
}

/// `text` as a whole number, or the warning saying `default` is used instead.
fn parse_number(text: &str, key: &str, default: &dyn std::fmt::Display) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{key} must be a whole number, got `{text}`; using {default}"))
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
                warnings: Vec::new(),
            })
        );
    }

    #[test]
    fn invalid_values_fall_back_to_their_default_with_a_warning() {
        let bad = config(&[
            ("HOME", "/h"),
            ("ATEL_BUDGET_MS", "1.5s"),
            ("ATEL_DAYS", "week"),
        ])
        .unwrap();
        assert_eq!((bad.budget, bad.days), (DEFAULT_BUDGET, DEFAULT_DAYS));
        assert_eq!(
            bad.warnings,
            [
                "ATEL_BUDGET_MS must be a whole number, got `1.5s`; using 1500",
                "ATEL_DAYS must be a whole number, got `week`; using 7",
            ]
        );
        let zero = config(&[("HOME", "/h"), ("ATEL_BUDGET_MS", "0")]).unwrap();
        assert_eq!(zero.budget, DEFAULT_BUDGET);
        assert_eq!(
            zero.warnings,
            ["ATEL_BUDGET_MS must be more than 0; using 1500"]
        );
        let big = config(&[("HOME", "/h"), ("ATEL_DAYS", "70000")]).unwrap();
        assert_eq!(big.days, 7);
        assert_eq!(big.warnings, ["ATEL_DAYS is too large: `70000`; using 7"]);
    }

    #[test]
    fn disable_accepts_one_true_yes_and_nothing_else() {
        let disabled = |value: &str| {
            let config = config(&[("HOME", "/h"), ("ATEL_DISABLE", value)]).unwrap();
            (config.disabled, config.warnings.len())
        };
        for on in ["1", "true", "TRUE", "yes", " Yes "] {
            assert_eq!(disabled(on), (true, 0), "{on}");
        }
        for off in ["0", "false", "no", "", "False"] {
            assert_eq!(disabled(off), (false, 0), "{off}");
        }
        assert_eq!(disabled("off"), (false, 1));
    }
}
