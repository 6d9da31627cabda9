use atel_sdk::Datasource;
use atel_sdk::schema::AggregateState;

#[derive(serde::Serialize, Datasource)]
#[tinybird(engine = "AggregatingMergeTree", sorting_key = "day")]
struct Daily {
    day: chrono::NaiveDate,
    #[tinybird(aggregate = "summ")]
    revenue: AggregateState<u64>,
    #[tinybird(simple_aggregate = "uniq")]
    users: u64,
    #[tinybird(fixed_string(0))]
    code: String,
    #[tinybird(date32, type = "Date32")]
    when: chrono::NaiveDate,
}

fn main() {}
