use atel_sdk::Datasource;

#[derive(Datasource)]
struct Metric {
    #[tinybird(codec = "CODEC(ZSTD(1))")]
    a: u64,
    #[tinybird(codec = "Delta(8), Zstandard(1)")]
    b: u64,
    #[tinybird(codec = "ZSTD(30)")]
    c: u64,
    #[tinybird(codec = "Delta(3)")]
    d: u64,
    #[tinybird(codec = "LZ4(1)")]
    e: u64,
    // Fine: the template's codecs.
    #[tinybird(codec = "Delta(8), ZSTD(1)")]
    f: u64,
    #[tinybird(codec = "Delta, ZSTD(1)")]
    g: u64,
}

fn main() {}
