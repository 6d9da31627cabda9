//! `atel-hooks install`: merges the hook entries into a Claude Code `settings.json`.
//!
//! Merging keeps every other key and every other hook; an entry this tool wrote before (a command
//! that runs `atel-hooks … hook`) is updated in place, so running it twice changes nothing. Values
//! have the types Claude Code expects (`timeout` a number, `async` a bool): one wrongly typed value
//! makes Claude Code ignore the whole file.

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::Path;

use serde_json::{Map, Value, json};

/// One hook Claude Code should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HookSpec {
    /// The event name.
    pub event: &'static str,
    /// The tool matcher (tool events only).
    pub matcher: Option<&'static str>,
    /// Run in the background: the hook returns nothing Claude needs.
    pub background: bool,
    /// Seconds before Claude Code kills it.
    pub timeout_secs: u64,
}

/// Every hook `atel-hooks` handles.
///
/// `SessionStart` is synchronous: its stdout is the context Claude receives. `SessionEnd` is
/// synchronous too: async hooks are killed when the session tears down, which is exactly when
/// `SessionEnd` runs; its `timeout` raises Claude Code's shared 1.5 s `SessionEnd` budget, and the
/// hook's own network budget (`ATEL_BUDGET_MS`) bounds it anyway. The rest return nothing Claude
/// needs and run in the background (they write to the spool before they touch the network).
pub(crate) const HOOKS: &[HookSpec] = &[
    HookSpec {
        event: "SessionStart",
        matcher: None,
        background: false,
        timeout_secs: 10,
    },
    HookSpec {
        event: "SubagentStart",
        matcher: None,
        background: true,
        timeout_secs: 10,
    },
    HookSpec {
        event: "SubagentStop",
        matcher: None,
        background: true,
        timeout_secs: 30,
    },
    HookSpec {
        event: "PostToolUse",
        matcher: Some("Skill"),
        background: true,
        timeout_secs: 10,
    },
    HookSpec {
        event: "PostToolUseFailure",
        matcher: Some("Skill"),
        background: true,
        timeout_secs: 10,
    },
    HookSpec {
        event: "SessionEnd",
        matcher: None,
        background: false,
        timeout_secs: 10,
    },
];

/// The hook `install --otel` adds: every prompt makes sure the OTLP receiver runs (see
/// [`crate::launch`]); it records nothing and prints nothing (this event's stdout would reach Claude).
pub(crate) const OTEL_HOOK: HookSpec = HookSpec {
    event: "UserPromptSubmit",
    matcher: None,
    background: true,
    timeout_secs: 5,
};

/// The hooks to install: [`HOOKS`], plus [`OTEL_HOOK`] when the receiver is to be started on demand.
pub(crate) fn hooks(otel: bool) -> Vec<HookSpec> {
    let mut hooks = HOOKS.to_vec();
    if otel {
        hooks.push(OTEL_HOOK);
    }
    hooks
}

/// What [`merge`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Merged {
    /// Entries added.
    pub added: usize,
    /// Entries of an earlier install that were changed.
    pub updated: usize,
    /// Entries already exactly right.
    pub unchanged: usize,
}

/// Merges `specs`, each running `command`, into `settings` (a parsed settings file).
pub(crate) fn merge(
    settings: &mut Value,
    specs: &[HookSpec],
    command: &str,
) -> Result<Merged, String> {
    let root = settings
        .as_object_mut()
        .ok_or("the settings file is not a JSON object")?;
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("`hooks` in the settings file is not a JSON object")?;
    let mut merged = Merged::default();
    for spec in specs {
        let groups = hooks
            .entry(spec.event)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .ok_or_else(|| {
                format!(
                    "`hooks.{}` in the settings file is not an array",
                    spec.event
                )
            })?;
        let wanted = entry(spec, command);
        let mut found = false;
        for group in groups.iter_mut() {
            if group.get("matcher").and_then(Value::as_str) != spec.matcher {
                continue;
            }
            let Some(list) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
                continue;
            };
            for hook in list.iter_mut() {
                if is_ours(hook) {
                    if found {
                        continue;
                    }
                    found = true;
                    if *hook == wanted {
                        merged.unchanged += 1;
                    } else {
                        *hook = wanted.clone();
                        merged.updated += 1;
                    }
                }
            }
        }
        if !found {
            let mut group = Map::new();
            if let Some(matcher) = spec.matcher {
                group.insert("matcher".into(), Value::from(matcher));
            }
            group.insert("hooks".into(), Value::Array(vec![wanted]));
            groups.push(Value::Object(group));
            merged.added += 1;
        }
    }
    Ok(merged)
}

/// What [`install_into`] does besides the hooks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Install {
    /// The hooks' command line; `None`: only the `"env"` entries (the user settings file of a
    /// project install, see [`otel_env`]).
    pub command: Option<String>,
    /// Also add [`OTEL_HOOK`] (the command starts the receiver on demand).
    pub otel_hook: bool,
    /// `"env"` entries to add (see [`otel_env`]).
    pub env: Vec<(&'static str, String)>,
}

/// What [`install_into`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Installed {
    /// The hooks.
    pub hooks: Merged,
    /// The `"env"` entries.
    pub env: EnvMerged,
}

/// Reads `path` (a missing or empty file counts as `{}`), merges, and writes it back atomically
/// when something changed. Refuses to touch a file that is not valid JSON.
pub(crate) fn install_into(path: &Path, install: &Install) -> Result<Installed, String> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
    };
    let mut settings: Value = if text.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(&text).map_err(|err| {
            format!(
                "{} is not valid JSON ({err}); not touching it",
                path.display()
            )
        })?
    };
    let merged = Installed {
        hooks: match &install.command {
            Some(command) => merge(&mut settings, &hooks(install.otel_hook), command)?,
            None => Merged::default(),
        },
        env: merge_env(&mut settings, &install.env)?,
    };
    if merged.hooks.added + merged.hooks.updated + merged.env.added.len() == 0 {
        return Ok(merged);
    }
    let mut out = serde_json::to_string_pretty(&settings).map_err(|err| err.to_string())?;
    out.push('\n');
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
    }
    let tmp = path.with_extension("json.atel-tmp");
    fs::write(&tmp, out)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(merged)
}

/// The command line Claude Code should run for `exe`, quoted for `sh` when needed; with `otel`, the
/// hook also starts the OTLP receiver on that address when nothing listens there.
pub(crate) fn command_for(exe: &str, otel: Option<SocketAddr>) -> String {
    let plain = exe
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c));
    let exe = if plain {
        exe.to_owned()
    } else {
        format!("'{}'", exe.replace('\'', r"'\''"))
    };
    match otel {
        Some(addr) => format!("{exe} hook --otel {addr}"),
        None => format!("{exe} hook"),
    }
}

/// The `"env"` entries Claude Code needs to export its telemetry over OTLP/HTTP to `endpoint`
/// (`http://host:port`). They belong in the user's `~/.claude/settings.json` (or managed settings):
/// Claude Code 2.1.331 ignores `CLAUDE_CODE_ENABLE_TELEMETRY` and the `OTEL_*` exporter keys in a
/// project's settings ("project-scoped settings can't set this key", in its debug log).
///
/// Telemetry on, metrics and logs (events) through OTLP, protobuf (smaller
/// and cheaper to decode than JSON), delta temporality (each point is what happened since the last
/// one, which the pipes sum), and Claude Code's default intervals, written out so they are visible.
/// Traces stay off: they are a beta that needs `CLAUDE_CODE_ENHANCED_TELEMETRY_BETA`.
pub(crate) fn otel_env(endpoint: &str) -> Vec<(&'static str, String)> {
    [
        ("CLAUDE_CODE_ENABLE_TELEMETRY", "1"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_LOGS_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "60000"),
        ("OTEL_LOGS_EXPORT_INTERVAL", "5000"),
    ]
    .into_iter()
    .map(|(key, value)| (key, value.to_owned()))
    .collect()
}

/// What [`merge_env`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EnvMerged {
    /// Entries added.
    pub added: Vec<&'static str>,
    /// Entries already exactly right.
    pub unchanged: usize,
    /// Entries the user had set otherwise: kept as they are (name, their value as JSON).
    pub kept: Vec<(&'static str, String)>,
}

/// Adds `entries` to `settings`' `"env"` object, keeping every value already there: one the user
/// set differently is theirs and stays (and is reported). Values are JSON strings, as Claude Code
/// requires.
pub(crate) fn merge_env(
    settings: &mut Value,
    entries: &[(&'static str, String)],
) -> Result<EnvMerged, String> {
    let mut merged = EnvMerged::default();
    if entries.is_empty() {
        return Ok(merged);
    }
    let env = settings
        .as_object_mut()
        .ok_or("the settings file is not a JSON object")?
        .entry("env")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("`env` in the settings file is not a JSON object")?;
    for (key, value) in entries {
        match env.get(*key) {
            None => {
                env.insert((*key).to_owned(), Value::from(value.as_str()));
                merged.added.push(key);
            }
            Some(Value::String(have)) if have == value => merged.unchanged += 1,
            Some(have) => merged.kept.push((key, have.to_string())),
        }
    }
    Ok(merged)
}

fn entry(spec: &HookSpec, command: &str) -> Value {
    let mut hook = Map::new();
    hook.insert("type".into(), Value::from("command"));
    hook.insert("command".into(), Value::from(command));
    hook.insert("timeout".into(), Value::from(spec.timeout_secs));
    if spec.background {
        hook.insert("async".into(), Value::Bool(true));
    }
    Value::Object(hook)
}

/// An entry an earlier install wrote: a command running `atel-hooks` with the `hook` subcommand
/// (and perhaps `--otel ADDR`).
fn is_ours(hook: &Value) -> bool {
    hook.get("command")
        .and_then(Value::as_str)
        .is_some_and(|command| {
            let command = command.trim_end();
            command.contains("atel-hooks")
                && (command.ends_with(" hook") || command.contains(" hook --otel "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_into_empty_adds_every_hook_with_valid_types() {
        let mut settings = json!({});
        let merged = merge(&mut settings, HOOKS, "/bin/atel-hooks hook").unwrap();
        assert_eq!(merged.added, HOOKS.len());
        assert_eq!(
            settings["hooks"]["PostToolUse"],
            json!([{"matcher": "Skill", "hooks": [
                {"type": "command", "command": "/bin/atel-hooks hook", "timeout": 10, "async": true}
            ]}])
        );
        assert_eq!(
            settings["hooks"]["SessionStart"],
            json!([{"hooks": [{"type": "command", "command": "/bin/atel-hooks hook", "timeout": 10}]}])
        );
        let again = merge(&mut settings, HOOKS, "/bin/atel-hooks hook").unwrap();
        assert_eq!(
            again,
            Merged {
                added: 0,
                updated: 0,
                unchanged: HOOKS.len()
            }
        );
    }

    #[test]
    fn merge_keeps_other_hooks_and_updates_ours() {
        let mut settings = json!({
            "model": "opus",
            "hooks": {
                "PostToolUse": [
                    {"matcher": "Bash", "hooks": [{"type": "command", "command": "lint.sh"}]},
                    {"matcher": "Skill", "hooks": [
                        {"type": "command", "command": "other.sh"},
                        {"type": "command", "command": "/old/atel-hooks hook", "timeout": 99}
                    ]}
                ],
                "Notification": [{"hooks": [{"type": "command", "command": "notify.sh"}]}]
            }
        });
        let merged = merge(&mut settings, HOOKS, "/new/atel-hooks hook").unwrap();
        assert_eq!(merged.updated, 1);
        assert_eq!(merged.added, HOOKS.len() - 1);
        assert_eq!(settings["model"], "opus");
        assert_eq!(
            settings["hooks"]["Notification"][0]["hooks"][0]["command"],
            "notify.sh"
        );
        let post = settings["hooks"]["PostToolUse"].as_array().unwrap();
        assert_eq!(post.len(), 2);
        assert_eq!(post[0]["hooks"][0]["command"], "lint.sh");
        assert_eq!(post[1]["hooks"][0]["command"], "other.sh");
        assert_eq!(
            post[1]["hooks"][1],
            json!({"type": "command", "command": "/new/atel-hooks hook", "timeout": 10, "async": true})
        );
    }

    #[test]
    fn wrong_shapes_are_refused() {
        assert!(merge(&mut json!([]), HOOKS, "x hook").is_err());
        assert!(merge(&mut json!({"hooks": []}), HOOKS, "x hook").is_err());
        assert!(merge(&mut json!({"hooks": {"SessionEnd": {}}}), HOOKS, "x hook").is_err());
    }

    #[test]
    fn commands_are_quoted_for_sh() {
        assert_eq!(
            command_for("/usr/local/bin/atel-hooks", None),
            "/usr/local/bin/atel-hooks hook"
        );
        assert_eq!(
            command_for("/a b/atel-hooks", None),
            "'/a b/atel-hooks' hook"
        );
        assert_eq!(
            command_for("/it's/atel-hooks", None),
            r"'/it'\''s/atel-hooks' hook"
        );
    }

    #[test]
    fn the_otel_command_starts_the_receiver_and_is_still_ours() {
        let addr: SocketAddr = "127.0.0.1:4318".parse().unwrap();
        let command = command_for("/a b/atel-hooks", Some(addr));
        assert_eq!(command, "'/a b/atel-hooks' hook --otel 127.0.0.1:4318");
        assert!(is_ours(&json!({ "command": command })));
        assert!(!is_ours(&json!({"command": "atel-hooks hookshot"})));
        // Installing with and then without `--otel` updates the same entries in place.
        let mut settings = json!({});
        let with = merge(&mut settings, &hooks(true), &command).unwrap();
        assert_eq!(with.added, HOOKS.len() + 1);
        assert_eq!(
            settings["hooks"]["UserPromptSubmit"],
            json!([{"hooks": [{"type": "command", "command": command, "timeout": 5, "async": true}]}])
        );
        let without = merge(&mut settings, HOOKS, "/bin/atel-hooks hook").unwrap();
        assert_eq!((without.added, without.updated), (0, HOOKS.len()));
        assert_eq!(
            settings["hooks"]["SessionStart"][0]["hooks"][0]["command"],
            "/bin/atel-hooks hook"
        );
    }

    #[test]
    fn env_entries_are_added_once_and_the_users_values_are_kept() {
        let mut settings = json!({"env": {
            "OTEL_METRIC_EXPORT_INTERVAL": "10000",
            "OTEL_LOGS_EXPORTER": "otlp",
            "CLAUDE_CODE_ENABLE_TELEMETRY": 1,
            "MY_OWN": "x"
        }});
        let entries = otel_env("http://127.0.0.1:4318");
        let merged = merge_env(&mut settings, &entries).unwrap();
        assert_eq!(
            merged.added,
            [
                "OTEL_METRICS_EXPORTER",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                "OTEL_LOGS_EXPORT_INTERVAL",
            ]
        );
        assert_eq!(merged.unchanged, 1);
        assert_eq!(
            merged.kept,
            [
                ("CLAUDE_CODE_ENABLE_TELEMETRY", "1".to_owned()),
                ("OTEL_METRIC_EXPORT_INTERVAL", "\"10000\"".to_owned())
            ]
        );
        assert_eq!(
            settings["env"],
            json!({
                "OTEL_METRIC_EXPORT_INTERVAL": "10000",
                "OTEL_LOGS_EXPORTER": "otlp",
                "CLAUDE_CODE_ENABLE_TELEMETRY": 1,
                "MY_OWN": "x",
                "OTEL_METRICS_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
                "OTEL_LOGS_EXPORT_INTERVAL": "5000"
            })
        );
        let again = merge_env(&mut settings, &entries).unwrap();
        assert_eq!(
            (again.added.len(), again.unchanged, again.kept.len()),
            (0, 6, 2)
        );
        assert!(merge_env(&mut json!({"env": []}), &entries).is_err());
    }

    #[test]
    fn install_writes_env_and_hooks_and_a_second_run_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".claude/settings.json");
        let install = Install {
            command: Some("/bin/atel-hooks hook --otel 127.0.0.1:4318".into()),
            otel_hook: true,
            env: otel_env("http://127.0.0.1:4318"),
        };
        let first = install_into(&path, &install).unwrap();
        assert_eq!(first.hooks.added, HOOKS.len() + 1);
        assert_eq!(first.env.added.len(), 8);
        let written = fs::read_to_string(&path).unwrap();
        let settings: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(
            settings["env"]["OTEL_EXPORTER_OTLP_PROTOCOL"],
            "http/protobuf"
        );
        let second = install_into(&path, &install).unwrap();
        assert_eq!((second.hooks.added, second.hooks.updated), (0, 0));
        assert_eq!((second.env.added.len(), second.env.unchanged), (0, 8));
        assert_eq!(fs::read_to_string(&path).unwrap(), written);
    }
}
