//! (e) `install` merges into an existing settings file, keeps what is there, and is idempotent.

use serde_json::{Value, json};

use crate::support::Sandbox;

#[test]
fn install_keeps_other_hooks_and_settings_and_is_idempotent() {
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let project = sandbox.root.path().join("project");
    let settings = project.join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let before = json!({
        "permissions": {"allow": ["Bash(ls:*)"]},
        "hooks": {
            "PostToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "fmt.sh", "timeout": 5}]}],
            "SessionStart": [{"hooks": [{"type": "command", "command": "hello.sh"}]}]
        },
        "env": {"FOO": "1"}
    });
    std::fs::write(&settings, serde_json::to_string_pretty(&before).unwrap()).unwrap();
    let dir = project.to_str().unwrap();

    let run = sandbox.run(
        &[
            "install",
            "--project",
            dir,
            "--command",
            "/opt/atel-hooks hook",
        ],
        b"",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("6 hooks added, 0 updated, 0 already there"),
        "{run:?}"
    );
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(after["permissions"], before["permissions"]);
    assert_eq!(after["env"], before["env"]);
    assert_eq!(
        after["hooks"]["PostToolUse"][0],
        before["hooks"]["PostToolUse"][0]
    );
    assert_eq!(
        after["hooks"]["PostToolUse"][1],
        json!({"matcher": "Skill", "hooks": [{"type": "command", "command": "/opt/atel-hooks hook", "timeout": 10, "async": true}]})
    );
    assert_eq!(
        after["hooks"]["SessionStart"][0],
        before["hooks"]["SessionStart"][0]
    );
    assert_eq!(
        after["hooks"]["SessionStart"][1],
        json!({"hooks": [{"type": "command", "command": "/opt/atel-hooks hook", "timeout": 10}]})
    );
    for event in [
        "SubagentStart",
        "SubagentStop",
        "PostToolUseFailure",
        "SessionEnd",
    ] {
        let hook = &after["hooks"][event][0]["hooks"][0];
        assert_eq!(hook["command"], "/opt/atel-hooks hook", "{event}");
        assert!(
            hook["timeout"].is_u64(),
            "{event}: timeout must be a number"
        );
        assert!(hook.get("async").is_none_or(Value::is_boolean), "{event}");
    }

    let text = std::fs::read_to_string(&settings).unwrap();
    let run = sandbox.run(
        &[
            "install",
            "--project",
            dir,
            "--command",
            "/opt/atel-hooks hook",
        ],
        b"",
    );
    assert!(
        run.stdout
            .contains("0 hooks added, 0 updated, 6 already there"),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&settings).unwrap(),
        text,
        "second install changes nothing"
    );
}

#[test]
fn install_defaults_to_this_executable_and_user_settings() {
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let run = sandbox.run(&["install", "--user"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.home().join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    let exe = std::fs::canonicalize(crate::support::bin()).unwrap();
    assert_eq!(
        settings["hooks"]["SubagentStop"][0]["hooks"][0]["command"],
        format!("{} hook", exe.display())
    );
}

#[test]
fn install_refuses_to_touch_invalid_json() {
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let settings = sandbox.home().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "{ not json").unwrap();
    let run = sandbox.run(&["install", "--user"], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("not valid JSON"), "{run:?}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), "{ not json");
}

#[test]
fn install_keeps_the_order_of_what_is_there() {
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let project = sandbox.root.path().join("project");
    let settings = project.join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    // Not alphabetical: a user's own order, which a merge must not reshuffle.
    std::fs::write(
        &settings,
        r#"{"permissions": {"deny": [], "allow": []}, "model": "opus", "env": {"B": "1", "A": "2"}}"#,
    )
    .unwrap();

    let run = sandbox.run(&["install", "--project", project.to_str().unwrap()], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    let text = std::fs::read_to_string(&settings).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    assert!(at("\"permissions\"") < at("\"model\""), "{text}");
    assert!(at("\"model\"") < at("\"env\""), "{text}");
    assert!(at("\"env\"") < at("\"hooks\""), "{text}");
    assert!(at("\"deny\"") < at("\"allow\""), "{text}");
    assert!(at("\"B\"") < at("\"A\""), "{text}");
}

/// The repository's own `.claude/settings.json` is exactly what `install` writes into an empty
/// project with the command it uses (so the two cannot drift).
#[test]
fn the_repositorys_settings_are_what_install_writes() {
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let project = sandbox.root.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join(".claude/settings.json")).unwrap())
            .unwrap();
    let command = committed["hooks"]["SessionStart"][0]["hooks"][0]["command"]
        .as_str()
        .expect("the SessionStart command")
        .to_owned();
    let run = sandbox.run(
        &[
            "install",
            "--project",
            project.to_str().unwrap(),
            "--command",
            &command,
        ],
        b"",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        written, committed,
        "regenerate .claude/settings.json with `atel-hooks install --project . --command '{command}'`"
    );
}

#[test]
fn install_otel_adds_the_env_block_to_the_user_settings_and_the_receiver_hook_keeping_the_users_values()
 {
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let project = sandbox.root.path().join("project");
    let settings = project.join(".claude/settings.json");
    // Claude Code reads CLAUDE_CODE_ENABLE_TELEMETRY and OTEL_* only from the user's settings.
    let user = sandbox.home().join(".claude/settings.json");
    std::fs::create_dir_all(user.parent().unwrap()).unwrap();
    std::fs::write(
        &user,
        r#"{"env": {"OTEL_LOGS_EXPORT_INTERVAL": "1000", "FOO": "1"}, "model": "opus"}"#,
    )
    .unwrap();
    let dir = project.to_str().unwrap();
    let args = [
        "install",
        "--project",
        dir,
        "--otel",
        "--listen",
        "127.0.0.1:14318",
        "--command",
        "/opt/atel-hooks hook --otel 127.0.0.1:14318",
    ];
    let run = sandbox.run(&args, b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("7 hooks added, 0 updated, 0 already there"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("7 telemetry settings added to \"env\", 0 already there"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("OTEL_LOGS_EXPORT_INTERVAL=\"1000\""),
        "{run:?}"
    );
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert!(after.get("env").is_none(), "no env in the project: {after}");
    assert_eq!(
        after["hooks"]["UserPromptSubmit"],
        json!([{"hooks": [{"type": "command", "command": "/opt/atel-hooks hook --otel 127.0.0.1:14318", "timeout": 5, "async": true}]}])
    );
    let user_after: Value = serde_json::from_str(&std::fs::read_to_string(&user).unwrap()).unwrap();
    assert_eq!(user_after["model"], "opus");
    assert!(
        user_after.get("hooks").is_none(),
        "no hooks in the user file: {user_after}"
    );
    assert_eq!(
        user_after["env"],
        json!({
            "OTEL_LOGS_EXPORT_INTERVAL": "1000",
            "FOO": "1",
            "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:14318",
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
            "OTEL_METRIC_EXPORT_INTERVAL": "60000"
        })
    );
    let (text, user_text) = (
        std::fs::read_to_string(&settings).unwrap(),
        std::fs::read_to_string(&user).unwrap(),
    );
    let again = sandbox.run(&args, b"");
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again
            .stdout
            .contains("0 hooks added, 0 updated, 7 already there"),
        "{again:?}"
    );
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), text);
    assert_eq!(std::fs::read_to_string(&user).unwrap(), user_text);
}

#[test]
fn install_otel_collector_writes_the_collector_config_and_no_receiver_hook() {
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let project = sandbox.root.path().join("project");
    let config = sandbox.root.path().join("otelcol.yaml");
    let run = sandbox.run(
        &[
            "install",
            "--project",
            project.to_str().unwrap(),
            "--otel",
            "--collector",
            config.to_str().unwrap(),
            "--command",
            "/opt/atel-hooks hook",
        ],
        b"",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let yaml = std::fs::read_to_string(&config).unwrap();
    assert!(yaml.contains("endpoint: 127.0.0.1:4318"), "{yaml}");
    assert!(yaml.contains("token: ${env:TINYBIRD_TOKEN}"), "{yaml}");
    let after: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    let user: Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.home().join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        user["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"],
        "http://127.0.0.1:4318"
    );
    assert!(after["hooks"].get("UserPromptSubmit").is_none(), "{after}");
    assert_eq!(
        after["hooks"]["SessionStart"][0]["hooks"][0]["command"],
        "/opt/atel-hooks hook"
    );
}

#[test]
fn a_hook_with_otel_leaves_a_running_listener_alone_and_prints_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let payload =
        json!({"session_id": "s1", "hook_event_name": "UserPromptSubmit", "prompt": "hi"});
    let run = sandbox.run(&["hook", "--otel", &addr], payload.to_string().as_bytes());
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout, "",
        "UserPromptSubmit's stdout would reach Claude"
    );
    assert_eq!(run.stderr, "", "{run:?}");
    assert!(!sandbox.state().join("otel.log").exists());
}
