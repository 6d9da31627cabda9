//! The storefront example (`examples/shop/`): its committed datafiles are what its types generate,
//! Tinybird's own CLI (`tb --cloud deploy`) deploys them to `tinybird/local`, and every number its
//! endpoints, its materialized view and its copy pipe give equals a computation of this test's own
//! over the rows it sent.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::Path;

use atel_examples::shop::{
    self, Event, EventKind, FunnelExt as _, Order, OrderStatus, OrderStatusCountsExt as _,
    ProductSales, ProductSalesCopy, RevenueExt as _, RevenueRow, StatusRow,
};
use atel_sdk::Datasource as _;
use atel_tests::server::{LocalServer, repo_root};
use chrono::{NaiveDate, TimeZone as _, Utc};
use rust_decimal::Decimal;

use crate::oracle::venv_program;

fn shop_dir() -> std::path::PathBuf {
    repo_root().join("examples/shop/tinybird")
}

fn decimal(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// `tb --cloud --host URL --token TOKEN deploy` in `dir`, the official CLI from the project venv.
fn tb_deploy(server: &LocalServer, dir: &Path) -> String {
    let home = tempfile::tempdir().expect("temp home");
    let output = venv_program("tb")
        .args([
            "--cloud",
            "--host",
            &server.url,
            "--token",
            &server.token,
            "deploy",
        ])
        .current_dir(dir)
        .env("HOME", home.path())
        .env("TB_CLI_TELEMETRY_OPTOUT", "1")
        .env("TB_VERSION_WARNING", "0")
        .output()
        .expect("run tb");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "tb deploy failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// 90 events over three days: sessions walk the funnel as far as `i % 4` says; every fifth session
/// pays in USD, the rest in EUR; one purchase is larger than an `f64` holds to the cent.
fn events() -> Vec<Event> {
    let mut events = Vec::new();
    let steps = [
        EventKind::PageView,
        EventKind::AddToCart,
        EventKind::Checkout,
        EventKind::Purchase,
    ];
    for session in 0..30_u64 {
        let day = u32::try_from(session % 3).expect("small") + 1;
        let reached = usize::try_from(session % 4).expect("small");
        let currency = if session % 5 == 0 { "USD" } else { "EUR" };
        let country = ["ES", "FR", "DE"][usize::try_from(session % 3).expect("small")];
        for (step, kind) in steps.iter().enumerate().take(reached + 1) {
            let amount = match (kind, session) {
                (EventKind::Purchase, 7) => decimal("12345678901234567.89"),
                (EventKind::Purchase, _) => {
                    Decimal::new(i64::try_from(session * 1000 + 99).expect("small"), 2)
                }
                _ => Decimal::ZERO,
            };
            let micros = u32::try_from(session * 10 + step as u64).expect("small");
            events.push(Event {
                timestamp: Utc
                    .with_ymd_and_hms(2026, 11, day, 10, 0, 0)
                    .single()
                    .expect("a time")
                    + chrono::Duration::microseconds(i64::from(micros) * 1_000_001),
                event_id: uuid::Uuid::from_u128(u128::from(session) << 8 | step as u128),
                event: *kind,
                session_id: format!("s{session}"),
                user_id: 100 + session % 7,
                country: country.to_owned(),
                ip: Ipv4Addr::new(10, 0, u8::try_from(session).expect("small"), 1),
                currency: currency.to_owned(),
                amount,
                product_ids: vec![session % 4, 10 + session % 2],
                device: (session % 2 == 0).then(|| "ios".to_owned()),
                signup_date: date(1960 + i32::try_from(session).expect("small"), 1, 1),
                labels: BTreeMap::from([("campaign".to_owned(), format!("c{}", session % 2))]),
            });
        }
    }
    events
}

fn orders() -> Vec<Order> {
    let order = |id, status, total: &str, version, deleted| Order {
        order_id: id,
        user_id: 100 + id,
        status,
        total: decimal(total),
        currency: "EUR".to_owned(),
        ordered_on: date(2026, 11, 1),
        version,
        deleted,
    };
    vec![
        order(1, OrderStatus::Pending, "10.00", 1, 0),
        order(1, OrderStatus::Paid, "10.00", 2, 0),
        order(2, OrderStatus::Pending, "25.50", 1, 0),
        order(2, OrderStatus::Pending, "25.50", 2, 1),
        order(3, OrderStatus::Shipped, "99.99", 1, 0),
        order(4, OrderStatus::Paid, "5.25", 1, 0),
        order(4, OrderStatus::Refunded, "5.25", 3, 0),
        order(4, OrderStatus::Paid, "5.25", 2, 0),
        order(5, OrderStatus::Paid, "1.01", 1, 0),
    ]
}

#[test]
fn the_committed_datafiles_are_what_the_types_generate() {
    shop::project().check(shop_dir()).expect(
        "examples/shop/tinybird is up to date: run `cargo run -p atel-examples --example shop`",
    );
    assert_eq!(
        Event::schema().columns[2].ty.to_string(),
        "Enum8('page_view' = 1, 'add_to_cart' = 2, 'checkout' = 3, 'purchase' = 4)"
    );
}

#[tokio::test]
async fn tinybirds_cli_deploys_the_shop_and_every_number_is_right() {
    let server = LocalServer::start();
    let stdout = tb_deploy(&server, &shop_dir());
    assert!(stdout.contains("Deployment #1 is live"), "{stdout}");
    let client = server.client();

    // The TOKEN lines became tokens scoped to their resources.
    let mut tokens: Vec<(String, Vec<String>)> = client
        .tokens()
        .await
        .expect("tokens")
        .into_iter()
        .filter(|t| t.name.starts_with("shop_"))
        .map(|t| {
            let mut scopes = t.scopes;
            scopes.sort();
            (t.name, scopes)
        })
        .collect();
    tokens.sort();
    let scopes = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        tokens,
        [
            (
                "shop_dashboard".to_owned(),
                scopes(&[
                    "PIPES:READ:shop_funnel",
                    "PIPES:READ:shop_order_status",
                    "PIPES:READ:shop_revenue"
                ])
            ),
            (
                "shop_ingest".to_owned(),
                scopes(&[
                    "DATASOURCES:APPEND:shop_events",
                    "DATASOURCES:APPEND:shop_orders"
                ])
            ),
            (
                "shop_ops".to_owned(),
                scopes(&["PIPES:READ:shop_product_sales_copy"])
            ),
        ]
    );

    let events = events();
    let mut sent = events.clone();
    // Three events re-sent (same ids), a purchase among them: the funnel and the copy count each
    // once; the materialized view sees every insert.
    sent.extend(events.iter().take(2).cloned());
    let resent_purchase = events
        .iter()
        .rev()
        .find(|e| e.event == EventKind::Purchase)
        .expect("a purchase")
        .clone();
    sent.push(resent_purchase.clone());
    let written = client.ingest(&sent).await.expect("ingest events");
    assert_eq!(written.successful_rows, sent.len() as u64);
    assert_eq!(written.quarantined_rows, 0);
    let orders = orders();
    let written = client
        .ingest(&orders)
        .await
        .expect("ingest orders")
        .check()
        .expect("no quarantined order");
    assert_eq!(written.successful_rows, orders.len() as u64);

    // Every type reads back as sent: Enum8 by name, IPv4, FixedString(3), Decimal(20, 2) exactly,
    // Date32 before 1970, DateTime64(6), a LowCardinality-keyed map.
    let back: Vec<Event> = client
        .sql("SELECT * FROM shop_events ORDER BY event_id LIMIT 1 BY event_id")
        .await
        .expect("read events");
    let mut expected = events.clone();
    expected.sort_by_key(|e| e.event_id);
    assert_eq!(back, expected);

    // The materialized view's states, merged by the endpoint, against a sum of our own over every
    // row inserted: the re-sent purchase is in it twice (the module docs say so).
    let mut by_day: BTreeMap<(NaiveDate, String), (Decimal, BTreeSet<u64>, u64)> = BTreeMap::new();
    for e in sent.iter().filter(|e| e.event == EventKind::Purchase) {
        let entry = by_day
            .entry((e.timestamp.date_naive(), e.currency.clone()))
            .or_default();
        entry.0 += e.amount;
        entry.1.insert(e.user_id);
        entry.2 += 1;
    }
    let expected: Vec<RevenueRow> = by_day
        .into_iter()
        .map(
            |((day, currency), (revenue, buyers, purchases))| RevenueRow {
                day,
                currency,
                revenue,
                buyers: buyers.len() as u64,
                purchases,
            },
        )
        .collect();
    assert!(
        expected
            .iter()
            .any(|r| r.revenue > decimal("12345678901234567")),
        "the large purchase is in the data"
    );
    let revenue = client.shop_revenue().await.expect("shop_revenue");
    assert_eq!(revenue, expected);
    let usd: Vec<RevenueRow> = expected
        .iter()
        .filter(|r| r.currency == "USD")
        .cloned()
        .collect();
    assert_eq!(
        client.shop_revenue().currency("USD").await.expect("usd"),
        usd
    );
    let since = date(2026, 11, 3);
    let late: Vec<RevenueRow> = expected
        .iter()
        .filter(|r| r.day >= since)
        .cloned()
        .collect();
    assert_eq!(
        client.shop_revenue().since(since).await.expect("since"),
        late
    );

    // The funnel: distinct sessions per step.
    let sessions = |kind: EventKind, country: Option<&str>| {
        events
            .iter()
            .filter(|e| e.event == kind && country.is_none_or(|c| e.country == c))
            .map(|e| e.session_id.as_str())
            .collect::<BTreeSet<_>>()
            .len() as u64
    };
    let one = |mut rows: Vec<shop::FunnelRow>| {
        assert_eq!(rows.len(), 1, "{rows:?}");
        rows.remove(0)
    };
    let funnel = one(client.shop_funnel().await.expect("funnel"));
    assert_eq!(
        funnel,
        shop::FunnelRow {
            viewed: sessions(EventKind::PageView, None),
            carted: sessions(EventKind::AddToCart, None),
            checked_out: sessions(EventKind::Checkout, None),
            purchased: sessions(EventKind::Purchase, None),
        }
    );
    assert_eq!((funnel.viewed, funnel.purchased), (30, 7));
    let fr = one(client.shop_funnel().country("FR").await.expect("funnel FR"));
    assert_eq!(fr.checked_out, sessions(EventKind::Checkout, Some("FR")));

    // The copy pipe: units sold per product, replacing the last snapshot each run.
    let mut sales: BTreeMap<u64, (u64, BTreeSet<u64>)> = BTreeMap::new();
    for e in events.iter().filter(|e| e.event == EventKind::Purchase) {
        for product in &e.product_ids {
            let entry = sales.entry(*product).or_default();
            entry.0 += 1;
            entry.1.insert(e.user_id);
        }
    }
    let expected_sales: Vec<ProductSales> = sales
        .into_iter()
        .map(|(product_id, (purchases, buyers))| ProductSales {
            product_id,
            purchases,
            buyers: buyers.len() as u64,
        })
        .collect();
    for run in 1..=2 {
        let job = client.copy(&ProductSalesCopy).await.expect("copy run");
        assert_eq!(job.mode.as_deref(), Some("replace"), "run {run}");
        assert_eq!(
            job.written_rows,
            Some(expected_sales.len() as u64),
            "run {run}"
        );
        let snapshot: Vec<ProductSales> = client
            .sql("SELECT * FROM shop_product_sales ORDER BY product_id")
            .await
            .expect("read the snapshot");
        assert_eq!(
            snapshot, expected_sales,
            "run {run}: replaced, not appended"
        );
    }

    // Orders: each order's highest version once, the deleted order gone.
    let mut latest: BTreeMap<u64, &Order> = BTreeMap::new();
    for order in &orders {
        let keep = latest
            .get(&order.order_id)
            .is_none_or(|o| o.version < order.version);
        if keep {
            latest.insert(order.order_id, order);
        }
    }
    let mut by_status: BTreeMap<OrderStatus, (u64, Decimal)> = BTreeMap::new();
    for order in latest.values().filter(|o| o.deleted == 0) {
        let entry = by_status.entry(order.status).or_default();
        entry.0 += 1;
        entry.1 += order.total;
    }
    let mut expected: Vec<StatusRow> = by_status
        .into_iter()
        .map(|(status, (orders, total))| StatusRow {
            status,
            orders,
            total,
        })
        .collect();
    // ClickHouse orders an enum by its value: refunded (-1) first.
    expected.sort_by_key(|row| match row.status {
        OrderStatus::Refunded => -1,
        OrderStatus::Pending => 1,
        OrderStatus::Paid => 2,
        OrderStatus::Shipped => 3,
    });
    let statuses = client.shop_order_status().await.expect("order status");
    assert_eq!(statuses, expected);
    assert_eq!(
        statuses
            .iter()
            .map(|r| (r.status, r.orders))
            .collect::<Vec<_>>(),
        [
            (OrderStatus::Refunded, 1),
            (OrderStatus::Paid, 2),
            (OrderStatus::Shipped, 1)
        ]
    );
}
