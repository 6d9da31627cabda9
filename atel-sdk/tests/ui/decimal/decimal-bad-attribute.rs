use atel_sdk::Datasource;

#[derive(Datasource)]
struct Payment {
    #[tinybird(decimal(77, 2))]
    fee: rust_decimal::Decimal,
    #[tinybird(decimal(10, 12))]
    rate: rust_decimal::Decimal,
    #[tinybird(decimal = 2)]
    tax: rust_decimal::Decimal,
    #[tinybird(type = "Decimal(20, 2)", decimal(20, 2))]
    total: rust_decimal::Decimal,
    #[tinybird(type = "Nullable(Decimal(20, 2))")]
    tip: Option<rust_decimal::Decimal>,
}

fn main() {}
