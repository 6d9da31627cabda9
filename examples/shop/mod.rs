//! A storefront's analytics as a whole Tinybird project, written with the SDK alone: no hand-written
//! ClickHouse type and no hand-written datafile.
//!
//! | resource | kind | what it shows |
//! |---|---|---|
//! | `shop_events` | datasource | `DateTime64(6)`, an `Enum8`, `IPv4`, `FixedString(3)`, `Decimal(20, 2)`, `Date32`, an index, an `APPEND` token |
//! | `shop_orders` | datasource | `ReplacingMergeTree` with `ver` and `is_deleted`, an `Enum8` with chosen values |
//! | `shop_daily_revenue` | datasource | `AggregatingMergeTree` with `-State` columns and a `SimpleAggregateFunction` |
//! | `shop_product_sales` | datasource | the copy pipe's target |
//! | `shop_daily_revenue_mv` | materialized pipe | every purchase into `shop_daily_revenue` |
//! | `shop_product_sales_copy` | copy pipe | a snapshot of sales per product, on demand |
//! | `shop_revenue` | endpoint | revenue and buyers per day and currency, merged from the states |
//! | `shop_funnel` | endpoint | sessions at each step, by country |
//! | `shop_order_status` | endpoint | live orders by status, each order once (`FINAL`), deleted ones gone |
//!
//! **Re-sent events.** Every event carries its `event_id`, and what reads `shop_events` counts each
//! id once (`LIMIT 1 BY event_id`: the funnel, the copy). A materialized view cannot: it sees each
//! insert alone, so a purchase sent twice (an at-least-once retry) is in `shop_daily_revenue` twice,
//! and `shop_revenue` counts it twice. Its `buyers` (a `uniqExact` state) stay exact; where revenue
//! must be exact under retries, read it from the events (as the copy does) or from `shop_orders`
//! (`FINAL`, one row per order).
//!
//! `cargo run -p atel-examples --example shop` writes `examples/shop/tinybird/`; `-- --check` fails
//! when the committed folder differs. `tests/it/shop.rs` deploys it with Tinybird's own CLI and
//! checks every number against a computation of its own.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use atel_sdk::project::Project;
use atel_sdk::schema::AggregateState;
use atel_sdk::{Datasource, Enum, pipe};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A step of the storefront funnel.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A product page was shown.
    PageView,
    /// A product went into the cart.
    AddToCart,
    /// The checkout page was opened.
    Checkout,
    /// An order was paid.
    Purchase,
}

/// One storefront event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "shop_events",
    description = "Every storefront event, as the web and mobile apps send it.",
    sorting_key = "event, country, timestamp",
    partition_key = "toYYYYMM(timestamp)",
    ttl = "toDateTime(timestamp) + toIntervalDay(730)",
    index = "idx_session session_id TYPE bloom_filter(0.01) GRANULARITY 4",
    index = "idx_amount amount TYPE minmax GRANULARITY 1",
    token = "shop_ingest APPEND"
)]
pub struct Event {
    /// When it happened, to the microsecond.
    #[tinybird(datetime64(6))]
    #[serde(with = "atel_sdk::client::de::DateTime64::<6>")]
    pub timestamp: DateTime<Utc>,
    /// The event's own id, set by the app: a re-sent event keeps it.
    pub event_id: Uuid,
    /// The funnel step.
    pub event: EventKind,
    /// The browsing session.
    pub session_id: String,
    /// The signed-in user, 0 for a guest.
    pub user_id: u64,
    /// ISO 3166 country code.
    #[tinybird(low_cardinality)]
    pub country: String,
    /// The client's address.
    pub ip: Ipv4Addr,
    /// ISO 4217 currency code: always three letters.
    #[tinybird(fixed_string(3))]
    pub currency: String,
    /// The amount paid (purchases) or the cart's value, in `currency`.
    #[tinybird(decimal(20, 2))]
    pub amount: Decimal,
    /// The products the event is about.
    pub product_ids: Vec<u64>,
    /// `ios`, `android`, `web`; unknown for old app versions.
    #[tinybird(low_cardinality)]
    pub device: Option<String>,
    /// The user's sign-up day (may be before 1970).
    #[tinybird(date32)]
    pub signup_date: NaiveDate,
    /// Free-form labels from the app (`campaign`, `experiment`, …).
    #[tinybird(low_cardinality_keys)]
    pub labels: BTreeMap<String, String>,
}

/// Where an order is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Enum,
)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Placed, not paid yet.
    Pending = 1,
    /// Paid.
    Paid = 2,
    /// Handed to the carrier.
    Shipped = 3,
    /// Paid back.
    Refunded = -1,
}

/// The latest state of each order: every update is a new row with a higher `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "shop_orders",
    engine = "ReplacingMergeTree",
    sorting_key = "order_id",
    ver = "version",
    is_deleted = "deleted",
    token = "shop_ingest APPEND"
)]
pub struct Order {
    /// The order.
    pub order_id: u64,
    /// Who placed it.
    pub user_id: u64,
    /// Where it is.
    pub status: OrderStatus,
    /// Its total, in `currency`.
    #[tinybird(decimal(20, 2))]
    pub total: Decimal,
    /// ISO 4217 currency code.
    #[tinybird(fixed_string(3))]
    pub currency: String,
    /// The day it was placed.
    #[tinybird(date32)]
    pub ordered_on: NaiveDate,
    /// Grows with every update; the highest one is the order's state.
    pub version: u64,
    /// 1 when the order was deleted (a test order, a GDPR erasure).
    pub deleted: u8,
}

/// Revenue per day and currency, as aggregate states: what `shop_daily_revenue_mv` writes.
#[derive(Debug, Clone, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "shop_daily_revenue",
    engine = "AggregatingMergeTree",
    sorting_key = "day, currency",
    partition_key = "toYear(day)"
)]
pub struct DailyRevenue {
    /// The day.
    #[tinybird(date32)]
    pub day: NaiveDate,
    /// ISO 4217 currency code.
    #[tinybird(fixed_string(3))]
    pub currency: String,
    /// `sumState(amount)`.
    #[tinybird(aggregate = "sum", decimal(20, 2))]
    pub revenue: AggregateState<Decimal>,
    /// `uniqExactState(user_id)`.
    #[tinybird(aggregate = "uniqExact")]
    pub buyers: AggregateState<u64>,
    /// Purchases, summed by merges.
    #[tinybird(simple_aggregate = "sum")]
    pub purchases: u64,
}

/// Every purchase, into the day's revenue states: each ingested row, so a re-sent purchase twice
/// (see the module docs).
#[pipe(
    name = "shop_daily_revenue_mv",
    description = "Each purchase into shop_daily_revenue, as it is ingested.",
    materialized = DailyRevenue,
    node(
        name = "daily_states",
        sql = r"
            SELECT
                toDate32(timestamp) AS day,
                currency,
                sumState(amount) AS revenue,
                uniqExactState(user_id) AS buyers,
                count() AS purchases
            FROM shop_events
            WHERE event = 'purchase'
            GROUP BY day, currency
        "
    )
)]
#[derive(Debug)]
pub struct DailyRevenueMv;

/// Units sold per product, as of the last copy run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Datasource)]
#[tinybird(name = "shop_product_sales", sorting_key = "product_id")]
pub struct ProductSales {
    /// The product.
    pub product_id: u64,
    /// Purchases that held it.
    pub purchases: u64,
    /// Distinct buyers.
    pub buyers: u64,
}

/// A snapshot of sales per product, replacing the last one.
#[pipe(
    name = "shop_product_sales_copy",
    description = "Sales per product, recomputed from shop_events on demand.",
    copy(target = ProductSales, schedule = "@on-demand", mode = "replace"),
    token = "shop_ops",
    node(
        name = "purchases",
        description = "Each purchase once: a re-sent event has the same id.",
        sql = r"
            SELECT user_id, product_ids
            FROM shop_events
            WHERE event = 'purchase'
            LIMIT 1 BY event_id
        "
    ),
    node(
        name = "sales",
        sql = r"
            SELECT
                product_id,
                count() AS purchases,
                uniqExact(user_id) AS buyers
            FROM purchases
            ARRAY JOIN product_ids AS product_id
            GROUP BY product_id
        "
    )
)]
#[derive(Debug)]
pub struct ProductSalesCopy;

/// One day's revenue in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RevenueRow {
    /// The day.
    pub day: NaiveDate,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Money taken.
    pub revenue: Decimal,
    /// Distinct paying users.
    pub buyers: u64,
    /// Purchases.
    pub purchases: u64,
}

/// Revenue per day and currency, merged from the materialized states.
#[pipe(
    name = "shop_revenue",
    description = "Revenue, buyers and purchases per day and currency.",
    output = RevenueRow,
    token = "shop_dashboard",
    node(
        name = "endpoint",
        sql = r"
            %
            SELECT
                day,
                toString(currency) AS currency,
                sumMerge(revenue) AS revenue,
                uniqExactMerge(buyers) AS buyers,
                sum(purchases) AS purchases
            FROM shop_daily_revenue
            WHERE day >= {{ Date(since, '1970-01-01') }}
            {% if defined(currency) %} AND currency = {{ String(currency) }} {% end %}
            GROUP BY day, currency
            ORDER BY day, currency
        "
    )
)]
#[derive(Debug)]
pub struct Revenue {
    /// The first day.
    pub since: Option<NaiveDate>,
    /// One currency only.
    pub currency: Option<String>,
}

/// Sessions that reached each step.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FunnelRow {
    /// Sessions with a page view.
    pub viewed: u64,
    /// … with an add to cart.
    pub carted: u64,
    /// … with a checkout.
    pub checked_out: u64,
    /// … with a purchase.
    pub purchased: u64,
}

/// The funnel: distinct sessions at each step, each event counted once by its id.
#[pipe(
    name = "shop_funnel",
    description = "Sessions at each funnel step, optionally for one country and device.",
    output = FunnelRow,
    token = "shop_dashboard",
    node(
        name = "events",
        description = "Each event once: a re-sent event has the same id.",
        sql = r"
            %
            SELECT event, session_id
            FROM shop_events
            WHERE 1
            {% if defined(country) %} AND country = {{ String(country) }} {% end %}
            {% if defined(device) %} AND device = {{ String(device) }} {% end %}
            LIMIT 1 BY event_id
        "
    ),
    node(
        name = "endpoint",
        sql = r"
            SELECT
                uniqExactIf(session_id, event = 'page_view') AS viewed,
                uniqExactIf(session_id, event = 'add_to_cart') AS carted,
                uniqExactIf(session_id, event = 'checkout') AS checked_out,
                uniqExactIf(session_id, event = 'purchase') AS purchased
            FROM events
        "
    )
)]
#[derive(Debug)]
pub struct Funnel {
    /// One country only.
    pub country: Option<String>,
    /// One device only.
    pub device: Option<String>,
}

/// Orders in one status, and what they are worth.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusRow {
    /// The status.
    pub status: OrderStatus,
    /// Orders in it.
    pub orders: u64,
    /// Their totals, summed.
    pub total: Decimal,
}

/// Live orders by status: each order's latest version once (`FINAL`), deleted orders left out.
#[pipe(
    name = "shop_order_status",
    description = "Orders by status, each order's latest version, deleted ones left out.",
    output = StatusRow,
    token = "shop_dashboard",
    node(
        name = "endpoint",
        sql = r"
            %
            SELECT status, count() AS orders, sum(total) AS total
            FROM shop_orders FINAL
            WHERE ordered_on >= {{ Date(since, '1900-01-01') }}
            GROUP BY status
            ORDER BY status
        "
    )
)]
#[derive(Debug)]
pub struct OrderStatusCounts {
    /// Orders placed from this day on.
    pub since: Option<NaiveDate>,
}

/// The whole project.
pub fn project() -> Project {
    Project::new()
        .datasource::<Event>()
        .datasource::<Order>()
        .datasource::<DailyRevenue>()
        .datasource::<ProductSales>()
        .pipe::<DailyRevenueMv>()
        .pipe::<ProductSalesCopy>()
        .pipe::<Revenue>()
        .pipe::<Funnel>()
        .pipe::<OrderStatusCounts>()
}
