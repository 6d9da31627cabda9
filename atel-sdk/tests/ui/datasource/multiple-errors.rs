// Every mistake is reported in one compile, and the fallback impl keeps uses of the type quiet.
use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(engine = "Log", sortkey = "id")]
struct Event {
    #[tinybird(lowcard)]
    kind: String,
    #[tinybird(codec = 3)]
    id: u64,
}

fn main() {
    let _ = Event::NAME;
    let _ = Event::datafile();
}
