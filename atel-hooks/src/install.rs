//! `atel-hooks install`: merges the hook entries into a Claude Code `settings.json`.
//!
//! Merging keeps every other key and every other hook; an entry this tool wrote before (a command
//! that runs `atel-hooks … hook`) is updated in place, so running it twice changes nothing. Values
//! have the types Claude Code expects (`timeout` a number, `async` a bool): one wrongly typed value
//! makes Claude Code ignore the whole file.

use std::fs;
use std::io;
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

/// Merges the hooks running `command` into `settings` (a parsed settings file).
pub(crate) fn merge(settings: &mut Value, command: &str) -> Result<Merged, String> {
    let root = settings
        .as_object_mut()
        .ok_or("the settings file is not a JSON object")?;
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("`hooks` in the settings file is not a JSON object")?;
    let mut merged = Merged::default();
    for spec in HOOKS {
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

/// Reads `path` (a missing or empty file counts as `{}`), merges, and writes it back atomically
/// when something changed. Refuses to touch a file that is not valid JSON.
pub(crate) fn install_into(path: &Path, command: &str) -> Result<Merged, String> {
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
    let merged = merge(&mut settings, command)?;
    if merged.added + merged.updated == 0 {
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

/// The command line Claude Code should run for `exe`, quoted for `sh` when needed.
pub(crate) fn command_for(exe: &str) -> String {
    let plain = exe
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c));
    if plain {
        format!("{exe} hook")
    } else {
        format!("'{}' hook", exe.replace('\'', r"'\''"))
    }
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

/// An entry an earlier install wrote: a command running `atel-hooks` with the `hook` subcommand.
fn is_ours(hook: &Value) -> bool {
    hook.get("command")
        .and_then(Value::as_str)
        .is_some_and(|command| {
            command.contains("atel-hooks") && command.trim_end().ends_with(" hook")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_into_empty_adds_every_hook_with_valid_types() {
        let mut settings = json!({});
        let merged = merge(&mut settings, "/bin/atel-hooks hook").unwrap();
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
        let again = merge(&mut settings, "/bin/atel-hooks hook").unwrap();
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
        let merged = merge(&mut settings, "/new/atel-hooks hook").unwrap();
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
        assert!(merge(&mut json!([]), "x hook").is_err());
        assert!(merge(&mut json!({"hooks": []}), "x hook").is_err());
        assert!(merge(&mut json!({"hooks": {"SessionEnd": {}}}), "x hook").is_err());
    }

    #[test]
    fn commands_are_quoted_for_sh() {
        assert_eq!(
            command_for("/usr/local/bin/atel-hooks"),
            "/usr/local/bin/atel-hooks hook"
        );
        assert_eq!(command_for("/a b/atel-hooks"), "'/a b/atel-hooks' hook");
        assert_eq!(
            command_for("/it's/atel-hooks"),
            r"'/it'\''s/atel-hooks' hook"
        );
    }
}
