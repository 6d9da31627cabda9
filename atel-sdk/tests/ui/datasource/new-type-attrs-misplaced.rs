use atel_sdk::Datasource;
use atel_sdk::schema::AggregateState;

#[derive(serde::Serialize, Datasource)]
struct Row {
    #[tinybird(date32)]
    not_a_date: String,
    #[tinybird(fixed_string(3))]
    not_a_string: u64,
    #[tinybird(aggregate = "sum")]
    not_a_state: u64,
    state_without_function: AggregateState<u64>,
    #[tinybird(simple_aggregate = "max")]
    simple_of_a_state: AggregateState<u64>,
}

fn main() {}
