//! Examples for atel; see the `[[example]]` targets. The storefront project's types live here so its
//! test (`tests/it/shop.rs`) uses the very types the example writes.

#[path = "shop/mod.rs"]
pub mod shop;
