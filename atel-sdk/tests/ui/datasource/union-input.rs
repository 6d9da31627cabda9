use atel_sdk::Datasource;

#[derive(Datasource)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
