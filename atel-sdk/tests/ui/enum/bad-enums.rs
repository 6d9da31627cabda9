use atel_sdk::Enum;

#[derive(serde::Serialize, Enum)]
enum WithFields {
    Plain,
    Tuple(u8),
}

#[derive(serde::Serialize, Enum)]
enum SomeValues {
    A = 1,
    B,
}

#[derive(serde::Serialize, Enum)]
#[serde(rename_all = "lowercase")]
enum SameName {
    Paid,
    #[serde(rename = "paid")]
    Settled,
}

#[derive(serde::Serialize, Enum)]
enum TooBig {
    Small = 1,
    Huge = 40000,
}

#[derive(serde::Serialize, Enum)]
struct NotAnEnum {
    x: u8,
}

#[derive(serde::Serialize, Enum)]
#[tinybird(enum32)]
enum UnknownAttr {
    A,
}

fn main() {}
