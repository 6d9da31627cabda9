use atel_sdk::Datasource;
use rust_decimal::Decimal;

type Money = Decimal;

#[derive(Datasource)]
struct Payment {
    amount: Decimal,
    refunds: Vec<Money>,
    tip: Option<Money>,
    #[tinybird(decimal(20, 2))]
    total: Decimal,
}

fn main() {}
