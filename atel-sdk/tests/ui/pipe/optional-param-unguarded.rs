use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    output = Row,
    node(
        name = "endpoint",
        sql = "%\nSELECT count() AS n FROM t WHERE session_id = {{ String(session_id) }} {% if defined(model) %} AND model = {{ String(model) }} {% end %}"
    )
)]
struct Counts {
    session_id: Option<String>,
    model: Option<String>,
    #[param(required)]
    days: Option<u32>,
}

fn main() {}
