use atel_sdk::Datasource;

#[derive(Datasource)]
struct Point {
    #[tinybird(datetime64(9))]
    at: String,
    #[tinybird(datetime)]
    day: chrono::NaiveDate,
    #[tinybird(datetime64(9))]
    values: Vec<f64>,
    // Fine: chrono date-times, alone or in an array.
    #[tinybird(datetime64(9))]
    exemplars: Vec<chrono::DateTime<chrono::Utc>>,
}

fn main() {}
