use atel_sdk::Datasource;

#[derive(Datasource)]
enum Event {
    Start { id: u64 },
    Stop { id: u64 },
}

fn main() {
    // The fallback impl keeps uses of the type free of follow-on errors.
    let _ = Event::NAME;
}
