use atel_sdk::pipe;

#[pipe(
    name = "export",
    sink(kafka_topic = "views", bucket_uri = "s3://b/p", format = "xml"),
    node(name = "all", sql = "SELECT 1 AS n")
)]
struct Export;

#[pipe(
    name = "export_half",
    sink(connection = "s3", bucket_uri = "s3://b/p"),
    token = "",
    node(name = "all", sql = "SELECT 1 AS n")
)]
struct ExportHalf;

fn main() {}
