use atel_sdk::Datasource;

#[derive(Datasource)]
struct Event {
    #[tinybird(json_path = "user.email")]
    email: String,
}

fn main() {}
