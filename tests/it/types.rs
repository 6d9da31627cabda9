//! Every Rust type the SDK maps, through `tinybird/local` and back: the datafile Tinybird's parser
//! reads, rows ingested as JSON, the same values decoded from a `FORMAT JSON` answer.

use std::net::{Ipv4Addr, Ipv6Addr};

use atel_sdk::client::DeployOptions;
use atel_sdk::project::Project;
use atel_sdk::schema::{Int256, UInt256};
use atel_sdk::{Datasource, Enum};
use atel_tests::server::LocalServer;
use serde::{Deserialize, Serialize};

use crate::oracle::describe_file;

/// A value of an `Enum16`: one value past `Int8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
enum Level {
    Low = -200,
    High = 300,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(name = "every_type", sorting_key = "id")]
struct EveryType {
    id: u32,
    big: i128,
    bigger: u128,
    v4: Ipv4Addr,
    v6: Option<Ipv6Addr>,
    level: Level,
    levels: Vec<Level>,
    #[serde(with = "atel_sdk::client::de::DateTime64::<6>")]
    #[tinybird(datetime64(6))]
    at: time::OffsetDateTime,
    #[serde(with = "atel_sdk::client::de::DateTime64::<0>")]
    #[tinybird(datetime)]
    local: time::PrimitiveDateTime,
    day: time::Date,
    #[tinybird(date32)]
    old_day: chrono::NaiveDate,
    #[tinybird(fixed_string(2))]
    country: String,
    #[tinybird(simple_aggregate = "max")]
    peak: u64,
    pair: (String, Option<u32>),
    steps: Vec<(u8, String)>,
    doc: serde_json::Map<String, serde_json::Value>,
    huge: Int256,
    uhuge: UInt256,
}

/// A `JSON` value of the kinds ClickHouse answers as they were sent (its 64-bit integers come back
/// as text, as `ColumnType` says).
fn doc(sku: &str) -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(doc) = serde_json::json!({
        "sku": sku, "gift": true, "weight": 1.5, "tags": {"color": "red"}
    }) else {
        unreachable!("an object")
    };
    doc
}

fn rows() -> Vec<EveryType> {
    let at =
        time::OffsetDateTime::from_unix_timestamp_nanos(1_795_597_200_123_456_000).expect("a time");
    vec![
        EveryType {
            id: 1,
            big: i128::MIN + 1,
            bigger: u128::MAX,
            v4: Ipv4Addr::new(192, 168, 0, 1),
            v6: Some("2001:db8::ff00:42:8329".parse().expect("an address")),
            level: Level::Low,
            levels: vec![Level::High, Level::Low],
            at,
            local: time::PrimitiveDateTime::new(
                at.date(),
                time::Time::from_hms(1, 2, 3).expect("a time"),
            ),
            day: time::Date::from_calendar_date(2026, time::Month::December, 1).expect("a date"),
            old_day: chrono::NaiveDate::from_ymd_opt(1901, 2, 3).expect("a date"),
            country: "ES".to_owned(),
            peak: u64::MAX,
            pair: ("left".to_owned(), Some(7)),
            steps: vec![(1, "cart".to_owned()), (2, "paid".to_owned())],
            doc: doc("A-1"),
            huge: Int256::from(ethnum::I256::MIN),
            uhuge: UInt256::from(ethnum::U256::MAX),
        },
        EveryType {
            id: 2,
            big: 0,
            bigger: 1,
            v4: Ipv4Addr::UNSPECIFIED,
            v6: None,
            level: Level::High,
            levels: Vec::new(),
            at,
            local: time::PrimitiveDateTime::new(at.date(), time::Time::MIDNIGHT),
            day: time::Date::from_calendar_date(1970, time::Month::January, 1).expect("a date"),
            old_day: chrono::NaiveDate::from_ymd_opt(2299, 12, 31).expect("a date"),
            country: "FR".to_owned(),
            peak: 0,
            pair: (String::new(), None),
            steps: Vec::new(),
            doc: serde_json::Map::new(),
            huge: "-1".parse().expect("an Int256"),
            uhuge: UInt256::default(),
        },
    ]
}

#[test]
fn tinybirds_parser_reads_every_type_as_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("every_type.datasource");
    std::fs::write(&path, EveryType::datafile()).expect("write");
    let seen = describe_file(&path);
    // Tinybird's parser reports `Nullable` apart from the type.
    let types: Vec<String> = seen["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            let ty = c["type"].as_str().expect("a type");
            if c["nullable"] == true {
                format!("Nullable({ty})")
            } else {
                ty.to_owned()
            }
        })
        .collect();
    assert_eq!(
        types,
        [
            "UInt32",
            "Int128",
            "UInt128",
            "IPv4",
            "Nullable(IPv6)",
            "Enum16('Low' = -200, 'High' = 300)",
            "Array(Enum16('Low' = -200, 'High' = 300))",
            "DateTime64(6)",
            "DateTime",
            "Date",
            "Date32",
            "FixedString(2)",
            "SimpleAggregateFunction(max, UInt64)",
            "Tuple(String, Nullable(UInt32))",
            "Array(Tuple(UInt8, String))",
            "JSON",
            "Int256",
            "UInt256",
        ]
    );
}

#[tokio::test]
async fn every_type_is_read_back_as_sent() {
    let server = LocalServer::start();
    let client = server.client();
    let dir = tempfile::tempdir().expect("temp dir");
    Project::new()
        .datasource::<EveryType>()
        .write(dir.path())
        .expect("write the project");
    let outcome = client
        .deploy(dir.path(), DeployOptions::default())
        .await
        .expect("deploy");
    assert_eq!(outcome.result, "success", "{outcome:?}");
    let rows = rows();
    let written = client
        .ingest(&rows)
        .await
        .expect("ingest")
        .check()
        .expect("no row quarantined");
    assert_eq!(written.successful_rows, 2);
    let back: Vec<EveryType> = client
        .sql("SELECT * FROM every_type ORDER BY id")
        .await
        .expect("read back");
    assert_eq!(back, rows);
}
