use atel_sdk::Datasource;

type Cents = u64;

#[derive(Datasource)]
struct Payment {
    #[tinybird(decimal(20, 2))]
    amount: f64,
    #[tinybird(decimal(20, 2))]
    fee: Cents,
    #[tinybird(type = "Nullable(Decimal(20, 2))")]
    tip: Option<rust_decimal::Decimal>,
    #[tinybird(type = "Decimal(20, 2)")]
    tax: f64,
}

fn main() {}
