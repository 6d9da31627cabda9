//! `#[pipe(...)]`: what the generated `Pipe` impl says, the exact `.pipe` text, and the query pairs.

// A doc comment on a `#[pipe]` field is its param's description, which these tests assert; the items are
// public so the generated `…Ext` traits are too.
#![allow(
    missing_docs,
    reason = "doc comments here would change the descriptions under test"
)]

use atel_sdk::schema::{Node, Param};
use atel_sdk::{Pipe, PipeSchema, pipe};
use chrono::{DateTime, TimeZone as _, Utc};
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
pub struct UsageRow {
    pub agent_type: String,
    pub invocations: u64,
}

/// Invocations per agent type over the last days.
#[pipe(
    name = "usage_by_agent",
    description = "Invocations per agent type over the last `days` days.",
    output = UsageRow,
    node(
        name = "recent",
        description = "Stop events of the window.",
        sql = r#"
            %
            SELECT agent_type
            FROM agent_activations
            WHERE event = 'stop'
              AND timestamp >= now() - INTERVAL {{ UInt16(days, 7, description="Window in days") }} DAY
              {% if defined(agent_type) %}
              AND agent_type = {{ String(agent_type) }}
              {% end %}
        "#
    ),
    node(
        name = "endpoint",
        sql = r#"
            %
            SELECT agent_type, count() AS invocations
            FROM recent
            GROUP BY agent_type
            ORDER BY invocations DESC
            LIMIT {{ UInt32(limit, 10, required=True) }}
        "#
    ),
)]
#[derive(Debug, Clone)]
pub struct UsageByAgent {
    #[param(default = 7)]
    pub days: u16,
    /// Only this agent type.
    pub agent_type: Option<String>,
    #[param(default = 10, required, description = "At most this many rows")]
    pub limit: u32,
}

#[test]
fn name_and_schema() {
    assert_eq!(UsageByAgent::NAME, "usage_by_agent");
    let schema = UsageByAgent::schema();
    assert_eq!(
        schema,
        PipeSchema {
            name: "usage_by_agent",
            description: Some("Invocations per agent type over the last `days` days."),
            nodes: vec![
                Node {
                    name: "recent",
                    description: Some("Stop events of the window."),
                    sql: "%\nSELECT agent_type\nFROM agent_activations\nWHERE event = 'stop'\n  AND timestamp >= \
                          now() - INTERVAL {{ UInt16(days, 7, description=\"Window in days\") }} DAY\n  \
                          {% if defined(agent_type) %}\n  AND agent_type = {{ String(agent_type) }}\n  {% end %}",
                },
                Node {
                    name: "endpoint",
                    description: None,
                    sql: "%\nSELECT agent_type, count() AS invocations\nFROM recent\nGROUP BY agent_type\n\
                          ORDER BY invocations DESC\nLIMIT {{ UInt32(limit, 10, required=True) }}",
                },
            ],
            params: vec![
                Param {
                    name: "days",
                    template_type: "UInt16",
                    default: Some("7"),
                    required: false,
                    description: Some("Window in days"),
                },
                Param {
                    name: "agent_type",
                    template_type: "String",
                    default: None,
                    required: false,
                    description: Some("Only this agent type."),
                },
                Param {
                    name: "limit",
                    template_type: "UInt32",
                    default: Some("10"),
                    required: true,
                    description: Some("At most this many rows"),
                },
            ],
            kind: atel_sdk::PipeKind::Endpoint,
            tokens: Vec::new(),
        }
    );
}

#[test]
fn golden_pipe_text() {
    let expected = r#"DESCRIPTION >
    Invocations per agent type over the last `days` days.

NODE recent
DESCRIPTION >
    Stop events of the window.

SQL >
    %
    SELECT agent_type
    FROM agent_activations
    WHERE event = 'stop'
      AND timestamp >= now() - INTERVAL {{ UInt16(days, 7, description="Window in days") }} DAY
      {% if defined(agent_type) %}
      AND agent_type = {{ String(agent_type) }}
      {% end %}

NODE endpoint
SQL >
    %
    SELECT agent_type, count() AS invocations
    FROM recent
    GROUP BY agent_type
    ORDER BY invocations DESC
    LIMIT {{ UInt32(limit, 10, required=True) }}

TYPE endpoint
"#;
    assert_eq!(UsageByAgent::datafile(), expected);
}

#[test]
fn params_skip_none_and_format_values() {
    let all = UsageByAgent {
        days: 30,
        agent_type: Some("code-reviewer".to_owned()),
        limit: 5,
    };
    assert_eq!(
        all.params(),
        [
            ("days", "30".to_owned()),
            ("agent_type", "code-reviewer".to_owned()),
            ("limit", "5".to_owned()),
        ]
    );
    let without = UsageByAgent {
        agent_type: None,
        ..all
    };
    assert_eq!(
        without.params(),
        [("days", "30".to_owned()), ("limit", "5".to_owned())]
    );
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// Every kind of value, to see how each is sent.
#[pipe(
    name = "kinds",
    output = Nothing,
    method = "kinds_of_values",
    node(
        name = "endpoint",
        sql = "%\nSELECT {{ DateTime(since) }}, {{ DateTime64(until) }}, {{ Date(day) }}, \
               {{ Array(ids, 'UInt64', defined=False) }}, {{ Boolean(flag) }}, {{ Float64(ratio) }}, \
               {{ Int64(delta) }}, {{ column(sort_by, 'ts') }}"
    )
)]
#[derive(Debug)]
pub struct Kinds {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub day: chrono::NaiveDate,
    pub ids: Vec<u64>,
    pub flag: bool,
    pub ratio: f32,
    pub delta: i32,
    #[param(rename = "sort_by")]
    pub order: &'static str,
}

#[test]
fn values_are_formatted_per_template_type() {
    let at = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
    let kinds = Kinds {
        since: at,
        until: at + chrono::Duration::milliseconds(89),
        day: at.date_naive(),
        ids: vec![3, 1, 2],
        flag: false,
        ratio: 0.25,
        delta: -4,
        order: "cost",
    };
    assert_eq!(
        kinds.params(),
        [
            ("since", "2026-03-04 05:06:07".to_owned()),
            ("until", "2026-03-04 05:06:07.089".to_owned()),
            ("day", "2026-03-04".to_owned()),
            ("ids", "3,1,2".to_owned()),
            ("flag", "false".to_owned()),
            ("ratio", "0.25".to_owned()),
            ("delta", "-4".to_owned()),
            ("sort_by", "cost".to_owned()),
        ]
    );
    let types: Vec<_> = Kinds::schema()
        .params
        .iter()
        .map(|p| (p.name, p.template_type))
        .collect();
    assert_eq!(
        types,
        [
            ("since", "DateTime"),
            ("until", "DateTime64"),
            ("day", "Date"),
            ("ids", "Array(UInt64)"),
            ("flag", "Boolean"),
            ("ratio", "Float64"),
            ("delta", "Int64"),
            ("sort_by", "String"),
        ]
    );
    let empty = Kinds {
        ids: Vec::new(),
        ..kinds
    };
    assert!(empty.params().iter().all(|(name, _)| *name != "ids"));
}

/// A pipe without params and without templates.
#[pipe(
    name = "top_models",
    output = Nothing,
    node(name = "endpoint", sql = "SELECT model FROM api_requests GROUP BY model")
)]
#[derive(Debug)]
pub struct TopModels;

#[test]
fn a_pipe_without_params() {
    assert!(TopModels.params().is_empty());
    assert_eq!(
        TopModels::datafile(),
        "NODE endpoint\nSQL >\n    SELECT model FROM api_requests GROUP BY model\n\nTYPE endpoint\n"
    );
}

/// The typed call: params the pipe cannot do without are arguments, the rest setters starting from
/// their defaults (compiles = passes; what is sent is checked below).
#[allow(dead_code)]
async fn typed_calls(client: &atel_sdk::TinybirdClient) -> Result<(), atel_sdk::Error> {
    let rows: Vec<UsageRow> = client.usage_by_agent().await?;
    let _: Vec<UsageRow> = client
        .usage_by_agent()
        .days(30)
        .agent_type("Explore")
        .agent_type(String::from("Plan"))
        .limit(5)
        .await?;
    let _: Vec<Nothing> = client.top_models().await?;
    let _ = rows;
    Ok(())
}

#[tokio::test]
async fn a_typed_call_sends_its_defaults_and_what_the_setters_set() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let rows = serde_json::json!({
        "meta": [{"name": "agent_type", "type": "String"}, {"name": "invocations", "type": "UInt64"}],
        "data": [{"agent_type": "Explore", "invocations": 3}],
        "rows": 1
    });
    Mock::given(method("GET"))
        .and(path("/v0/pipes/usage_by_agent.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rows))
        .expect(2)
        .mount(&server)
        .await;
    let client = atel_sdk::TinybirdClient::builder()
        .token("p.test")
        .base_url(server.uri())
        .build()
        .unwrap();
    let defaults = client.usage_by_agent().await.unwrap();
    assert_eq!(
        defaults,
        [UsageRow {
            agent_type: "Explore".into(),
            invocations: 3
        }]
    );
    client
        .usage_by_agent()
        .agent_type("Explore")
        .limit(3)
        .await
        .unwrap();
    let queries: Vec<Vec<(String, String)>> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| {
            request
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .collect();
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(queries[0], [pair("days", "7"), pair("limit", "10")]);
    assert_eq!(
        queries[1],
        [
            pair("days", "7"),
            pair("agent_type", "Explore"),
            pair("limit", "3")
        ]
    );
    assert_eq!(
        format!("{:?}", client.usage_by_agent()),
        "UsageByAgentCall { pipe: \"usage_by_agent\", .. }"
    );
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn typed_call_future_is_send() {
    let client = atel_sdk::TinybirdClient::builder()
        .token("p.test")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    // Params without a default are the method's arguments.
    let call = client.kinds_of_values(
        Utc::now(),
        Utc::now(),
        Utc::now().date_naive(),
        vec![1],
        true,
        1.0,
        1,
        "ts",
    );
    let future = std::future::IntoFuture::into_future(call);
    assert_send(&future);
}

/// SQL read from a file next to the crate's manifest (and `include_str!`ed, so cargo tracks it).
#[pipe(
    name = "top_agents",
    output = UsageRow,
    node(name = "endpoint", sql_file = "tests/ui/pipe/sql/top_agents.sql")
)]
#[derive(Debug)]
pub struct TopAgents {
    #[param(default = 7)]
    pub days: u16,
}

#[test]
fn sql_from_a_file() {
    let schema = TopAgents::schema();
    assert_eq!(
        schema.nodes[0].sql,
        include_str!("ui/pipe/sql/top_agents.sql")
    );
    assert_eq!(schema.params[0].template_type, "UInt16");
    assert_eq!(schema.params[0].default, Some("7"));
    assert!(TopAgents::datafile().starts_with(
        "NODE endpoint\nSQL >\n    %\n    SELECT agent_type, count() AS invocations\n"
    ));
    assert_eq!(TopAgents { days: 3 }.params(), [("days", "3".to_owned())]);
}
