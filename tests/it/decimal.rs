//! Money through `tinybird/local` exactly: a `rust_decimal::Decimal` column (`#[tinybird(decimal(P, S))]`)
//! is deployed as `Decimal(P, S)`, ingested as its exact text and read back exactly, though ClickHouse
//! answers `Decimal` as a bare JSON number with more digits than an `f64` holds.

use atel_sdk::client::DeployOptions;
use atel_sdk::{Datasource, Pipe as _, pipe};
use atel_tests::server::LocalServer;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One payment of a storefront.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(name = "shop_payments", sorting_key = "order_id")]
struct Payment {
    order_id: String,
    #[tinybird(decimal(20, 2))]
    amount: Decimal,
    #[tinybird(decimal(38, 10))]
    fx_rate: Option<Decimal>,
    #[tinybird(decimal(12, 4))]
    refunds: Vec<Decimal>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Revenue {
    revenue: Decimal,
}

#[pipe(
    name = "shop_revenue",
    output = Revenue,
    node(name = "endpoint", sql = "SELECT sum(amount) AS revenue FROM shop_payments")
)]
struct ShopRevenue {}

fn decimal(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

#[tokio::test]
async fn decimals_are_ingested_and_read_back_exactly() {
    assert_eq!(
        Payment::datafile(),
        "\
SCHEMA >
    `order_id` String `json:$.order_id`,
    `amount` Decimal(20, 2) `json:$.amount`,
    `fx_rate` Nullable(Decimal(38, 10)) `json:$.fx_rate`,
    `refunds` Array(Decimal(12, 4)) `json:$.refunds[:]`

ENGINE MergeTree
ENGINE_SORTING_KEY order_id
"
    );
    let project = tempfile::tempdir().expect("temp project");
    for (dir, file, text) in [
        (
            "datasources",
            "shop_payments.datasource",
            Payment::datafile(),
        ),
        ("endpoints", "shop_revenue.pipe", ShopRevenue::datafile()),
    ] {
        std::fs::create_dir_all(project.path().join(dir)).expect("mkdir");
        std::fs::write(project.path().join(dir).join(file), text).expect("write datafile");
    }
    let server = LocalServer::start();
    let client = server.client();
    let outcome = client
        .deploy(project.path(), DeployOptions::default())
        .await
        .expect("deploy");
    assert_eq!(outcome.result, "success", "{outcome:?}");

    let payments = vec![
        Payment {
            order_id: "o-1".into(),
            amount: decimal("12345678901234567.89"),
            fx_rate: Some(decimal("1.0842000001")),
            refunds: vec![decimal("0.0001"), decimal("-12345678.9999")],
        },
        Payment {
            order_id: "o-2".into(),
            amount: decimal("-0.01"),
            fx_rate: None,
            refunds: Vec::new(),
        },
    ];
    let written = client
        .ingest(&payments)
        .await
        .expect("ingest")
        .check()
        .expect("no quarantined rows");
    assert_eq!(written.successful_rows, 2);

    // ClickHouse answers a bare number: 12345678901234567.89 is 12345678901234568 as an `f64`.
    let raw = client
        .sql_json("SELECT toString(amount) AS text FROM shop_payments WHERE order_id = 'o-1'")
        .await
        .expect("amount as text");
    assert_eq!(raw["data"][0]["text"], "12345678901234567.89");

    let read: Vec<Payment> = client
        .sql("SELECT * FROM shop_payments ORDER BY order_id")
        .await
        .expect("read payments");
    assert_eq!(read, payments);
    assert_eq!(read[0].amount.to_string(), "12345678901234567.89");

    let revenue = client.query(&ShopRevenue {}).await.expect("query revenue");
    assert_eq!(
        revenue,
        [Revenue {
            revenue: decimal("12345678901234567.88")
        }]
    );
}
