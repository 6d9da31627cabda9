use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(name = "page-views")]
struct PageView {
    id: u64,
}

fn main() {}
